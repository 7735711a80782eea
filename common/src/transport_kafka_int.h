/* transport_kafka_int.h — what the two halves of the Kafka back end share (private).
 *
 * transport_kafka.c: configuration, topics, producing, life cycle.
 * transport_kafka_consume.c: the consumer group, assignment and state rebuild, the timestamp
 * merge of partitions, commits.
 */
#ifndef WF_TRANSPORT_KAFKA_INT_H
#define WF_TRANSPORT_KAFKA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include <wf/kafka.h>

#include "transport_int.h"

typedef struct {
    char *name;
    rd_kafka_topic_t *handle; /* producer-side topic handle (for the partitioner) */
    int32_t partitions;       /* 0: not known yet */
    int64_t known_at_us;
} wf_kafka_topic_t;

/* Offsets of one partition this process handed out live, across assignments: a replay of
 * them is of work done here, when it may have owned fewer partitions than now. */
typedef struct {
    char *topic;
    int32_t partition;
    int64_t from, until; /* [from, until); from > until: none yet */
} wf_kafka_handled_t;

/* One assigned partition: its positions and the messages fetched but not yet handed out. */
typedef struct {
    char *topic;
    int32_t partition;
    int64_t next_offset;         /* one past the last offset handed out */
    int64_t acked_offset;        /* next_offset when ack() was last called */
    int64_t committed_offset;    /* last offset sent to the group coordinator */
    int64_t replay_until;        /* offsets below this were processed by a previous owner */
    size_t handled;              /* index of its range in the backend's handled[] */
    int64_t fetched_next;        /* one past the last offset fetched into the buffer */
    rd_kafka_message_t **buffer; /* FIFO of fetched messages */
    size_t head, count, cap;
    int64_t empty_since_us; /* when the buffer last ran dry (0: it has messages) */
    bool paused;            /* fetching paused: the buffer is full enough */
} wf_kafka_position_t;

struct wf_transport_backend_t {
    wf_transport_t *transport;
    const wf_config_t *config;
    char group_id[160];
    bool observer; /* kafka.observers: starts at the newest messages when it has no position */
    rd_kafka_t *producer;
    rd_kafka_t *consumer; /* created at the first subscribe */
    wf_kafka_topic_t *topics;
    size_t ntopics;
    char **subscribed;
    size_t nsubscribed;
    wf_kafka_position_t *positions; /* of the current assignment */
    size_t npositions;
    wf_kafka_handled_t *handled; /* every partition ever assigned to this process */
    size_t nhandled;
    rd_kafka_message_t **held; /* messages of the last recv */
    wf_transport_unit_t *units;
    size_t nheld, held_cap;
    int64_t warmup_us; /* 0: the service keeps no state across messages */
    int64_t next_lag_report_us;
    uint64_t delivery_failures;
    char last_delivery_error[256];
    bool fatal;
};

/* transport_kafka.c */
bool wf_kafka_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errbuf,
                  size_t errlen);
void wf_kafka_log_cb(const rd_kafka_t *rk, int level, const char *facility, const char *buf);
void wf_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque);

/* transport_kafka_consume.c */
int wf_kafka_subscribe(wf_transport_backend_t *self, const char *topic);
int wf_kafka_recv(wf_transport_backend_t *self, const wf_transport_unit_t **units, size_t max,
                  int timeout_ms);
int wf_kafka_ack(wf_transport_backend_t *self);
/* Commits what was acknowledged, leaves the group and frees the consumer side. */
void wf_kafka_close_consumer(wf_transport_backend_t *self);

#endif
