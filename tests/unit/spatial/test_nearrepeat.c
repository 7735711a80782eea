/* test_nearrepeat.c — near-repeat detection: pairing rules, arrival order, window and cap.
 *
 * Reads as the detector's usage example: configure, add events one by one, read each result.
 * Distances are built on the same sphere the detector measures on (destination-point formula),
 * so 399 m and 401 m mean exactly that. A pair is reported by its later event: on its arrival
 * when the earlier one came first, else by a revision when the earlier one arrives. Many
 * arrival orders checked against brute force are in test_nearrepeat_order.c, the real Chicago
 * 2014 export in test_nearrepeat_chicago.c.
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
    } cases[] = {{14 * DAY, true}, {14 * DAY + SEC, false}, {14 * DAY - SEC, true}, {SEC, true}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
        spatial_nearrepeat_result_t r;
        spatial_testdata_ev_t a = spatial_testdata_ev_at("1", 0, 0, T0);
        spatial_testdata_ev_t b = spatial_testdata_ev_at("2", 90, 100, T0 + cases[c].dt);
        spatial_testdata_add(nr, &a, &r);
        spatial_testdata_add(nr, &b, &r); /* the later one arrives second: it reports the pair */
        assert_int_equal(r.related_count, cases[c].related ? 1 : 0);
        if (cases[c].related)
            assert_int_equal(r.related[0].dt_s, cases[c].dt / SEC);
        assert_int_equal(spatial_testdata_stats(nr).late_pairs, 0);
        spatial_nearrepeat_destroy(&nr);

        /* The later one first: the earlier one, arriving second, has no earlier partner … */
        nr = spatial_testdata_detector(NULL, 0, 1000000);
        spatial_testdata_add(nr, &b, &r);
        assert_int_equal(spatial_testdata_add(nr, &a, &r), SPATIAL_NEARREPEAT_STORED);
        assert_int_equal(r.related_count, 0);
        /* … but revises the later one's signal, within the same D and T */
        assert_int_equal(r.revised_count, cases[c].related ? 1 : 0);
        if (cases[c].related) {
            spatial_nearrepeat_revision_t rev;
            assert_int_equal(spatial_nearrepeat_revision(nr, 0, &rev), WF_OK);
            assert_memory_equal(rev.event.event_id, b.id.bytes, WF_UUID_LEN);
            assert_int_equal(rev.related_count, 1);
            assert_true(spatial_testdata_is(&rev.related[0], &a));
            assert_int_equal(rev.related[0].dt_s, cases[c].dt / SEC);
        }
        assert_int_equal(spatial_testdata_stats(nr).late_pairs, cases[c].related ? 1 : 0);
        spatial_nearrepeat_destroy(&nr);
    }
}

/* Equal occurrence times: the event with the smaller id counts as the earlier one, whichever
 * arrives first, so the pair has one later event and one possible signal. */
