/* spatial_nearrepeat.h — streaming near-repeat detection over a bounded event window.
 *
 * A near repeat is an event of the same kind within D metres and T after an earlier one
 * (burglars return to the same area within days). The detector holds recent events in a spatial
 * hash grid of cells about D on a side, so a query looks at a handful of cells, and forgets them
 * by event time: the watermark is the newest occurrence time seen, and an event older than
 * watermark − T − lateness can no longer pair with anything that is still to come in order, so
 * it is evicted (amortised through a time heap, never a scan). A hard cap on held events evicts
 * the oldest first, so memory is bounded under any input rate or any input times.
 *
 * A pair is reported by its later event, and only by it: add() relates the new event P to a
 * held event H only when H is earlier — H occurred before P, or at the same time with the
 * smaller event id (memcmp), a tie-break that depends on the events alone. A signal is thus
 * always about the later event and lists earlier ones (dt_s >= 0). When events arrive in this
 * order every pair is reported, and replaying them into a detector that still holds the first
 * pass finds, for each event, only earlier events it already found the first time: no signal
 * that the first pass did not produce (the keyed write absorbs the repeated ones).
 *
 * The price is out-of-order arrival. When the later event of a pair arrives first, the pair is
 * not reported: a late-reported earlier burglary does not retroactively signal the later one,
 * and the earlier one is no near repeat of anything. Such pairs are counted (late_pairs) so
 * operators can see what disorder costs. A time-ordered replay — what `wf-ingest --order time`
 * does — reports every pair (wf-ingest orders equal times by reading order, so a pair with equal
 * times can still arrive in reverse); a feed in file order (the Chicago portal export is newest
 * first) reports almost none. A stream that arrived out of order and is replayed does find the
 * late pairs on the second pass if both events are still held, as signals the first pass lacked.
 *
 * Pairs never join two revisions of one source record or two deliveries of one event (the
 * transport is at-least-once): the detector holds at most one revision per
 * (agency, source_record_id), the newest by reported time (on a tie, the later arrival). A
 * re-delivered event is checked again against the earlier events held, so its signal (same id)
 * may also list earlier events that arrived after its first delivery; it is never held twice
 * and never related to itself.
 *
 * Thread: a detector belongs to one thread. Pure: no I/O.
 */
#ifndef SPATIAL_NEARREPEAT_H
#define SPATIAL_NEARREPEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct spatial_nearrepeat_t spatial_nearrepeat_t;

typedef struct {
    const char *const *kinds;    /* event kinds checked ("burglary.residential"); copied */
    size_t kind_count;           /* at least 1 */
    double distance_m;           /* D, > 0 */
    int64_t window_us;           /* T, > 0 */
    int64_t lateness_us;         /* how far behind the watermark an event is still held, >= 0 */
    size_t max_events;           /* hard cap on held events, >= 1 */
    int64_t future_tolerance_us; /* events this far past their arrival time are not trusted */
} spatial_nearrepeat_config_t;

/* One event as the detector sees it. Strings and bytes are borrowed for the call only. */
typedef struct {
    const uint8_t *event_id; /* 16 bytes */
    const char *agency;      /* with source_record_id: which revisions belong together */
    const char *source_record_id;
    const char *kind;
    int64_t occurred_us; /* 0 = unknown: the event cannot be checked */
    int64_t reported_us; /* orders revisions of one record; 0 if unknown */
    bool has_location;
    double lon, lat;    /* WGS84 degrees */
    int64_t arrived_us; /* wall clock at arrival; 0 = do not check for future times */
} spatial_nearrepeat_event_t;

/* What add() did with an event. Every outcome from STORED on was checked against the window. */
typedef enum {
    SPATIAL_NEARREPEAT_IGNORED,   /* kind not in the configured list */
    SPATIAL_NEARREPEAT_UNUSABLE,  /* no valid location or occurrence time: not checked */
    SPATIAL_NEARREPEAT_STORED,    /* checked, then held for later events */
    SPATIAL_NEARREPEAT_DUPLICATE, /* this event id is already held (re-delivery): not held twice */
    SPATIAL_NEARREPEAT_STALE,     /* a newer revision of its record is held: not held */
    SPATIAL_NEARREPEAT_LATE,      /* older than watermark − T − lateness: not held */
    SPATIAL_NEARREPEAT_FUTURE,    /* occurred after arrival + tolerance (bad clock): not held */
    SPATIAL_NEARREPEAT_CAPPED,    /* window full and this is the oldest event: not held */
} spatial_nearrepeat_outcome_t;

/* One earlier event related to the added event. */
typedef struct {
    uint8_t event_id[16]; /* the related event */
    double distance_m;    /* great-circle distance */
    int64_t dt_s;         /* added event's time minus the related (earlier) event's, s, >= 0 */
} spatial_nearrepeat_match_t;

typedef struct {
    spatial_nearrepeat_outcome_t outcome;
    const spatial_nearrepeat_match_t *related; /* nearest first; borrowed until the next add */
    size_t related_count;                      /* all related (earlier) events found */
} spatial_nearrepeat_result_t;

/* Cumulative counters (held is a gauge). late_pairs counts, for each event checked as a new
 * revision (not a re-delivery, not a stale revision), the held later events it would pair with;
 * an event replayed after it left the window counts its pairs again. */
typedef struct {
    uint64_t held;        /* events held now */
    uint64_t stored;      /* events ever held */
    uint64_t evicted;     /* dropped because they left the window (event time) */
    uint64_t evicted_cap; /* dropped, or not held, because of max_events */
    uint64_t late;        /* checked but too old to hold */
    uint64_t duplicates;  /* re-deliveries of a held event */
    uint64_t stale;       /* older revisions of a held record */
    uint64_t replaced;    /* held revisions superseded by a newer one */
    uint64_t future;      /* occurrence time beyond arrival + tolerance */
    uint64_t unusable;    /* of a checked kind but without location or time */
    uint64_t late_pairs;  /* pairs not reported because the later event arrived first */
    uint64_t bytes;       /* memory the detector holds */
} spatial_nearrepeat_stats_t;

/* Creates a detector. Returns NULL when the configuration is out of range or memory is short. */
spatial_nearrepeat_t *spatial_nearrepeat_new(const spatial_nearrepeat_config_t *config);

/* Frees the detector. NULL-safe; sets *self_p to NULL. */
void spatial_nearrepeat_destroy(spatial_nearrepeat_t **self_p);

/* Checks event against the window, then (depending on the outcome) holds it, evicting what
 * fell out of the window. Fills *result; result->related stays valid until the next add() or
 * destroy(). Returns 0, or WF_ENOMEM when the related list or the window could not grow (the
 * event is then neither reported nor held). Events of other kinds still matter: a newer
 * revision of a held record that changed kind or lost its location withdraws the held one. */
int spatial_nearrepeat_add(spatial_nearrepeat_t *self, const spatial_nearrepeat_event_t *event,
                           spatial_nearrepeat_result_t *result);

/* Newest occurrence time seen (0 before the first held event). */
int64_t spatial_nearrepeat_watermark(const spatial_nearrepeat_t *self);

/* Copies the counters into *stats. */
void spatial_nearrepeat_stats(const spatial_nearrepeat_t *self, spatial_nearrepeat_stats_t *stats);

#endif
