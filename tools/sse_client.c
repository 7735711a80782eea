/* sse_client.c — Server-Sent Events over libcurl (see sse_client.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sse_client.h"

typedef struct {
    const wf_sse_request_t *request;
    char *line; /* the line being assembled (chunks split lines anywhere) */
    size_t line_len, line_cap;
    char id[128];
    char event[64];
    char *data;
    size_t data_len, data_cap;
    bool stopped; /* a callback asked to stop */
} s_reader_t;

static bool s_grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 4096;
    while (cap2 < need)
        cap2 *= 2;
    char *grown = realloc(*buf, cap2);
    if (!grown)
        return false;
    *buf = grown;
    *cap = cap2;
    return true;
}

/* One complete line (without its end of line). Returns false to stop. */
static bool s_line(s_reader_t *r, const char *line, size_t len)
{
    if (len == 0) { /* dispatch */
        if (r->data_len == 0)
            return true;
        r->data[r->data_len - 1] = '\0'; /* the last data line's '\n' */
        wf_sse_message_t message = {r->id, *r->event ? r->event : "message", r->data};
        bool go_on = r->request->on_message(&message, r->request->user);
        r->data_len = 0;
        r->event[0] = '\0';
        return go_on;
    }
    if (line[0] == ':')
        return true;
    const char *colon = memchr(line, ':', len);
    size_t name_len = colon ? (size_t)(colon - line) : len;
    const char *value = colon ? colon + 1 : line + len;
    if (colon && *value == ' ')
        value++;
    size_t value_len = (size_t)(line + len - value);
    if (name_len == 4 && strncmp(line, "data", 4) == 0) {
        if (!s_grow(&r->data, &r->data_cap, r->data_len + value_len + 2))
            return false;
        memcpy(r->data + r->data_len, value, value_len);
        r->data_len += value_len;
        r->data[r->data_len++] = '\n';
    } else if (name_len == 2 && strncmp(line, "id", 2) == 0) {
        snprintf(r->id, sizeof r->id, "%.*s", (int)value_len, value);
    } else if (name_len == 5 && strncmp(line, "event", 5) == 0) {
        snprintf(r->event, sizeof r->event, "%.*s", (int)value_len, value);
    }
    return true;
}

static size_t s_write(char *chunk, size_t size, size_t nmemb, void *user)
{
    s_reader_t *r = user;
    size_t len = size * nmemb;
    for (size_t i = 0; i < len; i++) {
        char c = chunk[i];
        if (c == '\r')
            continue; /* CRLF and LF end lines alike */
        if (c == '\n') {
            if (!s_line(r, r->line ? r->line : "", r->line_len)) {
                r->stopped = true;
                return 0; /* makes curl stop with CURLE_WRITE_ERROR */
            }
            r->line_len = 0;
            continue;
        }
        if (!s_grow(&r->line, &r->line_cap, r->line_len + 1))
            return 0;
        r->line[r->line_len++] = c;
    }
    return len;
}

static int s_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    s_reader_t *r = user;
    if (r->request->keep_going && !r->request->keep_going(r->request->user)) {
        r->stopped = true;
        return 1;
    }
    return 0;
}

int wf_sse_run(const wf_sse_request_t *request, long *status, char *errbuf, size_t errlen)
{
    *status = 0;
    CURL *curl = curl_easy_init();
    if (!curl) {
        snprintf(errbuf, errlen, "curl_easy_init failed");
        return -1;
    }
    s_reader_t reader = {.request = request};
    struct curl_slist *headers = NULL;
    char header[256];
    snprintf(header, sizeof header, "Authorization: Bearer %s", request->token);
    headers = curl_slist_append(headers, header);
    headers = curl_slist_append(headers, "Accept: text/event-stream");
    if (request->last_event_id && *request->last_event_id) {
        snprintf(header, sizeof header, "Last-Event-ID: %s", request->last_event_id);
        headers = curl_slist_append(headers, header);
    }
    curl_easy_setopt(curl, CURLOPT_URL, request->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reader);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, s_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &reader);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    int result = 0;
    if (reader.stopped)
        result = 0;
    else if (rc != CURLE_OK) {
        snprintf(errbuf, errlen, "%s", curl_easy_strerror(rc));
        result = -1;
    } else if (*status != 200) {
        snprintf(errbuf, errlen, "HTTP status %ld", *status);
        result = -1;
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(reader.line);
    free(reader.data);
    return result;
}
