/* test_areas.c — enrich_areas against real Chicago police beats and districts.
 *
 * Two groups. The fixture group always runs: tests/data/enrich_beats_sample.geojson.xz holds six
 * real features of police_beats.geojson (beats 1713 and 2031, which share a boundary; lakefront
 * beat 1834; beat 3100 in three features) and enrich_districts_sample.geojson.xz the three
 * features of district 31 (see tests/data/enrich_fixtures.md). The full group loads all 277 beat
 * and 25 district features and checks the 2014 incident rows; it is skipped when the Chicago
 * files are absent. Coordinates below are real vertices and real incident locations.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <geos_c.h>

#include <wf/err.h>

#include "enrich_areas.h"
#include "enrich_testdata.h"

#define FIXTURE_DIR WF_SOURCE_DIR "/tests/data/"

/* A vertex shared by beats 1713 (district 17) and 2031 (district 20), exactly. */
static const double TIE_LON = -87.70472499089567, TIE_LAT = 41.975766640551974;
/* The easternmost vertex of beat 1834 (Navy Pier), and a point 0.0002° further east (lake). */
static const double PIER_LON = -87.59852438703842, PIER_LAT = 41.89145028835144;

static enrich_areas_t *s_fixture_areas(double max_tolerance_m, int district_pad)
{
    enrich_areas_t *areas = enrich_areas_new();
    assert_non_null(areas);
    assert_int_equal(enrich_testdata_load_geojson(areas, ENRICH_LAYER_BEAT,
                                                  FIXTURE_DIR "enrich_beats_sample.geojson.xz",
                                                  "BEAT_NUM", "DISTRICT", 0),
                     6);
    assert_int_equal(enrich_testdata_load_geojson(areas, ENRICH_LAYER_DISTRICT,
                                                  FIXTURE_DIR "enrich_districts_sample.geojson.xz",
                                                  "dist_num", NULL, district_pad),
                     3);
    char err[256] = "";
    assert_int_equal(enrich_areas_build(areas, max_tolerance_m, err, sizeof err), 0);
    return areas;
}

static void s_expect(enrich_areas_t *areas, enrich_layer_t layer, double lon, double lat,
                     const char *hint, double tolerance_m, const char *code, Wf__AreaMethod method)
{
    enrich_area_match_t match;
    enrich_areas_lookup(areas, layer, lon, lat, hint, tolerance_m, &match);
    if (code) {
        assert_non_null(match.code);
        assert_string_equal(match.code, code);
    } else {
        assert_null(match.code);
    }
    assert_int_equal(match.method, method);
}

static void test_parts_merge_into_one_area(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_fixture_areas(30, 0);
    /* six beat features, four beats; three district-31 features, one district */
    assert_int_equal(enrich_areas_count(areas, ENRICH_LAYER_BEAT), 4);
    assert_int_equal(enrich_areas_count(areas, ENRICH_LAYER_DISTRICT), 1);
    /* a point inside each of beat 3100's parts (GEOSPointOnSurface of each feature) */
    static const double parts[3][2] = {{-87.8117300340, 41.9638032651},
                                       {-87.8263136637, 41.9798868459},
                                       {-87.6935644147, 41.6953277966}};
    for (int i = 0; i < 3; i++) {
        s_expect(areas, ENRICH_LAYER_BEAT, parts[i][0], parts[i][1], NULL, 30, "3100",
                 WF__AREA_METHOD__POINT_IN_POLYGON);
        s_expect(areas, ENRICH_LAYER_DISTRICT, parts[i][0], parts[i][1], NULL, 30, "31",
                 WF__AREA_METHOD__POINT_IN_POLYGON);
    }
    enrich_areas_destroy(&areas);
    assert_null(areas);
    enrich_areas_destroy(&areas); /* NULL-safe */
}

