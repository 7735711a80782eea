/* test_geo.c — haversine distance, the metric grid and the hotspot cell id.
 *
 * The cell id is a contract with wf-alert (it throttles one alert per cell and window), so its
 * text is pinned here for a real Chicago burglary location.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "spatial_geo.h"

#define PI  3.14159265358979323846
#define RAD (PI / 180)

/* Great-circle distance by the Vincenty special case for the sphere (an independent formula). */
static double s_reference_m(double lon1, double lat1, double lon2, double lat2)
{
    double p1 = lat1 * RAD, p2 = lat2 * RAD, dl = (lon2 - lon1) * RAD;
    double x = cos(p2) * sin(dl);
    double y = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
    double z = sin(p1) * sin(p2) + cos(p1) * cos(p2) * cos(dl);
    return SPATIAL_GEO_EARTH_RADIUS_M * atan2(sqrt(x * x + y * y), z);
}

static void test_distance(void **state)
{
    (void)state;
    assert_true(fabs(spatial_geo_distance_m(-87.65, 41.85, -87.65, 42.85) - 111195.08) < 0.01);
    assert_true(fabs(spatial_geo_distance_m(0, 0, 1, 0) - 111195.08) < 0.01);
    assert_true(spatial_geo_distance_m(-87.65, 41.85, -87.65, 41.85) == 0.0);
    /* Two real 2014 burglaries (IDs 9532327 and 9532065), against the independent formula. */
    double d = spatial_geo_distance_m(-87.66504091105413, 41.77054053809541, -87.72600148459473,
                                      41.857762870086646);
    double ref = s_reference_m(-87.66504091105413, 41.77054053809541, -87.72600148459473,
                               41.857762870086646);
    assert_true(fabs(d - ref) < 1e-6);
    assert_true(d > 10000 && d < 12000);
    /* Symmetric, and sane across the antimeridian. */
    assert_true(spatial_geo_distance_m(179.999, -17.7, -179.999, -17.7) ==
                spatial_geo_distance_m(-179.999, -17.7, 179.999, -17.7));
    assert_true(spatial_geo_distance_m(179.999, -17.7, -179.999, -17.7) < 250);
    assert_true(fabs(spatial_geo_distance_m(0, 90, 180, -90) - PI * SPATIAL_GEO_EARTH_RADIUS_M) <
                1e-3);
}

static void test_is_valid(void **state)
{
    (void)state;
    assert_true(spatial_geo_is_valid(-87.65, 41.85));
    assert_true(spatial_geo_is_valid(180, -90));
    assert_false(spatial_geo_is_valid(180.0001, 0));
    assert_false(spatial_geo_is_valid(0, -90.0001));
    assert_false(spatial_geo_is_valid(NAN, 0));
    assert_false(spatial_geo_is_valid(0, INFINITY));
}

static void test_cell_id_text(void **state)
{
    (void)state;
    char id[SPATIAL_GEO_CELL_ID_LEN];
    size_t n = spatial_geo_cell_id(id, sizeof id, -87.66504091105413, 41.77054053809541, 400);
    assert_string_equal(id, "400m:11611:-18176"); /* pinned: wf-alert keys on it */
    assert_int_equal(n, strlen(id));
    spatial_geo_cell_id(id, sizeof id, -87.66504091105413, 41.77054053809541, 250);
    assert_int_equal(strncmp(id, "250m:", 5), 0); /* the size is part of the identity */
    spatial_geo_cell_id(id, sizeof id, -87.66504091105413, 41.77054053809541, 12.5);
    assert_int_equal(strncmp(id, "12.5m:", 6), 0);
    char small[8];
    n = spatial_geo_cell_id(small, sizeof small, -87.65, 41.85, 400);
    assert_int_equal(n, 7); /* truncated, terminated */
    assert_int_equal(strlen(small), 7);
}

