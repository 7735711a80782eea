/* console_stream.h — the live streams: Server-Sent Events and WebSocket, both fed from the hub,
 * both resumable from the last id a client saw (see console_hub.h and docs/console-api.md).
 */
#ifndef WF_CONSOLE_STREAM_H
#define WF_CONSOLE_STREAM_H
#include <civetweb.h>

#include "console.h"

/* Registers GET /api/v1/stream (SSE) and /api/v1/ws (WebSocket). */
void console_stream_register(struct mg_context *ctx, console_t *console);

/* Where a client starts: parsed from its types= and resume id. Exposed for the unit test. */
typedef struct {
    unsigned types;         /* console_msg_type_t mask */
    uint64_t after;         /* send messages with a greater sequence number */
    const char *resync_why; /* non-NULL: tell the client to reload, then stream live */
} console_stream_start_t;

/* types: NULL/"" = all, else a comma list of event,signal,alert,alert_update. resume: the
 * Last-Event-ID (NULL when none). Returns 0, or -1 with a reason in why (400). */
int console_stream_start(console_hub_t *hub, const char *types, const char *resume,
                         console_stream_start_t *start, char *why, size_t whylen);

#endif