static void test_known_incident_points(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_fixture_areas(30, 0);
    enrich_area_match_t match;
    /* 2014 rows 9535901 (beat 1713), 9529993 (2031), 9531587 (1834), no hint given */
    enrich_areas_lookup(areas, ENRICH_LAYER_BEAT, -87.70967414906906, 41.972817822002085, NULL, 30,
                        &match);
    assert_string_equal(match.code, "1713");
    assert_string_equal(match.parent_code, "17");
    assert_int_equal(match.method, WF__AREA_METHOD__POINT_IN_POLYGON);
    assert_int_equal(match.touching, 1);
    s_expect(areas, ENRICH_LAYER_BEAT, -87.69876058156893, 41.968641709140556, NULL, 30, "2031",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    s_expect(areas, ENRICH_LAYER_BEAT, -87.62791987086945, 41.89159321398707, NULL, 30, "1834",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    /* a hint never overrides a single containing polygon */
    s_expect(areas, ENRICH_LAYER_BEAT, -87.62791987086945, 41.89159321398707, "1713", 30, "1834",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    /* not in district 31 (the only district of the fixture) and far from it */
    s_expect(areas, ENRICH_LAYER_DISTRICT, -87.62791987086945, 41.89159321398707, "018", 30, NULL,
             WF__AREA_METHOD__NOT_FOUND);
    enrich_areas_destroy(&areas);
}

static void test_shared_boundary_tie(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_fixture_areas(30, 0);
    enrich_area_match_t match;
    enrich_areas_lookup(areas, ENRICH_LAYER_BEAT, TIE_LON, TIE_LAT, NULL, 30, &match);
    assert_int_equal(match.touching, 2);
    assert_int_equal(match.method, WF__AREA_METHOD__BOUNDARY_TIE);
    assert_string_equal(match.code, "1713"); /* no hint: the lowest code, every time */
    s_expect(areas, ENRICH_LAYER_BEAT, TIE_LON, TIE_LAT, "", 30, "1713",
             WF__AREA_METHOD__BOUNDARY_TIE);
    s_expect(areas, ENRICH_LAYER_BEAT, TIE_LON, TIE_LAT, "2031", 30, "2031",
             WF__AREA_METHOD__BOUNDARY_TIE);
    s_expect(areas, ENRICH_LAYER_BEAT, TIE_LON, TIE_LAT, "02031", 30, "2031",
             WF__AREA_METHOD__BOUNDARY_TIE);
    s_expect(areas, ENRICH_LAYER_BEAT, TIE_LON, TIE_LAT, "1713", 30, "1713",
             WF__AREA_METHOD__BOUNDARY_TIE);
    /* a hint naming neither neighbour falls back to the deterministic choice */
    s_expect(areas, ENRICH_LAYER_BEAT, TIE_LON, TIE_LAT, "1834", 30, "1713",
             WF__AREA_METHOD__BOUNDARY_TIE);
    /* one metre inside 2031 (east of the shared vertex) is no tie */
    s_expect(areas, ENRICH_LAYER_BEAT, TIE_LON + 0.0005, TIE_LAT, "1713", 30, "2031",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    enrich_areas_destroy(&areas);
}

static void test_lake_is_not_found(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_fixture_areas(1000, 0);
    /* Lake Michigan east of Streeterville: 450 m from the nearest beat (1834) */
    s_expect(areas, ENRICH_LAYER_BEAT, -87.60, 41.90, "1834", 30, NULL, WF__AREA_METHOD__NOT_FOUND);
    s_expect(areas, ENRICH_LAYER_BEAT, -87.60, 41.90, NULL, 0, NULL, WF__AREA_METHOD__NOT_FOUND);
    enrich_area_match_t match;
    enrich_areas_lookup(areas, ENRICH_LAYER_BEAT, -87.60, 41.90, NULL, 1000, &match);
    assert_int_equal(match.method, WF__AREA_METHOD__NEAREST);
    assert_string_equal(match.code, "1834");
    assert_true(match.distance_m > 440 && match.distance_m < 460);
    /* far out in the lake nothing is near */
    s_expect(areas, ENRICH_LAYER_BEAT, -87.40, 41.90, NULL, 1000, NULL, WF__AREA_METHOD__NOT_FOUND);
    /* the tolerance of a lookup is capped at the one the index was built for */
    enrich_areas_t *narrow = s_fixture_areas(30, 0);
    s_expect(narrow, ENRICH_LAYER_BEAT, -87.60, 41.90, NULL, 1000, NULL,
             WF__AREA_METHOD__NOT_FOUND);
    enrich_areas_destroy(&narrow);
    enrich_areas_destroy(&areas);
}

static void test_nearest_within_tolerance(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_fixture_areas(30, 0);
    const double lon = PIER_LON + 0.0002, lat = PIER_LAT; /* ~16.6 m east of the pier's tip */
    enrich_area_match_t match;
    enrich_areas_lookup(areas, ENRICH_LAYER_BEAT, lon, lat, NULL, 30, &match);
    assert_int_equal(match.method, WF__AREA_METHOD__NEAREST);
    assert_string_equal(match.code, "1834");
    assert_int_equal(match.touching, 0);
    double reference =
        enrich_testdata_utm_distance(FIXTURE_DIR "enrich_beats_sample.geojson.xz", lon, lat);
    print_message("nearest: %.3f m, UTM 16N reference %.3f m\n", match.distance_m, reference);
    assert_true(fabs(match.distance_m - reference) < 0.002 * reference + 0.01);
    assert_true(match.distance_m > 15 && match.distance_m < 18);
    /* just beyond the tolerance: nothing */
    s_expect(areas, ENRICH_LAYER_BEAT, lon, lat, NULL, 15, NULL, WF__AREA_METHOD__NOT_FOUND);
    /* the vertex itself is on 1834's boundary: point in polygon, not nearest */
    s_expect(areas, ENRICH_LAYER_BEAT, PIER_LON, PIER_LAT, NULL, 30, "1834",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    enrich_areas_destroy(&areas);
}

static void test_reported_codes_and_padding(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_fixture_areas(30, 0); /* districts as the GeoJSON writes them: "31" */
    enrich_area_match_t match;
    enrich_areas_lookup_reported(areas, ENRICH_LAYER_DISTRICT, "031", &match);
    assert_int_equal(match.method, WF__AREA_METHOD__SOURCE_REPORTED);
    assert_string_equal(match.code, "31"); /* the table's spelling, not the source's */
    enrich_areas_lookup_reported(areas, ENRICH_LAYER_DISTRICT, " 0031 ", &match);
    assert_string_equal(match.code, "31");
    enrich_areas_lookup_reported(areas, ENRICH_LAYER_BEAT, "01713", &match);
    assert_string_equal(match.code, "1713");
    assert_string_equal(match.parent_code, "17");
    static const char *const unknown[] = {"013", "713", "0713", "", "   ", "0", "31A"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        enrich_areas_lookup_reported(areas, ENRICH_LAYER_DISTRICT, unknown[i], &match);
        assert_int_equal(match.method, WF__AREA_METHOD__NOT_FOUND);
        assert_null(match.code);
    }
    enrich_areas_lookup_reported(areas, ENRICH_LAYER_BEAT, NULL, &match);
    assert_int_equal(match.method, WF__AREA_METHOD__NOT_FOUND);
    enrich_areas_destroy(&areas);

    /* the boundary table as wf-admin stores it, zero-padded ("031"): the source's "31" maps */
    areas = s_fixture_areas(30, 3);
    enrich_areas_lookup_reported(areas, ENRICH_LAYER_DISTRICT, "31", &match);
    assert_string_equal(match.code, "031");
    assert_string_equal(enrich_areas_find(areas, ENRICH_LAYER_DISTRICT, "0031", NULL), "031");
    s_expect(areas, ENRICH_LAYER_DISTRICT, -87.8117300340, 41.9638032651, NULL, 30, "031",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    enrich_areas_destroy(&areas);
}

static void test_code_order(void **state)
{
    (void)state;
    assert_int_equal(enrich_areas_code_cmp("7", "007"), 0);
    assert_int_equal(enrich_areas_code_cmp("0713", "713"), 0);
    assert_int_equal(enrich_areas_code_cmp("0", "000"), 0);
    assert_int_equal(enrich_areas_code_cmp("031A", "31A"), 0);
    assert_true(enrich_areas_code_cmp("9", "10") < 0); /* numerically, not "10" < "9" */
    assert_true(enrich_areas_code_cmp("0912", "1011") < 0);
    assert_true(enrich_areas_code_cmp("1713", "2031") < 0);
    assert_true(enrich_areas_code_cmp("2031", "1713") > 0);
    /* digit codes sort before others, so the order is total */
    assert_true(enrich_areas_code_cmp("99", "1A") < 0);
    assert_true(enrich_areas_code_cmp("1A", "1B") < 0);
    assert_true(enrich_areas_code_cmp(NULL, "") == 0);
}

/* Two blocks 2^-12 degrees apart with the point exactly halfway: equal distances, so the hint
 * decides, else the lower code (synthetic, because real beats are never exactly symmetric). */
static void test_nearest_equal_distances(void **state)
{
    (void)state;
    enrich_areas_t *areas = enrich_areas_new();
    assert_int_equal(enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT, "0802", NULL,
                                             "POLYGON((-87.51 41.69,-87.5 41.69,-87.5 41.7,"
                                             "-87.51 41.7,-87.51 41.69))"),
                     0);
    assert_int_equal(enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT, "0801", NULL,
                                             "POLYGON((-87.499755859375 41.69,-87.49 41.69,"
                                             "-87.49 41.7,-87.499755859375 41.7,"
                                             "-87.499755859375 41.69))"),
                     0);
    char err[256] = "";
    assert_int_equal(enrich_areas_build(areas, 30, err, sizeof err), 0);
    const double lon = -87.4998779296875, lat = 41.695; /* -87.5 + 2^-13 */
    enrich_area_match_t match;
    enrich_areas_lookup(areas, ENRICH_LAYER_BEAT, lon, lat, NULL, 30, &match);
    assert_int_equal(match.method, WF__AREA_METHOD__NEAREST);
    assert_string_equal(match.code, "0801");
    assert_true(match.distance_m > 10 && match.distance_m < 10.5);
    s_expect(areas, ENRICH_LAYER_BEAT, lon, lat, "802", 30, "0802", WF__AREA_METHOD__NEAREST);
    s_expect(areas, ENRICH_LAYER_BEAT, lon, lat, "0801", 30, "0801", WF__AREA_METHOD__NEAREST);
    /* a little west, 0802 is simply nearer, whatever the hint */
    s_expect(areas, ENRICH_LAYER_BEAT, lon - 0.00002, lat, "0801", 30, "0802",
             WF__AREA_METHOD__NEAREST);
    enrich_areas_destroy(&areas);
}

static void test_bad_polygons_are_refused(void **state)
{
    (void)state;
    enrich_areas_t *areas = enrich_areas_new();
    char err[256] = "";
    static const uint8_t garbage[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x07};
    assert_int_equal(enrich_areas_add(areas, ENRICH_LAYER_BEAT, "0111", NULL, garbage,
                                      sizeof garbage, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "undecodable"));
    assert_int_equal(
        enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT, "0111", NULL, "POINT(-87.6 41.9)"),
        WF_EINVAL);
    assert_int_equal(
        enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT, "0111", NULL, "POLYGON EMPTY"),
        WF_EINVAL);
    static const char square[] = "POLYGON((0 0,1 0,1 1,0 1,0 0))";
    assert_int_equal(enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT, "", NULL, square),
                     WF_EINVAL);
    assert_int_equal(enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT,
                                             "0123456789012345678901234567890123456789", NULL,
                                             square),
                     WF_EINVAL);
    /* nothing was added */
    assert_int_equal(enrich_areas_build(areas, 30, err, sizeof err), 0);
    assert_int_equal(enrich_areas_count(areas, ENRICH_LAYER_BEAT), 0);
    s_expect(areas, ENRICH_LAYER_BEAT, 0.5, 0.5, NULL, 30, NULL, WF__AREA_METHOD__NOT_FOUND);
    /* once built, the index takes no more polygons, and is built only once */
    assert_int_equal(enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT, "0043", NULL, square),
                     WF_EINVAL);
    assert_int_equal(enrich_areas_build(areas, 30, err, sizeof err), WF_EINVAL);
    enrich_areas_destroy(&areas);
}

