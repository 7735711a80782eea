/* console_api_request.c — parameter checks, scope and page writing shared by the query API's
 * handlers (see console_api_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/log.h>

#include "console_api_int.h"
#include "console_http.h"

#define S_MAX_PARAMS 32

bool console_api_check_names(struct mg_connection *conn, const char *const *allowed)
{
    const char *query = mg_get_request_info(conn)->query_string;
    bool seen[S_MAX_PARAMS] = {false};
    for (const char *p = query ? query : ""; *p;) {
        size_t part = strcspn(p, "&");
        size_t name_len = strcspn(p, "=&");
        char name[64];
        if (part > 0) {
            if (name_len == part) {
                console_send_error(conn, 400, "bad_parameter", NULL,
                                   "query parameter '%.40s' has no value (expected name=value)", p);
                return false;
            }
            int n = mg_url_decode(p, (int)name_len, name, sizeof name, 1);
            size_t index = 0;
            for (; n >= 0 && allowed[index]; index++)
                if (strcmp(allowed[index], name) == 0)
                    break;
            if (n < 0 || !allowed[index]) {
                console_send_error(conn, 400, "unknown_parameter", n < 0 ? NULL : name,
                                   "unknown query parameter '%.40s'", n < 0 ? "(too long)" : name);
                return false;
            }
            if (index < S_MAX_PARAMS && seen[index]) {
                console_send_error(conn, 400, "bad_parameter", name, "%s: given more than once",
                                   name);
                return false;
            }
            if (index < S_MAX_PARAMS)
                seen[index] = true;
        }
        p += part + (p[part] == '&');
    }
    return true;
}

/* The raw value of name: 1 present, 0 absent, -1 answered 400 (too long or empty). */
static int s_value(struct mg_connection *conn, const char *name, char *out, size_t len)
{
    int found = console_query_param(conn, name, out, len);
    if (found == -2) {
        console_send_error(conn, 400, "bad_parameter", name, "%s: holds a NUL byte (%%00)", name);
        return -1;
    }
    if (found < 0) {
        console_send_error(conn, 400, "bad_parameter", name, "%s: too long (at most %zu bytes)",
                           name, len - 1);
        return -1;
    }
    if (found > 0 && out[0] == '\0') {
        console_send_error(conn, 400, "bad_parameter", name, "%s: empty (leave it out instead)",
                           name);
        return -1;
    }
    return found;
}

int console_api_text(struct mg_connection *conn, const char *name, char *out, size_t len,
                     size_t max_chars)
{
    int found = s_value(conn, name, out, len);
    if (found > 0 && !console_params_is_clean_text(out, max_chars, false)) {
        console_send_error(conn, 400, "bad_parameter", name,
                           "%s: at most %zu characters of UTF-8 text without control characters",
                           name, max_chars);
        return -1;
    }
    return found;
}

int console_api_time(struct mg_connection *conn, const char *name,
                     char out[CONSOLE_PARAMS_TIME_LEN])
{
    char text[64];
    int found = s_value(conn, name, text, sizeof text);
    if (found <= 0) {
        out[0] = '\0';
        return found;
    }
    int64_t us;
    if (!console_params_parse_time(text, &us)) {
        /* a '+' left unencoded in a query string arrives as a space */
        console_send_error(conn, 400, "bad_parameter", name,
                           "%s: expected an RFC 3339 time such as 2017-06-01T00:00:00Z%s", name,
                           strchr(text, ' ') ? " (write a + offset as %2B in a URL)" : "");
        return -1;
    }
    console_params_format_time(us, out, CONSOLE_PARAMS_TIME_LEN);
    return 1;
}

bool console_api_limit(struct mg_connection *conn, int *limit)
{
    char text[16];
    *limit = CONSOLE_PARAMS_LIMIT_DEFAULT;
    int found = s_value(conn, "limit", text, sizeof text);
    if (found < 0)
        return false;
    if (found > 0 && !console_params_parse_limit(text, limit)) {
        console_send_error(conn, 400, "bad_parameter", "limit",
                           "limit: expected a whole number from 1 to %d", CONSOLE_PARAMS_LIMIT_MAX);
        return false;
    }
    return true;
}

