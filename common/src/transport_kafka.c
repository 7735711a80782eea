/* transport_kafka.c — the Kafka back end (librdkafka): partitions, consumer groups, replay.
 *
 * Producing: one Kafka message per envelope, keyed by the caller's partition key (a coarse
 * geographic cell, or the agency), so every event of one area lands in one partition. The
 * partition is computed here (murmur2, as Java clients do) rather than left to librdkafka, so
 * that transport.c can stamp sequence numbers per partition: a consumer that owns a subset of
 * the partitions then still sees consecutive numbers and any hole is a real loss. The producer
 * is idempotent with acks=all and never times a message out: an outage delays delivery, it does
 * not drop it. A full local queue blocks publish (backpressure).
 *
 * Consuming: a consumer group per service (kafka.group_prefix + group) with automatic commits
 * off. The offsets handed out are committed only by ack(), which the service calls after the
 * effects are durable, so a crash re-delivers what was not acknowledged: at-least-once, made
 * harmless by writes idempotent by event/alert id.
 *
 * Rebalancing: eager (range) assignment, so every rebalance revokes everything and assigns a
 * fresh set. A service with state spanning a window registers it (set_state_rebuild); on each
 * assignment the service is told to reset, and every partition is re-read from the window's
 * start (by log time) up to its committed offset with deliveries marked replay, which rebuilds
 * exactly the state the previous owner had without publishing or storing anything twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "transport_kafka_int.h"

#define S_POLL_SLICE_MS       100
#define S_METADATA_TIMEOUT_MS 2000
#define S_METADATA_REFRESH_US (30 * WF_US_PER_SEC)
#define S_STALL_WARN_US       (5 * WF_US_PER_SEC)

/* ---- configuration ---------------------------------------------------------------------- */

bool wf_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errbuf,
                  size_t errlen)
{
    char err[256];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof err) == RD_KAFKA_CONF_OK)
        return true;
    snprintf(errbuf, errlen, "kafka property %s: %s", name, err);
    return false;
}

/* Properties shared by producer and consumer: brokers, security, pass-through. */
rd_kafka_conf_t *wf_kafka_base_conf(const wf_config_t *config, char *errbuf, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *brokers = wf_config_string(config, "kafka.brokers");
    if (!brokers[0]) {
        snprintf(errbuf, errlen,
                 "kafka.brokers is empty (scripts/demo --kafka starts a mock "
                 "cluster for trying things out)");
        goto fail;
    }
    static const struct {
        const char *key, *property;
    } passthrough[] = {
        {"kafka.security_protocol", "security.protocol"},
        {"kafka.ssl_ca_location", "ssl.ca.location"},
        {"kafka.ssl_certificate_location", "ssl.certificate.location"},
        {"kafka.ssl_key_location", "ssl.key.location"},
        {"kafka.ssl_key_password", "ssl.key.password"},
    };
    if (!wf_kafka_set(conf, "bootstrap.servers", brokers, errbuf, errlen))
        goto fail;
    for (size_t i = 0; i < sizeof passthrough / sizeof *passthrough; i++) {
        const char *value = wf_config_string(config, passthrough[i].key);
        if (value[0] && !wf_kafka_set(conf, passthrough[i].property, value, errbuf, errlen))
            goto fail;
    }
    if (strncmp(wf_config_string(config, "kafka.security_protocol"), "sasl", 4) == 0 &&
        (!wf_kafka_set(conf, "sasl.mechanisms", wf_config_string(config, "kafka.sasl_mechanism"),
                       errbuf, errlen) ||
         !wf_kafka_set(conf, "sasl.username", wf_config_string(config, "kafka.sasl_username"),
                       errbuf, errlen) ||
         !wf_kafka_set(conf, "sasl.password", wf_config_string(config, "kafka.sasl_password"),
                       errbuf, errlen)))
        goto fail;
    const char *const *props;
    size_t nprops = wf_config_list(config, "kafka.properties", &props);
    for (size_t i = 0; i < nprops; i++) {
        char name[128];
        const char *eq = strchr(props[i], '=');
        if (!eq || eq == props[i] || (size_t)(eq - props[i]) >= sizeof name) {
            snprintf(errbuf, errlen, "kafka.properties: '%s' is not name=value", props[i]);
            goto fail;
        }
        snprintf(name, sizeof name, "%.*s", (int)(eq - props[i]), props[i]);
        if (!wf_kafka_set(conf, name, eq + 1, errbuf, errlen))
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

void wf_kafka_log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf)
{
    (void)rk;
    if (level <= 3)
        wf_log_error("kafka %s: %s", facility, buf);
    else if (level <= 4)
        wf_log_warn("kafka %s: %s", facility, buf);
    else if (level <= 5)
        wf_log_notice("kafka %s: %s", facility, buf);
    else
        wf_log_debug("transport", "kafka %s: %s", facility, buf);
}

void wf_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    wf_transport_backend_t *self = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[256];
        rd_kafka_fatal_error(rk, fatal, sizeof fatal);
        wf_log_error("kafka fatal error: %s", fatal);
        self->fatal = true;
        return;
    }
    /* broker down, all brokers down, timeouts: librdkafka retries by itself */
    wf_log_warn("kafka: %s (%s)", reason, rd_kafka_err2name(err));
    wf_transport_count(self->transport, "transport.kafka_errors", 1);
}

