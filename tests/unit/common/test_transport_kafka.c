/* test_transport_kafka.c — the Kafka back end's consumer group: commits and state rebuild.
 *
 * Real transports (wf_transport_new with transport.backend=kafka) against wf-kafka-mock, which
 * runs librdkafka's mock cluster in a child process on loopback. The mock is started with
 * fork() and an immediate execv() (this process has librdkafka threads) and --exit-on-eof, so
 * it stops by itself if this test dies. Several transports live in this one process, each with
 * its own librdkafka handles, the way several copies of a service share a group.
 *
 * Every message carries its sequence number in source_record_id; the tests track each one by
 * number, partition and offset: which consumer got it, live or replayed, and with which flags.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
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

#include <wf/clock.h>
#include <wf/config.h>
#include <wf/err.h>
#include <wf/stats.h>
#include <wf/transport.h>

#define TEST_PARTITIONS 4
#define TEST_ALL_PARTS  ((1u << TEST_PARTITIONS) - 1)
#define TEST_MAX_SEQ    128
#define TEST_WARMUP_US  (24LL * 3600 * WF_US_PER_SEC) /* reaches back past every message */

/* One consumer and what it received in the current phase of a test. */
typedef struct {
    wf_transport_t *transport;
    wf_stats_t *stats;
    const char *name;             /* for failure messages */
    bool ack;                     /* acknowledge each batch, as a service does after persisting */
    int resets;                   /* calls of the reset function */
    int seen_resets;              /* resets when the last recv returned */
    int64_t reset_at_us;          /* when a recv last saw a reset (monotonic) */
    int live[TEST_MAX_SEQ];       /* deliveries without replay, since the phase or reset */
    int replayed[TEST_MAX_SEQ];   /* deliveries with replay, since the last reset */
    int handled[TEST_MAX_SEQ];    /* of those, with handled_here */
    bool ever_live[TEST_MAX_SEQ]; /* handed out live to this consumer at any time */
    unsigned replay_parts;        /* partitions of the replays (bit mask) */
} s_consumer_t;

static struct {
    pid_t pid;           /* the wf-kafka-mock child */
    int control;         /* its stdin */
    int replies;         /* its stdout */
    char bootstrap[600]; /* host:port,… from its first line */
    char dir[64];        /* scratch directory (state_dir) */
} s_mock;

/* Where each message landed, and how often it was handed out live and then acknowledged. */
static int32_t s_partition_of[TEST_MAX_SEQ];
static int64_t s_offset_of[TEST_MAX_SEQ];
static int s_acked_live[TEST_MAX_SEQ];

static int s_ms(int ms)
{
    const char *text = getenv("WF_TEST_TIMEOUT_MULTIPLIER");
    double multiplier = text && atof(text) > 1 ? atof(text) : 1.0;
    return (int)(ms * multiplier);
}

/* ---- the mock cluster ------------------------------------------------------------------- */

/* Reads one line within timeout_ms, byte by byte so nothing waits in a stdio buffer. */
static bool s_read_line(int fd, char *line, size_t len, int timeout_ms)
{
    size_t at = 0;
    int64_t deadline = wf_clock_mono_us() + timeout_ms * 1000LL;
    while (at + 1 < len) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int left = (int)((deadline - wf_clock_mono_us()) / 1000);
        char c;
        if (left <= 0 || poll(&pfd, 1, left) <= 0 || read(fd, &c, 1) != 1)
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

static void s_mock_command(const char *command)
{
    char line[256], reply[300], expected[300];
    int n = snprintf(line, sizeof line, "%s\n", command);
    assert_int_equal(write(s_mock.control, line, (size_t)n), n);
    if (!s_read_line(s_mock.replies, reply, sizeof reply, s_ms(10000)))
        fail_msg("wf-kafka-mock did not answer '%s' (got '%s')", command, reply);
    snprintf(expected, sizeof expected, "ok %s", command);
    assert_string_equal(reply, expected);
}

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_mock.dir, sizeof s_mock.dir, "/tmp/wf-test-kafka-XXXXXX");
    if (!mkdtemp(s_mock.dir))
        return -1;
    char state_dir[128];
    snprintf(state_dir, sizeof state_dir, "state_dir=%s/state", s_mock.dir);
    char *argv[] = {WF_BINARY_DIR "/tools/wf-kafka-mock", "--set", state_dir, "--exit-on-eof",
                    NULL};
    int to_child[2], from_child[2];
    if (pipe(to_child) != 0 || pipe(from_child) != 0)
        return -1;
    fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
    fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
    s_mock.pid = fork();
    if (s_mock.pid == 0) { /* only async-signal-safe calls until execv */
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[0]);
        close(from_child[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    s_mock.control = to_child[1];
    s_mock.replies = from_child[0];
    char line[600];
    if (s_mock.pid < 0 || !s_read_line(s_mock.replies, line, sizeof line, s_ms(20000)) ||
        strncmp(line, "bootstrap=", 10) != 0) {
        fprintf(stderr, "wf-kafka-mock did not start: '%s'\n", line);
        return -1;
    }
    snprintf(s_mock.bootstrap, sizeof s_mock.bootstrap, "%s", line + 10);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    if (s_mock.pid > 0) {
        kill(s_mock.pid, SIGTERM);
        waitpid(s_mock.pid, NULL, 0);
    }
    close(s_mock.control);
    close(s_mock.replies);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_mock.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s_mock.dir);
    return 0;
}

