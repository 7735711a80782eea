/* test_time.c — ingest_time: source time text → UTC µs, DST policy, rejects.
 *
 * Expected instants were computed independently (Python datetime/zoneinfo) for the real
 * formats of the Chicago files: the portal's "03/15/2014 12:00:00 AM" and Socrata's
 * "2025-11-03T00:00:00.000", both local Chicago time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/err.h>

#include "ingest_time.h"

#define S(secs) ((int64_t)(secs)*WF_US_PER_SEC)

static const char *s_portal = "%m/%d/%Y %I:%M:%S %p";

/* Parses text with a fresh parser, asserting success, and returns µs. */
static int64_t s_parse_ok(const char *format, const char *zone, const char *text)
{
    char err[256];
    ingest_time_t *time = ingest_time_new(format, zone, err, sizeof err);
    assert_non_null(time);
    ingest_reject_t reject = {0};
    int64_t us = 0;
    int rc = ingest_time_parse(time, text, "occurred_at", &us, &reject);
    if (rc != 0)
        fail_msg("'%s' rejected: %s", text, reject.message);
    ingest_time_destroy(&time);
    assert_null(time);
    return us;
}

static void s_parse_bad(const char *format, const char *text)
{
    char err[256];
    ingest_time_t *time = ingest_time_new(format, "America/Chicago", err, sizeof err);
    assert_non_null(time);
    ingest_reject_t reject = {0};
    int64_t us = 0;
    if (ingest_time_parse(time, text, "occurred_at", &us, &reject) != WF_EPARSE)
        fail_msg("'%s' was accepted as %lld", text, (long long)us);
    assert_string_equal(reject.code, "bad_time");
    assert_string_equal(reject.field, "occurred_at");
    ingest_time_destroy(&time);
}

static void test_portal_format(void **state)
{
    (void)state;
    /* 2014 export row 2: midnight, Chicago already on daylight time (since 2014-03-09) */
    assert_int_equal(s_parse_ok(s_portal, "America/Chicago", "03/15/2014 12:00:00 AM"),
                     S(1394859600));
    /* Updated On of the same row: 12:40:05 AM → 05:40:05Z */
    assert_int_equal(s_parse_ok(s_portal, "America/Chicago", "04/11/2014 12:40:05 AM"),
                     S(1397194805));
    /* homicide row 21304: 12:54 PM is after noon, CDT */
    assert_int_equal(s_parse_ok(s_portal, "America/Chicago", "03/14/2014 12:54:00 PM"),
                     S(1394819640));
    /* surrounding blanks are not part of the time */
    assert_int_equal(s_parse_ok(s_portal, "America/Chicago", "  03/15/2014 12:00:00 AM "),
                     S(1394859600));
}

static void test_iso8601(void **state)
{
    (void)state;
    /* 2025 API row 1: local midnight, standard time again since 2025-11-02 */
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2025-11-03T00:00:00.000"),
                     S(1762149600));
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2025-11-10T15:44:45.000"),
                     S(1762811085));
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2025-11-10 15:44:45"),
                     S(1762811085));
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2025-11-10T15:44"),
                     S(1762811085 - 45));
    /* fractions keep µs and drop the rest */
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2025-11-10T15:44:45.123456789"),
                     S(1762811085) + 123456);
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2025-11-10T15:44:45.5"),
                     S(1762811085) + 500000);
    /* explicit offsets win over the zone */
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2014-03-15T05:00:00Z"),
                     S(1394859600));
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2014-03-15T00:00:00-05:00"),
                     S(1394859600));
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2014-03-15T06:00:00+0100"),
                     S(1394859600));
    assert_int_equal(s_parse_ok("iso8601", "America/Chicago", "2014-03-15T00:00-05"),
                     S(1394859600));
    /* leap day exists in 2016 */
    assert_int_equal(s_parse_ok("iso8601", "UTC", "2016-02-29T00:00:00"), S(1456704000));
}

static void test_dst_gap_and_overlap(void **state)
{
    (void)state;
    const char *z = "America/Chicago";
    /* spring forward 2014-03-09: 02:00 CST jumps to 03:00 CDT (08:00Z) */
    assert_int_equal(s_parse_ok("iso8601", z, "2014-03-09 01:59:59"), S(1394351999));
    assert_int_equal(s_parse_ok("iso8601", z, "2014-03-09 03:00"), S(1394352000));
    /* 02:30 never happened: read with the offset before the jump (CST) = 08:30Z = 03:30 CDT */
    assert_int_equal(s_parse_ok("iso8601", z, "2014-03-09 02:30"), S(1394353800));
    assert_int_equal(s_parse_ok(s_portal, z, "03/09/2014 02:30:00 AM"), S(1394353800));
    /* fall back 2014-11-02: 01:00–02:00 happens twice; 01:30 is the first one (CDT, 06:30Z) */
    assert_int_equal(s_parse_ok("iso8601", z, "2014-11-02 01:30"), S(1414909800));
    assert_int_equal(s_parse_ok(s_portal, z, "11/02/2014 01:30:00 AM"), S(1414909800));
    assert_int_equal(s_parse_ok("iso8601", z, "2014-11-02 00:59"), S(1414907940));
    assert_int_equal(s_parse_ok("iso8601", z, "2014-11-02 02:00"), S(1414915200));
}

