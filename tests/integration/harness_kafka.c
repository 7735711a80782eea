/* harness_kafka.c — the Kafka side of the integration harness: librdkafka's own mock cluster
 * (rd_kafka_mock_cluster_new) in a wf-kafka-mock child process on loopback, driven over its
 * stdin ("down all", "up all") to simulate broker outages.
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* Reads one line from the mock's stdout within timeout_ms; false on timeout or EOF. Byte by
 * byte on the raw descriptor, so nothing waits in a stdio buffer that poll() cannot see. */
static bool s_read_line(harness_t *h, char *line, size_t len, int timeout_ms)
{
    size_t at = 0;
    struct pollfd pfd = {.fd = h->kafka_replies, .events = POLLIN};
    while (at + 1 < len) {
        if (poll(&pfd, 1, timeout_ms) <= 0)
            break;
        char c;
        if (read(h->kafka_replies, &c, 1) != 1)
            break;
        if (c == '\n') {
            line[at] = '\0';
            return true;
        }
        line[at++] = c;
    }
    line[at] = '\0';
    return false;
}

bool harness_kafka_start(harness_t *h, int brokers)
{
    int to_mock[2], from_mock[2];
    if (pipe(to_mock) != 0 || pipe(from_mock) != 0)
        return false;
    char count[16], log[400];
    snprintf(count, sizeof count, "%d", brokers);
    snprintf(log, sizeof log, "%s/kafka-mock.log", h->dir);
    const char *binary = harness_binary("tools/wf-kafka-mock");
    /* the mock keeps at most about 5 MB per partition and silently drops the oldest beyond
     * that (a real broker keeps what retention says): spread the tests' volume thin */
    char *argv[] = {(char *)binary, "--config", h->config,       "--brokers", count,
                    "--partitions", "48",       "--exit-on-eof", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        dup2(to_mock[0], 0);
        dup2(from_mock[1], 1);
        FILE *err = freopen(log, "w", stderr);
        (void)err;
        close(to_mock[1]);
        close(from_mock[0]);
        execv(binary, argv);
        _exit(127);
    }
    close(to_mock[0]);
    close(from_mock[1]);
    h->kafka_pid = pid;
    h->kafka_control = to_mock[1];
    h->kafka_replies = from_mock[0];
    char line[512] = "";
    int wait_ms = (int)(20000 * h->timeout_multiplier);
    if (!s_read_line(h, line, sizeof line, wait_ms) || strncmp(line, "bootstrap=", 10) != 0) {
        fprintf(stderr, "harness: wf-kafka-mock did not start (log %s): %s\n", log, line);
        return false;
    }
    snprintf(h->kafka_bootstrap, sizeof h->kafka_bootstrap, "%s", line + 10);
    FILE *config = fopen(h->config, "a");
    if (!config)
        return false;
    /* the 2.0.2 mock has no CreateTopics: wf-kafka-mock made the topics. It also answers an
     * empty fetch only when kafka.fetch_wait runs out (a real broker answers when data
     * arrives), so a short wait keeps each hop from adding ~250 ms. */
    fprintf(config,
            "transport:\n  backend: kafka\nkafka:\n  brokers: \"%s\"\n  create_topics: false\n"
            "  fetch_wait: 10ms\n",
            h->kafka_bootstrap);
    return fclose(config) == 0;
}

bool harness_kafka_command(harness_t *h, const char *command)
{
    if (!h->kafka_pid)
        return false;
    char line[512];
    snprintf(line, sizeof line, "%s\n", command);
    if (write(h->kafka_control, line, strlen(line)) != (ssize_t)strlen(line))
        return false;
    if (!s_read_line(h, line, sizeof line, 10000))
        return false;
    if (strncmp(line, "ok", 2) != 0) {
        fprintf(stderr, "harness: wf-kafka-mock refused '%s': %s\n", command, line);
        return false;
    }
    return true;
}

void harness_kafka_stop(harness_t *h)
{
    if (!h->kafka_pid)
        return;
    close(h->kafka_control);
    kill(h->kafka_pid, SIGTERM);
    int status;
    waitpid(h->kafka_pid, &status, 0);
    close(h->kafka_replies);
    h->kafka_replies = -1;
    h->kafka_pid = 0;
}

bool harness_write_events(harness_t *h, int count, char *path, size_t len)
{
    /* copy k of the 2025 export gets record ids "<id>-k" and dates k years earlier, so every
     * row is a new event and copies never pair as near repeats */
    snprintf(path, len, "%s/events-%d.csv", h->dir, count);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "set -e; base='%s/data/chicago/crimes_2025_socrata_api.csv.xz'; out='%s'; "
             "xz -dc \"$base\" | head -n1 > \"$out\"; k=0; "
             "while [ $(($(wc -l < \"$out\") - 1)) -lt %d ]; do "
             "xz -dc \"$base\" | tail -n +2 | "
             "sed -E \"s/^([0-9]+),([^,]*),2025-/\\1-$k,\\2,$((2025 - k))-/\" >> \"$out\"; "
             "k=$((k + 1)); done; head -n %d \"$out\" > \"$out.tmp\"; mv \"$out.tmp\" \"$out\"",
             WF_SOURCE_DIR, path, count, count + 1);
    return system(cmd) == 0;
}

/* Kafka consumers report the partitions they own and how far behind they are; a stable
 * fingerprint alone would also match a group that is rebalancing. */
bool harness_kafka_caught_up(harness_t *h)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/state/stats", h->dir);
    DIR *stats = opendir(dir);
    struct dirent *entry;
    bool caught_up = true;
    while (caught_up && stats && (entry = readdir(stats)) != NULL) {
        const char *suffix = strstr(entry->d_name, ".stats");
        if (!suffix)
            continue;
        char service[256];
        snprintf(service, sizeof service, "%.*s", (int)(suffix - entry->d_name), entry->d_name);
        if (!harness_alive(h, service))
            continue; /* a killed copy's last stats say nothing about the group now */
        char path[600], name[256];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        FILE *in = fopen(path, "r");
        long long value, assigned = -1, lag = 0;
        while (in && fscanf(in, "%255s %lld", name, &value) == 2) {
            if (strcmp(name, "transport.assigned_partitions") == 0)
                assigned = value;
            else if (strcmp(name, "transport.lag") == 0)
                lag = value;
        }
        if (in)
            fclose(in);
        caught_up = assigned == -1 || (assigned > 0 && lag == 0);
    }
    if (stats)
        closedir(stats);
    return caught_up;
}
