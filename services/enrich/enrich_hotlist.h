/* enrich_hotlist.h — matching the plates and names in an event against the hot lists.
 *
 * The glue reads the unexpired entries of the hotlists table and adds them here; build sorts
 * plates by their confusion-class form (wf/hotlist.h), so the candidates for a read are one
 * binary search away, and persons by their normalised name. For each event, the attributes
 * whose names are among the configured plate fields and person fields (compared without regard
 * to case) are normalised and looked up:
 *  - a plate matches an entry when both are confusable with at most max_substitutions
 *    substitutions; when some entries need fewer substitutions than others, only those count
 *    (an exact match hides an OCR-tolerant one);
 *  - a person matches an entry with the same normalised name;
 *  - an entry whose expiry is not after now never matches;
 *  - one entry is reported once per event, whichever field reached it first.
 * Pure: no database, no transport.
 *
 * Thread: filled, built, then only read; a hits buffer belongs to one thread.
 */
#ifndef ENRICH_HOTLIST_H
#define ENRICH_HOTLIST_H

#include <stddef.h>
#include <stdint.h>

#include <wf/watchfloor.pb-c.h>

#include "enrich_event.h"

typedef enum {
    ENRICH_HOTLIST_PLATE,  /* licence plate */
    ENRICH_HOTLIST_PERSON, /* person's name */
} enrich_hotlist_type_t;

typedef struct enrich_hotlist_t enrich_hotlist_t;

/* An empty set of lists tolerating max_substitutions OCR substitutions in plates; NULL when out
 * of memory. */
enrich_hotlist_t *enrich_hotlist_new(unsigned max_substitutions);

/* Frees everything, sets *self_p to NULL. NULL-safe. */
void enrich_hotlist_destroy(enrich_hotlist_t **self_p);

/* Adds one entry (strings are copied; entry_id may be NULL). value is normalised here again,
 * so the stored value_norm or the raw value both do. expires_at_us 0 = never expires. Returns
 * 0, WF_EINVAL when value normalises to nothing, or WF_ENOMEM. */
int enrich_hotlist_add(enrich_hotlist_t *self, const char *list, enrich_hotlist_type_t type,
                       const char *value, const char *entry_id, int64_t expires_at_us);

/* Sorts the entries for lookup; call once after adding. Returns 0 or WF_ENOMEM. */
int enrich_hotlist_build(enrich_hotlist_t *self);

/* Entries added, of one type. */
size_t enrich_hotlist_count(const enrich_hotlist_t *self, enrich_hotlist_type_t type);

/* Which attributes are read as plates and as names (borrowed, e.g. from the configuration). */
typedef struct {
    const char *const *plate_fields; /* attribute names, compared case-insensitively */
    size_t plate_field_count;
    const char *const *person_fields;
    size_t person_field_count;
} enrich_hotlist_fields_t;

/* Reusable hit buffer. After a check, hits[0 … count-1] point into items; every string borrows
 * from the hot list (list, entry) or the event (observed, field): keep both alive while the
 * hits are used. */
typedef struct {
    Wf__HotlistHit *items; /* storage */
    Wf__HotlistHit **hits; /* pointers to items, as Wf__EnrichedEvent.hotlist_hits wants */
    size_t count;          /* hits of the last check */
    size_t cap;            /* allocated items */
} enrich_hotlist_hits_t;

/* Checks event's attributes against the lists at time now_us and fills hits (emptied first).
 * self may be NULL (no lists). Returns 0 or WF_ENOMEM. */
int enrich_hotlist_check(const enrich_hotlist_t *self, const Wf__NormalizedEvent *event,
                         const enrich_hotlist_fields_t *fields, int64_t now_us,
                         enrich_hotlist_hits_t *hits);

/* Frees the buffer's memory (the struct itself is the caller's). */
void enrich_hotlist_hits_fini(enrich_hotlist_hits_t *hits);

/* Writes the hits as the JSON array stored in events.hotlist_hits:
 * [{"list":…, "entry_type":…, "entry_value":…, "observed":…, "field":…, "substitutions":N,
 *   "entry_id":…}, …]. Returns 0 or WF_ENOMEM. */
int enrich_hotlist_hits_json(const enrich_hotlist_hits_t *hits, enrich_json_buf_t *buf);

#endif
