/* test_params.c — the query API's strict parameter parsers and the workflow's moves (pure
 * parts of wf-console; the HTTP side is tests/integration/test_console_api.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "console_params.h"
#include "console_workflow.h"

static void test_times_parse_only_rfc3339(void **state)
{
    (void)state;
    int64_t us;
    assert_true(console_params_parse_time("2017-06-01T00:00:00Z", &us));
    assert_int_equal(us, INT64_C(1496275200000000));
    assert_true(console_params_parse_time("2017-06-01T02:30:00+02:30", &us));
    assert_int_equal(us, INT64_C(1496275200000000));
    assert_true(console_params_parse_time("2017-05-31t19:00:00-05:00", &us));
    assert_int_equal(us, INT64_C(1496275200000000));
    assert_true(console_params_parse_time("2017-06-01T00:00:00.5z", &us));
    assert_int_equal(us, INT64_C(1496275200500000));
    assert_true(console_params_parse_time("2017-06-01T00:00:00.123456789Z", &us)); /* ns: cut */
    assert_int_equal(us, INT64_C(1496275200123456));
    assert_true(console_params_parse_time("2016-02-29T23:59:59Z", &us));
    assert_true(console_params_parse_time("1969-12-31T23:59:59.999999Z", &us));
    assert_int_equal(us, -1);
    static const char *const bad[] = {
        "",
        "2017-06-01",
        "2017-06-01T00:00:00",
        "2017-06-01 00:00:00Z",
        "2017-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2017-04-31T00:00:00Z",
        "2017-13-01T00:00:00Z",
        "2017-00-01T00:00:00Z",
        "2017-06-00T00:00:00Z",
        "2017-06-01T24:00:00Z",
        "2017-06-01T00:60:00Z",
        "2017-06-01T00:00:60Z",
        "2017-06-01T00:00:00.Z",
        "2017-06-01T00:00:00.1234567890Z",
        "2017-06-01T00:00:00+2:00",
        "2017-06-01T00:00:00+0200",
        "2017-06-01T00:00:00+24:00",
        "2017-06-01T00:00:00Z ",
        " 2017-06-01T00:00:00Z",
        "2017-06-01T00:00:00Zjunk",
        "0999-12-31T00:00:00Z",
        "+2017-06-01T00:00:00Z",
        "2017-6-01T00:00:00Z",
        "yesterday",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (console_params_parse_time(bad[i], &us))
            fail_msg("'%s' was accepted as a time", bad[i]);
}

/* Formatting agrees with the C library's calendar, and parsing reads it back, over 20,000
 * pseudo-random instants from year 1000 to 9999. */
static void test_times_round_trip_against_gmtime(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    const int64_t lo = INT64_C(-30610224000), hi = INT64_C(253402300799); /* 1000 … 9999 */
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t seconds = lo + (int64_t)(x % (uint64_t)(hi - lo));
        int64_t us = seconds * 1000000 + (int64_t)(x >> 40) % 1000000;
        char ours[CONSOLE_PARAMS_TIME_LEN], libc[64];
        console_params_format_time(us, ours, sizeof ours);
        time_t t = (time_t)seconds;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(libc, sizeof libc, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(us - seconds * 1000000));
        assert_string_equal(ours, libc);
        int64_t back;
        assert_true(console_params_parse_time(ours, &back));
        assert_int_equal(back, us);
    }
}

static void test_bbox_is_four_finite_ordered_numbers_on_earth(void **state)
{
    (void)state;
    console_bbox_t bbox;
    char why[160];
    assert_true(console_params_parse_bbox("-87.94,41.64,-87.52,42.03", &bbox, why, sizeof why));
    assert_true(bbox.min_lon == -87.94 && bbox.min_lat == 41.64 && bbox.max_lon == -87.52 &&
                bbox.max_lat == 42.03);
    assert_true(console_params_parse_bbox("-180,-90,180,90", &bbox, why, sizeof why));
    assert_true(console_params_parse_bbox("1e-3,+2,3.,4E1", &bbox, why, sizeof why));
    static const char *const bad[] = {
        "",          "1,2,3",       "1,2,3,4,5",  "1,2,3,4,",   ",1,2,3,4",  "1,,3,4",
        "nan,1,2,3", "1,inf,2,3",   "0x1,1,2,3",  " 1,2,3,4",   "1,2,3,4 ",  "1;2;3;4",
        "2,1,1,3",   "1,3,2,2",     "1,1,1,2",    "-181,0,1,1", "0,-91,1,1", "0,0,181,1",
        "0,0,1,91",  "1e999,0,1,1", "1..2,0,3,4", "--1,0,1,1",  "1e,0,2,3",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why[0] = '\0';
        if (console_params_parse_bbox(bad[i], &bbox, why, sizeof why))
            fail_msg("'%s' was accepted as a bbox", bad[i]);
        assert_non_null(strstr(why, "bbox"));
    }
}

