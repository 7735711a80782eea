/* console_http.h — request and response helpers shared by every console handler. */
#ifndef WF_CONSOLE_HTTP_H
#define WF_CONSOLE_HTTP_H
#include <stdbool.h>
#include <stddef.h>

#include <civetweb.h>
#include <jansson.h>

#include "console.h"

/* Sends body as JSON with status and frees it. */
void console_send_json(struct mg_connection *conn, int status, json_t *body);

/* Sends {"error": code, "message": …, "parameter": parameter?}. 401 adds WWW-Authenticate,
 * 503 and 409 not_stored_yet add Retry-After: 1. */
void console_send_error(struct mg_connection *conn, int status, const char *code,
                        const char *parameter, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The token the request presents: "Authorization: Bearer …", else the wf_token cookie.
 * Writes it into out (empty when none). */
void console_request_token(struct mg_connection *conn, char *out, size_t len);

/* Authenticates the request; on failure answers it (401/503) and returns false. */
bool console_authenticate(console_t *console, struct mg_connection *conn, console_principal_t *who);

/* Query-string parameter name into out. Returns 1 when present, 0 when absent, -1 when it is
 * longer than len - 1, -2 when it holds a NUL byte (%00); the caller answers 400. */
int console_query_param(struct mg_connection *conn, const char *name, char *out, size_t len);

/* Reads a JSON request body of at most max_bytes. NULL (request answered 400/413) when it is
 * missing, too large or not a JSON object; an empty body gives an empty object. */
json_t *console_read_json_body(struct mg_connection *conn, size_t max_bytes);

#endif
