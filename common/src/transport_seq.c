/* transport_seq.c — sequence tracking per (producer, topic) with checkpoints.
 *
 * A deployment has tens of producers, not thousands, so entries live in a small array with a
 * one-entry cache: consecutive messages almost always come from the same producer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "transport_seq.h"

typedef struct {
    char *producer; /* producer id */
    char *topic;
    uint64_t seen;        /* last number observed */
    uint64_t acked;       /* last number acknowledged (checkpointed) */
    int64_t last_seen_us; /* wall time of the last observation */
} s_entry_t;

struct wf_seqtrack_t {
    s_entry_t *entries;
    size_t count, cap;
    size_t cached; /* index of the last entry used */
};

wf_seqtrack_t *wf_seqtrack_new(void)
{
    return calloc(1, sizeof(wf_seqtrack_t));
}

void wf_seqtrack_destroy(wf_seqtrack_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wf_seqtrack_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free(self->entries[i].producer);
        free(self->entries[i].topic);
    }
    free(self->entries);
    free(self);
    *self_p = NULL;
}

static s_entry_t *s_find(const wf_seqtrack_t *self, const char *producer, const char *topic)
{
    if (self->cached < self->count) {
        s_entry_t *e = &self->entries[self->cached];
        if (strcmp(e->producer, producer) == 0 && strcmp(e->topic, topic) == 0)
            return e;
    }
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries[i];
        if (strcmp(e->producer, producer) == 0 && strcmp(e->topic, topic) == 0) {
            ((wf_seqtrack_t *)self)->cached = i;
            return e;
        }
    }
    return NULL;
}

static s_entry_t *s_add(wf_seqtrack_t *self, const char *producer, const char *topic)
{
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        s_entry_t *grown = realloc(self->entries, cap * sizeof *grown);
        if (!grown)
            return NULL;
        self->entries = grown;
        self->cap = cap;
    }
    s_entry_t *e = &self->entries[self->count];
    memset(e, 0, sizeof *e);
    e->producer = strdup(producer);
    e->topic = strdup(topic);
    if (!e->producer || !e->topic) {
        free(e->producer);
        free(e->topic);
        return NULL;
    }
    self->cached = self->count++;
    return e;
}

wf_seq_verdict_t wf_seqtrack_observe(wf_seqtrack_t *self, const char *producer, const char *topic,
                                     uint64_t seq, int64_t now_us, uint64_t *missing)
{
    *missing = 0;
    s_entry_t *e = s_find(self, producer, topic);
    if (!e) {
        e = s_add(self, producer, topic);
        if (!e)
            return WF_SEQ_FIRST; /* out of memory: cannot track, still deliver */
        e->seen = seq;
        e->last_seen_us = now_us;
        return WF_SEQ_FIRST;
    }
    e->last_seen_us = now_us;
    if (seq == e->seen + 1) {
        e->seen = seq;
        return WF_SEQ_NEXT;
    }
    if (seq <= e->seen)
        return WF_SEQ_DUPLICATE;
    *missing = seq - e->seen - 1;
    e->seen = seq;
    return WF_SEQ_GAP;
}

uint64_t wf_seqtrack_last(const wf_seqtrack_t *self, const char *producer, const char *topic)
{
    const s_entry_t *e = s_find(self, producer, topic);
    return e ? e->seen : 0;
}

void wf_seqtrack_ack(wf_seqtrack_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        self->entries[i].acked = self->entries[i].seen;
}

size_t wf_seqtrack_size(const wf_seqtrack_t *self)
{
    return self->count;
}

int wf_seqtrack_save(const wf_seqtrack_t *self, const char *path, int64_t now_us,
                     int64_t max_age_us)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return WF_EIO;
    FILE *out = fopen(tmp, "w");
    if (!out)
        return WF_EIO;
    for (size_t i = 0; i < self->count; i++) {
        const s_entry_t *e = &self->entries[i];
        if (e->acked == 0 || now_us - e->last_seen_us > max_age_us)
            continue;
        fprintf(out, "%s %s %" PRIu64 " %" PRId64 "\n", e->producer, e->topic, e->acked,
                e->last_seen_us);
    }
    if (fclose(out) != 0 || rename(tmp, path) != 0)
        return WF_EIO;
    return WF_OK;
}

int wf_seqtrack_load(wf_seqtrack_t *self, const char *path)
{
    FILE *in = fopen(path, "r");
    if (!in)
        return WF_OK; /* no checkpoint yet */
    char producer[256], topic[256];
    uint64_t seq;
    int64_t seen_us;
    int rc = WF_OK, n;
    while ((n = fscanf(in, "%255s %255s %" SCNu64 " %" SCNd64, producer, topic, &seq, &seen_us)) ==
           4) {
        s_entry_t *e = s_find(self, producer, topic);
        if (!e && !(e = s_add(self, producer, topic))) {
            rc = WF_ENOMEM;
            break;
        }
        e->seen = e->acked = seq;
        e->last_seen_us = seen_us;
    }
    if (rc == WF_OK && n != EOF)
        rc = WF_EPARSE;
    fclose(in);
    return rc;
}
