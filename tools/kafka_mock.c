/* kafka_mock.c — wf-kafka-mock: librdkafka's in-memory mock Kafka cluster in a process of its own.
 *
 *   wf-kafka-mock [common options] [--brokers N] [--partitions P] [--bootstrap-file PATH]
 *                 [--exit-on-eof]
 *
 * For tests and for `scripts/demo --kafka` when no brokers are named. It starts
 * rd_kafka_mock_cluster_new() with N brokers (ids 1..N) listening on loopback, creates the
 * configured topics.* topics with kafka.partitions partitions (the 2.0.2 mock has no
 * CreateTopics, so the Kafka back end cannot create them itself), prints one line
 * "bootstrap=HOST:PORT,…" on stdout once ready and, with --bootstrap-file, writes the list to
 * PATH atomically (removed again at exit). Everything lives in memory: nothing survives exit.
 *
 * Control commands, one per line on stdin, each answered by one line "ok <command>" or
 * "error <reason>" on stdout: down|up all|<id>, rtt all|<id> <ms>,
 * errors <apikey> <count> <errname>, topic <name> <partitions> (what CreateTopics would do, for
 * tests of `wf-admin replay`, whose replay topics must exist before it runs). It stops on SIGTERM
 * or SIGINT. With --exit-on-eof it also stops when stdin reaches end of file, so a test that starts
 * it on a pipe and dies never leaves it behind; without it, end of file only ends the commands
 * (scripts start it on /dev/null). Exit status: 0 stopped, 1 could not start, 2 bad command line.
 *
 * What the librdkafka 2.0.2 mock does not do like a broker (checked with real clients):
 * no CreateTopics (admin requests wait for a controller until they time out); ListOffsets by
 * timestamp (rd_kafka_offsets_for_times) answers offset -1 without an error; a partition keeps
 * only its last ~5 MB and drops older messages silently (topics take no configuration, so
 * kafka.retention does not apply); a group rebalance after a member joins or leaves waits up to
 * session.timeout.ms (45 s by default). Its control calls (topic creation, down/up/rtt)
 * sometimes take up to 1 s each.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <wf/config.h>
#include <wf/log.h>
#include <wf/service.h>

#define KAFKA_MOCK_LINE_MAX 512    /* longest command line accepted */
#define KAFKA_MOCK_ERRORS   10000  /* most errors pushed by one command */
#define KAFKA_MOCK_RTT_MAX  600000 /* ms */
#define KAFKA_MOCK_BROKERS  64
#define KAFKA_MOCK_API_MAX  67 /* highest Kafka ApiKey librdkafka 2.0 knows */
#define KAFKA_MOCK_ALL      -1 /* broker target "all" */

/* wf_service_init prints "usage: wf-kafka-mock [common options] " before this. */
static const char *s_usage =
    "[--brokers N] [--partitions P] [--bootstrap-file PATH] [--exit-on-eof]\n"
    "librdkafka's mock Kafka cluster, in memory, for trying things out and tests; NOT for\n"
    "production (nothing survives its exit). Listens on 127.0.0.1 only.\n"
    "  --brokers N            brokers, ids 1..N (default 3)\n"
    "  --partitions P         partitions of each topics.* topic (default: kafka.partitions)\n"
    "  --bootstrap-file PATH  also write the bootstrap list to PATH (atomically; removed at exit)\n"
    "  --exit-on-eof          stop when stdin reaches end of file (for a parent on a pipe)\n"
    "Prints \"bootstrap=HOST:PORT,...\" on stdout when ready. Commands on stdin, one per line,\n"
    "each answered \"ok <command>\" or \"error <reason>\":\n"
    "  down all|ID            disconnect the broker(s) and refuse connections\n"
    "  up all|ID              accept connections again\n"
    "  rtt all|ID MS          delay every response by MS milliseconds\n"
    "  errors APIKEY COUNT ERRNAME   fail the next COUNT requests of APIKEY (a number or\n"
    "                         Produce, Fetch, Metadata …) with ERRNAME (REQUEST_TIMED_OUT …)\n"
    "  topic NAME PARTITIONS  create a topic (the mock answers no CreateTopics request)\n"
    "Stops on SIGTERM/SIGINT (exit 0). Exit 1: could not start; 2: bad command line.\n";

