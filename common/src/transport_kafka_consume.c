/* transport_kafka_consume.c — the consuming half of the Kafka back end.
 *
 * Offsets: automatic commits are off. ack() commits one past the last message handed out, so a
 * crash re-delivers what was not acknowledged (at-least-once; writes keyed by event and alert
 * id make the re-delivery harmless).
 *
 * Order: a consumer that keeps state in event time (near-repeat windows, throttles) must see
 * its partitions interleaved the way they were produced, or a backlog read partition by
 * partition looks days "late". Every message carries its event's ingest time as its Kafka
 * timestamp, and every consumer merges its partitions by it, as Kafka Streams does: the oldest head
 * among the partition buffers goes first, and an empty buffer holds the merge back until its
 * partition is known to be caught up or has been idle for S_MERGE_IDLE_US. Buffers are bounded by
 * pausing a partition that runs ahead.
 *
 * Rebalancing: eager assignment, so every rebalance revokes everything and assigns a fresh set.
 * A stateful service is told to reset, and every partition is re-read from warmup_us of log
 * time before its committed offset up to it, marked replay: the state the previous owner had
 * is rebuilt without publishing or storing anything twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "transport_kafka_int.h"

#define S_POLL_SLICE_MS    100
#define S_PULL_BUDGET      8192
#define S_MERGE_BEHIND_US  (1000 * 1000)     /* wait for a partition known to have more */
#define S_MERGE_UNKNOWN_US (5 * 1000 * 1000) /* wait for a partition's first fetch */
#define S_PAUSE_ABOVE      1000              /* buffered messages of one partition */
#define S_RESUME_BELOW     250
#define S_COMMITTED_WAIT   10000
#define S_LAG_EVERY_US     (500 * 1000)

/* ---- positions and buffers -------------------------------------------------------------- */

static wf_kafka_position_t *s_position(wf_transport_backend_t *self, const char *topic,
                                       int32_t partition)
{
    for (size_t i = 0; i < self->npositions; i++)
        if (self->positions[i].partition == partition &&
            strcmp(self->positions[i].topic, topic) == 0)
            return &self->positions[i];
    return NULL;
}

static void s_release_held(wf_transport_backend_t *self)
{
    for (size_t i = 0; i < self->nheld; i++)
        rd_kafka_message_destroy(self->held[i]);
    self->nheld = 0;
}

/* Drops the assignment; buffered messages were never handed out, so whoever owns their
 * partitions next fetches them again. */
static void s_forget_positions(wf_transport_backend_t *self)
{
    for (size_t i = 0; i < self->npositions; i++) {
        wf_kafka_position_t *pos = &self->positions[i];
        for (size_t k = 0; k < pos->count; k++)
            rd_kafka_message_destroy(pos->buffer[(pos->head + k) % pos->cap]);
        free(pos->buffer);
        free(pos->topic);
    }
    self->npositions = 0;
}

static bool s_push(wf_kafka_position_t *pos, rd_kafka_message_t *msg)
{
    if (pos->count == pos->cap) {
        size_t cap = pos->cap ? pos->cap * 2 : 64;
        rd_kafka_message_t **grown = malloc(cap * sizeof *grown);
        if (!grown)
            return false;
        for (size_t k = 0; k < pos->count; k++)
            grown[k] = pos->buffer[(pos->head + k) % pos->cap];
        free(pos->buffer);
        pos->buffer = grown;
        pos->cap = cap;
        pos->head = 0;
    }
    pos->buffer[(pos->head + pos->count++) % pos->cap] = msg;
    pos->empty_since_us = 0;
    return true;
}

static void s_set_paused(wf_transport_backend_t *self, wf_kafka_position_t *pos, bool paused)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, pos->topic, pos->partition);
    rd_kafka_resp_err_t err = paused ? rd_kafka_pause_partitions(self->consumer, list)
                                     : rd_kafka_resume_partitions(self->consumer, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (!err)
        pos->paused = paused;
}

/* ---- assignment ------------------------------------------------------------------------- */

/* Index of the handled range of (topic, partition), added when new; SIZE_MAX without memory. */
static size_t s_handled_index(wf_transport_backend_t *self, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < self->nhandled; i++)
        if (self->handled[i].partition == partition && strcmp(self->handled[i].topic, topic) == 0)
            return i;
    wf_kafka_handled_t *grown = realloc(self->handled, (self->nhandled + 1) * sizeof *grown);
    if (!grown)
        return SIZE_MAX;
    self->handled = grown;
    char *name = strdup(topic);
    if (!name)
        return SIZE_MAX;
    self->handled[self->nhandled] = (wf_kafka_handled_t){name, partition, INT64_MAX, 0};
    return self->nhandled++;
}

