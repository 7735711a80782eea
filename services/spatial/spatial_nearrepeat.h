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
 * A pair belongs to its later event: the signal of an event lists the earlier events it
 * relates to — held events that occurred before it, or at the same time with a smaller event id
 * (memcmp), a tie-break that depends on the events alone (dt_s >= 0). The outcome does not
 * depend on arrival order. When an event arrives after a later partner (a burglary reported
 * days late, a backlog drained partition by partition after a crash), add() lists the held
 * later events it relates to as revisions: for each, revision() gives that event's complete
 * list of earlier partners as of now, so its signal (same id) can be published again and
 * replace the one it had. Once every event of a window has arrived, each event's last signal
 * lists the same events whatever the order of arrival; a replay finds nothing new. A revision
 * names the later event with what the detector kept of it (kind, time, place, and agency,
 * district, beat and dissemination from an interned table, spatial_attrs.h).
 *
 * Rebuilding state. A service that takes over partitions (or restarts) re-reads their recent
 * past, marked replay, to refill the window; those events' signals were published by whoever
 * processed them first. But a replayed event can meet an event delivered live to this process
 * (merged by timestamp, the live one may come first), and that pair was never seen by anyone.
 * So held events remember whether they came live, and result.publish / revision.publish say
 * whether a signal may be news: always for a live event; for a replayed one only when the
 * pair involves a live event. Re-publishing an old signal is harmless (same id), missing a new
 * one is not.
 *
 * Context. With several consumers, each owning some cells' partitions, an event within D of a
 * cell border is also delivered to the neighbouring cell's owner, marked context_only. It is
 * held and pairs like any event, but its own signal and revisions of other context events are
 * the owner's to publish (publish is false for them); a context copy of an event we own (the
 * same id) never demotes it, and the owned copy promotes a held context copy.
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
    double lon, lat;      /* WGS84 degrees */
    int64_t arrived_us;   /* wall clock at arrival; 0 = do not check for future times */
    const char *district; /* kept (interned) for revised signals; NULL = none */
    const char *beat;
    int dissemination; /* Wf__Dissemination value */
    bool replay;       /* re-read to rebuild state (its first processing published its signal) */
    bool context_only; /* another partition's event near our border: pairs, never signalled */
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
    double lon, lat;      /* the related event's point */
} spatial_nearrepeat_match_t;

typedef struct {
    spatial_nearrepeat_outcome_t outcome;
    const spatial_nearrepeat_match_t *related; /* nearest first; borrowed until the next add */
    size_t related_count;                      /* all related (earlier) events found */
    size_t revised_count; /* held later events this one relates to: see revision() */
    bool publish;         /* the signal may be news: see "Rebuilding state" above */
} spatial_nearrepeat_result_t;

/* A held later event whose list of earlier partners grew, with that complete list. */
typedef struct {
    spatial_nearrepeat_event_t event; /* strings and id borrowed until the next add/revision */
    const spatial_nearrepeat_match_t *related; /* nearest first; the same lifetime */
    size_t related_count;
    bool publish; /* the revision may be news: see "Rebuilding state" above */
} spatial_nearrepeat_revision_t;

/* Cumulative counters (held is a gauge). late_pairs counts, for each event checked as a new
 * revision (not a re-delivery, not a stale revision), the held later events it pairs with (each
 * is then revised); an event replayed after it left the window counts its pairs again. */
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
    uint64_t late_pairs;  /* pairs whose later event arrived first (reported by revision) */
    uint64_t attrs_full;  /* events held without agency/district/beat: attribute table full */
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

/* Fills *revision with the index-th (0 <= index < result->revised_count) held later event of
 * the last add() and its complete list of earlier partners, the added event included. Valid
 * until the next add() or revision(); the added event's own result stays valid. Returns 0,
 * WF_EINVAL (index out of range) or WF_ENOMEM. */
int spatial_nearrepeat_revision(spatial_nearrepeat_t *self, size_t index,
                                spatial_nearrepeat_revision_t *revision);

/* Newest occurrence time seen (0 before the first held event). */
int64_t spatial_nearrepeat_watermark(const spatial_nearrepeat_t *self);

/* Copies the counters into *stats. */
void spatial_nearrepeat_stats(const spatial_nearrepeat_t *self, spatial_nearrepeat_stats_t *stats);

#endif
