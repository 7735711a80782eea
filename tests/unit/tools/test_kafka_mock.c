/* test_kafka_mock.c — wf-kafka-mock as the Kafka tests use it: a child process on pipes, a real
 * idempotent producer and a consumer group against it, broker outages and injected errors.
 *
 * The mock runs as a separate executable (tools/wf-kafka-mock), started with fork() and an
 * immediate execv(): this process has librdkafka threads, and a forked copy of a threaded
 * process must not run on. It is started with --exit-on-eof, so it exits on its own if this
 * test dies and its stdin pipe closes.
 */
#include <errno.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#define TEST_TOPIC      "events.normalized" /* topics.normalized's default */
#define TEST_DEADLETTER "wf.test.deadletters"
#define TEST_PARTITIONS 5
#define TEST_MESSAGES   100
#define TEST_LATER      20 /* produced during and after the outage */
#define TEST_GROUP      "wf.test.kafka-mock"

typedef struct {
    pid_t pid;                                 /* the wf-kafka-mock child */
    int control;                               /* its stdin */
    int replies;                               /* its stdout */
    char bootstrap[600];                       /* host:port,… from its first line */
    char dir[64];                              /* scratch directory (state_dir, bootstrap file) */
    char bootstrap_file[128];                  /* where it wrote the bootstrap list */
    rd_kafka_t *producer;                      /* idempotent, acks=all */
    int delivered[TEST_MESSAGES + TEST_LATER]; /* delivery reports per key, without error */
    int failed;                                /* delivery reports with an error */
} fixture_t;

static double s_multiplier(void)
{
    const char *text = getenv("WF_TEST_TIMEOUT_MULTIPLIER");
    return text && atof(text) > 1 ? atof(text) : 1.0;
}

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int s_ms(int ms)
{
    return (int)(ms * s_multiplier());
}

