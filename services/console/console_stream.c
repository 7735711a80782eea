/* console_stream.c — SSE and WebSocket streams (see console_stream.h).
 *
 * Each client has its own thread (civetweb's worker for SSE, a pusher thread for WebSocket)
 * that reads the hub from its own position, so a slow or stalled browser only ever delays
 * itself; if it falls further behind than the hub holds, it is told to resync.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/log.h>

#include "console_http.h"
#include "console_stream.h"

#define S_BATCH          256
#define S_KEEPALIVE_US   (15 * WF_US_PER_SEC)
#define S_WAIT_MS        1000
#define S_MAX_RESUME_LEN 64

static const struct {
    const char *name;
    console_msg_type_t type;
} s_types[] = {{"event", CONSOLE_MSG_EVENT},
               {"signal", CONSOLE_MSG_SIGNAL},
               {"alert", CONSOLE_MSG_ALERT},
               {"alert_update", CONSOLE_MSG_ALERT_UPDATE}};

static const char *s_type_name(console_msg_type_t type)
{
    for (size_t i = 0; i < sizeof s_types / sizeof *s_types; i++)
        if (s_types[i].type == type)
            return s_types[i].name;
    return "message";
}

int console_stream_start(console_hub_t *hub, const char *types, const char *resume,
                         console_stream_start_t *start, char *why, size_t whylen)
{
    *start = (console_stream_start_t){.types = CONSOLE_MSG_ALL};
    if (types && *types) {
        start->types = 0;
        for (const char *p = types; *p;) {
            size_t len = strcspn(p, ",");
            bool known = false;
            for (size_t i = 0; i < sizeof s_types / sizeof *s_types; i++)
                if (strlen(s_types[i].name) == len && strncmp(p, s_types[i].name, len) == 0) {
                    start->types |= (unsigned)s_types[i].type;
                    known = true;
                }
            if (!known) {
                snprintf(why, whylen,
                         "types: unknown type '%.*s' (event, signal, alert, alert_update)",
                         (int)(len > 32 ? 32 : len), p);
                return -1;
            }
            p += len + (p[len] == ',');
        }
    }
    uint64_t head = console_hub_head(hub);
    start->after = head;
    if (!resume || !*resume)
        return 0;
    int64_t epoch;
    uint64_t seq;
    if (!console_hub_parse_id(resume, &epoch, &seq)) {
        snprintf(why, whylen, "last event id '%.40s' is not an id this console sent", resume);
        return -1;
    }
    if (epoch != console_hub_epoch(hub))
        start->resync_why = "the console restarted since that id: reload, then stream live";
    else if (seq > head)
        start->resync_why = "that id is ahead of this console: reload, then stream live";
    else
        start->after = seq; /* too old for the ring: the first read reports it as lost */
    return 0;
}

static bool s_wanted(const console_msg_t *msg, unsigned types, const console_principal_t *who)
{
    return (types & (unsigned)msg->type) && console_principal_sees_agency(who, msg->agency);
}