/* Where each newly assigned partition starts: its committed offset, or — when the service
 * rebuilds state — warmup_us of log time earlier, remembering the committed offset as the end
 * of the replay. */
static void s_plan_assignment(wf_transport_backend_t *self, rd_kafka_topic_partition_list_t *parts)
{
    s_forget_positions(self);
    wf_kafka_position_t *grown =
        realloc(self->positions, (size_t)(parts->cnt > 0 ? parts->cnt : 1) * sizeof *grown);
    if (!grown)
        return;
    self->positions = grown;
    rd_kafka_resp_err_t err = rd_kafka_committed(self->consumer, parts, S_COMMITTED_WAIT);
    if (err)
        wf_log_warn("kafka: committed offsets unavailable error=\"%s\"", rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_t *times = NULL;
    if (self->warmup_us > 0) {
        times = rd_kafka_topic_partition_list_copy(parts);
        int64_t from_ms = (wf_clock_now_us() - self->warmup_us) / 1000;
        for (int i = 0; i < times->cnt; i++)
            times->elems[i].offset = from_ms;
        if (rd_kafka_offsets_for_times(self->consumer, times, S_COMMITTED_WAIT)) {
            rd_kafka_topic_partition_list_destroy(times);
            times = NULL; /* fall back to the beginning of the log */
        }
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t committed = err || p->err ? RD_KAFKA_OFFSET_INVALID : p->offset;
        wf_kafka_position_t *pos = &self->positions[self->npositions];
        memset(pos, 0, sizeof *pos);
        if (!(pos->topic = strdup(p->topic)))
            continue;
        self->npositions++;
        pos->partition = p->partition;
        pos->committed_offset = pos->acked_offset = pos->next_offset = pos->fetched_next =
            committed >= 0 ? committed : -1;
        pos->replay_until = -1;
        pos->handled = s_handled_index(self, p->topic, p->partition);
        pos->empty_since_us = wf_clock_mono_us();
        p->offset = committed >= 0 ? committed : RD_KAFKA_OFFSET_INVALID;
        if (self->warmup_us > 0 && committed > 0) {
            int64_t from = times && !times->elems[i].err && times->elems[i].offset >= 0
                               ? times->elems[i].offset
                               : RD_KAFKA_OFFSET_BEGINNING;
            if (from == RD_KAFKA_OFFSET_BEGINNING || from < committed) {
                pos->replay_until = committed;
                pos->fetched_next = -1;
                p->offset = from;
            }
        }
    }
    if (times)
        rd_kafka_topic_partition_list_destroy(times);
}

static int s_commit(wf_transport_backend_t *self, bool sync);

static void s_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    wf_transport_backend_t *self = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        s_plan_assignment(self, parts);
        wf_log_notice("kafka assignment group=%s partitions=%d", self->group_id, parts->cnt);
        wf_transport_count(self->transport, "transport.rebalances", 1);
        wf_transport_assignment_changed(self->transport);
        rd_kafka_assign(rk, parts);
        /* librdkafka keeps a partition's pause across assignments: one paused (buffer full)
         * when it was revoked would never be fetched again after coming back */
        rd_kafka_resume_partitions(rk, parts);
        return;
    }
    /* revoked: what was acknowledged is committed now, so the next owner starts there; what
     * was handed out but not acknowledged is the next owner's to redo */
    s_commit(self, true);
    wf_log_notice("kafka partitions revoked group=%s partitions=%d", self->group_id, parts->cnt);
    s_forget_positions(self);
    rd_kafka_resume_partitions(rk, parts); /* see above: no pause outlives the assignment */
    rd_kafka_assign(rk, NULL);
}

static void s_commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
    (void)rk;
    (void)offsets;
    wf_transport_backend_t *self = opaque;
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        /* the messages will be re-delivered to whoever owns them next: harmless duplicates */
        wf_log_warn("kafka offset commit failed group=%s error=\"%s\"", self->group_id,
                    rd_kafka_err2str(err));
        wf_transport_count(self->transport, "transport.commit_failed", 1);
    }
}

