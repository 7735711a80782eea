/* test_window.c — what the near-repeat detector holds, and for how long.
 *
 * First the store itself (spatial_window.c) against a plain reference model: grid visits find
 * every event within D (across the antimeridian and the poles too, each once), the record
 * table finds what is held, the heap gives events back oldest first. Then the detector's window
 * policy on top of it: eviction by event time, late events, the hard cap, and a million events
 * over a year leaving only one window's worth in memory.
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
#include <wf/err.h>

#include "spatial_geo.h"
#include "spatial_nearrepeat.h"
#include "spatial_testdata.h"
#include "spatial_window.h"

#define T0   SPATIAL_TESTDATA_T0
#define DAY  WF_US_PER_DAY
#define SEC  WF_US_PER_SEC
#define LON0 SPATIAL_TESTDATA_LON
#define LAT0 SPATIAL_TESTDATA_LAT

/* ---- the store -------------------------------------------------------------------------- */

enum { S_MODEL_MAX = 4000 };

typedef struct {
    spatial_window_entry_t entries[S_MODEL_MAX]; /* what should be held */
    size_t count;                                /* how many */
    uint64_t next_id;                            /* makes ids unique */
} s_model_t;

static spatial_window_entry_t s_entry(s_model_t *model, double lon, double lat, int64_t occurred)
{
    spatial_window_entry_t e = {.occurred_us = occurred, .lon = lon, .lat = lat};
    uint64_t id = ++model->next_id;
    memcpy(e.event_id, &id, sizeof id);
    memcpy(e.record_id + 8, &id, sizeof id);
    e.record_id[0] = (uint8_t)spatial_testdata_rand(); /* spread the table's hash */
    return e;
}

static int s_collect(void *user, const spatial_window_entry_t *probe,
                     const spatial_window_entry_t *held)
{
    (void)probe;
    uint8_t *hits = user; /* hits[id]: times the entry with that event id was visited */
    uint64_t id;
    memcpy(&id, held->event_id, sizeof id);
    hits[id]++;
    return 0;
}

/* Every held entry within D of probe is visited exactly once. */
static void s_check_visit(const spatial_window_t *window, const s_model_t *model, double lon,
                          double lat)
{
    uint8_t *hits = calloc(model->next_id + 1, 1);
    assert_non_null(hits);
    spatial_window_entry_t probe = {.lon = lon, .lat = lat};
    assert_int_equal(spatial_window_visit(window, &probe, 400, s_collect, hits), 0);
    for (size_t i = 0; i < model->count; i++) {
        const spatial_window_entry_t *e = &model->entries[i];
        uint64_t id;
        memcpy(&id, e->event_id, sizeof id);
        assert_true(hits[id] <= 1);
        if (spatial_geo_distance_m(lon, lat, e->lon, e->lat) <= 400)
            assert_int_equal(hits[id], 1);
    }
    free(hits);
}

static void s_model_remove(s_model_t *model, size_t i)
{
    model->entries[i] = model->entries[--model->count];
}

static void test_store_against_model(void **state)
{
    (void)state;
    static s_model_t model;
    spatial_window_t *window = spatial_window_new(400, S_MODEL_MAX);
    assert_non_null(window);
    assert_int_equal(spatial_window_oldest_us(window), INT64_MAX);
    for (int round = 0; round < 20000; round++) {
        uint64_t op = spatial_testdata_rand() % 10;
        if (op < 6 && model.count < S_MODEL_MAX) { /* insert, 3 km around the point */
            double lon, lat;
            spatial_testdata_move(LON0, LAT0, spatial_testdata_uniform() * 360,
                                  spatial_testdata_uniform() * 3000, &lon, &lat);
            spatial_window_entry_t e =
                s_entry(&model, lon, lat, T0 + (int64_t)(spatial_testdata_rand() % 1000) * SEC);
            assert_int_equal(spatial_window_insert(window, &e), 0);
            model.entries[model.count++] = e;
        } else if (op < 8 && model.count > 0) { /* remove a random held entry */
            size_t i = spatial_testdata_rand() % model.count;
            uint32_t index = spatial_window_find_record(window, model.entries[i].record_id);
            assert_int_not_equal(index, SPATIAL_WINDOW_NONE);
            assert_memory_equal(spatial_window_entry(window, index)->event_id,
                                model.entries[i].event_id, 16);
            spatial_window_remove(window, index);
            assert_int_equal(spatial_window_find_record(window, model.entries[i].record_id),
                             SPATIAL_WINDOW_NONE);
            s_model_remove(&model, i);
        } else if (model.count > 0) { /* the oldest goes first */
            int64_t oldest = INT64_MAX;
            for (size_t i = 0; i < model.count; i++)
                oldest =
                    model.entries[i].occurred_us < oldest ? model.entries[i].occurred_us : oldest;
            assert_int_equal(spatial_window_oldest_us(window), oldest);
            spatial_window_evict_oldest(window);
            size_t gone = 0;
            for (size_t i = 0; i < model.count; i++)
                if (spatial_window_find_record(window, model.entries[i].record_id) ==
                    SPATIAL_WINDOW_NONE) {
                    assert_int_equal(model.entries[i].occurred_us, oldest);
                    s_model_remove(&model, i);
                    gone++;
                    break;
                }
            assert_int_equal(gone, 1);
        }
        assert_int_equal(spatial_window_held(window), model.count);
        if (round % 500 == 0)
            s_check_visit(window, &model, LON0 + (spatial_testdata_uniform() - 0.5) * 0.05,
                          LAT0 + (spatial_testdata_uniform() - 0.5) * 0.04);
    }
    /* evict_before removes exactly what is older than the horizon */
    int64_t horizon = T0 + 500 * SEC;
    size_t older = 0;
    for (size_t i = 0; i < model.count; i++)
        older += model.entries[i].occurred_us < horizon;
    assert_int_equal(spatial_window_evict_before(window, horizon), older);
    assert_int_equal(spatial_window_held(window), model.count - older);
    assert_true(spatial_window_oldest_us(window) >= horizon);
    spatial_window_destroy(&window);
    assert_null(window);
    spatial_window_destroy(&window);
}

