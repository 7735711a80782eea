/* webhook_receiver.c — the test HTTP server behind webhook_receiver.h.
 *
 * One thread polls the listening socket and up to MAX_CLIENTS connections every 20 ms at
 * most (so stop is prompt), parses just enough HTTP/1.1 (request line, headers, Content-Length
 * body) and answers by mode.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "webhook_receiver.h"

#define MAX_CLIENTS 256
#define REQUEST_MAX (1024 * 1024)

typedef struct {
    int fd;    /* -1: free */
    char *buf; /* what arrived so far */
    size_t len;
    bool done; /* a whole request was read (blackhole: kept open, ignored) */
} s_client_t;

int64_t webhook_receiver_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The value of header name (case-insensitive) in the head, into out ("" when absent). */
static void s_header(const char *head, const char *name, char *out, size_t len)
{
    out[0] = '\0';
    size_t name_len = strlen(name);
    for (const char *line = strstr(head, "\r\n"); line && line[2] != '\r';
         line = strstr(line + 2, "\r\n")) {
        const char *p = line + 2;
        if (strncasecmp(p, name, name_len) == 0 && p[name_len] == ':') {
            p += name_len + 1;
            while (*p == ' ')
                p++;
            size_t value_len = strcspn(p, "\r\n");
            snprintf(out, len, "%.*s", (int)value_len, p);
            return;
        }
    }
}

/* How many earlier requests named this alert id (under the mutex). */
static int s_seen(const webhook_receiver_t *r, const char *alert_id)
{
    int n = 0;
    for (size_t i = 0; i + 1 < r->n_requests; i++)
        n += strcmp(r->requests[i].alert_id, alert_id) == 0;
    return n;
}

static void s_answer(int fd, int status, int retry_after_s)
{
    char response[256];
    char retry[64] = "";
    if (retry_after_s > 0)
        snprintf(retry, sizeof retry, "Retry-After: %d\r\n", retry_after_s);
    int len = snprintf(response, sizeof response,
                       "HTTP/1.1 %d Test\r\nContent-Length: 2\r\nConnection: close\r\n%s\r\nok",
                       status, retry);
    if (send(fd, response, (size_t)len, MSG_NOSIGNAL) < 0)
        perror("receiver: send");
}

/* A whole request is in c->buf: record it and answer. Returns false to close the client. */
static bool s_handle(webhook_receiver_t *r, s_client_t *c, size_t head_len, size_t body_len)
{
    c->buf[head_len - 2] = '\0'; /* head ends with its last header's CRLF */
    pthread_mutex_lock(&r->mutex);
    if (r->n_requests == RECEIVER_MAX_REQUESTS) {
        pthread_mutex_unlock(&r->mutex);
        fprintf(stderr, "receiver: more than %d requests\n", RECEIVER_MAX_REQUESTS);
        return false;
    }
    receiver_request_t *q = &r->requests[r->n_requests++];
    memset(q, 0, sizeof *q);
    q->at_us = webhook_receiver_now_us();
    s_header(c->buf, "X-Watchfloor-Alert-Id", q->alert_id, sizeof q->alert_id);
    s_header(c->buf, "Idempotency-Key", q->idempotency_key, sizeof q->idempotency_key);
    s_header(c->buf, "X-Watchfloor-Attempt", q->attempt, sizeof q->attempt);
    s_header(c->buf, "Content-Type", q->content_type, sizeof q->content_type);
    s_header(c->buf, "Authorization", q->authorization, sizeof q->authorization);
    s_header(c->buf, "X-Watchfloor-Timestamp", q->timestamp, sizeof q->timestamp);
    s_header(c->buf, "X-Watchfloor-Signature", q->signature, sizeof q->signature);
    q->body = malloc(body_len + 1);
    if (q->body) {
        memcpy(q->body, c->buf + head_len + 2, body_len);
        q->body[body_len] = '\0';
        q->body_len = body_len;
    }
    int status = 200, retry_after = 0;
    if (r->mode == RECEIVER_BLACKHOLE)
        status = 0;
    else if (r->mode == RECEIVER_FAIL_FIRST && s_seen(r, q->alert_id) < r->fail_count) {
        status = r->fail_status;
        retry_after = r->retry_after_s;
    }
    q->answered = status;
    pthread_mutex_unlock(&r->mutex);
    if (status == 0)
        return true; /* blackhole: hold the connection, never answer */
    s_answer(c->fd, status, retry_after);
    return false;
}

