/* test_throttle.c — event-time throttle windows: once per (rule, key, window), out-of-order
 * and late events, bounded memory, deterministic alert ids.
 *
 * Times are real incident times from the Chicago dev set, converted from Chicago local time
 * to UTC (CST = UTC−6 in winter).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "alert_throttle.h"

#define HOUR (3600 * WF_US_PER_SEC)
#define DAY  WF_US_PER_DAY
#define NOW  (s_utc(2026, 1, 1, 0, 0)) /* wall clock: long after every event */

static int64_t s_utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) * WF_US_PER_SEC;
}

static alert_throttle_result_t s_check(alert_throttle_t *t, const char *rule, const char *key,
                                       int64_t at, int64_t window)
{
    alert_throttle_result_t r;
    assert_int_equal(alert_throttle_check(t, rule, key, at, window, NOW, &r), 0);
    return r;
}

static void test_window_start(void **state)
{
    (void)state;
    /* 2017 Englewood id 10860483: 2017-02-24 19:34 CST = 2017-02-25 01:34 UTC */
    int64_t t = s_utc(2017, 2, 25, 1, 34);
    assert_true(alert_throttle_window_start(t, 8 * HOUR) == s_utc(2017, 2, 25, 0, 0));
    assert_true(alert_throttle_window_start(t, DAY) == s_utc(2017, 2, 25, 0, 0));
    assert_true(alert_throttle_window_start(t, HOUR) == s_utc(2017, 2, 25, 1, 0));
    assert_true(alert_throttle_window_start(s_utc(2017, 2, 25, 8, 0), 8 * HOUR) ==
                s_utc(2017, 2, 25, 8, 0)); /* a boundary starts the next window */
    /* before the epoch: floor, not truncation toward zero */
    assert_true(alert_throttle_window_start(-1, HOUR) == -HOUR);
    assert_true(alert_throttle_window_start(-HOUR, HOUR) == -HOUR);
    assert_true(alert_throttle_window_start(0, HOUR) == 0);
}

/* The three weapons violations of beat 0713 in the 00:00–08:00 UTC shift of 2017-02-25, in
 * file order: ids 10860610 (21:23 CST), 10860663 (00:51 CST), 10860483 (19:34 CST). */
static void test_one_alert_per_window(void **state)
{
    (void)state;
    alert_throttle_t *t = alert_throttle_new(3 * DAY, 1000);
    assert_non_null(t);
    alert_throttle_result_t r =
        s_check(t, "weapons", "beat:0713", s_utc(2017, 2, 25, 3, 23), 8 * HOUR);
    assert_true(r.raise);
    assert_false(r.late);
    assert_int_equal(r.matches, 1);
    assert_true(r.window_start_us == s_utc(2017, 2, 25, 0, 0));
    r = s_check(t, "weapons", "beat:0713", s_utc(2017, 2, 25, 6, 51), 8 * HOUR);
    assert_false(r.raise);
    assert_int_equal(r.matches, 2);
    r = s_check(t, "weapons", "beat:0713", s_utc(2017, 2, 25, 1, 34), 8 * HOUR); /* earlier */
    assert_false(r.raise);
    assert_int_equal(r.matches, 3);
    assert_true(r.window_start_us == s_utc(2017, 2, 25, 0, 0));
    assert_int_equal(alert_throttle_size(t), 1);

    /* next shift raises again (id 10860610's beat, 08:00 UTC onwards) */
    r = s_check(t, "weapons", "beat:0713", s_utc(2017, 2, 25, 8, 0), 8 * HOUR);
    assert_true(r.raise);
    assert_int_equal(r.matches, 1);
    /* other keys and other rules are independent */
    assert_true(s_check(t, "weapons", "beat:0725", s_utc(2017, 2, 25, 3, 0), 8 * HOUR).raise);
    assert_true(s_check(t, "other_rule", "beat:0713", s_utc(2017, 2, 25, 3, 0), 8 * HOUR).raise);
    /* a key is not a prefix match: "beat:07" differs from "beat:0713" */
    assert_true(s_check(t, "weapons", "beat:07", s_utc(2017, 2, 25, 3, 0), 8 * HOUR).raise);
    /* rule/key split is unambiguous: ("weapons", "x") vs ("weaponsx", "") */
    assert_true(s_check(t, "w", "a", s_utc(2017, 2, 25, 3, 0), 8 * HOUR).raise);
    assert_true(s_check(t, "wa", "", s_utc(2017, 2, 25, 3, 0), 8 * HOUR).raise);
    /* the window length is not part of a situation's identity (nor of its alert id): after a
     * reload from 8 h to 24 h, the window starting at the same instant is the same one */
    assert_false(s_check(t, "weapons", "beat:0713", s_utc(2017, 2, 25, 3, 0), DAY).raise);
    assert_true(s_check(t, "weapons", "beat:0713", s_utc(2017, 2, 24, 23, 0), DAY).raise);
    assert_int_equal(alert_throttle_size(t), 8);

    alert_throttle_result_t bad;
    assert_int_equal(alert_throttle_check(t, "r", "k", 0, 0, NOW, &bad), WF_EINVAL);
    alert_throttle_destroy(&t);
    assert_null(t);
    alert_throttle_destroy(&t);
}

