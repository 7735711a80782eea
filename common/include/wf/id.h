/* id.h — deterministic identifiers (UUIDv5, RFC 4122 §4.3, via libuuid).
 *
 * Every id that reaches PostGIS is derived from what it names, never random: the same record
 * replayed twice gets the same event id, the same alert situation the same alert id, so keyed
 * writes (ON CONFLICT DO NOTHING) make replays and restarts harmless.
 */
#ifndef WF_ID_H
#define WF_ID_H

#include <stddef.h>
#include <stdint.h>

#define WF_UUID_LEN     16
#define WF_UUID_STR_LEN 37 /* 36 characters and the terminator */

typedef struct {
    uint8_t bytes[WF_UUID_LEN];
} wf_uuid_t;

/* Derives a UUIDv5 in Watchfloor's namespace from a domain ("event", "alert" …) and parts.
 * Parts are joined with a 0x1F unit separator after the domain, so ("a","bc") != ("ab","c"). */
void wf_id_derive(wf_uuid_t *out, const char *domain, const char *const *parts, size_t count);

/* The event id of (agency, source_record_id, revision). revision may be "" (never NULL). */
void wf_id_event(wf_uuid_t *out, const char *agency, const char *source_record_id,
                 const char *revision);

/* Lower-case 8-4-4-4-12 text form into out (WF_UUID_STR_LEN bytes). Returns out. */
char *wf_uuid_format(const uint8_t bytes[WF_UUID_LEN], char *out);

/* Parses the text form; returns 0 or WF_EINVAL. */
int wf_uuid_parse(const char *text, wf_uuid_t *out);

#endif
