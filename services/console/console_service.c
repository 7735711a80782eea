/* console_service.c — wf-console's set-up, its fixed endpoints and the bus feed.
 *
 * Why civetweb: it is packaged by Debian (libcivetweb-dev), embeds in a C program, serves
 * static files, and has WebSocket support built in; SSE is a plain long response on one of its
 * worker threads. libmicrohttpd has no WebSocket in Debian 12 and libh2o's event-loop API would
 * make every handler asynchronous for no gain at a console's scale (tens of clients).
 *
 * Threads: civetweb's workers answer HTTP (one per open stream); the service's own thread
 * reads the bus and appends to the hub. The transport is only touched by that thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <civetweb.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/token.h>
#include <wf/transport.h>

#include "console.h"
#include "console_api.h"
#include "console_feed.h"
#include "console_http.h"
#include "console_service.h"
#include "console_stream.h"

#define S_RECV_MAX 512

struct console_service_t {
    wf_service_t *svc;
    console_t console;
    struct mg_context *http;
    wf_transport_t *transport;
    char url[128];
};

static int s_log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn;
    wf_log_warn("http: %s", message);
    return 1;
}

static int s_healthz(struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    console_send_json(conn, 200,
                      json_pack("{s:s, s:I, s:I}", "status", "ok", "stream_epoch",
                                (json_int_t)console_hub_epoch(console->hub), "stream_head",
                                (json_int_t)console_hub_head(console->hub)));
    return 200;
}

static json_t *s_principal_json(const console_principal_t *who)
{
    json_t *agencies = json_array();
    for (size_t i = 0; i < who->nagencies; i++)
        json_array_append_new(agencies, json_string(who->agencies[i]));
    return json_pack("{s:s, s:s, s:o}", "name", who->name, "role", who->role, "agencies", agencies);
}

/* POST: exchanges the bearer header for an HttpOnly cookie (EventSource cannot send headers);
 * GET: who am I; DELETE: forget the cookie. */
