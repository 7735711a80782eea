/* alert_match.h — testing a rule against one event or signal, and what a match produces.
 *
 * Rules never look at protobuf messages directly: the engine flattens an enriched event or a
 * spatial signal into an alert_subject_t (text fields "" when absent) and rules test that. An
 * absent field never satisfies a condition — not even the pattern "*" — so "districts: ['*']"
 * reads as "has a district". The same subject feeds the dedupe key and the message template.
 */
#ifndef ALERT_MATCH_H
#define ALERT_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/id.h>
#include <wf/watchfloor.pb-c.h>

#include "alert_rules.h"

#define ALERT_CELL_LEN    64  /* grid cell id text, with terminator */
#define ALERT_KEY_LEN     160 /* dedupe key text, with terminator */
#define ALERT_TITLE_LEN   256
#define ALERT_MESSAGE_LEN 1024

/* An event or signal as rules see it. Text pointers are borrowed from the message. */
typedef struct {
    alert_on_t on;                       /* event or signal */
    alert_signal_t signal;               /* signal type (signals only) */
    const char *kind;                    /* never NULL; "" = absent */
    const char *agency;                  /* never NULL */
    const char *district;                /* never NULL */
    const char *beat;                    /* never NULL */
    const char *address;                 /* never NULL; signals carry none */
    uint32_t related_count;              /* signals: related events found; events: 0 */
    const char *nibrs_code;              /* never NULL; events only (signals carry none) */
    const char *nibrs_category;          /* never NULL; events only */
    const char *crime_against;           /* never NULL; events only */
    int32_t priority;                    /* CAD priority, 1 = highest; <= 0 = not given */
    Wf__HotlistHit *const *hotlist_hits; /* events only (borrowed from the message) */
    size_t n_hotlist_hits;               /* entries in hotlist_hits */
    const bool *inside;                  /* inside[g]: the point lies in geofence g of the rule
                                          * set's geofences; NULL = not located (set by eval) */
    size_t n_inside;                     /* slots in inside */
    bool has_location;                   /* lon/lat are valid */
    double lon;                          /* WGS84 degrees */
    double lat;                          /* WGS84 degrees */
    int64_t occurred_us;                 /* event time of the triggering event */
    char cell[ALERT_CELL_LEN];           /* hotspot cell; "" when unlocated */
    char event_id[WF_UUID_STR_LEN];      /* triggering event, text form */
    const Wf__EnrichedEvent *enriched;   /* origin when on == EVENT (borrowed) */
    const Wf__SpatialSignal *spatial;    /* origin when on == SIGNAL (borrowed) */
} alert_subject_t;

/* True when subject is of the rule's type and every condition holds. */
bool alert_rule_match(const alert_rule_t *rule, const alert_subject_t *subject);

/* What a match carries into its alert. The hot-list hit is one the rule's 'hotlists' condition
 * names (every hit of the event when the rule has no such condition). */
bool alert_rule_wants_hotlist_hit(const alert_rule_t *rule, const Wf__HotlistHit *hit);

/* True when geofence g is named by one of the rule's 'geofences' conditions and the subject
 * lies inside it. */
bool alert_rule_matched_geofence(const alert_rule_t *rule, const alert_subject_t *subject,
                                 size_t g);

/* Writes the dedupe key of a match ("cell:400m:4650:-6467", "beat:0713", "district:007",
 * "event:<uuid>", "rule"). A key whose field is absent (no beat, no location) falls back to
 * the event, so unknowns are never lumped into one situation. Over-long values are cut at a
 * UTF-8 boundary. out must hold ALERT_KEY_LEN bytes. Returns out. */
char *alert_dedupe_key(const alert_rule_t *rule, const alert_subject_t *subject, char *out,
                       size_t len);

/* Writes the metric grid cell containing (lon, lat) for cells of cell_m metres:
 * "<cell_m>m:<row>:<col>". Rows are cell_m-tall bands of latitude; each row's columns are
 * cell_m wide at the row's centre latitude, so cells stay near-square at any latitude.
 * Returns 0, or WF_EINVAL for non-finite or out-of-range coordinates or cell size. */
int alert_cell_id(char *out, size_t len, double lon, double lat, double cell_m);

/* Checks a message template: placeholders are {kind} {district} {beat} {count} {address}
 * {rule}; "{{" and "}}" are literal braces. Returns 0, or WF_EPARSE with the reason in why. */
int alert_template_check(const char *tmpl, char *why, size_t whylen);

/* Renders a checked template for subject into out (always terminated, cut at a UTF-8
 * boundary when too long). Absent values render as "unknown"; {count} is the number of events
 * in the situation (related + 1 for signals, 1 for events). Returns the length written. */
size_t alert_render(const char *tmpl, const alert_subject_t *subject, const char *rule_id,
                    char *out, size_t len);

#endif