typedef struct {
    int brokers;                /* broker count; ids are 1..brokers */
    int partitions;             /* partitions per topic; 0: kafka.partitions */
    const char *bootstrap_file; /* where to write the bootstrap list, or NULL */
    bool exit_on_eof;           /* stop when stdin reaches end of file */
} kafka_mock_args_t;

typedef struct {
    rd_kafka_t *rk;                   /* the handle the cluster needs for its book-keeping */
    rd_kafka_mock_cluster_t *cluster; /* the mock brokers */
    int brokers;                      /* ids 1..brokers */
} kafka_mock_t;

/* The Kafka protocol's names of the requests a client sends to the mock. */
static const struct {
    const char *name;
    int key;
} s_api_keys[] = {
    {"Produce", 0},
    {"Fetch", 1},
    {"ListOffsets", 2},
    {"Metadata", 3},
    {"OffsetCommit", 8},
    {"OffsetFetch", 9},
    {"FindCoordinator", 10},
    {"JoinGroup", 11},
    {"Heartbeat", 12},
    {"LeaveGroup", 13},
    {"SyncGroup", 14},
    {"ApiVersions", 18},
    {"CreateTopics", 19},
    {"InitProducerId", 22},
    {"OffsetForLeaderEpoch", 23},
    {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25},
    {"EndTxn", 26},
    {"TxnOffsetCommit", 28},
};

/* Parses a whole decimal integer within [min, max]. */
static bool s_parse_int(const char *text, long min, long max, long *out)
{
    if (!text || !*text)
        return false;
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return false;
    *out = value;
    return true;
}

static int s_usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "wf-kafka-mock: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (wf-kafka-mock --help shows the options)\n");
    return 2;
}

/* Parses the options left after the common ones; returns 0 or 2 after printing the reason. */
static int s_args_parse(int argc, char **argv, kafka_mock_args_t *args)
{
    *args = (kafka_mock_args_t){.brokers = 3};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        long value;
        if (strcmp(arg, "--exit-on-eof") == 0) {
            args->exit_on_eof = true;
            continue;
        }
        bool known = strcmp(arg, "--brokers") == 0 || strcmp(arg, "--partitions") == 0 ||
                     strcmp(arg, "--bootstrap-file") == 0;
        if (!known)
            return s_usage_error("unknown argument '%s'", arg);
        if (i + 1 >= argc)
            return s_usage_error("%s needs a value", arg);
        const char *text = argv[++i];
        if (strcmp(arg, "--bootstrap-file") == 0) {
            if (!*text)
                return s_usage_error("%s needs a file name", arg);
            args->bootstrap_file = text;
        } else if (strcmp(arg, "--brokers") == 0) {
            if (!s_parse_int(text, 1, KAFKA_MOCK_BROKERS, &value))
                return s_usage_error("--brokers must be 1..64, got '%s'", text);
            args->brokers = (int)value;
        } else {
            if (!s_parse_int(text, 1, 10000, &value))
                return s_usage_error("--partitions must be 1..10000, got '%s'", text);
            args->partitions = (int)value;
        }
    }
    return 0;
}

/* True when every host of "host:port,host:port" is a loopback address. */
static bool s_is_loopback(const char *bootstraps)
{
    char list[4096];
    snprintf(list, sizeof list, "%s", bootstraps);
    char *save = NULL;
    for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(item, ':');
        if (!colon)
            return false;
        *colon = '\0';
        if (strncmp(item, "127.", 4) != 0 && strcmp(item, "localhost") != 0 &&
            strcmp(item, "[::1]") != 0)
            return false;
    }
    return true;
}

/* Creates the topics.* topics; a name given twice is created once. Returns 0 or 1. */
static int s_create_topics(kafka_mock_t *mock, const wf_config_t *config, int partitions)
{
    static const char *const keys[] = {"topics.normalized", "topics.enriched", "topics.signals",
                                       "topics.alerts", "topics.deadletters"};
    int replicas = mock->brokers < 3 ? mock->brokers : 3;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *topic = wf_config_string(config, keys[i]);
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || strcmp(topic, wf_config_string(config, keys[j])) == 0;
        if (seen)
            continue;
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mock->cluster, topic, partitions, replicas);
        if (err) {
            wf_log_error("cannot create the topic topic=%s reason=\"%s\"", topic,
                         rd_kafka_err2str(err));
            return 1;
        }
        wf_log_info("topic created topic=%s partitions=%d replicas=%d", topic, partitions,
                    replicas);
    }
    return 0;
}