/* ---- transports ------------------------------------------------------------------------- */

static wf_config_t *s_config(const char *group_prefix)
{
    wf_config_t *config = wf_config_new();
    char value[700], err[256];
    static const char *const fixed[][2] = {
        {"transport.backend", "kafka"},
        {"kafka.create_topics", "false"},
        {"kafka.fetch_wait", "10ms"},
        {"transport.shutdown_grace", "2s"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        if (wf_config_set(config, fixed[i][0], fixed[i][1], err, sizeof err) != 0)
            fail_msg("%s", err);
    assert_int_equal(wf_config_set(config, "kafka.brokers", s_mock.bootstrap, err, sizeof err), 0);
    assert_int_equal(wf_config_set(config, "kafka.group_prefix", group_prefix, err, sizeof err), 0);
    snprintf(value, sizeof value, "%s/state", s_mock.dir);
    assert_int_equal(wf_config_set(config, "state_dir", value, err, sizeof err), 0);
    return config;
}

static wf_transport_t *s_transport(const wf_config_t *config, const char *group, wf_stats_t *stats)
{
    char err[256] = "";
    wf_transport_t *transport = wf_transport_new(config, "test", group, stats, err, sizeof err);
    if (!transport)
        fail_msg("transport: %s", err);
    return transport;
}

/* Publishes messages first..first+count-1, keyed so that they spread over the partitions. */
static void s_publish(wf_transport_t *producer, const char *topic, int first, int count)
{
    for (int seq = first; seq < first + count; seq++) {
        char record_id[16], key[24];
        snprintf(record_id, sizeof record_id, "%d", seq);
        snprintf(key, sizeof key, "cell-%d", seq);
        Wf__NormalizedEvent event = WF__NORMALIZED_EVENT__INIT;
        event.source_record_id = record_id;
        event.agency = "CPD";
        event.kind = "burglary.residential";
        Wf__Envelope envelope = WF__ENVELOPE__INIT;
        envelope.body_case = WF__ENVELOPE__BODY_EVENT;
        envelope.event = &event;
        assert_int_equal(wf_transport_publish(producer, topic, key, strlen(key), &envelope), 0);
    }
    assert_int_equal(wf_transport_flush(producer, s_ms(10000)), 0);
}

static void s_on_reset(void *user)
{
    ((s_consumer_t *)user)->resets++;
}

static void s_consumer_new(s_consumer_t *c, const wf_config_t *config, const char *name,
                           const char *topic, bool rebuild)
{
    memset(c, 0, sizeof *c);
    c->name = name;
    c->stats = wf_stats_new(name);
    c->transport = s_transport(config, "group", c->stats);
    if (rebuild)
        wf_transport_set_state_rebuild(c->transport, TEST_WARMUP_US, s_on_reset, c);
    assert_int_equal(wf_transport_subscribe(c->transport, topic), 0);
}

static void s_consumer_destroy(s_consumer_t *c)
{
    assert_int_equal(wf_stats_get(c->stats, "transport.gaps"), 0);
    wf_transport_destroy(&c->transport);
    wf_stats_destroy(&c->stats);
}

/* Starts a phase: forgets what was received so far (ever_live stays). */
static void s_phase(s_consumer_t *c)
{
    memset(c->live, 0, sizeof c->live);
    memset(c->replayed, 0, sizeof c->replayed);
    memset(c->handled, 0, sizeof c->handled);
    c->replay_parts = 0;
}

/* One recv; files every delivery by its sequence number and checks it against the ledger. */
static void s_poll(s_consumer_t *c)
{
    const wf_delivery_t *d;
    int n = wf_transport_recv(c->transport, &d, 256, 20);
    assert_true(n >= 0);
    if (c->resets != c->seen_resets) {
        /* a rebalance: the replay starts over for the new assignment (every delivery of this
         * recv comes after it: the transport emits only after its last poll). The mock may
         * need several rounds before every member is in; what was handed out unacknowledged
         * in an earlier round comes again. */
        memset(c->live, 0, sizeof c->live);
        memset(c->replayed, 0, sizeof c->replayed);
        memset(c->handled, 0, sizeof c->handled);
        c->replay_parts = 0;
        c->seen_resets = c->resets;
        c->reset_at_us = wf_clock_mono_us();
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(d[i].envelope->body_case, WF__ENVELOPE__BODY_EVENT);
        int seq = atoi(d[i].envelope->event->source_record_id);
        assert_true(seq >= 0 && seq < TEST_MAX_SEQ);
        if (s_partition_of[seq] < 0) {
            s_partition_of[seq] = d[i].partition;
            s_offset_of[seq] = d[i].offset;
        }
        if (d[i].partition != s_partition_of[seq] || d[i].offset != s_offset_of[seq])
            fail_msg("%s: message %d at %d/%lld, first seen at %d/%lld", c->name, seq,
                     (int)d[i].partition, (long long)d[i].offset, (int)s_partition_of[seq],
                     (long long)s_offset_of[seq]);
        assert_true(d[i].partition >= 0 && d[i].partition < TEST_PARTITIONS);
        if (d[i].replay) {
            c->replayed[seq]++;
            c->handled[seq] += d[i].handled_here;
            c->replay_parts |= 1u << d[i].partition;
            continue;
        }
        if (d[i].handled_here)
            fail_msg("%s: live message %d with handled_here", c->name, seq);
        c->live[seq]++;
        c->ever_live[seq] = true;
        s_acked_live[seq] += c->ack;
    }
    if (n > 0 && c->ack)
        assert_int_equal(wf_transport_ack(c->transport), 0);
}

/* Acknowledges by hand what c received live since its last reset. */
static void s_ack(s_consumer_t *c)
{
    for (int seq = 0; seq < TEST_MAX_SEQ; seq++)
        s_acked_live[seq] += c->live[seq];
    assert_int_equal(wf_transport_ack(c->transport), 0);
}

/* Polls the consumers (NULL-terminated) until done() holds, then quiet_ms longer to catch
 * anything that should not come; fails after max_ms. */
static void s_pump(s_consumer_t **consumers, bool (*done)(void), int max_ms, int quiet_ms,
                   const char *what)
{
    int64_t deadline = wf_clock_mono_us() + s_ms(max_ms) * 1000LL;
    while (!done()) {
        if (wf_clock_mono_us() > deadline)
            fail_msg("timed out waiting for %s", what);
        for (s_consumer_t **c = consumers; *c; c++)
            s_poll(*c);
    }
    int64_t quiet_until = wf_clock_mono_us() + quiet_ms * 1000LL;
    while (wf_clock_mono_us() < quiet_until)
        for (s_consumer_t **c = consumers; *c; c++)
            s_poll(*c);
}

static void s_ledger_reset(void)
{
    for (int seq = 0; seq < TEST_MAX_SEQ; seq++) {
        s_partition_of[seq] = -1;
        s_offset_of[seq] = -1;
        s_acked_live[seq] = 0;
    }
}

/* Partitions of messages first..first+count-1 (bit mask). */
static unsigned s_parts(int first, int count)
{
    unsigned parts = 0;
    for (int seq = first; seq < first + count; seq++)
        parts |= 1u << s_partition_of[seq];
    return parts;
}

static bool s_owns(const s_consumer_t *c, int seq)
{
    return (c->replay_parts >> s_partition_of[seq]) & 1u;
}

/* ---- commit only after ack -------------------------------------------------------------- */

#define T1_TOPIC "wf.test.redelivery"
#define T1_N     40 /* received without ack, then again with ack */
#define T1_LATER 20 /* published afterwards */

static s_consumer_t s_a, s_b, s_c;

static int s_live_count(const s_consumer_t *c, int first, int count)
{
    int got = 0;
    for (int seq = first; seq < first + count; seq++)
        got += c->live[seq] > 0;
    return got;
}

static bool s_t1_a_done(void)
{
    return s_live_count(&s_a, 0, T1_N) == T1_N;
}

static bool s_t1_b_done(void)
{
    return s_live_count(&s_b, 0, T1_N) == T1_N;
}

static bool s_t1_c_done(void)
{
    return s_live_count(&s_c, T1_N, T1_LATER) == T1_LATER;
}

static void test_commit_only_after_ack(void **state)
{
    (void)state;
    s_ledger_reset();
    s_mock_command("topic " T1_TOPIC " 4");
    char prefix[64];
    snprintf(prefix, sizeof prefix, "wf.test.%d.redelivery.", (int)getpid());
    wf_config_t *config = s_config(prefix);
    wf_transport_t *producer = s_transport(config, "producer", NULL);
    s_publish(producer, T1_TOPIC, 0, T1_N);

    /* A takes everything and dies before acknowledging it */
    s_consumer_new(&s_a, config, "A", T1_TOPIC, false);
    s_pump((s_consumer_t *[]){&s_a, NULL}, s_t1_a_done, 30000, 500, "A's messages");
    for (int seq = 0; seq < T1_N; seq++)
        assert_int_equal(s_a.live[seq], 1);
    assert_int_equal(s_parts(0, T1_N), TEST_ALL_PARTS);
    s_consumer_destroy(&s_a);

    /* B in the same group gets all of them again, and acknowledges them */
    s_consumer_new(&s_b, config, "B", T1_TOPIC, false);
    s_b.ack = true;
    s_pump((s_consumer_t *[]){&s_b, NULL}, s_t1_b_done, 30000, 1000, "B's re-deliveries");
    for (int seq = 0; seq < T1_N; seq++)
        if (s_b.live[seq] != 1)
            fail_msg("message %d re-delivered to B %d times", seq, s_b.live[seq]);
    s_consumer_destroy(&s_b);

    /* C starts after B's commits: only what came later. The later messages cover every
     * partition, so C has fetched each one from its committed offset when they are in. */
    s_publish(producer, T1_TOPIC, T1_N, T1_LATER);
    s_consumer_new(&s_c, config, "C", T1_TOPIC, false);
    s_c.ack = true;
    s_pump((s_consumer_t *[]){&s_c, NULL}, s_t1_c_done, 30000, 1000, "C's messages");
    assert_int_equal(s_parts(T1_N, T1_LATER), TEST_ALL_PARTS);
    for (int seq = 0; seq < T1_N + T1_LATER; seq++)
        if (s_c.live[seq] != (seq >= T1_N))
            fail_msg("message %d delivered to C %d times", seq, s_c.live[seq]);
    s_consumer_destroy(&s_c);
    wf_transport_destroy(&producer);
    wf_config_destroy(&config);
}

/* ---- state rebuild on rebalance --------------------------------------------------------- */

#define T2_TOPIC "wf.test.rebuild"
#define T2_M     40 /* handled live and acknowledged by A alone */
#define T2_U     8  /* handed out to A, not acknowledged when B joins */
#define T2_K     24 /* published while A and B share the partitions */
#define T2_ALL   (T2_M + T2_U + T2_K)

static int s_a_resets_before;

/* No rebalance seen for 2 s (members learn of one by their 1 s heartbeat). */
static bool s_settled(const s_consumer_t *c)
{
    return wf_clock_mono_us() - c->reset_at_us > 2 * WF_US_PER_SEC;
}

static bool s_t2_first_done(void)
{
    return s_live_count(&s_a, 0, T2_M) == T2_M;
}

static bool s_t2_unacked_done(void)
{
    return s_live_count(&s_a, T2_M, T2_U) == T2_U;
}

/* Both were reset and every earlier message came again, in whichever form (the checks below
 * say which form is right), so that a wrong form fails with its message, not a timeout. */
static bool s_t2_joined_done(void)
{
    if (s_a.resets == s_a_resets_before || s_b.resets == 0 || !s_settled(&s_a) || !s_settled(&s_b))
        return false;
    for (int seq = 0; seq < T2_M + T2_U; seq++)
        if (s_a.replayed[seq] + s_b.replayed[seq] + s_a.live[seq] + s_b.live[seq] == 0)
            return false;
    return true;
}

static bool s_t2_shared_done(void)
{
    for (int seq = T2_M + T2_U; seq < T2_ALL; seq++)
        if (s_a.live[seq] + s_b.live[seq] + s_a.replayed[seq] + s_b.replayed[seq] == 0)
            return false;
    return true;
}

static bool s_t2_alone_done(void)
{
    if (s_a.resets == s_a_resets_before || !s_settled(&s_a))
        return false;
    for (int seq = 0; seq < T2_ALL; seq++)
        if (s_a.replayed[seq] + s_a.live[seq] == 0)
            return false;
    return true;
}

/* A's and B's replays after B joined: the acknowledged messages once, by their partition's
 * owner; the unacknowledged ones live again, never as replays. */
static void s_t2_check_joined(void)
{
    assert_true(s_a.replay_parts != 0 && s_b.replay_parts != 0);
    assert_int_equal(s_a.replay_parts & s_b.replay_parts, 0);
    assert_int_equal(s_a.replay_parts | s_b.replay_parts, TEST_ALL_PARTS);
    for (int seq = 0; seq < T2_M + T2_U; seq++) {
        int replays = s_a.replayed[seq] + s_b.replayed[seq];
        int live = s_a.live[seq] + s_b.live[seq];
        const s_consumer_t *owner = s_owns(&s_a, seq) ? &s_a : &s_b;
        if (seq < T2_M && (replays != 1 || owner->replayed[seq] != 1 || live != 0))
            fail_msg("acked message %d (%d/%lld): replayed A %d B %d, live %d", seq,
                     (int)s_partition_of[seq], (long long)s_offset_of[seq], s_a.replayed[seq],
                     s_b.replayed[seq], live);
        if (seq >= T2_M && (replays != 0 || live != 1 || owner->live[seq] != 1))
            fail_msg("unacked message %d (%d/%lld): replayed %d (beyond the committed offset?), "
                     "live A %d B %d",
                     seq, (int)s_partition_of[seq], (long long)s_offset_of[seq], replays,
                     s_a.live[seq], s_b.live[seq]);
        if (s_a.handled[seq] != s_a.replayed[seq] || s_b.handled[seq] != 0)
            fail_msg("message %d: handled_here A %d of %d replays, B %d of %d", seq,
                     s_a.handled[seq], s_a.replayed[seq], s_b.handled[seq], s_b.replayed[seq]);
    }
}

static void s_t2_check_shared(int a_resets, int b_resets)
{
    assert_int_equal(s_a.resets, a_resets); /* no rebalance meanwhile */
    assert_int_equal(s_b.resets, b_resets);
    assert_int_equal(s_parts(T2_M + T2_U, T2_K), TEST_ALL_PARTS);
    for (int seq = 0; seq < T2_ALL; seq++) {
        const s_consumer_t *owner = s_owns(&s_a, seq) ? &s_a : &s_b;
        bool later = seq >= T2_M + T2_U;
        if (s_a.replayed[seq] + s_b.replayed[seq] != 0 || s_a.live[seq] + s_b.live[seq] != later ||
            owner->live[seq] != later)
            fail_msg("message %d (%d/%lld) while shared: replayed A %d B %d, live A %d B %d", seq,
                     (int)s_partition_of[seq], (long long)s_offset_of[seq], s_a.replayed[seq],
                     s_b.replayed[seq], s_a.live[seq], s_b.live[seq]);
    }
}

/* A alone again: everything replayed once; handled_here exactly where A handled it live. */
static void s_t2_check_alone(unsigned b_parts)
{
    assert_int_equal(s_a.replay_parts, TEST_ALL_PARTS);
    int by_b_only = 0;
    for (int seq = 0; seq < T2_ALL; seq++) {
        if (s_a.replayed[seq] != 1 || s_a.live[seq] != 0)
            fail_msg("message %d (%d/%lld) after B left: replayed %d, live %d", seq,
                     (int)s_partition_of[seq], (long long)s_offset_of[seq], s_a.replayed[seq],
                     s_a.live[seq]);
        if (s_a.handled[seq] != s_a.ever_live[seq])
            fail_msg("message %d (%d/%lld) after B left: handled_here %d, A handled it live: %d",
                     seq, (int)s_partition_of[seq], (long long)s_offset_of[seq], s_a.handled[seq],
                     s_a.ever_live[seq]);
        bool on_b = (b_parts >> s_partition_of[seq]) & 1u;
        by_b_only += on_b && seq >= T2_M + T2_U;
        assert_true(s_a.ever_live[seq] == !(on_b && seq >= T2_M + T2_U));
    }
    assert_true(by_b_only > 0);
}

static void test_state_rebuild_on_rebalance(void **state)
{
    (void)state;
    s_ledger_reset();
    s_mock_command("topic " T2_TOPIC " 4");
    char prefix[64];
    snprintf(prefix, sizeof prefix, "wf.test.%d.rebuild.", (int)getpid());
    wf_config_t *config = s_config(prefix);
    wf_transport_t *producer = s_transport(config, "producer", NULL);
    s_publish(producer, T2_TOPIC, 0, T2_M);

    /* A alone: everything live, acknowledged */
    s_consumer_new(&s_a, config, "A", T2_TOPIC, true);
    s_a.ack = true;
    s_pump((s_consumer_t *[]){&s_a, NULL}, s_t2_first_done, 30000, 500, "A's live messages");
    assert_true(s_a.resets >= 1); /* the first assignment resets too */
    assert_int_equal(s_parts(0, T2_M), TEST_ALL_PARTS);
    for (int seq = 0; seq < T2_M; seq++)
        assert_true(s_a.live[seq] == 1 && s_a.replayed[seq] == 0);

    /* A takes U more but does not acknowledge them */
    s_a.ack = false;
    s_publish(producer, T2_TOPIC, T2_M, T2_U);
    s_pump((s_consumer_t *[]){&s_a, NULL}, s_t2_unacked_done, 10000, 300, "A's unacked");

    /* B joins: both rebuild their partitions up to the committed offsets. Nothing is
     * acknowledged until the group has settled: the mock refuses commits while it rebalances. */
    s_a_resets_before = s_a.resets;
    s_phase(&s_a);
    s_consumer_new(&s_b, config, "B", T2_TOPIC, true);
    s_consumer_t *both[] = {&s_a, &s_b, NULL};
    s_pump(both, s_t2_joined_done, 40000, 500, "the rebalance after B joined");
    s_t2_check_joined();
    s_ack(&s_a);
    s_ack(&s_b);
    s_a.ack = s_b.ack = true;
    unsigned b_parts = s_b.replay_parts;

    /* K more arrive live, once, at their partition's owner */
    int a_resets = s_a.resets, b_resets = s_b.resets;
    s_phase(&s_a);
    s_phase(&s_b);
    s_a.replay_parts = TEST_ALL_PARTS & ~b_parts;
    s_b.replay_parts = b_parts;
    s_publish(producer, T2_TOPIC, T2_M + T2_U, T2_K);
    s_pump(both, s_t2_shared_done, 20000, 1000, "the messages while shared");
    s_t2_check_shared(a_resets, b_resets);

    /* B closes and leaves the group: A owns everything again and rebuilds all of it */
    s_consumer_destroy(&s_b);
    s_a_resets_before = s_a.resets;
    s_phase(&s_a);
    s_pump((s_consumer_t *[]){&s_a, NULL}, s_t2_alone_done, 30000, 1500,
           "the rebalance after B left");
    s_t2_check_alone(b_parts);

    for (int seq = 0; seq < T2_ALL; seq++)
        if (s_acked_live[seq] != 1)
            fail_msg("message %d handled live and acknowledged %d times", seq, s_acked_live[seq]);
    s_consumer_destroy(&s_a);
    wf_transport_destroy(&producer);
    wf_config_destroy(&config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_only_after_ack),
        cmocka_unit_test(test_state_rebuild_on_rebalance),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
