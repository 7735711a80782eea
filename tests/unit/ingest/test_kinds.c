/* test_kinds.c — ingest_kinds: the vocabulary, rule matching, and the shipped Chicago rules
 * checked case by case and against all 434 codes of the City's IUCR table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest_kinds.h"
#include "ingest_reader.h"

#define PROFILES WF_SOURCE_DIR "/deploy/profiles/"

static ingest_profile_t *s_load(const char *path)
{
    char err[512] = "";
    ingest_profile_t *profile = ingest_profile_load(path, err, sizeof err);
    if (!profile)
        fail_msg("%s", err);
    return profile;
}

static void test_vocabulary(void **state)
{
    (void)state;
    static const char *const required[] = {"homicide",
                                           "sexual_assault",
                                           "robbery",
                                           "assault.aggravated",
                                           "assault.simple",
                                           "burglary.residential",
                                           "burglary.commercial",
                                           "theft",
                                           "motor_vehicle_theft",
                                           "arson",
                                           "criminal_damage",
                                           "weapons",
                                           "narcotics",
                                           "fraud",
                                           "other"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        assert_true(ingest_kinds_is_known(required[i]));
    assert_false(ingest_kinds_is_known("burglary"));
    size_t count = 0;
    assert_non_null(ingest_kinds_vocabulary(&count));
    assert_true(count >= 15);
}

/* Kind of an offense code, location type and offense text under the Chicago rules. */
static const char *s_kind(const ingest_profile_t *profile, const char *code, const char *place,
                          const char *text)
{
    const char *value[INGEST_FIELD_COUNT];
    for (int i = 0; i < INGEST_FIELD_COUNT; i++)
        value[i] = "";
    value[INGEST_FIELD_OFFENSE_CODE] = code;
    value[INGEST_FIELD_LOCATION_TYPE] = place;
    value[INGEST_FIELD_OFFENSE_TEXT] = text;
    return ingest_kinds_match(profile, value);
}

static void test_chicago_kinds(void **state)
{
    (void)state;
    ingest_profile_t *profile = s_load(PROFILES "chicago-portal-export.yaml");
    static const struct {
        const char *code, *place, *text, *kind;
    } cases[] = {
        {"0610", "RESIDENCE", "", "burglary.residential"},
        {"0610", "APARTMENT", "", "burglary.residential"},
        {"0620", "RESIDENCE-GARAGE", "", "burglary.residential"},
        {"0630", "RESIDENCE - PORCH / HALLWAY", "", "burglary.residential"},
        {"0620", "CHA APARTMENT", "", "burglary.residential"},
        {"0610", "SMALL RETAIL STORE", "", "burglary.commercial"},
        {"0610", "RESTAURANT", "", "burglary.commercial"},
        {"0620", "SCHOOL, PUBLIC, BUILDING", "", "burglary.commercial"},
        {"0610", "VACANT LOT/LAND", "", "burglary.other"},
        {"0610", "", "", "burglary.other"},
        {"0610", "STREET", "", "burglary.other"},
        {"0650", "STREET", "", "burglary.residential"},
        {"0760", "RESIDENCE-GARAGE", "", "theft"},
        {"0820", "OTHER", "", "theft"},
        {"031A", "SIDEWALK", "", "robbery"},
        {"0110", "STREET", "", "homicide"},
        {"0486", "APARTMENT", "", "assault.simple"},
        {"0560", "STREET", "", "assault.simple"},
        {"041A", "STREET", "", "assault.aggravated"},
        {"0440", "STREET", "", "assault.aggravated"},
        {"0840", "RESIDENCE", "", "fraud"},
        {"1150", "ATM (AUTOMATIC TELLER MACHINE)", "", "fraud"},
        {"143A", "STREET", "", "weapons"},
        {"2027", "SIDEWALK", "", "narcotics"},
        {"1330", "CONVENIENCE STORE", "", "trespass"},
        {"1320", "STREET", "", "criminal_damage"},
        {"0910", "STREET", "", "motor_vehicle_theft"},
        {"0281", "APARTMENT", "", "sexual_assault"},
        {"1563", "RESIDENCE", "", "sex_offense"},
        {"2826", "APARTMENT", "OTHER OFFENSE / HARASSMENT BY ELECTRONIC MEANS", "other"},
        {"5114", "RESIDENCE", "NON-CRIMINAL / FOID - REVOCATION", "other"},
        {"9999", "STREET", "ROBBERY / SOME NEW CODE", "robbery"}, /* fallback by text */
        {"820", "OTHER", "", "other"}, /* a code mangled into a number matches nothing */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *kind = s_kind(profile, cases[i].code, cases[i].place, cases[i].text);
        if (strcmp(kind, cases[i].kind) != 0)
            fail_msg("%s at %s: %s, expected %s", cases[i].code, cases[i].place, kind,
                     cases[i].kind);
    }
    ingest_profile_destroy(&profile);
}

