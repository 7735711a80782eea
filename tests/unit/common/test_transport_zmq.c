/* test_transport_zmq.c — the ZeroMQ back end between real processes on real ipc sockets.
 *
 * The producer always runs in a child process so that backpressure (a blocked publish) is real
 * and the consumer side is exercised exactly as a service uses it. Children re-execute this
 * binary rather than run on after fork(): the parent has ZeroMQ threads, and a forked copy of
 * a threaded process may inherit a lock held by one of them (under ASan, the allocator's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include <wf/clock.h>
#include <wf/config.h>
#include <wf/err.h>
#include <wf/stats.h>
#include <wf/transport.h>

static char s_dir[] = "/tmp/wf-test-zmq-XXXXXX";

static wf_config_t *s_config(void)
{
    wf_config_t *config = wf_config_new();
    char value[512], err[256];
    snprintf(value, sizeof value, "%s/zmq", s_dir);
    assert_int_equal(wf_config_set(config, "zmq.dir", value, err, sizeof err), 0);
    snprintf(value, sizeof value, "%s/state", s_dir);
    assert_int_equal(wf_config_set(config, "state_dir", value, err, sizeof err), 0);
    assert_int_equal(wf_config_set(config, "transport.batch_max", "64", err, sizeof err), 0);
    assert_int_equal(wf_config_set(config, "zmq.hwm", "64", err, sizeof err), 0);
    assert_int_equal(wf_config_set(config, "transport.shutdown_grace", "2s", err, sizeof err), 0);
    return config;
}

static wf_transport_t *s_transport(wf_config_t *config, const char *service, wf_stats_t *stats)
{
    char err[256] = "";
    wf_transport_t *t = wf_transport_new(config, service, service, stats, err, sizeof err);
    if (!t)
        fail_msg("transport: %s", err);
    return t;
}

/* The enriched event numbered i, as s_receive_ack expects it. */
static int s_publish_one(wf_transport_t *t, const char *topic, int i)
{
    char record_id[32];
    snprintf(record_id, sizeof record_id, "%d", i);
    Wf__NormalizedEvent event = WF__NORMALIZED_EVENT__INIT;
    event.source_record_id = record_id;
    event.agency = "CPD";
    Wf__EnrichedEvent enriched = WF__ENRICHED_EVENT__INIT;
    enriched.event = &event;
    enriched.beat = "0713";
    Wf__Envelope env = WF__ENVELOPE__INIT;
    env.body_case = WF__ENVELOPE__BODY_ENRICHED;
    env.enriched = &enriched;
    env.ingest_ts_us = 1000 + i;
    return wf_transport_publish(t, topic, record_id, strlen(record_id), &env);
}

/* Child: publishes events first..last on topic, one progress byte per 1000 to progress_fd;
 * when pause_after > 0, flushes after that event and waits for a byte on go_fd. */
static void s_publish(const char *topic, int first, int last, int progress_fd, int pause_after,
                      int go_fd)
{
    wf_config_t *config = s_config();
    wf_transport_t *t = s_transport(config, "ingest", NULL);
    for (int i = first; i <= last; i++) {
        char record_id[32];
        snprintf(record_id, sizeof record_id, "%d", i);
        Wf__NormalizedEvent event = WF__NORMALIZED_EVENT__INIT;
        event.source_record_id = record_id;
        event.agency = "CPD";
        Wf__EnrichedEvent enriched = WF__ENRICHED_EVENT__INIT;
        enriched.event = &event;
        enriched.beat = "0713";
        Wf__Envelope env = WF__ENVELOPE__INIT;
        env.body_case = WF__ENVELOPE__BODY_ENRICHED;
        env.enriched = &enriched;
        env.ingest_ts_us = 1000 + i;
        if (wf_transport_publish(t, topic, record_id, strlen(record_id), &env) != 0)
            _exit(3);
        if (progress_fd >= 0 && i % 1000 == 0 && write(progress_fd, "x", 1) != 1)
            _exit(4);
        char go;
        if (i == pause_after && (wf_transport_flush(t, 10000) != 0 || read(go_fd, &go, 1) != 1))
            _exit(6);
    }
    int rc = wf_transport_flush(t, 10000);
    wf_transport_destroy(&t);
    wf_config_destroy(&config);
    _exit(rc == 0 ? 0 : 5);
}

