/* test_nearrepeat.c — near-repeat detection: pairing rules, arrival order, window and cap.
 *
 * Reads as the detector's usage example: configure, add events one by one, read each result.
 * Distances are built on the same sphere the detector measures on (destination-point formula),
 * so 399 m and 401 m mean exactly that. The last test runs the real Chicago 2014 export and
 * checks the streamed pairs against a brute-force recomputation.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/id.h>

#include "spatial_geo.h"
#include "spatial_nearrepeat.h"
#include "spatial_testdata.h"

#define T0   SPATIAL_TESTDATA_T0
#define DAY  WF_US_PER_DAY
#define SEC  WF_US_PER_SEC
#define LON0 SPATIAL_TESTDATA_LON
#define LAT0 SPATIAL_TESTDATA_LAT

/* ---- pairing rules ---------------------------------------------------------------------- */

static void test_distance_boundary(void **state)
{
    (void)state;
    const double bearings[] = {0, 45, 90, 180, 270, 333};
    const struct {
        double metres;
        bool related;
    } cases[] = {{399, true}, {401, false}, {399.9, true}, {400.1, false}, {0, true}};
    for (size_t b = 0; b < sizeof bearings / sizeof *bearings; b++) {
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
            spatial_nearrepeat_result_t r;
            spatial_testdata_ev_t a = spatial_testdata_ev_at("1", 0, 0, T0);
            spatial_testdata_ev_t near =
                spatial_testdata_ev_at("2", bearings[b], cases[c].metres, T0 + DAY);
            assert_int_equal(spatial_testdata_add(nr, &a, &r), SPATIAL_NEARREPEAT_STORED);
            assert_int_equal(r.related_count, 0);
            assert_int_equal(spatial_testdata_add(nr, &near, &r), SPATIAL_NEARREPEAT_STORED);
            assert_int_equal(r.related_count, cases[c].related ? 1 : 0);
            if (cases[c].related) {
                assert_true(spatial_testdata_is(&r.related[0], &a));
                assert_true(fabs(r.related[0].distance_m - cases[c].metres) < 1e-3);
                assert_int_equal(r.related[0].dt_s, 86400);
            }
            spatial_nearrepeat_destroy(&nr);
            assert_null(nr);
        }
    }
}

static void test_time_boundary(void **state)
{
    (void)state;
    const struct {
        int64_t dt;
        bool related;
    } cases[] = {{14 * DAY, true},  {14 * DAY + SEC, false},  {14 * DAY - SEC, true},
                 {-14 * DAY, true}, {-14 * DAY - SEC, false}, {0, true}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
        spatial_nearrepeat_result_t r;
        spatial_testdata_ev_t a = spatial_testdata_ev_at("1", 0, 0, T0);
        spatial_testdata_ev_t b = spatial_testdata_ev_at("2", 90, 100, T0 + cases[c].dt);
        spatial_testdata_add(nr, &a, &r);
        spatial_testdata_add(nr, &b, &r);
        assert_int_equal(r.related_count, cases[c].related ? 1 : 0);
        if (cases[c].related)
            assert_int_equal(r.related[0].dt_s, cases[c].dt / SEC);
        spatial_nearrepeat_destroy(&nr);
    }
}

static void test_kinds_never_mix(void **state)
{
    (void)state;
    const char *kinds[] = {"burglary.residential", "burglary.commercial"};
    spatial_nearrepeat_t *nr = spatial_testdata_detector(kinds, 2, 1000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t res1 =
        spatial_testdata_ev("1", "1", "burglary.residential", LON0, LAT0, T0);
    spatial_testdata_ev_t com1 =
        spatial_testdata_ev("2", "1", "burglary.commercial", LON0, LAT0, T0);
    spatial_testdata_ev_t com2 =
        spatial_testdata_ev("3", "1", "burglary.commercial", LON0, LAT0 + 1e-4, T0 + DAY);
    spatial_testdata_ev_t res2 =
        spatial_testdata_ev("4", "1", "burglary.residential", LON0, LAT0 + 1e-4, T0 + DAY);
    spatial_testdata_ev_t theft = spatial_testdata_ev("5", "1", "theft", LON0, LAT0, T0 + DAY);
    assert_int_equal(spatial_testdata_add(nr, &res1, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(spatial_testdata_add(nr, &com1, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 0);
    spatial_testdata_add(nr, &com2, &r);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &com1));
    spatial_testdata_add(nr, &res2, &r);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &res1));
    assert_int_equal(spatial_testdata_add(nr, &theft, &r), SPATIAL_NEARREPEAT_IGNORED);
    assert_int_equal(r.related_count, 0);
    assert_int_equal(spatial_testdata_stats(nr).held, 4);
    spatial_nearrepeat_destroy(&nr);
}