/* Writes "list\n" to path through a temporary file and rename(). Returns 0 or 1. */
static int s_write_bootstrap_file(const char *path, const char *bootstraps)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof tmp) {
        wf_log_error("bootstrap file name too long path=%s", path);
        return 1;
    }
    FILE *file = fopen(tmp, "w");
    if (!file) {
        wf_log_error("cannot write the bootstrap file path=%s reason=\"%s\"", tmp, strerror(errno));
        return 1;
    }
    bool written = fprintf(file, "%s\n", bootstraps) > 0;
    if (fclose(file) != 0 || !written || rename(tmp, path) != 0) {
        wf_log_error("cannot write the bootstrap file path=%s reason=\"%s\"", path,
                     strerror(errno));
        unlink(tmp);
        return 1;
    }
    return 0;
}

/* Starts the cluster. SIGINT/SIGTERM are blocked while librdkafka creates its threads, so they
 * inherit the mask and the signals always reach the main thread (and interrupt its poll). */
static int s_mock_start(kafka_mock_t *mock, int brokers)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* log_level 4: warnings and errors only; the handle has (and needs) no bootstrap.servers,
     * which librdkafka would otherwise report at notice level */
    if (rd_kafka_conf_set(conf, "client.id", "wf-kafka-mock", err, sizeof err) != 0 ||
        rd_kafka_conf_set(conf, "log_level", "4", err, sizeof err) != 0) {
        wf_log_error("librdkafka configuration reason=\"%s\"", err);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    mock->brokers = brokers;
    mock->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err); /* takes conf */
    if (!mock->rk)
        rd_kafka_conf_destroy(conf);
    else
        mock->cluster = rd_kafka_mock_cluster_new(mock->rk, brokers);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (!mock->rk) {
        wf_log_error("cannot create the librdkafka handle reason=\"%s\"", err);
        return 1;
    }
    if (!mock->cluster) {
        wf_log_error("cannot create the mock cluster brokers=%d", brokers);
        return 1;
    }
    return 0;
}

static void s_mock_stop(kafka_mock_t *mock)
{
    if (mock->cluster)
        rd_kafka_mock_cluster_destroy(mock->cluster);
    mock->cluster = NULL;
    if (mock->rk)
        rd_kafka_destroy(mock->rk);
    mock->rk = NULL;
}

/* One line on stdout, flushed so a test waiting for it sees it at once. */
static void s_reply(const char *verdict, const char *text)
{
    printf("%s %s\n", verdict, text);
    fflush(stdout);
}

/* Broker target: "all" or an id 1..brokers; returns false with the reason in reason. */
static bool s_target(const kafka_mock_t *mock, const char *text, int *broker, char *reason,
                     size_t len)
{
    long id;
    if (text && strcmp(text, "all") == 0) {
        *broker = KAFKA_MOCK_ALL;
        return true;
    }
    if (s_parse_int(text, 1, mock->brokers, &id)) {
        *broker = (int)id;
        return true;
    }
    snprintf(reason, len, "broker must be all or 1..%d", mock->brokers);
    return false;
}

/* Applies down/up/rtt to one broker or all; returns false with the reason. */
static bool s_broker_command(kafka_mock_t *mock, const char *verb, int target, int rtt_ms,
                             char *reason, size_t len)
{
    int first = target == KAFKA_MOCK_ALL ? 1 : target;
    int last = target == KAFKA_MOCK_ALL ? mock->brokers : target;
    for (int id = first; id <= last; id++) {
        rd_kafka_resp_err_t err;
        if (strcmp(verb, "down") == 0)
            err = rd_kafka_mock_broker_set_down(mock->cluster, id);
        else if (strcmp(verb, "up") == 0)
            err = rd_kafka_mock_broker_set_up(mock->cluster, id);
        else
            err = rd_kafka_mock_broker_set_rtt(mock->cluster, id, rtt_ms);
        if (err) {
            snprintf(reason, len, "broker %d: %s", id, rd_kafka_err2str(err));
            return false;
        }
    }
    return true;
}

/* ApiKey by protocol name (case-insensitive) or number; -1 when unknown. */
static int s_api_key(const char *text)
{
    long key;
    if (s_parse_int(text, 0, KAFKA_MOCK_API_MAX, &key))
        return (int)key;
    for (size_t i = 0; text && i < sizeof s_api_keys / sizeof s_api_keys[0]; i++)
        if (strcasecmp(text, s_api_keys[i].name) == 0)
            return s_api_keys[i].key;
    return -1;
}

