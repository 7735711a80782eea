/* admin_replay_kafka.c — the Kafka side of `wf-admin replay`.
 *
 * The copy reads the source partitions with explicit assignments at computed start offsets
 * (never a group: nothing is committed on the live topics) and writes each message to the same
 * partition of the replay topic with its key, timestamp, headers and payload unchanged, so the
 * replayed stream looks to the services exactly like the live one (sequence numbers included).
 * A time range starts where rd_kafka_offsets_for_times says; where it answers -1 (librdkafka
 * 2.0.2's mock always does, a real broker does for "nothing that late") the partition is
 * scanned from its start and filtered by timestamp, which is slower but never wrong. Every
 * partition stops at the high watermark seen when the copy began: what arrives later belongs to
 * the live pipeline, not to this replay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>
#include <wf/kafka.h>
#include <wf/log.h>
#include <wf/service.h>

#include "admin.h"
#include "admin_replay_kafka.h"

#define S_TIMEOUT_MS   10000 /* metadata, offsets, admin requests */
#define S_POLL_MS      200
#define S_MAX_GROUPS   4
#define S_DELIVERY_MAX "120000" /* ms: a copy that cannot be delivered fails, it does not hang */

typedef struct {
    char *group;        /* consumer group whose commits are read */
    rd_kafka_t *handle; /* consumer with that group.id; never subscribes */
} s_group_t;

struct admin_kafka_t {
    const wf_config_t *config;
    rd_kafka_t *producer;           /* metadata, admin requests, the copy's writes */
    s_group_t groups[S_MAX_GROUPS]; /* lag readers, made on first use */
    size_t ngroups;
    uint64_t delivery_failures; /* copy messages the brokers did not take */
    char last_delivery_error[256];
};

static void s_log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    (void)rk;
    if (level <= 3)
        wf_log_error("kafka %s: %s", facility, buf);
    else if (level <= 4)
        wf_log_warn("kafka %s: %s", facility, buf);
    else
        wf_log_debug("transport", "kafka %s: %s", facility, buf);
}

static void s_delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    admin_kafka_t *self = opaque;
    if (!msg->err)
        return;
    self->delivery_failures++;
    snprintf(self->last_delivery_error, sizeof self->last_delivery_error, "%s [%d]: %s",
             rd_kafka_topic_name(msg->rkt), (int)msg->partition, rd_kafka_err2str(msg->err));
}

/* The shared properties plus the given name=value pairs (NULL-terminated). */
static rd_kafka_conf_t *s_conf(const wf_config_t *config, const char *const *pairs, char *errbuf,
                               size_t errlen)
{
    rd_kafka_conf_t *conf = wf_kafka_base_conf(config, errbuf, errlen);
    char err[256];
    for (size_t i = 0; conf && pairs[i]; i += 2) {
        if (rd_kafka_conf_set(conf, pairs[i], pairs[i + 1], err, sizeof err) != RD_KAFKA_CONF_OK) {
            admin_errorf(errbuf, errlen, "kafka property %s: %s", pairs[i], err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    }
    if (conf)
        rd_kafka_conf_set_log_cb(conf, s_log_cb);
    return conf;
}

static rd_kafka_t *s_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errbuf,
                            size_t errlen)
{
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        admin_errorf(errbuf, errlen, "kafka client: %s", err);
    }
    return rk;
}