static void test_revisions_never_pair(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t a1 = spatial_testdata_ev_at("100", 0, 0, T0);
    spatial_testdata_ev_t a2 =
        spatial_testdata_ev_at("100", 0, 50, T0); /* the same burglary, location corrected */
    wf_id_event(&a2.id, "CPD", "100", "2");
    a2.reported = T0 + 3600 * SEC;
    spatial_testdata_ev_t b = spatial_testdata_ev_at("200", 0, 70, T0 + DAY);
    spatial_testdata_add(nr, &a1, &r);
    assert_int_equal(spatial_testdata_add(nr, &a2, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 0); /* not paired with its own earlier revision */
    assert_int_equal(spatial_testdata_stats(nr).held, 1);
    assert_int_equal(spatial_testdata_stats(nr).replaced, 1);
    spatial_testdata_add(nr, &b, &r);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &a2)); /* the newer revision, 20 m away */
    assert_true(fabs(r.related[0].distance_m - 20) < 1e-3);

    /* The older revision arriving again is stale: checked, never held, never paired with a2. */
    assert_int_equal(spatial_testdata_add(nr, &a1, &r), SPATIAL_NEARREPEAT_STALE);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &b));
    assert_int_equal(spatial_testdata_stats(nr).held, 2);

    /* A newer revision that is no longer a residential burglary withdraws the held one. */
    spatial_testdata_ev_t a3 = spatial_testdata_ev_at("100", 0, 50, T0);
    wf_id_event(&a3.id, "CPD", "100", "3");
    a3.kind = "theft";
    a3.reported = T0 + 7200 * SEC;
    assert_int_equal(spatial_testdata_add(nr, &a3, &r), SPATIAL_NEARREPEAT_IGNORED);
    assert_int_equal(spatial_testdata_stats(nr).held, 1);
    spatial_testdata_ev_t c = spatial_testdata_ev_at("300", 0, 60, T0 + DAY);
    spatial_testdata_add(nr, &c, &r);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &b));
    spatial_nearrepeat_destroy(&nr);
}

static void test_duplicate_delivery(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t a = spatial_testdata_ev_at("1", 0, 0, T0);
    spatial_testdata_ev_t b = spatial_testdata_ev_at("2", 0, 100, T0 + DAY);
    spatial_testdata_ev_t c = spatial_testdata_ev_at("3", 0, 200, T0 + 2 * DAY);
    spatial_testdata_add(nr, &a, &r);
    spatial_testdata_add(nr, &b, &r);
    assert_int_equal(spatial_testdata_add(nr, &b, &r), SPATIAL_NEARREPEAT_DUPLICATE);
    assert_int_equal(r.related_count, 1); /* a only: never itself */
    assert_true(spatial_testdata_is(&r.related[0], &a));
    assert_int_equal(spatial_testdata_add(nr, &a, &r), SPATIAL_NEARREPEAT_DUPLICATE);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &b));
    assert_int_equal(spatial_testdata_stats(nr).held, 2);
    assert_int_equal(spatial_testdata_stats(nr).duplicates, 2);
    spatial_testdata_add(nr, &c, &r);
    assert_int_equal(r.related_count, 2); /* b and a, once each */
    assert_true(spatial_testdata_is(&r.related[0], &b));
    assert_true(spatial_testdata_is(&r.related[1], &a));
    spatial_nearrepeat_destroy(&nr);
}