/* Reverse-chronological input (the 2014 and 2025 files are exported newest first). */
static void test_out_of_order_within_lateness(void **state)
{
    (void)state;
    alert_throttle_t *t = alert_throttle_new(3 * DAY, 1000);
    int64_t day = s_utc(2014, 3, 14, 0, 0);
    assert_true(s_check(t, "r", "cell:a", day + 20 * HOUR, DAY).raise);
    assert_true(s_check(t, "r", "cell:a", day - 2 * DAY, DAY).raise);   /* older window */
    assert_false(s_check(t, "r", "cell:a", day + 1 * HOUR, DAY).raise); /* back to the first */
    assert_false(s_check(t, "r", "cell:a", day - 2 * DAY + HOUR, DAY).raise);
    assert_true(alert_throttle_watermark(t) == day + 20 * HOUR);
    assert_int_equal(alert_throttle_evicted_expired(t), 0);
    alert_throttle_destroy(&t);
}

static void test_late_events_still_raise_once(void **state)
{
    (void)state;
    alert_throttle_t *t = alert_throttle_new(HOUR, 1000);
    int64_t day = s_utc(2017, 11, 10, 0, 0);
    assert_true(s_check(t, "r", "k", day, DAY).raise);
    /* the watermark moves 5 days on: the first window (end + 1 h) is forgotten */
    alert_throttle_result_t r = s_check(t, "r", "other", day + 5 * DAY, DAY);
    assert_true(r.raise);
    assert_false(r.late);
    assert_int_equal(alert_throttle_evicted_expired(t), 1);
    assert_int_equal(alert_throttle_size(t), 1);
    /* a match for the forgotten window raises again, marked late (same alert id, so the
     * idempotent write absorbs it) … */
    r = s_check(t, "r", "k", day + HOUR, DAY);
    assert_true(r.raise);
    assert_true(r.late);
    /* … but only once while the watermark stands still */
    r = s_check(t, "r", "k", day + 2 * HOUR, DAY);
    assert_false(r.raise);
    assert_true(r.late);
    /* within the lateness margin is not late: window [day+4d, day+5d) is held until 1 h
     * after the watermark */
    r = s_check(t, "r", "x", day + 4 * DAY, DAY);
    assert_false(r.late);
    alert_throttle_destroy(&t);
}

static void test_future_times_do_not_move_the_watermark(void **state)
{
    (void)state;
    alert_throttle_t *t = alert_throttle_new(HOUR, 1000);
    int64_t now = s_utc(2017, 2, 25, 12, 0);
    alert_throttle_result_t r;
    assert_int_equal(alert_throttle_check(t, "r", "k", now - HOUR, DAY, now, &r), 0);
    assert_true(alert_throttle_watermark(t) == now - HOUR);
    /* a typo'd year (2071) must not make every real event late */
    assert_int_equal(alert_throttle_check(t, "r", "k", s_utc(2071, 2, 25, 0, 0), DAY, now, &r), 0);
    assert_true(r.raise);
    assert_true(alert_throttle_watermark(t) == now - HOUR);
    assert_int_equal(alert_throttle_check(t, "r", "k", now - 30 * 60 * WF_US_PER_SEC, DAY, now, &r),
                     0);
    assert_false(r.late);
    assert_false(r.raise);
    /* a few hours ahead (clock skew, zone slips) still counts */
    assert_int_equal(alert_throttle_check(t, "r", "k2", now + 6 * HOUR, DAY, now, &r), 0);
    assert_true(alert_throttle_watermark(t) == now + 6 * HOUR);
    alert_throttle_destroy(&t);
}