static int s_start_consumer(wf_transport_backend_t *self)
{
    char errbuf[512];
    rd_kafka_conf_t *conf = wf_kafka_base_conf(self->config, errbuf, sizeof errbuf);
    if (!conf) {
        wf_log_error("%s", errbuf);
        return WF_EINVAL;
    }
    char client_id[200], fetch_wait_ms[32];
    snprintf(client_id, sizeof client_id, "%s", wf_transport_producer_id(self->transport));
    int64_t fetch_wait_us = wf_config_duration_us(self->config, "kafka.fetch_wait");
    snprintf(fetch_wait_ms, sizeof fetch_wait_ms, "%lld",
             (long long)(fetch_wait_us > 1000 ? fetch_wait_us / 1000 : 1));
    if (!wf_kafka_set(conf, "group.id", self->group_id, errbuf, sizeof errbuf) ||
        !wf_kafka_set(conf, "client.id", client_id, errbuf, sizeof errbuf) ||
        !wf_kafka_set(conf, "enable.auto.commit", "false", errbuf, sizeof errbuf) ||
        !wf_kafka_set(conf, "enable.auto.offset.store", "false", errbuf, sizeof errbuf) ||
        !wf_kafka_set(conf, "auto.offset.reset", self->observer ? "latest" : "earliest", errbuf,
                      sizeof errbuf) ||
        !wf_kafka_set(conf, "fetch.wait.max.ms", fetch_wait_ms, errbuf, sizeof errbuf) ||
        !wf_kafka_set(conf, "partition.assignment.strategy", "range,roundrobin", errbuf,
                      sizeof errbuf) ||
        /* a copy that dies is noticed after 6 s (the brokers' usual minimum) */
        !wf_kafka_set(conf, "session.timeout.ms", "6000", errbuf, sizeof errbuf) ||
        !wf_kafka_set(conf, "heartbeat.interval.ms", "1000", errbuf, sizeof errbuf)) {
        wf_log_error("%s", errbuf);
        rd_kafka_conf_destroy(conf);
        return WF_EINVAL;
    }
    rd_kafka_conf_set_opaque(conf, self);
    rd_kafka_conf_set_log_cb(conf, wf_kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, wf_kafka_error_cb);
    rd_kafka_conf_set_rebalance_cb(conf, s_rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, s_commit_cb);
    self->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof errbuf);
    if (!self->consumer) {
        rd_kafka_conf_destroy(conf);
        wf_log_error("kafka consumer: %s", errbuf);
        return WF_EIO;
    }
    rd_kafka_poll_set_consumer(self->consumer);
    return WF_OK;
}

int wf_kafka_subscribe(wf_transport_backend_t *self, const char *topic)
{
    if (!self->consumer) {
        int rc = s_start_consumer(self);
        if (rc)
            return rc;
    }
    char **grown = realloc(self->subscribed, (self->nsubscribed + 1) * sizeof *grown);
    if (!grown)
        return WF_ENOMEM;
    self->subscribed = grown;
    if (!(grown[self->nsubscribed] = strdup(topic)))
        return WF_ENOMEM;
    self->nsubscribed++;
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new((int)self->nsubscribed);
    for (size_t i = 0; i < self->nsubscribed; i++)
        rd_kafka_topic_partition_list_add(list, self->subscribed[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(self->consumer, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
        wf_log_error("kafka subscribe topic=%s error=\"%s\"", topic, rd_kafka_err2str(err));
        return WF_EIO;
    }
    wf_log_info("consuming topic=%s group=%s", topic, self->group_id);
    return WF_OK;
}

/* ---- receiving -------------------------------------------------------------------------- */

/* Files one fetched message into its partition's buffer. */
static void s_file(wf_transport_backend_t *self, rd_kafka_message_t *msg)
{
    if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            wf_log_warn("kafka consume error topic=%s partition=%d error=\"%s\"",
                        msg->rkt ? rd_kafka_topic_name(msg->rkt) : "-", (int)msg->partition,
                        rd_kafka_message_errstr(msg));
            wf_transport_count(self->transport, "transport.kafka_errors", 1);
        }
        rd_kafka_message_destroy(msg);
        return;
    }
    wf_kafka_position_t *pos = s_position(self, rd_kafka_topic_name(msg->rkt), msg->partition);
    /* not ours (any more) or no memory: never handed out, so never committed */
    if (!pos || !s_push(pos, msg)) {
        rd_kafka_message_destroy(msg);
        return;
    }
    if (pos->fetched_next >= 0 && msg->offset > pos->fetched_next) {
        /* the log no longer holds what this group was due to read next (retention ran out while
         * it was behind, or the mock cluster's size cap): lost to it, so said loudly */
        int64_t missing = msg->offset - pos->fetched_next;
        wf_log_error("kafka messages gone before they were read topic=%s partition=%d "
                     "missing=%lld first_missing_offset=%lld",
                     pos->topic, (int)pos->partition, (long long)missing,
                     (long long)pos->fetched_next);
        wf_transport_count(self->transport, "transport.gap_messages", (uint64_t)missing);
    }
    pos->fetched_next = msg->offset + 1;
    if (pos->count > S_PAUSE_ABOVE && !pos->paused)
        s_set_paused(self, pos, true);
}

