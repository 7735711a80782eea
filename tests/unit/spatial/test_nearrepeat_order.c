/* test_nearrepeat_order.c — near-repeat detection in every arrival order, against brute force.
 *
 * Synthetic burglaries are fed in time order, newest first, random permutations and bounded
 * disorder; each pair must be reported by its later event exactly as brute force says: on its
 * arrival when the earlier one came first, else by a revision when the earlier one arrives, and
 * every event must end with all its earlier partners whatever the order.
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
#include <wf/id.h>

#include "spatial_geo.h"
#include "spatial_nearrepeat.h"
#include "spatial_testdata.h"

#define T0   SPATIAL_TESTDATA_T0
#define DAY  WF_US_PER_DAY
#define SEC  WF_US_PER_SEC
#define LON0 SPATIAL_TESTDATA_LON
#define LAT0 SPATIAL_TESTDATA_LAT

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

typedef struct {
    size_t pairs;    /* brute-force near-repeat pairs */
    size_t reported; /* pairs reported by their later event on its arrival */
    size_t revised;  /* revisions handed out */
    spatial_nearrepeat_stats_t stats;
} s_run_t;

/* Checks one list of related events of events[l] after the events with pos < arrived have
 * arrived: exactly the brute-force earlier partners that have arrived, with right dt, nearest
 * first. Returns the list's length. */
static size_t s_check_list(const spatial_testdata_ev_t *events, size_t n, const size_t *pos,
                           size_t arrived, size_t l, const spatial_nearrepeat_match_t *related,
                           size_t count)
{
    size_t expected = 0;
    for (size_t e = 0; e < n; e++)
        expected += e != l && pos[e] < arrived && s_related(&events[l], &events[e]) &&
                    spatial_testdata_ev_before(&events[e], &events[l]);
    assert_int_equal(count, expected);
    for (size_t m = 0; m < count; m++) {
        size_t j = s_index_of(events, n, related[m].event_id);
        assert_true(pos[j] < arrived);
        assert_true(s_related(&events[l], &events[j]));
        assert_true(spatial_testdata_ev_before(&events[j], &events[l]));
        assert_int_equal(related[m].dt_s, (events[l].occurred - events[j].occurred) / SEC);
        if (m > 0)
            assert_true(related[m - 1].distance_m <= related[m].distance_m);
    }
    return count;
}

/* Feeds events in order[] (nothing may leave the window) and checks that each brute-force pair
 * (E earlier, L later) is reported by L: on L's arrival when E arrived before it, else by a
 * revision of L when E arrives (and counted in late_pairs). The last list each event got must
 * hold all its earlier partners, whatever the order. */
