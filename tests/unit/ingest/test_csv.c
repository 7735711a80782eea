/* test_csv.c — ingest_csv: real Chicago rows through the shipped profiles (codes stay text,
 * duplicate and empty header names), and every CSV reject (bad_quoting, field_count,
 * invalid_utf8, header_mismatch).
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <wf/err.h>

#include "ingest_csv.h"
#include "ingest_reader.h"

#define DATA     WF_SOURCE_DIR "/tests/data/"
#define PROFILES WF_SOURCE_DIR "/deploy/profiles/"

/* A file read through a profile, record by record. */
typedef struct {
    ingest_profile_t *profile;
    ingest_csv_t *csv;
    ingest_reader_t *reader;
    ingest_arena_t *arena;
    ingest_row_t row;
    ingest_reject_t reject;
    ingest_raw_t raw;
} s_file_t;

static void s_open(s_file_t *f, const char *profile, const char *path)
{
    char err[512];
    memset(f, 0, sizeof *f);
    f->profile = ingest_profile_load(profile, err, sizeof err);
    if (!f->profile)
        fail_msg("%s", err);
    f->csv = ingest_csv_new(f->profile);
    f->reader = ingest_reader_new(path, 1 << 20, ingest_csv_line_complete, f->csv, err, sizeof err);
    f->arena = ingest_arena_new(0);
    assert_non_null(f->csv);
    assert_non_null(f->reader);
}

static void s_close(s_file_t *f)
{
    ingest_reader_destroy(&f->reader);
    ingest_csv_destroy(&f->csv);
    ingest_profile_destroy(&f->profile);
    ingest_arena_destroy(&f->arena);
}

/* Next record: header records are bound on the way. Returns the parse result. */
static int s_next(s_file_t *f)
{
    memset(&f->reject, 0, sizeof f->reject);
    if (ingest_reader_next(f->reader, &f->raw, -1) != 1)
        fail_msg("no more records");
    if (ingest_csv_needs_header(f->csv)) {
        int rc = ingest_csv_header(f->csv, f->raw.raw, f->raw.len, &f->reject);
        if (rc)
            return rc;
        if (ingest_reader_next(f->reader, &f->raw, -1) != 1)
            fail_msg("no record after the header");
    }
    return ingest_csv_parse(f->csv, f->raw.raw, f->raw.len, f->arena, &f->row, &f->reject);
}

static void s_next_ok(s_file_t *f)
{
    if (s_next(f) != 0)
        fail_msg("line %lld rejected: %s %s", (long long)f->raw.line, f->reject.code,
                 f->reject.message);
}

static const char *s_attr(const ingest_row_t *row, const char *name)
{
    for (size_t i = 0; i < row->attribute_count; i++)
        if (strcmp(row->attributes[i]->name, name) == 0)
            return row->attributes[i]->value;
    return NULL;
}

