/* transport_zmq.c — the ZeroMQ back end: one machine, no broker.
 *
 * Topology: every (topic, consumer group) pair is one ipc:// endpoint in zmq.dir, bound by the
 * consumer with a PULL socket; producers connect one PUSH socket per consumer group listed in
 * zmq.consumers.<stream>, so each group gets every message (fan-out) while a group's endpoint
 * admits one running consumer (a lock file enforces it). Envelopes travel in frames that are
 * encoded wf.Batch messages, built by appending (tag, length, envelope) so no second encode is
 * needed.
 *
 * Guarantee: while both sides run, nothing is dropped — a full queue blocks the producer
 * (backpressure), and a consumer that is down makes its producers queue up to zmq.hwm frames
 * and then wait. Messages inside a consumer that is killed are lost; the consumer checkpoints
 * the last acknowledged sequence number of every producer at each ack, so after a restart it
 * counts and logs the gap. Durable, replayable delivery is the Kafka back end's job.
 *
 * Observers (zmq.observers, e.g. the console) are the exception: a group that only watches must
 * never stall the pipeline, so a frame it cannot take at once is dropped for it and counted;
 * its sequence tracking shows the gap and it recovers from PostGIS.
 *
 * Closing: libzmq 4.3 can discard frames still in flight when a sender disconnects while the
 * receiver's queue is full (libzmq issue #4660: ipc ignores ZMQ_LINGER), so linger alone does not
 * make a clean exit lossless. A closing producer therefore waits until every consumer group's
 * checkpoint shows its last sequence number acknowledged — the checkpoint file doubles as the
 * acknowledgement channel — for as long as the consumer keeps making progress.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zmq.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "transport_int.h"

#define S_POLL_SLICE_MS         100
#define S_STALL_WARN_US         (5 * WF_US_PER_SEC)
#define S_CHECKPOINT_EVERY_US   (100 * 1000)
#define S_CHECKPOINT_MAX_AGE_US (7 * WF_US_PER_DAY)

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
} s_route_t;

typedef struct {
    char *topic;
    void *socket; /* PULL, bound */
    int lock_fd;  /* record lock held while this process consumes the endpoint */
} s_subscription_t;

struct wf_transport_backend_t {
    wf_transport_t *transport; /* owner (for stats and sequence state) */
    const wf_config_t *config; /* borrowed */
    void *ctx;
    char dir[PATH_MAX]; /* zmq.dir */
    char group[64];
    size_t batch_max;
    int hwm;
    int linger_ms;
    s_route_t *routes;
    size_t nroutes;
    char **routed_topics; /* topics whose routes are resolved (maybe to none) */
    size_t nrouted_topics;
    s_subscription_t *subs;
    size_t nsubs;
    zmq_msg_t *msgs; /* frames of the last recv */
    size_t nmsgs, msgs_cap;
    wf_transport_unit_t *units;
    int64_t frames_received;
    char checkpoint_path[PATH_MAX];
    int64_t next_checkpoint_us;
    bool checkpoint_dirty;
};

static int s_make_dir(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return WF_EIO;
        *p = '/';
    }
    return mkdir(buf, 0755) != 0 && errno != EEXIST ? WF_EIO : WF_OK;
}

