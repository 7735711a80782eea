/* test_kafka_faults.c — the Kafka back end under faults, against librdkafka's mock cluster in a
 * helper process and a real PostGIS:
 *  - two copies of enrich share the partitions; SIGKILL one and the other takes them over;
 *  - SIGKILL of each service in turn during a 50,000-event replay, then restart: nothing lost,
 *    nothing duplicated, every signal and alert the same as in an undisturbed run;
 *  - all brokers down for 10 s mid-stream: the pipeline resumes by itself, nothing lost.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

typedef struct {
    int64_t events, distinct_records, signals, alerts;
    char events_digest[40], signals_digest[40], alerts_digest[40];
} s_rows_t;

/* The harness of the running test, stopped by the teardown when an assertion ends the test
 * early (no service or mock cluster outlives a failed test). */
static harness_t *s_current;

static bool s_start(harness_t *h, const char *name, const char *extra_yaml)
{
    s_current = h;
    return harness_start(h, name, extra_yaml);
}

static int s_stop(harness_t *h)
{
    s_current = NULL;
    return harness_stop(h);
}

static int s_teardown(void **state)
{
    (void)state;
    if (s_current)
        s_stop(s_current);
    return 0;
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void s_rows(harness_t *h, s_rows_t *out)
{
    out->events = harness_query_int(h, "SELECT count(*) FROM events");
    out->distinct_records = harness_query_int(
        h, "SELECT count(DISTINCT (agency, source_record_id, revision)) FROM events");
    out->signals = harness_query_int(h, "SELECT count(*) FROM signals");
    out->alerts = harness_query_int(h, "SELECT count(*) FROM alerts");
    assert_true(harness_query_text(h,
                                   "SELECT md5(string_agg(concat_ws('|', event_id, district, "
                                   "beat), ',' ORDER BY event_id)) FROM events",
                                   out->events_digest, sizeof out->events_digest));
    assert_true(harness_query_text(
        h, "SELECT md5(string_agg(signal_id::text, ',' ORDER BY signal_id)) FROM signals",
        out->signals_digest, sizeof out->signals_digest));
    assert_true(harness_query_text(
        h, "SELECT md5(string_agg(alert_id::text, ',' ORDER BY alert_id)) FROM alerts",
        out->alerts_digest, sizeof out->alerts_digest));
}

static bool s_wait_counter(harness_t *h, const char *service, const char *counter, int64_t value,
                           int timeout_s)
{
    for (int i = 0; i < timeout_s * 20 * h->timeout_multiplier; i++) {
        if (harness_stat(h, service, counter) >= value)
            return true;
        s_sleep_ms(50);
    }
    return false;
}

static void s_start_pipeline(harness_t *h)
{
    assert_true(harness_start_service(h, "enrich") > 0);
    assert_true(harness_start_service(h, "spatial") > 0);
    assert_true(harness_start_service(h, "alert") > 0);
}

static const char *s_profile(void)
{
    static char profile[512];
    snprintf(profile, sizeof profile, "%s/deploy/profiles/chicago-socrata-api.yaml", WF_SOURCE_DIR);
    return profile;
}

/* ---- consumer group: two copies of enrich ----------------------------------------------- */

static void test_two_enrich_copies_share_and_take_over(void **state)
{
    (void)state;
    static harness_t h; /* outlives an early return: s_teardown stops it */
    assert_true(s_start(&h, "kafka_group", NULL));
    assert_true(harness_kafka_start(&h, 3));
    char events[400];
    assert_true(harness_write_events(&h, 20000, events, sizeof events));
    assert_true(harness_start_copy(&h, "enrich", "a") > 0);
    assert_true(harness_start_copy(&h, "enrich", "b") > 0);
    assert_true(harness_start_service(&h, "spatial") > 0);
    assert_true(harness_start_service(&h, "alert") > 0);
    const char *args[] = {"--rate", "2000", "--profile", s_profile(), events, NULL};
    pid_t ingest = harness_spawn_ingest(&h, args);

    /* both copies work: the partitions are shared */
    assert_true(s_wait_counter(&h, "enrich@a", "events_published", 500, 60));
    assert_true(s_wait_counter(&h, "enrich@b", "events_published", 500, 60));
    int64_t a_before = harness_stat(&h, "enrich@a", "events_published");
    int64_t b_share = harness_stat(&h, "enrich@b", "events_published");
    int64_t rebalances = harness_stat(&h, "enrich@a", "transport.rebalances");
    harness_signal(&h, "enrich@b", SIGKILL);
    printf("enrich@b killed after %lld events (enrich@a had %lld)\n", (long long)b_share,
           (long long)a_before);

    /* the survivor is given the dead copy's partitions once the group notices */
    assert_true(s_wait_counter(&h, "enrich@a", "transport.rebalances", rebalances + 1, 60));
    assert_int_equal(harness_wait_exit(&h, ingest, 300), 0);
    assert_true(harness_wait_drained(&h, 180));
    s_rows_t rows;
    s_rows(&h, &rows);
    printf("after takeover: events stored %lld of 20000 (distinct records %lld); enrich@a "
           "published %lld\n",
           (long long)rows.events, (long long)rows.distinct_records,
           (long long)harness_stat(&h, "enrich@a", "events_published"));
    assert_int_equal(rows.events, 20000);
    assert_int_equal(rows.distinct_records, 20000);
    assert_true(harness_stat(&h, "enrich@a", "events_published") > a_before);
    assert_int_equal(s_stop(&h), 0);
}

/* ---- SIGKILL each service in turn --------------------------------------------------------- */

#define S_KILL_EVENTS 50000

static void s_reference(s_rows_t *out)
{
    static harness_t h; /* outlives an early return: s_teardown stops it */
    assert_true(s_start(&h, "kafka_ref", NULL));
    char events[400];
    assert_true(harness_write_events(&h, S_KILL_EVENTS, events, sizeof events));
    s_start_pipeline(&h);
    const char *args[] = {"--profile", s_profile(), events, NULL};
    assert_int_equal(harness_run_ingest(&h, 300, args), 0);
    assert_true(harness_wait_drained(&h, 180));
    s_rows(&h, out);
    assert_int_equal(s_stop(&h), 0);
}

static void test_kill_each_service_loses_and_duplicates_nothing(void **state)
{
    (void)state;
    s_rows_t reference, rows;
    s_reference(&reference); /* undisturbed, over ZeroMQ */

    static harness_t h; /* outlives an early return: s_teardown stops it */
    /* The replay compresses time: the events file is one autumn of Chicago repeated for five
     * years, so at 2000 events/s a year of event time passes every 5 s. After a restart,
     * enrich drains its backlog partition by partition and spatial sees partitions years
     * apart; a real feed would be seconds apart. The detector must take that as on time
     * (lateness beyond the file's span), or the comparison measures the lateness policy (how
     * late an event may come and still be held), not loss. */
    assert_true(s_start(&h, "kafka_kill", "spatial:\n  near_repeat:\n    lateness: 3650d\n"));
    assert_true(harness_kafka_start(&h, 3));
    char events[400];
    assert_true(harness_write_events(&h, S_KILL_EVENTS, events, sizeof events));
    s_start_pipeline(&h);
    /* 2000/s: 25 s per pass of the file, long enough for every victim to be killed mid-stream
     * (each downstream restart waits out the group's session timeout before it gets work) */
    const char *args[] = {"--rate", "2000", "--profile", s_profile(), events, NULL};
    pid_t ingest = harness_spawn_ingest(&h, args);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    const char *victims[] = {"ingest", "enrich", "spatial", "alert"};
    const char *progress[] = {"events_published", "events_published", "events_received",
                              "events_received"};
    for (int i = 0; i < 4; i++) {
        /* once the victim is doing real work (it holds state and has committed offsets),
         * at a random moment */
        int64_t before = harness_stat(&h, victims[i], progress[i]);
        assert_true(s_wait_counter(&h, victims[i], progress[i], before + 1000, 120));
        int delay_ms = rand() % 1000;
        s_sleep_ms(delay_ms);
        if (strcmp(victims[i], "ingest") == 0) {
            kill(ingest, SIGKILL);
            harness_wait_exit(&h, ingest, 20);
            /* a restarted feed reads its file again: replays are absorbed by the event ids */
            ingest = harness_spawn_ingest(&h, args);
        } else {
            harness_signal(&h, victims[i], SIGKILL);
            s_sleep_ms(300);
            assert_true(harness_start_service(&h, victims[i]) > 0);
        }
        printf("killed wf-%s %d ms after its 1000th event (ingest had published %lld)\n",
               victims[i], delay_ms, (long long)harness_stat(&h, "ingest", "events_published"));
    }
    assert_int_equal(harness_wait_exit(&h, ingest, 300), 0);
    assert_true(harness_wait_drained(&h, 240));
    s_rows(&h, &rows);
    int64_t lost = reference.events - rows.distinct_records;
    int64_t duplicated = rows.events - rows.distinct_records;
    printf("events: reference %lld, stored %lld, lost %lld, duplicated %lld\n",
           (long long)reference.events, (long long)rows.events, (long long)lost,
           (long long)duplicated);
    printf("signals: reference %lld, stored %lld; alerts: reference %lld, stored %lld\n",
           (long long)reference.signals, (long long)rows.signals, (long long)reference.alerts,
           (long long)rows.alerts);
    /* what the restarts delivered again, absorbed by the keyed writes and the detector */
    printf("delivered again and absorbed: enrich events already stored %lld, spatial events "
           "already held %lld; replayed to rebuild state: spatial %lld, alert %lld\n",
           (long long)harness_stat(&h, "enrich", "events_duplicate"),
           (long long)harness_stat(&h, "spatial", "nearrepeat_duplicates"),
           (long long)harness_stat(&h, "spatial", "transport.replayed"),
           (long long)harness_stat(&h, "alert", "transport.replayed"));
    assert_int_equal(reference.events, S_KILL_EVENTS);
    assert_int_equal(lost, 0);
    assert_int_equal(duplicated, 0);
    assert_string_equal(rows.events_digest, reference.events_digest);
    assert_int_equal(rows.signals, reference.signals);
    assert_string_equal(rows.signals_digest, reference.signals_digest);
    assert_int_equal(rows.alerts, reference.alerts);
    assert_string_equal(rows.alerts_digest, reference.alerts_digest);
    assert_int_equal(s_stop(&h), 0);
}

/* ---- broker outage ------------------------------------------------------------------------ */

static void test_ten_second_broker_outage_is_survived(void **state)
{
    (void)state;
    static harness_t h; /* outlives an early return: s_teardown stops it */
    assert_true(s_start(&h, "kafka_outage", NULL));
    assert_true(harness_kafka_start(&h, 3));
    char events[400];
    assert_true(harness_write_events(&h, 20000, events, sizeof events));
    s_start_pipeline(&h);
    const char *args[] = {"--rate", "2000", "--profile", s_profile(), events, NULL};
    pid_t ingest = harness_spawn_ingest(&h, args);
    assert_true(s_wait_counter(&h, "enrich", "events_published", 2000, 60));
    assert_true(harness_kafka_command(&h, "down all"));
    int64_t at_outage = harness_stat(&h, "enrich", "events_published");
    s_sleep_ms(10000);
    int64_t during = harness_stat(&h, "enrich", "events_published") - at_outage;
    const char *services[] = {"enrich", "spatial", "alert"};
    for (int i = 0; i < 3; i++)
        if (!harness_alive(&h, services[i]))
            fail_msg("wf-%s died during the outage", services[i]);
    assert_true(harness_kafka_command(&h, "up all"));
    assert_int_equal(harness_wait_exit(&h, ingest, 300), 0);
    assert_true(harness_wait_drained(&h, 240));
    s_rows_t rows;
    s_rows(&h, &rows);
    printf("outage: enrich published %lld events while the brokers were down (what it had "
           "fetched); afterwards %lld of 20000 events stored, %lld distinct\n",
           (long long)during, (long long)rows.events, (long long)rows.distinct_records);
    assert_int_equal(rows.events, 20000);
    assert_int_equal(rows.distinct_records, 20000);
    assert_int_equal(s_stop(&h), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_two_enrich_copies_share_and_take_over, s_teardown),
        cmocka_unit_test_teardown(test_kill_each_service_loses_and_duplicates_nothing, s_teardown),
        cmocka_unit_test_teardown(test_ten_second_broker_outage_is_survived, s_teardown),
    };
    const char *only = getenv("WF_TEST_FILTER"); /* e.g. "*outage*" to run one while debugging */
    if (only && only[0])
        cmocka_set_test_filter(only);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
