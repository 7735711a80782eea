/* alert_webhook_send.c — one delivery: its HTTP attempts and the record of its outcome.
 *
 * A slot holds one (alert, endpoint) delivery from the moment the sender thread takes it off
 * the endpoint's queue until its outcome is a row of webhook_deliveries. Its body is rendered
 * once; every attempt is a fresh easy handle on the shared multi handle (which keeps the
 * connections), with a new timestamp and signature. Everything here runs on the sender thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>

#include "alert_webhook_int.h"

#define RESPONSE_MAX   (64 * 1024) /* answer bytes read before the rest is refused */
#define FLUSH_EVERY_US (200 * 1000)
#define FLUSH_RETRY_US (2 * 1000 * 1000) /* after a failed flush: PostGIS away */
#define FLUSH_ROWS     1000              /* flush at once beyond this many pending rows */

#define RECORD_COLUMNS                                                                             \
    "alert_id, endpoint, status, attempts, http_status, last_error, first_attempt_at, "            \
    "finished_at"
const wf_pgwriter_spec_t webhook_records_spec = {
    .name = "webhook_deliveries",
    /* not LIKE webhook_deliveries: its identity column would be copied as NOT NULL */
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS webhook_deliveries_stage (alert_id uuid, "
                 "endpoint text, status text, attempts integer, http_status integer, last_error "
                 "text, first_attempt_at timestamptz, finished_at timestamptz) "
                 "ON COMMIT DELETE ROWS",
    .copy_sql = "COPY webhook_deliveries_stage (" RECORD_COLUMNS ") FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql = "INSERT INTO webhook_deliveries (" RECORD_COLUMNS ") SELECT " RECORD_COLUMNS
                 " FROM webhook_deliveries_stage",
};

void webhook_record(alert_webhook_t *self, const uint8_t alert_id[WF_UUID_LEN],
                    const webhook_endpoint_t *endpoint, const char *status, int attempts,
                    long http_status, const char *last_error, int64_t first_attempt_at_us,
                    int64_t finished_at_us)
{
    wf_pgwriter_t *w = self->records;
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, alert_id);
    wf_pgwriter_put_text(w, endpoint->redacted);
    wf_pgwriter_put_text(w, status);
    wf_pgwriter_put_int64(w, attempts);
    if (http_status > 0)
        wf_pgwriter_put_int64(w, http_status);
    else
        wf_pgwriter_put_null(w);
    wf_pgwriter_put_text(w, last_error && *last_error ? last_error : NULL);
    wf_pgwriter_put_timestamp_us(w, first_attempt_at_us);
    wf_pgwriter_put_timestamp_us(w, finished_at_us);
    wf_pgwriter_row_end(w);
}

void webhook_records_flush(alert_webhook_t *self, bool force)
{
    size_t pending = wf_pgwriter_pending(self->records);
    int64_t now = wf_clock_mono_us();
    if (pending == 0 || (!force && pending < FLUSH_ROWS && now < self->next_flush_us))
        return;
    uint64_t inserted = 0;
    if (wf_pgwriter_flush(self->records, &inserted) == WF_OK) {
        /* rows refused as data were logged by the writer; they are not in inserted */
        atomic_fetch_add(&self->recorded, inserted);
        atomic_fetch_add(&self->unrecorded, pending - inserted);
        self->next_flush_us = now + FLUSH_EVERY_US;
    } else {
        self->next_flush_us = now + FLUSH_RETRY_US; /* the writer logged why, and keeps the rows */
    }
}

static void s_free_attempt(alert_webhook_t *self, webhook_slot_t *slot)
{
    if (slot->easy) {
        curl_multi_remove_handle(self->multi, slot->easy);
        curl_easy_cleanup(slot->easy);
        slot->easy = NULL;
    }
    curl_slist_free_all(slot->headers);
    slot->headers = NULL;
}

