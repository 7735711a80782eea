/* test_id.c — deterministic identifiers and partition keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wf/cell.h>
#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

static void test_event_id_is_deterministic_and_separated(void **state)
{
    (void)state;
    wf_uuid_t a, b, c, d;
    wf_id_event(&a, "CPD", "9567561", "1397176805000000");
    wf_id_event(&b, "CPD", "9567561", "1397176805000000");
    assert_memory_equal(a.bytes, b.bytes, WF_UUID_LEN);
    wf_id_event(&c, "CPD", "9567561", "1397176805000001"); /* another revision */
    assert_memory_not_equal(a.bytes, c.bytes, WF_UUID_LEN);
    /* ("CPD9", "567561") must not collide with ("CPD", "9567561") */
    wf_id_event(&d, "CPD9", "567561", "1397176805000000");
    assert_memory_not_equal(a.bytes, d.bytes, WF_UUID_LEN);
    assert_int_equal(a.bytes[6] >> 4, 5);      /* version 5 */
    assert_int_equal(a.bytes[8] & 0xC0, 0x80); /* RFC 4122 variant */
    char text[WF_UUID_STR_LEN];
    wf_uuid_format(a.bytes, text);
    assert_int_equal(strlen(text), 36);
    wf_uuid_t parsed;
    assert_int_equal(wf_uuid_parse(text, &parsed), WF_OK);
    assert_memory_equal(parsed.bytes, a.bytes, WF_UUID_LEN);
    assert_int_equal(wf_uuid_parse("not-a-uuid", &parsed), WF_EINVAL);
}

/* A known answer pins the namespace and separator forever: changing either would give every
 * replayed record a new id and duplicate history. Value from Python:
 * uuid5(UUID('fa1995bc-b304-5ec3-983a-b0bf06332de7'), 'event\x1fCPD\x1f9567561\x1f') */
static void test_event_id_known_answer(void **state)
{
    (void)state;
    wf_uuid_t id;
    wf_id_event(&id, "CPD", "9567561", "");
    char text[WF_UUID_STR_LEN];
    assert_string_equal(wf_uuid_format(id.bytes, text), "80400d71-9787-59d9-afd2-ce78f03f10d5");
}

static void test_cell_keys(void **state)
{
    (void)state;
    char key[WF_CELL_KEY_LEN];
    size_t n = wf_cell_key(key, sizeof key, true, -87.70464, 41.93193, "CPD");
    assert_string_equal(key, "cell:-878:419");
    assert_int_equal(n, strlen(key));
    /* two points 200 m apart in one cell share the key */
    char other[WF_CELL_KEY_LEN];
    wf_cell_key(other, sizeof other, true, -87.7025, 41.9330, "CPD");
    assert_string_equal(key, other);
    wf_cell_key(key, sizeof key, false, 0, 0, "CPD");
    assert_string_equal(key, "agency:CPD");
}

static void test_durations_and_timestamps(void **state)
{
    (void)state;
    int64_t us;
    assert_int_equal(wf_clock_parse_duration("250ms", &us), WF_OK);
    assert_int_equal(us, 250000);
    assert_int_equal(wf_clock_parse_duration("14d", &us), WF_OK);
    assert_int_equal(us, INT64_C(14) * 86400000000);
    assert_int_equal(wf_clock_parse_duration("1.5h", &us), WF_OK);
    assert_int_equal(us, INT64_C(5400000000));
    assert_int_equal(wf_clock_parse_duration("30", &us), WF_OK);
    assert_int_equal(us, 30000000);
    assert_int_equal(wf_clock_parse_duration("2 weeks", &us), WF_EINVAL);
    assert_int_equal(wf_clock_parse_duration("-1s", &us), WF_EINVAL);
    char ts[WF_CLOCK_TS_LEN];
    assert_string_equal(wf_clock_format_us(INT64_C(1394859600000000), ts, sizeof ts),
                        "2014-03-15 05:00:00.000000+00");
    assert_string_equal(wf_clock_format_us(-1, ts, sizeof ts), "1969-12-31 23:59:59.999999+00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_id_is_deterministic_and_separated),
        cmocka_unit_test(test_event_id_known_answer),
        cmocka_unit_test(test_cell_keys),
        cmocka_unit_test(test_durations_and_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
