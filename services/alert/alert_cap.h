/* alert_cap.h — an alert as an OASIS CAP 1.2 message (what dispatch consoles, public-warning
 * gateways and other agencies' systems take in).
 *
 * One Wf__Alert becomes one <alert> with one <info>: the CAP identifier is derived from the alert
 * id (a replay renders the same identifier), sent is the raising time in the form CAP requires
 * (numeric zone, UTC as -00:00), scope follows the event's dissemination (PUBLIC → Public, anything
 * else Restricted with the reason in <restriction>), and the location, when known, is a circle of
 * radius_km around it with the district and beat in <areaDesc>. The document is written with
 * libxml2's text writer, so every value is escaped, and it is valid against the CAP 1.2 schema
 * (tests validate it against data/reference/cap/cap12.xsd).
 *
 * Thread: any; no shared state. Pure: no I/O.
 */
#ifndef ALERT_CAP_H
#define ALERT_CAP_H

#include <stddef.h>

#include <wf/watchfloor.pb-c.h>

typedef struct {
    const char *sender; /* CAP sender, e.g. "watchfloor@cpd.example.org" (no spaces) */
    const char *web;    /* base URL of the operator console, or NULL */
    double radius_km;   /* circle around the alert's point, > 0 */
} alert_cap_config_t;

/* Renders alert as CAP 1.2 XML (UTF-8, NUL-terminated) into *out (caller frees with free()),
 * its length in *len. Returns 0, WF_EINVAL (no alert id, or a sender with whitespace) or
 * WF_ENOMEM. */
int alert_cap_render(const alert_cap_config_t *config, const Wf__Alert *alert, char **out,
                     size_t *len);

#endif
