/* test_malformed.c — bad input ends in dead letters with a reason; no service stops.
 *
 * Feeds the malformed fixtures (truncated line, bad quoting, non-numeric coordinates,
 * coordinates outside the jurisdiction, unparseable time, empty file, invalid UTF-8, a missing
 * required field, a header that does not fit the profile, malformed NDJSON) and a generated
 * file with a 10 MB line through the running pipeline, then garbage straight onto enrich's
 * ZeroMQ endpoint; checks every dead letter and that good records still flow afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "harness.h"

#define PORTAL WF_SOURCE_DIR "/deploy/profiles/chicago-portal-export.yaml"
#define NDJSON WF_SOURCE_DIR "/deploy/profiles/chicago-socrata-ndjson.yaml"
#define DATA   WF_SOURCE_DIR "/tests/data/"

typedef struct {
    const char *position; /* file:line */
    const char *reason;   /* expected reason_code, or NULL for an accepted record */
} s_expect_t;

static const s_expect_t s_expected[] = {
    {"ingest_truncated_line.csv:2", NULL},
    {"ingest_truncated_line.csv:3", "field_count"},
    {"ingest_truncated_line.csv:4", NULL},
    {"ingest_bad_quoting.csv:3", "bad_quoting"},
    {"ingest_bad_quoting.csv:4", NULL},
    {"ingest_bad_coordinates.csv:2", "bad_coordinates"},
    {"ingest_bad_coordinates.csv:3", "bad_coordinates"},
    {"ingest_outside_jurisdiction.csv:2", "outside_jurisdiction"},
    {"ingest_outside_jurisdiction.csv:4", NULL},
    {"ingest_bad_time.csv:2", "bad_time"},
    {"ingest_bad_time.csv:6", "time_out_of_range"},
    {"ingest_empty.csv:0", "empty_file"},
    {"ingest_invalid_utf8.csv:2", "invalid_utf8"},
    {"ingest_invalid_utf8.csv:3", NULL},
    {"ingest_missing_field.csv:2", "missing_field"},
    {"ingest_header_mismatch.csv:2", "header_mismatch"},
    {"huge_line.csv:3", "record_too_long"},
    {"huge_line.csv:2", NULL},
    {"huge_line.csv:4", NULL},
};

