/* transport_seq.h — per-(producer, topic) sequence tracking: how loss becomes visible.
 *
 * Every envelope carries its producer's sequence number for the topic. A consumer that sees
 * 41 after 17 knows 23 messages were lost and says so; one that sees 17 again knows it is a
 * redelivery. The ZeroMQ back end checkpoints the last acknowledged numbers so that a consumer
 * restarted after a crash can tell what it missed while it was down. Private to libwfcommon.
 */
#ifndef WF_TRANSPORT_SEQ_H
#define WF_TRANSPORT_SEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wf_seqtrack_t wf_seqtrack_t;

typedef enum {
    WF_SEQ_NEXT,      /* the expected number */
    WF_SEQ_FIRST,     /* first message of this producer/topic we know of */
    WF_SEQ_GAP,       /* numbers were skipped: *missing says how many */
    WF_SEQ_DUPLICATE, /* at or below the last seen: a redelivery */
} wf_seq_verdict_t;

wf_seqtrack_t *wf_seqtrack_new(void);
void wf_seqtrack_destroy(wf_seqtrack_t **self_p);

/* Records seq for (producer, topic) and classifies it. *missing is set for WF_SEQ_GAP. */
wf_seq_verdict_t wf_seqtrack_observe(wf_seqtrack_t *self, const char *producer, const char *topic,
                                     uint64_t seq, int64_t now_us, uint64_t *missing);

/* The last number seen for (producer, topic), or 0. */
uint64_t wf_seqtrack_last(const wf_seqtrack_t *self, const char *producer, const char *topic);

/* Marks everything observed so far as acknowledged (what a checkpoint saves). */
void wf_seqtrack_ack(wf_seqtrack_t *self);

/* Saves acknowledged numbers ("producer topic seq last_seen_us" lines) atomically; entries
 * unseen for longer than max_age_us are dropped. Returns 0 or WF_EIO. */
int wf_seqtrack_save(const wf_seqtrack_t *self, const char *path, int64_t now_us,
                     int64_t max_age_us);

/* Loads a checkpoint; a missing file is an empty checkpoint. Returns 0, WF_EIO or WF_EPARSE. */
int wf_seqtrack_load(wf_seqtrack_t *self, const char *path);

/* Number of (producer, topic) entries held. */
size_t wf_seqtrack_size(const wf_seqtrack_t *self);

#endif