static int s_endpoint(const wf_transport_backend_t *self, const char *topic, const char *group,
                      char *out, size_t len)
{
    int n = snprintf(out, len, "ipc://%s/%s@%s", self->dir, topic, group);
    /* ipc paths live in sockaddr_un.sun_path (108 bytes) */
    return n < 0 || (size_t)n >= len || n - 6 >= 107 ? WF_ERANGE : WF_OK;
}

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
    snprintf(self->dir, sizeof self->dir, "%s", wf_config_string(config, "zmq.dir"));
    snprintf(self->group, sizeof self->group, "%s", group);
    self->batch_max = (size_t)wf_config_int(config, "transport.batch_max");
    self->hwm = (int)wf_config_int(config, "zmq.hwm");
    self->linger_ms = (int)(wf_config_duration_us(config, "transport.shutdown_grace") / 1000);
    self->ctx = zmq_ctx_new();
    char state[PATH_MAX];
    snprintf(state, sizeof state, "%s/zmq", wf_config_string(config, "state_dir"));
    if (!self->ctx || s_make_dir(self->dir) != WF_OK || s_make_dir(state) != WF_OK) {
        snprintf(errbuf, errlen, "cannot set up ZeroMQ in %s and %s: %s", self->dir, state,
                 strerror(errno));
        goto fail;
    }
    if (snprintf(self->checkpoint_path, sizeof self->checkpoint_path, "%s/%s.seq", state, group) >=
        (int)sizeof self->checkpoint_path) {
        snprintf(errbuf, errlen, "state_dir path too long");
        goto fail;
    }
    int rc = wf_seqtrack_load(wf_transport_seqtrack(transport), self->checkpoint_path);
    if (rc != WF_OK)
        wf_log_warn("ignoring unreadable sequence checkpoint path=%s error=\"%s\"",
                    self->checkpoint_path, wf_strerror(rc));
    return self;
fail:
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self);
    return NULL;
}

static void s_save_checkpoint(wf_transport_backend_t *self)
{
    if (!self->checkpoint_dirty)
        return;
    int64_t now = wf_clock_now_us();
    if (wf_seqtrack_save(wf_transport_seqtrack(self->transport), self->checkpoint_path, now,
                         S_CHECKPOINT_MAX_AGE_US) != WF_OK)
        wf_log_warn("cannot write the sequence checkpoint path=%s", self->checkpoint_path);
    self->checkpoint_dirty = false;
}

/* The sequence number group has acknowledged for (producer, topic), from its checkpoint. */
static uint64_t s_acknowledged(const wf_transport_backend_t *self, const char *group,
                               const char *topic)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/zmq/%s.seq", wf_config_string(self->config, "state_dir"),
             group);
    wf_seqtrack_t *seen = wf_seqtrack_new();
    uint64_t acked = 0;
    if (seen && wf_seqtrack_load(seen, path) == WF_OK)
        acked = wf_seqtrack_last(seen, wf_transport_producer_id(self->transport), topic);
    wf_seqtrack_destroy(&seen);
    return acked;
}

/* Waits until every consumer group acknowledged what this producer published, giving up when a
 * group makes no progress for the shutdown grace period. */
static void s_await_acknowledgements(wf_transport_backend_t *self)
{
    int64_t grace_us = (int64_t)self->linger_ms * 1000;
    for (size_t i = 0; i < self->nroutes; i++) {
        const s_route_t *route = &self->routes[i];
        if (route->observer)
            continue;
        uint64_t target = wf_transport_published(self->transport, route->topic);
        uint64_t acked = 0, progress = 0;
        int64_t last_progress_us = wf_clock_mono_us();
        while (target > 0 && (acked = s_acknowledged(self, route->group, route->topic)) < target) {
            int64_t now = wf_clock_mono_us();
            if (acked > progress) {
                progress = acked;
                last_progress_us = now;
            } else if (now - last_progress_us > grace_us) {
                wf_log_warn("consumer group did not acknowledge everything before shutdown; "
                            "unconfirmed messages may be lost topic=%s group=%s "
                            "unconfirmed=%llu",
                            route->topic, route->group, (unsigned long long)(target - acked));
                wf_transport_count(self->transport, "transport.unconfirmed_at_close",
                                   target - acked);
                break;
            }
            wf_clock_sleep_us(20 * 1000);
        }
    }
}

static void s_destroy(wf_transport_backend_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wf_transport_backend_t *self = *self_p;
    s_await_acknowledgements(self);
    s_save_checkpoint(self);
    for (size_t i = 0; i < self->nmsgs; i++)
        zmq_msg_close(&self->msgs[i]);
    for (size_t i = 0; i < self->nroutes; i++) {
        zmq_close(self->routes[i].socket);
        free(self->routes[i].topic);
        free(self->routes[i].group);
        free(self->routes[i].frame);
    }
    for (size_t i = 0; i < self->nsubs; i++) {
        zmq_close(self->subs[i].socket);
        close(self->subs[i].lock_fd); /* releases the lock */
        free(self->subs[i].topic);
    }
    for (size_t i = 0; i < self->nrouted_topics; i++)
        free(self->routed_topics[i]);
    zmq_ctx_term(self->ctx);
    free(self->routes);
    free(self->routed_topics);
    free(self->subs);
    free(self->msgs);
    free(self->units);
    free(self);
    *self_p = NULL;
}

