/* test_hotlist.c — wf/hotlist.h: normalising plates and names, OCR confusion classes.
 *
 * The same functions normalise the entries wf-admin stores and the reads wf-enrich checks, so
 * these cases are the contract between the two.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wf/hotlist.h>

static void s_plate(const char *in, const char *expected)
{
    char out[WF_HOTLIST_VALUE_MAX + 1];
    size_t n = wf_hotlist_normalize_plate(in, out, sizeof out);
    assert_string_equal(out, expected);
    assert_int_equal(n, strlen(expected));
}

static void test_plate_normalisation(void **state)
{
    (void)state;
    s_plate("abc-1234", "ABC1234");
    s_plate(" AbC 12 34 ", "ABC1234");
    s_plate("IL·ZZ 9-9", "IL"
                         "ZZ99"); /* a non-ASCII separator goes like any other */
    s_plate("---", "");           /* nothing left: neither entry nor hit */
    s_plate("", "");
    s_plate(NULL, "");
    char too_long[100];
    memset(too_long, 'A', 70);
    too_long[70] = '\0';
    s_plate(too_long, ""); /* longer than WF_HOTLIST_VALUE_MAX: refused, not truncated */
    char small[4];
    assert_int_equal(wf_hotlist_normalize_plate("AB-CD", small, sizeof small), 0);
    assert_int_equal(wf_hotlist_normalize_plate("A-BC", small, sizeof small), 3);
    assert_string_equal(small, "ABC");
}

static void s_person(const char *in, const char *expected)
{
    char out[WF_HOTLIST_VALUE_MAX + 1];
    size_t n = wf_hotlist_normalize_person(in, out, sizeof out);
    assert_string_equal(out, expected);
    assert_int_equal(n, strlen(expected));
}

static void test_person_normalisation(void **state)
{
    (void)state;
    s_person("Doe, John", "DOE JOHN");
    s_person("  doe   john  ", "DOE JOHN");
    s_person("O'Brien-Smith, Mary J.", "O BRIEN SMITH MARY J");
    s_person("Peña José", "PE\xc3\xb1"
                          "A JOS\xc3\xa9"); /* UTF-8 bytes kept, ASCII upper-cased */
    s_person(",,,", "");
}

static void test_confusion_classes(void **state)
{
    (void)state;
    const char *groups[] = {"0OQD", "1IL", "8B", "5S", "2Z", "6G"};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        for (const char *c = groups[g]; *c; c++)
            assert_int_equal(wf_hotlist_confusion_class(*c), groups[g][0]);
    /* everything else stands alone */
    for (const char *c = "ACEFHJKMNPRTUVWXY3479"; *c; c++)
        assert_int_equal(wf_hotlist_confusion_class(*c), *c);
    char classes[16];
    wf_hotlist_plate_classes("BOLD52", classes, sizeof classes);
    assert_string_equal(classes, "801052");
}

static void test_substitutions(void **state)
{
    (void)state;
    assert_int_equal(wf_hotlist_plate_substitutions("ABC1234", "ABC1234"), 0);
    assert_int_equal(wf_hotlist_plate_substitutions("A8C1234", "ABC1234"), 1); /* 8 for B */
    assert_int_equal(wf_hotlist_plate_substitutions("A8C1Z34", "ABC1234"), 2);
    assert_int_equal(wf_hotlist_plate_substitutions("0DQ", "ODO"), 2); /* D = D */
    assert_int_equal(wf_hotlist_plate_substitutions("0DQ", "OQD"), 3);
    /* near misses that no OCR confusion explains */
    assert_int_equal(wf_hotlist_plate_substitutions("ABC1235", "ABC1234"), -1);
    assert_int_equal(wf_hotlist_plate_substitutions("ABC1284", "ABC1234"), -1); /* 8 vs 3 */
    assert_int_equal(wf_hotlist_plate_substitutions("ABC123", "ABC1234"), -1);  /* length */
    assert_int_equal(wf_hotlist_plate_substitutions("XBC1234", "ABC1234"), -1);
    assert_int_equal(wf_hotlist_plate_substitutions("A8C1Z35", "ABC1234"), -1); /* 2 ok, 1 not */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plate_normalisation),
        cmocka_unit_test(test_person_normalisation),
        cmocka_unit_test(test_confusion_classes),
        cmocka_unit_test(test_substitutions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
