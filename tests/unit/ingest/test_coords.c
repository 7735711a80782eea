/* test_coords.c — ingest_coords: State Plane → WGS84 with PROJ, missing and bad coordinates,
 * jurisdiction check.
 *
 * Reference points are real rows: the 2014 portal export gives both the survey X/Y and the
 * portal's own latitude/longitude of each incident, so the conversion can be checked against
 * the City's.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wf/err.h>

#include "ingest_coords.h"

static const double s_chicago[4] = {-87.95, 41.62, -87.50, 42.05};

/* Distance in metres between two nearby WGS84 points (equirectangular is plenty here). */
static double s_metres(double lon1, double lat1, double lon2, double lat2)
{
    double k = 6371000.0 * M_PI / 180.0;
    double dx = (lon1 - lon2) * cos(lat1 * M_PI / 180.0) * k, dy = (lat1 - lat2) * k;
    return sqrt(dx * dx + dy * dy);
}

static ingest_coords_t *s_new(const char *crs, bool zero_is_missing)
{
    char err[256];
    ingest_coords_t *coords = ingest_coords_new(crs, s_chicago, zero_is_missing, err, sizeof err);
    if (!coords)
        fail_msg("%s", err);
    return coords;
}

static void test_state_plane_rows(void **state)
{
    (void)state;
    /* X, Y, and the portal's latitude, longitude of rows of crimes_2014-03_portal_export.csv */
    static const struct {
        const char *x, *y;
        double lat, lon;
    } rows[] = {
        {"1155318", "1918413", 41.93193179666549, -87.70464452726821},  /* 030XX W DIVERSEY */
        {"1172495", "1834296", 41.700743631182604, -87.64400161572641}, /* 106XX S GREEN */
        {"1149486", "1897757", 41.875365012404586, -87.7266132911017},  /* homicide 21304 */
        {"1180915", "1831488", 41.692849022877674, -87.61325679047216},
    };
    ingest_coords_t *coords = s_new("EPSG:3435", true);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        bool has = false;
        double lon = 0, lat = 0;
        ingest_reject_t reject = {0};
        assert_int_equal(
            ingest_coords_convert(coords, rows[i].x, rows[i].y, &has, &lon, &lat, &reject), 0);
        assert_true(has);
        double d = s_metres(lon, lat, rows[i].lon, rows[i].lat);
        if (d > 3.0)
            fail_msg("row %zu: %.6f,%.6f is %.2f m from the portal's point", i, lon, lat, d);
    }
    ingest_coords_destroy(&coords);
    assert_null(coords);
}

static void test_wgs84_passthrough(void **state)
{
    (void)state;
    ingest_coords_t *coords = s_new("EPSG:4326", true);
    bool has = false;
    double lon = 0, lat = 0;
    ingest_reject_t reject = {0};
    /* x is the longitude whatever EPSG:4326's official axis order says */
    assert_int_equal(
        ingest_coords_convert(coords, "-87.666637175", "41.733197065", &has, &lon, &lat, &reject),
        0);
    assert_true(has);
    assert_true(fabs(lon - -87.666637175) < 1e-9);
    assert_true(fabs(lat - 41.733197065) < 1e-9);
    ingest_coords_destroy(&coords);
}

static void test_missing(void **state)
{
    (void)state;
    ingest_coords_t *coords = s_new("EPSG:3435", true);
    bool has = true;
    double lon = 0, lat = 0;
    ingest_reject_t reject = {0};
    assert_int_equal(ingest_coords_convert(coords, "", "", &has, &lon, &lat, &reject), 0);
    assert_false(has);
    has = true;
    assert_int_equal(ingest_coords_convert(coords, " ", "\t", &has, &lon, &lat, &reject), 0);
    assert_false(has);
    has = true;
    assert_int_equal(ingest_coords_convert(coords, "0", "0.0", &has, &lon, &lat, &reject), 0);
    assert_false(has);
    assert_null(reject.code);
    ingest_coords_destroy(&coords);

    /* without zero_is_missing, 0,0 is a real (and here far away) point */
    coords = s_new("EPSG:4326", false);
    assert_int_equal(ingest_coords_convert(coords, "0", "0", &has, &lon, &lat, &reject), WF_ERANGE);
    assert_string_equal(reject.code, "outside_jurisdiction");
    ingest_coords_destroy(&coords);
}

