/* test_ndjson.c — ingest_ndjson: Socrata API JSON rows (tests/data/chicago_2025_sample.ndjson)
 * through the shipped NDJSON profile, value rendering, and the NDJSON rejects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wf/err.h>

#include "ingest_ndjson.h"
#include "ingest_reader.h"

#define DATA    WF_SOURCE_DIR "/tests/data/"
#define PROFILE WF_SOURCE_DIR "/deploy/profiles/chicago-socrata-ndjson.yaml"

typedef struct {
    ingest_profile_t *profile;
    ingest_ndjson_t *ndjson;
    ingest_reader_t *reader;
    ingest_arena_t *arena;
    ingest_row_t row;
    ingest_reject_t reject;
    ingest_raw_t raw;
} s_file_t;

static void s_open(s_file_t *f, const char *path)
{
    char err[512];
    memset(f, 0, sizeof *f);
    f->profile = ingest_profile_load(PROFILE, err, sizeof err);
    if (!f->profile)
        fail_msg("%s", err);
    f->ndjson = ingest_ndjson_new(f->profile);
    f->reader = ingest_reader_new(path, 1 << 20, NULL, NULL, err, sizeof err);
    f->arena = ingest_arena_new(0);
    assert_non_null(f->ndjson);
    assert_non_null(f->reader);
}

static void s_close(s_file_t *f)
{
    ingest_reader_destroy(&f->reader);
    ingest_ndjson_destroy(&f->ndjson);
    ingest_profile_destroy(&f->profile);
    ingest_arena_destroy(&f->arena);
}

static int s_next(s_file_t *f, int64_t line)
{
    memset(&f->reject, 0, sizeof f->reject);
    assert_int_equal(ingest_reader_next(f->reader, &f->raw, -1), 1);
    assert_int_equal(f->raw.line, line);
    return ingest_ndjson_parse(f->ndjson, f->raw.raw, f->raw.len, f->arena, &f->row, &f->reject);
}

static const char *s_attr(const ingest_row_t *row, const char *name)
{
    for (size_t i = 0; i < row->attribute_count; i++)
        if (strcmp(row->attributes[i]->name, name) == 0)
            return row->attributes[i]->value;
    return NULL;
}

static void test_socrata_rows(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, DATA "chicago_2025_sample.ndjson");
    assert_int_equal(s_next(&f, 1), 0);
    const char *const *v = f.row.value;
    assert_string_equal(v[INGEST_FIELD_RECORD_ID], "14019926");
    assert_string_equal(v[INGEST_FIELD_OFFENSE_CODE], "0820");
    assert_string_equal(v[INGEST_FIELD_BEAT], "2221");
    assert_string_equal(v[INGEST_FIELD_DISTRICT], "022");
    assert_string_equal(v[INGEST_FIELD_OFFENSE_TEXT], "THEFT / $500 AND UNDER");
    assert_string_equal(v[INGEST_FIELD_X], "-87.666637175"); /* location.longitude */
    assert_string_equal(v[INGEST_FIELD_Y], "41.733197065");
    assert_string_equal(v[INGEST_FIELD_OCCURRED_AT], "2025-11-03T00:00:00.000");
    /* attributes: the object's order, mapped keys (and "location") left out */
    assert_string_equal(f.row.attributes[0]->name, "arrest");
    assert_string_equal(f.row.attributes[0]->value, "false");
    assert_null(s_attr(&f.row, "location"));
    assert_null(s_attr(&f.row, "iucr"));
    assert_string_equal(s_attr(&f.row, "latitude"), "41.733197065");
    assert_string_equal(s_attr(&f.row, "fbi_code"), "06");
    assert_string_equal(s_attr(&f.row, ":@computed_region_8hcu_yrd4"), "18");
    /* line 8 of the sample has no coordinates at all: absent keys read as empty */
    for (int line = 2; line <= 8; line++)
        assert_int_equal(s_next(&f, line), 0);
    assert_string_equal(f.row.value[INGEST_FIELD_RECORD_ID], "14023607");
    assert_string_equal(f.row.value[INGEST_FIELD_X], "");
    assert_string_equal(f.row.value[INGEST_FIELD_DISTRICT], "024");
    s_close(&f);
}

