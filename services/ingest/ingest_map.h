/* ingest_map.h — a parsed row + its profile → one normalised event, or a reject.
 *
 * The last pure stage of ingest. Required fields are checked (missing_field), times parsed and
 * range-checked (bad_time, time_out_of_range), coordinates converted and checked
 * (bad_coordinates, outside_jurisdiction), the priority read (bad_priority), the kind chosen by
 * the profile's rules, and the event id derived as wf_id_event(agency, record_id, revision) —
 * where a revision that reads as a time in the profile's format is first normalised to UTC µs
 * text, so the same revision written by two export layouts gives the same id.
 *
 * Ownership: the event, its location, id bytes and every string it points to are allocated
 * from the arena given to ingest_map_event() (the row's strings must come from the same arena
 * or outlive it; profile strings outlive it). The event is valid until that arena is reset or
 * destroyed; never free its parts, and never pass it to protobuf-c's free_unpacked.
 *
 * Thread: a mapper belongs to one thread (see ingest_time.h about TZ).
 */
#ifndef INGEST_MAP_H
#define INGEST_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <wf/watchfloor.pb-c.h>

#include "ingest_arena.h"
#include "ingest_profile.h"
#include "ingest_record.h"

typedef struct ingest_map_t ingest_map_t;

/* A mapper for profile (borrowed; must outlive it). bbox is jurisdiction.bbox {minlon, minlat,
 * maxlon, maxlat} or NULL for no check. Returns NULL and a reason in errbuf when the profile's
 * zone or CRS cannot be set up. */
ingest_map_t *ingest_map_new(const ingest_profile_t *profile, const double *bbox, char *errbuf,
                             size_t errlen);

/* NULL-safe; sets *self_p to NULL. */
void ingest_map_destroy(ingest_map_t **self_p);

/* Normalises row. position ("file.csv:12") is copied into the event; now_us bounds future
 * times. Returns 0 with *event set (in arena), WF_EPARSE/WF_ERANGE with reject filled, or
 * WF_ENOMEM. */
int ingest_map_event(ingest_map_t *self, const ingest_row_t *row, const char *position,
                     int64_t now_us, ingest_arena_t *arena, Wf__NormalizedEvent **event,
                     ingest_reject_t *reject);

#endif