static void test_memory_is_bounded(void **state)
{
    (void)state;
    /* hard cap: 10 entries, 100 hotspots in one window → 90 counted evictions */
    alert_throttle_t *t = alert_throttle_new(3 * DAY, 10);
    int64_t at = s_utc(2018, 6, 1, 12, 0);
    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "cell:%d", i);
        assert_true(s_check(t, "r", key, at, DAY).raise);
        assert_true(alert_throttle_size(t) <= 10);
    }
    assert_int_equal(alert_throttle_size(t), 10);
    assert_int_equal(alert_throttle_evicted_cap(t), 90);
    /* the most recent ones are still remembered */
    assert_false(s_check(t, "r", "cell:99", at, DAY).raise);
    alert_throttle_destroy(&t);

    /* watermark eviction: one entry per hour for 30 days, 1 h windows, 1 h lateness → only
     * windows ending within the last hour or so survive; the oldest go first */
    t = alert_throttle_new(HOUR, 1000000);
    int64_t start = s_utc(2018, 1, 1, 0, 0);
    for (int h = 0; h < 30 * 24; h++)
        assert_true(s_check(t, "r", "k", start + h * HOUR, HOUR).raise);
    assert_true(alert_throttle_size(t) <= 3);
    assert_int_equal(alert_throttle_evicted_expired(t) + alert_throttle_size(t), 30 * 24);
    assert_int_equal(alert_throttle_evicted_cap(t), 0);
    /* a window that is still held throttles */
    assert_false(s_check(t, "r", "k", start + (30 * 24 - 1) * HOUR, HOUR).raise);
    alert_throttle_destroy(&t);
}

/* Many keys force the hash table to grow; every entry must still be found. */
static void test_growth_keeps_entries(void **state)
{
    (void)state;
    alert_throttle_t *t = alert_throttle_new(30 * DAY, 100000);
    int64_t at = s_utc(2025, 10, 20, 12, 0);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "event:%d", i);
        assert_true(s_check(t, "homicide", key, at + i, DAY).raise);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "event:%d", i);
        assert_false(s_check(t, "homicide", key, at + i, DAY).raise);
    }
    assert_int_equal(alert_throttle_size(t), 5000);
    alert_throttle_destroy(&t);
}

static void test_alert_ids_are_deterministic(void **state)
{
    (void)state;
    int64_t start = s_utc(2017, 2, 25, 0, 0); /* 1487980800000000 µs */
    wf_uuid_t a, b, expect;
    alert_throttle_alert_id(&a, "weapons_englewood_beats", "beat:0713", start);
    alert_throttle_alert_id(&b, "weapons_englewood_beats", "beat:0713", start);
    assert_memory_equal(a.bytes, b.bytes, WF_UUID_LEN);
    /* exactly the derivation the schema documents: decimal µs as the third part */
    const char *parts[] = {"weapons_englewood_beats", "beat:0713", "1487980800000000"};
    wf_id_derive(&expect, "alert", parts, 3);
    assert_memory_equal(a.bytes, expect.bytes, WF_UUID_LEN);
    /* pinned: a change here changes every alert id in every database */
    char text[WF_UUID_STR_LEN];
    wf_uuid_format(a.bytes, text);
    assert_string_equal(text, "17a96c06-d0a7-5db3-87a5-cbba9da8f074"); /* = Python uuid5 */
    assert_int_equal((a.bytes[6] >> 4), 5);                            /* UUID version 5 */
    alert_throttle_alert_id(&b, "weapons_englewood_beats", "beat:0713", start + 8 * HOUR);
    assert_memory_not_equal(a.bytes, b.bytes, WF_UUID_LEN);
    alert_throttle_alert_id(&b, "weapons_englewood_beats", "beat:0725", start);
    assert_memory_not_equal(a.bytes, b.bytes, WF_UUID_LEN);
    alert_throttle_alert_id(&b, "homicide_district_007", "beat:0713", start);
    assert_memory_not_equal(a.bytes, b.bytes, WF_UUID_LEN);
    /* negative window starts format with their sign */
    alert_throttle_alert_id(&b, "r", "k", -HOUR);
    const char *neg[] = {"r", "k", "-3600000000"};
    wf_id_derive(&expect, "alert", neg, 3);
    assert_memory_equal(b.bytes, expect.bytes, WF_UUID_LEN);
}

/* Escalation counts distinct events: a repeat of the same id (a redelivery, the same file
 * ingested twice) leaves the count alone, whatever the order. */