static void test_equal_times_tie_break(void **state)
{
    (void)state;
    spatial_testdata_ev_t a = spatial_testdata_ev_at("1", 0, 0, T0);
    spatial_testdata_ev_t b = spatial_testdata_ev_at("2", 90, 100, T0);
    bool a_first = memcmp(a.id.bytes, b.id.bytes, WF_UUID_LEN) < 0;
    const spatial_testdata_ev_t *early = a_first ? &a : &b, *late = a_first ? &b : &a;
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_result_t r;
    spatial_testdata_add(nr, early, &r);
    assert_int_equal(r.related_count, 0);
    spatial_testdata_add(nr, late, &r);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], early));
    assert_int_equal(r.related[0].dt_s, 0);
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 0);
    spatial_nearrepeat_destroy(&nr);

    nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_testdata_add(nr, late, &r);
    spatial_testdata_add(nr, early, &r);
    assert_int_equal(r.related_count, 0);
    assert_int_equal(r.revised_count, 1); /* the tie-break makes `late` the pair's owner */
    spatial_nearrepeat_revision_t rev;
    assert_int_equal(spatial_nearrepeat_revision(nr, 0, &rev), WF_OK);
    assert_memory_equal(rev.event.event_id, late->id.bytes, WF_UUID_LEN);
    assert_int_equal(rev.related_count, 1);
    assert_int_equal(rev.related[0].dt_s, 0);
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 1);
    /* a re-delivery of the later one now finds the earlier one (same signal id as ever) */
    assert_int_equal(spatial_testdata_add(nr, late, &r), SPATIAL_NEARREPEAT_DUPLICATE);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], early));
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 1);
    spatial_nearrepeat_destroy(&nr);
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

    /* The older revision arriving again is stale: checked, never held, never paired with a2;
     * b is later, and a stale revision's pairs are its held revision's: not even late. */
    assert_int_equal(spatial_testdata_add(nr, &a1, &r), SPATIAL_NEARREPEAT_STALE);
    assert_int_equal(r.related_count, 0);
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 0);
    assert_int_equal(spatial_testdata_stats(nr).held, 2);
    spatial_testdata_ev_t a0 = spatial_testdata_ev_at("100", 0, 50, T0 + 2 * DAY);
    wf_id_event(&a0.id, "CPD", "100", "0"); /* an older revision, after b: related to b */
    a0.reported = T0;
    assert_int_equal(spatial_testdata_add(nr, &a0, &r), SPATIAL_NEARREPEAT_STALE);
    assert_int_equal(r.related_count, 1);
    assert_true(spatial_testdata_is(&r.related[0], &b));
    assert_int_equal(r.related[0].dt_s, 86400);

    /* A newer revision that is no longer a residential burglary withdraws the held one. */
    spatial_testdata_ev_t a3 = spatial_testdata_ev_at("100", 0, 50, T0);
    wf_id_event(&a3.id, "CPD", "100", "3");
    a3.kind = "theft";
    a3.reported = T0 + 7200 * SEC;
    assert_int_equal(spatial_testdata_add(nr, &a3, &r), SPATIAL_NEARREPEAT_IGNORED);
    assert_int_equal(spatial_testdata_stats(nr).held, 1);
    spatial_testdata_ev_t c = spatial_testdata_ev_at("300", 0, 60, T0 + DAY + 3600 * SEC);
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
    assert_int_equal(r.related_count, 0); /* b is later: b reported the pair */
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 0);
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
    spatial_nearrepeat_revision_t rev;
    spatial_testdata_add(nr, &late5, &r);
    assert_int_equal(r.related_count, 0);
    /* reported late: it makes late5 a near repeat after the fact (late5's signal is revised) */
    assert_int_equal(spatial_testdata_add(nr, &early1, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 0);
    assert_int_equal(r.revised_count, 1);
    assert_int_equal(spatial_nearrepeat_revision(nr, 0, &rev), WF_OK);
    assert_memory_equal(rev.event.event_id, late5.id.bytes, WF_UUID_LEN);
    assert_int_equal(rev.related_count, 1);
    assert_true(spatial_testdata_is(&rev.related[0], &early1));
    assert_int_equal(rev.related[0].dt_s, 4 * 86400);
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 1);
    assert_int_equal(spatial_testdata_add(nr, &mid3, &r), SPATIAL_NEARREPEAT_STORED);
    assert_int_equal(r.related_count, 1); /* early1, 70 m, two days before */
    assert_true(spatial_testdata_is(&r.related[0], &early1));
    assert_int_equal(r.related[0].dt_s, 2 * 86400);
    /* and late5 after it: revised again, now with both, nearest first */
    assert_int_equal(r.revised_count, 1);
    assert_int_equal(spatial_nearrepeat_revision(nr, 0, &rev), WF_OK);
    assert_int_equal(rev.related_count, 2);
    assert_true(spatial_testdata_is(&rev.related[0], &mid3));
    assert_true(spatial_testdata_is(&rev.related[1], &early1));
    assert_true(spatial_testdata_is(&r.related[0], &early1)); /* the add's own list stays valid */
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 2);
    assert_int_equal(spatial_nearrepeat_watermark(nr), T0 + 5 * DAY);
    /* A re-delivery of late5 is checked again and finds both (the same list as its last
     * revision), and revises nothing. */
    assert_int_equal(spatial_testdata_add(nr, &late5, &r), SPATIAL_NEARREPEAT_DUPLICATE);
    assert_int_equal(r.related_count, 2);
    assert_true(spatial_testdata_is(&r.related[0], &mid3)); /* 30 m */
    assert_int_equal(r.related[0].dt_s, 2 * 86400);
    assert_true(spatial_testdata_is(&r.related[1], &early1)); /* 100 m */
    assert_int_equal(r.related[1].dt_s, 4 * 86400);
    assert_int_equal(r.revised_count, 0);
    assert_int_equal(spatial_testdata_stats(nr).late_pairs, 2);
    spatial_nearrepeat_destroy(&nr);
}

/* State rebuilt by replay: a signal is published again only when its pair involves an event
 * delivered live to this detector; pairs of two replayed events were published before. */