/* Starts this binary again as a publisher child (see s_publish); returns its pid. */
static pid_t s_spawn_publisher(const char *topic, int first, int last, int progress_fd,
                               int pause_after, int go_fd)
{
    char args[5][16];
    snprintf(args[0], sizeof args[0], "%d", first);
    snprintf(args[1], sizeof args[1], "%d", last);
    snprintf(args[2], sizeof args[2], "%d", progress_fd);
    snprintf(args[3], sizeof args[3], "%d", pause_after);
    snprintf(args[4], sizeof args[4], "%d", go_fd);
    char *argv[] = {"test_common_transport_zmq",
                    "--child",
                    "publish",
                    s_dir,
                    (char *)topic,
                    args[0],
                    args[1],
                    args[2],
                    args[3],
                    args[4],
                    NULL};
    pid_t child = fork();
    if (child == 0) {
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    assert_true(child > 0);
    return child;
}

/* Receives until want envelopes arrived (or once, when want is 0); checks order and contents;
 * acknowledges each batch when ack is set, as a service does after persisting. Returns the
 * count. */
static int s_receive_ack(wf_transport_t *t, int first, int want, bool ack)
{
    int got = 0;
    int64_t deadline = wf_clock_mono_us() + 30 * WF_US_PER_SEC;
    do {
        const wf_delivery_t *d;
        int n = wf_transport_recv(t, &d, 256, want ? 100 : 10);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++, got++) {
            Wf__Envelope *env = d[i].envelope;
            assert_int_equal(env->type, WF__MESSAGE_TYPE__ENRICHED_EVENT);
            assert_int_equal(env->body_case, WF__ENVELOPE__BODY_ENRICHED);
            assert_int_equal(env->schema_version, WF_SCHEMA_VERSION);
            assert_non_null(strstr(env->producer_id, "ingest@"));
            assert_int_equal(atoi(env->enriched->event->source_record_id), first + got);
            assert_int_equal(env->ingest_ts_us, 1000 + first + got);
            assert_string_equal(env->enriched->beat, "0713");
        }
        if (ack && n > 0)
            assert_int_equal(wf_transport_ack(t), 0);
    } while (got < want && wf_clock_mono_us() < deadline);
    return got;
}

static int s_receive(wf_transport_t *t, int first, int want)
{
    return s_receive_ack(t, first, want, true);
}

/* Keeps the consumers polling (as services do when idle) until the producer exits: a closing
 * producer waits for their acknowledgements. Returns the child's exit status. */
static int s_idle_until_exit(pid_t child, wf_transport_t *a, wf_transport_t *b)
{
    int status = 0;
    int64_t deadline = wf_clock_mono_us() + 30 * WF_US_PER_SEC;
    while (waitpid(child, &status, WNOHANG) == 0 && wf_clock_mono_us() < deadline) {
        const wf_delivery_t *d;
        assert_int_equal(wf_transport_recv(a, &d, 64, 10), 0);
        if (b)
            assert_int_equal(wf_transport_recv(b, &d, 64, 10), 0);
    }
    return status;
}

static void test_fan_out_to_every_group_in_order(void **state)
{
    (void)state;
    wf_config_t *config = s_config();
    wf_stats_t *stats = wf_stats_new("t");
    wf_transport_t *spatial = s_transport(config, "spatial", stats);
    wf_transport_t *alert = s_transport(config, "alert", NULL);
    assert_int_equal(wf_transport_subscribe(spatial, "events.enriched"), 0);
    assert_int_equal(wf_transport_subscribe(alert, "events.enriched"), 0);
    pid_t child = s_spawn_publisher("events.enriched", 1, 5000, -1, 0, -1);
    /* alternate so neither group's queue stays full and the producer keeps moving */
    int got_spatial = 0, got_alert = 0;
    int64_t deadline = wf_clock_mono_us() + 30 * WF_US_PER_SEC;
    while ((got_spatial < 5000 || got_alert < 5000) && wf_clock_mono_us() < deadline) {
        got_spatial += s_receive(spatial, 1 + got_spatial, 0);
        got_alert += s_receive(alert, 1 + got_alert, 0);
    }
    assert_int_equal(got_spatial, 5000);
    assert_int_equal(got_alert, 5000);
    int status = s_idle_until_exit(child, spatial, alert);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(wf_stats_get(stats, "transport.received"), 5000);
    assert_int_equal(wf_stats_get(stats, "transport.gaps"), 0);
    wf_transport_destroy(&spatial);
    wf_transport_destroy(&alert);
    wf_stats_destroy(&stats);
    wf_config_destroy(&config);
}

