/* test_kafka_replay.c — `wf-admin replay` against the pipeline's own Kafka topics.
 *
 * The pipeline runs over librdkafka's mock cluster on 6,000 Chicago records, ingested in two
 * halves with a pause between them, so that the second half has its own ingest times (the Kafka
 * timestamps a time range is matched against). Then:
 *  - the whole enriched topic replayed with the same rules gives exactly the live signal and
 *    alert ids (ids are deterministic), and touches nothing in public;
 *  - the second half replayed with an extra rule raises that rule's alerts in the replay schema
 *    only, one per theft of that half, and none for events ingested before it;
 *  - an offset range of normalized runs enrich too: every copied message becomes a row, and
 *    every row and signal is one the live pipeline also made;
 *  - --drop removes a replay schema and only a replay schema; ZeroMQ is refused with exit 2.
 * The mock answers no CreateTopics, so the test creates each replay's topics through it, as it
 * does for the live topics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define S_EVENTS 6000

typedef struct {
    harness_t h;
    char from[40];                  /* RFC 3339 time between the two halves */
    int64_t counts[HARNESS_TABLES]; /* public tables after the live run */
    int64_t context_first;          /* context copies enrich published for the first half */
    int64_t context_all;            /* … for both halves */
} s_fixture_t;

static s_fixture_t s_fixture;

/* Runs wf-admin with the harness configuration; stdout+stderr go to out. Returns the status. */
static int s_admin(const char *const *args, char *out, size_t len)
{
    harness_t *h = &s_fixture.h;
    const char *command = args[0];
    char log[400], cmd[4096];
    snprintf(log, sizeof log, "%s/admin-replay.out", h->dir);
    int at = snprintf(cmd, sizeof cmd, "'%s' --config '%s'", harness_binary("tools/wf-admin"),
                      h->config);
    for (; *args; args++)
        at += snprintf(cmd + at, sizeof cmd - (size_t)at, " '%s'", *args);
    snprintf(cmd + at, sizeof cmd - (size_t)at, " > '%s' 2>&1", log);
    int status = system(cmd);
    FILE *in = fopen(log, "r");
    size_t n = in ? fread(out, 1, len - 1, in) : 0;
    out[n] = '\0';
    if (in)
        fclose(in);
    printf("--- wf-admin %s (exit status %d) ---\n%s", command,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1, out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The mock has no CreateTopics: make the five replay topics with the live partition count. */
static void s_make_topics(const char *name)
{
    static const char *const keys[] = {"normalized", "enriched", "signals", "alerts",
                                       "deadletters"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char command[200];
        snprintf(command, sizeof command, "topic replay.%s.%s 48", name, keys[i]);
        assert_true(harness_kafka_command(&s_fixture.h, command));
    }
}

static int64_t s_copied(const char *out)
{
    const char *at = strstr(out, ": copied ");
    return at ? atoll(at + 9) : -1;
}

static void s_assert_public_untouched(void)
{
    int64_t now[HARNESS_TABLES];
    harness_table_counts(&s_fixture.h, now);
    for (int i = 0; i < HARNESS_TABLES; i++)
        if (now[i] != s_fixture.counts[i])
            fail_msg("public.%s changed: %lld rows, %lld before", harness_table_names[i],
                     (long long)now[i], (long long)s_fixture.counts[i]);
}

static int s_setup(void **state)
{
    (void)state;
    harness_t *h = &s_fixture.h;
    if (!harness_start(h, "kafka_replay", NULL) || !harness_kafka_start(h, 3) ||
        harness_start_service(h, "enrich") <= 0 || harness_start_service(h, "spatial") <= 0 ||
        harness_start_service(h, "alert") <= 0)
        return -1;
    char events[400], first[450], second[450], cmd[4096];
    if (!harness_write_events(h, S_EVENTS, events, sizeof events))
        return -1;
    snprintf(first, sizeof first, "%s.a.csv", events);
    snprintf(second, sizeof second, "%s.b.csv", events);
    snprintf(cmd, sizeof cmd,
             "set -e; head -n %d '%s' > '%s'; head -n1 '%s' > '%s'; tail -n +%d '%s' >> '%s'",
             S_EVENTS / 2 + 1, events, first, events, second, S_EVENTS / 2 + 2, events, second);
    if (system(cmd) != 0)
        return -1;
    char profile[400];
    snprintf(profile, sizeof profile, "%s",
             harness_source("deploy/profiles/chicago-socrata-api.yaml"));
    const char *args_a[] = {"--profile", profile, first, NULL};
    const char *args_b[] = {"--profile", profile, second, NULL};
    if (harness_run_ingest(h, 300, args_a) != 0 || !harness_wait_drained(h, 180))
        return -1;
    /* besides one message per event, enriched holds context copies of events near a cell
     * border for the neighbouring cells' partitions */
    s_fixture.context_first = harness_stat(h, "enrich", "events_context_published");
    /* the second half's ingest times start after this instant, with room on both sides */
    sleep(1);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(s_fixture.from, sizeof s_fixture.from, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(s_fixture.from + n, sizeof s_fixture.from - n, ".%03dZ", (int)(tv.tv_usec / 1000));
    sleep(1);
    if (harness_run_ingest(h, 300, args_b) != 0 || !harness_wait_drained(h, 180))
        return -1;
    harness_table_counts(h, s_fixture.counts);
    s_fixture.context_all = harness_stat(h, "enrich", "events_context_published");
    printf("live: events=%lld signals=%lld alerts=%lld dead_letters=%lld; second half from %s\n",
           (long long)s_fixture.counts[0], (long long)s_fixture.counts[2],
           (long long)s_fixture.counts[3], (long long)s_fixture.counts[1], s_fixture.from);
    return s_fixture.counts[2] > 0 && s_fixture.counts[3] > 0 ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    return harness_stop(&s_fixture.h) == 0 ? 0 : -1;
}

static void test_whole_topic_gives_the_live_ids(void **state)
{
    (void)state;
    harness_t *h = &s_fixture.h;
    s_make_topics("replay_t1");
    char out[16384];
    const char *args[] = {"replay", "--topic", "enriched", "--into", "replay_t1", "--keep", NULL};
    assert_int_equal(s_admin(args, out, sizeof out), 0);
    /* one enriched message per stored event, and the context copies */
    assert_true(s_fixture.context_all > 0);
    assert_int_equal(s_copied(out), s_fixture.counts[0] + s_fixture.context_all);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM replay_t1.signals"),
                     s_fixture.counts[2]);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM replay_t1.alerts"),
                     s_fixture.counts[3]);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM (SELECT signal_id FROM "
                                          "replay_t1.signals EXCEPT SELECT signal_id FROM "
                                          "public.signals) AS d"),
                     0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM (SELECT alert_id FROM "
                                          "replay_t1.alerts EXCEPT SELECT alert_id FROM "
                                          "public.alerts) AS d"),
                     0);
    /* enriched replays write no events */
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM pg_tables WHERE schemaname = "
                                          "'replay_t1' AND tablename = 'events'"),
                     0);
    s_assert_public_untouched();
}