static void test_replay_publishes_only_news(void **state)
{
    (void)state;
    spatial_testdata_ev_t e = spatial_testdata_ev_at("1", 0, 0, T0);
    spatial_testdata_ev_t l = spatial_testdata_ev_at("2", 90, 100, T0 + DAY);
    const struct {
        const spatial_testdata_ev_t *first, *second;
        bool first_replay, second_replay;
        bool publish; /* of the second add's signal or revision */
    } cases[] = {
        {&e, &l, true, true, false}, {&l, &e, true, true, false}, /* both seen before */
        {&e, &l, false, true, true}, /* live E, then replayed L: L's signal never listed E */
        {&l, &e, true, false, true}, /* replayed L, then live E: a revision of L */
        {&l, &e, false, true, true}, /* live L, then replayed E: L was just signalled alone */
        {&e, &l, true, false, true}, {&e, &l, false, false, true}, {&l, &e, false, false, true},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
        spatial_nearrepeat_event_t event;
        spatial_nearrepeat_result_t r;
        spatial_testdata_ev_event(cases[c].first, &event);
        event.replay = cases[c].first_replay;
        assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
        assert_int_equal(r.related_count + r.revised_count, 0);
        spatial_testdata_ev_event(cases[c].second, &event);
        event.replay = cases[c].second_replay;
        assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
        if (cases[c].second == &l) { /* the later one second: its own signal */
            assert_int_equal(r.related_count, 1);
            assert_int_equal(r.revised_count, 0);
            assert_int_equal(r.publish, cases[c].publish);
        } else { /* the earlier one second: a revision of the later one */
            assert_int_equal(r.related_count, 0);
            assert_int_equal(r.revised_count, 1);
            spatial_nearrepeat_revision_t rev;
            assert_int_equal(spatial_nearrepeat_revision(nr, 0, &rev), WF_OK);
            assert_int_equal(rev.publish, cases[c].publish);
            assert_int_equal(rev.related_count, 1);
        }
        spatial_nearrepeat_destroy(&nr);
    }
}

/* Context copies (another consumer's events near our cell border): they pair like any event,
 * but only signals about our own events are ours to publish. */
static void test_context_events_pair_but_are_not_signalled(void **state)
{
    (void)state;
    spatial_testdata_ev_t e = spatial_testdata_ev_at("1", 0, 0, T0);
    spatial_testdata_ev_t l = spatial_testdata_ev_at("2", 90, 100, T0 + DAY);
    const struct {
        const spatial_testdata_ev_t *first, *second;
        bool first_context, second_context;
        bool publish; /* of the second add's signal or revision */
    } cases[] = {
        {&e, &l, true, false, true},  /* ours, later: lists the context event */
        {&e, &l, false, true, false}, /* context, later: the other consumer signals it */
        {&l, &e, false, true, true},  /* context, earlier, arriving late: revises ours */
        {&l, &e, true, false, false}, /* ours, earlier: revises a context event, not ours */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
        spatial_nearrepeat_event_t event;
        spatial_nearrepeat_result_t r;
        spatial_testdata_ev_event(cases[c].first, &event);
        event.context_only = cases[c].first_context;
        assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
        spatial_testdata_ev_event(cases[c].second, &event);
        event.context_only = cases[c].second_context;
        assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
        assert_int_equal(r.outcome, SPATIAL_NEARREPEAT_STORED);
        if (cases[c].second == &l) {
            assert_int_equal(r.related_count, 1);
            assert_int_equal(r.publish, cases[c].publish);
        } else {
            assert_int_equal(r.revised_count, 1);
            spatial_nearrepeat_revision_t rev;
            assert_int_equal(spatial_nearrepeat_revision(nr, 0, &rev), WF_OK);
            assert_int_equal(rev.publish, cases[c].publish);
        }
        spatial_nearrepeat_destroy(&nr);
    }

    /* Our own copy of an event held as context takes it over: a later-arriving earlier
     * event then revises it as ours. */
    spatial_nearrepeat_t *nr = spatial_testdata_detector(NULL, 0, 1000000);
    spatial_nearrepeat_event_t event;
    spatial_nearrepeat_result_t r;
    spatial_testdata_ev_event(&l, &event);
    event.context_only = true;
    assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
    event.context_only = false;
    assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
    assert_int_equal(r.outcome, SPATIAL_NEARREPEAT_DUPLICATE);
    event.context_only = true; /* and a context copy again does not give it back */
    assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
    spatial_testdata_ev_event(&e, &event);
    assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), WF_OK);
    assert_int_equal(r.revised_count, 1);
    spatial_nearrepeat_revision_t rev;
    assert_int_equal(spatial_nearrepeat_revision(nr, 0, &rev), WF_OK);
    assert_true(rev.publish);
    assert_int_equal(spatial_testdata_stats(nr).held, 2);
    spatial_nearrepeat_destroy(&nr);
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
    assert_true(spatial_testdata_is(&r.related[0], &a));
    assert_int_equal(r.related[0].dt_s, 2 * 86400);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance_boundary),
        cmocka_unit_test(test_time_boundary),
        cmocka_unit_test(test_equal_times_tie_break),
        cmocka_unit_test(test_kinds_never_mix),
        cmocka_unit_test(test_revisions_never_pair),
        cmocka_unit_test(test_duplicate_delivery),
        cmocka_unit_test(test_events_without_record_id),
        cmocka_unit_test(test_out_of_order_arrival),
        cmocka_unit_test(test_replay_publishes_only_news),
        cmocka_unit_test(test_context_events_pair_but_are_not_signalled),
        cmocka_unit_test(test_future_and_unusable_events),
        cmocka_unit_test(test_antimeridian_and_pole),
        cmocka_unit_test(test_new_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
