/* bench_sse.c — `wf-bench sse`: the latency a console sees, event ingested → SSE message read.
 *
 *   wf-bench sse --url URL --token-file FILE
 *
 * Connects to the console's stream and, for every message, records the receipt time minus the
 * message's ingest_ts_us (both clocks are this machine's). Runs until SIGINT/SIGTERM, then
 * prints one line per message type: "sse TYPE count=N p50_us=… p99_us=… max_us=…".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/service.h>
#include <wf/stats.h>

#include "bench_sse.h"
#include "sse_client.h"

typedef struct {
    wf_histogram_t *alert, *event, *other;
} s_latencies_t;

static bool s_on_message(const wf_sse_message_t *message, void *user)
{
    s_latencies_t *latencies = user;
    int64_t now = wf_clock_now_us();
    const char *field = strstr(message->data, "\"ingest_ts_us\":");
    if (!field)
        return true;
    long long ingest = strtoll(field + strlen("\"ingest_ts_us\":"), NULL, 10);
    if (ingest <= 0)
        return true;
    wf_histogram_t *h = strcmp(message->event, "alert") == 0   ? latencies->alert
                        : strcmp(message->event, "event") == 0 ? latencies->event
                                                               : latencies->other;
    wf_histogram_record(h, now - ingest);
    return true;
}

static bool s_keep_going(void *user)
{
    (void)user;
    return !wf_service_stopping();
}

static void s_print(const char *type, const wf_histogram_t *h)
{
    printf("sse %s count=%llu p50_us=%lld p99_us=%lld max_us=%lld\n", type,
           (unsigned long long)wf_histogram_count(h), (long long)wf_histogram_quantile(h, 0.5),
           (long long)wf_histogram_quantile(h, 0.99), (long long)wf_histogram_max(h));
}

int bench_sse(int argc, char **argv)
{
    const char *url = NULL, *token_file = NULL;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--url") == 0)
            url = argv[i + 1];
        else if (strcmp(argv[i], "--token-file") == 0)
            token_file = argv[i + 1];
    }
    char token[128] = "";
    FILE *file = token_file ? fopen(token_file, "r") : NULL;
    if (!url || !file || !fgets(token, sizeof token, file)) {
        fprintf(stderr, "wf-bench sse: needs --url URL and a readable --token-file FILE\n");
        if (file)
            fclose(file);
        return 2;
    }
    fclose(file);
    token[strcspn(token, "\r\n")] = '\0';
    s_latencies_t latencies = {wf_histogram_new(), wf_histogram_new(), wf_histogram_new()};
    wf_sse_request_t request = {.url = url,
                                .token = token,
                                .on_message = s_on_message,
                                .keep_going = s_keep_going,
                                .user = &latencies};
    char errbuf[256];
    long status;
    int rc = 0;
    while (!wf_service_stopping() && rc == 0) {
        rc = wf_sse_run(&request, &status, errbuf, sizeof errbuf);
        if (rc != 0)
            fprintf(stderr, "wf-bench sse: %s\n", errbuf);
    }
    s_print("alert", latencies.alert);
    s_print("event", latencies.event);
    wf_histogram_destroy(&latencies.alert);
    wf_histogram_destroy(&latencies.event);
    wf_histogram_destroy(&latencies.other);
    return rc ? 1 : 0;
}