/* Moves what the consumer has fetched into the partition buffers; waits up to wait_ms for
 * the first message. */
static void s_pull(wf_transport_backend_t *self, int wait_ms)
{
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(self->consumer, wait_ms);
    for (int n = 0; msg && n < S_PULL_BUDGET; n++) {
        s_file(self, msg);
        msg = rd_kafka_consumer_poll(self->consumer, 0);
    }
    if (msg)
        s_file(self, msg);
}

static int64_t s_head_timestamp(const wf_kafka_position_t *pos)
{
    rd_kafka_timestamp_type_t type;
    return rd_kafka_message_timestamp(pos->buffer[pos->head], &type);
}

/* An empty buffer need not hold the merge back when its partition has nothing more: the last
 * fetch reached the high watermark. Otherwise it waits for the next fetch, at most
 * S_MERGE_BEHIND_US (or S_MERGE_UNKNOWN_US before the partition's first fetch answered), so
 * that a slow partition delays the others rather than making them skip ahead in time. */
static bool s_may_skip(wf_transport_backend_t *self, wf_kafka_position_t *pos, int64_t now)
{
    if (!pos->empty_since_us)
        pos->empty_since_us = now;
    int64_t low = -1, high = -1;
    bool known = rd_kafka_get_watermark_offsets(self->consumer, pos->topic, pos->partition, &low,
                                                &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                 high >= 0;
    if (known && (pos->fetched_next >= high || (pos->fetched_next < 0 && high <= low)))
        return true;
    int64_t patience = known ? S_MERGE_BEHIND_US : S_MERGE_UNKNOWN_US;
    if (now - pos->empty_since_us < patience)
        return false;
    wf_transport_count(self->transport, "transport.merge_skips", 1);
    return true;
}

/* The partition whose head goes next, or NULL when the merge must wait for more data. */
static wf_kafka_position_t *s_next(wf_transport_backend_t *self, bool merge, int64_t now)
{
    wf_kafka_position_t *best = NULL;
    int64_t best_ts = 0;
    for (size_t i = 0; i < self->npositions; i++) {
        wf_kafka_position_t *pos = &self->positions[i];
        if (pos->count == 0) {
            if (merge && !s_may_skip(self, pos, now))
                return NULL;
            continue;
        }
        if (!merge)
            return pos;
        int64_t ts = s_head_timestamp(pos);
        if (!best || ts < best_ts) {
            best = pos;
            best_ts = ts;
        }
    }
    return best;
}

static bool s_grow_held(wf_transport_backend_t *self, size_t need)
{
    if (need <= self->held_cap)
        return true;
    size_t cap = self->held_cap ? self->held_cap * 2 : 256;
    while (cap < need)
        cap *= 2;
    rd_kafka_message_t **held = realloc(self->held, cap * sizeof *held);
    if (held)
        self->held = held;
    wf_transport_unit_t *units = realloc(self->units, cap * sizeof *units);
    if (units)
        self->units = units;
    if (!held || !units)
        return false;
    self->held_cap = cap;
    return true;
}

/* Hands out up to max buffered messages, in timestamp order when merge is set. */
static void s_emit(wf_transport_backend_t *self, size_t max, bool merge)
{
    int64_t now = wf_clock_mono_us();
    wf_kafka_position_t *pos;
    while (self->nheld < max && s_grow_held(self, self->nheld + 1) &&
           (pos = s_next(self, merge, now)) != NULL) {
        rd_kafka_message_t *msg = pos->buffer[pos->head];
        pos->head = (pos->head + 1) % pos->cap;
        if (--pos->count == 0)
            pos->empty_since_us = now;
        if (pos->paused && pos->count < S_RESUME_BELOW)
            s_set_paused(self, pos, false);
        wf_transport_unit_t *unit = &self->units[self->nheld];
        self->held[self->nheld++] = msg;
        unit->topic = rd_kafka_topic_name(msg->rkt);
        unit->data = msg->payload;
        unit->len = msg->len;
        unit->is_batch = false;
        unit->partition = msg->partition;
        unit->offset = msg->offset;
        unit->replay = msg->offset < pos->replay_until;
        unit->handled_here = false;
        if (pos->handled != SIZE_MAX) {
            wf_kafka_handled_t *range = &self->handled[pos->handled];
            if (unit->replay) {
                unit->handled_here = msg->offset >= range->from && msg->offset < range->until;
            } else {
                range->from = msg->offset < range->from ? msg->offset : range->from;
                range->until = msg->offset >= range->until ? msg->offset + 1 : range->until;
            }
        }
        pos->next_offset = msg->offset + 1;
    }
}

/* Gauges of feed health: partitions owned, and messages behind the newest (from the
 * watermarks of the last fetches; exact once the consumer is caught up). */
static void s_report_lag(wf_transport_backend_t *self)
{
    int64_t now = wf_clock_mono_us();
    if (now < self->next_lag_report_us)
        return;
    self->next_lag_report_us = now + S_LAG_EVERY_US;
    int64_t lag = 0;
    for (size_t i = 0; i < self->npositions; i++) {
        const wf_kafka_position_t *pos = &self->positions[i];
        int64_t low = -1, high = -1;
        if (rd_kafka_get_watermark_offsets(self->consumer, pos->topic, pos->partition, &low,
                                           &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0)
            continue;
        int64_t at = pos->next_offset >= 0 ? pos->next_offset : low;
        if (high > at)
            lag += high - at;
    }
    wf_transport_gauge(self->transport, "transport.assigned_partitions", (int64_t)self->npositions);
    wf_transport_gauge(self->transport, "transport.lag", lag);
}

int wf_kafka_recv(wf_transport_backend_t *self, const wf_transport_unit_t **units, size_t max,
                  int timeout_ms)
{
    s_release_held(self);
    *units = self->units;
    if (!self->consumer)
        return 0;
    /* stateful consumers merge; see the header for what a stateless upstream still breaks */
    bool merge = self->warmup_us > 0;
    int64_t deadline = wf_clock_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        int64_t left_ms = (deadline - wf_clock_mono_us()) / 1000;
        int wait_ms = left_ms <= 0 ? 0 : left_ms < S_POLL_SLICE_MS ? (int)left_ms : S_POLL_SLICE_MS;
        s_pull(self, wait_ms);
        s_emit(self, max, merge);
        if (self->nheld > 0 || left_ms <= 0 || wf_service_stopping())
            break;
        if (self->producer)
            rd_kafka_poll(self->producer, 0); /* delivery reports while idle */
    }
    s_report_lag(self);
    *units = self->units;
    return (int)self->nheld;
}

/* ---- acknowledging ---------------------------------------------------------------------- */

/* Commits what ack() covered; never what was handed out since. */
static int s_commit(wf_transport_backend_t *self, bool sync)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    for (size_t i = 0; i < self->npositions; i++) {
        wf_kafka_position_t *pos = &self->positions[i];
        if (pos->acked_offset < 0 || pos->acked_offset <= pos->committed_offset)
            continue;
        if (!list)
            list = rd_kafka_topic_partition_list_new((int)self->npositions);
        rd_kafka_topic_partition_list_add(list, pos->topic, pos->partition)->offset =
            pos->acked_offset;
        pos->committed_offset = pos->acked_offset;
    }
    if (!list)
        return WF_OK;
    rd_kafka_resp_err_t err = rd_kafka_commit(self->consumer, list, sync ? 0 : 1);
    rd_kafka_topic_partition_list_destroy(list);
    if (err && sync) {
        wf_log_warn("kafka offset commit failed group=%s error=\"%s\"", self->group_id,
                    rd_kafka_err2str(err));
        wf_transport_count(self->transport, "transport.commit_failed", 1);
        return WF_EIO;
    }
    return WF_OK;
}