/* A broker error code by name ("REQUEST_TIMED_OUT", with or without "RD_KAFKA_RESP_ERR_")
 * or number; RD_KAFKA_RESP_ERR_NO_ERROR when unknown. librdkafka-internal (negative) codes
 * never travel on the wire and are refused. */
static rd_kafka_resp_err_t s_error_code(const char *text)
{
    static const char prefix[] = "RD_KAFKA_RESP_ERR_";
    long code;
    if (!text)
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    if (s_parse_int(text, 1, SHRT_MAX, &code))
        return (rd_kafka_resp_err_t)code;
    if (strncasecmp(text, prefix, sizeof prefix - 1) == 0)
        text += sizeof prefix - 1;
    const struct rd_kafka_err_desc *descs;
    size_t count;
    rd_kafka_get_err_descs(&descs, &count);
    for (size_t i = 0; i < count; i++)
        if (descs[i].code > 0 && descs[i].name && strcasecmp(text, descs[i].name) == 0)
            return descs[i].code;
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* errors APIKEY COUNT ERRNAME: the next COUNT requests of APIKEY fail with ERRNAME. */
static bool s_errors_command(kafka_mock_t *mock, char **words, int nwords, char *reason, size_t len)
{
    if (nwords != 4) {
        snprintf(reason, len, "usage: errors APIKEY COUNT ERRNAME");
        return false;
    }
    int key = s_api_key(words[1]);
    if (key < 0) {
        snprintf(reason, len, "unknown ApiKey (a number 0..%d or Produce, Fetch, Metadata …)",
                 KAFKA_MOCK_API_MAX);
        return false;
    }
    long count;
    if (!s_parse_int(words[2], 1, KAFKA_MOCK_ERRORS, &count)) {
        snprintf(reason, len, "COUNT must be 1..%d", KAFKA_MOCK_ERRORS);
        return false;
    }
    rd_kafka_resp_err_t err = s_error_code(words[3]);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(reason, len, "unknown broker error name (e.g. REQUEST_TIMED_OUT)");
        return false;
    }
    rd_kafka_resp_err_t *errors = malloc((size_t)count * sizeof *errors);
    if (!errors) {
        snprintf(reason, len, "out of memory");
        return false;
    }
    for (long i = 0; i < count; i++)
        errors[i] = err;
    rd_kafka_mock_push_request_errors_array(mock->cluster, (int16_t)key, (size_t)count, errors);
    free(errors);
    return true;
}

/* topic NAME PARTITIONS: creates a topic as a broker would for CreateTopics. */
static bool s_topic_command(kafka_mock_t *mock, char **words, int nwords, char *reason, size_t len)
{
    long partitions;
    if (nwords != 3 || !s_parse_int(words[2], 1, 10000, &partitions)) {
        snprintf(reason, len, "usage: topic NAME PARTITIONS (1..10000)");
        return false;
    }
    int replicas = mock->brokers < 3 ? mock->brokers : 3;
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(mock->cluster, words[1], (int)partitions, replicas);
    if (err) {
        snprintf(reason, len, "topic %.100s: %s", words[1], rd_kafka_err2str(err));
        return false;
    }
    return true;
}

