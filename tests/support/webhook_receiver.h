/* webhook_receiver.h — a real HTTP server in the test process that webhooks POST to.
 *
 * A plain socket server on 127.0.0.1 (an ephemeral port) run by its own thread. It reads each
 * request whole (headers and Content-Length body), keeps what the tests check (arrival time,
 * the Watchfloor headers, the body) and answers according to its mode: accept (200), fail the
 * first N requests of every alert id with a status (500, 429 + Retry-After, 400 …) and accept
 * the next, or blackhole (accept the connection, read the request, never answer). Every answer
 * closes the connection.
 *
 * Thread: the receiver thread owns the sockets; requests are read under the receiver's mutex
 * (webhook_receiver_lock/unlock) by the test.
 */
#ifndef WEBHOOK_RECEIVER_H
#define WEBHOOK_RECEIVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECEIVER_MAX_REQUESTS 4096
#define RECEIVER_HEADER_LEN   160

typedef enum {
    RECEIVER_ACCEPT,     /* 200 to everything */
    RECEIVER_FAIL_FIRST, /* fail_status to the first fail_count requests of each alert id */
    RECEIVER_BLACKHOLE,  /* read, never answer, keep the connection open */
} receiver_mode_t;

typedef struct {
    int64_t at_us;                             /* monotonic arrival of the whole request */
    char alert_id[RECEIVER_HEADER_LEN];        /* X-Watchfloor-Alert-Id */
    char idempotency_key[RECEIVER_HEADER_LEN]; /* Idempotency-Key */
    char attempt[RECEIVER_HEADER_LEN];         /* X-Watchfloor-Attempt */
    char content_type[RECEIVER_HEADER_LEN];
    char authorization[RECEIVER_HEADER_LEN];
    char timestamp[RECEIVER_HEADER_LEN]; /* X-Watchfloor-Timestamp */
    char signature[RECEIVER_HEADER_LEN]; /* X-Watchfloor-Signature */
    char *body;                          /* NUL-terminated */
    size_t body_len;
    int answered; /* status sent, 0 for none (blackhole) */
} receiver_request_t;

typedef struct {
    int listen_fd;
    int port;
    char url[64]; /* http://127.0.0.1:PORT/hook */
    receiver_mode_t mode;
    int fail_status;   /* FAIL_FIRST: the status of the failures */
    int fail_count;    /* FAIL_FIRST: failures per alert id before a 200 */
    int retry_after_s; /* > 0: a Retry-After header on the failures */
    pthread_t thread;
    atomic_int stop; /* set by webhook_receiver_stop */
    pthread_mutex_t mutex;
    receiver_request_t requests[RECEIVER_MAX_REQUESTS]; /* (mutex) in arrival order */
    size_t n_requests;                                  /* (mutex) */
    int connections;                                    /* (mutex) accepted so far */
} webhook_receiver_t;

/* Binds, listens and starts the thread. Returns false (and prints why) on failure. */
bool webhook_receiver_start(webhook_receiver_t *r, receiver_mode_t mode);

/* Stops the thread, closes every socket, frees the bodies. */
void webhook_receiver_stop(webhook_receiver_t *r);

/* Requests received so far. */
size_t webhook_receiver_count(webhook_receiver_t *r);

/* Waits until at least n requests arrived or timeout_ms passed; returns the count. */
size_t webhook_receiver_wait(webhook_receiver_t *r, size_t n, int timeout_ms);

/* A port on 127.0.0.1 where nothing listens (bound, then closed): connection refused. */
int webhook_receiver_refusing_port(void);

/* Monotonic µs (the clock of receiver_request_t.at_us). */
int64_t webhook_receiver_now_us(void);

#endif
