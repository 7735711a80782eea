/* transport.c — the transport interface: what both back ends share.
 *
 * Stamps and encodes outgoing envelopes, decodes incoming units, checks every envelope's
 * sequence number and hands the service a plain array of deliveries. The back end (ZeroMQ or
 * Kafka) is chosen here from transport.backend and never seen by a service.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/transport.h>

#include "transport_int.h"

typedef struct {
    char *topic;  /* "topic", or "topic#partition" where the back end partitions */
    uint64_t seq; /* last number stamped on this stream */
} s_topic_seq_t;

typedef struct {
    void *object; /* Wf__Envelope or Wf__Batch from protobuf-c */
    bool is_batch;
} s_decoded_t;

struct wf_transport_t {
    const wf_transport_ops_t *ops;
    wf_transport_backend_t *backend;
    char producer_id[160];     /* "<service>@<host>:<pid>" */
    wf_stats_t *stats;         /* borrowed; may be NULL */
    wf_seqtrack_t *seqtrack;   /* consumer side sequence state */
    int64_t shutdown_grace_us; /* delivery attempts at destroy */
    s_topic_seq_t *topics;     /* producer side, per topic */
    size_t ntopics;
    uint8_t *pack_buf; /* reusable encode buffer */
    size_t pack_cap;
    s_decoded_t *decoded; /* objects of the last recv, freed at the next */
    size_t ndecoded, decoded_cap;
    wf_delivery_t *deliveries;
    size_t ndeliveries, deliveries_cap;
    wf_transport_reject_t *rejects;
    uint8_t **reject_copies; /* re-encoded envelopes that failed validation (owned) */
    size_t nrejects, rejects_cap, copies_cap;
    bool warned_newer_schema;
    wf_transport_reset_fn *reset; /* service state belongs to the old assignment */
    void *reset_user;
};

static const wf_transport_ops_t *s_backend_ops(const char *name)
{
    if (strcmp(name, "zmq") == 0)
        return &wf_transport_zmq_ops;
    if (strcmp(name, "kafka") == 0)
        return &wf_transport_kafka_ops;
    return NULL;
}

wf_transport_t *wf_transport_new(const wf_config_t *config, const char *service, const char *group,
                                 wf_stats_t *stats, char *errbuf, size_t errlen)
{
    const char *backend = wf_config_string(config, "transport.backend");
    const wf_transport_ops_t *ops = s_backend_ops(backend);
    if (!ops) {
        snprintf(errbuf, errlen, "transport.backend '%s' is not available (zmq, kafka)", backend);
        return NULL;
    }
    wf_transport_t *self = calloc(1, sizeof *self);
    if (!self || !(self->seqtrack = wf_seqtrack_new())) {
        snprintf(errbuf, errlen, "out of memory");
        free(self);
        return NULL;
    }
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(self->producer_id, sizeof self->producer_id, "%s@%s:%d", service, host, (int)getpid());
    self->ops = ops;
    self->stats = stats;
    self->shutdown_grace_us = wf_config_duration_us(config, "transport.shutdown_grace");
    self->backend = ops->create(self, config, group, errbuf, errlen);
    if (!self->backend)
        wf_transport_destroy(&self);
    return self;
}

static void s_release_received(wf_transport_t *self)
{
    for (size_t i = 0; i < self->ndecoded; i++) {
        if (self->decoded[i].is_batch)
            wf__batch__free_unpacked(self->decoded[i].object, NULL);
        else
            wf__envelope__free_unpacked(self->decoded[i].object, NULL);
    }
    for (size_t i = 0; i < self->nrejects; i++)
        free(self->reject_copies[i]);
    self->ndecoded = self->ndeliveries = self->nrejects = 0;
}

void wf_transport_destroy(wf_transport_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wf_transport_t *self = *self_p;
    if (self->backend) {
        int grace_ms = (int)(self->shutdown_grace_us / 1000);
        if (self->ops->flush(self->backend, grace_ms, false) != WF_OK)
            wf_log_warn("undelivered messages at shutdown (consumer down?) grace_ms=%d", grace_ms);
        self->ops->destroy(&self->backend);
    }
    s_release_received(self);
    for (size_t i = 0; i < self->ntopics; i++)
        free(self->topics[i].topic);
    free(self->topics);
    free(self->pack_buf);
    free(self->decoded);
    free(self->deliveries);
    free(self->rejects);
    free(self->reject_copies);
    wf_seqtrack_destroy(&self->seqtrack);
    free(self);
    *self_p = NULL;
}

