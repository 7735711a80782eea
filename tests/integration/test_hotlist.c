/* test_hotlist.c — hot lists through the real pipeline: wf-admin, wf-ingest, wf-enrich, PostGIS.
 *
 * Synthetic ALPR reads (NDJSON, tests/data/alpr_reads_profile.yaml) go through wf-ingest and the
 * real downstream services against hot lists imported with `wf-admin hotlist import`. Asserts which
 * reads hit (exact, one OCR confusion, a person) and which must not (two confusions, a plate
 * one character off, an expired entry, a plate-like value in a non-plate field), what
 * events.hotlist_hits holds, the counters, and that a running enrich picks up an import and a
 * removal by itself (reference_versions polling), without restart, and a new NIBRS crosswalk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PROFILE WF_SOURCE_DIR "/tests/data/alpr_reads_profile.yaml"

static bool s_write(const char *path, const char *text)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return false;
    fputs(text, out);
    return fclose(out) == 0;
}

static void s_import(harness_t *h, const char *list, const char *name, const char *csv)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", h->dir, name);
    assert_true(s_write(path, csv));
    const char *const args[] = {"hotlist", "import", list, path, NULL};
    assert_true(harness_admin(h, args));
}

/* Feeds NDJSON reads through wf-ingest and waits until enrich stored them. */
static void s_reads(harness_t *h, const char *name, const char *ndjson)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", h->dir, name);
    assert_true(s_write(path, ndjson));
    const char *const args[] = {"--profile", PROFILE, path, NULL};
    assert_int_equal(harness_run_ingest(h, 60, args), 0);
    assert_true(harness_wait_drained(h, 60));
}