void webhook_slot_finish(alert_webhook_t *self, webhook_endpoint_t *endpoint, webhook_slot_t *slot,
                         const char *status, const char *last_error)
{
    bool delivered = strcmp(status, "delivered") == 0;
    const char *error = last_error ? last_error : slot->error;
    webhook_record(self, slot->job->alert_id, endpoint, status, slot->attempts, slot->http_status,
                   delivered ? NULL : error, slot->first_attempt_at_us, wf_clock_now_us());
    atomic_fetch_add(delivered ? &self->sent : &self->failed, 1);
    atomic_fetch_sub(&self->queued, 1);
    /* one log line when an endpoint starts or stops failing, not one per alert */
    if (!delivered && !endpoint->failing)
        wf_log_warn("webhook endpoint failing url=%s attempts=%d http_status=%ld error=\"%s\"",
                    endpoint->redacted, slot->attempts, slot->http_status, error);
    else if (delivered && endpoint->failing)
        wf_log_notice("webhook endpoint delivering again url=%s", endpoint->redacted);
    endpoint->failing = !delivered;
    s_free_attempt(self, slot);
    free(slot->body);
    free(slot->job);
    memset(slot, 0, sizeof *slot);
}

bool webhook_slot_prepare(alert_webhook_t *self, webhook_endpoint_t *endpoint, webhook_slot_t *slot)
{
    Wf__Alert *alert = wf__alert__unpack(NULL, slot->job->packed_len, slot->job->packed);
    int rc = WF_EPARSE;
    if (alert && self->config.format == ALERT_WEBHOOK_CAP)
        rc = alert_cap_render(&self->config.cap, alert, &slot->body, &slot->body_len);
    else if (alert)
        rc = alert_webhook_render_json(alert, &slot->body, &slot->body_len);
    if (alert)
        wf__alert__free_unpacked(alert, NULL);
    if (rc == WF_OK)
        return true;
    char reason[128];
    snprintf(reason, sizeof reason, "cannot render the %s body: %s",
             self->config.format == ALERT_WEBHOOK_CAP ? "CAP" : "JSON", wf_strerror(rc));
    webhook_slot_finish(self, endpoint, slot, "failed", reason);
    return false;
}

static size_t s_discard_answer(char *data, size_t size, size_t count, void *user)
{
    (void)data;
    size_t *seen = user;
    *seen += size * count;
    return *seen > RESPONSE_MAX ? 0 : size * count; /* 0 ends a runaway answer (error 23) */
}

static struct curl_slist *s_header(struct curl_slist *list, bool *ok, const char *fmt,
                                   const char *value)
{
    char line[256];
    snprintf(line, sizeof line, fmt, value);
    struct curl_slist *grown = *ok ? curl_slist_append(list, line) : NULL;
    if (!grown)
        *ok = false;
    return grown ? grown : list;
}

static struct curl_slist *s_headers(const alert_webhook_t *self, const webhook_slot_t *slot)
{
    bool ok = true;
    char id[WF_UUID_STR_LEN], attempt[16];
    wf_uuid_format(slot->job->alert_id, id);
    snprintf(attempt, sizeof attempt, "%d", slot->attempts + 1);
    struct curl_slist *list = NULL;
    list = s_header(list, &ok, "Content-Type: %s",
                    self->config.format == ALERT_WEBHOOK_CAP ? "application/cap+xml"
                                                             : "application/json");
    list = s_header(list, &ok, "Idempotency-Key: %s", id);
    list = s_header(list, &ok, "X-Watchfloor-Alert-Id: %s", id);
    list = s_header(list, &ok, "X-Watchfloor-Attempt: %s", attempt);
    list = s_header(list, &ok, "Expect:%s", ""); /* no 100-continue round trip */
    if (self->bearer_header && ok) {
        struct curl_slist *grown = curl_slist_append(list, self->bearer_header);
        ok = grown != NULL;
        list = grown ? grown : list;
    }
    if (self->secret && ok) {
        char timestamp[24], signature[ALERT_WEBHOOK_SIGNATURE_LEN];
        int64_t now_s = (int64_t)time(NULL);
        snprintf(timestamp, sizeof timestamp, "%lld", (long long)now_s);
        ok =
            alert_webhook_sign(self->secret, now_s, slot->body, slot->body_len, signature) == WF_OK;
        list = s_header(list, &ok, "X-Watchfloor-Timestamp: %s", timestamp);
        list = s_header(list, &ok, "X-Watchfloor-Signature: %s", signature);
    }
    if (!ok) {
        curl_slist_free_all(list);
        return NULL;
    }
    return list;
}

