/* console_hub.c — the ring of recent stream messages (see console_hub.h). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "console_hub.h"

struct console_hub_t {
    pthread_mutex_t lock;
    pthread_cond_t appended;
    console_msg_t **ring; /* ring[seq % capacity] */
    size_t capacity;
    uint64_t head; /* newest sequence number */
    int64_t epoch;
};

console_hub_t *console_hub_new(size_t capacity, int64_t epoch)
{
    console_hub_t *self = calloc(1, sizeof *self);
    if (!self || capacity == 0 || !(self->ring = calloc(capacity, sizeof *self->ring))) {
        free(self);
        return NULL;
    }
    pthread_mutex_init(&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&self->appended, &attr);
    pthread_condattr_destroy(&attr);
    self->capacity = capacity;
    self->epoch = epoch;
    return self;
}

void console_hub_destroy(console_hub_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    console_hub_t *self = *self_p;
    for (size_t i = 0; i < self->capacity; i++)
        console_msg_release(self->ring[i]);
    pthread_mutex_destroy(&self->lock);
    pthread_cond_destroy(&self->appended);
    free(self->ring);
    free(self);
    *self_p = NULL;
}

int64_t console_hub_epoch(const console_hub_t *self)
{
    return self->epoch;
}

void console_msg_release(console_msg_t *msg)
{
    if (msg && __atomic_sub_fetch(&msg->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(msg);
}

uint64_t console_hub_append(console_hub_t *self, console_msg_type_t type, const char *agency,
                            int64_t ingest_ts_us, const char *json, size_t len)
{
    console_msg_t *msg = malloc(sizeof *msg + len + 1);
    if (!msg)
        return 0;
    msg->type = type;
    snprintf(msg->agency, sizeof msg->agency, "%s", agency ? agency : "");
    msg->ingest_ts_us = ingest_ts_us;
    msg->len = len;
    msg->refs = 1; /* the ring's */
    memcpy(msg->json, json, len);
    msg->json[len] = '\0';
    pthread_mutex_lock(&self->lock);
    msg->seq = ++self->head;
    console_msg_t **slot = &self->ring[msg->seq % self->capacity];
    console_msg_t *evicted = *slot;
    *slot = msg;
    pthread_cond_broadcast(&self->appended);
    pthread_mutex_unlock(&self->lock);
    console_msg_release(evicted);
    return msg->seq;
}

uint64_t console_hub_head(console_hub_t *self)
{
    pthread_mutex_lock(&self->lock);
    uint64_t head = self->head;
    pthread_mutex_unlock(&self->lock);
    return head;
}

size_t console_hub_read(console_hub_t *self, uint64_t after, console_msg_t **out, size_t max,
                        int timeout_ms, bool *lost)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    *lost = false;
    size_t n = 0;
    pthread_mutex_lock(&self->lock);
    while (self->head <= after && timeout_ms > 0 &&
           pthread_cond_timedwait(&self->appended, &self->lock, &deadline) != ETIMEDOUT)
        ;
    uint64_t oldest = self->head >= self->capacity ? self->head - self->capacity + 1 : 1;
    if (after + 1 < oldest) {
        *lost = true;
        after = oldest - 1;
    }
    for (uint64_t seq = after + 1; seq <= self->head && n < max; seq++) {
        console_msg_t *msg = self->ring[seq % self->capacity];
        __atomic_add_fetch(&msg->refs, 1, __ATOMIC_ACQ_REL);
        out[n++] = msg;
    }
    pthread_mutex_unlock(&self->lock);
    return n;
}

void console_hub_wake_all(console_hub_t *self)
{
    pthread_mutex_lock(&self->lock);
    pthread_cond_broadcast(&self->appended);
    pthread_mutex_unlock(&self->lock);
}

bool console_hub_parse_id(const char *text, int64_t *epoch, uint64_t *seq)
{
    char *end;
    errno = 0;
    long long e = strtoll(text, &end, 10);
    if (errno || end == text || *end != '.' || e <= 0)
        return false;
    const char *rest = end + 1;
    if (*rest < '0' || *rest > '9')
        return false;
    unsigned long long s = strtoull(rest, &end, 10);
    if (errno || *end != '\0')
        return false;
    *epoch = e;
    *seq = s;
    return true;
}