static void s_delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    wf_transport_backend_t *self = opaque;
    if (!msg->err)
        return;
    self->delivery_failures++;
    snprintf(self->last_delivery_error, sizeof self->last_delivery_error, "%s [%d]: %s",
             rd_kafka_topic_name(msg->rkt), (int)msg->partition, rd_kafka_err2str(msg->err));
    wf_log_error("kafka delivery failed topic=%s partition=%d error=\"%s\"",
                 rd_kafka_topic_name(msg->rkt), (int)msg->partition, rd_kafka_err2str(msg->err));
    wf_transport_count(self->transport, "transport.delivery_failed", 1);
}

/* ---- topics ----------------------------------------------------------------------------- */

static const char *const s_topic_keys[] = {"topics.normalized", "topics.enriched", "topics.signals",
                                           "topics.alerts", "topics.deadletters"};

/* Creates the topics.* topics that do not exist yet. Brokers that refuse (no ACL, or a mock
 * cluster without CreateTopics) are logged: the topics may have been made by an operator. */
static void s_create_topics(wf_transport_backend_t *self)
{
    enum { N = sizeof s_topic_keys / sizeof *s_topic_keys };
    rd_kafka_NewTopic_t *topics[N];
    char errstr[256], retention[32];
    snprintf(retention, sizeof retention, "%lld",
             (long long)(wf_config_duration_us(self->config, "kafka.retention") / 1000));
    int partitions = (int)wf_config_int(self->config, "kafka.partitions");
    int replication = (int)wf_config_int(self->config, "kafka.replication_factor");
    for (size_t i = 0; i < N; i++) {
        topics[i] = rd_kafka_NewTopic_new(wf_config_string(self->config, s_topic_keys[i]),
                                          partitions, replication, errstr, sizeof errstr);
        if (topics[i])
            rd_kafka_NewTopic_set_config(topics[i], "retention.ms", retention);
    }
    rd_kafka_queue_t *queue = rd_kafka_queue_new(self->producer);
    rd_kafka_AdminOptions_t *options =
        rd_kafka_AdminOptions_new(self->producer, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(options, 10000, errstr, sizeof errstr);
    rd_kafka_CreateTopics(self->producer, topics, N, options, queue);
    rd_kafka_event_t *event = rd_kafka_queue_poll(queue, 15000);
    const rd_kafka_CreateTopics_result_t *result =
        event ? rd_kafka_event_CreateTopics_result(event) : NULL;
    if (!event || rd_kafka_event_error(event)) {
        wf_log_notice("topics not created at start (they must exist already) reason=\"%s\"",
                      event ? rd_kafka_event_error_string(event) : "no answer in 15 s");
    } else if (result) {
        size_t n;
        const rd_kafka_topic_result_t **each = rd_kafka_CreateTopics_result_topics(result, &n);
        for (size_t i = 0; i < n; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(each[i]);
            if (!err)
                wf_log_info("created topic=%s partitions=%d", rd_kafka_topic_result_name(each[i]),
                            partitions);
            else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                wf_log_notice("topic not created topic=%s reason=\"%s\"",
                              rd_kafka_topic_result_name(each[i]),
                              rd_kafka_topic_result_error_string(each[i]));
        }
    }
    if (event)
        rd_kafka_event_destroy(event);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy_array(topics, N);
}

static wf_kafka_topic_t *s_topic(wf_transport_backend_t *self, const char *name)
{
    for (size_t i = 0; i < self->ntopics; i++)
        if (strcmp(self->topics[i].name, name) == 0)
            return &self->topics[i];
    wf_kafka_topic_t *grown = realloc(self->topics, (self->ntopics + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    self->topics = grown;
    wf_kafka_topic_t *topic = &self->topics[self->ntopics];
    memset(topic, 0, sizeof *topic);
    topic->name = strdup(name);
    topic->handle = rd_kafka_topic_new(self->producer, name, NULL);
    if (!topic->name || !topic->handle) {
        free(topic->name);
        if (topic->handle)
            rd_kafka_topic_destroy(topic->handle);
        return NULL;
    }
    self->ntopics++;
    return topic;
}

/* Learns the partition count of topic, waiting (while not stopping) when brokers are down. */
static int s_partition_count(wf_transport_backend_t *self, wf_kafka_topic_t *topic)
{
    int64_t now = wf_clock_mono_us();
    if (topic->partitions > 0 && now - topic->known_at_us < S_METADATA_REFRESH_US)
        return WF_OK;
    int64_t started = now;
    bool warned = false;
    for (;;) {
        const rd_kafka_metadata_t *md = NULL;
        rd_kafka_resp_err_t err =
            rd_kafka_metadata(self->producer, 0, topic->handle, &md, S_METADATA_TIMEOUT_MS);
        if (!err && md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
            int32_t count = md->topics[0].partition_cnt;
            if (topic->partitions && count != topic->partitions)
                wf_log_notice("partition count changed topic=%s from=%d to=%d", topic->name,
                              (int)topic->partitions, (int)count);
            topic->partitions = count;
            topic->known_at_us = wf_clock_mono_us();
            rd_kafka_metadata_destroy(md);
            return WF_OK;
        }
        const char *why = err                  ? rd_kafka_err2str(err)
                          : md->topic_cnt != 1 ? "no such topic"
                                               : rd_kafka_err2str(md->topics[0].err);
        if (md)
            rd_kafka_metadata_destroy(md);
        if (topic->partitions > 0)
            return WF_OK; /* keep the last known count; refresh again later */
        if (wf_service_stopping())
            return WF_EINTR;
        if (!warned && wf_clock_mono_us() - started > S_STALL_WARN_US) {
            wf_log_warn("waiting for the partitions of topic=%s reason=\"%s\"", topic->name, why);
            warned = true;
        }
        rd_kafka_poll(self->producer, S_POLL_SLICE_MS);
    }
}

static int s_partition(wf_transport_backend_t *self, const char *name, const void *key,
                       size_t key_len, int32_t *partition)
{
    wf_kafka_topic_t *topic = s_topic(self, name);
    if (!topic)
        return WF_ENOMEM;
    int rc = s_partition_count(self, topic);
    if (rc)
        return rc;
    *partition = rd_kafka_msg_partitioner_murmur2_random(topic->handle, key, key_len,
                                                         topic->partitions, NULL, NULL);
    return WF_OK;
}

/* ---- life cycle ------------------------------------------------------------------------- */

static wf_transport_backend_t *s_create(wf_transport_t *transport, const wf_config_t *config,
                                        const char *group, char *errbuf, size_t errlen)
{
    wf_transport_backend_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->transport = transport;
    self->config = config;
    snprintf(self->group_id, sizeof self->group_id, "%s%s",
             wf_config_string(config, "kafka.group_prefix"), group);
    const char *const *observers;
    size_t nobservers = wf_config_list(config, "kafka.observers", &observers);
    for (size_t i = 0; i < nobservers; i++)
        self->observer = self->observer || strcmp(observers[i], group) == 0;
    rd_kafka_conf_t *conf = wf_kafka_base_conf(config, errbuf, errlen);
    if (!conf)
        goto fail;
    char client_id[200];
    snprintf(client_id, sizeof client_id, "%s", wf_transport_producer_id(transport));
    if (!wf_kafka_set(conf, "client.id", client_id, errbuf, errlen) ||
        !wf_kafka_set(conf, "enable.idempotence", "true", errbuf, errlen) ||
        !wf_kafka_set(conf, "acks", "all", errbuf, errlen) ||
        /* an outage delays messages; it never expires them */
        !wf_kafka_set(conf, "message.timeout.ms", "0", errbuf, errlen) ||
        !wf_kafka_set(conf, "linger.ms", "5", errbuf, errlen) ||
        !wf_kafka_set(conf, "compression.codec", "lz4", errbuf, errlen)) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    rd_kafka_conf_set_opaque(conf, self);
    rd_kafka_conf_set_log_cb(conf, wf_kafka_log_cb);
    rd_kafka_conf_set_error_cb(conf, wf_kafka_error_cb);
    rd_kafka_conf_set_dr_msg_cb(conf, s_delivery_cb);
    char err[512];
    self->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!self->producer) {
        rd_kafka_conf_destroy(conf);
        snprintf(errbuf, errlen, "kafka producer: %s", err);
        goto fail;
    }
    if (wf_config_bool(config, "kafka.create_topics"))
        s_create_topics(self);
    wf_log_info("kafka transport brokers=%s group=%s", wf_config_string(config, "kafka.brokers"),
                self->group_id);
    return self;
fail:
    free(self);
    return NULL;
}

static void s_destroy(wf_transport_backend_t **self_p)
{
    wf_transport_backend_t *self = *self_p;
    wf_kafka_close_consumer(self);
    for (size_t i = 0; i < self->ntopics; i++) {
        rd_kafka_topic_destroy(self->topics[i].handle);
        free(self->topics[i].name);
    }
    free(self->topics);
    if (self->producer)
        rd_kafka_destroy(self->producer);
    free(self);
    *self_p = NULL;
}

/* ---- producing -------------------------------------------------------------------------- */

static int s_send(wf_transport_backend_t *self, const char *topic, int32_t partition,
                  const void *key, size_t key_len, int64_t timestamp_us, const uint8_t *data,
                  size_t len)
{
    if (self->fatal)
        return WF_EIO;
    int64_t blocked_since = 0;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            self->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)data, len),
            RD_KAFKA_V_TIMESTAMP(timestamp_us / 1000), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        if (!err) {
            rd_kafka_poll(self->producer, 0);
            return WF_OK;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            wf_log_error("kafka produce refused topic=%s error=\"%s\"", topic,
                         rd_kafka_err2str(err));
            return WF_EIO;
        }
        /* backpressure: the brokers are slow or down; wait for room, never drop */
        int64_t now = wf_clock_mono_us();
        if (!blocked_since)
            blocked_since = now;
        else if (now - blocked_since > S_STALL_WARN_US) {
            wf_log_warn("kafka producer queue full for 5 s (brokers down or slow?) topic=%s",
                        topic);
            wf_transport_count(self->transport, "transport.stalls", 1);
            blocked_since = now;
        }
        if (wf_service_stopping())
            return WF_EINTR; /* not queued; its input was not acknowledged, so it comes back */
        rd_kafka_poll(self->producer, S_POLL_SLICE_MS);
    }
}

