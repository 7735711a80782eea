/* test_nibrs.c — enrich_nibrs: classifying events by agency code, kind and parent kind.
 *
 * Offense rows are copied from the FBI table (data/reference/nibrs_offense_type.csv.xz), kind
 * rows from our crosswalk (data/reference/watchfloor_kind_nibrs.csv); the agency codes are a
 * department's own table (CPD IUCR codes as examples).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wf/err.h>

#include "enrich_nibrs.h"

static enrich_nibrs_t *s_tables(void)
{
    enrich_nibrs_t *nibrs = enrich_nibrs_new();
    assert_non_null(nibrs);
    static const char *const offenses[][4] = {
        {"220", "Burglary/Breaking & Entering", "Burglary/Breaking & Entering", "Property"},
        {"09A", "Murder and Nonnegligent Manslaughter", "Homicide Offenses", "Person"},
        {"09B", "Negligent Manslaughter", "Homicide Offenses", "Person"},
        {"23H", "All Other Larceny", "Larceny/Theft Offenses", "Property"},
        {"23C", "Shoplifting", "Larceny/Theft Offenses", "Property"},
        {"23*", "Not Specified", "Larceny/Theft Offenses", "Property"},
        {"13C", "Intimidation", "Assault Offenses", "Person"},
        {"90I", "Runaway", "Other Offenses", "Not a Crime"},
    };
    for (size_t i = 0; i < sizeof offenses / sizeof offenses[0]; i++)
        assert_int_equal(enrich_nibrs_add_offense(nibrs, offenses[i][0], offenses[i][1],
                                                  offenses[i][2], offenses[i][3]),
                         0);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "burglary.residential", "220"), 0);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "burglary.commercial", "220"), 0);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "homicide", "09A"), 0);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "theft", "23H"), 0);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "other", ""), 0); /* explicitly nothing */
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "assault", NULL), 0);
    assert_int_equal(enrich_nibrs_add_agency_code(nibrs, "CPD", "0141", "09B"), 0);
    assert_int_equal(enrich_nibrs_add_agency_code(nibrs, "CPD", "0860", "23C"), 0);
    assert_int_equal(enrich_nibrs_add_agency_code(nibrs, "CPD", "2820", "13C"), 0);
    char err[256] = "";
    assert_int_equal(enrich_nibrs_build(nibrs, err, sizeof err), 0);
    return nibrs;
}

static void s_expect(const enrich_nibrs_t *nibrs, const char *agency, const char *code,
                     const char *kind, const char *nibrs_code, enrich_nibrs_basis_t basis)
{
    enrich_nibrs_basis_t got = (enrich_nibrs_basis_t)-1;
    const enrich_nibrs_offense_t *offense = enrich_nibrs_classify(nibrs, agency, code, kind, &got);
    assert_int_equal(got, basis);
    if (!nibrs_code) {
        assert_null(offense);
        return;
    }
    assert_non_null(offense);
    assert_string_equal(offense->code, nibrs_code);
}

static void test_kind_crosswalk(void **state)
{
    (void)state;
    enrich_nibrs_t *nibrs = s_tables();
    const enrich_nibrs_offense_t *burglary =
        enrich_nibrs_classify(nibrs, "CPD", "0610", "burglary.residential", NULL);
    assert_non_null(burglary);
    assert_string_equal(burglary->code, "220");
    assert_string_equal(burglary->name, "Burglary/Breaking & Entering");
    assert_string_equal(burglary->category, "Burglary/Breaking & Entering");
    assert_string_equal(burglary->crime_against, "Property");
    const enrich_nibrs_offense_t *murder =
        enrich_nibrs_classify(nibrs, "CPD", "0110", "homicide", NULL);
    assert_string_equal(murder->code, "09A");
    assert_string_equal(murder->category, "Homicide Offenses");
    assert_string_equal(murder->crime_against, "Person");
    s_expect(nibrs, "CPD", "0820", "theft", "23H", ENRICH_NIBRS_KIND);
    assert_int_equal(enrich_nibrs_offense_count(nibrs), 8);
    assert_int_equal(enrich_nibrs_kind_count(nibrs), 6);
    assert_int_equal(enrich_nibrs_agency_code_count(nibrs), 3);
    enrich_nibrs_destroy(&nibrs);
    assert_null(nibrs);
}