admin_kafka_t *admin_kafka_new(const wf_config_t *config, char *errbuf, size_t errlen)
{
    admin_kafka_t *self = calloc(1, sizeof *self);
    if (!self) {
        admin_errorf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->config = config;
    /* a metadata request must not create the topic it asks about: a missing replay topic is
     * an error to report, not something to make with the broker's default partition count */
    static const char *const pairs[] = {"client.id",
                                        "wf-admin-replay",
                                        "allow.auto.create.topics",
                                        "false",
                                        "enable.idempotence",
                                        "true",
                                        "acks",
                                        "all",
                                        "linger.ms",
                                        "5",
                                        "message.timeout.ms",
                                        S_DELIVERY_MAX,
                                        NULL};
    rd_kafka_conf_t *conf = s_conf(config, pairs, errbuf, errlen);
    if (conf) {
        rd_kafka_conf_set_opaque(conf, self);
        rd_kafka_conf_set_dr_msg_cb(conf, s_delivery_cb);
    }
    if (!conf || !(self->producer = s_handle(RD_KAFKA_PRODUCER, conf, errbuf, errlen))) {
        free(self);
        return NULL;
    }
    return self;
}

void admin_kafka_destroy(admin_kafka_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    admin_kafka_t *self = *self_p;
    for (size_t i = 0; i < self->ngroups; i++) {
        rd_kafka_destroy(self->groups[i].handle);
        free(self->groups[i].group);
    }
    if (self->producer)
        rd_kafka_destroy(self->producer);
    free(self);
    *self_p = NULL;
}

int admin_kafka_partitions(admin_kafka_t *self, const char *topic, int32_t *count, char *errbuf,
                           size_t errlen)
{
    rd_kafka_topic_t *handle = rd_kafka_topic_new(self->producer, topic, NULL);
    if (!handle) {
        admin_errorf(errbuf, errlen, "topic %s: %s", topic,
                     rd_kafka_err2str(rd_kafka_last_error()));
        return WF_EIO;
    }
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(self->producer, 0, handle, &md, S_TIMEOUT_MS);
    int rc = WF_OK;
    if (err) {
        admin_errorf(errbuf, errlen, "metadata of topic %s: %s", topic, rd_kafka_err2str(err));
        rc = WF_EIO;
    } else if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt <= 0) {
        err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        admin_errorf(errbuf, errlen, "topic %s: %s", topic, rd_kafka_err2str(err));
        rc = err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? WF_ENOTFOUND : WF_EIO;
    } else {
        *count = md->topics[0].partition_cnt;
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(handle);
    return rc;
}

/* Runs one admin request already sent to queue and checks its per-item results; exists is the
 * per-item error that counts as success. Returns 0 or WF_EIO with every refusal in errbuf. */
static int s_admin_result(rd_kafka_queue_t *queue, const char *what, rd_kafka_resp_err_t exists,
                          char *errbuf, size_t errlen)
{
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, S_TIMEOUT_MS + 5000);
    int rc = WF_OK;
    if (!event || rd_kafka_event_error(event)) {
        admin_errorf(errbuf, errlen, "%s: %s", what,
                     event ? rd_kafka_event_error_string(event) : "no answer in 15 s");
        rc = WF_EIO;
    } else {
        size_t n = 0, at = 0;
        const rd_kafka_topic_result_t **topics = NULL;
        if (rd_kafka_event_CreateTopics_result(event))
            topics =
                rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &n);
        else if (rd_kafka_event_DeleteTopics_result(event))
            topics =
                rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &n);
        for (size_t i = 0; i < n; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[i]);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == exists)
                continue;
            const char *name = rd_kafka_topic_result_name(topics[i]);
            if (errlen > at)
                at += (size_t)snprintf(errbuf + at, errlen - at, "%s%s %s: %s", at ? "; " : "",
                                       what, name, rd_kafka_err2str(err));
            rc = WF_EIO;
        }
    }
    if (event)
        rd_kafka_event_destroy(event);
    return rc;
}

