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

#include "transport_zmq_int.h"

#define S_CHECKPOINT_EVERY_US   (100 * 1000)
#define S_CHECKPOINT_MAX_AGE_US (7 * WF_US_PER_DAY)

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

int wf_zmq_endpoint(const wf_transport_backend_t *self, const char *topic, const char *group,
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
        const wf_zmq_route_t *route = &self->routes[i];
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
    if (wf_zmq_endpoint(self, topic, self->group, endpoint, sizeof endpoint) != WF_OK) {
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
    wf_zmq_subscription_t *grown = realloc(self->subs, (self->nsubs + 1) * sizeof *grown);
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
    wf_zmq_subscription_t *sub = &self->subs[self->nsubs++];
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
static size_t s_drain(wf_transport_backend_t *self, const wf_zmq_subscription_t *sub, size_t max,
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

const wf_transport_ops_t wf_transport_zmq_ops = {
    .name = "zmq",
    .create = s_create,
    .subscribe = s_subscribe,
    .send = wf_zmq_send,
    .flush = wf_zmq_flush,
    .recv = s_recv,
    .ack = s_ack,
    .destroy = s_destroy,
};
