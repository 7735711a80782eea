/* alert_throttle.h — one alert per (rule, dedupe key, throttle window), in event time.
 *
 * Windows are tumbling and aligned to the epoch: window_start = floor(t / window) × window,
 * where t is the triggering event's occurred time, so a replay of the same events — in any
 * order, after any restart — lands in the same windows and derives the same alert ids.
 *
 * Memory is bounded twice. A window is forgotten once the event-time watermark (the newest
 * occurred time seen, ignoring times implausibly far ahead of the wall clock) passes its end
 * by the lateness margin; and a hard cap on entries evicts the oldest windows first. Both are
 * counted. An event for a window that may already have been forgotten is "late": it still
 * raises (a homicide reported days late still deserves an alert; the deterministic id lets
 * the idempotent write absorb a repeat), and the caller counts it.
 *
 * Each entry also counts the matches in its window. Escalation ("N matches in T raise severity
 * S") counts with check_distinct(), which also remembers the ids counted, so a redelivered or
 * re-ingested event is not counted twice.
 */
#ifndef ALERT_THROTTLE_H
#define ALERT_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/id.h>

/* Event times more than this ahead of the wall clock do not move the watermark. */
#define ALERT_THROTTLE_MAX_SKEW_US (INT64_C(86400) * 1000000)

typedef struct alert_throttle_t alert_throttle_t;

typedef struct {
    bool raise;              /* first match of this window: raise the alert */
    bool late;               /* the window was behind the eviction horizon */
    int64_t window_start_us; /* floor(event time / window) × window */
    uint32_t matches;        /* matches of this key in this window, this one included */
    bool duplicate;          /* check_distinct: this id was counted before (not again) */
    const uint8_t (*members)[WF_UUID_LEN]; /* check_distinct: ids counted (borrowed until the
                                            * next check), first counted first */
    uint32_t n_members;                    /* ids in members */
} alert_throttle_result_t;

/* A throttle that remembers windows for lateness_us after they end and holds at most
 * max_entries windows (>= 1). Returns NULL when out of memory. */
alert_throttle_t *alert_throttle_new(int64_t lateness_us, size_t max_entries);

/* NULL-safe; sets *self_p to NULL. */
void alert_throttle_destroy(alert_throttle_t **self_p);

/* Records a match of (rule_id, dedupe_key) at event time event_us for a rule with window
 * window_us (> 0); now_us is the wall clock, used only to ignore absurd future times for the
 * watermark. Fills *result. Returns 0, WF_EINVAL (window <= 0) or WF_ENOMEM (nothing was
 * recorded; *result still says raise, so an alert is never lost to memory pressure). */
int alert_throttle_check(alert_throttle_t *self, const char *rule_id, const char *dedupe_key,
                         int64_t event_us, int64_t window_us, int64_t now_us,
                         alert_throttle_result_t *result);

/* As check(), counting distinct ids: a member (event id) already counted in the window leaves
 * the count as it is and sets result->duplicate. Up to max_members ids are remembered per
 * window (the escalation count is enough); later ones are counted without the check. Returns 0,
 * WF_EINVAL or WF_ENOMEM (as check(); the id may then be counted again later). */
int alert_throttle_check_distinct(alert_throttle_t *self, const char *rule_id,
                                  const char *dedupe_key, const uint8_t member[WF_UUID_LEN],
                                  uint32_t max_members, int64_t event_us, int64_t window_us,
                                  int64_t now_us, alert_throttle_result_t *result);

/* floor(t / window) × window, correct for times before the epoch. window_us > 0. */
int64_t alert_throttle_window_start(int64_t t_us, int64_t window_us);

/* The alert id of a situation: UUIDv5("alert", rule_id, dedupe_key, window start in decimal
 * µs). Deterministic, so replays and restarts produce the same id. */
void alert_throttle_alert_id(wf_uuid_t *out, const char *rule_id, const char *dedupe_key,
                             int64_t window_start_us);

/* The id of an escalated alert: UUIDv5("alert", rule_id, dedupe_key, escalation window start,
 * "escalate", level) where level is the escalated severity's name — one per level per window,
 * the same after any replay, and never equal to an ordinary alert's id. */
void alert_throttle_escalation_id(wf_uuid_t *out, const char *rule_id, const char *dedupe_key,
                                  int64_t window_start_us, const char *level);

/* Windows currently remembered. */
size_t alert_throttle_size(const alert_throttle_t *self);

/* Windows forgotten because the watermark passed them / because of the hard cap. */
uint64_t alert_throttle_evicted_expired(const alert_throttle_t *self);
uint64_t alert_throttle_evicted_cap(const alert_throttle_t *self);

/* The event-time watermark (INT64_MIN before the first event). */
int64_t alert_throttle_watermark(const alert_throttle_t *self);

#endif