/* Starts argv[0] with stdin and stdout on pipes; stderr stays ours (ctest keeps it). */
static pid_t s_spawn(char *const argv[], int *control, int *replies)
{
    int to_child[2], from_child[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    fcntl(to_child[1], F_SETFD, FD_CLOEXEC);
    fcntl(from_child[0], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* only async-signal-safe calls until execv */
        dup2(to_child[0], 0);
        dup2(from_child[1], 1);
        close(to_child[0]);
        close(from_child[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(to_child[0]);
    close(from_child[1]);
    *control = to_child[1];
    *replies = from_child[0];
    return pid;
}

/* Reads one line within timeout_ms, byte by byte so nothing waits in a stdio buffer. */
static bool s_read_line(int fd, char *line, size_t len, int timeout_ms)
{
    size_t at = 0;
    int64_t deadline = s_now_ms() + timeout_ms;
    while (at + 1 < len) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - s_now_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            break;
        char c;
        if (read(fd, &c, 1) != 1)
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

/* Sends one command line and returns the mock's answer in reply. */
static void s_command(fixture_t *f, const char *command, char *reply, size_t len)
{
    char line[4200];
    int n = snprintf(line, sizeof line, "%s\n", command);
    assert_int_equal(write(f->control, line, (size_t)n), n);
    if (!s_read_line(f->replies, reply, len, s_ms(10000)))
        fail_msg("no answer to '%.60s' (got '%s')", command, reply);
}

static void s_command_ok(fixture_t *f, const char *command)
{
    char reply[600], expected[600];
    s_command(f, command, reply, sizeof reply);
    snprintf(expected, sizeof expected, "ok %s", command);
    assert_string_equal(reply, expected);
}

/* Waits for pid to exit; returns its wait status, or -1 after timeout_ms. */
static int s_wait_exit(pid_t pid, int timeout_ms)
{
    int64_t deadline = s_now_ms() + timeout_ms;
    int status;
    while (s_now_ms() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return status;
        usleep(10000);
    }
    return -1;
}

/* Runs wf-kafka-mock with args to completion and returns its exit code. */
static int s_run_to_exit(char **args)
{
    char *argv[16] = {WF_BINARY_DIR "/tools/wf-kafka-mock"};
    for (int i = 0; args[i] && i < 14; i++)
        argv[i + 1] = args[i];
    int control, replies;
    pid_t pid = s_spawn(argv, &control, &replies);
    close(control);
    int status = s_wait_exit(pid, s_ms(10000));
    close(replies);
    if (status == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("wf-kafka-mock did not exit");
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The number in a message key "k<n>" (keys are not NUL-terminated); -1 when there is none. */
static int s_key(const rd_kafka_message_t *msg)
{
    char text[16];
    if (msg->key_len < 2 || msg->key_len >= sizeof text)
        return -1;
    memcpy(text, msg->key, msg->key_len);
    text[msg->key_len] = '\0';
    return atoi(text + 1);
}

static void s_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    fixture_t *f = opaque;
    int key = s_key(msg);
    if (msg->err) {
        fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(msg->err));
        f->failed++;
    } else if (key >= 0 && key < TEST_MESSAGES + TEST_LATER)
        f->delivered[key]++;
}

static rd_kafka_conf_t *s_conf(fixture_t *f, const char *const *settings)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", f->bootstrap, err, sizeof err),
                     RD_KAFKA_CONF_OK);
    /* reconnect soon after an outage ends: the default backoff grows to 10 s */
    assert_int_equal(rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "500", err, sizeof err),
                     RD_KAFKA_CONF_OK);
    for (; settings && *settings; settings += 2)
        if (rd_kafka_conf_set(conf, settings[0], settings[1], err, sizeof err) != RD_KAFKA_CONF_OK)
            fail_msg("%s", err);
    return conf;
}

static void s_produce(fixture_t *f, int first, int last)
{
    for (int i = first; i <= last; i++) {
        char key[16], value[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(value, sizeof value, "value of message %d", i);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            f->producer, RD_KAFKA_V_TOPIC(TEST_TOPIC), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_END);
        assert_int_equal(err, RD_KAFKA_RESP_ERR_NO_ERROR);
    }
}

static int s_delivered(const fixture_t *f)
{
    int total = 0;
    for (int i = 0; i < TEST_MESSAGES + TEST_LATER; i++)
        total += f->delivered[i];
    return total;
}

/* Consumes in TEST_GROUP with manual commit until expected messages arrived (keys first…),
 * checks each arrived once and nothing follows, commits, and returns the committed total. */
static int64_t s_consume(fixture_t *f, int first, int expected)
{
    /* the mock re-forms a group session.timeout.ms after a member leaves (default 45 s) */
    static const char *const settings[] = {"group.id",
                                           TEST_GROUP,
                                           "enable.auto.commit",
                                           "false",
                                           "auto.offset.reset",
                                           "earliest",
                                           "session.timeout.ms",
                                           "6000",
                                           NULL};
    char err[512];
    rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, s_conf(f, settings), err, sizeof err);
    assert_non_null(consumer);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, TEST_TOPIC, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(consumer, topics), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(topics);

    int seen[TEST_MESSAGES + TEST_LATER] = {0}, got = 0, stray = 0;
    int64_t deadline = s_now_ms() + s_ms(15000), quiet_until = 0;
    while (s_now_ms() < (got < expected ? deadline : quiet_until)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(consumer, 100);
        if (!msg)
            continue;
        if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            int key = s_key(msg);
            if (key >= first && key < first + expected)
                seen[key]++;
            else
                stray++;
            if (++got == expected)
                quiet_until = s_now_ms() + 1000; /* anything more would be a duplicate */
        } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, "consumer: %s\n", rd_kafka_message_errstr(msg));
        rd_kafka_message_destroy(msg);
    }
    assert_int_equal(got, expected);
    assert_int_equal(stray, 0);
    for (int i = first; i < first + expected; i++)
        assert_int_equal(seen[i], 1);

    assert_int_equal(rd_kafka_commit(consumer, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_new(8);
    for (int p = 0; p < TEST_PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(committed, TEST_TOPIC, p);
    assert_int_equal(rd_kafka_committed(consumer, committed, s_ms(5000)),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    int64_t total = 0;
    for (int p = 0; p < committed->cnt; p++)
        total += committed->elems[p].offset > 0 ? committed->elems[p].offset : 0;
    rd_kafka_topic_partition_list_destroy(committed);
    assert_int_equal(rd_kafka_consumer_close(consumer), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(consumer);
    return total;
}

/* Number of partitions of topic in the mock's metadata (0: no such topic). */
static int s_partition_count(rd_kafka_t *rk, const char *topic, int *replicas)
{
    const struct rd_kafka_metadata *md;
    assert_int_equal(rd_kafka_metadata(rk, 1, NULL, &md, s_ms(5000)), RD_KAFKA_RESP_ERR_NO_ERROR);
    int count = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0 && !md->topics[i].err) {
            count = md->topics[i].partition_cnt;
            *replicas = count ? md->topics[i].partitions[0].replica_cnt : 0;
        }
    rd_kafka_metadata_destroy(md);
    return count;
}

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    snprintf(f->dir, sizeof f->dir, "/tmp/wf-test-kafka-mock-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    char state_dir[128];
    snprintf(state_dir, sizeof state_dir, "state_dir=%s/state", f->dir);
    snprintf(f->bootstrap_file, sizeof f->bootstrap_file, "%s/bootstrap", f->dir);
    char *argv[] = {WF_BINARY_DIR "/tools/wf-kafka-mock",
                    "--set",
                    state_dir,
                    "--set",
                    "kafka.partitions=5",
                    "--set",
                    "topics.deadletters=" TEST_DEADLETTER,
                    "--bootstrap-file",
                    f->bootstrap_file,
                    "--exit-on-eof",
                    NULL};
    f->pid = s_spawn(argv, &f->control, &f->replies);
    char line[600];
    if (!s_read_line(f->replies, line, sizeof line, s_ms(20000)) ||
        strncmp(line, "bootstrap=", 10) != 0) {
        fprintf(stderr, "wf-kafka-mock did not start: '%s'\n", line);
        return -1;
    }
    snprintf(f->bootstrap, sizeof f->bootstrap, "%s", line + 10);
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    if (f->producer)
        rd_kafka_destroy(f->producer);
    if (f->pid > 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, NULL, 0);
    }
    close(f->control);
    close(f->replies);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

static void test_bad_arguments_exit_2(void **state)
{
    (void)state;
    char *no_brokers[] = {"--brokers", "0", NULL};
    char *unknown[] = {"--frobnicate", NULL};
    char *missing[] = {"--partitions", NULL};
    char *bad_key[] = {"--set", "kafka.partitons=3", NULL};
    char *out_of_range[] = {"--set", "kafka.partitions=0", NULL};
    assert_int_equal(s_run_to_exit(no_brokers), 2);
    assert_int_equal(s_run_to_exit(unknown), 2);
    assert_int_equal(s_run_to_exit(missing), 2);
    assert_int_equal(s_run_to_exit(bad_key), 2);
    assert_int_equal(s_run_to_exit(out_of_range), 2);
}

static void test_bootstrap_is_loopback_and_in_the_file(void **state)
{
    fixture_t *f = *state;
    char copy[600], from_file[600] = "";
    snprintf(copy, sizeof copy, "%s", f->bootstrap);
    int brokers = 0;
    char *save = NULL;
    for (char *b = strtok_r(copy, ",", &save); b; b = strtok_r(NULL, ",", &save), brokers++)
        assert_int_equal(strncmp(b, "127.0.0.1:", 10), 0);
    assert_int_equal(brokers, 3);
    FILE *file = fopen(f->bootstrap_file, "r");
    assert_non_null(file);
    assert_non_null(fgets(from_file, sizeof from_file, file));
    fclose(file);
    from_file[strcspn(from_file, "\n")] = '\0';
    assert_string_equal(from_file, f->bootstrap);
}

static void test_bad_command_lines_are_answered(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[] = {"frobnicate",
                                      "down",
                                      "down 0",
                                      "down 4",
                                      "down x",
                                      "up all now",
                                      "rtt all",
                                      "rtt 2 -1",
                                      "rtt 2 9999999",
                                      "errors Produce 1",
                                      "errors Bogus 1 REQUEST_TIMED_OUT",
                                      "errors Produce 0 REQUEST_TIMED_OUT",
                                      "errors Produce 2 NO_SUCH_ERROR",
                                      "errors Produce 2 _TIMED_OUT",
                                      "topic replay.x.enriched",
                                      "topic replay.x.enriched 0",
                                      "a b c d e f",
                                      "\x01\x02\xff"};
    char reply[600];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_command(f, bad[i], reply, sizeof reply);
        if (strncmp(reply, "error ", 6) != 0)
            fail_msg("'%s' answered '%s'", bad[i], reply);
    }
    char overlong[4100];
    memset(overlong, 'x', sizeof overlong - 1);
    overlong[sizeof overlong - 1] = '\0';
    s_command(f, overlong, reply, sizeof reply);
    assert_string_equal(reply, "error line too long");
    assert_int_equal(write(f->control, "\n  \n", 4), 4); /* empty lines: no answer */
    s_command_ok(f, "rtt all 0");
    s_command_ok(f, "up 2");
}

static void test_round_trip_exactly_once(void **state)
{
    fixture_t *f = *state;
    static const char *const settings[] = {"enable.idempotence", "true", "acks", "all",
                                           "linger.ms",          "5",    NULL};
    rd_kafka_conf_t *conf = s_conf(f, settings);
    rd_kafka_conf_set_dr_msg_cb(conf, s_on_delivery);
    rd_kafka_conf_set_opaque(conf, f);
    char err[512];
    f->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    assert_non_null(f->producer);

    s_produce(f, 0, TEST_MESSAGES - 1);
    assert_int_equal(rd_kafka_flush(f->producer, s_ms(10000)), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(f->failed, 0);
    assert_int_equal(s_delivered(f), TEST_MESSAGES);

    int replicas = 0;
    assert_int_equal(s_partition_count(f->producer, TEST_TOPIC, &replicas), TEST_PARTITIONS);
    assert_int_equal(replicas, 3);
    assert_int_equal(s_partition_count(f->producer, TEST_DEADLETTER, &replicas), TEST_PARTITIONS);
    assert_int_equal(s_partition_count(f->producer, "signals", &replicas), TEST_PARTITIONS);

    assert_int_equal(s_consume(f, 0, TEST_MESSAGES), TEST_MESSAGES);
}

static void test_outage_delays_but_loses_nothing(void **state)
{
    fixture_t *f = *state;
    assert_non_null(f->producer);
    s_command_ok(f, "down all");
    s_produce(f, TEST_MESSAGES, TEST_MESSAGES + 9);
    int64_t until = s_now_ms() + 2000;
    while (s_now_ms() < until)
        rd_kafka_poll(f->producer, 100);
    assert_int_equal(s_delivered(f), TEST_MESSAGES); /* nothing completes while down */
    assert_int_equal(f->failed, 0);

    s_command_ok(f, "up all");
    assert_int_equal(rd_kafka_flush(f->producer, s_ms(15000)), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(f->failed, 0);
    assert_int_equal(s_delivered(f), TEST_MESSAGES + 10);

    /* failed Produce requests are retried by the idempotent producer without duplicates */
    s_command_ok(f, "errors Produce 3 NOT_LEADER_FOR_PARTITION");
    s_produce(f, TEST_MESSAGES + 10, TEST_MESSAGES + TEST_LATER - 1);
    assert_int_equal(rd_kafka_flush(f->producer, s_ms(15000)), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(f->failed, 0);
    for (int i = 0; i < TEST_MESSAGES + TEST_LATER; i++)
        assert_int_equal(f->delivered[i], 1);
    char reason[256];
    assert_int_equal(rd_kafka_fatal_error(f->producer, reason, sizeof reason),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(f->producer);
    f->producer = NULL;

    /* the group resumes after its commit: exactly the later messages, once each */
    assert_int_equal(s_consume(f, TEST_MESSAGES, TEST_LATER), TEST_MESSAGES + TEST_LATER);
}

static void test_partitions_option_overrides_the_configuration(void **state)
{
    (void)state;
    fixture_t one = {0};
    char state_dir[128];
    snprintf(state_dir, sizeof state_dir, "state_dir=%s/state", ((fixture_t *)*state)->dir);
    char *argv[] = {WF_BINARY_DIR "/tools/wf-kafka-mock",
                    "--set",
                    state_dir,
                    "--set",
                    "kafka.partitions=7",
                    "--partitions",
                    "2",
                    "--brokers",
                    "1",
                    "--exit-on-eof",
                    NULL};
    one.pid = s_spawn(argv, &one.control, &one.replies);
    char line[600];
    assert_true(s_read_line(one.replies, line, sizeof line, s_ms(20000)));
    assert_int_equal(strncmp(line, "bootstrap=127.0.0.1:", 20), 0);
    assert_null(strchr(line, ','));
    snprintf(one.bootstrap, sizeof one.bootstrap, "%s", line + 10);
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, s_conf(&one, NULL), err, sizeof err);
    assert_non_null(rk);
    int replicas = 0;
    assert_int_equal(s_partition_count(rk, "events.enriched", &replicas), 2);
    assert_int_equal(replicas, 1);
    rd_kafka_destroy(rk);
    close(one.control); /* --exit-on-eof: end of stdin stops it */
    int status = s_wait_exit(one.pid, s_ms(10000));
    close(one.replies);
    assert_true(status != -1 && WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* `wf-admin replay` tests make their replay topics this way (the mock has no CreateTopics). */
static void test_topic_command_creates_a_topic(void **state)
{
    fixture_t *f = *state;
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, s_conf(f, NULL), err, sizeof err);
    assert_non_null(rk);
    int replicas = 0;
    assert_int_equal(s_partition_count(rk, "replay.t.enriched", &replicas), 0);
    s_command_ok(f, "topic replay.t.enriched 5");
    assert_int_equal(s_partition_count(rk, "replay.t.enriched", &replicas), 5);
    assert_int_equal(replicas, 3);
    rd_kafka_destroy(rk);
}

static void test_sigterm_stops_with_exit_0(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(kill(f->pid, SIGTERM), 0);
    int status = s_wait_exit(f->pid, s_ms(10000));
    assert_int_not_equal(status, -1);
    f->pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct stat st;
    assert_int_not_equal(stat(f->bootstrap_file, &st), 0); /* removed: the cluster is gone */
    assert_int_equal(errno, ENOENT);
}

int main(void)
{
    /* in order: they share one mock cluster, and the last one stops it */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments_exit_2),
        cmocka_unit_test(test_bootstrap_is_loopback_and_in_the_file),
        cmocka_unit_test(test_bad_command_lines_are_answered),
        cmocka_unit_test(test_round_trip_exactly_once),
        cmocka_unit_test(test_outage_delays_but_loses_nothing),
        cmocka_unit_test(test_partitions_option_overrides_the_configuration),
        cmocka_unit_test(test_topic_command_creates_a_topic),
        cmocka_unit_test(test_sigterm_stops_with_exit_0),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