/* ---- Server-Sent Events ------------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len, cap;
} s_buffer_t;

static bool s_append(s_buffer_t *buf, const char *text, size_t len)
{
    if (buf->len + len > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 65536;
        while (cap < buf->len + len)
            cap *= 2;
        char *grown = realloc(buf->data, cap);
        if (!grown)
            return false;
        buf->data = grown;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, text, len);
    buf->len += len;
    return true;
}

static bool s_append_sse(s_buffer_t *buf, int64_t epoch, uint64_t seq, const char *type,
                         const char *json, size_t len)
{
    char head[128];
    int n = snprintf(head, sizeof head, "id: %" PRId64 ".%" PRIu64 "\nevent: %s\ndata: ", epoch,
                     seq, type);
    return s_append(buf, head, (size_t)n) && s_append(buf, json, len) && s_append(buf, "\n\n", 2);
}

static bool s_append_resync(s_buffer_t *buf, int64_t epoch, uint64_t seq, const char *why)
{
    json_t *body = json_pack("{s:s}", "reason", why);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    bool ok = text && s_append_sse(buf, epoch, seq, "resync", text, strlen(text));
    free(text);
    return ok;
}

static int s_sse(struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    if (strcmp(mg_get_request_info(conn)->request_method, "GET") != 0) {
        console_send_error(conn, 405, "method_not_allowed", NULL, "use GET");
        return 405;
    }
    console_principal_t who;
    if (!console_authenticate(console, conn, &who))
        return 401;
    char types[128], resume[S_MAX_RESUME_LEN], why[160];
    if (console_query_param(conn, "types", types, sizeof types) < 0 ||
        console_query_param(conn, "last_event_id", resume, sizeof resume) < 0) {
        console_send_error(conn, 400, "bad_parameter", NULL, "parameter too long");
        return 400;
    }
    const char *header = mg_get_header(conn, "Last-Event-ID");
    if (header && *header)
        snprintf(resume, sizeof resume, "%s", header);
    console_stream_start_t start;
    if (console_stream_start(console->hub, types, resume, &start, why, sizeof why)) {
        console_send_error(conn, 400, "bad_parameter", header ? "Last-Event-ID" : "types", "%s",
                           why);
        return 400;
    }
    mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n"
                    "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
                    "retry: 2000\n\n");
    int64_t epoch = console_hub_epoch(console->hub);
    s_buffer_t buf = {0};
    bool ok = !start.resync_why || s_append_resync(&buf, epoch, start.after, start.resync_why);
    uint64_t after = start.after;
    int64_t last_write_us = wf_clock_mono_us();
    console_msg_t *msgs[S_BATCH];
    wf_log_info("stream opened client=%s token=%s types=%s from=%" PRIu64,
                mg_get_request_info(conn)->remote_addr, who.name, *types ? types : "all", after);
    while (ok && !console->stopping) {
        bool lost;
        size_t n =
            console_hub_read(console->hub, after, msgs, S_BATCH, buf.len ? 0 : S_WAIT_MS, &lost);
        if (lost)
            ok = s_append_resync(&buf, epoch, after,
                                 "messages were missed (the client fell behind more than the "
                                 "console holds): reload, then stream live");
        for (size_t i = 0; i < n; i++) {
            after = msgs[i]->seq;
            if (ok && s_wanted(msgs[i], start.types, &who))
                ok = s_append_sse(&buf, epoch, msgs[i]->seq, s_type_name(msgs[i]->type),
                                  msgs[i]->json, msgs[i]->len);
            console_msg_release(msgs[i]);
        }
        int64_t now = wf_clock_mono_us();
        if (ok && buf.len == 0 && now - last_write_us > S_KEEPALIVE_US)
            ok = s_append(&buf, ": keepalive\n\n", 13);
        if (ok && buf.len > 0 && n < S_BATCH) {
            ok = mg_write(conn, buf.data, buf.len) == (int)buf.len;
            buf.len = 0;
            last_write_us = now;
        }
    }
    free(buf.data);
    wf_log_info("stream closed client=%s token=%s", mg_get_request_info(conn)->remote_addr,
                who.name);
    return 200;
}

/* ---- WebSocket ----------------------------------------------------------------------------- */

typedef struct {
    console_t *console;
    struct mg_connection *conn;
    console_principal_t who;
    console_stream_start_t start;
    pthread_t pusher;
    bool pusher_started;
    volatile bool closed;
} s_ws_client_t;

static int s_ws_send_resync(s_ws_client_t *client, uint64_t seq, const char *why)
{
    char id[64];
    snprintf(id, sizeof id, "%" PRId64 ".%" PRIu64, console_hub_epoch(client->console->hub), seq);
    json_t *body =
        json_pack("{s:s, s:s, s:{s:s}}", "id", id, "type", "resync", "data", "reason", why);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    int rc =
        text ? mg_websocket_write(client->conn, MG_WEBSOCKET_OPCODE_TEXT, text, strlen(text)) : -1;
    free(text);
    return rc;
}

/* WebSocket messages wrap the same JSON: {"id": …, "type": …, "data": {…}}. */
static int s_ws_send(s_ws_client_t *client, const console_msg_t *msg, s_buffer_t *buf)
{
    char head[128];
    int n = snprintf(head, sizeof head,
                     "{\"id\":\"%" PRId64 ".%" PRIu64 "\",\"type\":\"%s\","
                     "\"data\":",
                     console_hub_epoch(client->console->hub), msg->seq, s_type_name(msg->type));
    buf->len = 0;
    if (!s_append(buf, head, (size_t)n) || !s_append(buf, msg->json, msg->len) ||
        !s_append(buf, "}", 1))
        return -1;
    return mg_websocket_write(client->conn, MG_WEBSOCKET_OPCODE_TEXT, buf->data, buf->len);
}