int admin_kafka_create_topics(admin_kafka_t *self, const char *const *topics, size_t n,
                              int32_t partitions, char *errbuf, size_t errlen)
{
    rd_kafka_NewTopic_t **news = calloc(n ? n : 1, sizeof *news);
    if (!news) {
        admin_errorf(errbuf, errlen, "out of memory");
        return WF_ENOMEM;
    }
    char err[256], retention[32];
    snprintf(retention, sizeof retention, "%lld",
             (long long)(wf_config_duration_us(self->config, "kafka.retention") / 1000));
    int replication = (int)wf_config_int(self->config, "kafka.replication_factor");
    int rc = WF_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        news[i] = rd_kafka_NewTopic_new(topics[i], partitions, replication, err, sizeof err);
        if (!news[i] || rd_kafka_NewTopic_set_config(news[i], "retention.ms", retention)) {
            admin_errorf(errbuf, errlen, "topic %s: %s", topics[i], news[i] ? "retention" : err);
            rc = WF_EINVAL;
        }
    }
    if (!rc) {
        rd_kafka_queue_t *queue = rd_kafka_queue_new(self->producer);
        rd_kafka_AdminOptions_t *options =
            rd_kafka_AdminOptions_new(self->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(options, S_TIMEOUT_MS, err, sizeof err);
        rd_kafka_CreateTopics(self->producer, news, n, options, queue);
        rc = s_admin_result(queue, "create topic", RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, errbuf,
                            errlen);
        rd_kafka_AdminOptions_destroy(options);
        rd_kafka_queue_destroy(queue);
    }
    for (size_t i = 0; i < n; i++)
        if (news[i])
            rd_kafka_NewTopic_destroy(news[i]);
    free(news);
    return rc;
}

/* The offset every partition of topic has at one end (RD_KAFKA_OFFSET_BEGINNING or _END), in
 * one ListOffsets round per broker. Returns 0 or WF_EIO. */
static int s_ends(rd_kafka_t *rk, const char *topic, int32_t partitions, int64_t which,
                  int64_t *out, char *errbuf, size_t errlen)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int32_t p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(list, topic, p)->offset = which;
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, list, S_TIMEOUT_MS);
    for (int i = 0; !err && i < list->cnt; i++) {
        err = list->elems[i].err;
        out[list->elems[i].partition] = list->elems[i].offset < 0 ? 0 : list->elems[i].offset;
    }
    if (err)
        admin_errorf(errbuf, errlen, "offsets of topic %s: %s", topic, rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(list);
    return err ? WF_EIO : WF_OK;
}

int admin_kafka_topic_size(admin_kafka_t *self, const char *topic, int32_t partitions,
                           int64_t *messages, char *errbuf, size_t errlen)
{
    int64_t *low = calloc((size_t)partitions * 2, sizeof *low);
    if (!low)
        return WF_ENOMEM;
    int64_t *high = low + partitions;
    int rc =
        s_ends(self->producer, topic, partitions, RD_KAFKA_OFFSET_BEGINNING, low, errbuf, errlen);
    if (!rc)
        rc = s_ends(self->producer, topic, partitions, RD_KAFKA_OFFSET_END, high, errbuf, errlen);
    *messages = 0;
    for (int32_t p = 0; !rc && p < partitions; p++)
        *messages += high[p] - low[p];
    free(low);
    return rc;
}

/* ---- the copy --------------------------------------------------------------------------- */

