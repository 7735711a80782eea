/* console_http.c — request and response helpers (see console_http.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <wf/token.h>

#include "console_http.h"

static const char *s_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return status < 500 ? "Error" : "Server Error";
    }
}

static void s_send(struct mg_connection *conn, int status, const char *extra_headers,
                   const char *body, size_t len)
{
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
              status, s_reason(status), len, extra_headers ? extra_headers : "");
    mg_write(conn, body, len);
}

void console_send_json(struct mg_connection *conn, int status, json_t *body)
{
    /* 15 significant digits: 65.687 stays 65.687, not 65.686999999999998 */
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15));
    json_decref(body);
    if (!text) {
        s_send(conn, 500, NULL, "{\"error\":\"internal\"}", 20);
        return;
    }
    s_send(conn, status, NULL, text, strlen(text));
    free(text);
}

void console_send_error(struct mg_connection *conn, int status, const char *code,
                        const char *parameter, const char *fmt, ...)
{
    char message[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    json_t *body = json_pack("{s:s, s:s}", "error", code, "message", message);
    if (parameter)
        json_object_set_new(body, "parameter", json_string(parameter));
    const char *headers = status == 401   ? "WWW-Authenticate: Bearer realm=\"watchfloor\"\r\n"
                          : status == 503 ? "Retry-After: 1\r\n"
                          /* a 409 for a move the workflow forbids is final: no retry */
                          : status == 409 && strcmp(code, "not_stored_yet") == 0
                              ? "Retry-After: 1\r\n"
                              : NULL;
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(body);
    s_send(conn, status, headers, text ? text : "{}", text ? strlen(text) : 2);
    free(text);
}

void console_request_token(struct mg_connection *conn, char *out, size_t len)
{
    out[0] = '\0';
    const char *authorization = mg_get_header(conn, "Authorization");
    if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
        const char *token = authorization + 7;
        while (*token == ' ')
            token++;
        snprintf(out, len, "%s", token);
        return;
    }
    const char *cookies = mg_get_header(conn, "Cookie");
    if (cookies && mg_get_cookie(cookies, "wf_token", out, len) < 0)
        out[0] = '\0';
}

bool console_authenticate(console_t *console, struct mg_connection *conn, console_principal_t *who)
{
    char token[WF_TOKEN_LEN + 8];
    console_request_token(conn, token, sizeof token);
    switch (console_auth_check(console->auth, token, who)) {
    case CONSOLE_AUTH_OK:
        return true;
    case CONSOLE_AUTH_MISSING:
        console_send_error(conn, 401, "unauthorized", NULL,
                           "a bearer token is required (Authorization: Bearer wft_…); "
                           "create one with wf-admin token create");
        return false;
    case CONSOLE_AUTH_INVALID:
        console_send_error(conn, 401, "unauthorized", NULL,
                           "the token is not valid (unknown, revoked or expired)");
        return false;
    default:
        console_send_error(conn, 503, "unavailable", NULL,
                           "the token cannot be checked now: the database is unavailable");
        return false;
    }
}

int console_query_param(struct mg_connection *conn, const char *name, char *out, size_t len)
{
    const struct mg_request_info *info = mg_get_request_info(conn);
    out[0] = '\0';
    if (!info->query_string)
        return 0;
    int n = mg_get_var(info->query_string, strlen(info->query_string), name, out, len);
    if (n == -1)
        return 0;
    if (n < 0)
        return -1; /* -2: the value does not fit */
    /* %00 decodes to a NUL: the value would silently end there */
    return strlen(out) == (size_t)n ? 1 : -2;
}

json_t *console_read_json_body(struct mg_connection *conn, size_t max_bytes)
{
    const struct mg_request_info *info = mg_get_request_info(conn);
    if (info->content_length > (long long)max_bytes) {
        console_send_error(conn, 413, "too_large", NULL, "request body over %zu bytes", max_bytes);
        return NULL;
    }
    char *body = malloc(max_bytes + 1);
    if (!body) {
        console_send_error(conn, 503, "unavailable", NULL, "out of memory");
        return NULL;
    }
    size_t used = 0;
    int n;
    while (used < max_bytes && (n = mg_read(conn, body + used, max_bytes - used)) > 0)
        used += (size_t)n;
    if (used == max_bytes && mg_read(conn, body, 1) > 0) {
        free(body);
        console_send_error(conn, 413, "too_large", NULL, "request body over %zu bytes", max_bytes);
        return NULL;
    }
    if (used == 0) {
        free(body);
        return json_object();
    }
    json_error_t error;
    json_t *value = json_loadb(body, used, 0, &error);
    free(body);
    if (!json_is_object(value)) {
        json_decref(value);
        console_send_error(conn, 400, "bad_body", NULL,
                           "the body must be a JSON object (%s at line %d)",
                           value ? "not an object" : error.text, error.line);
        return NULL;
    }
    return value;
}
