/* test_kafka_pipeline.c — the same 20,000 Chicago records through the pipeline over ZeroMQ and
 * over Kafka (librdkafka's mock cluster in a helper process) give the same rows in PostGIS.
 *
 * Compared: every event with its enrichment (district, beat, kind), the ids of every signal and
 * alert, and the dead letters. Ids are deterministic, so equal ids mean the same detections.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define S_SLICE_ROWS 20000

typedef struct {
    int64_t events, signals, alerts, dead_letters;
    char events_digest[40], signals_digest[40], alerts_digest[40];
} s_result_t;

/* 12,000 rows of the 2017 file and the first 8,000 of the 2018 file (same layout). */
static void s_write_slice(harness_t *h, char *path, size_t len)
{
    snprintf(path, len, "%s/slice.csv", h->dir);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "set -e; xz -dc '%s/data/chicago/crimes_2017_englewood_socrata.csv.xz' > '%s'; "
             "xz -dc '%s/data/chicago/crimes_2018_englewood_socrata.csv.xz' | sed -n '2,8001p' "
             ">> '%s'",
             WF_SOURCE_DIR, path, WF_SOURCE_DIR, path);
    assert_int_equal(system(cmd), 0);
}

/* Runs the Englewood slice (citywide: 20,000 events of the citywide 2025 export instead)
 * over ZeroMQ (copies 1) or Kafka with copies of each stage in one group. */
static harness_t *s_current; /* stopped by the teardown when an assertion ends a test early */

static int s_teardown(void **state)
{
    (void)state;
    if (s_current)
        harness_stop(s_current);
    s_current = NULL;
    return 0;
}

static void s_run(bool kafka, int copies, bool citywide, s_result_t *out)
{
    static harness_t h; /* outlives an early return: s_teardown stops it */
    s_current = &h;
    /* The slices pack a year of events into seconds of replay: stages that run at different
     * speeds (two copies) are seconds, so months of event time, apart. Real feeds are seconds
     * apart; the detector must take this as on time, or the comparison measures lateness. */
    assert_true(harness_start(&h, kafka ? "kafka_pipe" : "zmq_pipe",
                              "spatial:\n  near_repeat:\n    lateness: 3650d\n"
                              "console:\n  listen: \"127.0.0.1:0\"\n"));
    if (kafka)
        assert_true(harness_kafka_start(&h, 3));
    const char *stages[] = {"enrich", "spatial", "alert"};
    for (int s = 0; s < 3; s++) {
        assert_true(harness_start_service(&h, stages[s]) > 0);
        if (copies > 1)
            assert_true(harness_start_copy(&h, stages[s], "b") > 0);
    }
    if (copies == 1) { /* the console works over either back end */
        assert_true(harness_start_service(&h, "console") > 0);
        /* over Kafka a console group with no position starts at the newest messages
         * (kafka.observers): it must hold its partitions before the first event */
        for (int waited = 0; kafka && waited < 300; waited++) {
            if (harness_log_count(&h, "console", "kafka assignment ") > 0)
                break;
            usleep(100 * 1000);
        }
        if (kafka)
            assert_true(harness_log_count(&h, "console", "kafka assignment ") > 0);
    }
    char slice[400], profile[400];
    if (citywide)
        assert_true(harness_write_events(&h, S_SLICE_ROWS, slice, sizeof slice));
    else
        s_write_slice(&h, slice, sizeof slice);
    snprintf(profile, sizeof profile, "%s/deploy/profiles/chicago-socrata-%s.yaml", WF_SOURCE_DIR,
             citywide ? "api" : "alpha");
    const char *args[] = {"--profile", profile, slice, NULL};
    assert_int_equal(harness_run_ingest(&h, 300, args), 0);
    assert_true(harness_wait_drained(&h, 180));
    out->events = harness_query_int(&h, "SELECT count(*) FROM events");
    out->signals = harness_query_int(&h, "SELECT count(*) FROM signals");
    out->alerts = harness_query_int(&h, "SELECT count(*) FROM alerts");
    out->dead_letters = harness_query_int(&h, "SELECT count(*) FROM dead_letters");
    assert_true(harness_query_text(
        &h,
        "SELECT md5(string_agg(concat_ws('|', event_id, kind, district, beat), ',' "
        "ORDER BY event_id)) FROM events",
        out->events_digest, sizeof out->events_digest));
    assert_true(harness_query_text(
        &h,
        "SELECT md5(string_agg(concat_ws('|', signal_id, related_count), ',' ORDER BY signal_id))"
        " FROM signals",
        out->signals_digest, sizeof out->signals_digest));
    assert_true(harness_query_text(
        &h, "SELECT md5(string_agg(alert_id::text, ',' ORDER BY alert_id)) FROM alerts",
        out->alerts_digest, sizeof out->alerts_digest));
    if (copies == 1) { /* every stored event and every published alert reached the console */
        int64_t published = harness_stat(&h, "alert", "alerts_raised");
        printf("%-5s console streamed %lld events, %lld of %lld published alerts (%lld stored)\n",
               kafka ? "kafka" : "zmq", (long long)harness_stat(&h, "console", "streamed.event"),
               (long long)harness_stat(&h, "console", "streamed.alert"), (long long)published,
               (long long)out->alerts);
        assert_int_equal(harness_stat(&h, "console", "streamed.event"), out->events);
        /* an id published twice (an escalation counted in two cells of one beat) is one row */
        assert_true(published >= out->alerts);
        assert_int_equal(harness_stat(&h, "console", "streamed.alert"), published);
        assert_true(harness_stat(&h, "console", "streamed.signal") >= out->signals);
    }
    printf("%-5s copies=%d events=%lld signals=%lld alerts=%lld dead_letters=%lld\n",
           kafka ? "kafka" : "zmq", copies, (long long)out->events, (long long)out->signals,
           (long long)out->alerts, (long long)out->dead_letters);
    if (kafka) {
        const char *copies_of[][2] = {
            {"enrich", "enrich@b"}, {"spatial", "spatial@b"}, {"alert", "alert@b"}};
        int64_t gaps = 0, context = 0;
        for (int s = 0; s < 3; s++)
            for (int c = 0; c < copies; c++)
                gaps += harness_stat(&h, copies_of[s][c], "transport.gap_messages");
        for (int c = 0; c < copies; c++)
            context += harness_stat(&h, copies_of[0][c], "events_context_published");
        printf("kafka copies=%d: context copies published to neighbouring cells %lld\n", copies,
               (long long)context);
        assert_int_equal(gaps, 0); /* per-partition sequence numbers: no false gaps */
        if (citywide)
            assert_true(context > 0); /* the city has events near cell borders */
    }
    s_current = NULL;
    assert_int_equal(harness_stop(&h), 0);
}