/* Where each partition's copy starts and ends: [parts[p].first, parts[p].end). */
static int s_plan(admin_kafka_t *self, rd_kafka_t *consumer, const char *source, int32_t partitions,
                  const admin_replay_args_t *args, admin_copy_part_t *parts, int64_t *low,
                  int64_t *high, char *errbuf, size_t errlen)
{
    int rc =
        s_ends(self->producer, source, partitions, RD_KAFKA_OFFSET_BEGINNING, low, errbuf, errlen);
    if (!rc)
        rc = s_ends(self->producer, source, partitions, RD_KAFKA_OFFSET_END, high, errbuf, errlen);
    if (rc)
        return rc;
    for (int32_t p = 0; p < partitions; p++)
        parts[p] = (admin_copy_part_t){.first = low[p], .end = high[p], .copied = 0};
    if (args->nranges > 0) {
        for (int32_t p = 0; p < partitions; p++)
            parts[p].first = parts[p].end = -1;
        for (size_t i = 0; i < args->nranges; i++) {
            const admin_offset_range_t *r = &args->ranges[i];
            if (r->partition >= partitions) {
                admin_errorf(errbuf, errlen, "--offsets: topic %s has partitions 0 to %d, not %d",
                             source, (int)partitions - 1, (int)r->partition);
                return WF_EINVAL;
            }
            for (int32_t p = r->partition < 0 ? 0 : r->partition;
                 p < (r->partition < 0 ? partitions : r->partition + 1); p++) {
                if (r->first < low[p])
                    wf_log_warn(
                        "replay: partition %d keeps offsets from %lld on; copying from there",
                        (int)p, (long long)low[p]);
                parts[p].first = r->first < low[p] ? low[p] : r->first;
                parts[p].end =
                    r->last == ADMIN_OFFSET_END || r->last >= high[p] ? high[p] : r->last + 1;
            }
        }
        return WF_OK;
    }
    if (!args->has_from)
        return WF_OK;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
    for (int32_t p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(list, source, p)->offset = args->from_ms;
    /* -1 or an error: scan the partition from its start, filtering by timestamp */
    if (!rd_kafka_offsets_for_times(consumer, list, S_TIMEOUT_MS))
        for (int i = 0; i < list->cnt; i++) {
            const rd_kafka_topic_partition_t *e = &list->elems[i];
            if (!e->err && e->offset >= low[e->partition] && e->offset <= high[e->partition])
                parts[e->partition].first = e->offset;
        }
    rd_kafka_topic_partition_list_destroy(list);
    return WF_OK;
}

/* Writes one message to the same partition of dest; waits for room, never drops. */
static int s_produce(admin_kafka_t *self, const char *dest, const rd_kafka_message_t *msg)
{
    rd_kafka_timestamp_type_t type;
    int64_t timestamp = rd_kafka_message_timestamp(msg, &type);
    for (;;) {
        rd_kafka_headers_t *headers = NULL, *copy = NULL;
        if (rd_kafka_message_headers(msg, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR)
            copy = rd_kafka_headers_copy(headers);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            self->producer, RD_KAFKA_V_TOPIC(dest), RD_KAFKA_V_PARTITION(msg->partition),
            RD_KAFKA_V_KEY(msg->key, msg->key_len), RD_KAFKA_V_VALUE(msg->payload, msg->len),
            RD_KAFKA_V_TIMESTAMP(timestamp > 0 ? timestamp : 0), RD_KAFKA_V_HEADERS(copy),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!err)
            return WF_OK; /* the headers now belong to the message */
        if (copy)
            rd_kafka_headers_destroy(copy);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(self->last_delivery_error, sizeof self->last_delivery_error, "%s: %s", dest,
                     rd_kafka_err2str(err));
            return WF_EIO;
        }
        if (wf_service_stopping())
            return WF_EINTR;
        rd_kafka_poll(self->producer, S_POLL_MS);
    }
}

/* Reads the assigned partitions up to their ends, copying what the time range keeps; done[p]
 * is set as partition p reaches its end. */
static int s_pump(admin_kafka_t *self, rd_kafka_t *consumer, const char *dest,
                  const admin_replay_args_t *args, admin_copy_part_t *parts, bool *done,
                  int32_t partitions, int remaining)
{
    int rc = WF_OK;
    while (remaining > 0 && !rc) {
        if (wf_service_stopping())
            return WF_EINTR;
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(consumer, S_POLL_MS);
        rd_kafka_poll(self->producer, 0);
        if (!msg)
            continue;
        int32_t p = msg->partition;
        bool eof = msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        if (msg->err && !eof) {
            snprintf(self->last_delivery_error, sizeof self->last_delivery_error,
                     "reading partition %d: %s", (int)p, rd_kafka_message_errstr(msg));
            rc = WF_EIO;
        } else if (p >= 0 && p < partitions && !done[p]) {
            admin_copy_part_t *part = &parts[p];
            rd_kafka_timestamp_type_t type;
            int64_t ts = eof ? 0 : rd_kafka_message_timestamp(msg, &type);
            bool in_range = !eof && msg->offset < part->end &&
                            (!args->has_from || ts >= args->from_ms) &&
                            (!args->has_to || ts < args->to_ms);
            if (in_range && (rc = s_produce(self, dest, msg)) == WF_OK)
                part->copied++;
            /* done at the end offset, or at the log's end (offsets can skip, e.g. compaction) */
            if (eof || msg->offset + 1 >= part->end) {
                if (eof && msg->offset < part->end)
                    part->end = msg->offset;
                done[p] = true;
                remaining--;
            }
        }
        rd_kafka_message_destroy(msg);
    }
    return rc;
}