int wf_kafka_ack(wf_transport_backend_t *self)
{
    if (!self->consumer)
        return WF_OK;
    for (size_t i = 0; i < self->npositions; i++)
        self->positions[i].acked_offset = self->positions[i].next_offset;
    /* asynchronous: a commit lost in a crash only means a harmless re-delivery */
    return s_commit(self, false);
}

void wf_kafka_close_consumer(wf_transport_backend_t *self)
{
    s_release_held(self);
    if (self->consumer) {
        s_commit(self, true);
        /* leaves the group at once, so its partitions move without waiting for a timeout */
        rd_kafka_consumer_close(self->consumer);
        rd_kafka_destroy(self->consumer);
        self->consumer = NULL;
    }
    s_forget_positions(self);
    free(self->positions);
    self->positions = NULL;
    for (size_t i = 0; i < self->nhandled; i++)
        free(self->handled[i].topic);
    free(self->handled);
    self->handled = NULL;
    self->nhandled = 0;
    for (size_t i = 0; i < self->nsubscribed; i++)
        free(self->subscribed[i]);
    free(self->subscribed);
    free(self->held);
    free(self->units);
    self->subscribed = NULL;
    self->held = NULL;
    self->units = NULL;
    self->nsubscribed = self->held_cap = 0;
}