static s_run_t s_check_order(const spatial_testdata_ev_t *events, const size_t *order, size_t n)
{
    const char *kinds[] = {"burglary.residential", "burglary.commercial"};
    spatial_nearrepeat_t *nr = spatial_testdata_detector(kinds, 2, 1000000);
    size_t *pos = malloc(n * sizeof *pos), *last = calloc(n, sizeof *last);
    assert_non_null(pos);
    assert_non_null(last);
    for (size_t i = 0; i < n; i++)
        pos[i] = SIZE_MAX;
    s_run_t run = {0};
    size_t late = 0;
    spatial_nearrepeat_result_t r;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        pos[i] = k;
        assert_int_equal(spatial_testdata_add(nr, &events[i], &r), SPATIAL_NEARREPEAT_STORED);
        last[i] = s_check_list(events, n, pos, k, i, r.related, r.related_count);
        run.reported += r.related_count;
        size_t later = 0; /* partners of i that arrived before it and occurred after it */
        for (size_t l = 0; l < n; l++)
            later += l != i && pos[l] < k && s_related(&events[l], &events[i]) &&
                     spatial_testdata_ev_before(&events[i], &events[l]);
        assert_int_equal(r.revised_count, later);
        late += later;
        for (size_t v = 0; v < r.revised_count; v++) {
            spatial_nearrepeat_revision_t rev;
            assert_int_equal(spatial_nearrepeat_revision(nr, v, &rev), WF_OK);
            size_t l = s_index_of(events, n, rev.event.event_id);
            assert_int_equal(rev.event.occurred_us, events[l].occurred);
            assert_string_equal(rev.event.kind, events[l].kind);
            assert_string_equal(rev.event.agency, "CPD");
            assert_true(rev.event.has_location && rev.event.lon == events[l].lon &&
                        rev.event.lat == events[l].lat);
            size_t count = s_check_list(events, n, pos, k + 1, l, rev.related, rev.related_count);
            assert_true(count > last[l]); /* a revision always adds the arriving event */
            last[l] = count;
            run.revised++;
        }
        assert_int_equal(
            spatial_nearrepeat_revision(nr, r.revised_count, &(spatial_nearrepeat_revision_t){0}),
            WF_EINVAL);
    }
    for (size_t l = 0; l < n; l++) { /* every event ends with all its earlier partners */
        size_t partners = 0;
        for (size_t e = 0; e < n; e++)
            partners += e != l && s_related(&events[l], &events[e]) &&
                        spatial_testdata_ev_before(&events[e], &events[l]);
        assert_int_equal(last[l], partners);
        run.pairs += partners;
    }
    run.stats = spatial_testdata_stats(nr);
    assert_int_equal(run.stats.late_pairs, late);
    assert_int_equal(run.revised, late);
    assert_int_equal(run.reported + late, run.pairs);
    assert_true(run.pairs > 50); /* the scenario must actually contain near repeats */
    free(pos);
    free(last);
    spatial_nearrepeat_destroy(&nr);
    return run;
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
        /* 16 days < T + lateness: nothing is evicted, whatever the order. Whole hours, so that
         * equal times (the id tie-break) occur. */
        events[i] = spatial_testdata_ev(
            record, "1",
            spatial_testdata_rand() % 3 ? "burglary.residential" : "burglary.commercial", lon, lat,
            T0 + (int64_t)(spatial_testdata_uniform() * 16 * 24) * 3600 * SEC);
    }
    spatial_testdata_evs_by_time(events, N, order); /* in time: every pair, none late */
    s_run_t run = s_check_order(events, order, N);
    assert_int_equal(run.reported, run.pairs);
    assert_int_equal(run.stats.late_pairs, 0);
    for (size_t i = 0; i < N / 2; i++) { /* newest first: every pair reported by revision */
        size_t t = order[i];
        order[i] = order[N - 1 - i];
        order[N - 1 - i] = t;
    }
    run = s_check_order(events, order, N);
    assert_int_equal(run.reported, 0);
    assert_int_equal(run.stats.late_pairs, run.pairs);
    for (int round = 0; round < 3; round++) { /* random permutations: some of each */
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = spatial_testdata_rand() % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        run = s_check_order(events, order, N);
        assert_true(run.reported > run.pairs / 4 && run.stats.late_pairs > run.pairs / 4);
    }
    free(events);
    free(order);
}

static int s_cmp_key(const void *a, const void *b)
{
    const int64_t *x = a, *y = b; /* {arrival key, index} */
    return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Arrival disorder within the lateness: eviction runs, yet every pair is reported by its later
 * event, on its arrival or by a revision, none lost to the window. */
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
    s_run_t run = s_check_order(events, order, N);
    assert_true(run.stats.evicted > N / 2); /* the window really moved */
    assert_int_equal(run.stats.late, 0);
    assert_int_equal(run.stats.evicted + run.stats.held, N);
    /* up to two days of disorder against a 14-day window: most pairs arrive in order */
    assert_true(run.stats.late_pairs > 0 && run.reported > 4 * run.stats.late_pairs);
    free(events);
    free(keys);
    free(order);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_any_order_matches_brute_force),
        cmocka_unit_test(test_bounded_disorder_loses_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