wf_seqtrack_t *wf_transport_seqtrack(wf_transport_t *transport)
{
    return transport->seqtrack;
}

void wf_transport_count(wf_transport_t *transport, const char *name, uint64_t delta)
{
    if (transport->stats)
        wf_stats_add(transport->stats, name, delta);
}

void wf_transport_gauge(wf_transport_t *transport, const char *name, int64_t value)
{
    if (transport->stats)
        wf_stats_set(transport->stats, name, value);
}

const char *wf_transport_producer_id(const wf_transport_t *self)
{
    return self->producer_id;
}

const char *wf_transport_backend(const wf_transport_t *self)
{
    return self->ops->name;
}

int wf_transport_subscribe(wf_transport_t *self, const char *topic)
{
    return self->ops->subscribe(self->backend, topic);
}

void wf_transport_set_state_rebuild(wf_transport_t *self, int64_t warmup_us,
                                    wf_transport_reset_fn *reset, void *user)
{
    self->reset = reset;
    self->reset_user = user;
    if (self->ops->set_state_rebuild)
        self->ops->set_state_rebuild(self->backend, warmup_us);
}

void wf_transport_assignment_changed(wf_transport_t *transport)
{
    /* numbers seen on partitions another consumer owned meanwhile would read as gaps */
    wf_seqtrack_t *fresh = wf_seqtrack_new();
    if (fresh) {
        wf_seqtrack_destroy(&transport->seqtrack);
        transport->seqtrack = fresh;
    }
    if (transport->reset)
        transport->reset(transport->reset_user);
}

/* ---- publishing ------------------------------------------------------------------------- */

static Wf__MessageType s_type_of(Wf__Envelope__BodyCase body)
{
    switch (body) {
    case WF__ENVELOPE__BODY_EVENT:
        return WF__MESSAGE_TYPE__NORMALIZED_EVENT;
    case WF__ENVELOPE__BODY_ENRICHED:
        return WF__MESSAGE_TYPE__ENRICHED_EVENT;
    case WF__ENVELOPE__BODY_SIGNAL:
        return WF__MESSAGE_TYPE__SPATIAL_SIGNAL;
    case WF__ENVELOPE__BODY_ALERT:
        return WF__MESSAGE_TYPE__ALERT;
    case WF__ENVELOPE__BODY_DEAD_LETTER:
        return WF__MESSAGE_TYPE__DEAD_LETTER;
    default:
        return WF__MESSAGE_TYPE__MESSAGE_TYPE_UNSPECIFIED;
    }
}

uint64_t wf_transport_published(const wf_transport_t *transport, const char *topic)
{
    for (size_t i = 0; i < transport->ntopics; i++)
        if (strcmp(transport->topics[i].topic, topic) == 0)
            return transport->topics[i].seq;
    return 0;
}

