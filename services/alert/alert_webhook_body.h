/* alert_webhook_body.h — what a webhook POST of an alert carries, and when to try again.
 *
 * The pure half of the webhook sender (alert_webhook.c is the HTTP and PostGIS half): the JSON
 * body of an alert, the HMAC-SHA256 signature a receiver verifies, which HTTP outcomes are
 * final, and the pause before the next attempt (exponential backoff with jitter, Retry-After
 * honoured up to the cap). No I/O, no clock, no randomness of its own: the caller passes the
 * time and the random draw, so all of it is tested exactly.
 *
 * Thread: any; no shared state.
 */
#ifndef ALERT_WEBHOOK_BODY_H
#define ALERT_WEBHOOK_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/watchfloor.pb-c.h>

/* "sha256=" + 64 hex digits + NUL */
#define ALERT_WEBHOOK_SIGNATURE_LEN 72

/* What an attempt's outcome means for the delivery. */
typedef enum {
    ALERT_WEBHOOK_DELIVERED, /* 2xx */
    ALERT_WEBHOOK_RETRY,     /* network error, timeout, 408, 425, 429, 5xx: try again later */
    ALERT_WEBHOOK_FINAL,     /* any other answer (400, 401, 404, 3xx …): retrying cannot help */
} alert_webhook_verdict_t;

typedef struct {
    int64_t initial_us; /* pause before the first retry (alert.webhook.backoff) */
    int64_t max_us;     /* longest pause, Retry-After included (alert.webhook.backoff_max) */
} alert_webhook_backoff_t;

/* The alert as a JSON object (UTF-8, NUL-terminated, compact) into *out (caller frees with
 * free()), its length in *len: alert_id, rule_id, severity, title, message, kind, times in
 * RFC 3339 UTC, location {lon, lat}, district, beat, agency, dissemination, event_ids,
 * signal_id, dedupe_key, window_start, match_count, escalated. Absent optional values are
 * null. Returns 0, WF_EINVAL (no 16-byte alert id) or WF_ENOMEM. */
int alert_webhook_render_json(const Wf__Alert *alert, char **out, size_t *len);

/* "sha256=<hex HMAC-SHA256(secret, "<timestamp_s>.<body>")>" into out. Returns 0 or WF_EIO
 * (libcrypto failed). */
int alert_webhook_sign(const char *secret, int64_t timestamp_s, const char *body, size_t len,
                       char out[ALERT_WEBHOOK_SIGNATURE_LEN]);

/* The verdict for one attempt: http_status is 0 when no answer arrived (connection refused,
 * timeout, reset …). */
alert_webhook_verdict_t alert_webhook_classify(long http_status);

/* The pause before retry number retry (1 = the first retry): d = initial · 2^(retry−1) capped
 * at max, then d/2 + random % (d/2 + 1) (equal jitter, so retries of many alerts spread out but
 * never come sooner than half the schedule). A server's Retry-After (retry_after_us > 0) wins
 * when longer, up to max. */
int64_t alert_webhook_backoff_us(const alert_webhook_backoff_t *backoff, int retry,
                                 int64_t retry_after_us, uint64_t random);

/* The URL without its password (user:secret@ → user@), for logs and the deliveries table, into
 * out. Returns out. */
char *alert_webhook_redact_url(const char *url, char *out, size_t len);

#endif