/* A bow-tie is invalid; it is repaired into its two triangles and still answers. */
static void test_invalid_polygon_is_repaired(void **state)
{
    (void)state;
    enrich_areas_t *areas = enrich_areas_new();
    assert_int_equal(enrich_testdata_add_wkt(areas, ENRICH_LAYER_BEAT, "0042", "004",
                                             "POLYGON((0 0,2 2,2 0,0 2,0 0))"),
                     0);
    char err[256] = "";
    assert_int_equal(enrich_areas_build(areas, 30, err, sizeof err), 0);
    s_expect(areas, ENRICH_LAYER_BEAT, 1.8, 1.0, NULL, 0, "0042",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    s_expect(areas, ENRICH_LAYER_BEAT, 0.2, 1.0, NULL, 0, "0042",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    s_expect(areas, ENRICH_LAYER_BEAT, 1.0, 1.5, NULL, 0, NULL, WF__AREA_METHOD__NOT_FOUND);
    /* coordinates that are not a place */
    s_expect(areas, ENRICH_LAYER_BEAT, NAN, 1.0, NULL, 30, NULL, WF__AREA_METHOD__NOT_FOUND);
    s_expect(areas, ENRICH_LAYER_BEAT, 1.0, INFINITY, NULL, 30, NULL, WF__AREA_METHOD__NOT_FOUND);
    s_expect(areas, ENRICH_LAYER_BEAT, 1.0, 91.0, NULL, 30, NULL, WF__AREA_METHOD__NOT_FOUND);
    /* an empty layer answers NOT_FOUND */
    s_expect(areas, ENRICH_LAYER_DISTRICT, 1.0, 1.0, NULL, 30, NULL, WF__AREA_METHOD__NOT_FOUND);
    enrich_areas_destroy(&areas);
}

static void test_layer_names(void **state)
{
    (void)state;
    enrich_layer_t layer;
    assert_int_equal(enrich_areas_layer_parse("beat", &layer), 0);
    assert_int_equal(layer, ENRICH_LAYER_BEAT);
    assert_int_equal(enrich_areas_layer_parse("district", &layer), 0);
    assert_int_equal(layer, ENRICH_LAYER_DISTRICT);
    assert_int_equal(enrich_areas_layer_parse("jurisdiction", &layer), WF_ENOTFOUND);
    assert_int_equal(enrich_areas_layer_parse("Beat", &layer), WF_ENOTFOUND);
    assert_int_equal(enrich_areas_layer_parse(NULL, &layer), WF_ENOTFOUND);
    assert_string_equal(enrich_areas_layer_name(ENRICH_LAYER_BEAT), "beat");
    assert_string_equal(enrich_areas_layer_name(ENRICH_LAYER_DISTRICT), "district");
}

/* ---- agreement with the beats CPD recorded ---------------------------------------------- */

typedef struct {
    enrich_areas_t *areas;
    int beat, district, lat, lon; /* column indexes from the header */
    size_t located, unlocated;    /* rows with / without coordinates */
    size_t beat_agree, beat_agree_nohint, district_agree;
    size_t reported;   /* unlocated rows whose beat is a known area */
    size_t methods[8]; /* located rows per beat method */
    double seconds;    /* time spent in lookups */
} s_agreement_t;

static int s_column(const char *const *fields, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(fields[i], name) == 0)
            return (int)i;
    fail_msg("column %s missing", name);
    return -1;
}

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void s_agreement_row(void *user, size_t row, const char *const *fields, size_t count)
{
    s_agreement_t *a = user;
    if (row == 0) {
        a->beat = s_column(fields, count, "Beat");
        a->district = s_column(fields, count, "District");
        a->lat = s_column(fields, count, "Latitude");
        a->lon = s_column(fields, count, "Longitude");
        return;
    }
    assert_true(count > (size_t)a->lon);
    const char *beat = fields[a->beat], *district = fields[a->district];
    enrich_area_match_t match;
    if (!*fields[a->lat]) {
        a->unlocated++;
        enrich_areas_lookup_reported(a->areas, ENRICH_LAYER_BEAT, beat, &match);
        a->reported += match.method == WF__AREA_METHOD__SOURCE_REPORTED;
        return;
    }
    double lon = strtod(fields[a->lon], NULL), lat = strtod(fields[a->lat], NULL);
    a->located++;
    double t0 = s_now();
    enrich_areas_lookup(a->areas, ENRICH_LAYER_BEAT, lon, lat, beat, 30, &match);
    a->beat_agree += match.code && enrich_areas_code_cmp(match.code, beat) == 0;
    a->methods[match.method]++;
    enrich_areas_lookup(a->areas, ENRICH_LAYER_BEAT, lon, lat, NULL, 30, &match);
    a->beat_agree_nohint += match.code && enrich_areas_code_cmp(match.code, beat) == 0;
    enrich_areas_lookup(a->areas, ENRICH_LAYER_DISTRICT, lon, lat, district, 30, &match);
    a->district_agree += match.code && enrich_areas_code_cmp(match.code, district) == 0;
    a->seconds += s_now() - t0;
}

static void test_fixture_rows_agree(void **state)
{
    (void)state;
    s_agreement_t a = {.areas = s_fixture_areas(30, 0)};
    /* the 2014 rows of beats 1713, 2031 and 1834, and four rows without coordinates */
    assert_int_equal(
        enrich_testdata_csv(FIXTURE_DIR "enrich_crimes_2014_sample.csv", s_agreement_row, &a), 78);
    assert_int_equal(a.located, 73);
    assert_int_equal(a.beat_agree, 73);
    assert_int_equal(a.beat_agree_nohint, 73);
    assert_int_equal(a.methods[WF__AREA_METHOD__POINT_IN_POLYGON], 73);
    assert_int_equal(a.unlocated, 4);
    assert_int_equal(a.reported, 0); /* their beats (0713, 1121 …) are not in the sample */
    enrich_areas_destroy(&a.areas);
}

/* ---- the whole city (skipped without the Chicago files) --------------------------------- */

typedef struct {
    enrich_areas_t *areas; /* every beat, every district (codes as in the GeoJSON) */
} s_city_t;

static int s_city_setup(void **state)
{
    char beats[512], districts[512];
    if (!enrich_testdata_find("boundaries/police_beats.geojson", beats, sizeof beats) ||
        !enrich_testdata_find("boundaries/police_districts.geojson", districts, sizeof districts))
        return 0; /* the tests skip themselves */
    s_city_t *city = calloc(1, sizeof *city);
    city->areas = enrich_areas_new();
    if (enrich_testdata_load_geojson(city->areas, ENRICH_LAYER_BEAT, beats, "BEAT_NUM", "DISTRICT",
                                     0) != 277 ||
        enrich_testdata_load_geojson(city->areas, ENRICH_LAYER_DISTRICT, districts, "dist_num",
                                     NULL, 0) != 25) {
        enrich_areas_destroy(&city->areas);
        free(city);
        return -1;
    }
    char err[256] = "";
    if (enrich_areas_build(city->areas, 30, err, sizeof err) != 0) {
        fprintf(stderr, "build: %s\n", err);
        enrich_areas_destroy(&city->areas);
        free(city);
        return -1;
    }
    *state = city;
    return 0;
}

static int s_city_teardown(void **state)
{
    s_city_t *city = *state;
    if (city) {
        enrich_areas_destroy(&city->areas);
        free(city);
    }
    return 0;
}

static enrich_areas_t *s_city(void **state)
{
    s_city_t *city = *state;
    if (!city)
        skip();
    return city->areas;
}

static void test_city_counts_and_known_points(void **state)
{
    enrich_areas_t *areas = s_city(state);
    /* 277 beat features, 275 beats (3100 is three features); 25 districts, 23 (31 is three) */
    assert_int_equal(enrich_areas_count(areas, ENRICH_LAYER_BEAT), 275);
    assert_int_equal(enrich_areas_count(areas, ENRICH_LAYER_DISTRICT), 23);
    /* the Loop, State and Madison area */
    s_expect(areas, ENRICH_LAYER_BEAT, -87.63, 41.88, NULL, 30, "0112",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    s_expect(areas, ENRICH_LAYER_DISTRICT, -87.63, 41.88, NULL, 30, "1",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    s_expect(areas, ENRICH_LAYER_DISTRICT, -87.63, 41.88, "001", 30, "1",
             WF__AREA_METHOD__POINT_IN_POLYGON);
    /* the lake, for both layers */
    s_expect(areas, ENRICH_LAYER_BEAT, -87.60, 41.90, NULL, 30, NULL, WF__AREA_METHOD__NOT_FOUND);
    s_expect(areas, ENRICH_LAYER_DISTRICT, -87.60, 41.90, NULL, 30, NULL,
             WF__AREA_METHOD__NOT_FOUND);
    /* no district 13, 21 or 23 */
    enrich_area_match_t match;
    enrich_areas_lookup_reported(areas, ENRICH_LAYER_DISTRICT, "013", &match);
    assert_int_equal(match.method, WF__AREA_METHOD__NOT_FOUND);
    enrich_areas_lookup_reported(areas, ENRICH_LAYER_DISTRICT, "007", &match);
    assert_int_equal(match.method, WF__AREA_METHOD__SOURCE_REPORTED);
    assert_string_equal(match.code, "7");
}

static void test_city_district_tie_and_state_line(void **state)
{
    enrich_areas_t *areas = s_city(state);
    /* a vertex shared by districts 17 and 24 */
    const double lon = -87.71067089391354, lat = 41.997365655369435;
    enrich_area_match_t match;
    enrich_areas_lookup(areas, ENRICH_LAYER_DISTRICT, lon, lat, NULL, 30, &match);
    assert_int_equal(match.touching, 2);
    s_expect(areas, ENRICH_LAYER_DISTRICT, lon, lat, NULL, 30, "17", WF__AREA_METHOD__BOUNDARY_TIE);
    s_expect(areas, ENRICH_LAYER_DISTRICT, lon, lat, "024", 30, "24",
             WF__AREA_METHOD__BOUNDARY_TIE);
    /* 16 m east of the easternmost vertex of beat 0433, on the state line (Indiana): 0432
     * reaches further east and is nearer, so it wins even against the source's own beat */
    const double in_lon = -87.52443506256227, in_lat = 41.695421955292204;
    enrich_areas_lookup(areas, ENRICH_LAYER_BEAT, in_lon, in_lat, "0433", 30, &match);
    assert_int_equal(match.method, WF__AREA_METHOD__NEAREST);
    assert_string_equal(match.code, "0432");
    assert_true(match.distance_m > 16 && match.distance_m < 17.5);
    s_expect(areas, ENRICH_LAYER_DISTRICT, in_lon, in_lat, "004", 30, "4",
             WF__AREA_METHOD__NEAREST);
}

static void test_city_2014_rows_agree(void **state)
{
    enrich_areas_t *areas = s_city(state);
    char path[512];
    if (!enrich_testdata_find("crimes_2014-03_portal_export.csv", path, sizeof path))
        skip();
    s_agreement_t a = {.areas = areas};
    assert_int_equal(enrich_testdata_csv(path, s_agreement_row, &a), 6958);
    print_message("2014: %zu located, beat agrees %zu (without hint %zu), district %zu; "
                  "%zu without coordinates, %zu reported; ties %zu, nearest %zu, not found %zu; "
                  "%.0f lookups/s\n",
                  a.located, a.beat_agree, a.beat_agree_nohint, a.district_agree, a.unlocated,
                  a.reported, a.methods[WF__AREA_METHOD__BOUNDARY_TIE],
                  a.methods[WF__AREA_METHOD__NEAREST], a.methods[WF__AREA_METHOD__NOT_FOUND],
                  (double)(a.located * 3) / a.seconds);
    assert_int_equal(a.located, 6884);
    assert_true(a.beat_agree * 100 >= a.located * 99);
    assert_true(a.beat_agree_nohint * 100 >= a.located * 99);
    assert_true(a.district_agree * 100 >= a.located * 99);
    assert_int_equal(a.unlocated, 73);
    assert_int_equal(a.reported, 73); /* every recorded beat is a known area */
    /* a very loose floor (sanitizers, valgrind): the service needs tens of thousands a second */
    const char *multiplier = getenv("WF_TEST_TIMEOUT_MULTIPLIER");
    double floor_per_s = 20000.0 / (multiplier ? fmax(atof(multiplier), 1.0) : 1.0);
    assert_true((double)(a.located * 3) / a.seconds > floor_per_s);
}

int main(void)
{
    const struct CMUnitTest fixture_tests[] = {
        cmocka_unit_test(test_parts_merge_into_one_area),
        cmocka_unit_test(test_known_incident_points),
        cmocka_unit_test(test_shared_boundary_tie),
        cmocka_unit_test(test_lake_is_not_found),
        cmocka_unit_test(test_nearest_within_tolerance),
        cmocka_unit_test(test_reported_codes_and_padding),
        cmocka_unit_test(test_code_order),
        cmocka_unit_test(test_nearest_equal_distances),
        cmocka_unit_test(test_bad_polygons_are_refused),
        cmocka_unit_test(test_invalid_polygon_is_repaired),
        cmocka_unit_test(test_layer_names),
        cmocka_unit_test(test_fixture_rows_agree),
    };
    const struct CMUnitTest city_tests[] = {
        cmocka_unit_test(test_city_counts_and_known_points),
        cmocka_unit_test(test_city_district_tie_and_state_line),
        cmocka_unit_test(test_city_2014_rows_agree),
    };
    int failed = cmocka_run_group_tests_name("fixtures", fixture_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("chicago", city_tests, s_city_setup, s_city_teardown);
    return failed;
}