static void test_changed_rule_over_a_time_range(void **state)
{
    (void)state;
    harness_t *h = &s_fixture.h;
    char rules[400], cmd[1200], set[420];
    snprintf(rules, sizeof rules, "%s/rules-replay.yaml", h->dir);
    snprintf(cmd, sizeof cmd,
             "set -e; cp '%s' '%s'; cat >> '%s' <<'EOF'\n"
             "  - id: replay_theft_probe\n"
             "    on: event\n"
             "    kinds: [theft]\n"
             "    severity: minor\n"
             "    title: \"Theft in beat {beat}\"\n"
             "    throttle: {key: event, window: 24h}\n"
             "EOF\n",
             harness_source("deploy/rules.yaml"), rules, rules);
    assert_int_equal(system(cmd), 0);
    snprintf(set, sizeof set, "alert.rules=%s", rules);
    s_make_topics("replay_t2");
    char out[16384];
    const char *args[] = {"replay",       "--topic", "enriched",  "--from",
                          s_fixture.from, "--into",  "replay_t2", "--keep",
                          "--set",        set,       NULL};
    assert_int_equal(s_admin(args, out, sizeof out), 0);
    int64_t in_range = harness_query_int1(
        h, "SELECT count(*) FROM public.events WHERE ingested_at >= $1::timestamptz",
        s_fixture.from);
    assert_true(in_range > 0 && in_range < s_fixture.counts[0]);
    assert_int_equal(s_copied(out), in_range + s_fixture.context_all - s_fixture.context_first);
    int64_t thefts = harness_query_int1(h,
                                        "SELECT count(*) FROM public.events WHERE kind = 'theft'"
                                        " AND ingested_at >= $1::timestamptz",
                                        s_fixture.from);
    assert_true(thefts > 0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM replay_t2.alerts"
                                          " WHERE rule_id = 'replay_theft_probe'"),
                     thefts);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM public.alerts"
                                          " WHERE rule_id = 'replay_theft_probe'"),
                     0);
    assert_int_equal(harness_query_int1(h,
                                        "SELECT count(*) FROM replay_t2.alerts"
                                        " WHERE ingested_at < $1::timestamptz",
                                        s_fixture.from),
                     0);
    /* the unchanged rules raised only alerts the live pipeline raised too */
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM (SELECT alert_id FROM "
                                          "replay_t2.alerts WHERE rule_id <> 'replay_theft_probe'"
                                          " EXCEPT SELECT alert_id FROM public.alerts) AS d"),
                     0);
    s_assert_public_untouched();
}