static void test_agency_code_first(void **state)
{
    (void)state;
    enrich_nibrs_t *nibrs = s_tables();
    /* the department's table beats the kind: reckless homicide is negligent, not murder */
    s_expect(nibrs, "CPD", "0141", "homicide", "09B", ENRICH_NIBRS_AGENCY_CODE);
    s_expect(nibrs, "CPD", "0860", "theft", "23C", ENRICH_NIBRS_AGENCY_CODE);
    /* …and classifies what the kind cannot: a telephone threat of kind other */
    s_expect(nibrs, "CPD", "2820", "other", "13C", ENRICH_NIBRS_AGENCY_CODE);
    /* the same code of another agency means nothing to CPD's table */
    s_expect(nibrs, "EPD", "0141", "homicide", "09A", ENRICH_NIBRS_KIND);
    s_expect(nibrs, "EPD", "0860", "theft", "23H", ENRICH_NIBRS_KIND);
    /* codes are text: "860" is not "0860" */
    s_expect(nibrs, "CPD", "860", "theft", "23H", ENRICH_NIBRS_KIND);
    enrich_nibrs_destroy(&nibrs);
}

static void test_no_classification(void **state)
{
    (void)state;
    enrich_nibrs_t *nibrs = s_tables();
    s_expect(nibrs, "CPD", "0460", "other", NULL, ENRICH_NIBRS_NONE); /* mapped to nothing */
    s_expect(nibrs, "CPD", "0460", "assault.simple", NULL, ENRICH_NIBRS_NONE); /* parent: nothing */
    s_expect(nibrs, "CPD", "9999", "arson", NULL, ENRICH_NIBRS_NONE);          /* unknown kind */
    s_expect(nibrs, NULL, NULL, NULL, NULL, ENRICH_NIBRS_NONE);
    s_expect(nibrs, "", "", "", NULL, ENRICH_NIBRS_NONE);
    /* a kind's parent stands in for a subkind the crosswalk does not list */
    s_expect(nibrs, "CPD", "0610", "burglary.other", NULL, ENRICH_NIBRS_NONE);
    enrich_nibrs_destroy(&nibrs);

    nibrs = enrich_nibrs_new();
    assert_int_equal(enrich_nibrs_add_offense(nibrs, "220", "B", "B", "Property"), 0);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "burglary", "220"), 0);
    char err[256];
    assert_int_equal(enrich_nibrs_build(nibrs, err, sizeof err), 0);
    s_expect(nibrs, "CPD", "0610", "burglary.other", "220", ENRICH_NIBRS_KIND);
    s_expect(nibrs, "CPD", "0610", "burglaryx", NULL, ENRICH_NIBRS_NONE);
    enrich_nibrs_destroy(&nibrs);
}

static void test_build_refuses_inconsistent_tables(void **state)
{
    (void)state;
    char err[256] = "";
    enrich_nibrs_t *nibrs = enrich_nibrs_new();
    assert_int_equal(enrich_nibrs_add_offense(nibrs, "220", "B", "B", "Property"), 0);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "arson", "200"), 0);
    assert_int_equal(enrich_nibrs_build(nibrs, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "kind 'arson' maps to NIBRS code '200'"));
    enrich_nibrs_destroy(&nibrs);

    nibrs = enrich_nibrs_new();
    assert_int_equal(enrich_nibrs_add_offense(nibrs, "220", "B", "B", "Property"), 0);
    assert_int_equal(enrich_nibrs_add_agency_code(nibrs, "CPD", "0610", "220"), 0);
    assert_int_equal(enrich_nibrs_add_agency_code(nibrs, "CPD", "0610", "220"), 0);
    assert_int_equal(enrich_nibrs_build(nibrs, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "agency code 'CPD 0610' is mapped twice"));
    enrich_nibrs_destroy(&nibrs);

    nibrs = enrich_nibrs_new();
    assert_int_equal(enrich_nibrs_add_offense(nibrs, "", "B", "B", "Property"), WF_EINVAL);
    assert_int_equal(enrich_nibrs_add_kind(nibrs, "", "220"), WF_EINVAL);
    assert_int_equal(enrich_nibrs_add_agency_code(nibrs, "CPD", "0610", ""), WF_EINVAL);
    assert_int_equal(enrich_nibrs_build(nibrs, err, sizeof err), 0); /* empty is consistent */
    s_expect(nibrs, "CPD", "0610", "burglary.residential", NULL, ENRICH_NIBRS_NONE);
    enrich_nibrs_destroy(&nibrs);
    enrich_nibrs_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_crosswalk),
        cmocka_unit_test(test_agency_code_first),
        cmocka_unit_test(test_no_classification),
        cmocka_unit_test(test_build_refuses_inconsistent_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
