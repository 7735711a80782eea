/* test_geojson.c — reading boundary polygons from GeoJSON, plain and .xz.
 *
 * Uses the real Chicago files shipped in data/chicago/boundaries (their traps: 277 beat
 * polygons for 275 beats, district 31 in three pieces, district numbers not zero-padded) and
 * small fixtures in tests/data/admin_* for the failure cases.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "admin.h"

#define BOUNDARIES WF_SOURCE_DIR "/data/chicago/boundaries/"
#define FIXTURES   WF_SOURCE_DIR "/tests/data/"

static const admin_feature_t *s_find(const admin_features_t *features, const char *code, size_t nth)
{
    for (size_t i = 0; i < features->count; i++)
        if (strcmp(features->items[i].code, code) == 0 && nth-- == 0)
            return &features->items[i];
    return NULL;
}

static void test_chicago_districts_xz(void **state)
{
    (void)state;
    admin_feature_spec_t spec = {"dist_num", NULL, "dist_label", 3, 0};
    char err[512] = "";
    admin_features_t *features =
        admin_geojson_load(BOUNDARIES "police_districts.geojson.xz", &spec, err, sizeof err);
    if (!features)
        fail_msg("%s", err);
    assert_int_equal(features->count, 25);
    assert_int_equal(admin_features_distinct_codes(features), 23);
    for (size_t i = 0; i < features->count; i++) {
        assert_int_equal(features->items[i].index, i);
        assert_int_equal(strlen(features->items[i].code), 3);
        assert_null(features->items[i].parent_code);
        assert_memory_equal(features->items[i].geometry, "{\"type\":\"MultiPolygon\"", 22);
    }
    const admin_feature_t *seventh = s_find(features, "007", 0);
    assert_non_null(seventh);
    assert_string_equal(seventh->name, "7TH");
    assert_non_null(strstr(seventh->properties, "\"dist_num\":\"7\""));
    /* district 31 comes as three separate features: 2, 3 and 7 */
    assert_int_equal(s_find(features, "031", 0)->index, 2);
    assert_int_equal(s_find(features, "031", 1)->index, 3);
    assert_int_equal(s_find(features, "031", 2)->index, 7);
    assert_null(s_find(features, "013", 0)); /* there is no district 13 */
    admin_features_destroy(&features);
    assert_null(features);
    admin_features_destroy(&features);
}

static void test_chicago_beats_with_parents(void **state)
{
    (void)state;
    admin_feature_spec_t spec = {"BEAT_NUM", "DISTRICT", NULL, 4, 3};
    char err[512] = "";
    admin_features_t *features =
        admin_geojson_load(BOUNDARIES "police_beats.geojson.xz", &spec, err, sizeof err);
    if (!features)
        fail_msg("%s", err);
    assert_int_equal(features->count, 277);
    assert_int_equal(admin_features_distinct_codes(features), 275);
    for (size_t i = 0; i < features->count; i++) {
        const admin_feature_t *f = &features->items[i];
        assert_int_equal(strlen(f->code), 4);
        assert_int_equal(strlen(f->parent_code), 3);
        /* a Chicago beat's first two digits are its district */
        assert_int_equal(f->parent_code[0], '0');
        assert_memory_equal(f->parent_code + 1, f->code, 2);
        assert_null(f->name);
        assert_memory_equal(f->geometry, "{\"type\":\"Polygon\"", 17);
    }
    assert_string_equal(s_find(features, "0713", 0)->parent_code, "007");
    assert_non_null(s_find(features, "3100", 2)); /* beat 3100: three polygons */
    admin_features_destroy(&features);
}

static void test_plain_file_numbers_and_names(void **state)
{
    (void)state;
    admin_feature_spec_t spec = {"code", "parent", "label", 3, 2};
    char err[512] = "";
    admin_features_t *features =
        admin_geojson_load(FIXTURES "admin_boundaries_repair.geojson", &spec, err, sizeof err);
    if (!features)
        fail_msg("%s", err);
    assert_int_equal(features->count, 3);
    assert_int_equal(admin_features_distinct_codes(features), 2);
    assert_string_equal(features->items[0].code, "007");
    assert_string_equal(features->items[0].parent_code, "01"); /* JSON number 1 */
    assert_string_equal(features->items[0].name, "Seventh west");
    assert_string_equal(features->items[2].code, "007"); /* JSON number 7 */
    assert_string_equal(features->items[1].code, "008");
    /* coordinates survive the round trip to text bit for bit (jansson writes 17 digits) */
    json_t *geometry = json_loads(features->items[0].geometry, 0, NULL);
    json_t *corner = json_array_get(json_array_get(json_object_get(geometry, "coordinates"), 0), 0);
    assert_true(json_real_value(json_array_get(corner, 0)) == -87.66);
    assert_true(json_real_value(json_array_get(corner, 1)) == 41.77);
    json_decref(geometry);
    assert_non_null(strstr(features->items[1].properties, "\"label\":\"Bow tie\""));
    admin_features_destroy(&features);
}