/* A full consumer blocks the producer; nothing is dropped. */
static void test_backpressure_blocks_instead_of_dropping(void **state)
{
    (void)state;
    wf_config_t *config = s_config();
    wf_stats_t *stats = wf_stats_new("t");
    wf_transport_t *enrich = s_transport(config, "enrich", stats);
    assert_int_equal(wf_transport_subscribe(enrich, "events.normalized"), 0);
    int progress[2];
    assert_int_equal(pipe(progress), 0);
    pid_t child = s_spawn_publisher("events.normalized", 1, 60000, progress[1], 0, -1);
    close(progress[1]);
    wf_clock_sleep_us(1500 * 1000); /* the consumer reads nothing meanwhile */
    int status;
    assert_int_equal(waitpid(child, &status, WNOHANG), 0); /* still blocked, not finished */
    assert_int_equal(s_receive(enrich, 1, 60000), 60000);
    status = s_idle_until_exit(child, enrich, NULL);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(wf_stats_get(stats, "transport.gap_messages"), 0);
    close(progress[0]);
    wf_transport_destroy(&enrich);
    wf_stats_destroy(&stats);
    wf_config_destroy(&config);
}

/* An observer group (the console) that is down never holds the producer back: what its queue
 * cannot take is dropped for it and counted, and when it comes up it sees exactly that gap.
 * With a blocking group this loop would hang at the queue limit (zmq.observer_hwm frames). */
static void test_observer_never_blocks_the_producer(void **state)
{
    (void)state;
    wf_config_t *config = s_config();
    wf_stats_t *producer_stats = wf_stats_new("p"), *console_stats = wf_stats_new("c");
    wf_transport_t *alert = s_transport(config, "ingest", producer_stats);
    const int published = 20000; /* 313 frames of 64; the observer queue holds 64 */
    for (int i = 1; i <= published; i++)
        assert_int_equal(s_publish_one(alert, "alerts", i), 0);
    assert_int_equal(wf_transport_flush(alert, 5000), 0);
    uint64_t dropped = wf_stats_get(producer_stats, "transport.observer_dropped");
    assert_true(dropped > 0 && dropped < (uint64_t)published);

    wf_transport_t *console = s_transport(config, "console", console_stats);
    assert_int_equal(wf_transport_subscribe(console, "alerts"), 0);
    int kept = published - (int)dropped;
    assert_int_equal(s_receive(console, 1, kept), kept); /* the oldest, in order */
    assert_int_equal(s_publish_one(alert, "alerts", published + 1), 0);
    assert_int_equal(wf_transport_flush(alert, 5000), 0);
    const wf_delivery_t *d;
    int n = 0;
    for (int tries = 0; tries < 50 && n == 0; tries++)
        n = wf_transport_recv(console, &d, 16, 100);
    assert_int_equal(n, 1);
    assert_int_equal(atoi(d[0].envelope->enriched->event->source_record_id), published + 1);
    assert_int_equal(wf_stats_get(console_stats, "transport.gap_messages"), dropped);
    wf_transport_destroy(&console);
    wf_transport_destroy(&alert); /* does not wait for the observer's acknowledgements */
    wf_stats_destroy(&producer_stats);
    wf_stats_destroy(&console_stats);
    wf_config_destroy(&config);
}

/* What a consumer received but never acknowledged before it went away is counted as a gap by
 * the consumer that replaces it. */