static int s_session(struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    const char *method = mg_get_request_info(conn)->request_method;
    if (strcmp(method, "DELETE") == 0) {
        mg_printf(conn, "HTTP/1.1 204 No Content\r\nSet-Cookie: wf_token=; Path=/api; "
                        "HttpOnly; SameSite=Strict; Max-Age=0\r\nContent-Length: 0\r\n\r\n");
        return 204;
    }
    console_principal_t who;
    if (!console_authenticate(console, conn, &who))
        return 401;
    if (strcmp(method, "GET") == 0) {
        console_send_json(conn, 200, s_principal_json(&who));
        return 200;
    }
    if (strcmp(method, "POST") != 0) {
        console_send_error(conn, 405, "method_not_allowed", NULL, "use POST, GET or DELETE");
        return 405;
    }
    char token[WF_TOKEN_LEN + 8];
    console_request_token(conn, token, sizeof token);
    json_t *principal = s_principal_json(&who);
    char *body = json_dumps(principal, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(principal);
    size_t len = body ? strlen(body) : 0;
    /* token is well formed here (it authenticated), so it needs no quoting in the header */
    mg_printf(conn,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
              "Set-Cookie: wf_token=%s; Path=/api; HttpOnly; SameSite=Strict; Max-Age=43200\r\n"
              "Content-Length: %zu\r\n\r\n",
              token, len);
    mg_write(conn, body ? body : "", len);
    free(body);
    return 200;
}

static int s_start_http(console_service_t *self, char *errbuf, size_t errlen)
{
    const wf_config_t *config = self->svc->config;
    char threads[16];
    snprintf(threads, sizeof threads, "%" PRId64, wf_config_int(config, "console.threads"));
    const char *options[] = {
        "listening_ports", wf_config_string(config, "console.listen"), "document_root",
        wf_config_string(config, "console.web_root"), "num_threads", threads,
        "enable_directory_listing", "no", "enable_keep_alive", "yes", "request_timeout_ms", "30000",
        "websocket_timeout_ms", "15000", "enable_websocket_ping_pong", "yes",
        /* stream messages are small writes: without this Nagle holds one back until the
         * client's delayed ACK, up to 40 ms */
        "tcp_nodelay", "1",
        /* everything the UI loads comes from this server: no CDN, works air-gapped */
        "additional_header",
        "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
        "style-src 'self' 'unsafe-inline'\r\nX-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer",
        NULL};
    char index[PATH_MAX];
    snprintf(index, sizeof index, "%s/index.html", wf_config_string(config, "console.web_root"));
    if (access(index, R_OK) != 0)
        wf_log_warn("no web UI at console.web_root (the API and streams work; pages answer 404) "
                    "missing=%s",
                    index);
    struct mg_callbacks callbacks = {.log_message = s_log_message};
    self->http = mg_start(&callbacks, &self->console, options);
    if (!self->http) {
        snprintf(errbuf, errlen, "cannot listen on %s (in use, or not an address:port)",
                 wf_config_string(config, "console.listen"));
        return WF_EIO;
    }
    mg_set_request_handler(self->http, "/healthz$", s_healthz, &self->console);
    mg_set_request_handler(self->http, "/api/v1/session$", s_session, &self->console);
    console_stream_register(self->http, &self->console);
    console_api_register(self->http, &self->console);

    struct mg_server_port ports[4];
    int n = mg_get_server_ports(self->http, 4, ports);
    int port = n > 0 ? ports[0].port : 0;
    const char *listen = wf_config_string(config, "console.listen");
    const char *colon = strrchr(listen, ':');
    char host[64] = "127.0.0.1";
    if (colon && colon != listen && (size_t)(colon - listen) < sizeof host &&
        strncmp(listen, "0.0.0.0", 7) != 0)
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    snprintf(self->url, sizeof self->url, "http://%s:%d/", host, port);

    /* where scripts and tests find the console (the port may have been chosen by the system) */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/console.url", self->console.state_dir);
    FILE *file = fopen(path, "w");
    if (file) {
        fprintf(file, "%s\n", self->url);
        fclose(file);
    }
    wf_log_notice("console listening url=%s web_root=%s", self->url,
                  wf_config_string(config, "console.web_root"));
    return WF_OK;
}

console_service_t *console_service_new(wf_service_t *svc, char *errbuf, size_t errlen)
{
    const wf_config_t *config = svc->config;
    console_service_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->svc = svc;
    self->console.config = config;
    self->console.state_dir = wf_config_string(config, "state_dir");
    mg_init_library(0);
    self->console.db =
        console_db_new(wf_config_string(config, "pg.conninfo"),
                       (size_t)wf_config_int(config, "console.db_connections"), errbuf, errlen);
    if (!self->console.db)
        goto fail;
    self->console.auth =
        console_auth_new(self->console.db, wf_config_duration_us(config, "console.token_cache"));
    self->console.hub =
        console_hub_new((size_t)wf_config_int(config, "console.stream_buffer"), wf_clock_now_us());
    if (!self->console.auth || !self->console.hub) {
        snprintf(errbuf, errlen, "out of memory (console.stream_buffer too large?)");
        goto fail;
    }
    self->transport = wf_transport_new(config, svc->name, "console", svc->stats, errbuf, errlen);
    if (!self->transport)
        goto fail;
    const char *topics[] = {wf_config_string(config, "topics.enriched"),
                            wf_config_string(config, "topics.signals"),
                            wf_config_string(config, "topics.alerts")};
    for (size_t i = 0; i < 3; i++) {
        int rc = wf_transport_subscribe(self->transport, topics[i]);
        if (rc) {
            snprintf(errbuf, errlen, "cannot subscribe to %s: %s", topics[i], wf_strerror(rc));
            goto fail;
        }
    }
    if (s_start_http(self, errbuf, errlen) != WF_OK)
        goto fail;
    return self;
fail:
    console_service_destroy(&self);
    return NULL;
}

int console_service_step(console_service_t *self)
{
    const wf_delivery_t *deliveries;
    int n = wf_transport_recv(self->transport, &deliveries, S_RECV_MAX, 200);
    if (n < 0)
        return n == WF_EINTR ? WF_EINTR : n;
    const wf_transport_reject_t *rejects;
    size_t n_rejects = wf_transport_take_rejects(self->transport, &rejects);
    for (size_t i = 0; i < n_rejects; i++)
        wf_log_warn("undecodable message not shown on consoles (the storing stages dead-letter "
                    "it) position=%s reason=\"%s\"",
                    rejects[i].position, rejects[i].reason);
    wf_stats_add(self->svc->stats, "rejected", n_rejects);
    int64_t now = wf_clock_now_us();
    wf_histogram_t *latency = wf_stats_histogram(self->svc->stats, "stream_latency_us");
    for (int i = 0; i < n; i++) {
        if (deliveries[i].replay)
            continue;
        const Wf__Envelope *envelope = deliveries[i].envelope;
        console_msg_type_t type;
        const char *agency;
        json_t *body = console_feed_render(envelope, &type, &agency);
        if (!body)
            continue;
        char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
        json_decref(body);
        if (!text || !console_hub_append(self->console.hub, type, agency, envelope->ingest_ts_us,
                                         text, strlen(text))) {
            free(text);
            return WF_ENOMEM;
        }
        free(text);
        wf_stats_add(self->svc->stats, "streamed", 1);
        wf_stats_add(self->svc->stats,
                     type == CONSOLE_MSG_EVENT    ? "streamed.event"
                     : type == CONSOLE_MSG_SIGNAL ? "streamed.signal"
                                                  : "streamed.alert",
                     1);
        if (envelope->ingest_ts_us > 0 && latency)
            wf_histogram_record(latency, now - envelope->ingest_ts_us);
    }
    /* the console derives nothing durable: what it has put in the hub is done with */
    return n > 0 ? wf_transport_ack(self->transport) : WF_OK;
}

void console_service_destroy(console_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    console_service_t *self = *self_p;
    self->console.stopping = true;
    if (self->console.hub)
        console_hub_wake_all(self->console.hub);
    if (self->http)
        mg_stop(self->http); /* waits for the workers: streams notice `stopping` within 1 s */
    wf_transport_destroy(&self->transport);
    console_hub_destroy(&self->console.hub);
    console_auth_destroy(&self->console.auth);
    console_db_destroy(&self->console.db);
    mg_exit_library();
    free(self);
    *self_p = NULL;
}