static void test_portal_export_rows(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, PROFILES "chicago-portal-export.yaml", DATA "chicago_2014_sample.csv");
    s_next_ok(&f); /* line 2: no coordinates, no district */
    const char *const *v = f.row.value;
    assert_int_equal(f.raw.line, 2);
    assert_string_equal(v[INGEST_FIELD_RECORD_ID], "9567561");
    assert_string_equal(v[INGEST_FIELD_OFFENSE_CODE], "0820"); /* not 820 */
    assert_string_equal(v[INGEST_FIELD_BEAT], "0713");         /* not 713 */
    assert_string_equal(v[INGEST_FIELD_DISTRICT], "");
    assert_string_equal(v[INGEST_FIELD_X], "");
    assert_string_equal(v[INGEST_FIELD_OCCURRED_AT], "03/15/2014 12:00:00 AM");
    assert_string_equal(v[INGEST_FIELD_OFFENSE_TEXT], "THEFT / $500 AND UNDER");
    assert_string_equal(v[INGEST_FIELD_LOCATION_TYPE], "OTHER");
    assert_string_equal(v[INGEST_FIELD_INCIDENT_NUMBER], "HX218162");
    /* unmapped columns in source order, empty ones skipped */
    static const char *const names[] = {"Arrest",         "Domestic", "Ward",
                                        "Community Area", "FBI Code", "Year"};
    assert_int_equal(f.row.attribute_count, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(f.row.attributes[i]->name, names[i]);
    assert_string_equal(s_attr(&f.row, "FBI Code"), "06");

    s_next_ok(&f); /* line 3: the DIVERSEY row */
    assert_string_equal(v[INGEST_FIELD_X], "1155318");
    assert_string_equal(v[INGEST_FIELD_Y], "1918413");
    assert_string_equal(v[INGEST_FIELD_DISTRICT], "014");
    assert_string_equal(v[INGEST_FIELD_ADDRESS], "030XX W DIVERSEY AVE");
    assert_string_equal(s_attr(&f.row, "Location"), "(41.93193179666549, -87.70464452726821)");
    assert_int_equal(f.row.attribute_count, 9);
    assert_int_equal(ingest_csv_column_count(f.csv), 22);
    s_close(&f);
}

static void test_socrata_layouts(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, PROFILES "chicago-socrata-api.yaml", DATA "chicago_2025_sample.csv");
    s_next_ok(&f);
    assert_string_equal(f.row.value[INGEST_FIELD_RECORD_ID], "14019926");
    assert_string_equal(f.row.value[INGEST_FIELD_BEAT], "2221");
    assert_string_equal(f.row.value[INGEST_FIELD_X], "-87.666637175");
    assert_string_equal(s_attr(&f.row, ":@computed_region_awaf_s7ux"), "18");
    assert_non_null(strstr(s_attr(&f.row, "location"), "'human_address'"));
    s_close(&f);

    /* 2018: two columns named id; the record id is the last, the first (#1) is ignored */
    s_open(&f, PROFILES "chicago-socrata-alpha.yaml", DATA "chicago_2018_sample.csv");
    s_next_ok(&f);
    assert_string_equal(f.row.value[INGEST_FIELD_RECORD_ID], "11198036");
    assert_string_equal(f.row.value[INGEST_FIELD_BEAT], "0726");
    assert_string_equal(f.row.value[INGEST_FIELD_OFFENSE_CODE], "1320");
    assert_null(s_attr(&f.row, "id"));
    assert_string_equal(s_attr(&f.row, "c_tract"), "6705001052");
    s_next_ok(&f);
    assert_string_equal(f.row.value[INGEST_FIELD_OFFENSE_CODE], "143A");
    s_close(&f);

    /* 2017: the first header is empty; same profile */
    s_open(&f, PROFILES "chicago-socrata-alpha.yaml", DATA "chicago_2017_sample.csv");
    s_next_ok(&f);
    assert_string_equal(f.row.value[INGEST_FIELD_RECORD_ID], "11198217");
    assert_string_equal(f.row.value[INGEST_FIELD_BEAT], "0732");
    assert_null(s_attr(&f.row, "column_1"));
    s_close(&f);
}

static char s_dir[64];

static const char *s_profile(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
    return path;
}