/* Reads what is there; returns false when the client is to be closed. */
static bool s_read(webhook_receiver_t *r, s_client_t *c)
{
    char chunk[16384];
    ssize_t n = recv(c->fd, chunk, sizeof chunk, 0);
    if (n <= 0)
        return n < 0 && errno == EINTR;
    if (c->done)
        return true; /* blackholed: swallow */
    if (c->len + (size_t)n > REQUEST_MAX)
        return false;
    char *grown = realloc(c->buf, c->len + (size_t)n + 1);
    if (!grown)
        return false;
    c->buf = grown;
    memcpy(c->buf + c->len, chunk, (size_t)n);
    c->len += (size_t)n;
    c->buf[c->len] = '\0';
    char *end = strstr(c->buf, "\r\n\r\n");
    if (!end)
        return true;
    size_t head_len = (size_t)(end - c->buf) + 2;
    char length[32];
    s_header(c->buf, "Content-Length", length, sizeof length);
    size_t body_len = (size_t)strtoul(length, NULL, 10);
    if (c->len < head_len + 2 + body_len)
        return true;
    c->done = true;
    return s_handle(r, c, head_len, body_len);
}

static void s_close(s_client_t *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    *c = (s_client_t){.fd = -1};
}

static void *s_run(void *arg)
{
    webhook_receiver_t *r = arg;
    s_client_t clients[MAX_CLIENTS];
    for (int i = 0; i < MAX_CLIENTS; i++)
        clients[i] = (s_client_t){.fd = -1};
    while (!atomic_load(&r->stop)) {
        struct pollfd fds[MAX_CLIENTS + 1];
        int index[MAX_CLIENTS + 1], n = 0;
        fds[n] = (struct pollfd){.fd = r->listen_fd, .events = POLLIN};
        index[n++] = -1;
        for (int i = 0; i < MAX_CLIENTS; i++)
            if (clients[i].fd >= 0) {
                fds[n] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
                index[n++] = i;
            }
        if (poll(fds, (nfds_t)n, 20) <= 0)
            continue;
        for (int k = 0; k < n; k++) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (index[k] < 0) {
                int fd = accept(r->listen_fd, NULL, NULL);
                int slot = 0;
                while (slot < MAX_CLIENTS && clients[slot].fd >= 0)
                    slot++;
                if (fd >= 0 && slot < MAX_CLIENTS) {
                    clients[slot] = (s_client_t){.fd = fd};
                    pthread_mutex_lock(&r->mutex);
                    r->connections++;
                    pthread_mutex_unlock(&r->mutex);
                } else if (fd >= 0) {
                    close(fd);
                }
            } else if (!s_read(r, &clients[index[k]])) {
                s_close(&clients[index[k]]);
            }
        }
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
        s_close(&clients[i]);
    return NULL;
}

bool webhook_receiver_start(webhook_receiver_t *r, receiver_mode_t mode)
{
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->fail_status = 500;
    pthread_mutex_init(&r->mutex, NULL);
    r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (r->listen_fd < 0 || bind(r->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(r->listen_fd, 512) != 0 ||
        getsockname(r->listen_fd, (struct sockaddr *)&addr, &len) != 0) {
        perror("receiver: listen");
        return false;
    }
    r->port = ntohs(addr.sin_port);
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%d/hook", r->port);
    return pthread_create(&r->thread, NULL, s_run, r) == 0;
}

void webhook_receiver_stop(webhook_receiver_t *r)
{
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
    for (size_t i = 0; i < r->n_requests; i++)
        free(r->requests[i].body);
    r->n_requests = 0;
    pthread_mutex_destroy(&r->mutex);
}

size_t webhook_receiver_count(webhook_receiver_t *r)
{
    pthread_mutex_lock(&r->mutex);
    size_t n = r->n_requests;
    pthread_mutex_unlock(&r->mutex);
    return n;
}

size_t webhook_receiver_wait(webhook_receiver_t *r, size_t n, int timeout_ms)
{
    int64_t deadline = webhook_receiver_now_us() + (int64_t)timeout_ms * 1000;
    size_t have;
    while ((have = webhook_receiver_count(r)) < n && webhook_receiver_now_us() < deadline) {
        struct timespec pause = {.tv_nsec = 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return have;
}

int webhook_receiver_refusing_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0)
        close(fd); /* bound, never listened: the kernel refuses connections */
    return port;
}