static uint64_t *s_topic_seq(wf_transport_t *self, const char *topic)
{
    for (size_t i = 0; i < self->ntopics; i++)
        if (strcmp(self->topics[i].topic, topic) == 0)
            return &self->topics[i].seq;
    s_topic_seq_t *grown = realloc(self->topics, (self->ntopics + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    self->topics = grown;
    s_topic_seq_t *entry = &self->topics[self->ntopics];
    if (!(entry->topic = strdup(topic)))
        return NULL;
    entry->seq = 0;
    self->ntopics++;
    return &entry->seq;
}

/* The sequence stream of topic/partition: "topic" or "topic#3". */
static const char *s_stream_name(char *buf, size_t len, const char *topic, int32_t partition)
{
    if (partition < 0)
        return topic;
    snprintf(buf, len, "%s#%d", topic, (int)partition);
    return buf;
}

int wf_transport_publish(wf_transport_t *self, const char *topic, const void *key, size_t key_len,
                         Wf__Envelope *envelope)
{
    int32_t partition = -1;
    if (self->ops->partition) {
        int prc = self->ops->partition(self->backend, topic, key, key_len, &partition);
        if (prc)
            return prc;
    }
    char stream_buf[256];
    const char *stream = s_stream_name(stream_buf, sizeof stream_buf, topic, partition);
    uint64_t *seq = s_topic_seq(self, stream);
    if (!seq)
        return WF_ENOMEM;
    int64_t now = wf_clock_now_us();
    envelope->schema_version = WF_SCHEMA_VERSION;
    envelope->type = s_type_of(envelope->body_case);
    envelope->producer_id = self->producer_id;
    envelope->sequence = *seq + 1;
    envelope->publish_ts_us = now;
    envelope->topic = (char *)topic;
    if (envelope->ingest_ts_us == 0)
        envelope->ingest_ts_us = now;
    size_t len = wf__envelope__get_packed_size(envelope);
    if (len > self->pack_cap) {
        uint8_t *grown = realloc(self->pack_buf, len * 2);
        if (!grown)
            return WF_ENOMEM;
        self->pack_buf = grown;
        self->pack_cap = len * 2;
    }
    wf__envelope__pack(envelope, self->pack_buf);
    int rc = self->ops->send(self->backend, topic, partition, key, key_len, envelope->ingest_ts_us,
                             self->pack_buf, len);
    /* WF_EINTR: queued, but the wait for room was cut short by a stop request. Only numbers
     * that were really queued advance, so a refusal never looks like a gap downstream. */
    if (rc == WF_OK || rc == WF_EINTR) {
        *seq += 1;
        wf_transport_count(self, "transport.published", 1);
    }
    return rc;
}

int wf_transport_flush(wf_transport_t *self, int timeout_ms)
{
    /* time spent waiting for deliveries (Kafka: acks=all round trips), next to batch counts */
    int64_t started = wf_clock_mono_us();
    int rc = self->ops->flush(self->backend, timeout_ms, true);
    wf_transport_count(self, "transport.flush_us", (uint64_t)(wf_clock_mono_us() - started));
    return rc;
}

/* ---- receiving -------------------------------------------------------------------------- */

static bool s_grow(void **array, size_t *cap, size_t need, size_t item)
{
    if (need <= *cap)
        return true;
    size_t new_cap = *cap ? *cap * 2 : 256;
    while (new_cap < need)
        new_cap *= 2;
    void *grown = realloc(*array, new_cap * item);
    if (!grown)
        return false;
    *array = grown;
    *cap = new_cap;
    return true;
}

static void s_reject(wf_transport_t *self, const wf_transport_unit_t *unit, const uint8_t *data,
                     size_t len, uint8_t *owned_copy, const char *reason, size_t item)
{
    if (!s_grow((void **)&self->rejects, &self->rejects_cap, self->nrejects + 1,
                sizeof *self->rejects) ||
        !s_grow((void **)&self->reject_copies, &self->copies_cap, self->nrejects + 1,
                sizeof *self->reject_copies)) {
        free(owned_copy);
        return;
    }
    wf_transport_reject_t *r = &self->rejects[self->nrejects];
    r->topic = unit->topic;
    r->data = data;
    r->len = len;
    r->reason = reason;
    snprintf(r->position, sizeof r->position, "%s/%d/%lld#%zu", unit->topic, (int)unit->partition,
             (long long)unit->offset, item);
    self->reject_copies[self->nrejects++] = owned_copy;
    wf_transport_count(self, "transport.rejected", 1);
}

/* Checks one decoded envelope and its sequence number, then adds it to the deliveries. */
static void s_accept(wf_transport_t *self, const wf_transport_unit_t *unit, Wf__Envelope *env,
                     size_t item)
{
    const char *reason = NULL;
    if (env->body_case == WF__ENVELOPE__BODY__NOT_SET)
        reason = "envelope without a body (unknown message type from a newer producer?)";
    else if (env->type != s_type_of(env->body_case))
        reason = "envelope type does not match its body";
    else if (!env->producer_id[0] || env->sequence == 0)
        reason = "envelope without producer id or sequence number";
    if (reason) {
        size_t len = wf__envelope__get_packed_size(env);
        uint8_t *copy = malloc(len ? len : 1);
        if (copy)
            wf__envelope__pack(env, copy);
        s_reject(self, unit, copy, copy ? len : 0, copy, reason, item);
        return;
    }
    if (env->schema_version > WF_SCHEMA_VERSION && !self->warned_newer_schema) {
        wf_log_warn("message from a newer schema version=%u ours=%u producer=%s",
                    env->schema_version, WF_SCHEMA_VERSION, env->producer_id);
        self->warned_newer_schema = true;
    }
    uint64_t missing = 0;
    char stream_buf[256];
    const char *stream = s_stream_name(stream_buf, sizeof stream_buf, unit->topic, unit->partition);
    wf_seq_verdict_t verdict = wf_seqtrack_observe(self->seqtrack, env->producer_id, stream,
                                                   env->sequence, wf_clock_now_us(), &missing);
    if (verdict == WF_SEQ_GAP) {
        wf_log_warn("message gap producer=%s topic=%s missing=%llu first_missing=%llu "
                    "last_missing=%llu",
                    env->producer_id, stream, (unsigned long long)missing,
                    (unsigned long long)(env->sequence - missing),
                    (unsigned long long)(env->sequence - 1));
        wf_transport_count(self, "transport.gaps", 1);
        wf_transport_count(self, "transport.gap_messages", missing);
    } else if (verdict == WF_SEQ_DUPLICATE) {
        wf_transport_count(self, "transport.redelivered", 1);
    } else if (verdict == WF_SEQ_FIRST) {
        wf_log_info("new producer producer=%s topic=%s first_sequence=%llu", env->producer_id,
                    stream, (unsigned long long)env->sequence);
    }
    if (!s_grow((void **)&self->deliveries, &self->deliveries_cap, self->ndeliveries + 1,
                sizeof *self->deliveries))
        return;
    wf_delivery_t *d = &self->deliveries[self->ndeliveries++];
    d->topic = unit->topic;
    d->envelope = env;
    d->partition = unit->partition;
    d->offset = unit->offset;
    d->replay = unit->replay;
    d->handled_here = unit->replay && unit->handled_here;
    wf_transport_count(self, unit->replay ? "transport.replayed" : "transport.received", 1);
}

static bool s_keep_decoded(wf_transport_t *self, void *object, bool is_batch)
{
    if (!s_grow((void **)&self->decoded, &self->decoded_cap, self->ndecoded + 1,
                sizeof *self->decoded))
        return false;
    self->decoded[self->ndecoded].object = object;
    self->decoded[self->ndecoded++].is_batch = is_batch;
    return true;
}

static void s_decode_unit(wf_transport_t *self, const wf_transport_unit_t *unit)
{
    if (unit->is_batch) {
        Wf__Batch *batch = wf__batch__unpack(NULL, unit->len, unit->data);
        if (!batch) {
            s_reject(self, unit, unit->data, unit->len, NULL, "undecodable batch frame", 0);
            return;
        }
        if (!s_keep_decoded(self, batch, true)) {
            wf__batch__free_unpacked(batch, NULL);
            return;
        }
        for (size_t i = 0; i < batch->n_envelopes; i++)
            s_accept(self, unit, batch->envelopes[i], i);
        return;
    }
    Wf__Envelope *env = wf__envelope__unpack(NULL, unit->len, unit->data);
    if (!env) {
        s_reject(self, unit, unit->data, unit->len, NULL, "undecodable envelope", 0);
        return;
    }
    if (!s_keep_decoded(self, env, false)) {
        wf__envelope__free_unpacked(env, NULL);
        return;
    }
    s_accept(self, unit, env, 0);
}

int wf_transport_recv(wf_transport_t *self, const wf_delivery_t **deliveries, size_t max,
                      int timeout_ms)
{
    s_release_received(self);
    *deliveries = self->deliveries;
    const wf_transport_unit_t *units = NULL;
    int n = self->ops->recv(self->backend, &units, max, timeout_ms);
    if (n <= 0)
        return n;
    wf_transport_count(self, "transport.batches", 1); /* received / batches = batch size */
    for (int i = 0; i < n; i++)
        s_decode_unit(self, &units[i]);
    *deliveries = self->deliveries;
    return (int)self->ndeliveries;
}

size_t wf_transport_take_rejects(wf_transport_t *self, const wf_transport_reject_t **rejects)
{
    *rejects = self->rejects;
    return self->nrejects;
}

int wf_transport_ack(wf_transport_t *self)
{
    wf_seqtrack_ack(self->seqtrack);
    return self->ops->ack(self->backend);
}