/* Without a source record id nothing groups revisions: each event stands for itself. */
static void test_events_without_record_id(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t a = spatial_testdata_ev_at("", 0, 0, T0);
    spatial_testdata_ev_t b = spatial_testdata_ev_at("", 0, 50, T0 + DAY);
    wf_id_event(&b.id, "CPD", "", "other");
    spatial_testdata_add(nr, &a, &r);
    assert_int_equal(spatial_testdata_add(nr, &b, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &a));
    assert_int_equal(spatial_testdata_add(nr, &a, &r), SPATIAL_NEARREPEAT_DUPLICATE);
    assert_int_equal(spatial_testdata_stats(nr).held, 2);
    spatial_nearrepeat_destroy(&nr);
}

static void test_out_of_order_arrival(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t late5 = spatial_testdata_ev_at("1", 0, 0, T0 + 5 * DAY);
    spatial_testdata_ev_t early1 = spatial_testdata_ev_at("2", 0, 100, T0 + DAY);
    spatial_testdata_ev_t mid3 = spatial_testdata_ev_at("3", 0, 30, T0 + 3 * DAY);
    spatial_testdata_add(nr, &late5, &r);
    assert_int_equal(r.related_count, 0);
    spatial_testdata_add(nr, &early1, &r);
    assert_int_equal(r.related_count, 1);
    assert_int_equal(r.related[0].dt_s, -4 * 86400);
    assert_int_equal(spatial_testdata_add(nr, &mid3, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 2);
    assert_true(spatial_testdata_is(&r.related[0], &late5)); /* 30 m, nearest first */
    assert_int_equal(r.related[0].dt_s, -2 * 86400);
    assert_true(spatial_testdata_is(&r.related[1], &early1)); /* 70 m */
    assert_int_equal(r.related[1].dt_s, 2 * 86400);
    assert_true(r.related[0].distance_m < r.related[1].distance_m);
    assert_int_equal(spatial_nearrepeat_watermark(nr), T0 + 5 * DAY);
    spatial_nearrepeat_destroy(&nr);
}

/* ---- every order, checked against brute force ------------------------------------------- */

static bool s_related(const spatial_testdata_ev_t *a, const spatial_testdata_ev_t *b)
{
    int64_t dt = a->occurred - b->occurred;
    return strcmp(a->kind, b->kind) == 0 && strcmp(a->record, b->record) != 0 && dt <= 14 * DAY &&
           dt >= -14 * DAY && spatial_geo_distance_m(a->lon, a->lat, b->lon, b->lat) <= 400;
}

static size_t s_index_of(const spatial_testdata_ev_t *events, size_t n, const uint8_t *id)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(events[i].id.bytes, id, WF_UUID_LEN) == 0)
            return i;
    fail_msg("related id is no event of the run");
    return 0;
}

/* Feeds events in order[] and checks that every brute-force pair is reported exactly once.
 * Returns the detector's counters at the end. */
static spatial_nearrepeat_stats_t s_check_order(const spatial_testdata_ev_t *events,
                                                const size_t *order, size_t n)
{
    const char *kinds[] = {"burglary.residential", "burglary.commercial"};
    spatial_nearrepeat_t *nr = spatial_testdata_detector(kinds, 2, 1000000);
    unsigned char *seen = calloc(n * n, 1);
    assert_non_null(seen);
    spatial_nearrepeat_result_t r;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        assert_int_equal(spatial_testdata_add(nr, &events[i], &r), SPATIAL_NEARREPEAT_STORED);
        for (size_t m = 0; m < r.related_count; m++) {
            size_t j = s_index_of(events, n, r.related[m].event_id);
            assert_true(s_related(&events[i], &events[j]));
            if (m > 0)
                assert_true(r.related[m - 1].distance_m <= r.related[m].distance_m);
            seen[i < j ? i * n + j : j * n + i]++;
        }
    }
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            assert_int_equal(seen[i * n + j], s_related(&events[i], &events[j]) ? 1 : 0);
            pairs += seen[i * n + j];
        }
    assert_true(pairs > 50); /* the scenario must actually contain near repeats */
    free(seen);
    spatial_nearrepeat_stats_t stats = spatial_testdata_stats(nr);
    spatial_nearrepeat_destroy(&nr);
    return stats;
}

