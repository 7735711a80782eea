/* spatial_signal.h — between protobuf messages and the near-repeat detector.
 *
 * Reads a Wf__EnrichedEvent into the detector's plain event, and turns the detector's result
 * into the Wf__SpatialSignal that is published and persisted: deterministic signal id, related
 * events nearest first (at most max_related; related_count says how many were found), the
 * hotspot cell and the partition key. All storage is reused from one signal to the next.
 *
 * Thread: one thread. Pure: no I/O.
 */
#ifndef SPATIAL_SIGNAL_H
#define SPATIAL_SIGNAL_H

#include <stddef.h>
#include <stdint.h>

#include <wf/watchfloor.pb-c.h>

#include "spatial_nearrepeat.h"

typedef struct {
    double radius_m;    /* D, reported in every signal */
    int64_t window_us;  /* T, reported in seconds */
    double cell_m;      /* hotspot cell side */
    size_t max_related; /* related events listed in one signal, >= 1 */
} spatial_signal_config_t;

typedef struct spatial_signal_t spatial_signal_t;

/* Returns NULL when the configuration is out of range or memory is short. */
spatial_signal_t *spatial_signal_new(const spatial_signal_config_t *config);

/* NULL-safe; sets *self_p to NULL. */
void spatial_signal_destroy(spatial_signal_t **self_p);

/* Fills *event from enriched (pointers borrowed from enriched). arrived_us is the wall clock
 * now. Returns 0, or WF_EPROTO with a reason code and the offending field when the message
 * cannot be an event (no event body, event id not 16 bytes). */
int spatial_signal_read_event(const Wf__EnrichedEvent *enriched, int64_t arrived_us,
                              spatial_nearrepeat_event_t *event, const char **reason_code,
                              const char **field);

/* Builds the NEAR_REPEAT signal of enriched from result (related_count must be > 0) and returns
 * it. The signal borrows strings from enriched and ids from result: it is valid until the next
 * build, the next spatial_nearrepeat_add() or until enriched is freed, whichever is first. */
Wf__SpatialSignal *spatial_signal_build(spatial_signal_t *self, const Wf__EnrichedEvent *enriched,
                                        const spatial_nearrepeat_result_t *result);

/* Builds the NEAR_REPEAT signal of a held later event revised by the last add (same signal id
 * as its first signal). Valid until the next build or the next detector call. */
Wf__SpatialSignal *spatial_signal_build_revision(spatial_signal_t *self,
                                                 const spatial_nearrepeat_revision_t *revision);

/* The related event ids of the last built signal, as 16-byte arrays (for a uuid[] column). */
const uint8_t *const *spatial_signal_related_ids(const spatial_signal_t *self, size_t *count);

/* The partition key of the last built signal (wf_cell_key of the event). */
const char *spatial_signal_key(const spatial_signal_t *self, size_t *len);

#endif