static void test_missing_code_names_the_feature(void **state)
{
    (void)state;
    admin_feature_spec_t spec = {"code", NULL, NULL, 3, 0};
    char err[512] = "";
    assert_null(
        admin_geojson_load(FIXTURES "admin_boundaries_nocode.geojson", &spec, err, sizeof err));
    assert_non_null(strstr(err, "admin_boundaries_nocode.geojson: feature 1: no code in "
                                "property \"code\""));
    /* a parent field that is absent is just as much an error */
    admin_feature_spec_t parent = {"BEAT_NUM", "DIST", NULL, 4, 3};
    assert_null(admin_geojson_load(BOUNDARIES "police_beats_simplified.geojson.xz", &parent, err,
                                   sizeof err));
    assert_non_null(strstr(err, "feature 0: no code in property \"DIST\""));
}

static void test_bad_files(void **state)
{
    (void)state;
    admin_feature_spec_t spec = {"code", NULL, NULL, 0, 0};
    char err[512] = "";
    assert_null(admin_geojson_load(FIXTURES "admin_boundaries_truncated.geojson.xz", &spec, err,
                                   sizeof err));
    assert_non_null(strstr(err, "truncated xz data"));
    assert_null(admin_geojson_load(FIXTURES "admin_no_such_file.geojson", &spec, err, sizeof err));
    assert_non_null(strstr(err, "No such file"));
    /* a file that is not JSON at all */
    assert_null(
        admin_geojson_load(WF_SOURCE_DIR "/data/chicago/SOURCES.md", &spec, err, sizeof err));
    assert_non_null(strstr(err, "line 1"));
}

static void test_bad_documents(void **state)
{
    (void)state;
    admin_feature_spec_t spec = {"code", NULL, NULL, 3, 0};
    char err[512];
    struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"{\"type\":\"Feature\"}", "not a GeoJSON FeatureCollection"},
        {"{\"type\":\"FeatureCollection\"}", "not a GeoJSON FeatureCollection"},
        {"{\"type\":\"FeatureCollection\",\"features\":[}", "line 1 column"},
        {"{\"type\":\"FeatureCollection\",\"features\":[7]}", "feature 0: not a JSON object"},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"code\":\"7\"},"
         "\"geometry\":{\"type\":\"Point\",\"coordinates\":[0,0]}}]}",
         "feature 0 (code 007): geometry is Point"},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"code\":\"7\"},"
         "\"geometry\":null}]}",
         "geometry is missing"},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"code\":7.5},"
         "\"geometry\":null}]}",
         "feature 0: no code"},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"code\":\" \"},"
         "\"geometry\":null}]}",
         "feature 0: no code"},
        {"{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":null,"
         "\"geometry\":null}]}",
         "feature 0: no code"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        if (admin_geojson_parse(cases[i].text, &spec, err, sizeof err))
            fail_msg("case %zu was accepted", i);
        if (!strstr(err, cases[i].needle))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].needle);
    }
    admin_features_t *empty = admin_geojson_parse(
        "{\"type\":\"FeatureCollection\",\"features\":[]}", &spec, err, sizeof err);
    assert_non_null(empty);
    assert_int_equal(empty->count, 0);
    assert_int_equal(admin_features_distinct_codes(empty), 0);
    admin_features_destroy(&empty);
    admin_features_t *real = admin_geojson_parse(
        "{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"code\":7.0},"
        "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[]}}]}",
        &spec, err, sizeof err);
    assert_non_null(real);
    assert_string_equal(real->items[0].code, "007");
    assert_string_equal(real->items[0].properties, "{\"code\":7.0}");
    admin_features_destroy(&real);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chicago_districts_xz),
        cmocka_unit_test(test_chicago_beats_with_parents),
        cmocka_unit_test(test_plain_file_numbers_and_names),
        cmocka_unit_test(test_missing_code_names_the_feature),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_bad_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