static void test_any_order_matches_brute_force(void **state)
{
    (void)state;
    enum { N = 600 };
    spatial_testdata_ev_t *events = calloc(N, sizeof *events);
    size_t *order = calloc(N, sizeof *order);
    assert_non_null(events);
    assert_non_null(order);
    for (size_t i = 0; i < N; i++) {
        char record[24];
        snprintf(record, sizeof record, "%zu", i);
        double lon, lat;
        spatial_testdata_move(LON0, LAT0, spatial_testdata_uniform() * 360,
                              sqrt(spatial_testdata_uniform()) * 2500, &lon, &lat);
        /* 16 days < T + lateness: nothing is evicted, so every order must give every pair */
        events[i] = spatial_testdata_ev(
            record, "1",
            spatial_testdata_rand() % 3 ? "burglary.residential" : "burglary.commercial", lon, lat,
            T0 + (int64_t)(spatial_testdata_uniform() * 16 * DAY));
        order[i] = i; /* generation order: random in time already */
    }
    s_check_order(events, order, N);
    for (size_t i = 0; i < N; i++) /* reverse */
        order[i] = N - 1 - i;
    s_check_order(events, order, N);
    for (int round = 0; round < 3; round++) { /* random permutations */
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = spatial_testdata_rand() % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        s_check_order(events, order, N);
    }
    free(events);
    free(order);
}