static void test_zone_switching(void **state)
{
    (void)state;
    char err[256];
    ingest_time_t *chicago = ingest_time_new("iso8601", "America/Chicago", err, sizeof err);
    ingest_time_t *london = ingest_time_new("iso8601", "Europe/London", err, sizeof err);
    assert_non_null(chicago);
    assert_non_null(london);
    ingest_reject_t reject;
    int64_t us;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ingest_time_parse(chicago, "2014-06-15 07:00", "t", &us, &reject), 0);
        assert_int_equal(us, S(1402833600));
        assert_int_equal(ingest_time_parse(london, "2014-06-15 13:00", "t", &us, &reject), 0);
        assert_int_equal(us, S(1402833600));
    }
    ingest_time_destroy(&chicago);
    ingest_time_destroy(&london);
}

static void test_offset_format(void **state)
{
    (void)state;
    assert_int_equal(
        s_parse_ok("%Y-%m-%d %H:%M:%S %z", "America/Chicago", "2014-03-15 06:00:00 +0100"),
        S(1394859600));
}

static void test_bad_time(void **state)
{
    (void)state;
    s_parse_bad(s_portal, "13/45/2014 12:00:00 AM");
    s_parse_bad(s_portal, "03/15/2014 12:00:00 XM");
    s_parse_bad(s_portal, "03/15/2014 12:00:00 AM zzz");
    s_parse_bad(s_portal, "02/30/2014 10:00:00 AM"); /* February has no 30th */
    s_parse_bad(s_portal, "2014-03-15T00:00:00");
    s_parse_bad(s_portal, "");
    s_parse_bad("iso8601", "2014-03-15");
    s_parse_bad("iso8601", "2014-3-15 00:00");
    s_parse_bad("iso8601", "2014-03-15T25:00");
    s_parse_bad("iso8601", "2014-02-29T00:00"); /* not a leap year */
    s_parse_bad("iso8601", "2014-03-15T00:00:00Z junk");
    s_parse_bad("iso8601", "2014-03-15T00:00:00+24:00");
    s_parse_bad("iso8601", "2014-03-15T00:00:00.");
    s_parse_bad("iso8601", "03/15/2014 12:00:00 AM");
    s_parse_bad("iso8601", "yesterday");
    s_parse_bad("iso8601", "2014-03-15T00:00:00.0000000000000000000000000000000000000000000000001");
}

static void test_range(void **state)
{
    (void)state;
    ingest_reject_t reject = {0};
    int64_t now = S(1762149600);
    assert_int_equal(ingest_time_check_range(S(-2208988800), now, "occurred_at", &reject), 0);
    assert_int_equal(ingest_time_check_range(S(-2208988801), now, "occurred_at", &reject),
                     WF_ERANGE);
    assert_string_equal(reject.code, "time_out_of_range");
    assert_non_null(strstr(reject.message, "before 1900"));
    assert_int_equal(ingest_time_check_range(now + WF_US_PER_DAY, now, "reported_at", &reject), 0);
    assert_int_equal(ingest_time_check_range(now + WF_US_PER_DAY + 1, now, "reported_at", &reject),
                     WF_ERANGE);
    assert_string_equal(reject.field, "reported_at");
    assert_non_null(strstr(reject.message, "future"));
}

static void test_unknown_zone(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(ingest_time_new("iso8601", "Mars/Olympus_Mons", err, sizeof err));
    assert_non_null(strstr(err, "Mars/Olympus_Mons"));
    assert_null(ingest_time_new("iso8601", "../../etc/passwd", err, sizeof err));
    assert_null(ingest_time_new("iso8601", "", err, sizeof err));
    assert_true(ingest_time_zone_is_known("UTC"));
    assert_true(ingest_time_zone_is_known("America/Chicago"));
    assert_false(ingest_time_zone_is_known("America"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portal_format),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_dst_gap_and_overlap),
        cmocka_unit_test(test_zone_switching),
        cmocka_unit_test(test_offset_format),
        cmocka_unit_test(test_bad_time),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_unknown_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