static void test_visit_across_antimeridian_and_pole(void **state)
{
    (void)state;
    static s_model_t model;
    spatial_window_t *window = spatial_window_new(400, 100);
    const double places[][2] = {{179.9995, 10}, {-179.9995, 10}, {180, 10}, {-180, 10},
                                {0, 89.9995},   {180, 89.9995},  {90, 90},  {-45, -89.9999}};
    for (size_t i = 0; i < sizeof places / sizeof *places; i++) {
        spatial_window_entry_t e = s_entry(&model, places[i][0], places[i][1], T0);
        assert_int_equal(spatial_window_insert(window, &e), 0);
        model.entries[model.count++] = e;
    }
    for (size_t i = 0; i < sizeof places / sizeof *places; i++)
        s_check_visit(window, &model, places[i][0], places[i][1]);
    s_check_visit(window, &model, 135, -89.9999);
    spatial_window_destroy(&window);
}

/* ---- the detector's window policy ------------------------------------------------------- */

static void test_eviction_by_event_time(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_t a = spatial_testdata_ev_at("1", 0, 0, T0);
    spatial_testdata_ev_t far1 = spatial_testdata_ev_at("2", 90, 10000, T0 + 17 * DAY);
    spatial_testdata_ev_t far2 = spatial_testdata_ev_at("3", 90, 10000, T0 + 17 * DAY + SEC);
    spatial_testdata_add(nr, &a, &r);
    spatial_testdata_add(nr, &far1, &r); /* horizon = T0: a (at T0) is still held */
    assert_int_equal(spatial_testdata_stats(nr).held, 2);
    assert_int_equal(spatial_testdata_stats(nr).evicted, 0);
    spatial_testdata_add(nr, &far2, &r); /* horizon = T0 + 1 s: a leaves */
    assert_int_equal(spatial_testdata_stats(nr).held, 2);
    assert_int_equal(spatial_testdata_stats(nr).evicted, 1);

    spatial_testdata_ev_t g = spatial_testdata_ev_at("4", 0, 10, T0 + DAY);
    assert_int_equal(spatial_testdata_add(nr, &g, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 0); /* a is gone */
    spatial_testdata_ev_t late = spatial_testdata_ev_at("5", 0, 0, T0);
    assert_int_equal(spatial_testdata_add(nr, &late, &r), SPATIAL_NEARREPEAT_LATE);
    assert_int_equal(r.related_count, 0); /* checked against what is held: g is later … */
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 1); /* … so the pair is late */
    assert_int_equal(spatial_testdata_stats(nr).late, 1);
    assert_int_equal(spatial_testdata_stats(nr).held, 3); /* and it is not stored */
    /* also too old, arriving after late: never related to it, which was not held */
    spatial_testdata_ev_t late2 = spatial_testdata_ev_at("7", 0, 20, T0 - 3600 * SEC);
    assert_int_equal(spatial_testdata_add(nr, &late2, &r), SPATIAL_NEARREPEAT_LATE);
    assert_int_equal(r.related_count, 0);
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 2); /* g again */
    spatial_testdata_ev_t h = spatial_testdata_ev_at("6", 0, 5, T0 + DAY + 3600 * SEC);
    spatial_testdata_add(nr, &h, &r);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &g));
    spatial_nearrepeat_destroy(&nr);
}