int admin_kafka_copy(admin_kafka_t *self, const char *source, const char *dest, int32_t partitions,
                     const admin_replay_args_t *args, admin_copy_part_t *parts, char *errbuf,
                     size_t errlen)
{
    /* librdkafka wants a group.id for assign(); nothing ever joins or commits with it */
    char group[300];
    snprintf(group, sizeof group, "%s.copy", dest);
    const char *const pairs[] = {"client.id",
                                 "wf-admin-replay-copy",
                                 "group.id",
                                 group,
                                 "enable.auto.commit",
                                 "false",
                                 "enable.auto.offset.store",
                                 "false",
                                 "enable.partition.eof",
                                 "true",
                                 "auto.offset.reset",
                                 "error",
                                 NULL};
    int64_t *low = calloc((size_t)partitions * 2, sizeof *low);
    bool *done = calloc((size_t)partitions, sizeof *done);
    rd_kafka_conf_t *conf = low && done ? s_conf(self->config, pairs, errbuf, errlen) : NULL;
    rd_kafka_t *consumer = conf ? s_handle(RD_KAFKA_CONSUMER, conf, errbuf, errlen) : NULL;
    rd_kafka_topic_partition_list_t *assign = rd_kafka_topic_partition_list_new(partitions);
    int rc = consumer ? WF_OK : low && done ? WF_EIO : WF_ENOMEM;
    if (!rc)
        rc = s_plan(self, consumer, source, partitions, args, parts, low, low + partitions, errbuf,
                    errlen);
    for (int32_t p = 0; !rc && p < partitions; p++)
        if (parts[p].first >= 0 && parts[p].first < parts[p].end)
            rd_kafka_topic_partition_list_add(assign, source, p)->offset = parts[p].first;
    rd_kafka_resp_err_t err = rc ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_assign(consumer, assign);
    if (err) {
        admin_errorf(errbuf, errlen, "assigning %s: %s", source, rd_kafka_err2str(err));
        rc = WF_EIO;
    }
    if (!rc)
        rc = s_pump(self, consumer, dest, args, parts, done, partitions, assign->cnt);
    /* every copied message delivered (or the stop flag) before the services start on them */
    while (!rc && rd_kafka_outq_len(self->producer) > 0)
        rc = wf_service_stopping() ? WF_EINTR : (rd_kafka_flush(self->producer, S_POLL_MS), WF_OK);
    if (rc == WF_EIO && !errbuf[0])
        admin_errorf(errbuf, errlen, "copying %s to %s: %s", source, dest,
                     self->last_delivery_error);
    if (!rc && self->delivery_failures) {
        admin_errorf(errbuf, errlen, "%llu messages not delivered to %s (last: %s)",
                     (unsigned long long)self->delivery_failures, dest, self->last_delivery_error);
        rc = WF_EIO;
    }
    if (consumer) {
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
    }
    rd_kafka_topic_partition_list_destroy(assign);
    free(done);
    free(low);
    if (rc == WF_ENOMEM)
        admin_errorf(errbuf, errlen, "out of memory");
    return rc;
}

/* ---- watching and cleaning up ----------------------------------------------------------- */

