/* test_replay_args.c — `wf-admin replay`'s command line, times, offset ranges and stages.
 *
 * A wrong time would replay the wrong hours and a wrong range the wrong messages, with nothing
 * to show for it but different rows; a name that slipped through would become SQL. So the
 * parsers are checked against hand-computed values and every refusal is exercised.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wf/err.h>

#include "admin_replay.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])) - 1)

static void test_times_are_utc_milliseconds(void **state)
{
    (void)state;
    int64_t ms = 0;
    assert_int_equal(admin_time_parse("1970-01-01T00:00:00Z", &ms), 0);
    assert_int_equal(ms, 0);
    /* 2025-03-01T18:00:00Z: 20148 days after the epoch */
    assert_int_equal(admin_time_parse("2025-03-01T18:00:00Z", &ms), 0);
    assert_int_equal(ms, (20148LL * 86400 + 18 * 3600) * 1000);
    int64_t same = 0;
    assert_int_equal(admin_time_parse("2025-03-01T12:00:00-06:00", &same), 0);
    assert_int_equal(same, ms);
    assert_int_equal(admin_time_parse("2025-03-01 19:30:00+0130", &same), 0);
    assert_int_equal(same, ms);
    assert_int_equal(admin_time_parse("2025-03-01t18:00:00.250z", &same), 0);
    assert_int_equal(same, ms + 250);
    assert_int_equal(admin_time_parse("2025-03-01T18:00:00.123456Z", &same), 0);
    assert_int_equal(same, ms + 123); /* below a millisecond is dropped */
    assert_int_equal(admin_time_parse("2025-03-01T18:00Z", &same), 0);
    assert_int_equal(same, ms);
    assert_int_equal(admin_time_parse("2025-03-01", &same), 0);
    assert_int_equal(same, 20148LL * 86400 * 1000);
    assert_int_equal(admin_time_parse("2024-02-29T00:00:00Z", &same), 0); /* leap day */
    assert_int_equal(admin_time_parse("1969-12-31T23:59:59Z", &same), 0);
    assert_int_equal(same, -1000);
}

static void test_bad_times_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2025-03-01T18:00:00",  /* no zone: would be the machine's */
        "2025-3-01T18:00:00Z",  /* one-digit month */
        "2025-02-29T00:00:00Z", /* not a leap year */
        "2025-13-01",
        "2025-04-31",
        "2025-03-01T24:00:00Z",
        "2025-03-01T18:60:00Z",
        "2025-03-01T18:00:00.Z",
        "2025-03-01T18:00:00+25:00",
        "2025-03-01T18:00:00Zjunk",
        "2025-03-01X18:00:00Z",
        "yesterday",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms = 42;
        if (admin_time_parse(bad[i], &ms) != WF_EPARSE)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(ms, 42);
    }
}

static void test_offset_ranges(void **state)
{
    (void)state;
    admin_offset_range_t r[8];
    size_t n = 0;
    char err[256];
    assert_int_equal(admin_offsets_parse("100-199", r, 8, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].partition, -1);
    assert_int_equal(r[0].first, 100);
    assert_int_equal(r[0].last, 199);
    assert_int_equal(admin_offsets_parse("0-", r, 8, &n, err, sizeof err), 0);
    assert_true(r[0].last == ADMIN_OFFSET_END);
    assert_int_equal(admin_offsets_parse("3:10-19,7:5-,11:42", r, 8, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].partition, 3);
    assert_int_equal(r[0].first, 10);
    assert_int_equal(r[0].last, 19);
    assert_int_equal(r[1].partition, 7);
    assert_true(r[1].last == ADMIN_OFFSET_END);
    assert_int_equal(r[2].partition, 11);
    assert_int_equal(r[2].first, 42);
    assert_int_equal(r[2].last, 42);
}

static void test_bad_offset_ranges_are_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "-5",
        "5-3",
        "a-b",
        "3:",
        ":1-2",
        "1:2:3-4",
        "1-2,",
        "3:1-2,3:4-5",
        "1-2,3:4-5",
        "3:4-5,1-2",
        "-1:0-1",
        "99999999999:0-1",
        "1--2",
        "1-2-3",
        "99999999999999999999-",
    };
    admin_offset_range_t r[4];
    size_t n;
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (admin_offsets_parse(bad[i], r, 4, &n, err, sizeof err) != WF_EINVAL)
            fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(admin_offsets_parse("0:1,1:1,2:1,3:1,4:1", r, 4, &n, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "more than 4"));
}

static void test_names(void **state)
{
    (void)state;
    assert_true(admin_replay_name_is_valid("replay_t1"));
    assert_true(admin_replay_name_is_valid("_x"));
    assert_true(admin_replay_name_is_valid("a2345678901234567890123456789012345678901")); /* 41 */
    assert_false(admin_replay_name_is_valid("a23456789012345678901234567890123456789012"));
    assert_false(admin_replay_name_is_valid(""));
    assert_false(admin_replay_name_is_valid(NULL));
    assert_false(admin_replay_name_is_valid("1st"));
    assert_false(admin_replay_name_is_valid("Replay"));
    assert_false(admin_replay_name_is_valid("a-b"));
    assert_false(admin_replay_name_is_valid("x; DROP TABLE alerts"));
    assert_false(admin_replay_name_is_valid("public"));
    assert_false(admin_replay_name_is_valid("pg_temp"));
    assert_false(admin_replay_name_is_valid("information_schema"));
}