static void test_limit_and_uuid(void **state)
{
    (void)state;
    int limit;
    assert_true(console_params_parse_limit("1", &limit) && limit == 1);
    assert_true(console_params_parse_limit("1000", &limit) && limit == 1000);
    static const char *const bad_limits[] = {"",   "0",  "1001", "99999", "-5",
                                             "+5", " 5", "5 ",   "5.0",   "ten"};
    for (size_t i = 0; i < sizeof bad_limits / sizeof *bad_limits; i++)
        assert_false(console_params_parse_limit(bad_limits[i], &limit));
    assert_true(console_params_is_uuid("5b3e2c1a-0f4d-4e8a-9c7b-1d2e3f405a6b"));
    assert_true(console_params_is_uuid("5B3E2C1A-0F4D-4E8A-9C7B-1D2E3F405A6B"));
    assert_false(console_params_is_uuid("5b3e2c1a0f4d4e8a9c7b1d2e3f405a6b"));
    assert_false(console_params_is_uuid("5b3e2c1a-0f4d-4e8a-9c7b-1d2e3f405a6"));
    assert_false(console_params_is_uuid("5b3e2c1a-0f4d-4e8a-9c7b-1d2e3f405a6bb"));
    assert_false(console_params_is_uuid("5b3e2c1a-0f4d-4e8a-9c7b_1d2e3f405a6b"));
    assert_false(console_params_is_uuid("5b3e2c1g-0f4d-4e8a-9c7b-1d2e3f405a6b"));
    assert_false(console_params_is_uuid(""));
}

