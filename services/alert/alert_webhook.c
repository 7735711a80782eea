/* alert_webhook.c — the webhook sender: its queues, its thread, its shutdown.
 *
 * The alert loop calls alert_webhook_enqueue() for each alert of an acknowledged batch: one
 * malloc and memcpy per endpoint and a few pointer moves under the mutex, and one
 * curl_multi_wakeup() per batch when the thread may be idle. The sender thread moves queued jobs
 * into free delivery slots (at most alert.webhook.concurrency per endpoint, so a dead endpoint
 * holds only its own), starts the attempts that are due, lets curl_multi_poll() wait for sockets,
 * timers, the next retry or a wakeup, and records outcomes (alert_webhook_send.c). No lock is held
 * during network or database work.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>

#include "alert_webhook_int.h"

#define POLL_MAX_MS     1000
#define DROPPED_MAX     100000 /* drops held for recording; more are counted and logged only */
#define SHUTDOWN_REASON "shutdown: not delivered within alert.webhook.shutdown_grace"

static int s_severity_parse(const char *name, alert_severity_t *out)
{
    for (int s = ALERT_SEVERITY_MINOR; s <= ALERT_SEVERITY_EXTREME; s++)
        if (strcmp(name, alert_severity_name((alert_severity_t)s)) == 0) {
            *out = (alert_severity_t)s;
            return WF_OK;
        }
    return WF_EINVAL;
}

int alert_webhook_config_load(alert_webhook_config_t *config, const wf_config_t *wf_config,
                              char *errbuf, size_t errlen)
{
    memset(config, 0, sizeof *config);
    config->n_urls = wf_config_list(wf_config, "alert.webhook.urls", &config->urls);
    const char *format = wf_config_string(wf_config, "alert.webhook.format");
    if (strcmp(format, "json") == 0) {
        config->format = ALERT_WEBHOOK_JSON;
    } else if (strcmp(format, "cap") == 0) {
        config->format = ALERT_WEBHOOK_CAP;
    } else {
        snprintf(errbuf, errlen, "alert.webhook.format: '%s' is neither json nor cap", format);
        return WF_EINVAL;
    }
    const char *severity = wf_config_string(wf_config, "alert.webhook.min_severity");
    if (s_severity_parse(severity, &config->min_severity) != WF_OK) {
        snprintf(errbuf, errlen,
                 "alert.webhook.min_severity: '%s' is not minor|moderate|severe|extreme", severity);
        return WF_EINVAL;
    }
    config->timeout_us = wf_config_duration_us(wf_config, "alert.webhook.timeout");
    config->retries = (int)wf_config_int(wf_config, "alert.webhook.retries");
    config->backoff.initial_us = wf_config_duration_us(wf_config, "alert.webhook.backoff");
    config->backoff.max_us = wf_config_duration_us(wf_config, "alert.webhook.backoff_max");
    config->queue_max = (size_t)wf_config_int(wf_config, "alert.webhook.queue");
    config->concurrency = (size_t)wf_config_int(wf_config, "alert.webhook.concurrency");
    config->shutdown_grace_us = wf_config_duration_us(wf_config, "alert.webhook.shutdown_grace");
    config->bearer_token = wf_config_string(wf_config, "alert.webhook.bearer_token");
    config->secret = wf_config_string(wf_config, "alert.webhook.secret");
    return WF_OK;
}

/* Records what the alert loop could not queue (taken from the shared list under the mutex). */
static void s_record_dropped(alert_webhook_t *self, webhook_dropped_t *dropped, size_t n)
{
    for (size_t i = 0; i < n; i++)
        webhook_record(self, dropped[i].alert_id, &self->endpoints[dropped[i].endpoint], "dropped",
                       0, 0, dropped[i].reason, 0, dropped[i].at_us);
}

/* Under the mutex: fills free slots from the queues; hands back the drops to record. Returns
 * whether stop was requested. */