/* Decides what follows an attempt that ended with slot->http_status / slot->error. */
static void s_after_attempt(alert_webhook_t *self, webhook_endpoint_t *endpoint,
                            webhook_slot_t *slot, int64_t retry_after_us)
{
    alert_webhook_verdict_t verdict = alert_webhook_classify(slot->http_status);
    if (verdict == ALERT_WEBHOOK_DELIVERED) {
        webhook_slot_finish(self, endpoint, slot, "delivered", NULL);
        return;
    }
    if (verdict == ALERT_WEBHOOK_FINAL || slot->attempts > self->config.retries) {
        webhook_slot_finish(self, endpoint, slot, "failed", NULL);
        return;
    }
    s_free_attempt(self, slot);
    /* xorshift64: jitter needs spread, not secrecy */
    uint64_t x = self->random_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->random_state = x;
    slot->next_attempt_us =
        wf_clock_mono_us() +
        alert_webhook_backoff_us(&self->config.backoff, slot->attempts, retry_after_us, x);
}

void webhook_slot_start(alert_webhook_t *self, webhook_endpoint_t *endpoint, webhook_slot_t *slot)
{
    if (slot->attempts > 0)
        atomic_fetch_add(&self->retried, 1);
    if (slot->first_attempt_at_us == 0)
        slot->first_attempt_at_us = wf_clock_now_us();
    slot->http_status = 0;
    slot->error[0] = '\0';
    slot->headers = s_headers(self, slot);
    slot->easy = slot->headers ? curl_easy_init() : NULL;
    long timeout_ms = (long)(self->config.timeout_us / 1000);
    CURL *easy = slot->easy;
    if (!easy || curl_easy_setopt(easy, CURLOPT_URL, endpoint->url) != CURLE_OK ||
        curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK) {
        slot->attempts++;
        snprintf(slot->error, sizeof slot->error, "cannot start the request (out of memory?)");
        s_after_attempt(self, endpoint, slot, 0);
        return;
    }
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, slot->body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)slot->body_len);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, slot->headers);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "watchfloor-alert");
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, slot->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, s_discard_answer);
    slot->answer_bytes = 0;
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &slot->answer_bytes);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, slot);
    slot->attempts++;
    if (curl_multi_add_handle(self->multi, easy) != CURLM_OK) {
        snprintf(slot->error, sizeof slot->error, "cannot start the request (curl multi)");
        s_after_attempt(self, endpoint, slot, 0);
    }
}

void webhook_transfer_done(alert_webhook_t *self, CURL *easy, CURLcode result)
{
    webhook_slot_t *slot = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&slot);
    webhook_endpoint_t *endpoint = &self->endpoints[slot->endpoint];
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    slot->http_status = status;
    curl_off_t retry_after_s = 0;
    if (status == 429 || status == 503)
        curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after_s);
    if (result == CURLE_WRITE_ERROR && slot->answer_bytes > RESPONSE_MAX &&
        alert_webhook_classify(status) == ALERT_WEBHOOK_DELIVERED)
        result = CURLE_OK; /* accepted; only its (unread) answer was too long */
    if (result != CURLE_OK) {
        slot->http_status = 0; /* an answer cut short is no answer */
        if (!slot->error[0])
            snprintf(slot->error, sizeof slot->error, "%s", curl_easy_strerror(result));
    } else if (alert_webhook_classify(status) != ALERT_WEBHOOK_DELIVERED) {
        snprintf(slot->error, sizeof slot->error, "HTTP %ld", status);
        if (retry_after_s > 0)
            snprintf(slot->error + strlen(slot->error), sizeof slot->error - strlen(slot->error),
                     " (Retry-After %llds)", (long long)retry_after_s);
    }
    int64_t retry_after_us = retry_after_s > 0 && retry_after_s < INT64_MAX / WF_US_PER_SEC
                                 ? (int64_t)retry_after_s * WF_US_PER_SEC
                                 : (retry_after_s > 0 ? INT64_MAX : 0);
    s_after_attempt(self, endpoint, slot, retry_after_us);
}