/* ---- consuming ---------------------------------------------------------------------------- */

static int s_subscribe(wf_transport_backend_t *self, const char *topic)
{
    char endpoint[PATH_MAX + 16], lock_path[PATH_MAX + 16];
    if (s_endpoint(self, topic, self->group, endpoint, sizeof endpoint) != WF_OK) {
        wf_log_error("ipc endpoint path too long (max 107 bytes) topic=%s dir=%s", topic,
                     self->dir);
        return WF_ERANGE;
    }
    snprintf(lock_path, sizeof lock_path, "%s.lock", endpoint + 6);
    /* a POSIX record lock belongs to this process only (unlike flock, a forked child does not
     * inherit it) and vanishes with the process, however it dies */
    int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (lock_fd < 0 || fcntl(lock_fd, F_SETLK, &lock) != 0) {
        wf_log_error("another %s is already consuming this endpoint (ZeroMQ mode runs one "
                     "consumer per group; use Kafka to scale out) topic=%s lock=%s",
                     self->group, topic, lock_path);
        if (lock_fd >= 0)
            close(lock_fd);
        return WF_EEXIST;
    }
    s_subscription_t *grown = realloc(self->subs, (self->nsubs + 1) * sizeof *grown);
    if (!grown) {
        close(lock_fd);
        return WF_ENOMEM;
    }
    self->subs = grown;
    void *socket = zmq_socket(self->ctx, ZMQ_PULL);
    zmq_setsockopt(socket, ZMQ_RCVHWM, &self->hwm, sizeof self->hwm);
    if (zmq_bind(socket, endpoint) != 0) {
        wf_log_error("cannot bind endpoint=%s error=\"%s\"", endpoint, zmq_strerror(errno));
        zmq_close(socket);
        close(lock_fd);
        return WF_EIO;
    }
    s_subscription_t *sub = &self->subs[self->nsubs++];
    sub->topic = strdup(topic);
    sub->socket = socket;
    sub->lock_fd = lock_fd;
    wf_log_info("consuming topic=%s endpoint=%s", topic, endpoint);
    return sub->topic ? WF_OK : WF_ENOMEM;
}

/* Counts the envelopes of a wf.Batch frame by walking its top-level fields. */
static size_t s_frame_envelopes(const uint8_t *p, size_t len)
{
    size_t count = 0, at = 0;
    while (at < len) {
        at++; /* tag of field 1 (one byte) */
        uint64_t n = 0;
        for (int shift = 0; at < len && shift < 64; shift += 7) {
            uint8_t b = p[at++];
            n |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80))
                break;
        }
        at += n;
        count++;
    }
    return count;
}

static bool s_grow_msgs(wf_transport_backend_t *self)
{
    if (self->nmsgs < self->msgs_cap)
        return true;
    size_t cap = self->msgs_cap ? self->msgs_cap * 2 : 64;
    zmq_msg_t *msgs = realloc(self->msgs, cap * sizeof *msgs);
    if (!msgs)
        return false;
    self->msgs = msgs;
    wf_transport_unit_t *units = realloc(self->units, cap * sizeof *units);
    if (!units)
        return false;
    self->units = units;
    self->msgs_cap = cap;
    return true;
}