static bool s_take_work(alert_webhook_t *self, webhook_dropped_t **dropped, size_t *n_dropped)
{
    pthread_mutex_lock(&self->mutex);
    for (size_t e = 0; e < self->n_endpoints; e++) {
        webhook_endpoint_t *endpoint = &self->endpoints[e];
        for (size_t s = 0; s < self->config.concurrency && endpoint->count > 0; s++) {
            webhook_slot_t *slot = &endpoint->slots[s];
            if (slot->job)
                continue;
            slot->job = endpoint->queue[endpoint->head];
            slot->endpoint = e;
            slot->next_attempt_us = 0;
            endpoint->head = (endpoint->head + 1) % self->config.queue_max;
            endpoint->count--;
        }
    }
    *dropped = self->dropped;
    *n_dropped = self->n_dropped;
    self->dropped = NULL;
    self->n_dropped = self->dropped_cap = 0;
    bool stopping = self->stopping;
    pthread_mutex_unlock(&self->mutex);
    return stopping;
}

/* Starts every attempt that is due; returns the wait (ms) until the next one, at most max. */
static long s_start_due(alert_webhook_t *self, long max_ms)
{
    int64_t now = wf_clock_mono_us();
    int64_t wait_us = (int64_t)max_ms * 1000;
    for (size_t e = 0; e < self->n_endpoints; e++) {
        webhook_endpoint_t *endpoint = &self->endpoints[e];
        for (size_t s = 0; s < self->config.concurrency; s++) {
            webhook_slot_t *slot = &endpoint->slots[s];
            if (!slot->job || slot->easy)
                continue;
            if (!slot->body && !webhook_slot_prepare(self, endpoint, slot))
                continue;
            if (slot->next_attempt_us <= now)
                webhook_slot_start(self, endpoint, slot);
            else if (slot->next_attempt_us - now < wait_us)
                wait_us = slot->next_attempt_us - now;
        }
    }
    return (long)((wait_us + 999) / 1000);
}

static bool s_idle(alert_webhook_t *self)
{
    bool idle = true;
    pthread_mutex_lock(&self->mutex);
    for (size_t e = 0; e < self->n_endpoints && idle; e++) {
        idle = self->endpoints[e].count == 0;
        for (size_t s = 0; s < self->config.concurrency && idle; s++)
            idle = self->endpoints[e].slots[s].job == NULL;
    }
    pthread_mutex_unlock(&self->mutex);
    return idle;
}

/* After the grace: every delivery still open, and every job still queued, is recorded as not
 * delivered. */
static void s_abandon_rest(alert_webhook_t *self)
{
    for (size_t e = 0; e < self->n_endpoints; e++) {
        webhook_endpoint_t *endpoint = &self->endpoints[e];
        for (size_t s = 0; s < self->config.concurrency; s++) {
            webhook_slot_t *slot = &endpoint->slots[s];
            if (!slot->job)
                continue;
            char reason[CURL_ERROR_SIZE + 160];
            snprintf(reason, sizeof reason, "%s%s%s", SHUTDOWN_REASON,
                     slot->error[0] ? "; last attempt: " : "", slot->error);
            webhook_slot_finish(self, endpoint, slot, "failed", reason);
        }
        pthread_mutex_lock(&self->mutex);
        while (endpoint->count > 0) {
            webhook_job_t *job = endpoint->queue[endpoint->head];
            endpoint->head = (endpoint->head + 1) % self->config.queue_max;
            endpoint->count--;
            webhook_record(self, job->alert_id, endpoint, "failed", 0, 0, SHUTDOWN_REASON, 0,
                           wf_clock_now_us());
            atomic_fetch_add(&self->failed, 1);
            atomic_fetch_sub(&self->queued, 1);
            free(job);
        }
        pthread_mutex_unlock(&self->mutex);
    }
}

static void s_finish_transfers(alert_webhook_t *self)
{
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(self->multi, &left)))
        if (message->msg == CURLMSG_DONE)
            webhook_transfer_done(self, message->easy_handle, message->data.result);
}

