/* enrich_event.h — what enrich does to one event, apart from moving it.
 *
 * Checks a normalised event, assigns its district and beat (enrich_areas), builds the enriched
 * message, turns its unmapped attributes into the JSON object stored in events.attributes, and
 * builds dead letters for what enrich cannot accept. Pure logic: the glue (enrich_service.c)
 * moves the results to PostGIS and the transport.
 *
 * Thread: objects here belong to the thread that uses them (enrich has one).
 */
#ifndef ENRICH_EVENT_H
#define ENRICH_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/id.h>
#include <wf/watchfloor.pb-c.h>

#include "enrich_areas.h"

/* Why an event cannot be enriched and persisted. */
typedef struct {
    const char *reason_code; /* stable code: "missing_event_id", "missing_occurred_at",
                                "bad_coordinates" */
    const char *field;       /* the offending field */
    const char *reason;      /* human explanation */
} enrich_event_reject_t;

/* District and beat of one event. Codes are borrowed from the area index. */
typedef struct {
    const char *district;           /* district code as the boundary table writes it, or NULL */
    const char *beat;               /* beat code as the boundary table writes it, or NULL */
    Wf__AreaMethod method;          /* the event's method: the beat's, or the district's when
                                       the boundary set has no beats */
    Wf__AreaMethod district_method; /* how the district was found */
    Wf__AreaMethod beat_method;     /* how the beat was found */
} enrich_assignment_t;

/* Returns 0 when event can be enriched and persisted, or WF_EINVAL and fills *reject when its
 * event id is not 16 bytes or its occurred time is missing (the events table keys on both), or
 * when it has a location whose coordinates are not finite WGS84 degrees. */
int enrich_event_check(const Wf__NormalizedEvent *event, enrich_event_reject_t *reject);

/* Assigns district and beat. Located events go through point-in-polygon (the source's own
 * source_beat / source_district break boundary ties); events without coordinates get the
 * source's own codes when those name known areas (SOURCE_REPORTED). A district that cannot be
 * found otherwise is taken from the beat's parent. tolerance_m is the snapping distance. */
void enrich_event_assign(enrich_areas_t *areas, const Wf__NormalizedEvent *event,
                         double tolerance_m, enrich_assignment_t *assignment);

/* Fills out (initialised by the caller with WF__ENRICHED_EVENT__INIT) from event and assignment.
 * out borrows event, the codes and boundary_set: keep them alive while out is used. */
void enrich_event_enriched(Wf__EnrichedEvent *out, Wf__NormalizedEvent *event,
                           const enrich_assignment_t *assignment, const char *boundary_set,
                           int64_t enriched_at_us);

/* Lower-case name stored in events.area_method ("point_in_polygon", "boundary_tie", "nearest",
 * "source_reported", "not_found", "unspecified"). Never NULL. */
const char *enrich_event_method_name(Wf__AreaMethod method);

/* Lower-case name stored in events.dissemination ("public", "law_enforcement", "agency_only",
 * "restricted", "unspecified"). Never NULL. */
const char *enrich_event_dissemination_name(Wf__Dissemination dissemination);

/* Reusable buffer for the attributes JSON text. */
typedef struct {
    char *text; /* NUL-terminated JSON of the last call (owned) */
    size_t len; /* its length */
    size_t cap; /* bytes allocated */
} enrich_json_buf_t;

/* Writes event's attributes as one JSON object ({"name": "value", …}; {} when none) into buf.
 * Values that are not valid UTF-8 have the bad bytes replaced by U+FFFD, as the COPY writer does
 * for text columns. Returns 0 or WF_ENOMEM. */
int enrich_event_attributes_json(const Wf__NormalizedEvent *event, enrich_json_buf_t *buf);

/* Frees the buffer's memory (the struct itself is the caller's). */
void enrich_json_buf_fini(enrich_json_buf_t *buf);

struct json_t; /* jansson's */

/* A new JSON string of text (NULL reads as ""); bytes that are not valid UTF-8 become U+FFFD.
 * NULL when out of memory. */
struct json_t *enrich_json_text(const char *text);

/* Writes json compactly into buf. Returns 0 or WF_ENOMEM. */
int enrich_json_dump(const struct json_t *json, enrich_json_buf_t *buf);

/* What a dead letter says about a record enrich could not accept. Everything is borrowed. */
typedef struct {
    const char *source;   /* the topic it came from */
    const char *position; /* where on it ("topic/partition/offset"), or the row it became */
    const uint8_t *raw;   /* the message bytes (kept whole: envelopes are small) */
    size_t raw_len;
    bool raw_is_text;        /* raw is text (a COPY row) rather than a binary envelope */
    const char *reason_code; /* stable code: "undecodable", "missing_event_id" … */
    const char *reason;      /* human explanation */
    const char *field;       /* offending field, or NULL */
    int64_t received_at_us;  /* when enrich received it */
} enrich_dead_letter_in_t;

/* Fills dead_letter (initialised by the caller with WF__DEAD_LETTER__INIT) with stage "enrich"
 * and the fields of in, and derives its id, UUIDv5("dead_letter", stage, source, position, raw as
 * hex — or as text when raw_is_text), into *id, which dead_letter borrows like it borrows in's
 * strings. Returns 0 or WF_ENOMEM. */
int enrich_event_dead_letter(Wf__DeadLetter *dead_letter, wf_uuid_t *id,
                             const enrich_dead_letter_in_t *in);

#endif