/* The kind each IUCR primary type must map to (codes with a deliberate exception aside). */
static const char *s_expected_kind(const char *code, const char *primary)
{
    static const struct {
        const char *primary, *kind;
    } table[] = {
        {"HOMICIDE", "homicide"},
        {"CRIMINAL SEXUAL ASSAULT", "sexual_assault"},
        {"SEX OFFENSE", "sex_offense"},
        {"ROBBERY", "robbery"},
        {"MOTOR VEHICLE THEFT", "motor_vehicle_theft"},
        {"ARSON", "arson"},
        {"CRIMINAL DAMAGE", "criminal_damage"},
        {"CRIMINAL TRESPASS", "trespass"},
        {"DECEPTIVE PRACTICE", "fraud"},
        {"WEAPONS VIOLATION", "weapons"},
        {"CONCEALED CARRY LICENSE VIOLATION", "weapons"},
        {"NARCOTICS", "narcotics"},
        {"OTHER NARCOTIC VIOLATION", "narcotics"},
        {"RITUALISM", "assault.aggravated"},
        {"GAMBLING", "other"},
        {"PROSTITUTION", "other"},
        {"PUBLIC PEACE VIOLATION", "other"},
        {"INTERFERENCE WITH PUBLIC OFFICER", "other"},
        {"LIQUOR LAW VIOLATION", "other"},
        {"KIDNAPPING", "other"},
        {"STALKING", "other"},
        {"INTIMIDATION", "other"},
    };
    if (!strcmp(code, "0760"))
        return "theft"; /* burglary from motor vehicle */
    if (!strncmp(code, "084", 3))
        return "fraud"; /* financial identity theft */
    if (!strcmp(primary, "THEFT"))
        return "theft";
    if (!strcmp(primary, "BURGLARY"))
        return "burglary.";
    if (!strcmp(primary, "BATTERY") || !strcmp(primary, "ASSAULT"))
        return "assault.";
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(primary, table[i].primary))
            return table[i].kind;
    return NULL; /* no constraint */
}

static void test_iucr_table(void **state)
{
    (void)state;
    /* every code of the City's table, read from the repository's xz copy */
    ingest_profile_t *profile = s_load(PROFILES "chicago-portal-export.yaml");
    char err[256];
    ingest_reader_t *reader = ingest_reader_new(WF_SOURCE_DIR "/data/reference/"
                                                              "chicago_iucr_codes.csv.xz",
                                                1 << 20, NULL, NULL, err, sizeof err);
    if (!reader)
        fail_msg("%s", err);
    ingest_raw_t raw;
    int codes = 0;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1); /* header */
    while (ingest_reader_next(reader, &raw, -1) == 1) {
        char line[256], code[8] = "", primary[64] = "";
        snprintf(line, sizeof line, "%.*s", (int)raw.len, raw.raw);
        if (sscanf(line, "%7[^,],%63[^,]", code, primary) != 2)
            fail_msg("cannot read '%s'", line);
        const char *kind = s_kind(profile, code, "RESIDENCE", "");
        const char *want = s_expected_kind(code, primary);
        bool ok = !want || (want[strlen(want) - 1] == '.' ? !strncmp(kind, want, strlen(want))
                                                          : !strcmp(kind, want));
        if (!ok)
            fail_msg("IUCR %s (%s) is %s, expected %s", code, primary, kind, want);
        codes++;
    }
    assert_int_equal(codes, 434);
    ingest_reader_destroy(&reader);
    ingest_profile_destroy(&profile);
}

static void test_rule_semantics(void **state)
{
    (void)state;
    /* conditions AND across fields, OR within a list; agency and source are testable */
    char path[] = "/tmp/wf-test-kinds-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("source: feed-a\nagency: TST\nformat: csv\ndissemination: public\n"
          "fields: { record_id: id, occurred_at: t }\ntime: { zone: UTC }\nkinds:\n"
          "  - kind: robbery\n    offense_code: [\"R*\", \"X1\"]\n    location_type: STREET\n"
          "  - kind: theft\n    source: \"feed-?\"\n    offense_code: \"T?\"\n"
          "  - kind: fraud\n    agency: OTHER\n"
          "  - kind: trespass\n    beat: \"\"\n"
          "  - kind: other\n",
          f);
    fclose(f);
    ingest_profile_t *profile = s_load(path);
    const char *value[INGEST_FIELD_COUNT];
    for (int i = 0; i < INGEST_FIELD_COUNT; i++)
        value[i] = "";
    value[INGEST_FIELD_BEAT] = "0713";
    value[INGEST_FIELD_OFFENSE_CODE] = "R9";
    assert_string_equal(ingest_kinds_match(profile, value), "other"); /* not on a STREET */
    value[INGEST_FIELD_LOCATION_TYPE] = "STREET";
    assert_string_equal(ingest_kinds_match(profile, value), "robbery");
    value[INGEST_FIELD_OFFENSE_CODE] = "X1";
    assert_string_equal(ingest_kinds_match(profile, value), "robbery");
    value[INGEST_FIELD_OFFENSE_CODE] = "T1";
    assert_string_equal(ingest_kinds_match(profile, value), "theft"); /* source feed-a */
    value[INGEST_FIELD_OFFENSE_CODE] = "t1";                          /* case matters */
    assert_string_equal(ingest_kinds_match(profile, value), "other");
    value[INGEST_FIELD_BEAT] = "";
    assert_string_equal(ingest_kinds_match(profile, value), "trespass"); /* "" matches empty */
    ingest_profile_destroy(&profile);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocabulary),
        cmocka_unit_test(test_rule_semantics),
        cmocka_unit_test(test_chicago_kinds),
        cmocka_unit_test(test_iucr_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