/* Metres walked on bearing 0 or 90 from (lon, lat) until the cell id changes, in 0.5 m steps. */
static double s_extent(double lon, double lat, bool east, double size)
{
    char start[SPATIAL_GEO_CELL_ID_LEN], now[SPATIAL_GEO_CELL_ID_LEN];
    /* step back to the cell's west/south edge first */
    double m_per_deg = east ? SPATIAL_GEO_M_PER_DEG * cos(lat * RAD) : SPATIAL_GEO_M_PER_DEG;
    spatial_geo_cell_id(start, sizeof start, lon, lat, size);
    for (;;) {
        double lo = east ? lon - 0.5 / m_per_deg : lon, la = east ? lat : lat - 0.5 / m_per_deg;
        spatial_geo_cell_id(now, sizeof now, lo, la, size);
        if (strcmp(now, start) != 0)
            break;
        lon = lo;
        lat = la;
    }
    double walked = 0;
    do {
        walked += 0.5;
        double lo = east ? lon + walked / m_per_deg : lon;
        double la = east ? lat : lat + walked / m_per_deg;
        spatial_geo_cell_id(now, sizeof now, lo, la, size);
    } while (strcmp(now, start) == 0);
    return walked;
}

static void test_cells_are_size_metres(void **state)
{
    (void)state;
    const double places[][2] = {{-87.65, 41.85}, {-0.12, 51.5}, {151.2, -33.9}, {18.9, 69.6}};
    for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
        double north = s_extent(places[i][0], places[i][1], false, 400);
        double east = s_extent(places[i][0], places[i][1], true, 400);
        assert_true(fabs(north - 400) <= 1.0);
        assert_true(fabs(east - 400) <= 4.0); /* 1 % */
    }
    /* Points 10 m apart in the middle of a cell share it; 401 m apart never do. */
    char a[SPATIAL_GEO_CELL_ID_LEN], b[SPATIAL_GEO_CELL_ID_LEN];
    int32_t row = spatial_geo_row(41.85, 400);
    double mid_lat = (row + 0.5) * 400 / SPATIAL_GEO_M_PER_DEG;
    double scale = spatial_geo_row_scale(row, 400);
    double mid_lon = (spatial_geo_col(-87.65, row, 400) + 0.5) * 400 / scale;
    spatial_geo_cell_id(a, sizeof a, mid_lon, mid_lat, 400);
    spatial_geo_cell_id(b, sizeof b, mid_lon + 10 / scale, mid_lat, 400);
    assert_string_equal(a, b);
    for (double off = 0; off < 400; off += 7) {
        spatial_geo_cell_id(a, sizeof a, mid_lon + off / scale, mid_lat, 400);
        spatial_geo_cell_id(b, sizeof b, mid_lon + (off + 401) / scale, mid_lat, 400);
        assert_string_not_equal(a, b);
        spatial_geo_cell_id(b, sizeof b, mid_lon + off / scale,
                            mid_lat + 401 / SPATIAL_GEO_M_PER_DEG, 400);
        assert_string_not_equal(a, b);
    }
}

static void test_max_dlon_covers_the_circle(void **state)
{
    (void)state;
    const double lats[] = {0, 41.85, -33.9, 69.6, 85, 89.5};
    for (size_t i = 0; i < sizeof lats / sizeof *lats; i++) {
        double limit = spatial_geo_max_dlon(lats[i], 400);
        for (double bearing = 0; bearing < 360; bearing += 0.5) {
            double d = 400 / SPATIAL_GEO_EARTH_RADIUS_M, b = bearing * RAD, p1 = lats[i] * RAD;
            double p2 = asin(sin(p1) * cos(d) + cos(p1) * sin(d) * cos(b));
            double dl = atan2(sin(b) * sin(d) * cos(p1), cos(d) - sin(p1) * sin(p2)) / RAD;
            assert_true(fabs(dl) <= limit);
        }
    }
    assert_true(spatial_geo_max_dlon(89.999, 400) == 180.0);
    assert_true(spatial_geo_max_dlon(41.85, 400) < 0.00484); /* tight: 400 m is 0.00483° there */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),
        cmocka_unit_test(test_is_valid),
        cmocka_unit_test(test_cell_id_text),
        cmocka_unit_test(test_cells_are_size_metres),
        cmocka_unit_test(test_max_dlon_covers_the_circle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