static void test_attribute_names(void **state)
{
    (void)state;
    /* without ignore: the 2017 index column is "column_1"; in 2018 the first id is "id" and,
     * when the first one is mapped, the second becomes "id#2" */
    const char *p =
        s_profile("alpha-raw.yaml", "source: t\nagency: CPD\nformat: csv\ndissemination: public\n"
                                    "fields: { record_id: \"id#1\", occurred_at: date }\n"
                                    "time: { zone: America/Chicago }\nkinds: [ {kind: other} ]\n");
    s_file_t f;
    s_open(&f, p, DATA "chicago_2017_sample.csv");
    s_next_ok(&f);
    assert_string_equal(f.row.attributes[0]->name, "column_1");
    assert_string_equal(f.row.attributes[0]->value, "0");
    s_close(&f);
    s_open(&f, p, DATA "chicago_2018_sample.csv");
    s_next_ok(&f);
    assert_string_equal(f.row.value[INGEST_FIELD_RECORD_ID], "0"); /* the pandas index */
    assert_string_equal(s_attr(&f.row, "id#2"), "11198036");
    s_close(&f);

    /* an unqualified name that two columns share does not bind */
    p = s_profile("alpha-ambiguous.yaml",
                  "source: t\nagency: CPD\nformat: csv\ndissemination: public\n"
                  "fields: { record_id: id, occurred_at: date }\n"
                  "time: { zone: America/Chicago }\nkinds: [ {kind: other} ]\n");
    s_open(&f, p, DATA "chicago_2018_sample.csv");
    assert_int_equal(s_next(&f), WF_EPARSE);
    assert_string_equal(f.reject.code, "header_mismatch");
    assert_non_null(strstr(f.reject.message, "2 columns are named 'id'"));
    assert_non_null(strstr(f.reject.message, "alpha-ambiguous.yaml:5:"));
    s_close(&f);
}

static void test_header_mismatch(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, PROFILES "chicago-portal-export.yaml", DATA "ingest_header_mismatch.csv");
    assert_int_equal(s_next(&f), WF_EPARSE); /* the header itself */
    assert_string_equal(f.reject.code, "header_mismatch");
    assert_non_null(strstr(f.reject.message, "no column named 'IUCR'"));
    for (int i = 0; i < 2; i++) { /* and every record after it, so none vanishes */
        assert_int_equal(s_next(&f), WF_EPARSE);
        assert_string_equal(f.reject.code, "header_mismatch");
    }
    s_close(&f);
}

static void test_field_count(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, PROFILES "chicago-portal-export.yaml", DATA "ingest_truncated_line.csv");
    s_next_ok(&f);
    assert_int_equal(s_next(&f), WF_EPARSE);
    assert_int_equal(f.raw.line, 3);
    assert_string_equal(f.reject.code, "field_count");
    assert_string_equal(f.reject.message, "expected 22 fields, got 5");
    s_next_ok(&f);
    assert_int_equal(f.raw.line, 4);
    s_close(&f);
}

static void test_bad_quoting(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, PROFILES "chicago-portal-export.yaml", DATA "ingest_bad_quoting.csv");
    s_next_ok(&f);
    assert_int_equal(s_next(&f), WF_EPARSE); /* 106XX S "GREEN ST */
    assert_string_equal(f.reject.code, "bad_quoting");
    assert_int_equal(f.raw.line, 3);
    s_next_ok(&f); /* the parser recovers from the error state */
    assert_string_equal(f.row.value[INGEST_FIELD_RECORD_ID], "9531700");
    s_close(&f);

    ingest_reject_t reject;
    s_open(&f, PROFILES "chicago-portal-export.yaml", DATA "chicago_2014_sample.csv");
    s_next_ok(&f);
    const char cr[] = "1,a\rb,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20";
    assert_int_equal(ingest_csv_parse(f.csv, cr, sizeof cr - 1, f.arena, &f.row, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "bad_quoting");
    assert_non_null(strstr(reject.message, "carriage return"));
    s_close(&f);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, PROFILES "chicago-portal-export.yaml", DATA "ingest_invalid_utf8.csv");
    assert_int_equal(s_next(&f), WF_EPARSE);
    assert_string_equal(f.reject.code, "invalid_utf8");
    assert_string_equal(f.reject.field, "Block");
    s_next_ok(&f);
    assert_int_equal(s_next(&f), WF_EPARSE);
    assert_string_equal(f.reject.field, "Description");
    assert_int_equal(s_next(&f), WF_EPARSE); /* Latin-1 */
    s_next_ok(&f);                           /* real UTF-8 passes */
    assert_string_equal(f.row.value[INGEST_FIELD_ADDRESS], "033XX W CA\xC3\x91ON ST");
    s_close(&f);
}