static void test_restarted_consumer_counts_the_gap(void **state)
{
    (void)state;
    wf_config_t *config = s_config();
    wf_transport_t *enrich = s_transport(config, "enrich", NULL);
    assert_int_equal(wf_transport_subscribe(enrich, "events.normalized"), 0);
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t child = s_spawn_publisher("events.normalized", 1, 200, -1, 100, go[0]);
    close(go[0]);
    /* one frame (batch_max = 64 envelopes) is processed and acknowledged */
    const wf_delivery_t *d;
    int got = 0;
    for (int tries = 0; tries < 100 && got == 0; tries++)
        got = wf_transport_recv(enrich, &d, 1, 100);
    assert_int_equal(got, 64);
    assert_int_equal(wf_transport_ack(enrich), 0);
    int acked = got;
    got += s_receive_ack(enrich, 1 + got, 100 - got, false); /* processed, never acknowledged */
    assert_int_equal(got, 100);
    wf_transport_destroy(&enrich);

    wf_stats_t *stats = wf_stats_new("t");
    enrich = s_transport(config, "enrich", stats);
    assert_int_equal(wf_transport_subscribe(enrich, "events.normalized"), 0);
    assert_int_equal(write(go[1], "g", 1), 1);
    assert_int_equal(s_receive(enrich, 101, 100), 100);
    assert_int_equal(wf_stats_get(stats, "transport.gaps"), 1);
    assert_int_equal(wf_stats_get(stats, "transport.gap_messages"), (uint64_t)(100 - acked));
    int status = s_idle_until_exit(child, enrich, NULL);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(go[1]);
    wf_transport_destroy(&enrich);
    wf_stats_destroy(&stats);
    wf_config_destroy(&config);
}

/* Garbage on the wire is reported as a reject with its bytes, never delivered, never fatal. */
static void test_undecodable_frame_is_rejected(void **state)
{
    (void)state;
    wf_config_t *config = s_config();
    wf_transport_t *enrich = s_transport(config, "enrich", NULL);
    assert_int_equal(wf_transport_subscribe(enrich, "events.normalized"), 0);
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    char endpoint[600];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/zmq/events.normalized@enrich", s_dir);
    assert_int_equal(zmq_connect(push, endpoint), 0);
    assert_int_equal(zmq_send(push, "\x0a\xff\xff\xff\x0fjunk", 9, 0), 9);
    const wf_delivery_t *d;
    int n = 0;
    const wf_transport_reject_t *rejects = NULL;
    size_t nrejects = 0;
    for (int tries = 0; tries < 50 && nrejects == 0; tries++) {
        n = wf_transport_recv(enrich, &d, 64, 100);
        nrejects = wf_transport_take_rejects(enrich, &rejects);
    }
    assert_int_equal(n, 0);
    assert_int_equal(nrejects, 1);
    assert_string_equal(rejects[0].reason, "undecodable batch frame");
    assert_int_equal(rejects[0].len, 9);
    zmq_close(push);
    zmq_ctx_term(ctx);
    wf_transport_destroy(&enrich);
    wf_config_destroy(&config);
}

static void test_second_consumer_of_a_group_is_refused(void **state)
{
    (void)state;
    wf_config_t *config = s_config();
    wf_transport_t *a = s_transport(config, "enrich", NULL);
    assert_int_equal(wf_transport_subscribe(a, "events.normalized"), 0);
    char *argv[] = {"test_common_transport_zmq", "--child", "second-consumer", s_dir, NULL};
    pid_t child = fork();
    if (child == 0) {
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    wf_transport_destroy(&a);
    /* once the first consumer is gone, the endpoint is free again */
    wf_transport_t *b = s_transport(config, "enrich", NULL);
    assert_int_equal(wf_transport_subscribe(b, "events.normalized"), 0);
    wf_transport_destroy(&b);
    wf_config_destroy(&config);
}

static int s_setup(void **state)
{
    (void)state;
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The child roles, run in a fresh image (see the comment at the top). */
static int s_child(int argc, char **argv)
{
    if (argc < 4 || strlen(argv[3]) >= sizeof s_dir)
        return 2;
    strcpy(s_dir, argv[3]);
    if (strcmp(argv[2], "publish") == 0 && argc == 10)
        s_publish(argv[4], atoi(argv[5]), atoi(argv[6]), atoi(argv[7]), atoi(argv[8]),
                  atoi(argv[9]));
    if (strcmp(argv[2], "second-consumer") == 0) {
        wf_config_t *config = s_config();
        wf_transport_t *b = s_transport(config, "enrich", NULL);
        _exit(wf_transport_subscribe(b, "events.normalized") == WF_EEXIST ? 0 : 1);
    }
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--child") == 0)
        return s_child(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fan_out_to_every_group_in_order),
        cmocka_unit_test(test_backpressure_blocks_instead_of_dropping),
        cmocka_unit_test(test_observer_never_blocks_the_producer),
        cmocka_unit_test(test_restarted_consumer_counts_the_gap),
        cmocka_unit_test(test_undecodable_frame_is_rejected),
        cmocka_unit_test(test_second_consumer_of_a_group_is_refused),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
