/* test_source.c — ingest_source: whole files through the shipped profiles, one item per record.
 *
 * Each malformed fixture must yield exactly the expected outcome on every line (nothing
 * vanishes, nothing crashes, every reject names its reason), and each real Chicago file must
 * come out as accepted + rejected = its row count. The real files are read from
 * /work/shared/data/chicago/ when present, else from the repository's xz copies in data/chicago;
 * the test is skipped when neither exists.
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

#include <wf/clock.h>
#include <wf/err.h>

#include "ingest_source.h"

#define DATA     WF_SOURCE_DIR "/tests/data/"
#define PROFILES WF_SOURCE_DIR "/deploy/profiles/"
#define NOW_US   (INT64_C(1767225600) * WF_US_PER_SEC) /* 2026-01-01T00:00Z */
#define OK       NULL

static const double s_chicago[4] = {-87.95, 41.62, -87.50, 42.05};

typedef struct {
    int64_t line;
    const char *code; /* OK (NULL) for an accepted record */
} s_outcome_t;

typedef struct {
    ingest_profile_t *profile;
    ingest_map_t *map;
    ingest_source_t *source;
    ingest_arena_t *arena;
} s_run_t;

static void s_open(s_run_t *r, const char *profile, const char *path)
{
    char err[512];
    memset(r, 0, sizeof *r);
    if (!(r->profile = ingest_profile_load(profile, err, sizeof err)) ||
        !(r->map = ingest_map_new(r->profile, s_chicago, err, sizeof err)) ||
        !(r->source = ingest_source_new(r->profile, r->map, path, 1 << 20, err, sizeof err)))
        fail_msg("%s", err);
    r->arena = ingest_arena_new(0);
}

static void s_close(s_run_t *r)
{
    ingest_source_destroy(&r->source);
    assert_null(r->source);
    ingest_map_destroy(&r->map);
    ingest_profile_destroy(&r->profile);
    ingest_arena_destroy(&r->arena);
}

/* Runs a file and compares every item with want[0..n). */
static void s_check(const char *profile, const char *file, const s_outcome_t *want, size_t n)
{
    s_run_t r;
    char path[512], profile_path[512];
    snprintf(path, sizeof path, DATA "%s", file);
    snprintf(profile_path, sizeof profile_path, PROFILES "%s", profile);
    s_open(&r, profile_path, path);
    ingest_item_t item;
    size_t i = 0;
    int rc;
    while ((rc = ingest_source_next(r.source, r.arena, NOW_US, -1, &item)) == 1) {
        if (i >= n)
            fail_msg("%s: unexpected item at line %lld", file, (long long)item.line);
        const char *got = item.event ? OK : item.reject.code;
        bool same = item.line == want[i].line &&
                    (got == want[i].code || (got && want[i].code && !strcmp(got, want[i].code)));
        if (!same)
            fail_msg("%s: item %zu is line %lld %s (%s), expected line %lld %s", file, i,
                     (long long)item.line, got ? got : "accepted", item.reject.message,
                     (long long)want[i].line, want[i].code ? want[i].code : "accepted");
        char position[300];
        snprintf(position, sizeof position, "%s:%lld", file, (long long)want[i].line);
        assert_string_equal(item.position, position);
        if (!item.event)
            assert_true(item.reject.message[0] != '\0');
        i++;
    }
    assert_int_equal(rc, 0);
    if (i != n)
        fail_msg("%s: %zu items, expected %zu", file, i, n);
    s_close(&r);
}

#define CHECK(profile, file, ...)                                                                  \
    do {                                                                                           \
        static const s_outcome_t want[] = {__VA_ARGS__};                                           \
        s_check(profile, file, want, sizeof want / sizeof want[0]);                                \
    } while (0)

