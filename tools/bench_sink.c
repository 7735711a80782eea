/* bench_sink.c — the webhook endpoints scripts/bench points wf-alert at.
 *
 * A dead endpoint that takes connections and never answers is the worst a webhook receiver can
 * do to its sender (each request waits for alert.webhook.timeout); a live one shows the cost of
 * really posting. One poll loop, 127.0.0.1 only; a request is complete at the end of its
 * headers plus Content-Length bytes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wf/service.h>

#include "bench_sink.h"

#define SINK_CLIENTS 1024

typedef struct {
    int fd;      /* -1: free */
    size_t have; /* bytes of the current request */
    size_t need; /* its total once the head is in, else 0 */
    char head[8192];
} s_client_t;

static const char *s_arg(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

/* Content-Length of a request head (0 when absent). */
static size_t s_content_length(const char *head)
{
    for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n"))
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0)
            return (size_t)strtoul(line + 17, NULL, 10);
    return 0;
}

/* Feeds received bytes; returns true when a whole request has arrived. */
static bool s_feed(s_client_t *c, const char *data, size_t len)
{
    size_t room = sizeof c->head - 1 - (c->have < sizeof c->head ? c->have : sizeof c->head - 1);
    size_t copy = len < room ? len : room;
    if (c->have < sizeof c->head - 1)
        memcpy(c->head + c->have, data, copy);
    c->have += len;
    c->head[c->have < sizeof c->head ? c->have : sizeof c->head - 1] = '\0';
    if (c->need == 0) {
        char *end = strstr(c->head, "\r\n\r\n");
        if (!end)
            return false;
        c->need = (size_t)(end - c->head) + 4 + s_content_length(c->head);
    }
    return c->have >= c->need;
}

int bench_http_sink(int argc, char **argv)
{
    const char *mode = s_arg(argc, argv, "--mode");
    const char *port_file = s_arg(argc, argv, "--port-file");
    if (!mode || !port_file || (strcmp(mode, "dead") != 0 && strcmp(mode, "live") != 0)) {
        fprintf(stderr, "wf-bench http-sink --mode dead|live --port-file FILE\n");
        return 2;
    }
    bool live = strcmp(mode, "live") == 0;
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(listener, 1024) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &addr_len) != 0) {
        perror("wf-bench http-sink");
        return 1;
    }
    FILE *out = fopen(port_file, "w");
    if (!out || fprintf(out, "%d\n", ntohs(addr.sin_port)) < 0 || fclose(out) != 0) {
        perror(port_file);
        return 1;
    }
    static s_client_t clients[SINK_CLIENTS];
    for (int i = 0; i < SINK_CLIENTS; i++)
        clients[i].fd = -1;
    long requests = 0, connections = 0;
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    while (!wf_service_stopping()) {
        static struct pollfd fds[SINK_CLIENTS + 1];
        static int index[SINK_CLIENTS + 1];
        nfds_t n = 0;
        fds[n] = (struct pollfd){.fd = listener, .events = POLLIN};
        index[n++] = -1;
        for (int i = 0; i < SINK_CLIENTS; i++)
            if (clients[i].fd >= 0) {
                fds[n] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
                index[n++] = i;
            }
        if (poll(fds, n, 100) <= 0)
            continue;
        for (nfds_t k = 0; k < n; k++) {
            if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (index[k] < 0) {
                int fd = accept(listener, NULL, NULL);
                int slot = 0;
                while (slot < SINK_CLIENTS && clients[slot].fd >= 0)
                    slot++;
                if (fd >= 0 && slot < SINK_CLIENTS) {
                    clients[slot] = (s_client_t){.fd = fd};
                    connections++;
                } else if (fd >= 0) {
                    close(fd); /* more than SINK_CLIENTS held: the sender sees a reset */
                }
                continue;
            }
            s_client_t *c = &clients[index[k]];
            char buf[16384];
            ssize_t got = recv(c->fd, buf, sizeof buf, 0);
            if (got < 0 && errno == EINTR)
                continue;
            bool whole = got > 0 && s_feed(c, buf, (size_t)got);
            if (whole)
                requests++;
            if (got <= 0 || (whole && live)) {
                if (whole && send(c->fd, ok, sizeof ok - 1, MSG_NOSIGNAL) < 0)
                    perror("wf-bench http-sink: send");
                close(c->fd);
                c->fd = -1;
            } else if (whole) {
                c->have = c->need = 0; /* dead: swallow, never answer */
            }
        }
    }
    printf("http-sink %s: %ld requests on %ld connections\n", mode, requests, connections);
    return 0;
}