static void s_bad(ingest_coords_t *coords, const char *x, const char *y, const char *field)
{
    bool has = true;
    double lon = 0, lat = 0;
    ingest_reject_t reject = {0};
    if (ingest_coords_convert(coords, x, y, &has, &lon, &lat, &reject) != WF_EPARSE)
        fail_msg("'%s','%s' accepted", x, y);
    assert_string_equal(reject.code, "bad_coordinates");
    assert_string_equal(reject.field, field);
    assert_false(has);
}

static void test_bad(void **state)
{
    (void)state;
    ingest_coords_t *coords = s_new("EPSG:3435", true);
    s_bad(coords, "1155318x", "1918413", "location.x");
    s_bad(coords, "1155318", "NaN", "location.y");
    s_bad(coords, "inf", "1918413", "location.x");
    s_bad(coords, "1155318", "", "location.y");
    s_bad(coords, "", "1918413", "location.x");
    s_bad(coords, "0x1p20", "1918413", "location.x");
    s_bad(coords, "1,155,318", "1918413", "location.x");
    s_bad(coords, "1e999", "1918413", "location.x");
    s_bad(coords, "-", ".", "location.x");
    /* numbers PROJ cannot place on Earth */
    s_bad(coords, "1e30", "1e30", "location.x");
    ingest_coords_destroy(&coords);
}

static void test_outside(void **state)
{
    (void)state;
    ingest_coords_t *coords = s_new("EPSG:3435", true);
    bool has = true;
    double lon = 0, lat = 0;
    ingest_reject_t reject = {0};
    /* the DIVERSEY row moved 1,000,000 ft (300 km) south */
    assert_int_equal(ingest_coords_convert(coords, "1155318", "918413", &has, &lon, &lat, &reject),
                     WF_ERANGE);
    assert_string_equal(reject.code, "outside_jurisdiction");
    assert_false(has);
    ingest_coords_destroy(&coords);

    /* no bbox: no jurisdiction check */
    char err[256];
    coords = ingest_coords_new("EPSG:4326", NULL, false, err, sizeof err);
    assert_int_equal(ingest_coords_convert(coords, "2.3522", "48.8566", &has, &lon, &lat, &reject),
                     0);
    assert_true(has);
    ingest_coords_destroy(&coords);
}

static void test_unknown_crs(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(ingest_coords_new("EPSG:999999", s_chicago, false, err, sizeof err));
    assert_non_null(strstr(err, "EPSG:999999"));
    assert_null(ingest_coords_new("not a crs", NULL, false, err, sizeof err));
}

static void test_bbox(void **state)
{
    (void)state;
    double bbox[4];
    char err[256];
    const char *good[] = {"-87.95", "41.62", "-87.50", "42.05"};
    assert_int_equal(ingest_coords_parse_bbox(good, 4, bbox, err, sizeof err), 0);
    assert_true(bbox[0] == -87.95 && bbox[3] == 42.05);
    const char *swapped[] = {"-87.50", "41.62", "-87.95", "42.05"};
    assert_int_equal(ingest_coords_parse_bbox(swapped, 4, bbox, err, sizeof err), WF_EINVAL);
    const char *text[] = {"west", "41.62", "-87.50", "42.05"};
    assert_int_equal(ingest_coords_parse_bbox(text, 4, bbox, err, sizeof err), WF_EINVAL);
    assert_int_equal(ingest_coords_parse_bbox(good, 3, bbox, err, sizeof err), WF_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_plane_rows),
        cmocka_unit_test(test_wgs84_passthrough),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_outside),
        cmocka_unit_test(test_unknown_crs),
        cmocka_unit_test(test_bbox),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