int console_api_cursor(struct mg_connection *conn, char kind, char time[CONSOLE_PARAMS_TIME_LEN],
                       char uuid[CONSOLE_PARAMS_UUID_LEN])
{
    char text[CONSOLE_PARAMS_CURSOR_LEN + 1];
    int found = s_value(conn, "cursor", text, sizeof text);
    if (found <= 0)
        return found;
    int64_t us;
    if (!console_params_decode_cursor(text, kind, &us, uuid)) {
        console_send_error(conn, 400, "bad_parameter", "cursor",
                           "cursor: not a cursor of this list (pass the \"next\" value of the "
                           "previous page unchanged)");
        return -1;
    }
    console_params_format_time(us, time, CONSOLE_PARAMS_TIME_LEN);
    return 1;
}

const char *console_api_scope(const console_principal_t *who, char *out, size_t len)
{
    if (who->nagencies == 0)
        return NULL;
    const char *items[CONSOLE_MAX_AGENCIES];
    for (size_t i = 0; i < who->nagencies; i++)
        items[i] = who->agencies[i];
    /* 16 codes of at most 32 bytes always fit the callers' buffers; if not, see nothing */
    if (!console_params_text_array(items, who->nagencies, out, len))
        snprintf(out, len, "{}");
    return out;
}

PGconn *console_api_db(console_t *console, struct mg_connection *conn)
{
    PGconn *pg = console_db_acquire(console->db, 5000);
    if (!pg)
        console_send_error(conn, 503, "unavailable", NULL, "the database is unavailable");
    return pg;
}

int console_api_query_failed(struct mg_connection *conn, PGconn *pg, const char *what)
{
    wf_log_warn("query failed query=%s error=\"%s\"", what, PQerrorMessage(pg));
    console_send_error(conn, 503, "unavailable", NULL, "the %s query failed", what);
    return 503;
}

void console_api_send_text(struct mg_connection *conn, int status, const char *content_type,
                           const char *body, size_t len)
{
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
              "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n",
              status, status == 200 ? "OK" : "Error", content_type, len);
    mg_write(conn, body, len);
}

int console_api_send_page(struct mg_connection *conn, const PGresult *res, int limit, char kind)
{
    int rows = PQntuples(res);
    int shown = rows > limit ? limit : rows;
    char next[CONSOLE_PARAMS_CURSOR_LEN + 1] = "";
    if (rows > limit &&
        !console_params_encode_cursor(kind, strtoll(PQgetvalue(res, shown - 1, 1), NULL, 10),
                                      PQgetvalue(res, shown - 1, 2), next, sizeof next))
        next[0] = '\0';
    static const char head[] = "{\"type\":\"FeatureCollection\",\"features\":[";
    size_t len = sizeof head + sizeof next + 16;
    for (int i = 0; i < shown; i++)
        len += (size_t)PQgetlength(res, i, 0) + 1;
    char *body = malloc(len);
    if (!body) {
        console_send_error(conn, 503, "unavailable", NULL, "out of memory");
        return 503;
    }
    size_t used = 0;
    memcpy(body, head, sizeof head - 1);
    used += sizeof head - 1;
    for (int i = 0; i < shown; i++) {
        if (i > 0)
            body[used++] = ',';
        size_t n = (size_t)PQgetlength(res, i, 0);
        memcpy(body + used, PQgetvalue(res, i, 0), n);
        used += n;
    }
    if (next[0])
        used += (size_t)snprintf(body + used, len - used, "],\"next\":\"%s\"}", next);
    else
        used += (size_t)snprintf(body + used, len - used, "]}");
    console_api_send_text(conn, 200, "application/geo+json", body, used);
    free(body);
    return 200;
}