static void test_topics_and_their_stages(void **state)
{
    (void)state;
    const char *const names[ADMIN_REPLAY_TOPICS] = {"events.normalized", "events.enriched",
                                                    "signals", "alerts", "deadletters"};
    char err[256];
    assert_int_equal(admin_replay_topic_index("normalized", names, err, sizeof err), 0);
    assert_int_equal(admin_replay_topic_index("topics.enriched", names, err, sizeof err), 1);
    assert_int_equal(admin_replay_topic_index("events.enriched", names, err, sizeof err), 1);
    assert_int_equal(admin_replay_topic_index("signals", names, err, sizeof err), 2);
    assert_int_equal(admin_replay_topic_index("alerts", names, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "no Watchfloor stage"));
    assert_int_equal(admin_replay_topic_index("events", names, err, sizeof err), WF_EINVAL);
    const admin_replay_stage_t *stages;
    assert_int_equal(admin_replay_stages(0, &stages), 3);
    assert_string_equal(stages[0].service, "enrich");
    assert_int_equal(stages[0].inputs[0], 0);
    assert_int_equal(admin_replay_stages(1, &stages), 2);
    assert_string_equal(stages[0].service, "spatial");
    assert_string_equal(stages[1].service, "alert");
    assert_int_equal(stages[1].ninputs, 2); /* alert reads enriched and signals */
    assert_int_equal(admin_replay_stages(2, &stages), 1);
    assert_string_equal(stages[0].service, "alert");
    assert_int_equal(admin_replay_stages(3, &stages), 0);
}

static void test_command_lines(void **state)
{
    (void)state;
    admin_replay_args_t a;
    char err[512];
    char *time_range[] = {"replay", "--topic",    "enriched", "--from=2025-03-01T00:00:00Z",
                          "--to",   "2025-03-02", "--into",   "replay_t1",
                          "--keep", NULL};
    assert_int_equal(admin_replay_args_parse(ARGC(time_range), time_range, &a, err, sizeof err), 0);
    assert_string_equal(a.topic, "enriched");
    assert_string_equal(a.name, "replay_t1");
    assert_true(a.has_from && a.has_to && a.keep && !a.drop);
    assert_int_equal(a.to_ms - a.from_ms, 86400LL * 1000);
    assert_int_equal(a.nranges, 0);
    char *offsets[] = {"replay", "--topic", "signals",   "--offsets",   "2:0-9",
                       "--into", "r2",      "--bin-dir", "/opt/wf/bin", NULL};
    assert_int_equal(admin_replay_args_parse(ARGC(offsets), offsets, &a, err, sizeof err), 0);
    assert_int_equal(a.nranges, 1);
    assert_string_equal(a.bin_dir, "/opt/wf/bin");
    assert_false(a.has_from || a.has_to || a.keep);
    char *drop[] = {"replay", "--drop", "r2", NULL};
    assert_int_equal(admin_replay_args_parse(ARGC(drop), drop, &a, err, sizeof err), 0);
    assert_true(a.drop);
    assert_string_equal(a.name, "r2");
}

static void test_bad_command_lines(void **state)
{
    (void)state;
    char *no_name[] = {"replay", "--topic", "enriched", NULL};
    char *bad_name[] = {"replay", "--topic", "enriched", "--into", "Bad-Name", NULL};
    char *no_topic[] = {"replay", "--into", "r", NULL};
    char *both[] = {"replay", "--topic",    "enriched",  "--into", "r",
                    "--from", "2025-01-01", "--offsets", "0-",     NULL};
    char *backwards[] = {"replay", "--topic",    "enriched", "--into",     "r",
                         "--from", "2025-01-02", "--to",     "2025-01-01", NULL};
    char *zone_less[] = {
        "replay", "--topic", "enriched", "--into", "r", "--from", "2025-01-01T10:00:00", NULL};
    char *drop_more[] = {"replay", "--drop", "r", "--topic", "enriched", NULL};
    char *into_drop[] = {"replay", "--into", "r", "--drop", "r", NULL};
    char *stray[] = {"replay", "--topic", "enriched", "--into", "r", "extra", NULL};
    char *missing[] = {"replay", "--topic", "enriched", "--into", NULL};
    char **lines[] = {no_name,   bad_name,  no_topic,  both,  backwards,
                      zone_less, drop_more, into_drop, stray, missing};
    admin_replay_args_t a;
    char err[512];
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
        int argc = 0;
        while (lines[i][argc])
            argc++;
        err[0] = '\0';
        if (admin_replay_args_parse(argc, lines[i], &a, err, sizeof err) != WF_EINVAL)
            fail_msg("command line %zu was accepted", i);
        assert_true(strlen(err) > 10); /* says why */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times_are_utc_milliseconds),
        cmocka_unit_test(test_bad_times_are_refused),
        cmocka_unit_test(test_offset_ranges),
        cmocka_unit_test(test_bad_offset_ranges_are_refused),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_topics_and_their_stages),
        cmocka_unit_test(test_command_lines),
        cmocka_unit_test(test_bad_command_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