static void test_distinct_counts(void **state)
{
    (void)state;
    alert_throttle_t *t = alert_throttle_new(3 * DAY, 1000);
    wf_uuid_t a, b, c;
    wf_id_event(&a, "CPD", "10860610", "");
    wf_id_event(&b, "CPD", "10860663", "");
    wf_id_event(&c, "CPD", "10860483", "");
    alert_throttle_result_t r;
    int64_t at = s_utc(2017, 2, 25, 3, 23);
    assert_int_equal(
        alert_throttle_check_distinct(t, "w#escalate", "beat:0713", a.bytes, 3, at, DAY, NOW, &r),
        0);
    assert_true(r.raise && !r.duplicate);
    assert_int_equal(r.matches, 1);
    assert_int_equal(r.n_members, 1);
    assert_int_equal(alert_throttle_check_distinct(t, "w#escalate", "beat:0713", a.bytes, 3,
                                                   at + HOUR, DAY, NOW, &r),
                     0);
    assert_true(r.duplicate && !r.raise);
    assert_int_equal(r.matches, 1);
    alert_throttle_check_distinct(t, "w#escalate", "beat:0713", b.bytes, 3, at + 2 * HOUR, DAY, NOW,
                                  &r);
    assert_false(r.duplicate);
    assert_int_equal(r.matches, 2);
    alert_throttle_check_distinct(t, "w#escalate", "beat:0713", c.bytes, 3, at - 2 * HOUR, DAY, NOW,
                                  &r);
    assert_int_equal(r.matches, 3);
    assert_int_equal(r.n_members, 3);
    assert_memory_equal(r.members[0], a.bytes, WF_UUID_LEN); /* first counted first */
    assert_memory_equal(r.members[2], c.bytes, WF_UUID_LEN);
    /* past max_members the count goes on without the check */
    alert_throttle_check_distinct(t, "w#escalate", "beat:0713", a.bytes, 3, at, DAY, NOW, &r);
    assert_int_equal(r.matches, 3); /* a is remembered: still a duplicate */
    wf_uuid_t d;
    wf_id_event(&d, "CPD", "10860999", "");
    alert_throttle_check_distinct(t, "w#escalate", "beat:0713", d.bytes, 3, at, DAY, NOW, &r);
    assert_int_equal(r.matches, 4);
    assert_int_equal(r.n_members, 3);
    /* another day, another key, another counter: fresh counts; the plain check is separate */
    alert_throttle_check_distinct(t, "w#escalate", "beat:0713", a.bytes, 3, at + DAY, DAY, NOW, &r);
    assert_int_equal(r.matches, 1);
    alert_throttle_check_distinct(t, "w#escalate", "beat:0714", a.bytes, 3, at, DAY, NOW, &r);
    assert_int_equal(r.matches, 1);
    r = s_check(t, "w", "beat:0713", at, DAY);
    assert_true(r.raise);
    alert_throttle_destroy(&t); /* frees the remembered ids (ASan checks) */
}

static void test_escalation_ids(void **state)
{
    (void)state;
    int64_t start = s_utc(2017, 2, 25, 0, 0);
    wf_uuid_t plain, severe, severe_again, extreme, other_window;
    alert_throttle_alert_id(&plain, "w", "beat:0713", start);
    alert_throttle_escalation_id(&severe, "w", "beat:0713", start, "severe");
    alert_throttle_escalation_id(&severe_again, "w", "beat:0713", start, "severe");
    alert_throttle_escalation_id(&extreme, "w", "beat:0713", start, "extreme");
    alert_throttle_escalation_id(&other_window, "w", "beat:0713", start + DAY, "severe");
    assert_memory_equal(severe.bytes, severe_again.bytes, WF_UUID_LEN);
    assert_memory_not_equal(severe.bytes, plain.bytes, WF_UUID_LEN);
    assert_memory_not_equal(severe.bytes, extreme.bytes, WF_UUID_LEN);
    assert_memory_not_equal(severe.bytes, other_window.bytes, WF_UUID_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_start),
        cmocka_unit_test(test_one_alert_per_window),
        cmocka_unit_test(test_out_of_order_within_lateness),
        cmocka_unit_test(test_late_events_still_raise_once),
        cmocka_unit_test(test_future_times_do_not_move_the_watermark),
        cmocka_unit_test(test_memory_is_bounded),
        cmocka_unit_test(test_growth_keeps_entries),
        cmocka_unit_test(test_alert_ids_are_deterministic),
        cmocka_unit_test(test_distinct_counts),
        cmocka_unit_test(test_escalation_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
