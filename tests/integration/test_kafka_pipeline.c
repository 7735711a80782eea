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

static void s_run(bool kafka, s_result_t *out)
{
    harness_t h;
    assert_true(harness_start(&h, kafka ? "kafka_pipe" : "zmq_pipe", NULL));
    if (kafka)
        assert_true(harness_kafka_start(&h, 3));
    assert_true(harness_start_service(&h, "enrich") > 0);
    assert_true(harness_start_service(&h, "spatial") > 0);
    assert_true(harness_start_service(&h, "alert") > 0);
    char slice[400], profile[400];
    s_write_slice(&h, slice, sizeof slice);
    snprintf(profile, sizeof profile, "%s/deploy/profiles/chicago-socrata-alpha.yaml",
             WF_SOURCE_DIR);
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
        &h, "SELECT md5(string_agg(signal_id::text, ',' ORDER BY signal_id)) FROM signals",
        out->signals_digest, sizeof out->signals_digest));
    assert_true(harness_query_text(
        &h, "SELECT md5(string_agg(alert_id::text, ',' ORDER BY alert_id)) FROM alerts",
        out->alerts_digest, sizeof out->alerts_digest));
    printf("%-5s events=%lld signals=%lld alerts=%lld dead_letters=%lld\n", kafka ? "kafka" : "zmq",
           (long long)out->events, (long long)out->signals, (long long)out->alerts,
           (long long)out->dead_letters);
    if (kafka) {
        int64_t gaps = harness_stat(&h, "enrich", "transport.gap_messages") +
                       harness_stat(&h, "spatial", "transport.gap_messages") +
                       harness_stat(&h, "alert", "transport.gap_messages");
        assert_int_equal(gaps, 0); /* per-partition sequence numbers: no false gaps */
    }
    assert_int_equal(harness_stop(&h), 0);
}

static void test_kafka_gives_the_same_rows_as_zeromq(void **state)
{
    (void)state;
    s_result_t zmq, kafka;
    s_run(false, &zmq);
    s_run(true, &kafka);
    assert_int_equal(zmq.events + zmq.dead_letters, S_SLICE_ROWS);
    assert_int_equal(kafka.events, zmq.events);
    assert_int_equal(kafka.dead_letters, zmq.dead_letters);
    assert_string_equal(kafka.events_digest, zmq.events_digest);
    assert_true(zmq.signals > 0 && zmq.alerts > 0);
    assert_int_equal(kafka.signals, zmq.signals);
    assert_string_equal(kafka.signals_digest, zmq.signals_digest);
    assert_int_equal(kafka.alerts, zmq.alerts);
    assert_string_equal(kafka.alerts_digest, zmq.alerts_digest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_gives_the_same_rows_as_zeromq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