static void test_malformed_csv(void **state)
{
    (void)state;
    const char *portal = "chicago-portal-export.yaml";
    CHECK(portal, "ingest_truncated_line.csv", {2, OK}, {3, "field_count"}, {4, OK});
    /* line 5's open quote is closed by line 6: the pair is rejected, line 6 read again */
    CHECK(portal, "ingest_bad_quoting.csv", {2, OK}, {3, "bad_quoting"}, {4, OK},
          {5, "bad_quoting"}, {6, OK}, {7, "bad_quoting"});
    CHECK(portal, "ingest_bad_coordinates.csv", {2, "bad_coordinates"}, {3, "bad_coordinates"},
          {4, "bad_coordinates"}, {5, OK}, {6, OK}, {7, "bad_coordinates"});
    CHECK(portal, "ingest_outside_jurisdiction.csv", {2, "outside_jurisdiction"},
          {3, "outside_jurisdiction"}, {4, OK});
    CHECK(portal, "ingest_bad_time.csv", {2, "bad_time"}, {3, "bad_time"}, {4, "bad_time"},
          {5, "bad_time"}, {6, "time_out_of_range"}, {7, "time_out_of_range"}, {8, "bad_time"},
          {9, OK});
    CHECK(portal, "ingest_missing_field.csv", {2, "missing_field"}, {3, "missing_field"},
          {4, "missing_field"}, {5, OK});
    CHECK(portal, "ingest_invalid_utf8.csv", {2, "invalid_utf8"}, {3, OK}, {4, "invalid_utf8"},
          {5, "invalid_utf8"}, {6, OK});
    CHECK(portal, "ingest_header_mismatch.csv", {1, "header_mismatch"}, {2, "header_mismatch"},
          {3, "header_mismatch"});
    CHECK(portal, "ingest_empty.csv", {0, "empty_file"});
    CHECK(portal, "ingest_bom_crlf.csv", {2, OK}, {3, OK});
    CHECK(portal, "ingest_multiline.csv", {2, OK}, {4, OK}, {5, OK});
}

static void test_malformed_ndjson(void **state)
{
    (void)state;
    CHECK("chicago-socrata-ndjson.yaml", "ingest_malformed.ndjson", {1, OK}, {2, "bad_json"},
          {3, "not_an_object"}, {4, "not_an_object"}, {5, "invalid_utf8"}, {6, "bad_json"},
          {7, "missing_field"}, {9, OK}, {10, "bad_coordinates"}, {11, "outside_jurisdiction"},
          {12, OK}, {13, "bad_time"});
}

static void test_ndjson_sample(void **state)
{
    (void)state;
    s_run_t r;
    s_open(&r, PROFILES "chicago-socrata-ndjson.yaml", DATA "chicago_2025_sample.ndjson");
    ingest_item_t item;
    int accepted = 0, located = 0;
    while (ingest_source_next(r.source, r.arena, NOW_US, -1, &item) == 1) {
        if (!item.event)
            fail_msg("%s: %s %s", item.position, item.reject.code, item.reject.message);
        accepted++;
        located += item.event->location != NULL;
    }
    assert_int_equal(accepted, 300);
    assert_int_equal(located, 295); /* 5 of the first 300 rows have no coordinates */
    s_close(&r);
}

static void test_too_long_record(void **state)
{
    (void)state;
    char path[] = "/tmp/wf-test-source-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    FILE *head = fopen(DATA "chicago_2014_sample.csv", "r");
    char line[4096];
    for (int i = 0; i < 3 && fgets(line, sizeof line, head); i++)
        fputs(line, f); /* header and two rows */
    fclose(head);
    for (int i = 0; i < 10 * 1024; i++) /* a 10 MiB line */
        fprintf(f, "%01023d,", i);
    fputs("\n9532593,HX186477,03/15/2014 12:00:00 AM,X,0820,THEFT,$500 AND UNDER,OTHER,false,"
          "false,1411,014,35,22,06,,,2014,03/22/2014 12:39:11 AM,,,\n",
          f);
    fclose(f);
    s_run_t r;
    s_open(&r, PROFILES "chicago-portal-export.yaml", path);
    ingest_item_t item;
    assert_int_equal(ingest_source_next(r.source, r.arena, NOW_US, -1, &item), 1);
    assert_non_null(item.event);
    assert_int_equal(ingest_source_next(r.source, r.arena, NOW_US, -1, &item), 1);
    assert_int_equal(ingest_source_next(r.source, r.arena, NOW_US, -1, &item), 1);
    assert_null(item.event);
    assert_string_equal(item.reject.code, "record_too_long");
    assert_int_equal(item.line, 4);
    assert_int_equal(item.raw_length, 10 * 1024 * 1024);
    assert_int_equal(item.raw_len, 1 << 20);
    assert_non_null(strstr(item.reject.message, "10485760 bytes"));
    assert_int_equal(ingest_source_next(r.source, r.arena, NOW_US, -1, &item), 1);
    assert_non_null(item.event);
    assert_int_equal(item.line, 5);
    assert_int_equal(ingest_source_next(r.source, r.arena, NOW_US, -1, &item), 0);
    s_close(&r);
    unlink(path);
}