static int s_cmp_key(const void *a, const void *b)
{
    const int64_t *x = a, *y = b; /* {arrival key, index} */
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Arrival disorder within the lateness: eviction runs, yet no pair is lost. */
static void test_bounded_disorder_loses_nothing(void **state)
{
    (void)state;
    enum { N = 3000 };
    spatial_testdata_ev_t *events = calloc(N, sizeof *events);
    int64_t(*keys)[2] = calloc(N, sizeof *keys);
    size_t *order = calloc(N, sizeof *order);
    assert_non_null(events);
    assert_non_null(keys);
    assert_non_null(order);
    for (size_t i = 0; i < N; i++) {
        char record[24];
        snprintf(record, sizeof record, "%zu", i);
        double lon, lat;
        spatial_testdata_move(LON0, LAT0, spatial_testdata_uniform() * 360,
                              sqrt(spatial_testdata_uniform()) * 3000, &lon, &lat);
        events[i] = spatial_testdata_ev(record, "1", "burglary.residential", lon, lat,
                                        T0 + (int64_t)(spatial_testdata_uniform() * 90 * DAY));
        keys[i][0] = events[i].occurred +
                     (int64_t)(spatial_testdata_uniform() * 2 * DAY); /* reported late */
        keys[i][1] = (int64_t)i;
    }
    qsort(keys, N, sizeof *keys, s_cmp_key);
    for (size_t i = 0; i < N; i++)
        order[i] = (size_t)keys[i][1];
    spatial_nearrepeat_stats_t stats = s_check_order(events, order, N);
    assert_true(stats.evicted > N / 2); /* the window really moved */
    assert_int_equal(stats.late, 0);
    assert_int_equal(stats.evicted + stats.held, N);
    free(events);
    free(keys);
    free(order);
}

/* ---- bad input is data ------------------------------------------------------------------ */

static void test_future_and_unusable_events(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t typo =
        spatial_testdata_ev_at("1", 0, 0, T0 + 2 * DAY); /* two days after it arrived */
    typo.arrived = T0;
    assert_int_equal(spatial_testdata_add(nr, &typo, &r), SPATIAL_NEARREPEAT_FUTURE);
    assert_int_equal(spatial_nearrepeat_watermark(nr), 0); /* did not move the window */
    spatial_testdata_ev_t a = spatial_testdata_ev_at("2", 0, 10, T0);
    a.arrived = T0 + 3600 * SEC;
    assert_int_equal(spatial_testdata_add(nr, &a, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 0); /* the future event was not held */
    typo.arrived = T0 - 3 * DAY;
    assert_int_equal(spatial_testdata_add(nr, &typo, &r), SPATIAL_NEARREPEAT_FUTURE);
    assert_int_equal(r.related_count, 1); /* but it is checked */
    assert_int_equal(spatial_nearrepeat_watermark(nr), T0);

    spatial_testdata_ev_t bad[4];
    for (int i = 0; i < 4; i++)
        bad[i] = spatial_testdata_ev_at("3", 0, 20, T0);
    bad[0].located = false;
    bad[1].lon = NAN;
    bad[2].lat = 91;
    bad[3].occurred = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(spatial_testdata_add(nr, &bad[i], &r), SPATIAL_NEARREPEAT_UNUSABLE);
        assert_int_equal(r.related_count, 0);
    }
    spatial_nearrepeat_stats_t stats = spatial_testdata_stats(nr);
    assert_int_equal(stats.unusable, 4);
    assert_int_equal(stats.future, 2);
    assert_int_equal(stats.held, 1);

    /* A newer revision without coordinates withdraws the held, now stale, location. */
    spatial_testdata_ev_t moved = spatial_testdata_ev_at("2", 0, 10, T0);
    wf_id_event(&moved.id, "CPD", "2", "2");
    moved.located = false;
    moved.reported = T0 + DAY;
    assert_int_equal(spatial_testdata_add(nr, &moved, &r), SPATIAL_NEARREPEAT_UNUSABLE);
    assert_int_equal(spatial_testdata_stats(nr).held, 0);
    spatial_nearrepeat_destroy(&nr);
}

static void test_antimeridian_and_pole(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t east =
        spatial_testdata_ev("1", "1", "burglary.residential", 179.999, -17.7, T0);
    spatial_testdata_ev_t west =
        spatial_testdata_ev("2", "1", "burglary.residential", -179.999, -17.7, T0 + DAY);
    spatial_testdata_ev_t p1 =
        spatial_testdata_ev("3", "1", "burglary.residential", 10, 89.999, T0);
    spatial_testdata_ev_t p2 =
        spatial_testdata_ev("4", "1", "burglary.residential", -170, 89.999, T0 + DAY);
    spatial_testdata_add(nr, &east, &r);
    spatial_testdata_add(nr, &west, &r);
    assert_int_equal(r.related_count, 1); /* 212 m across the antimeridian */
    assert_true(r.related[0].distance_m > 200 && r.related[0].distance_m < 220);
    spatial_testdata_add(nr, &p1, &r);
    spatial_testdata_add(nr, &p2, &r);
    assert_int_equal(r.related_count, 1); /* 222 m across the pole */
    assert_true(spatial_testdata_is(&r.related[0], &p1));
    spatial_nearrepeat_destroy(&nr);
}

static void test_new_rejects_bad_config(void **state)
{
    (void)state;
    const char *kinds[] = {"burglary.residential"};
    spatial_nearrepeat_config_t good = {kinds, 1, 400, 14 * DAY, 3 * DAY, 10, DAY};
    spatial_nearrepeat_config_t bad = good;
    spatial_nearrepeat_t *nr = spatial_nearrepeat_new(&good);
    assert_non_null(nr);
    spatial_nearrepeat_destroy(&nr);
    spatial_nearrepeat_destroy(&nr); /* NULL-safe */
    spatial_nearrepeat_destroy(NULL);
    bad.kind_count = 0;
    assert_null(spatial_nearrepeat_new(&bad));
    bad = good;
    bad.distance_m = 0;
    assert_null(spatial_nearrepeat_new(&bad));
    bad.distance_m = NAN;
    assert_null(spatial_nearrepeat_new(&bad));
    bad = good;
    bad.window_us = 0;
    assert_null(spatial_nearrepeat_new(&bad));
    bad = good;
    bad.max_events = 0;
    assert_null(spatial_nearrepeat_new(&bad));
    bad = good;
    bad.lateness_us = -1;
    assert_null(spatial_nearrepeat_new(&bad));
    bad = good;
    bad.kinds = NULL;
    assert_null(spatial_nearrepeat_new(&bad));
}

/* ---- the real Chicago 2014 export ------------------------------------------------------- */

static size_t s_row_of(const spatial_testdata_row_t *rows, size_t n, const uint8_t *id)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(rows[i].event_id.bytes, id, WF_UUID_LEN) == 0)
            return i;
    fail_msg("related id is no row of the file");
    return 0;
}

