/* test_record.c — ingest_record: field names, rejects, UTF-8 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingest_record.h"

static void test_fields(void **state)
{
    (void)state;
    assert_string_equal(ingest_field_name(INGEST_FIELD_OFFENSE_CODE), "offense_code");
    assert_string_equal(ingest_field_name(INGEST_FIELD_X), "location.x");
    assert_int_equal(ingest_field_lookup("beat"), INGEST_FIELD_BEAT);
    assert_int_equal(ingest_field_lookup("record_id"), INGEST_FIELD_RECORD_ID);
    /* location.x/y are set in location:, not fields: */
    assert_int_equal(ingest_field_lookup("location.x"), -1);
    assert_int_equal(ingest_field_lookup("ocurred_at"), -1);
    ingest_row_t row;
    ingest_row_init(&row);
    assert_string_equal(row.value[INGEST_FIELD_PRIORITY], "");
    assert_int_equal(row.attribute_count, 0);
}

static void test_reject(void **state)
{
    (void)state;
    ingest_reject_t reject;
    ingest_reject_set(&reject, INGEST_R_FIELD_COUNT, NULL, "expected %d fields, got %d", 22, 6);
    assert_string_equal(reject.code, "field_count");
    assert_string_equal(reject.field, "");
    assert_string_equal(reject.message, "expected 22 fields, got 6");
    ingest_reject_set(&reject, INGEST_R_BAD_TIME, "occurred_at", "x");
    assert_string_equal(reject.field, "occurred_at");
    /* quoted input and cut characters never make the text invalid UTF-8 */
    ingest_reject_set(&reject, INGEST_R_BAD_COORDINATES, "X\xFF", "'%.3s' and '%s'", "ab\xC3\x91",
                      "caf\xE9");
    assert_string_equal(reject.field, "X?");
    assert_string_equal(reject.message, "'ab?' and 'caf?'");
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len, valid;
    } cases[] = {
        {"055XX S ADA ST", 14, 14},
        {"CA\xC3\x91ON", 6, 6},      /* Ñ */
        {"\xE2\x82\xAC 5", 5, 5},    /* € */
        {"\xF0\x9F\x9A\x93", 4, 4},  /* U+1F693 police car */
        {"DIVERSEY\xFF AVE", 13, 8}, /* stray byte */
        {"CAF\xC9 ST", 7, 3},        /* Latin-1 É */
        {"\xC3\x28", 2, 0},          /* broken 2-byte sequence */
        {"\xC0\xAF", 2, 0},          /* overlong '/' */
        {"\xE0\x80\xAF", 3, 0},      /* overlong, 3 bytes */
        {"\xED\xA0\x80", 3, 0},      /* UTF-16 surrogate */
        {"\xF4\x90\x80\x80", 4, 0},  /* beyond U+10FFFF */
        {"ab\xE2\x82", 4, 2},        /* truncated at the end */
        {"a\0b", 3, 1},              /* NUL is not text */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t got = ingest_utf8_valid_prefix(cases[i].text, cases[i].len);
        if (got != cases[i].valid)
            fail_msg("case %zu: valid prefix %zu, expected %zu", i, got, cases[i].valid);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_reject),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