static void test_multiline_field(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, PROFILES "chicago-portal-export.yaml", DATA "ingest_multiline.csv");
    s_next_ok(&f);
    assert_string_equal(f.row.value[INGEST_FIELD_OFFENSE_TEXT],
                        "THEFT / $500 AND UNDER\nSECOND LINE OF A \"QUOTED\" NOTE");
    s_next_ok(&f);
    assert_int_equal(f.raw.line, 4);
    s_close(&f);
}

static void test_headerless(void **state)
{
    (void)state;
    const char *p = s_profile("headerless.yaml",
                              "source: t\nagency: A\nformat: csv\ndissemination: public\n"
                              "csv: { delimiter: \";\", header: false }\n"
                              "fields: { record_id: \"#1\", occurred_at: \"#3\", beat: \"#2\" }\n"
                              "time: { zone: UTC }\nkinds: [ {kind: other} ]\n");
    char err[256];
    ingest_profile_t *profile = ingest_profile_load(p, err, sizeof err);
    assert_non_null(profile);
    ingest_csv_t *csv = ingest_csv_new(profile);
    ingest_arena_t *arena = ingest_arena_new(0);
    ingest_row_t row;
    ingest_reject_t reject;
    assert_false(ingest_csv_needs_header(csv));
    assert_int_equal(ingest_csv_parse(csv, "7;0713;2014-03-15 00:00;x", 25, arena, &row, &reject),
                     0);
    assert_string_equal(row.value[INGEST_FIELD_BEAT], "0713");
    assert_string_equal(row.attributes[0]->name, "column_4");
    assert_int_equal(ingest_csv_parse(csv, "8;0714", 6, arena, &row, &reject), WF_EPARSE);
    assert_string_equal(reject.code, "field_count");
    assert_string_equal(reject.message, "expected 4 fields, got 2");
    ingest_arena_destroy(&arena);
    ingest_csv_destroy(&csv);
    ingest_profile_destroy(&profile);
}

static void test_line_complete(void **state)
{
    (void)state;
    char err[256];
    ingest_profile_t *profile =
        ingest_profile_load(PROFILES "chicago-portal-export.yaml", err, sizeof err);
    ingest_csv_t *csv = ingest_csv_new(profile);
    static const struct {
        const char *line;
        bool first, complete;
    } steps[] = {
        {"a,b,c", true, true},
        {"a,\"b", true, false},    /* quoted field open … */
        {"still b", false, false}, /* … across a line … */
        {"end\",d", false, true},  /* … closed */
        {"a,b\"c,d", true, true},  /* quote inside an unquoted field: not an opening */
        {"\"a\"\"", true, false},  /* "" is an escaped quote: still open */
        {"\"a\"\"\"", true, true},
        {"x, \"open", true, false}, /* blanks before the quote are skipped */
        {"\"\"", true, true},
        {"\"(41.9, -87.7)\"", true, true},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        bool got =
            ingest_csv_line_complete(csv, steps[i].line, strlen(steps[i].line), steps[i].first);
        if (got != steps[i].complete)
            fail_msg("step %zu (%s): got %d", i, steps[i].line, got);
    }
    ingest_csv_destroy(&csv);
    ingest_profile_destroy(&profile);
}

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/wf-test-csv-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portal_export_rows), cmocka_unit_test(test_socrata_layouts),
        cmocka_unit_test(test_attribute_names),    cmocka_unit_test(test_header_mismatch),
        cmocka_unit_test(test_field_count),        cmocka_unit_test(test_bad_quoting),
        cmocka_unit_test(test_invalid_utf8),       cmocka_unit_test(test_multiline_field),
        cmocka_unit_test(test_headerless),         cmocka_unit_test(test_line_complete),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