static void s_assert_same(const s_result_t *kafka, const s_result_t *zmq)
{
    assert_int_equal(kafka->events, zmq->events);
    assert_int_equal(kafka->dead_letters, zmq->dead_letters);
    assert_string_equal(kafka->events_digest, zmq->events_digest);
    assert_int_equal(kafka->signals, zmq->signals);
    assert_string_equal(kafka->signals_digest, zmq->signals_digest);
    assert_int_equal(kafka->alerts, zmq->alerts);
    assert_string_equal(kafka->alerts_digest, zmq->alerts_digest);
}

static void test_kafka_gives_the_same_rows_as_zeromq(void **state)
{
    (void)state;
    s_result_t zmq, kafka;
    s_run(false, 1, false, &zmq);
    assert_int_equal(zmq.events + zmq.dead_letters, S_SLICE_ROWS);
    assert_true(zmq.signals > 0 && zmq.alerts > 0);
    s_run(true, 1, false, &kafka);
    s_assert_same(&kafka, &zmq);
}

/* Two copies of every stage in each consumer group: the cells (partitions) of the city are
 * split between the spatial copies, so near repeats across cell borders need the context copies
 * enrich publishes to the neighbouring cells' partitions. */
static void test_two_copies_of_every_stage_give_the_same_rows(void **state)
{
    (void)state;
    s_result_t zmq, two_copies;
    s_run(false, 1, true, &zmq);
    assert_true(zmq.signals > 0 && zmq.alerts > 0);
    s_run(true, 2, true, &two_copies);
    s_assert_same(&two_copies, &zmq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_kafka_gives_the_same_rows_as_zeromq, s_teardown),
        cmocka_unit_test_teardown(test_two_copies_of_every_stage_give_the_same_rows, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