static void *s_ws_pusher(void *arg)
{
    s_ws_client_t *client = arg;
    console_t *console = client->console;
    uint64_t after = client->start.after;
    s_buffer_t buf = {0};
    console_msg_t *msgs[S_BATCH];
    int64_t last_write_us = wf_clock_mono_us();
    bool ok =
        !client->start.resync_why || s_ws_send_resync(client, after, client->start.resync_why) > 0;
    while (ok && !client->closed && !console->stopping) {
        bool lost;
        size_t n = console_hub_read(console->hub, after, msgs, S_BATCH, S_WAIT_MS, &lost);
        if (lost)
            ok = s_ws_send_resync(client, after,
                                  "messages were missed: reload, then stream "
                                  "live") > 0;
        for (size_t i = 0; i < n; i++) {
            after = msgs[i]->seq;
            if (ok && s_wanted(msgs[i], client->start.types, &client->who)) {
                ok = s_ws_send(client, msgs[i], &buf) > 0;
                last_write_us = wf_clock_mono_us();
            }
            console_msg_release(msgs[i]);
        }
        if (ok && wf_clock_mono_us() - last_write_us > S_KEEPALIVE_US) {
            ok = mg_websocket_write(client->conn, MG_WEBSOCKET_OPCODE_PING, "", 0) >= 0;
            last_write_us = wf_clock_mono_us();
        }
    }
    free(buf.data);
    return NULL;
}

static int s_ws_connect(const struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    s_ws_client_t *client = calloc(1, sizeof *client);
    if (!client)
        return 1;
    client->console = console;
    char token[128], types[128] = "", resume[S_MAX_RESUME_LEN] = "", why[160];
    console_request_token((struct mg_connection *)conn, token, sizeof token);
    const struct mg_request_info *info = mg_get_request_info(conn);
    if (info->query_string) {
        mg_get_var(info->query_string, strlen(info->query_string), "types", types, sizeof types);
        mg_get_var(info->query_string, strlen(info->query_string), "last_event_id", resume,
                   sizeof resume);
        /* WebSocket clients outside browsers often cannot set headers or cookies: RFC 6750's
         * access_token parameter, here only (the console keeps no access log of URLs) */
        if (!*token)
            mg_get_var(info->query_string, strlen(info->query_string), "access_token", token,
                       sizeof token);
    }
    if (console_auth_check(console->auth, token, &client->who) != CONSOLE_AUTH_OK) {
        wf_log_notice("websocket refused: no valid token client=%s", info->remote_addr);
        free(client);
        return 1; /* civetweb closes the connection */
    }
    if (console_stream_start(console->hub, types, resume, &client->start, why, sizeof why)) {
        wf_log_notice("websocket refused client=%s reason=\"%s\"", info->remote_addr, why);
        free(client);
        return 1;
    }
    mg_set_user_connection_data(conn, client);
    return 0;
}

static void s_ws_ready(struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    s_ws_client_t *client = mg_get_user_connection_data(conn);
    client->conn = conn;
    if (pthread_create(&client->pusher, NULL, s_ws_pusher, client) == 0)
        client->pusher_started = true;
    else
        wf_log_error("cannot start a websocket pusher thread");
}

static int s_ws_data(struct mg_connection *conn, int bits, char *data, size_t len, void *cbdata)
{
    (void)conn;
    (void)data;
    (void)len;
    (void)cbdata;
    /* the stream is one-way; keep the connection unless the client closes it */
    return (bits & 0x0f) != MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE;
}

static void s_ws_close(const struct mg_connection *conn, void *cbdata)
{
    (void)cbdata;
    s_ws_client_t *client = mg_get_user_connection_data(conn);
    if (!client)
        return;
    client->closed = true;
    if (client->pusher_started)
        pthread_join(client->pusher, NULL);
    mg_set_user_connection_data(conn, NULL);
    free(client);
}

void console_stream_register(struct mg_context *ctx, console_t *console)
{
    mg_set_request_handler(ctx, "/api/v1/stream$", s_sse, console);
    mg_set_websocket_handler(ctx, "/api/v1/ws$", s_ws_connect, s_ws_ready, s_ws_data, s_ws_close,
                             console);
}