static void test_cursors_round_trip_and_refuse_anything_else(void **state)
{
    (void)state;
    const char *id = "5b3e2c1a-0f4d-4e8a-9c7b-1d2e3f405a6b";
    const int64_t keys[] = {0, 1, -1, INT64_C(1496275200123456), INT64_C(-30610224000000000)};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char cursor[CONSOLE_PARAMS_CURSOR_LEN + 1], uuid[CONSOLE_PARAMS_UUID_LEN];
        int64_t us;
        assert_true(console_params_encode_cursor('e', keys[i], id, cursor, sizeof cursor));
        assert_int_equal(strspn(cursor, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-_"),
                         strlen(cursor)); /* URL-safe as it is */
        assert_true(console_params_decode_cursor(cursor, 'e', &us, uuid));
        assert_int_equal(us, keys[i]);
        assert_string_equal(uuid, id);
        assert_false(console_params_decode_cursor(cursor, 'a', &us, uuid)); /* another list's */
        size_t len = strlen(cursor);
        for (size_t cut = 1; cut < len; cut++) { /* every truncation */
            char shorter[CONSOLE_PARAMS_CURSOR_LEN + 1];
            snprintf(shorter, sizeof shorter, "%.*s", (int)(len - cut), cursor);
            assert_false(console_params_decode_cursor(shorter, 'e', &us, uuid));
        }
    }
    char cursor[CONSOLE_PARAMS_CURSOR_LEN + 1], uuid[CONSOLE_PARAMS_UUID_LEN];
    int64_t us;
    /* "e1.1.<id>" is 41 bytes: 55 characters whose last carries 2 zero padding bits; set one */
    assert_true(console_params_encode_cursor('e', 1, id, cursor, sizeof cursor));
    assert_int_equal(strlen(cursor), 55);
    assert_true(console_params_decode_cursor(cursor, 'e', &us, uuid));
    cursor[54] = cursor[54] == 'A' ? 'B' : 'A' + ((cursor[54] - 'A') ^ 1);
    assert_false(console_params_decode_cursor(cursor, 'e', &us, uuid));
    static const char *const bad[] = {"",     "=",         "e1.42.x",         "ZTEuNDIu",
                                      "%%%%", "ZTEu\nNDI", "bm90LWEtY3Vyc29y"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(console_params_decode_cursor(bad[i], 'e', &us, uuid));
    assert_false(console_params_encode_cursor('e', 1, id, cursor, 20)); /* too small */
}

static void test_choices_and_arrays(void **state)
{
    (void)state;
    static const char *const states[] = {"new", "acknowledged", "assigned", "closed", NULL};
    char out[128], why[96];
    assert_true(
        console_params_parse_choices("new,closed", states, out, sizeof out, why, sizeof why));
    assert_string_equal(out, "{new,closed}");
    assert_true(console_params_parse_choices("assigned", states, out, sizeof out, why, sizeof why));
    assert_string_equal(out, "{assigned}");
    static const char *const bad[] = {"", "new,", ",new", "new,,closed", "NEW", "open", "new "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(
            console_params_parse_choices(bad[i], states, out, sizeof out, why, sizeof why));
    const char *items[] = {"CPD", "a\"b", "c\\d", "x,y}"};
    assert_true(console_params_text_array(items, 4, out, sizeof out));
    assert_string_equal(out, "{\"CPD\",\"a\\\"b\",\"c\\\\d\",\"x,y}\"}");
    assert_false(console_params_text_array(items, 4, out, 12));
}

static void test_clean_text_counts_characters_and_refuses_controls(void **state)
{
    (void)state;
    assert_true(console_params_is_clean_text("unit 7D12", 100, false));
    assert_true(console_params_is_clean_text("x' OR 1=1 --", 100, false));           /* just text */
    assert_true(console_params_is_clean_text("\xc3\xa9\xc3\xa9\xc3\xa9", 3, false)); /* 3 chars */
    assert_false(console_params_is_clean_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, false));
    assert_true(console_params_is_clean_text("\xe2\x82\xac \xf0\x9f\x9a\x93", 3, false));
    assert_false(console_params_is_clean_text("line\nbreak", 100, false));
    assert_true(console_params_is_clean_text("line\nbreak\tand tab", 100, true));
    assert_false(console_params_is_clean_text("bell\x07", 100, true));
    assert_false(console_params_is_clean_text("del\x7f", 100, true));
    assert_false(console_params_is_clean_text("\xc0\x80", 100, false));         /* overlong NUL */
    assert_false(console_params_is_clean_text("\x80", 100, false));             /* lone follower */
    assert_false(console_params_is_clean_text("\xe2\x82", 100, false));         /* truncated */
    assert_false(console_params_is_clean_text("\xf8\x88\x80\x80", 100, false)); /* 5-byte */
}

/* Every action from every state, against the table of docs/console-api.md. */
static void test_workflow_moves_are_exactly_the_documented_ones(void **state)
{
    (void)state;
    static const char *const states[] = {"new", "acknowledged", "assigned", "closed"};
    static const char *const actions[] = {"acknowledge", "assign", "close", "reopen"};
    /* expected[action][from]: the new state, or NULL when refused */
    static const char *const expected[4][4] = {
        {"acknowledged", NULL, NULL, NULL},
        {"assigned", "assigned", "assigned", NULL},
        {"closed", "closed", "closed", NULL},
        {NULL, NULL, NULL, "new"},
    };
    for (int a = 0; a < 4; a++) {
        assert_true(console_workflow_is_action(actions[a]));
        for (int s = 0; s < 4; s++) {
            const char *to = console_workflow_next_state(actions[a], states[s]);
            if (expected[a][s] ? !to || strcmp(to, expected[a][s]) != 0 : to != NULL)
                fail_msg("%s from %s gave %s", actions[a], states[s], to ? to : "refusal");
        }
    }
    assert_false(console_workflow_is_action("escalate"));
    assert_false(console_workflow_is_action(""));
    assert_null(console_workflow_next_state("acknowledge", "bogus"));
    assert_null(console_workflow_next_state("escalate", "new"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times_parse_only_rfc3339),
        cmocka_unit_test(test_times_round_trip_against_gmtime),
        cmocka_unit_test(test_bbox_is_four_finite_ordered_numbers_on_earth),
        cmocka_unit_test(test_limit_and_uuid),
        cmocka_unit_test(test_cursors_round_trip_and_refuse_anything_else),
        cmocka_unit_test(test_choices_and_arrays),
        cmocka_unit_test(test_clean_text_counts_characters_and_refuses_controls),
        cmocka_unit_test(test_workflow_moves_are_exactly_the_documented_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
