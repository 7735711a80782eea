/* bench.c — wf-bench: the raw ceilings the pipeline's figures are compared with.
 *
 *   wf-bench zmq  [--messages N] [--size BYTES] [--batch K]
 *       PUSH → PULL over ipc between two processes: N messages of BYTES, K per frame (K = 1:
 *       one message per zmq frame; Watchfloor batches envelopes into frames like K > 1).
 *   wf-bench copy [--rows N] [--batch ROWS]
 *       COPY of event-shaped rows (uuid, times, text, point, jsonb) into a temp table with the
 *       events table's columns, one transaction per batch; pg.conninfo from the configuration.
 *   wf-bench http-sink --mode dead|live --port-file FILE
 *       a local webhook endpoint that never answers (dead) or answers 200 (live), until SIGTERM
 *       (bench_sink.c; scripts/bench --webhook).
 *
 *   wf-bench sse --url URL --token-file FILE
 *       a console client: ingest → SSE receipt latency per message type (bench_sse.c).
 *
 * Prints one line of figures per measurement; asserts nothing (scripts/bench calls it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <zmq.h>

#include <wf/clock.h>
#include <wf/config.h>
#include <wf/service.h>

#include "bench_sink.h"
#include "bench_sse.h"

static long s_option(int argc, char **argv, const char *name, long fallback)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return atol(argv[i + 1]);
    return fallback;
}

/* Receiver: counts messages until total have arrived; writes elapsed µs to fd. */
static void s_zmq_receiver(const char *endpoint, long total, int fd)
{
    void *ctx = zmq_ctx_new();
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    if (zmq_bind(pull, endpoint) != 0)
        _exit(2);
    if (write(fd, "r", 1) != 1) /* bound: the sender may start */
        _exit(2);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    long got = 0;
    int64_t start = 0;
    while (got < total && zmq_msg_recv(&msg, pull, 0) >= 0) {
        if (got == 0)
            start = wf_clock_mono_us();
        got += *(int32_t *)zmq_msg_data(&msg); /* messages carried by this frame */
    }
    int64_t elapsed = wf_clock_mono_us() - start;
    zmq_msg_close(&msg);
    zmq_close(pull);
    zmq_ctx_term(ctx);
    _exit(write(fd, &elapsed, sizeof elapsed) == sizeof elapsed ? 0 : 2);
}

static int s_bench_zmq(int argc, char **argv)
{
    long messages = s_option(argc, argv, "--messages", 1000000);
    long size = s_option(argc, argv, "--size", 600);
    long batch = s_option(argc, argv, "--batch", 1);
    if (messages < 1 || size < 8 || batch < 1) {
        fprintf(stderr, "wf-bench zmq: --messages ≥ 1, --size ≥ 8, --batch ≥ 1\n");
        return 2;
    }
    char endpoint[128];
    snprintf(endpoint, sizeof endpoint, "ipc:///tmp/wf-bench-%d.sock", (int)getpid());
    int pipefd[2];
    if (pipe(pipefd) != 0)
        return 1;
    long frames = (messages + batch - 1) / batch;
    pid_t child = fork();
    if (child == 0)
        s_zmq_receiver(endpoint, messages, pipefd[1]);
    char ready;
    if (read(pipefd[0], &ready, 1) != 1)
        return 1;
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    zmq_connect(push, endpoint);
    size_t frame_len = (size_t)(size * batch);
    char *frame = calloc(1, frame_len);
    for (long f = 0; f < frames; f++) {
        long in_frame = f == frames - 1 ? messages - f * batch : batch;
        *(int32_t *)frame = (int32_t)in_frame;
        zmq_send(push, frame, (size_t)(size * in_frame), 0);
    }
    int64_t elapsed = 0;
    int status = 1;
    if (read(pipefd[0], &elapsed, sizeof elapsed) == sizeof elapsed)
        waitpid(child, &status, 0);
    zmq_close(push);
    zmq_ctx_term(ctx);
    free(frame);
    unlink(endpoint + 6);
    double secs = (double)elapsed / 1e6;
    printf("raw ZeroMQ ipc: %ld messages of %ld B, %ld per frame: %.0f messages/s "
           "(%.0f MB/s) in %.2f s\n",
           messages, size, batch, (double)messages / secs,
           (double)messages * (double)size / secs / 1e6, secs);
    return status == 0 ? 0 : 1;
}

