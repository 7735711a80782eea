/* alert_webhook.h — every alert POSTed to the configured webhooks, off the alert path.
 *
 * The alert loop holds each alert it raises (alert_webhook_hold(), protobuf-packed) and, once
 * the batch's rows are committed and the batch acknowledged, releases them
 * (alert_webhook_release()): each is only copied into one bounded queue per endpoint, and the
 * sender thread woken once: the loop never waits for the network or the database. The
 * sender thread runs libcurl's multi interface: up to alert.webhook.concurrency deliveries per
 * endpoint at once, each retried on network errors, timeouts, 408/425/429/5xx with exponential
 * backoff and jitter (Retry-After honoured), so a dead endpoint fills only its own queue. When
 * an endpoint's queue is full the alert is not sent there; it is counted and recorded as
 * dropped. The outcome of every delivery (delivered, failed, dropped) becomes a row of
 * webhook_deliveries, written by the same thread over its own PostGIS connection.
 *
 * Each POST carries Idempotency-Key and X-Watchfloor-Alert-Id (the alert id; retries and
 * replays repeat it so receivers drop duplicates), X-Watchfloor-Attempt, an optional bearer
 * token and, with a secret, X-Watchfloor-Timestamp and X-Watchfloor-Signature (HMAC-SHA256 of
 * "<timestamp>.<body>"). The body is the alert as JSON or as its CAP 1.2 document.
 *
 * Thread: new, enqueue, counters and destroy are called from the alert loop's thread; the
 * sender runs in a thread of its own. They share only the queues (under one mutex, held for a
 * few pointer moves) and atomic counters.
 */
#ifndef ALERT_WEBHOOK_H
#define ALERT_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/config.h>
#include <wf/stats.h>
#include <wf/watchfloor.pb-c.h>

#include "alert_cap.h"
#include "alert_rules.h"
#include "alert_webhook_body.h"

typedef struct alert_webhook_t alert_webhook_t;

typedef enum {
    ALERT_WEBHOOK_JSON, /* application/json: alert_webhook_render_json() */
    ALERT_WEBHOOK_CAP,  /* application/cap+xml: alert_cap_render() */
} alert_webhook_format_t;

typedef struct {
    const char *const *urls;         /* http:// or https:// endpoints (borrowed while new runs) */
    size_t n_urls;                   /* 0: alert_webhook_new is not called */
    alert_webhook_format_t format;   /* body of every POST */
    alert_severity_t min_severity;   /* alerts below are not posted */
    int64_t timeout_us;              /* one attempt, connecting included */
    int retries;                     /* attempts after the first */
    alert_webhook_backoff_t backoff; /* pauses between attempts */
    size_t queue_max;                /* waiting alerts per endpoint */
    size_t concurrency;              /* deliveries in progress per endpoint */
    int64_t shutdown_grace_us;       /* destroy waits this long for deliveries in progress */
    const char *bearer_token;        /* Authorization: Bearer …; NULL or "" for none */
    const char *secret;              /* HMAC key of X-Watchfloor-Signature; NULL or "" for none */
    const char *conninfo;            /* PostGIS holding webhook_deliveries */
    alert_cap_config_t cap;          /* CAP rendering (format cap); strings copied */
} alert_webhook_config_t;

/* One alert handed to the webhooks; everything is copied by enqueue. */
typedef struct {
    const uint8_t *alert_id;   /* 16 bytes */
    alert_severity_t severity; /* compared with min_severity */
    const uint8_t *packed;     /* wf__alert__pack() of the alert */
    size_t packed_len;
} alert_webhook_alert_t;

/* Cumulative since new (queued: a gauge). */
typedef struct {
    uint64_t sent;               /* deliveries answered 2xx */
    uint64_t retried;            /* attempts after a first one */
    uint64_t failed;             /* deliveries given up (final answer, retries spent, shutdown) */
    uint64_t dropped_queue_full; /* (alert, endpoint) pairs not sent: the queue was full */
    uint64_t recorded;           /* rows committed to webhook_deliveries */
    uint64_t unrecorded;         /* outcomes that could not be recorded (logged instead) */
    uint64_t queued;             /* alerts waiting or in progress, all endpoints */
} alert_webhook_counters_t;

/* Reads alert.webhook.* into *config (strings borrowed from the configuration). Returns 0, or
 * WF_EINVAL with the reason in errbuf (unknown format or severity). conninfo and cap are left
 * for the caller. */
int alert_webhook_config_load(alert_webhook_config_t *config, const wf_config_t *wf_config,
                              char *errbuf, size_t errlen);

/* Checks every URL, connects to PostGIS and starts the sender thread. Returns NULL and the
 * reason in errbuf (a URL that is not http(s), the database unreachable, no thread). */
alert_webhook_t *alert_webhook_new(const alert_webhook_config_t *config, char *errbuf,
                                   size_t errlen);

/* Stops the sender: deliveries in progress and queued get shutdown_grace to finish, the rest
 * are recorded as failed ("shutdown"), the records are flushed. NULL-safe; sets *self_p NULL. */
void alert_webhook_destroy(alert_webhook_t **self_p);

/* Keeps a packed copy of alert for the batch in progress; nothing is sent before
 * alert_webhook_release(). Alerts below min_severity are not kept. Returns 0 or WF_ENOMEM. */
int alert_webhook_hold(alert_webhook_t *self, const Wf__Alert *alert);

/* The batch ended: when deliver (its rows are committed and it is acknowledged) every held alert
 * is enqueued, each enqueue's duration recorded in enqueue_us (may be NULL; the batch's one
 * wakeup of the sender thread counts in its last alert's time); otherwise they are
 * forgotten (a restart replays and raises them again). Returns 0, or WF_ENOMEM when some alert
 * could not be queued (counted and recorded as dropped). */
int alert_webhook_release(alert_webhook_t *self, bool deliver, wf_histogram_t *enqueue_us);

/* Queues alert for every endpoint when it meets min_severity. Never blocks on the network or
 * the database; a full endpoint queue drops the alert for that endpoint (counted, recorded).
 * Returns 0, or WF_ENOMEM (counted and recorded like a full queue). */
int alert_webhook_enqueue(alert_webhook_t *self, const alert_webhook_alert_t *alert);

/* A snapshot of the counters. */
void alert_webhook_counters(const alert_webhook_t *self, alert_webhook_counters_t *out);

#endif