static int s_flush(wf_transport_backend_t *self, int timeout_ms, bool honour_stop)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : wf_clock_mono_us() + timeout_ms * 1000LL;
    uint64_t failures_before = self->delivery_failures;
    while (rd_kafka_outq_len(self->producer) > 0) {
        if (self->fatal)
            return WF_EIO;
        if (honour_stop && wf_service_stopping())
            return WF_EINTR;
        if (wf_clock_mono_us() >= deadline)
            return WF_ETIMEDOUT;
        rd_kafka_flush(self->producer, S_POLL_SLICE_MS);
    }
    rd_kafka_poll(self->producer, 0);
    if (self->delivery_failures != failures_before) {
        wf_log_error("kafka messages were not delivered last_error=\"%s\"",
                     self->last_delivery_error);
        return WF_EIO;
    }
    return WF_OK;
}

static void s_set_state_rebuild(wf_transport_backend_t *self, int64_t warmup_us)
{
    self->warmup_us = warmup_us;
}

const wf_transport_ops_t wf_transport_kafka_ops = {
    .name = "kafka",
    .create = s_create,
    .subscribe = wf_kafka_subscribe,
    .partition = s_partition,
    .send = s_send,
    .flush = s_flush,
    .recv = wf_kafka_recv,
    .ack = wf_kafka_ack,
    .set_state_rebuild = s_set_state_rebuild,
    .destroy = s_destroy,
};
