/* test_cell.c — partition keys of coarse cells, and which neighbouring cells need a point as
 * context: every point within the distance must fall in the point's own cell or a listed one,
 * and a point far from every border lists none. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wf/cell.h>

#define S_RADIUS_M 6371008.8

/* The point distance_m from (lon, lat) on bearing (degrees), on the sphere. */
static void s_move(double lon, double lat, double bearing, double distance_m, double *out_lon,
                   double *out_lat)
{
    double d = distance_m / S_RADIUS_M, b = bearing * M_PI / 180;
    double p1 = lat * M_PI / 180, l1 = lon * M_PI / 180;
    double p2 = asin(sin(p1) * cos(d) + cos(p1) * sin(d) * cos(b));
    double l2 = l1 + atan2(sin(b) * sin(d) * cos(p1), cos(d) - sin(p1) * sin(p2));
    *out_lon = l2 * 180 / M_PI;
    *out_lat = p2 * 180 / M_PI;
}

static void test_key(void **state)
{
    (void)state;
    char key[WF_CELL_KEY_LEN];
    size_t n = wf_cell_key(key, sizeof key, true, -87.65, 41.85, "CPD");
    assert_string_equal(key, "cell:-877:418");
    assert_int_equal(n, strlen(key));
    wf_cell_key(key, sizeof key, false, 0, 0, "CPD");
    assert_string_equal(key, "agency:CPD");
    wf_cell_key(key, sizeof key, true, NAN, 41.85, "");
    assert_string_equal(key, "agency:-");
}

static void test_middle_of_a_cell_needs_no_neighbour(void **state)
{
    (void)state;
    char keys[3][WF_CELL_KEY_LEN];
    size_t lens[3];
    assert_int_equal(wf_cell_neighbour_keys(-87.65, 41.85, 400, keys, lens), 0);
    assert_int_equal(wf_cell_neighbour_keys(-87.65, 41.85, 0, keys, lens), 0);
}

static void test_sides_and_corner(void **state)
{
    (void)state;
    char keys[3][WF_CELL_KEY_LEN];
    size_t lens[3];
    /* 100 m east of the -87.7 meridian, mid-cell in latitude: the western neighbour only */
    double lon, lat;
    s_move(-87.7, 41.85, 90, 100, &lon, &lat);
    assert_int_equal(wf_cell_neighbour_keys(lon, lat, 400, keys, lens), 1);
    assert_string_equal(keys[0], "cell:-878:418");
    assert_int_equal(lens[0], strlen(keys[0]));
    /* 300 m below 41.9 and 300 m west of -87.6: east, north and the north-east corner */
    s_move(-87.6, 41.9, 180, 300, &lon, &lat);
    s_move(lon, lat, 270, 300, &lon, &lat);
    assert_int_equal(wf_cell_neighbour_keys(lon, lat, 400, keys, lens), 3);
    assert_string_equal(keys[0], "cell:-876:418");
    assert_string_equal(keys[1], "cell:-877:419");
    assert_string_equal(keys[2], "cell:-876:419");
    /* 500 m from the border is out of a 400 m reach */
    s_move(-87.7, 41.85, 90, 500, &lon, &lat);
    assert_int_equal(wf_cell_neighbour_keys(lon, lat, 400, keys, lens), 0);
}

/* Points all over Chicago and beyond: whatever lies within D of a point is in its own cell or
 * in a cell listed for it. */
static void test_every_point_within_reach_is_covered(void **state)
{
    (void)state;
    const double reaches[] = {50, 400, 1500};
    uint64_t seed = 88172645463325252ULL;
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        double lon = -88.0 + (double)(seed % 1000000) / 1000000 * 0.6;
        double lat = 41.6 + (double)((seed >> 20) % 1000000) / 1000000 * 0.5;
        if (i % 4 == 0) /* also far north, where a degree of longitude is short */
            lat += 20;
        double reach = reaches[i % 3];
        char keys[3][WF_CELL_KEY_LEN], own[WF_CELL_KEY_LEN], there[WF_CELL_KEY_LEN];
        size_t lens[3];
        size_t n = wf_cell_neighbour_keys(lon, lat, reach, keys, lens);
        wf_cell_key(own, sizeof own, true, lon, lat, NULL);
        for (int b = 0; b < 360; b += 15) {
            double plon, plat;
            s_move(lon, lat, b, reach * 0.999, &plon, &plat);
            wf_cell_key(there, sizeof there, true, plon, plat, NULL);
            bool covered = strcmp(there, own) == 0;
            for (size_t k = 0; k < n && !covered; k++)
                covered = strcmp(there, keys[k]) == 0;
            if (!covered)
                fail_msg("(%.6f, %.6f) reach %.0f m: %s not listed", lon, lat, reach, there);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key),
        cmocka_unit_test(test_middle_of_a_cell_needs_no_neighbour),
        cmocka_unit_test(test_sides_and_corner),
        cmocka_unit_test(test_every_point_within_reach_is_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