static bool s_rows_related(const spatial_testdata_row_t *a, const spatial_testdata_row_t *b)
{
    int64_t dt = a->occurred_us - b->occurred_us;
    return strcmp(a->kind, "burglary.residential") == 0 && strcmp(b->kind, a->kind) == 0 &&
           a->has_location && b->has_location && strcmp(a->record_id, b->record_id) != 0 &&
           dt <= 14 * DAY && dt >= -14 * DAY &&
           spatial_geo_distance_m(a->lon, a->lat, b->lon, b->lat) <= 400;
}

static void test_chicago_2014_burglaries(void **state)
{
    (void)state;
    char path[512];
    if (!spatial_testdata_find(path, sizeof path)) {
        print_message("crimes_2014-03_portal_export.csv not found: skipped\n");
        skip();
    }
    spatial_testdata_row_t *rows = NULL;
    long loaded = spatial_testdata_load(path, &rows);
    assert_int_equal(loaded, 6957);
    size_t n = (size_t)loaded, residential = 0, signals = 0, reported = 0;
    unsigned char *seen = calloc(n * n, 1);
    assert_non_null(seen);
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    for (size_t i = 0; i < n; i++) { /* file order: newest first, as the portal exports */
        spatial_nearrepeat_event_t event;
        spatial_testdata_event(&rows[i], &event);
        assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), 0);
        residential += r.outcome != SPATIAL_NEARREPEAT_IGNORED;
        signals += r.related_count > 0;
        for (size_t m = 0; m < r.related_count; m++) {
            size_t j = s_row_of(rows, n, r.related[m].event_id);
            /* recomputed from the file, not taken from the detector */
            int64_t dt = rows[i].occurred_us - rows[j].occurred_us;
            double d = spatial_geo_distance_m(rows[i].lon, rows[i].lat, rows[j].lon, rows[j].lat);
            assert_true(d <= 400.0);
            assert_true(dt <= 14 * DAY && dt >= -14 * DAY);
            assert_true(fabs(d - r.related[m].distance_m) < 1e-6);
            assert_int_equal(r.related[m].dt_s, dt / SEC);
            seen[i < j ? i * n + j : j * n + i]++;
            reported++;
        }
    }
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            assert_int_equal(seen[i * n + j], s_rows_related(&rows[i], &rows[j]) ? 1 : 0);
            pairs += seen[i * n + j];
        }
    spatial_nearrepeat_stats_t stats = spatial_testdata_stats(nr);
    print_message("Chicago 2014-03: %zu residential burglaries (%llu located), %zu near-repeat "
                  "signals, %zu pairs\n",
                  residential, (unsigned long long)stats.held, signals, pairs);
    assert_int_equal(residential, 361); /* RESIDENCE, APARTMENT, RESIDENCE-GARAGE, PORCH */
    assert_int_equal(stats.held + stats.unusable, residential);
    assert_int_equal(reported, pairs);
    assert_true(signals >= 20 && signals <= residential / 2);
    free(seen);
    free(rows);
    spatial_nearrepeat_destroy(&nr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance_boundary),
        cmocka_unit_test(test_time_boundary),
        cmocka_unit_test(test_kinds_never_mix),
        cmocka_unit_test(test_revisions_never_pair),
        cmocka_unit_test(test_duplicate_delivery),
        cmocka_unit_test(test_events_without_record_id),
        cmocka_unit_test(test_out_of_order_arrival),
        cmocka_unit_test(test_any_order_matches_brute_force),
        cmocka_unit_test(test_bounded_disorder_loses_nothing),
        cmocka_unit_test(test_future_and_unusable_events),
        cmocka_unit_test(test_antimeridian_and_pole),
        cmocka_unit_test(test_new_rejects_bad_config),
        cmocka_unit_test(test_chicago_2014_burglaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
