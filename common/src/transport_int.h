/* transport_int.h — what a transport back end implements (private to libwfcommon).
 *
 * transport.c owns everything both back ends share: stamping envelope headers, encoding,
 * decoding, sequence/gap tracking and the delivery array. A back end only moves bytes: it sends
 * one encoded envelope at a time (batching as it likes) and receives "units", each either one
 * encoded Envelope or one encoded Batch of them.
 */
#ifndef WF_TRANSPORT_INT_H
#define WF_TRANSPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/transport.h>

#include "transport_seq.h"

typedef struct {
    const char *topic;   /* borrowed from the back end */
    const uint8_t *data; /* encoded Envelope or Batch, valid until the next back-end recv */
    size_t len;
    bool is_batch;     /* data is a wf.Batch */
    int32_t partition; /* -1 where there is none */
    int64_t offset;    /* back-end position of the unit */
    bool replay;       /* re-read to rebuild state (see wf_transport_set_state_rebuild) */
    bool handled_here; /* replay of a message this process handled live before */
} wf_transport_unit_t;

typedef struct wf_transport_backend_t wf_transport_backend_t;

typedef struct {
    const char *name;
    /* Creates the back end; NULL and errbuf on failure. */
    wf_transport_backend_t *(*create)(wf_transport_t *transport, const wf_config_t *config,
                                      const char *group, char *errbuf, size_t errlen);
    int (*subscribe)(wf_transport_backend_t *backend, const char *topic);
    /* The partition key maps to on topic, so that sequence numbers are stamped per partition
     * (a consumer owning some partitions then sees no false gaps); -1 where there are no
     * partitions. May wait for metadata; WF_EINTR when asked to stop meanwhile. */
    int (*partition)(wf_transport_backend_t *backend, const char *topic, const void *key,
                     size_t key_len, int32_t *partition);
    /* Sends one encoded envelope (copied) to partition (-1: the back end's choice).
     * timestamp_us is the envelope's ingest time: Kafka stamps the message with it, so every
     * stage's topic is ordered by when the event entered Watchfloor (see the merge in
     * transport_kafka_consume.c). */
    int (*send)(wf_transport_backend_t *backend, const char *topic, int32_t partition,
                const void *key, size_t key_len, int64_t timestamp_us, const uint8_t *data,
                size_t len);
    int (*flush)(wf_transport_backend_t *backend, int timeout_ms, bool honour_stop);
    /* Receives up to about max envelopes as units into *units (owned by the back end). */
    int (*recv)(wf_transport_backend_t *backend, const wf_transport_unit_t **units, size_t max,
                int timeout_ms);
    /* Every unit returned so far is processed: commit/checkpoint. */
    int (*ack)(wf_transport_backend_t *backend);
    /* Optional (NULL: never rebalances): see wf_transport_set_state_rebuild. */
    void (*set_state_rebuild)(wf_transport_backend_t *backend, int64_t warmup_us);
    void (*destroy)(wf_transport_backend_t **backend_p);
} wf_transport_ops_t;

extern const wf_transport_ops_t wf_transport_zmq_ops;
extern const wf_transport_ops_t wf_transport_kafka_ops;

/* For back ends: the assignment changed; forget sequence state and tell the service. */
void wf_transport_assignment_changed(wf_transport_t *transport);

/* For back ends: the sequence tracker of the transport (to load/save checkpoints). */
wf_seqtrack_t *wf_transport_seqtrack(wf_transport_t *transport);

/* For back ends: the last sequence number published on topic by this transport (0: none). */
uint64_t wf_transport_published(const wf_transport_t *transport, const char *topic);

/* For back ends: set the gauge name (no-op without stats). */
void wf_transport_gauge(wf_transport_t *transport, const char *name, int64_t value);

/* For back ends: count name by delta in the transport's stats (no-op without stats). */
void wf_transport_count(wf_transport_t *transport, const char *name, uint64_t delta);

#endif