static const char s_copy_row[] =
    "%08lx-0000-5000-8000-000000000000\t2025-10-%02ld 12:%02ld:00+00\t\\N\t2025-11-01 00:00:00+00\t"
    "2025-11-01 00:00:01+00\tCPD\tchicago-socrata-api\t%ld\t1762000000000000\tJJ%06ld\t"
    "theft\t0820\tTHEFT / $500 AND UNDER\tSTREET\t\\N\t088XX S HERMITAGE AVE\t"
    "SRID=4326;POINT(-87.66%05ld 41.73%05ld)\t022\t2221\tpoint_in_polygon\tchicago-2012-12\t"
    "022\t2221\tpublic\tcrimes.csv:%ld\t{\"ward\": \"18\", \"arrest\": \"False\", "
    "\"domestic\": \"False\", \"community_area\": \"71\"}\n";

static int s_bench_copy(const wf_config_t *config, int argc, char **argv)
{
    long rows = s_option(argc, argv, "--rows", 200000);
    long batch = s_option(argc, argv, "--batch", 5000);
    PGconn *conn = PQconnectdb(wf_config_string(config, "pg.conninfo"));
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "wf-bench copy: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return 1;
    }
    PQclear(PQexec(conn, "CREATE TEMP TABLE bench_events (LIKE events INCLUDING DEFAULTS)"));
    char line[1024];
    int64_t start = wf_clock_mono_us();
    for (long done = 0; done < rows;) {
        PQclear(PQexec(conn, "BEGIN"));
        /* the columns of the row above, named: later migrations add columns to events */
        PGresult *res = PQexec(
            conn, "COPY bench_events (event_id, occurred_at, reported_at, ingested_at, "
                  "enriched_at, agency, source, source_record_id, revision, incident_number, "
                  "kind, offense_code, offense_text, location_type, priority, address, geom, "
                  "district, beat, area_method, boundary_set, source_district, source_beat, "
                  "dissemination, source_position, attributes) FROM STDIN");
        if (PQresultStatus(res) != PGRES_COPY_IN) {
            fprintf(stderr, "wf-bench copy: %s", PQresultErrorMessage(res));
            PQclear(res);
            PQfinish(conn);
            return 1;
        }
        PQclear(res);
        for (long i = 0; i < batch && done < rows; i++, done++) {
            int n = snprintf(line, sizeof line, s_copy_row, done, done % 28 + 1, done % 60, done,
                             done % 1000000, done % 99999, done % 99999, done);
            PQputCopyData(conn, line, n);
        }
        PQputCopyEnd(conn, NULL);
        res = PQgetResult(conn);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            fprintf(stderr, "wf-bench copy: %s", PQresultErrorMessage(res));
            PQclear(res);
            PQfinish(conn);
            return 1;
        }
        PQclear(res);
        PQclear(PQexec(conn, "COMMIT"));
    }
    double secs = (double)(wf_clock_mono_us() - start) / 1e6;
    printf("raw COPY: %ld event-shaped rows in batches of %ld: %.0f rows/s in %.2f s\n", rows,
           batch, (double)rows / secs, secs);
    PQfinish(conn);
    return 0;
}

int main(int argc, char **argv)
{
    wf_service_t svc;
    int rc = wf_service_init(&svc, "bench",
                             "zmq|copy|sse|http-sink [options]\n"
                             "  zmq  [--messages N] [--size BYTES] [--batch K]\n"
                             "  copy [--rows N] [--batch ROWS]   (uses pg.conninfo)\n"
                             "  sse  --url URL --token-file FILE (until SIGTERM)\n"
                             "  http-sink --mode dead|live --port-file FILE\n",
                             argc, argv);
    if (rc != 0) {
        wf_service_fini(&svc);
        return rc > 0 ? 0 : 2;
    }
    const char *command = svc.argc > 1 ? svc.argv[1] : "";
    if (strcmp(command, "zmq") == 0)
        rc = s_bench_zmq(svc.argc, svc.argv);
    else if (strcmp(command, "sse") == 0)
        rc = bench_sse(svc.argc, svc.argv);
    else if (strcmp(command, "copy") == 0)
        rc = s_bench_copy(svc.config, svc.argc, svc.argv);
    else if (strcmp(command, "http-sink") == 0)
        rc = bench_http_sink(svc.argc, svc.argv);
    else {
        fprintf(stderr, "wf-bench: zmq, copy, sse or http-sink (see --help)\n");
        rc = 2;
    }
    wf_service_fini(&svc);
    return rc;
}
