/* test_reference.c — wf-admin's reference files: CSV reading and the NIBRS / hot-list checks.
 *
 * The NIBRS cases read the shipped files (data/reference/nibrs_offense_type.csv.xz with its
 * traps: every value quoted, the "23*" pseudo-code, 90I without a group; and our kind
 * crosswalk); broken variants and hot-list files are written inline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wf/err.h>

#include "admin.h"
#include "admin_csv.h"
#include "admin_reference.h"

#define REFERENCE WF_SOURCE_DIR "/data/reference/"

static admin_csv_t *s_parse(const char *text)
{
    char err[512] = "";
    admin_csv_t *csv = admin_csv_parse(text, strlen(text), err, sizeof err);
    if (!csv)
        fail_msg("%s", err);
    return csv;
}

static const admin_csv_row_t *s_row_with(const admin_csv_t *csv, int col, const char *value)
{
    for (size_t i = 0; i < csv->count; i++)
        if (strcmp(admin_csv_field(&csv->rows[i], col), value) == 0)
            return &csv->rows[i];
    fail_msg("no row with %s", value);
    return NULL;
}

static void test_fbi_offense_table(void **state)
{
    (void)state;
    char err[512] = "";
    admin_csv_t *offenses = admin_csv_load(REFERENCE "nibrs_offense_type.csv.xz", err, sizeof err);
    if (!offenses)
        fail_msg("%s", err);
    assert_int_equal(offenses->count, 86);
    admin_nibrs_offense_cols_t cols;
    assert_int_equal(admin_nibrs_offenses_check(offenses, &cols, err, sizeof err), 0);
    const admin_csv_row_t *burglary = s_row_with(offenses, cols.code, "220");
    assert_string_equal(admin_csv_field(burglary, cols.category), "Burglary/Breaking & Entering");
    assert_string_equal(admin_csv_field(burglary, cols.crime_against), "Property");
    assert_string_equal(admin_csv_field(burglary, cols.fbi_id), "49");
    const admin_csv_row_t *pseudo = s_row_with(offenses, cols.code, "23*");
    assert_int_equal(pseudo->line, 2); /* the header is line 1 */
    assert_string_equal(admin_csv_field(pseudo, cols.name), "Not Specified");
    assert_string_equal(admin_csv_field(s_row_with(offenses, cols.code, "90I"), cols.group), "");

    admin_csv_t *kinds = admin_csv_load(REFERENCE "watchfloor_kind_nibrs.csv", err, sizeof err);
    if (!kinds)
        fail_msg("%s", err);
    admin_nibrs_kind_cols_t kind_cols;
    if (admin_nibrs_kinds_check(kinds, offenses, &cols, &kind_cols, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(kinds->count, 18);
    assert_string_equal(
        admin_csv_field(s_row_with(kinds, kind_cols.kind, "other"), kind_cols.nibrs_code), "");
    assert_string_equal(
        admin_csv_field(s_row_with(kinds, kind_cols.kind, "homicide"), kind_cols.nibrs_code),
        "09A");
    admin_csv_destroy(&kinds);

    /* a crosswalk naming a code the FBI table lacks, and a kind twice */
    kinds = s_parse("kind,nibrs_code\nhomicide,09A\narson,999\nhomicide,09B\n");
    assert_int_equal(admin_nibrs_kinds_check(kinds, offenses, &cols, &kind_cols, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "line 3: kind 'arson' maps to NIBRS code '999'"));
    assert_non_null(strstr(err, "line 4: kind 'homicide' again (first on line 2)"));
    admin_csv_destroy(&kinds);
    admin_csv_destroy(&offenses);
}

static void test_offense_table_refusals(void **state)
{
    (void)state;
    char err[512] = "";
    admin_nibrs_offense_cols_t cols;
    admin_csv_t *csv = s_parse("OFFENSE_CODE,OFFENSE_NAME\n220,Burglary\n");
    assert_int_equal(admin_nibrs_offenses_check(csv, &cols, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "no column OFFENSE_CATEGORY_NAME"));
    admin_csv_destroy(&csv);
    csv = s_parse("OFFENSE_TYPE_ID,OFFENSE_CODE,OFFENSE_NAME,CRIME_AGAINST,OFFENSE_CATEGORY_NAME\n"
                  "49,220,Burglary,Property,Burglary\n"
                  "x,13A,Aggravated Assault,Persons,Assault Offenses\n"
                  "51,220,Again,Property,Burglary\n");
    assert_int_equal(admin_nibrs_offenses_check(csv, &cols, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "line 3: CRIME_AGAINST 'Persons'"));
    assert_non_null(strstr(err, "line 3: OFFENSE_TYPE_ID 'x'"));
    assert_non_null(strstr(err, "line 4: NIBRS code '220' again (first on line 2)"));
    admin_csv_destroy(&csv);

    admin_nibrs_agency_cols_t agency_cols;
    csv = s_parse("offense_code,nibrs_code,notes\n0860,23C,retail\n0141,,x\n0860,23H,\n");
    assert_int_equal(admin_nibrs_agency_check(csv, &agency_cols, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "line 3: offense_code and nibrs_code are required"));
    assert_non_null(strstr(err, "line 4: offense code '0860' again"));
    admin_csv_destroy(&csv);
}

static void test_csv_reading(void **state)
{
    (void)state;
    char err[512] = "";
    /* quoted fields across lines keep the line the row began on; blank lines are skipped */
    admin_csv_t *csv = s_parse("Value,Reason\r\nABC1,\"two\nlines\"\n\nXYZ2,plain\n");
    assert_int_equal(csv->count, 2);
    assert_int_equal(admin_csv_column(csv, "value"), 0); /* any case */
    assert_int_equal(admin_csv_column(csv, "missing"), -1);
    assert_string_equal(admin_csv_field(&csv->rows[0], 1), "two\nlines");
    assert_int_equal(csv->rows[1].line, 5);
    assert_string_equal(admin_csv_field(&csv->rows[1], 7), ""); /* beyond the row */
    admin_csv_destroy(&csv);
    csv = s_parse("\xef\xbb\xbfvalue\r\nABC1\r\n"); /* a spreadsheet's BOM is not a name */
    assert_int_equal(admin_csv_column(csv, "value"), 0);
    assert_int_equal(csv->count, 1);
    admin_csv_destroy(&csv);
    assert_null(admin_csv_parse("", 0, err, sizeof err));
    assert_non_null(strstr(err, "header row is required"));
    const char *open_quote = "a,b\n1,\"open\n";
    assert_null(admin_csv_parse(open_quote, strlen(open_quote), err, sizeof err));
    assert_non_null(strstr(err, "line"));
    const char *stray_quote = "a,b\n1,x\"y\n";
    assert_null(admin_csv_parse(stray_quote, strlen(stray_quote), err, sizeof err)); /* strict */
    assert_non_null(strstr(err, "line 2"));
    assert_null(admin_csv_load(WF_SOURCE_DIR "/tests/data/no-such-file.csv", err, sizeof err));
    assert_non_null(strstr(err, "no-such-file.csv"));
    /* a corrupt .xz is refused, not half-read */
    assert_null(admin_csv_load(WF_SOURCE_DIR "/tests/data/admin_boundaries_truncated.geojson.xz",
                               err, sizeof err));
    assert_non_null(strstr(err, "corrupt or truncated"));
}

static void test_hotlist_entries(void **state)
{
    (void)state;
    char err[1024] = "";
    admin_csv_t *csv = s_parse("value,entry_type,entry_id,agency,reason,expires_at,added_at\n"
                               "abc-1234,plate,NCIC-1,CPD,stolen,2027-01-01,\n"
                               "\"Doe, John\",person,W-1,CPD,warrant,,2026-05-01T08:00:00Z\n"
                               "xyz 987,,,,,2026-12-31 23:59:59.5+01:00,\n");
    admin_hotlist_entry_t *entries = NULL;
    size_t count = 0;
    if (admin_hotlist_entries(csv, "plate", &entries, &count, err, sizeof err))
        fail_msg("%s", err);
    assert_int_equal(count, 3);
    assert_string_equal(entries[0].value_norm, "ABC1234");
    assert_string_equal(entries[0].value, "abc-1234");
    assert_string_equal(entries[0].expires_at, "2027-01-01");
    assert_null(entries[0].added_at);
    assert_string_equal(entries[1].entry_type, "person");
    assert_string_equal(entries[1].value_norm, "DOE JOHN");
    assert_string_equal(entries[2].entry_type, "plate"); /* the default for an empty cell */
    assert_null(entries[2].entry_id);
    assert_int_equal(entries[2].line, 4);
    free(entries);
    admin_csv_destroy(&csv);

    /* every bad row is named; nothing is returned */
    csv = s_parse("value,type,expires_at\n"
                  "---,plate,\n"
                  "ABC1234,car,\n"
                  "abc-1234,plate,2025-13-01\n"
                  "ABC 1234,plate,\n"
                  "Doe John,person,tomorrow\n");
    assert_int_equal(admin_hotlist_entries(csv, "plate", &entries, &count, err, sizeof err),
                     WF_EINVAL);
    assert_null(entries);
    assert_int_equal(count, 0);
    assert_non_null(strstr(err, "line 2: value '---' has no letter or digit"));
    assert_non_null(strstr(err, "line 3: entry type 'car' is not plate or person"));
    assert_non_null(strstr(err, "line 4: expires_at '2025-13-01'"));
    assert_non_null(strstr(err, "line 5: entry 'plate ABC1234' again (first on line 4)"));
    assert_non_null(strstr(err, "line 6: expires_at 'tomorrow'"));
    admin_csv_destroy(&csv);

    /* a misspelt column must not silently drop a field */
    csv = s_parse("value,expires\nABC1234,2027-01-01\n");
    assert_int_equal(admin_hotlist_entries(csv, "plate", &entries, &count, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "unknown column 'expires'"));
    admin_csv_destroy(&csv);
    csv = s_parse("plate\nABC1234\n");
    assert_int_equal(admin_hotlist_entries(csv, "plate", &entries, &count, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "no column value"));
    admin_csv_destroy(&csv);
}

static void test_time_forms(void **state)
{
    (void)state;
    const char *good[] = {"2027-01-01",          "2027-01-01T00:00",
                          "2027-01-01 23:59:59", "2027-01-01T08:00:00Z",
                          "2027-01-01T08:00+01", "2024-02-29T08:00:00.25-05:30"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(admin_time_is_valid(good[i]));
    const char *bad[] = {"2027-1-1",    "2025-02-29",           "2027-01-01T24:00", "2027-01-01T08",
                         "2027-01-01Z", "2027-01-01T08:00:00X", "tomorrow",         ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(admin_time_is_valid(bad[i]));
}

static void test_command_lines(void **state)
{
    (void)state;
    char err[256];
    admin_reference_args_t args;
    char *load[] = {"nibrs", "load", "--offense-types", "o.csv.xz", "--kinds=k.csv", NULL};
    assert_int_equal(admin_nibrs_args_parse(5, load, &args, err, sizeof err), 0);
    assert_string_equal(args.offense_types, "o.csv.xz");
    assert_string_equal(args.kinds, "k.csv");
    char *load_half[] = {"nibrs", "load", "--kinds", "k.csv", NULL};
    assert_int_equal(admin_nibrs_args_parse(4, load_half, &args, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "--offense-types"));
    char *agency[] = {"nibrs", "agency-codes", "CPD", "codes.csv", NULL};
    assert_int_equal(admin_nibrs_args_parse(4, agency, &args, err, sizeof err), 0);
    assert_string_equal(args.agency, "CPD");
    assert_string_equal(args.file, "codes.csv");
    char *import[] = {"hotlist", "import", "--append", "wanted", "w.csv", "--type", "person", NULL};
    assert_int_equal(admin_hotlist_args_parse(7, import, &args, err, sizeof err), 0);
    assert_string_equal(args.list, "wanted");
    assert_string_equal(args.file, "w.csv");
    assert_string_equal(args.type, "person");
    assert_true(args.append);
    char *import_bad[] = {"hotlist", "import", "stolen", "s.csv", "--type", "car", NULL};
    assert_int_equal(admin_hotlist_args_parse(6, import_bad, &args, err, sizeof err), WF_EINVAL);
    char *list[] = {"hotlist", "list", NULL};
    assert_int_equal(admin_hotlist_args_parse(2, list, &args, err, sizeof err), 0);
    assert_null(args.list);
    char *remove[] = {"hotlist", "remove", "stolen", "ABC1234", "XYZ987", NULL};
    assert_int_equal(admin_hotlist_args_parse(5, remove, &args, err, sizeof err), 0);
    assert_int_equal(args.nvalues, 2);
    assert_string_equal(args.values[1], "XYZ987");
    char *remove_none[] = {"hotlist", "remove", NULL};
    assert_int_equal(admin_hotlist_args_parse(2, remove_none, &args, err, sizeof err), WF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fbi_offense_table), cmocka_unit_test(test_offense_table_refusals),
        cmocka_unit_test(test_csv_reading),       cmocka_unit_test(test_hotlist_entries),
        cmocka_unit_test(test_time_forms),        cmocka_unit_test(test_command_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