/* A million events over a year: the detector holds one window's worth, not the year. */
static void test_million_events_stay_bounded(void **state)
{
    (void)state;
    enum { N = 1000000 };
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    const int64_t year = 365 * DAY, step = year / N;
    uint64_t peak = 0, signals = 0;
    for (size_t i = 0; i < N; i++) {
        char record[24];
        snprintf(record, sizeof record, "%zu", i);
        spatial_testdata_ev_t e = spatial_testdata_ev(
            record, "1", "burglary.residential", LON0 + (spatial_testdata_uniform() - 0.5) * 0.5,
            LAT0 + (spatial_testdata_uniform() - 0.5) * 0.4,
            T0 + (int64_t)i * step - (int64_t)(spatial_testdata_uniform() * DAY));
        assert_int_equal(spatial_testdata_add(nr, &e, &r), SPATIAL_NEARREPEAT_STORED);
        signals += r.related_count > 0;
        for (size_t m = 0; m < r.related_count; m++)
            assert_true(r.related[m].dt_s >= 0); /* only earlier events are listed */
        uint64_t held = spatial_testdata_stats(nr).held;
        peak = held > peak ? held : peak;
    }
    spatial_nearrepeat_stats_t stats = spatial_testdata_stats(nr);
    double per_day = (double)N / 365;
    print_message("1M events over a year: held %llu (peak %llu), evicted %llu, %llu signals, "
                  "%llu late pairs, %.1f MiB\n",
                  (unsigned long long)stats.held, (unsigned long long)peak,
                  (unsigned long long)stats.evicted, (unsigned long long)signals,
                  (unsigned long long)stats.late_pairs, (double)stats.bytes / 1048576);
    /* T + lateness = 17 days, plus up to one day of disorder */
    assert_true(peak <= (uint64_t)(18 * per_day) + 100);
    assert_true(stats.held >= (uint64_t)(16 * per_day));
    assert_int_equal(stats.evicted + stats.held, N);
    assert_int_equal(stats.evicted_cap, 0);
    assert_true(signals > N / 2);
    assert_true(stats.late_pairs > 0); /* a day of disorder costs some pairs */
    /* Memory follows the window: a year held would take 1M × 88-byte entries alone (84 MiB). */
    assert_true(stats.bytes < 16u * 1048576);
    spatial_nearrepeat_destroy(&nr);
}

static void test_cap_evicts_oldest(void **state)
{
    (void)state;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 100);
    spatial_nearrepeat_result_t r;
    char record[24];
    for (int i = 0; i < 150; i++) { /* 1 km apart, one an hour: all within the window */
        snprintf(record, sizeof record, "%d", i);
        spatial_testdata_ev_t e =
            spatial_testdata_ev_at(record, 90, 1000.0 * i, T0 + i * 3600 * SEC);
        assert_int_equal(spatial_testdata_add(nr, &e, &r), SPATIAL_NEARREPEAT_STORED);
    }
    spatial_nearrepeat_stats_t stats = spatial_testdata_stats(nr);
    assert_int_equal(stats.held, 100);
    assert_int_equal(stats.evicted_cap, 50);
    assert_int_equal(stats.evicted, 0);
    spatial_testdata_ev_t at0 = spatial_testdata_ev_at("x0", 90, 0, T0 + 150 * 3600 * SEC);
    spatial_testdata_ev_t at60 = spatial_testdata_ev_at("x60", 90, 60000, T0 + 150 * 3600 * SEC);
    spatial_testdata_add(nr, &at0, &r); /* event 0, the oldest, was evicted by the cap */
    assert_int_equal(r.related_count, 0);
    spatial_testdata_add(nr, &at60, &r);
    assert_int_equal(r.related_count, 1);
    assert_int_equal(spatial_testdata_stats(nr).evicted_cap, 52);
    /* Older than everything held while full: checked, counted, not held; event 60 and x60 are
     * later, so the two pairs are late. */
    spatial_testdata_ev_t old = spatial_testdata_ev_at("old", 90, 60000, T0 + 10 * 3600 * SEC);
    assert_int_equal(spatial_testdata_add(nr, &old, &r), SPATIAL_NEARREPEAT_CAPPED);
    assert_int_equal(r.related_count, 0);
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 2);
    assert_int_equal(spatial_testdata_stats(nr).evicted_cap, 53);
    assert_int_equal(spatial_testdata_stats(nr).held, 100);
    spatial_nearrepeat_destroy(&nr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_against_model),
        cmocka_unit_test(test_visit_across_antimeridian_and_pole),
        cmocka_unit_test(test_eviction_by_event_time),
        cmocka_unit_test(test_million_events_stay_bounded),
        cmocka_unit_test(test_cap_evicts_oldest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
