/* transport_zmq_int.h — what the ZeroMQ back end's two files share: the back end's state
 * (transport_zmq.c: set-up, consuming, checkpoints; transport_zmq_send.c: producing). */
#ifndef WF_TRANSPORT_ZMQ_INT_H
#define WF_TRANSPORT_ZMQ_INT_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zmq.h>

#include <wf/clock.h>

#include "transport_int.h"

#define WF_ZMQ_POLL_SLICE_MS 100
#define WF_ZMQ_STALL_WARN_US (5 * WF_US_PER_SEC)

typedef struct {
    char *topic;
    char *group;
    void *socket;   /* PUSH, connected to the group's endpoint */
    uint8_t *frame; /* pending wf.Batch encoding */
    size_t len, cap;
    size_t count;  /* envelopes in frame */
    bool stalled;  /* warned that the group is not taking messages */
    bool observer; /* zmq.observers: drop rather than block */
    uint64_t dropped_since_log;
    int64_t stalled_since_us;
} wf_zmq_route_t;

typedef struct {
    char *topic;
    void *socket; /* PULL, bound */
    int lock_fd;  /* record lock held while this process consumes the endpoint */
} wf_zmq_subscription_t;

struct wf_transport_backend_t {
    wf_transport_t *transport; /* owner (for stats and sequence state) */
    const wf_config_t *config; /* borrowed */
    void *ctx;
    char dir[PATH_MAX]; /* zmq.dir */
    char group[64];
    size_t batch_max;
    int hwm;
    int linger_ms;
    wf_zmq_route_t *routes;
    size_t nroutes;
    char **routed_topics; /* topics whose routes are resolved (maybe to none) */
    size_t nrouted_topics;
    wf_zmq_subscription_t *subs;
    size_t nsubs;
    zmq_msg_t *msgs; /* frames of the last recv */
    size_t nmsgs, msgs_cap;
    wf_transport_unit_t *units;
    int64_t frames_received;
    char checkpoint_path[PATH_MAX];
    int64_t next_checkpoint_us;
    bool checkpoint_dirty;
};

/* "ipc://<zmq.dir>/<topic>@<group>"; WF_ERANGE when it does not fit an ipc path. */
int wf_zmq_endpoint(const wf_transport_backend_t *self, const char *topic, const char *group,
                    char *out, size_t len);

/* Producing (transport_zmq_send.c): the ops' send and flush. */
int wf_zmq_send(wf_transport_backend_t *self, const char *topic, int32_t partition, const void *key,
                size_t key_len, int64_t timestamp_us, const uint8_t *data, size_t len);
int wf_zmq_flush(wf_transport_backend_t *self, int timeout_ms, bool honour_stop);

#endif
