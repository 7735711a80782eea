/* sse_client.h — a Server-Sent Events reader over libcurl, for wf-bench and the tests.
 *
 * It reads a text/event-stream as the HTML spec says a browser does (fields id, event, data;
 * a blank line dispatches; lines starting with ':' are comments), so what it measures and
 * asserts is what a console sees.
 */
#ifndef WF_SSE_CLIENT_H
#define WF_SSE_CLIENT_H
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *id;    /* "" when the message had no id */
    const char *event; /* "message" when it had no event field */
    const char *data;
} wf_sse_message_t;

/* Called for each message; return false to disconnect. */
typedef bool wf_sse_message_fn(const wf_sse_message_t *message, void *user);
/* Polled at least once a second while the stream is open; return false to disconnect. */
typedef bool wf_sse_continue_fn(void *user);

typedef struct {
    const char *url;           /* e.g. http://127.0.0.1:8470/api/v1/stream?types=alert */
    const char *token;         /* bearer token */
    const char *last_event_id; /* sent as Last-Event-ID when non-NULL and non-empty */
    wf_sse_message_fn *on_message;
    wf_sse_continue_fn *keep_going; /* may be NULL */
    void *user;
} wf_sse_request_t;

/* Streams until a callback says stop, the server closes, or an error. Returns 0 when stopped
 * by a callback or closed by the server after a 200, else -1 with a reason in errbuf; the
 * HTTP status goes to *status (0 when there was none). */
int wf_sse_run(const wf_sse_request_t *request, long *status, char *errbuf, size_t errlen);

#endif