/* Runs one command line and answers it. Empty lines are ignored. */
static void s_command(kafka_mock_t *mock, char *line)
{
    char *words[5], *save = NULL; /* one more than any command has */
    int nwords = 0;
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = *p == '\t' || *p == '\r' ? ' ' : '?'; /* one printable line in every answer */
    for (char *w = strtok_r(line, " ", &save); w && nwords < 5; w = strtok_r(NULL, " ", &save))
        words[nwords++] = w;
    if (nwords == 0)
        return;
    char reason[256] = "", echo[KAFKA_MOCK_LINE_MAX + 16] = "";
    const char *verb = words[0];
    int target = 0;
    long rtt = 0;
    bool done = false;
    if (nwords > 4)
        snprintf(reason, sizeof reason, "too many words");
    else if (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) {
        if (nwords != 2)
            snprintf(reason, sizeof reason, "usage: %s all|ID", verb);
        else if (s_target(mock, words[1], &target, reason, sizeof reason))
            done = s_broker_command(mock, verb, target, 0, reason, sizeof reason);
    } else if (strcmp(verb, "rtt") == 0) {
        if (nwords != 3)
            snprintf(reason, sizeof reason, "usage: rtt all|ID MS");
        else if (!s_parse_int(words[2], 0, KAFKA_MOCK_RTT_MAX, &rtt))
            snprintf(reason, sizeof reason, "MS must be 0..%d", KAFKA_MOCK_RTT_MAX);
        else if (s_target(mock, words[1], &target, reason, sizeof reason))
            done = s_broker_command(mock, verb, target, (int)rtt, reason, sizeof reason);
    } else if (strcmp(verb, "errors") == 0)
        done = s_errors_command(mock, words, nwords, reason, sizeof reason);
    else if (strcmp(verb, "topic") == 0)
        done = s_topic_command(mock, words, nwords, reason, sizeof reason);
    else
        snprintf(reason, sizeof reason, "unknown command '%.40s' (down, up, rtt, errors, topic)",
                 verb);
    if (!done) {
        s_reply("error", reason);
        return;
    }
    for (int i = 0, at = 0; i < nwords; i++)
        at += snprintf(echo + at, sizeof echo - (size_t)at, "%s%s", i ? " " : "", words[i]);
    s_reply("ok", echo);
}

/* Reads commands until a signal, or end of file with exit_on_eof. */
static void s_run(kafka_mock_t *mock, bool exit_on_eof)
{
    char line[KAFKA_MOCK_LINE_MAX + 1];
    size_t len = 0;
    bool overlong = false, open = true;
    while (!wf_service_stopping()) {
        struct pollfd pfd = {.fd = 0, .events = POLLIN};
        int ready = poll(&pfd, open ? 1 : 0, 200); /* the timeout re-checks the stop flag */
        if (ready <= 0)
            continue;
        char chunk[1024];
        ssize_t got = read(0, chunk, sizeof chunk);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            open = false;
            wf_log_info("stdin closed: %s", exit_on_eof ? "stopping" : "no more commands");
            if (exit_on_eof)
                return;
            continue;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (chunk[i] != '\n') {
                if (len < KAFKA_MOCK_LINE_MAX)
                    line[len++] = chunk[i];
                else
                    overlong = true;
                continue;
            }
            line[len] = '\0';
            if (overlong)
                s_reply("error", "line too long");
            else
                s_command(mock, line);
            len = 0;
            overlong = false;
        }
    }
}

int main(int argc, char **argv)
{
    wf_service_t svc;
    kafka_mock_t mock = {0};
    kafka_mock_args_t args;
    int rc = wf_service_init(&svc, "kafka-mock", s_usage, argc, argv);
    if (rc != 0) {
        wf_service_fini(&svc);
        return rc > 0 ? 0 : 2;
    }
    if ((rc = s_args_parse(svc.argc, svc.argv, &args)) != 0)
        goto cleanup;
    int partitions =
        args.partitions ? args.partitions : (int)wf_config_int(svc.config, "kafka.partitions");
    fprintf(stderr,
            "wf-kafka-mock: this is librdkafka's MOCK Kafka cluster (librdkafka %s), %d broker%s, "
            "in memory.\n"
            "wf-kafka-mock: it is for trying things out and for tests, NOT for production: "
            "nothing survives its exit.\n",
            rd_kafka_version_str(), args.brokers, args.brokers == 1 ? "" : "s");
    rc = 1;
    if (s_mock_start(&mock, args.brokers) != 0 || s_create_topics(&mock, svc.config, partitions))
        goto cleanup;
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mock.cluster);
    if (!s_is_loopback(bootstraps)) {
        wf_log_error("the mock does not listen on loopback only bootstrap=%s", bootstraps);
        goto cleanup;
    }
    if (args.bootstrap_file && s_write_bootstrap_file(args.bootstrap_file, bootstraps) != 0)
        goto cleanup;
    printf("bootstrap=%s\n", bootstraps);
    fflush(stdout);
    wf_log_info("ready brokers=%d partitions=%d bootstrap=%s", args.brokers, partitions,
                bootstraps);
    s_run(&mock, args.exit_on_eof);
    wf_log_info("stopping: the mock cluster and everything in it are discarded");
    if (args.bootstrap_file)
        unlink(args.bootstrap_file);
    rc = 0;
cleanup:
    s_mock_stop(&mock);
    wf_service_fini(&svc);
    return rc;
}