static void *s_run(void *arg)
{
    alert_webhook_t *self = arg;
    int64_t deadline = 0; /* monotonic end of the shutdown grace, 0 while running */
    for (;;) {
        int running = 0;
        curl_multi_perform(self->multi, &running);
        s_finish_transfers(self);
        /* after the completions: slots freed just now take queued jobs at once */
        webhook_dropped_t *dropped;
        size_t n_dropped;
        bool stopping = s_take_work(self, &dropped, &n_dropped);
        s_record_dropped(self, dropped, n_dropped);
        free(dropped);
        int64_t now = wf_clock_mono_us();
        if (stopping && deadline == 0)
            deadline = now + self->config.shutdown_grace_us;
        if (stopping && (now >= deadline || s_idle(self)))
            break;
        webhook_records_flush(self, false);
        /* a retry scheduled just now sets how long to wait; a transfer started now makes
         * curl_multi_poll return at once */
        long wait_ms = s_start_due(self, POLL_MAX_MS);
        if (wf_pgwriter_pending(self->records) > 0 && (self->next_flush_us - now) / 1000 < wait_ms)
            wait_ms = (long)((self->next_flush_us - now) / 1000) + 1; /* records stay prompt */
        if (deadline && (deadline - now) / 1000 < wait_ms)
            wait_ms = (long)((deadline - now) / 1000) + 1;
        curl_multi_poll(self->multi, NULL, 0, (int)(wait_ms > 0 ? wait_ms : 0), NULL);
    }
    s_abandon_rest(self);
    /* the last records: one more try if PostGIS hiccups, then they are logged as lost */
    for (int i = 0; i < 2 && wf_pgwriter_pending(self->records) > 0; i++)
        webhook_records_flush(self, true);
    size_t lost = wf_pgwriter_pending(self->records);
    if (lost > 0) {
        atomic_fetch_add(&self->unrecorded, lost);
        wf_log_error("webhook outcomes not recorded (PostGIS unreachable at shutdown) rows=%zu",
                     lost);
    }
    return NULL;
}

static char *s_strdup_nonempty(const char *text)
{
    return text && *text ? strdup(text) : NULL;
}

/* Copies the URLs into endpoints, refusing anything but http(s) with a host. */
static int s_endpoints_new(alert_webhook_t *self, const alert_webhook_config_t *config,
                           char *errbuf, size_t errlen)
{
    self->endpoints = calloc(config->n_urls, sizeof *self->endpoints);
    if (!self->endpoints)
        return WF_ENOMEM;
    self->n_endpoints = config->n_urls;
    for (size_t e = 0; e < config->n_urls; e++) {
        webhook_endpoint_t *endpoint = &self->endpoints[e];
        const char *url = config->urls[e];
        CURLU *parsed = curl_url();
        char *scheme = NULL, *host = NULL;
        bool ok = parsed && strlen(url) < sizeof endpoint->url &&
                  curl_url_set(parsed, CURLUPART_URL, url, 0) == CURLUE_OK &&
                  curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
                  curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
                  (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
        curl_free(scheme);
        curl_free(host);
        curl_url_cleanup(parsed);
        alert_webhook_redact_url(url, endpoint->redacted, sizeof endpoint->redacted);
        if (!ok) {
            snprintf(errbuf, errlen, "alert.webhook.urls: '%s' is not an http:// or https:// URL",
                     endpoint->redacted);
            return WF_EINVAL;
        }
        snprintf(endpoint->url, sizeof endpoint->url, "%s", url);
        endpoint->queue = calloc(config->queue_max, sizeof *endpoint->queue);
        endpoint->slots = calloc(config->concurrency, sizeof *endpoint->slots);
        if (!endpoint->queue || !endpoint->slots)
            return WF_ENOMEM;
    }
    return WF_OK;
}

alert_webhook_t *alert_webhook_new(const alert_webhook_config_t *config, char *errbuf,
                                   size_t errlen)
{
    assert(config->n_urls > 0 && config->queue_max > 0 && config->concurrency > 0);
    alert_webhook_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&self->mutex, NULL);
    self->config = *config;
    self->config.urls = NULL; /* copied into endpoints */
    self->random_state = (uint64_t)wf_clock_now_us() | 1;
    int rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? WF_OK : WF_EIO;
    if (rc == WF_OK)
        rc = s_endpoints_new(self, config, errbuf, errlen);
    if (rc == WF_OK && config->bearer_token && *config->bearer_token) {
        size_t len = strlen(config->bearer_token) + 32;
        self->bearer_header = malloc(len);
        if (self->bearer_header)
            snprintf(self->bearer_header, len, "Authorization: Bearer %s", config->bearer_token);
        else
            rc = WF_ENOMEM;
    }
    self->secret = s_strdup_nonempty(config->secret);
    self->cap_sender = s_strdup_nonempty(config->cap.sender);
    self->config.cap.sender = self->cap_sender;
    self->config.cap.web = NULL;
    self->config.bearer_token = self->config.secret = NULL; /* only our copies are used */
    if (rc == WF_OK && ((config->secret && *config->secret && !self->secret) ||
                        (config->cap.sender && !self->cap_sender)))
        rc = WF_ENOMEM;
    if (rc == WF_OK && !(self->multi = curl_multi_init()))
        rc = WF_ENOMEM;
    if (rc == WF_OK) {
        self->records = wf_pgwriter_new(config->conninfo, &webhook_records_spec, errbuf, errlen);
        if (!self->records)
            rc = WF_EIO; /* errbuf says why */
    }
    if (rc == WF_OK && pthread_create(&self->thread, NULL, s_run, self) != 0)
        rc = WF_EIO;
    if (rc == WF_OK) {
        self->thread_started = true;
        return self;
    }
    if (rc == WF_ENOMEM || (rc == WF_EIO && !self->multi))
        snprintf(errbuf, errlen, "cannot set up the webhook sender: %s", wf_strerror(rc));
    else if (rc == WF_EIO && self->records)
        snprintf(errbuf, errlen, "cannot start the webhook sender thread");
    alert_webhook_destroy(&self);
    return NULL;
}