/* An idle consumer handle with group.id = group, to read that group's commits. */
static rd_kafka_t *s_group_handle(admin_kafka_t *self, const char *group, char *errbuf,
                                  size_t errlen)
{
    for (size_t i = 0; i < self->ngroups; i++)
        if (strcmp(self->groups[i].group, group) == 0)
            return self->groups[i].handle;
    if (self->ngroups == S_MAX_GROUPS) {
        admin_errorf(errbuf, errlen, "more than %d groups to watch", S_MAX_GROUPS);
        return NULL;
    }
    const char *const pairs[] = {"client.id", "wf-admin-replay-watch", "group.id",
                                 group,       "enable.auto.commit",    "false",
                                 NULL};
    rd_kafka_conf_t *conf = s_conf(self->config, pairs, errbuf, errlen);
    rd_kafka_t *handle = conf ? s_handle(RD_KAFKA_CONSUMER, conf, errbuf, errlen) : NULL;
    char *name = handle ? strdup(group) : NULL;
    if (!name) {
        if (handle)
            rd_kafka_destroy(handle);
        return NULL;
    }
    self->groups[self->ngroups++] = (s_group_t){name, handle};
    return handle;
}

int admin_kafka_group_lag(admin_kafka_t *self, const char *group, const char *const *topics,
                          size_t ntopics, int32_t partitions, int64_t *lag, char *errbuf,
                          size_t errlen)
{
    rd_kafka_t *handle = s_group_handle(self, group, errbuf, errlen);
    int64_t *high = calloc((size_t)partitions, sizeof *high);
    rd_kafka_topic_partition_list_t *list =
        rd_kafka_topic_partition_list_new((int)ntopics * partitions);
    int rc = handle && high ? WF_OK : WF_EIO;
    *lag = 0;
    for (size_t t = 0; !rc && t < ntopics; t++)
        for (int32_t p = 0; p < partitions; p++)
            rd_kafka_topic_partition_list_add(list, topics[t], p);
    rd_kafka_resp_err_t err =
        rc ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_committed(handle, list, S_TIMEOUT_MS);
    if (err) {
        admin_errorf(errbuf, errlen, "committed offsets of group %s: %s", group,
                     rd_kafka_err2str(err));
        rc = WF_EIO;
    }
    for (size_t t = 0; !rc && t < ntopics; t++) {
        rc = s_ends(handle, topics[t], partitions, RD_KAFKA_OFFSET_END, high, errbuf, errlen);
        for (int32_t p = 0; !rc && p < partitions; p++) {
            const rd_kafka_topic_partition_t *e = &list->elems[t * (size_t)partitions + p];
            int64_t committed = e->err || e->offset < 0 ? 0 : e->offset;
            *lag += high[p] > committed ? high[p] - committed : 0;
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    free(high);
    return rc;
}

int admin_kafka_delete(admin_kafka_t *self, const char *const *topics, size_t n, FILE *out)
{
    char err[256], reason[1024] = "";
    rd_kafka_DeleteTopic_t **deletes = calloc(n ? n : 1, sizeof *deletes);
    if (!deletes) {
        fprintf(out, "not deleted: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < n; i++)
        deletes[i] = rd_kafka_DeleteTopic_new(topics[i]);
    rd_kafka_queue_t *queue = rd_kafka_queue_new(self->producer);
    rd_kafka_AdminOptions_t *options =
        rd_kafka_AdminOptions_new(self->producer, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(options, S_TIMEOUT_MS, err, sizeof err);
    rd_kafka_DeleteTopics(self->producer, deletes, n, options, queue);
    int refused = s_admin_result(queue, "delete topic", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                                 reason, sizeof reason) != WF_OK;
    if (refused)
        fprintf(out, "not deleted: %s\n", reason);
    rd_kafka_DeleteTopic_destroy_array(deletes, n);
    free(deletes);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
    return refused;
}