/* Hits of the read as "list:entry_value:substitutions:field" joined by spaces, "" when none. */
static void s_hits(harness_t *h, const char *read_id, char *out, size_t len)
{
    assert_int_equal(harness_query_int1(h,
                                        "SELECT count(*) FROM events WHERE source_record_id = $1 "
                                        "AND source = 'test-alpr'",
                                        read_id),
                     1);
    const char *params[] = {read_id};
    PGresult *res = PQexecParams(h->db,
                                 "SELECT coalesce(string_agg(hit->>'list' || ':' || "
                                 "(hit->>'entry_value') || ':' || (hit->>'substitutions') || ':' "
                                 "|| (hit->>'field'), ' ' ORDER BY hit->>'list'), '') "
                                 "FROM events LEFT JOIN jsonb_array_elements(hotlist_hits) hit "
                                 "ON true WHERE source_record_id = $1",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s", PQresultErrorMessage(res));
    snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
}

static void s_expect_hits(harness_t *h, const char *read_id, const char *expected)
{
    char got[512];
    s_hits(h, read_id, got, sizeof got);
    printf("  %-4s hits: %s\n", read_id, *got ? got : "(none)");
    assert_string_equal(got, expected);
}

/* Waits until the running enrich has loaded the hot lists as they are now in PostGIS (its
 * reference.hotlist_version gauge reaches reference_versions). */
static void s_wait_loaded(harness_t *h)
{
    int64_t version =
        harness_query_int(h, "SELECT version FROM reference_versions WHERE name = 'hotlists'");
    for (int i = 0; i < 200 * h->timeout_multiplier; i++) {
        if (harness_stat(h, "enrich", "reference.hotlist_version") == version)
            return;
        usleep(50 * 1000);
    }
    fail_msg("enrich did not load hot-list version %lld", (long long)version);
}

static const char s_stolen[] = "value,entry_type,entry_id,agency,reason,expires_at\n"
                               "ABC-1234,plate,NCIC-V-1,CPD,stolen vehicle,2099-01-01\n"
                               "XYZ 987,plate,NCIC-V-2,EPD,stolen plates,2020-01-01T00:00:00Z\n"
                               "KID500,plate,NCIC-V-3,CPD,amber alert vehicle,\n";
static const char s_wanted[] = "value,entry_id,reason\n"
                               "\"Doe, John\",W-1,warrant\n";

static const char s_first_reads[] =
    "{\"read_id\":\"r1\",\"read_at\":\"2025-06-01T12:00:00Z\",\"camera\":\"cam-17\","
    "\"plate\":\"ABC-1234\",\"confidence\":0.93,\"lat\":41.88,\"lon\":-87.63}\n"
    "{\"read_id\":\"r2\",\"read_at\":\"2025-06-01T12:00:05Z\",\"camera\":\"cam-17\","
    "\"plate\":\"A8C1234\",\"confidence\":0.61,\"lat\":41.88,\"lon\":-87.63}\n"
    "{\"read_id\":\"r3\",\"read_at\":\"2025-06-01T12:00:10Z\",\"camera\":\"cam-17\","
    "\"plate\":\"A8C1Z34\",\"lat\":41.88,\"lon\":-87.63}\n"
    "{\"read_id\":\"r4\",\"read_at\":\"2025-06-01T12:00:15Z\",\"camera\":\"cam-17\","
    "\"plate\":\"ABC1235\",\"lat\":41.88,\"lon\":-87.63}\n"
    "{\"read_id\":\"r5\",\"read_at\":\"2025-06-01T12:00:20Z\",\"camera\":\"cam-18\","
    "\"plate\":\"XYZ987\",\"lat\":41.89,\"lon\":-87.62}\n"
    "{\"read_id\":\"r6\",\"read_at\":\"2025-06-01T12:00:25Z\",\"camera\":\"cam-18\","
    "\"License_Plate\":\"kid 50o\",\"lat\":41.89,\"lon\":-87.62}\n"
    "{\"read_id\":\"r7\",\"read_at\":\"2025-06-01T12:00:30Z\",\"camera\":\"cam-18\","
    "\"plate\":\"QRS404\",\"driver_name\":\"DOE  john\",\"lat\":41.89,\"lon\":-87.62}\n"
    "{\"read_id\":\"r8\",\"read_at\":\"2025-06-01T12:00:35Z\",\"camera\":\"ABC1234\","
    "\"plate\":\"\",\"lat\":41.89,\"lon\":-87.62}\n";

static void test_alpr_reads_against_hot_lists(void **state)
{
    harness_t *h = *state;
    s_import(h, "stolen-vehicles", "stolen.csv", s_stolen);
    {
        char path[512];
        snprintf(path, sizeof path, "%s/wanted.csv", h->dir);
        assert_true(s_write(path, s_wanted));
        const char *const args[] = {"hotlist", "import", "wanted", path, "--type", "person", NULL};
        assert_true(harness_admin(h, args));
    }
    assert_true(harness_start_service(h, "enrich") > 0);
    assert_true(harness_start_service(h, "spatial") > 0);
    assert_true(harness_start_service(h, "alert") > 0);
    s_reads(h, "reads1.ndjson", s_first_reads);

    printf("ALPR reads against stolen-vehicles (3 plates, 1 expired) and wanted (1 person):\n");
    s_expect_hits(h, "r1", "stolen-vehicles:ABC1234:0:plate");
    s_expect_hits(h, "r2", "stolen-vehicles:ABC1234:1:plate"); /* 8 read for B */
    s_expect_hits(h, "r3", "");                                /* two confusions */
    s_expect_hits(h, "r4", "");                                /* 5 for 4: no confusion */
    s_expect_hits(h, "r5", "");                                /* entry expired */
    s_expect_hits(h, "r6", "stolen-vehicles:KID500:1:License_Plate");
    s_expect_hits(h, "r7", "wanted:DOE JOHN:0:driver_name");
    s_expect_hits(h, "r8", ""); /* a camera named like a plate is no plate */
    assert_int_equal(harness_stat(h, "enrich", "hotlist.events_hit"), 4);
    assert_int_equal(harness_stat(h, "enrich", "hotlist.hits"), 4);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE hotlist_hits IS NOT "
                                          "NULL"),
                     4);
    /* the stored hit carries the read as observed and the list's own id */
    char text[256];
    assert_true(harness_query_text(
        h,
        "SELECT (hit->>'observed') || '|' || (hit->>'entry_id') || '|' || (hit->>'entry_type') "
        "FROM events, jsonb_array_elements(hotlist_hits) hit WHERE source_record_id = 'r2'",
        text, sizeof text));
    assert_string_equal(text, "A8C1234|NCIC-V-1|plate");
    /* ALPR reads are kind other: no NIBRS classification */
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE source = 'test-alpr' "
                                          "AND nibrs_code IS NOT NULL"),
                     0);

    /* a new list and a removal reach the running enrich by themselves */
    int64_t reloads = harness_stat(h, "enrich", "reference.hotlist_reloads");
    s_import(h, "bolo", "bolo.csv", "value,reason\nNEW-123,robbery suspect vehicle\n");
    const char *const remove[] = {"hotlist", "remove", "stolen-vehicles", "abc 1234", NULL};
    assert_true(harness_admin(h, remove));
    s_wait_loaded(h);
    assert_true(harness_stat(h, "enrich", "reference.hotlist_reloads") > reloads);
    s_reads(h, "reads2.ndjson",
            "{\"read_id\":\"r9\",\"read_at\":\"2025-06-01T13:00:00Z\",\"plate\":\"NEW123\","
            "\"lat\":41.88,\"lon\":-87.63}\n"
            "{\"read_id\":\"r10\",\"read_at\":\"2025-06-01T13:00:05Z\",\"plate\":\"ABC1234\","
            "\"lat\":41.88,\"lon\":-87.63}\n"
            "{\"read_id\":\"r11\",\"read_at\":\"2025-06-01T13:00:10Z\",\"plate\":\"KID500\","
            "\"lat\":41.88,\"lon\":-87.63}\n");
    printf("after importing bolo (NEW123) and removing ABC1234 from stolen-vehicles:\n");
    s_expect_hits(h, "r9", "bolo:NEW123:0:plate");
    s_expect_hits(h, "r10", "");
    s_expect_hits(h, "r11", "stolen-vehicles:KID500:0:plate");
    printf("  enrich reloaded the hot lists %lld times, without a restart\n",
           (long long)harness_stat(h, "enrich", "reference.hotlist_reloads"));
    assert_int_equal(harness_stat(h, "enrich", "hotlist.events_hit"), 6);

    /* the NIBRS tables reload the same way: a crosswalk that maps other to 90Z */
    char kinds[512];
    snprintf(kinds, sizeof kinds, "%s/kinds.csv", h->dir);
    assert_true(s_write(kinds, "kind,nibrs_code\nother,90Z\n"));
    const char *const nibrs[] = {"nibrs",
                                 "load",
                                 "--offense-types",
                                 WF_SOURCE_DIR "/data/reference/nibrs_offense_type.csv.xz",
                                 "--kinds",
                                 kinds,
                                 NULL};
    assert_true(harness_admin(h, nibrs));
    int64_t version =
        harness_query_int(h, "SELECT version FROM reference_versions WHERE name = 'nibrs'");
    for (int i = 0; i < 200 * h->timeout_multiplier &&
                    harness_stat(h, "enrich", "reference.nibrs_version") != version;
         i++)
        usleep(50 * 1000);
    assert_int_equal(harness_stat(h, "enrich", "reference.nibrs_version"), version);
    s_reads(h, "reads3.ndjson",
            "{\"read_id\":\"r12\",\"read_at\":\"2025-06-01T14:00:00Z\",\"plate\":\"ZZZ999\","
            "\"lat\":41.88,\"lon\":-87.63}\n");
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE source_record_id = "
                                          "'r12' AND nibrs_code = '90Z' AND nibrs_category = "
                                          "'All Other Offenses' AND crime_against = 'Society'"),
                     1);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE source_record_id = "
                                          "'r1' AND nibrs_code IS NULL"),
                     1); /* stored events keep what they were enriched with */
    printf("  after nibrs load (other → 90Z): r12 classified 90Z All Other Offenses (Society)\n");

    for (int i = 0; i < h->nservices; i++)
        if (strcmp(h->services[i].name, "enrich") == 0)
            assert_int_equal(h->services[i].runs, 1);
    assert_true(harness_alive(h, "enrich"));
}

static int s_setup(void **state)
{
    static harness_t h;
    if (!harness_start(&h, "hotlist", "enrich:\n  reference_poll: 100ms\n"))
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
        cmocka_unit_test_setup_teardown(test_alpr_reads_against_hot_lists, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