void alert_webhook_destroy(alert_webhook_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    alert_webhook_t *self = *self_p;
    if (self->thread_started) {
        pthread_mutex_lock(&self->mutex);
        self->stopping = true;
        pthread_mutex_unlock(&self->mutex);
        curl_multi_wakeup(self->multi);
        pthread_join(self->thread, NULL);
    }
    for (size_t e = 0; e < self->n_endpoints; e++) {
        webhook_endpoint_t *endpoint = &self->endpoints[e];
        for (size_t i = 0; endpoint->queue && i < endpoint->count; i++)
            free(endpoint->queue[(endpoint->head + i) % self->config.queue_max]);
        free(endpoint->queue);
        free(endpoint->slots); /* empty: the thread finished every slot */
    }
    free(self->endpoints);
    wf_pgwriter_destroy(&self->records);
    if (self->multi)
        curl_multi_cleanup(self->multi);
    free(self->dropped);
    free(self->held);
    free(self->held_bytes);
    free(self->bearer_header);
    free(self->secret);
    free(self->cap_sender);
    pthread_mutex_destroy(&self->mutex);
    free(self);
    *self_p = NULL;
}

/* Under the mutex: remembers that endpoint did not get alert (recorded by the thread). */
static void s_note_dropped(alert_webhook_t *self, const uint8_t *alert_id, size_t endpoint,
                           int64_t now_us, const char *reason)
{
    atomic_fetch_add(&self->dropped_queue_full, 1);
    if (self->n_dropped == self->dropped_cap) {
        size_t cap = self->dropped_cap ? self->dropped_cap * 2 : 64;
        webhook_dropped_t *grown =
            cap <= DROPPED_MAX ? realloc(self->dropped, cap * sizeof *grown) : NULL;
        if (!grown) { /* PostGIS has been away for a long time: count, log, move on */
            atomic_fetch_add(&self->unrecorded, 1);
            char id[WF_UUID_STR_LEN];
            wf_log_error("webhook drop not recorded alert_id=%s url=%s reason=\"%s\"",
                         wf_uuid_format(alert_id, id), self->endpoints[endpoint].redacted, reason);
            return;
        }
        self->dropped = grown;
        self->dropped_cap = cap;
    }
    webhook_dropped_t *drop = &self->dropped[self->n_dropped++];
    memcpy(drop->alert_id, alert_id, WF_UUID_LEN);
    drop->endpoint = endpoint;
    drop->at_us = now_us;
    drop->reason = reason;
}