static void test_malformed(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, DATA "ingest_malformed.ndjson");
    assert_int_equal(s_next(&f, 1), 0);

    assert_int_equal(s_next(&f, 2), WF_EPARSE);
    assert_string_equal(f.reject.code, "bad_json");
    assert_non_null(strstr(f.reject.message, "column"));

    assert_int_equal(s_next(&f, 3), WF_EPARSE);
    assert_string_equal(f.reject.code, "not_an_object");
    assert_non_null(strstr(f.reject.message, "an array"));
    assert_int_equal(s_next(&f, 4), WF_EPARSE);
    assert_string_equal(f.reject.code, "not_an_object");
    assert_non_null(strstr(f.reject.message, "a string"));

    assert_int_equal(s_next(&f, 5), WF_EPARSE);
    assert_string_equal(f.reject.code, "invalid_utf8");

    assert_int_equal(s_next(&f, 6), WF_EPARSE); /* "id" twice */
    assert_string_equal(f.reject.code, "bad_json");
    assert_non_null(strstr(f.reject.message, "duplicate"));

    assert_int_equal(s_next(&f, 7), 0); /* no date: the mapper's business (missing_field) */
    assert_string_equal(f.row.value[INGEST_FIELD_OCCURRED_AT], "");

    assert_int_equal(s_next(&f, 9), 0); /* line 8 is blank */
    assert_int_equal(s_next(&f, 10), 0);
    assert_string_equal(f.row.value[INGEST_FIELD_Y], "abc");
    assert_int_equal(s_next(&f, 11), 0);

    /* line 12: numbers, booleans, nesting */
    assert_int_equal(s_next(&f, 12), 0);
    assert_string_equal(f.row.value[INGEST_FIELD_RECORD_ID], "14019219");
    assert_string_equal(f.row.value[INGEST_FIELD_Y], "41.7"); /* not 41.700000000000003 */
    assert_string_equal(f.row.value[INGEST_FIELD_X], "-87.6");
    assert_string_equal(f.row.value[INGEST_FIELD_OFFENSE_CODE], "031A");
    assert_string_equal(s_attr(&f.row, "arrest"), "true");
    assert_string_equal(s_attr(&f.row, "ward"), "20");
    assert_string_equal(s_attr(&f.row, "score"), "0.1");
    assert_string_equal(s_attr(&f.row, "extra"), "{\"a\":[1,null]}");
    s_close(&f);
}

static void test_paths(void **state)
{
    (void)state;
    s_file_t f;
    s_open(&f, DATA "chicago_2025_sample.ndjson");
    ingest_arena_t *arena = f.arena;
    ingest_row_t row;
    ingest_reject_t reject;
    /* a path through a non-object, or a null, is simply empty */
    const char *doc = "{\"id\":\"1\",\"date\":null,\"location\":\"41.7,-87.6\"}";
    assert_int_equal(ingest_ndjson_parse(f.ndjson, doc, strlen(doc), arena, &row, &reject), 0);
    assert_string_equal(row.value[INGEST_FIELD_OCCURRED_AT], "");
    assert_string_equal(row.value[INGEST_FIELD_X], "");
    assert_int_equal(row.attribute_count, 0);
    /* trailing garbage after the object */
    doc = "{\"id\":\"1\"} x";
    assert_int_equal(ingest_ndjson_parse(f.ndjson, doc, strlen(doc), arena, &row, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "bad_json");
    /* NUL inside the line */
    assert_int_equal(ingest_ndjson_parse(f.ndjson, "{\"id\":\"1\0\"}", 11, arena, &row, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "invalid_utf8");
    s_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socrata_rows),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