static void test_offset_range_of_normalized(void **state)
{
    (void)state;
    harness_t *h = &s_fixture.h;
    s_make_topics("replay_t3");
    char out[16384];
    const char *args[] = {"replay", "--topic",   "normalized", "--offsets", "0-19",
                          "--into", "replay_t3", "--keep",     NULL};
    assert_int_equal(s_admin(args, out, sizeof out), 0);
    int64_t copied = s_copied(out);
    assert_true(copied > 0 && copied < s_fixture.counts[0]);
    assert_non_null(strstr(out, "offsets 0-19 read, 20 copied")); /* a partition with more */
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM replay_t3.events") +
                         harness_query_int(h, "SELECT count(*) FROM replay_t3.dead_letters"),
                     copied);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM (SELECT event_id, kind, "
                                          "district, beat FROM replay_t3.events EXCEPT SELECT "
                                          "event_id, kind, district, beat FROM public.events) d"),
                     0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM (SELECT signal_id FROM "
                                          "replay_t3.signals EXCEPT SELECT signal_id FROM "
                                          "public.signals) AS d"),
                     0);
    s_assert_public_untouched();
}

static void test_refusals_and_drop(void **state)
{
    (void)state;
    harness_t *h = &s_fixture.h;
    char out[16384];
    const char *zmq[] = {
        "--set", "transport.backend=zmq", "replay", "--topic", "enriched", "--into", "replay_z",
        NULL};
    assert_int_equal(s_admin(zmq, out, sizeof out), 2);
    assert_non_null(strstr(out, "ZeroMQ keeps no history"));
    const char *again[] = {"replay", "--topic", "enriched", "--into", "replay_t2", NULL};
    assert_int_equal(s_admin(again, out, sizeof out), 1);
    assert_non_null(strstr(out, "exists already"));
    const char *public_drop[] = {"replay", "--drop", "public", NULL};
    assert_int_equal(s_admin(public_drop, out, sizeof out), 2);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM (SELECT 1 FROM pg_namespace"
                                          " WHERE nspname = 'not_a_replay') AS n"),
                     0);
    PQclear(PQexec(h->db, "CREATE SCHEMA not_a_replay"));
    const char *foreign[] = {"replay", "--drop", "not_a_replay", NULL};
    assert_int_equal(s_admin(foreign, out, sizeof out), 1);
    assert_non_null(strstr(out, "not made by wf-admin replay"));
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM pg_namespace"
                                          " WHERE nspname = 'not_a_replay'"),
                     1);
    const char *drop[] = {"replay", "--drop", "replay_t1", NULL};
    assert_int_equal(s_admin(drop, out, sizeof out), 0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM pg_namespace"
                                          " WHERE nspname = 'replay_t1'"),
                     0);
    s_assert_public_untouched();
}

int main(void)
{
    /* in order: they share one live run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_topic_gives_the_live_ids),
        cmocka_unit_test(test_changed_rule_over_a_time_range),
        cmocka_unit_test(test_offset_range_of_normalized),
        cmocka_unit_test(test_refusals_and_drop),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