/* Queues alert for every endpoint; sets *wake when the sender thread must be woken. */
static int s_enqueue(alert_webhook_t *self, const alert_webhook_alert_t *alert, bool *wake)
{
    if (alert->severity < self->config.min_severity)
        return WF_OK;
    int64_t now = wf_clock_now_us();
    int rc = WF_OK;
    webhook_job_t *jobs[self->n_endpoints]; /* a handful: alert.webhook.urls */
    for (size_t e = 0; e < self->n_endpoints; e++) {
        jobs[e] = malloc(sizeof *jobs[e] + alert->packed_len);
        if (!jobs[e])
            continue;
        memcpy(jobs[e]->alert_id, alert->alert_id, WF_UUID_LEN);
        jobs[e]->enqueued_at_us = now;
        jobs[e]->packed_len = alert->packed_len;
        memcpy(jobs[e]->packed, alert->packed, alert->packed_len);
    }
    /* the thread needs waking only for a queue it may have emptied (a non-empty one it takes
     * from when a slot frees) or for the first drop to record: fewer context switches */
    pthread_mutex_lock(&self->mutex);
    for (size_t e = 0; e < self->n_endpoints; e++) {
        webhook_endpoint_t *endpoint = &self->endpoints[e];
        if (!jobs[e]) {
            *wake |= self->n_dropped == 0;
            s_note_dropped(self, alert->alert_id, e, now, "out of memory queueing the alert");
            rc = WF_ENOMEM;
        } else if (endpoint->count == self->config.queue_max) {
            *wake |= self->n_dropped == 0;
            s_note_dropped(self, alert->alert_id, e, now, "queue full (alert.webhook.queue)");
            free(jobs[e]);
        } else {
            *wake |= endpoint->count == 0;
            endpoint->queue[(endpoint->head + endpoint->count) % self->config.queue_max] = jobs[e];
            endpoint->count++;
            atomic_fetch_add(&self->queued, 1);
        }
    }
    pthread_mutex_unlock(&self->mutex);
    return rc;
}

int alert_webhook_enqueue(alert_webhook_t *self, const alert_webhook_alert_t *alert)
{
    bool wake = false;
    int rc = s_enqueue(self, alert, &wake);
    if (wake)
        curl_multi_wakeup(self->multi);
    return rc;
}

int alert_webhook_hold(alert_webhook_t *self, const Wf__Alert *alert)
{
    if ((alert_severity_t)alert->severity < self->config.min_severity ||
        alert->alert_id.len != WF_UUID_LEN)
        return WF_OK; /* an alert without its id was refused by PostgreSQL already */
    size_t len = wf__alert__get_packed_size(alert);
    if (self->n_held == self->held_cap) {
        size_t cap = self->held_cap ? self->held_cap * 2 : 16;
        webhook_held_t *grown = realloc(self->held, cap * sizeof *grown);
        if (!grown)
            return WF_ENOMEM;
        self->held = grown;
        self->held_cap = cap;
    }
    if (self->held_len + len > self->held_bytes_cap) {
        size_t cap = self->held_bytes_cap ? self->held_bytes_cap : 4096;
        while (cap < self->held_len + len)
            cap *= 2;
        uint8_t *grown = realloc(self->held_bytes, cap);
        if (!grown)
            return WF_ENOMEM;
        self->held_bytes = grown;
        self->held_bytes_cap = cap;
    }
    webhook_held_t *held = &self->held[self->n_held++];
    memcpy(held->alert_id, alert->alert_id.data, WF_UUID_LEN);
    held->severity = (alert_severity_t)alert->severity;
    held->offset = self->held_len;
    held->len = wf__alert__pack(alert, self->held_bytes + self->held_len);
    self->held_len += held->len;
    return WF_OK;
}

int alert_webhook_release(alert_webhook_t *self, bool deliver, wf_histogram_t *enqueue_us)
{
    int rc = WF_OK;
    bool wake = false;
    for (size_t i = 0; deliver && i < self->n_held; i++) {
        const webhook_held_t *held = &self->held[i];
        alert_webhook_alert_t alert = {.alert_id = held->alert_id,
                                       .severity = held->severity,
                                       .packed = self->held_bytes + held->offset,
                                       .packed_len = held->len};
        int64_t start = wf_clock_mono_us();
        int one = s_enqueue(self, &alert, &wake);
        /* one wakeup for the whole batch, counted in its last alert's time */
        if (wake && i + 1 == self->n_held)
            curl_multi_wakeup(self->multi);
        if (enqueue_us)
            wf_histogram_record(enqueue_us, wf_clock_mono_us() - start);
        if (one != WF_OK)
            rc = one;
    }
    self->n_held = 0;
    self->held_len = 0;
    return rc;
}

void alert_webhook_counters(const alert_webhook_t *self, alert_webhook_counters_t *out)
{
    alert_webhook_t *counters = (alert_webhook_t *)self; /* atomic loads of non-const atomics */
    out->sent = atomic_load(&counters->sent);
    out->retried = atomic_load(&counters->retried);
    out->failed = atomic_load(&counters->failed);
    out->dropped_queue_full = atomic_load(&counters->dropped_queue_full);
    out->recorded = atomic_load(&counters->recorded);
    out->unrecorded = atomic_load(&counters->unrecorded);
    out->queued = atomic_load(&counters->queued);
}
