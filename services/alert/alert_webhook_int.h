/* alert_webhook_int.h — the webhook sender's state, shared by its two files.
 *
 * alert_webhook.c: construction, the queues the alert loop fills, the sender thread's loop and
 * shutdown. alert_webhook_send.c: one delivery's HTTP attempts and the record of its outcome.
 * Fields marked (mutex) are shared with the alert loop; everything else belongs to the sender
 * thread once it runs.
 */
#ifndef ALERT_WEBHOOK_INT_H
#define ALERT_WEBHOOK_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <curl/curl.h>

#include <wf/id.h>
#include <wf/pgwriter.h>

#include "alert_webhook.h"

#define WEBHOOK_URL_MAX 2048

/* An alert waiting for one endpoint: the packed alert follows the header. */
typedef struct {
    uint8_t alert_id[WF_UUID_LEN];
    int64_t enqueued_at_us; /* wall clock */
    size_t packed_len;
    uint8_t packed[]; /* wf__alert__pack() output */
} webhook_job_t;

/* An (alert, endpoint) pair the queue had no room for, waiting to be recorded. */
typedef struct {
    uint8_t alert_id[WF_UUID_LEN];
    size_t endpoint;    /* index into endpoints */
    int64_t at_us;      /* wall clock */
    const char *reason; /* static text */
} webhook_dropped_t;

/* One delivery in progress: a job taken from the queue until its outcome is recorded. */
typedef struct {
    webhook_job_t *job; /* NULL: the slot is free */
    size_t endpoint;    /* index of its endpoint */
    char *body;         /* rendered once, sent by every attempt */
    size_t body_len;
    CURL *easy;                       /* the attempt in flight, or NULL */
    struct curl_slist *headers;       /* of the attempt in flight */
    int attempts;                     /* requests started */
    int64_t next_attempt_us;          /* monotonic: when the next attempt may start */
    int64_t first_attempt_at_us;      /* wall clock, 0 before the first */
    long http_status;                 /* of the last answer, 0 if none */
    size_t answer_bytes;              /* of the answer so far (bounded, discarded) */
    char error[CURL_ERROR_SIZE + 64]; /* why the last attempt failed */
} webhook_slot_t;

typedef struct {
    char url[WEBHOOK_URL_MAX];      /* as configured */
    char redacted[WEBHOOK_URL_MAX]; /* without password: logs and records */
    webhook_job_t **queue;          /* (mutex) ring of queue_max waiting jobs */
    size_t head, count;             /* (mutex) */
    webhook_slot_t *slots;          /* concurrency slots */
    bool failing;                   /* last outcome was a failure (log transitions only) */
} webhook_endpoint_t;

/* An alert held for the batch in progress (alert loop only). */
typedef struct {
    uint8_t alert_id[WF_UUID_LEN];
    alert_severity_t severity;
    size_t offset, len; /* of its packed form in held_bytes */
} webhook_held_t;

struct alert_webhook_t {
    alert_webhook_config_t config; /* strings below are our copies */
    char *bearer_header;           /* "Authorization: Bearer …" or NULL */
    char *secret;                  /* NULL when unsigned */
    char *cap_sender;              /* copy of config.cap.sender */
    webhook_endpoint_t *endpoints;
    size_t n_endpoints;
    CURLM *multi;           /* sender thread; curl_multi_wakeup from enqueue */
    wf_pgwriter_t *records; /* webhook_deliveries, sender thread */
    int64_t next_flush_us;  /* monotonic */
    uint64_t random_state;  /* jitter, sender thread */
    pthread_t thread;
    bool thread_started;
    pthread_mutex_t mutex;
    bool stopping;                 /* (mutex) destroy was called */
    webhook_dropped_t *dropped;    /* (mutex) drops not yet recorded */
    size_t n_dropped, dropped_cap; /* (mutex) */
    webhook_held_t *held;          /* alert loop: the batch's alerts */
    size_t n_held, held_cap;
    uint8_t *held_bytes; /* alert loop: their packed forms */
    size_t held_len, held_bytes_cap;
    atomic_uint_fast64_t sent, retried, failed, dropped_queue_full, recorded, unrecorded, queued;
};

/* alert_webhook_send.c, sender thread only. */

/* Renders the slot's body from its job; on failure records the delivery as failed and frees
 * the slot. Returns true when the slot is ready for its first attempt. */
bool webhook_slot_prepare(alert_webhook_t *self, webhook_endpoint_t *endpoint,
                          webhook_slot_t *slot);

/* Starts the slot's next attempt on the multi handle. A failure to start counts as a failed
 * attempt (and may schedule a retry). */
void webhook_slot_start(alert_webhook_t *self, webhook_endpoint_t *endpoint, webhook_slot_t *slot);

/* Handles a finished transfer: records the delivery or schedules its retry. */
void webhook_transfer_done(alert_webhook_t *self, CURL *easy, CURLcode result);

/* Records the slot's delivery with status and last_error (NULL: keep the slot's) and frees
 * the slot. */
void webhook_slot_finish(alert_webhook_t *self, webhook_endpoint_t *endpoint, webhook_slot_t *slot,
                         const char *status, const char *last_error);

/* Appends one row to webhook_deliveries' writer. */
void webhook_record(alert_webhook_t *self, const uint8_t alert_id[WF_UUID_LEN],
                    const webhook_endpoint_t *endpoint, const char *status, int attempts,
                    long http_status, const char *last_error, int64_t first_attempt_at_us,
                    int64_t finished_at_us);

/* Commits the pending rows when due (or when force); keeps them on failure. */
void webhook_records_flush(alert_webhook_t *self, bool force);

extern const wf_pgwriter_spec_t webhook_records_spec;

#endif