/* Reads ready frames from one subscription until about max envelopes are gathered. */
static size_t s_drain(wf_transport_backend_t *self, const s_subscription_t *sub, size_t max,
                      size_t have)
{
    while (have < max && s_grow_msgs(self)) {
        zmq_msg_t *msg = &self->msgs[self->nmsgs];
        zmq_msg_init(msg);
        if (zmq_msg_recv(msg, sub->socket, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(msg);
            break;
        }
        wf_transport_unit_t *unit = &self->units[self->nmsgs++];
        unit->topic = sub->topic;
        unit->data = zmq_msg_data(msg);
        unit->len = zmq_msg_size(msg);
        unit->is_batch = true;
        unit->partition = -1;
        unit->offset = ++self->frames_received;
        unit->replay = false; /* no history to re-read: ZeroMQ never rebalances */
        have += s_frame_envelopes(unit->data, unit->len);
    }
    return have;
}

static int s_recv(wf_transport_backend_t *self, const wf_transport_unit_t **units, size_t max,
                  int timeout_ms)
{
    /* an idle consumer still publishes its last acknowledgement (producers wait on it) */
    if (self->checkpoint_dirty && wf_clock_mono_us() >= self->next_checkpoint_us) {
        s_save_checkpoint(self);
        self->next_checkpoint_us = wf_clock_mono_us() + S_CHECKPOINT_EVERY_US;
    }
    for (size_t i = 0; i < self->nmsgs; i++)
        zmq_msg_close(&self->msgs[i]);
    self->nmsgs = 0;
    *units = self->units;
    if (self->nsubs == 0) {
        wf_clock_sleep_us((int64_t)timeout_ms * 1000);
        return 0;
    }
    zmq_pollitem_t items[16];
    size_t n = self->nsubs < 16 ? self->nsubs : 16;
    for (size_t i = 0; i < n; i++)
        items[i] = (zmq_pollitem_t){.socket = self->subs[i].socket, .events = ZMQ_POLLIN};
    int ready = zmq_poll(items, (int)n, timeout_ms);
    if (ready < 0)
        return errno == EINTR ? 0 : WF_EIO;
    size_t have = 0;
    for (size_t i = 0; i < n && have < max; i++)
        if (items[i].revents & ZMQ_POLLIN)
            have = s_drain(self, &self->subs[i], max, have);
    *units = self->units;
    return (int)self->nmsgs;
}

static int s_ack(wf_transport_backend_t *self)
{
    self->checkpoint_dirty = true;
    int64_t now = wf_clock_mono_us();
    if (now >= self->next_checkpoint_us) {
        s_save_checkpoint(self);
        self->next_checkpoint_us = now + S_CHECKPOINT_EVERY_US;
    }
    return WF_OK;
}

/* ---- producing ------------------------------------------------------------------------ */

/* The consumer groups of topic: zmq.consumers.<stream> where topics.<stream> names topic. */
static size_t s_consumer_groups(const wf_transport_backend_t *self, const char *topic,
                                const char *const **groups)
{
    *groups = NULL;
    for (const wf_config_key_t *key = wf_config_keys(); key->key; key++) {
        if (strncmp(key->key, "topics.", 7) != 0 ||
            strcmp(wf_config_string(self->config, key->key), topic) != 0)
            continue;
        char consumers[128];
        snprintf(consumers, sizeof consumers, "zmq.consumers.%s", key->key + 7);
        return wf_config_list(self->config, consumers, groups);
    }
    return 0;
}

static bool s_is_resolved(const wf_transport_backend_t *self, const char *topic)
{
    for (size_t i = 0; i < self->nrouted_topics; i++)
        if (strcmp(self->routed_topics[i], topic) == 0)
            return true;
    return false;
}

static bool s_is_observer(const wf_transport_backend_t *self, const char *group)
{
    const char *const *observers;
    size_t n = wf_config_list(self->config, "zmq.observers", &observers);
    for (size_t i = 0; i < n; i++)
        if (strcmp(observers[i], group) == 0)
            return true;
    return false;
}

static int s_add_route(wf_transport_backend_t *self, const char *topic, const char *group)
{
    char endpoint[PATH_MAX + 16];
    if (s_endpoint(self, topic, group, endpoint, sizeof endpoint) != WF_OK) {
        wf_log_error("ipc endpoint path too long (max 107 bytes) topic=%s dir=%s", topic,
                     self->dir);
        return WF_ERANGE;
    }
    s_route_t *grown = realloc(self->routes, (self->nroutes + 1) * sizeof *grown);
    if (!grown)
        return WF_ENOMEM;
    self->routes = grown;
    s_route_t *route = &self->routes[self->nroutes];
    memset(route, 0, sizeof *route);
    route->observer = s_is_observer(self, group);
    int hwm = route->observer ? (int)wf_config_int(self->config, "zmq.observer_hwm") : self->hwm;
    route->socket = zmq_socket(self->ctx, ZMQ_PUSH);
    zmq_setsockopt(route->socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* what an observer has not taken by shutdown is not waited for either */
    int linger_ms = route->observer ? 0 : self->linger_ms;
    zmq_setsockopt(route->socket, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    if (zmq_connect(route->socket, endpoint) != 0) {
        wf_log_error("cannot connect endpoint=%s error=\"%s\"", endpoint, zmq_strerror(errno));
        zmq_close(route->socket);
        return WF_EIO;
    }
    route->topic = strdup(topic);
    route->group = strdup(group);
    self->nroutes++;
    wf_log_info("producing topic=%s group=%s endpoint=%s%s", topic, group, endpoint,
                route->observer ? " (observer: never blocks)" : "");
    return route->topic && route->group ? WF_OK : WF_ENOMEM;
}

/* Connects the routes of topic the first time it is published to. */
static int s_resolve(wf_transport_backend_t *self, const char *topic)
{
    if (s_is_resolved(self, topic))
        return WF_OK;
    const char *const *groups;
    size_t n = s_consumer_groups(self, topic, &groups);
    for (size_t i = 0; i < n; i++) {
        int rc = s_add_route(self, topic, groups[i]);
        if (rc)
            return rc;
    }
    if (n == 0)
        wf_log_notice("no consumer group receives this topic in ZeroMQ mode; its messages are "
                      "counted as transport.unrouted (set zmq.consumers.*) topic=%s",
                      topic);
    char **grown = realloc(self->routed_topics, (self->nrouted_topics + 1) * sizeof *grown);
    if (!grown)
        return WF_ENOMEM;
    self->routed_topics = grown;
    if (!(self->routed_topics[self->nrouted_topics] = strdup(topic)))
        return WF_ENOMEM;
    self->nrouted_topics++;
    return WF_OK;
}

/* An observer's frame goes now or not at all. Drops are logged at most once a minute. */
static int s_send_observer_frame(wf_transport_backend_t *self, s_route_t *route)
{
    if (zmq_send(route->socket, route->frame, route->len, ZMQ_DONTWAIT) >= 0) {
        wf_transport_count(self->transport, "transport.frames_sent", 1);
    } else if (errno == EAGAIN || errno == EINTR) {
        wf_transport_count(self->transport, "transport.observer_dropped", route->count);
        route->dropped_since_log += route->count;
        int64_t now = wf_clock_mono_us();
        if (!route->stalled || now - route->stalled_since_us > 60 * WF_US_PER_SEC) {
            wf_log_warn("observer group is not taking messages (down or slow); dropping them "
                        "for it, the pipeline goes on topic=%s group=%s dropped=%llu",
                        route->topic, route->group, (unsigned long long)route->dropped_since_log);
            route->stalled = true;
            route->stalled_since_us = now;
            route->dropped_since_log = 0;
        }
    } else {
        wf_log_error("ZeroMQ send failed topic=%s group=%s error=\"%s\"", route->topic,
                     route->group, zmq_strerror(errno));
        return WF_EIO;
    }
    route->len = 0;
    route->count = 0;
    return WF_OK;
}

/* Sends a route's pending frame, blocking while the consumer's queue is full. */
static int s_send_frame(wf_transport_backend_t *self, s_route_t *route, int timeout_ms,
                        bool honour_stop)
{
    if (route->observer)
        return s_send_observer_frame(self, route);
    int64_t start = wf_clock_mono_us();
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : start + (int64_t)timeout_ms * 1000;
    while (zmq_send(route->socket, route->frame, route->len, ZMQ_DONTWAIT) < 0) {
        if (errno != EAGAIN && errno != EINTR) {
            wf_log_error("ZeroMQ send failed topic=%s group=%s error=\"%s\"", route->topic,
                         route->group, zmq_strerror(errno));
            return WF_EIO;
        }
        int64_t now = wf_clock_mono_us();
        if (!route->stalled && now - start > S_STALL_WARN_US) {
            wf_log_warn("consumer group is not taking messages (down or slow); holding them "
                        "and blocking (backpressure) topic=%s group=%s queued_frames=%d",
                        route->topic, route->group, self->hwm);
            route->stalled = true;
            wf_transport_count(self->transport, "transport.stalls", 1);
        }
        if (honour_stop && wf_service_stopping())
            return WF_EINTR;
        if (now >= deadline)
            return WF_ETIMEDOUT;
        int64_t left_ms = (deadline - now) / 1000;
        zmq_pollitem_t item = {.socket = route->socket, .events = ZMQ_POLLOUT};
        zmq_poll(&item, 1, left_ms < S_POLL_SLICE_MS ? (int)left_ms + 1 : S_POLL_SLICE_MS);
    }
    if (route->stalled) {
        wf_log_notice("consumer group is taking messages again topic=%s group=%s", route->topic,
                      route->group);
        route->stalled = false;
    }
    route->len = 0;
    route->count = 0;
    wf_transport_count(self->transport, "transport.frames_sent", 1);
    return WF_OK;
}

/* Appends one envelope to a route's frame as field 1 of wf.Batch. */
static int s_append(s_route_t *route, const uint8_t *data, size_t len)
{
    if (route->len + len + 11 > route->cap) {
        size_t cap = route->cap ? route->cap : 65536;
        while (cap < route->len + len + 11)
            cap *= 2;
        uint8_t *grown = realloc(route->frame, cap);
        if (!grown)
            return WF_ENOMEM;
        route->frame = grown;
        route->cap = cap;
    }
    route->frame[route->len++] = 0x0A; /* field 1, length-delimited */
    for (uint64_t v = len;; v >>= 7) {
        route->frame[route->len++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f)
            break;
    }
    memcpy(route->frame + route->len, data, len);
    route->len += len;
    route->count++;
    return WF_OK;
}

static int s_send(wf_transport_backend_t *self, const char *topic, int32_t partition,
                  const void *key, size_t key_len, int64_t timestamp_us, const uint8_t *data,
                  size_t len)
{
    (void)partition; /* one consumer per group, fed in publishing order: nothing to partition */
    (void)timestamp_us;
    (void)key;
    (void)key_len;
    int rc = s_resolve(self, topic);
    if (rc)
        return rc;
    bool routed = false;
    int result = WF_OK;
    for (size_t i = 0; i < self->nroutes; i++) {
        s_route_t *route = &self->routes[i];
        if (strcmp(route->topic, topic) != 0)
            continue;
        routed = true;
        if ((rc = s_append(route, data, len)) != WF_OK)
            return rc;
        /* the envelope is queued from here on: a refusal to wait is reported, not a loss */
        if (route->count >= self->batch_max && (rc = s_send_frame(self, route, -1, true)))
            result = rc;
    }
    if (!routed)
        wf_transport_count(self->transport, "transport.unrouted", 1);
    return result;
}

static int s_flush(wf_transport_backend_t *self, int timeout_ms, bool honour_stop)
{
    int64_t deadline = wf_clock_mono_us() + (int64_t)timeout_ms * 1000;
    for (size_t i = 0; i < self->nroutes; i++) {
        s_route_t *route = &self->routes[i];
        if (route->count == 0)
            continue;
        int left = -1;
        if (timeout_ms >= 0) {
            int64_t remaining = deadline - wf_clock_mono_us();
            left = remaining > 0 ? (int)(remaining / 1000) : 0;
        }
        int rc = s_send_frame(self, route, left, honour_stop);
        if (rc)
            return rc;
    }
    return WF_OK;
}

const wf_transport_ops_t wf_transport_zmq_ops = {
    .name = "zmq",
    .create = s_create,
    .subscribe = s_subscribe,
    .send = s_send,
    .flush = s_flush,
    .recv = s_recv,
    .ack = s_ack,
    .destroy = s_destroy,
};