/* A portal-export file whose second record is a single 10 MB line between two good ones. */
static void s_write_huge_line_file(const char *path)
{
    FILE *in = fopen(DATA "ingest_truncated_line.csv", "r");
    FILE *out = fopen(path, "w");
    assert_non_null(in);
    assert_non_null(out);
    char header[4096], good[4096], skip[4096];
    assert_non_null(fgets(header, sizeof header, in));
    assert_non_null(fgets(good, sizeof good, in));
    assert_non_null(fgets(skip, sizeof skip, in)); /* the truncated one */
    fputs(header, out);
    fputs(good, out);
    for (int i = 0; i < 10 * 1024 * 1024 / 64; i++)
        fputs("9999999,XX000000,03/15/2014 12:00:00 AM,0000X N NOWHERE AVE,0820,", out);
    fputc('\n', out);
    assert_non_null(fgets(good, sizeof good, in)); /* line 4 of the fixture: a good record */
    fputs(good, out);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void s_check_expectations(harness_t *h)
{
    for (size_t i = 0; i < sizeof s_expected / sizeof s_expected[0]; i++) {
        const s_expect_t *e = &s_expected[i];
        if (e->reason) {
            char key[256];
            snprintf(key, sizeof key, "%s|%s", e->position, e->reason);
            int64_t n = harness_query_int1(h,
                                           "SELECT count(*) FROM dead_letters WHERE position || "
                                           "'|' || reason_code = $1 AND reason <> ''",
                                           key);
            if (n != 1)
                fail_msg("expected one dead letter %s, found %lld", key, (long long)n);
        } else {
            /* fixtures share records, so a good one may be stored under its first position */
            int64_t n = harness_query_int1(
                h, "SELECT count(*) FROM dead_letters WHERE position = $1", e->position);
            if (n != 0)
                fail_msg("the good record %s was dead-lettered", e->position);
        }
    }
}

/* Garbage written straight onto enrich's endpoint: dead-lettered, never fatal. */
static void s_send_garbage_to_enrich(harness_t *h)
{
    void *ctx = zmq_ctx_new();
    void *push = zmq_socket(ctx, ZMQ_PUSH);
    char endpoint[400];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/zmq/events.normalized@enrich", h->dir);
    assert_int_equal(zmq_connect(push, endpoint), 0);
    assert_int_equal(zmq_send(push, "\x0a\x05garbage-not-protobuf", 22, 0), 22);
    int linger = 2000;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close(push);
    zmq_ctx_term(ctx);
}

static void test_malformed_input_is_dead_lettered(void **state)
{
    harness_t *h = *state;
    assert_true(harness_start_service(h, "enrich") > 0);
    assert_true(harness_start_service(h, "spatial") > 0);
    assert_true(harness_start_service(h, "alert") > 0);
    char huge[400];
    snprintf(huge, sizeof huge, "%s/huge_line.csv", h->dir);
    s_write_huge_line_file(huge);
    const char *args[] = {"--order",
                          "file",
                          "--profile",
                          PORTAL,
                          DATA "ingest_truncated_line.csv",
                          DATA "ingest_bad_quoting.csv",
                          DATA "ingest_bad_coordinates.csv",
                          DATA "ingest_outside_jurisdiction.csv",
                          DATA "ingest_bad_time.csv",
                          DATA "ingest_empty.csv",
                          DATA "ingest_invalid_utf8.csv",
                          DATA "ingest_missing_field.csv",
                          DATA "ingest_header_mismatch.csv",
                          huge,
                          "--profile",
                          NDJSON,
                          DATA "ingest_malformed.ndjson",
                          NULL};
    assert_int_equal(harness_run_ingest(h, 120, args), 0);
    assert_true(harness_wait_drained(h, 60));
    s_check_expectations(h);

    /* the 10 MB line: its true length is recorded, its stored bytes are bounded */
    assert_true(harness_query_int(h, "SELECT raw_length FROM dead_letters "
                                     "WHERE reason_code = 'record_too_long'") > 10000000);
    assert_true(harness_query_int(h, "SELECT length(raw) FROM dead_letters "
                                     "WHERE reason_code = 'record_too_long'") <= 65536);
    /* malformed NDJSON lines are dead letters too */
    assert_true(harness_query_int(h, "SELECT count(*) FROM dead_letters "
                                     "WHERE position LIKE 'ingest_malformed.ndjson:%'") >= 2);
    /* every record read is an event or a dead letter, and every dead letter is stored */
    int64_t read = harness_stat(h, "ingest", "records_read");
    int64_t published = harness_stat(h, "ingest", "events_published");
    int64_t dead = harness_query_int(h, "SELECT count(*) FROM dead_letters WHERE line > 0");
    printf("records read %lld = events published %lld + dead letters %lld\n", (long long)read,
           (long long)published, (long long)dead);
    assert_int_equal(read, published + dead);
    assert_true(harness_query_int(h, "SELECT count(*) FROM events") > 0);

    /* garbage on the wire is dead-lettered by enrich, which keeps running */
    s_send_garbage_to_enrich(h);
    assert_true(harness_wait_drained(h, 60));
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM dead_letters "
                                          "WHERE stage = 'enrich' AND reason_code = 'undecodable'"),
                     1);
    assert_true(harness_alive(h, "enrich") && harness_alive(h, "spatial") &&
                harness_alive(h, "alert"));

    /* and good records still flow end to end */
    const char *good[] = {"--profile", PORTAL, DATA "chicago_2014_sample.csv", NULL};
    int64_t before = harness_query_int(h, "SELECT count(*) FROM events");
    assert_int_equal(harness_run_ingest(h, 120, good), 0);
    assert_true(harness_wait_drained(h, 60));
    assert_true(harness_query_int(h, "SELECT count(*) FROM events") > before);
}

static int s_setup(void **state)
{
    static harness_t h;
    if (!harness_start(&h, "malformed", NULL))
        return -1;
    *state = &h;
    return 0;
}

static int s_teardown(void **state)
{
    return harness_stop(*state) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_malformed_input_is_dead_lettered, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
