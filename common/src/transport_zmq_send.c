/* transport_zmq_send.c — the ZeroMQ back end's producing side: one PUSH socket per consumer
 * group of a topic (zmq.consumers.*), envelopes appended into wf.Batch frames, backpressure for
 * ordinary groups and drop-and-count for observers (see transport_zmq.c for the topology). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include <wf/err.h>
#include <wf/log.h>
#include <wf/service.h>

#include "transport_zmq_int.h"

#define S_OBSERVER_LINGER_MS 500

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
    if (wf_zmq_endpoint(self, topic, group, endpoint, sizeof endpoint) != WF_OK) {
        wf_log_error("ipc endpoint path too long (max 107 bytes) topic=%s dir=%s", topic,
                     self->dir);
        return WF_ERANGE;
    }
    wf_zmq_route_t *grown = realloc(self->routes, (self->nroutes + 1) * sizeof *grown);
    if (!grown)
        return WF_ENOMEM;
    self->routes = grown;
    wf_zmq_route_t *route = &self->routes[self->nroutes];
    memset(route, 0, sizeof *route);
    route->observer = s_is_observer(self, group);
    int hwm = route->observer ? (int)wf_config_int(self->config, "zmq.observer_hwm") : self->hwm;
    route->socket = zmq_socket(self->ctx, ZMQ_PUSH);
    zmq_setsockopt(route->socket, ZMQ_SNDHWM, &hwm, sizeof hwm);
    /* an observer's last frames get a moment to go out (a running console takes them in
     * milliseconds), but one that is absent does not hold the shutdown for the whole grace */
    int linger_ms = route->observer && self->linger_ms > S_OBSERVER_LINGER_MS ? S_OBSERVER_LINGER_MS
                                                                              : self->linger_ms;
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
static int s_send_observer_frame(wf_transport_backend_t *self, wf_zmq_route_t *route)
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
static int s_send_frame(wf_transport_backend_t *self, wf_zmq_route_t *route, int timeout_ms,
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
        if (!route->stalled && now - start > WF_ZMQ_STALL_WARN_US) {
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
        zmq_poll(&item, 1,
                 left_ms < WF_ZMQ_POLL_SLICE_MS ? (int)left_ms + 1 : WF_ZMQ_POLL_SLICE_MS);
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
static int s_append(wf_zmq_route_t *route, const uint8_t *data, size_t len)
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

int wf_zmq_send(wf_transport_backend_t *self, const char *topic, int32_t partition, const void *key,
                size_t key_len, int64_t timestamp_us, const uint8_t *data, size_t len)
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
        wf_zmq_route_t *route = &self->routes[i];
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

int wf_zmq_flush(wf_transport_backend_t *self, int timeout_ms, bool honour_stop)
{
    int64_t deadline = wf_clock_mono_us() + (int64_t)timeout_ms * 1000;
    for (size_t i = 0; i < self->nroutes; i++) {
        wf_zmq_route_t *route = &self->routes[i];
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