static void test_corrupt_xz(void **state)
{
    (void)state;
    /* a file that claims to be xz and is not: one read_error item, then the end */
    char path[] = "/tmp/wf-test-source-XXXXXX";
    int fd = mkstemp(path);
    static const char bogus[] = "\xFD"
                                "7zXZ\0garbage that is not an xz stream";
    assert_int_equal(write(fd, bogus, sizeof bogus - 1), (ssize_t)sizeof bogus - 1);
    close(fd);
    s_run_t r;
    s_open(&r, PROFILES "chicago-portal-export.yaml", path);
    ingest_item_t item;
    assert_int_equal(ingest_source_next(r.source, r.arena, NOW_US, -1, &item), 1);
    assert_null(item.event);
    assert_string_equal(item.reject.code, "read_error");
    assert_int_equal(ingest_source_next(r.source, r.arena, NOW_US, -1, &item), 0);
    s_close(&r);
    unlink(path);
}

/* ---- the real files ----------------------------------------------------------------------- */

static bool s_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* Runs a whole real file; returns false (skip) when it is nowhere to be found. */
static bool s_real_file(const char *profile, const char *name, int rows, int max_rejects)
{
    char path[512];
    snprintf(path, sizeof path, "/work/shared/data/chicago/%s", name);
    if (!s_exists(path))
        snprintf(path, sizeof path, WF_SOURCE_DIR "/data/chicago/%s.xz", name);
    if (!s_exists(path))
        return false;
    s_run_t r;
    s_open(&r, profile, path);
    ingest_item_t item;
    int accepted = 0, rejected = 0, located = 0;
    char reasons[512] = "";
    while (ingest_source_next(r.source, r.arena, NOW_US, -1, &item) == 1) {
        if (item.event) {
            accepted++;
            located += item.event->location != NULL;
            /* codes keep their text form */
            assert_int_equal(strlen(item.event->offense_code), 4);
            assert_true(item.event->source_beat[0] == '\0' || strlen(item.event->source_beat) == 4);
        } else {
            rejected++;
            size_t at = strlen(reasons);
            if (at < sizeof reasons - 80)
                snprintf(reasons + at, sizeof reasons - at, " %s=%s", item.position,
                         item.reject.code);
        }
        ingest_arena_reset(r.arena);
    }
    print_message("%s: %d rows, %d accepted (%d located), %d rejected%s\n", name, rows, accepted,
                  located, rejected, reasons);
    assert_int_equal(accepted + rejected, rows);
    assert_true(rejected <= max_rejects);
    s_close(&r);
    return true;
}

static void test_real_files(void **state)
{
    (void)state;
    int found = 0;
    found += s_real_file(PROFILES "chicago-portal-export.yaml", "crimes_2014-03_portal_export.csv",
                         6957, 0);
    found +=
        s_real_file(PROFILES "chicago-socrata-api.yaml", "crimes_2025_socrata_api.csv", 10000, 0);
    found += s_real_file(PROFILES "chicago-socrata-alpha.yaml", "crimes_2017_englewood_socrata.csv",
                         12000, 0);
    found += s_real_file(PROFILES "chicago-socrata-alpha.yaml", "crimes_2018_englewood_socrata.csv",
                         11640, 0);
    if (!found)
        skip();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_csv), cmocka_unit_test(test_malformed_ndjson),
        cmocka_unit_test(test_ndjson_sample), cmocka_unit_test(test_too_long_record),
        cmocka_unit_test(test_corrupt_xz),    cmocka_unit_test(test_real_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
