/* transport.h — the one message bus interface every service uses.
 *
 * A service publishes Envelopes to named topics with a partition key and receives them in
 * batches from the topics it subscribed to. Which back end carries them (ZeroMQ on one machine,
 * Kafka for scale-out) is chosen by configuration alone ("transport.backend"); no service
 * changes its code to switch.
 *
 * Delivery contract shared by both back ends:
 *  - publish() stamps the envelope header (schema version, type, producer id, sequence number
 *    per topic, publish time) and queues it; under backpressure it blocks, polling the stop
 *    flag, and never drops: it returns WF_EINTR if asked to stop while blocked.
 *  - recv() hands back a batch of decoded envelopes, valid until the next recv() or destroy().
 *    Envelopes that cannot be decoded are not returned; they are counted and reported through
 *    wf_transport_take_rejects() so the service can dead-letter them.
 *  - ack() declares that every delivery returned so far has had its effects made durable
 *    (rows written, outputs flushed). Only acknowledged positions are committed (Kafka) or
 *    checkpointed (ZeroMQ), so a crash replays from the last ack: at-least-once.
 *  - Gap detection: consumers track sequence numbers per (producer, topic); every hole is
 *    counted ("transport.gap_messages") and logged with the producer and the range.
 *
 * Thread: a transport object is used by the one thread that created it.
 */
#ifndef WF_TRANSPORT_H
#define WF_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/config.h>
#include <wf/stats.h>
#include <wf/watchfloor.pb-c.h>

#define WF_SCHEMA_VERSION 1

typedef struct wf_transport_t wf_transport_t;

typedef struct {
    const char *topic;      /* topic it arrived on (borrowed) */
    Wf__Envelope *envelope; /* decoded message (borrowed, valid until the next recv) */
    int32_t partition;      /* back-end partition; -1 where there is none */
    int64_t offset;         /* back-end position (Kafka offset, or the sequence number) */
    bool replay;            /* re-read to rebuild state after a rebalance: already processed,
                               so update state only; publish and persist nothing */
    bool handled_here;      /* replay of a message this process handled live under an earlier
                               assignment, when it may not have owned every partition it owns
                               now: what it derived then from state across partitions may be
                               incomplete (see wf_transport_set_state_rebuild) */
} wf_delivery_t;

/* A frame or message that arrived but could not be decoded. */
typedef struct {
    const char *topic;   /* borrowed */
    const uint8_t *data; /* raw bytes (borrowed, valid until the next recv) */
    size_t len;
    const char *reason; /* why it was rejected */
    char position[64];  /* "topic/partition/offset" or "topic@group frame N" */
} wf_transport_reject_t;

/* Creates the back end named by transport.backend. group names this consumer ("enrich");
 * service names the producer (the producer id adds host and pid). stats receives the transport
 * counters (borrowed; may be NULL). Returns NULL and a reason in errbuf on failure. */
wf_transport_t *wf_transport_new(const wf_config_t *config, const char *service, const char *group,
                                 wf_stats_t *stats, char *errbuf, size_t errlen);

/* Flushes what is queued (up to the configured shutdown grace), writes the final checkpoint and
 * frees everything. NULL-safe; sets *self_p to NULL. */
void wf_transport_destroy(wf_transport_t **self_p);

/* Subscribes to topic as this transport's group. Call before the first recv(). */
int wf_transport_subscribe(wf_transport_t *self, const char *topic);

/* Stamps and queues envelope for topic. key selects the partition (Kafka: events of one
 * geographic cell stay in one partition); it may be NULL. The envelope is not retained: the
 * caller may reuse it at once. Returns 0, WF_EINTR (stop requested while blocked on
 * backpressure) or WF_EIO. */
int wf_transport_publish(wf_transport_t *self, const char *topic, const void *key, size_t key_len,
                         Wf__Envelope *envelope);

/* Sends everything queued; waits at most timeout_ms (-1: until sent or stopped).
 * Returns 0, WF_ETIMEDOUT, WF_EINTR or WF_EIO. */
int wf_transport_flush(wf_transport_t *self, int timeout_ms);

/* Waits up to timeout_ms for messages and returns at most max of them in *deliveries (an array
 * owned by the transport). Returns the number delivered (0 on timeout) or a negative WF_E…. */
int wf_transport_recv(wf_transport_t *self, const wf_delivery_t **deliveries, size_t max,
                      int timeout_ms);

/* Rejected (undecodable) messages seen by the last recv(); borrowed until the next recv(). */
size_t wf_transport_take_rejects(wf_transport_t *self, const wf_transport_reject_t **rejects);

/* Every delivery returned so far has been fully processed and its effects are durable. */
int wf_transport_ack(wf_transport_t *self);

/* Called when the partitions this consumer owns change (Kafka rebalance): the service drops the
 * state it keeps across messages (near-repeat windows, throttles), which belonged to the old
 * assignment. */
typedef void wf_transport_reset_fn(void *user);

/* Declares that this consumer keeps state spanning warmup_us of log time. After every
 * rebalance the transport calls reset, then re-reads each partition it now owns from warmup_us
 * before its committed position; those deliveries come with replay set, so the service
 * rebuilds the state the previous owners had. Owners never saw each other's partitions, so
 * anything derived across partitions (a pair of events in two of them) may be news to all:
 * replayed messages this process handled live itself come with handled_here too, and a result
 * involving a live or handled_here message should be published again (keyed ids make the
 * repeats harmless). Call before the first recv(). The ZeroMQ back end never rebalances and
 * never calls reset. */
void wf_transport_set_state_rebuild(wf_transport_t *self, int64_t warmup_us,
                                    wf_transport_reset_fn *reset, void *user);

/* The producer id this transport stamps ("enrich@host:1234"). */
const char *wf_transport_producer_id(const wf_transport_t *self);

/* Back-end name: "zmq" or "kafka". */
const char *wf_transport_backend(const wf_transport_t *self);

#endif
