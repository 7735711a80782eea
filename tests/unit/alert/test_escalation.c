/* test_escalation.c — escalate: {count: N, within: T, severity: S} through the engine: N-1
 * matches raise nothing extra, the N-th raises one escalated alert, repeats and later matches
 * none; the ids come out the same in any order; and what an alert carries from the match
 * (NIBRS category, hot-list hits, match count).
 *
 * The events are synthetic (ids "esc-1" …), placed in Englewood beat 0713 on 2017-02-25 UTC.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "alert_engine.h"

#define HOUR (3600 * WF_US_PER_SEC)
#define NOW  (s_utc(2026, 1, 1, 0, 0))

static const char s_rules_text[] = "rules:\n"
                                   "  - id: burglary_spree\n"
                                   "    on: event\n"
                                   "    kinds: [burglary.residential]\n"
                                   "    severity: moderate\n"
                                   "    title: 'Residential burglary in beat {beat}'\n"
                                   "    throttle: {key: beat, window: 24h}\n"
                                   "    escalate: {count: 3, within: 24h, severity: severe}\n"
                                   "  - id: shots_short_window\n"
                                   "    on: event\n"
                                   "    kinds: [weapons.discharge]\n"
                                   "    severity: severe\n"
                                   "    title: 'Shots fired in beat {beat}'\n"
                                   "    throttle: {key: beat, window: 24h}\n"
                                   "    escalate: {count: 2, within: 2h, severity: extreme}\n"
                                   "  - id: stolen_plate\n"
                                   "    on: event\n"
                                   "    hotlists: ['stolen-*']\n"
                                   "    severity: minor\n"
                                   "    title: 'Hot-list hit'\n"
                                   "    throttle: {key: event, window: 1h}\n";

typedef struct {
    Wf__EnrichedEvent enriched;
    Wf__NormalizedEvent event;
    Wf__Point point;
    wf_uuid_t id;
} s_event_t;

static int64_t s_utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) * WF_US_PER_SEC;
}

static alert_engine_t *s_engine(void)
{
    char err[512];
    alert_rules_t *rules =
        alert_rules_parse("esc.yaml", s_rules_text, sizeof s_rules_text - 1, err, sizeof err);
    if (!rules)
        fail_msg("%s", err);
    alert_engine_config_t config = {
        .lateness_us = 3 * WF_US_PER_DAY, .max_entries = 100000, .cell_m = 400};
    alert_engine_t *engine = alert_engine_new(&rules, &config);
    assert_non_null(engine);
    return engine;
}

static void s_event_init(s_event_t *e, const char *record_id, const char *kind, const char *beat,
                         int64_t occurred_us)
{
    wf__enriched_event__init(&e->enriched);
    wf__normalized_event__init(&e->event);
    wf__point__init(&e->point);
    wf_id_event(&e->id, "CPD", record_id, "");
    e->event.event_id = (ProtobufCBinaryData){WF_UUID_LEN, e->id.bytes};
    e->event.agency = "CPD";
    e->event.source_record_id = (char *)record_id;
    e->event.kind = (char *)kind;
    e->event.occurred_at_us = occurred_us;
    e->point.lon = -87.657;
    e->point.lat = 41.788;
    e->event.location = &e->point;
    e->enriched.event = &e->event;
    e->enriched.district = "007";
    e->enriched.beat = (char *)beat;
}

/* What one evaluation raised: ordinary and escalated alert ids, in order. */
typedef struct {
    wf_uuid_t ids[8];
    bool escalated[8];
    size_t n;
    uint32_t match_count; /* of the first outcome */
} s_raised_t;

static s_raised_t s_eval(alert_engine_t *engine, const s_event_t *e, const Wf__Alert **escalated)
{
    alert_subject_t subject;
    alert_reject_t reject;
    if (alert_engine_subject_from_enriched(engine, &e->enriched, &subject, &reject) != WF_OK)
        fail_msg("rejected: %s", reject.message);
    const alert_outcome_t *outcomes;
    size_t n = alert_engine_eval(engine, &subject, NOW, &outcomes);
    s_raised_t raised = {.n = 0};
    for (size_t i = 0; i < n; i++) {
        if (i == 0)
            raised.match_count = outcomes[i].match_count;
        if (outcomes[i].throttle.raise) {
            const Wf__Alert *alert = alert_engine_build(engine, &outcomes[i], &subject, NOW);
            assert_false(alert->escalated);
            memcpy(raised.ids[raised.n].bytes, alert->alert_id.data, WF_UUID_LEN);
            raised.escalated[raised.n++] = false;
        }
        if (outcomes[i].escalate) {
            const Wf__Alert *alert =
                alert_engine_build_escalated(engine, &outcomes[i], &subject, NOW);
            assert_true(alert->escalated);
            memcpy(raised.ids[raised.n].bytes, alert->alert_id.data, WF_UUID_LEN);
            raised.escalated[raised.n++] = true;
            if (escalated)
                *escalated = alert;
        }
    }
    return raised;
}

static void test_nth_match_escalates_once(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    s_event_t e[4];
    s_event_init(&e[0], "esc-1", "burglary.residential", "0713", s_utc(2017, 2, 25, 3, 23));
    s_event_init(&e[1], "esc-2", "burglary.residential", "0713", s_utc(2017, 2, 25, 9, 5));
    s_event_init(&e[2], "esc-3", "burglary.residential", "0713", s_utc(2017, 2, 25, 14, 40));
    s_event_init(&e[3], "esc-4", "burglary.residential", "0713", s_utc(2017, 2, 25, 20, 10));

    s_raised_t r = s_eval(engine, &e[0], NULL);
    assert_int_equal(r.n, 1); /* the ordinary alert of the throttle window */
    assert_false(r.escalated[0]);
    assert_int_equal(r.match_count, 1);
    wf_uuid_t ordinary = r.ids[0];

    r = s_eval(engine, &e[1], NULL); /* N-1 = 2 matches: nothing (throttled) */
    assert_int_equal(r.n, 0);
    assert_int_equal(r.match_count, 2);
    r = s_eval(engine, &e[1], NULL); /* the same event again does not count */
    assert_int_equal(r.n, 0);
    assert_int_equal(r.match_count, 2);

    const Wf__Alert *alert = NULL;
    r = s_eval(engine, &e[2], &alert); /* N = 3: one escalated alert, inside the throttle window */
    assert_int_equal(r.n, 1);
    assert_true(r.escalated[0]);
    wf_uuid_t expected;
    alert_throttle_escalation_id(&expected, "burglary_spree", "beat:0713", s_utc(2017, 2, 25, 0, 0),
                                 "severe");
    assert_memory_equal(r.ids[0].bytes, expected.bytes, WF_UUID_LEN);
    assert_memory_not_equal(r.ids[0].bytes, ordinary.bytes, WF_UUID_LEN);
    assert_string_equal(alert->rule_id, "burglary_spree");
    assert_int_equal(alert->severity, WF__SEVERITY__SEVERE);
    assert_int_equal(alert->match_count, 3);
    assert_string_equal(alert->dedupe_key, "beat:0713");
    assert_true(alert->window_start_us == s_utc(2017, 2, 25, 0, 0));
    assert_string_equal(alert->title, "Residential burglary in beat 0713");
    /* the events counted, the trigger first */
    assert_int_equal(alert->n_event_ids, 3);
    assert_memory_equal(alert->event_ids[0].data, e[2].id.bytes, WF_UUID_LEN);
    assert_memory_equal(alert->event_ids[1].data, e[0].id.bytes, WF_UUID_LEN);
    assert_memory_equal(alert->event_ids[2].data, e[1].id.bytes, WF_UUID_LEN);

    r = s_eval(engine, &e[3], NULL); /* N+1: once per level per window */
    assert_int_equal(r.n, 0);
    assert_int_equal(r.match_count, 4);

    /* another beat needs its own three; the next day starts again */
    s_event_t other[2];
    s_event_init(&other[0], "esc-5", "burglary.residential", "0714", s_utc(2017, 2, 25, 4, 0));
    s_event_init(&other[1], "esc-6", "burglary.residential", "0714", s_utc(2017, 2, 25, 5, 0));
    assert_int_equal(s_eval(engine, &other[0], NULL).n, 1);
    assert_int_equal(s_eval(engine, &other[1], NULL).n, 0);
    s_event_t next_day;
    s_event_init(&next_day, "esc-7", "burglary.residential", "0713", s_utc(2017, 2, 26, 1, 0));
    r = s_eval(engine, &next_day, NULL);
    assert_int_equal(r.n, 1);
    assert_false(r.escalated[0]);
    assert_int_equal(r.match_count, 1);
    alert_engine_destroy(&engine);
}

/* The alerts of a set of events, as a sorted list of ids, for order comparisons. */
static int s_cmp_uuid(const void *a, const void *b)
{
    return memcmp(a, b, WF_UUID_LEN);
}

static size_t s_run(const s_event_t *events, const size_t *order, size_t n, wf_uuid_t *ids)
{
    alert_engine_t *engine = s_engine();
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        s_raised_t r = s_eval(engine, &events[order[i]], NULL);
        for (size_t k = 0; k < r.n; k++)
            ids[count++] = r.ids[k];
    }
    alert_engine_destroy(&engine);
    qsort(ids, count, sizeof *ids, s_cmp_uuid);
    return count;
}

static void test_replays_in_any_order_give_the_same_ids(void **state)
{
    (void)state;
    s_event_t e[5];
    s_event_init(&e[0], "esc-1", "burglary.residential", "0713", s_utc(2017, 2, 25, 3, 23));
    s_event_init(&e[1], "esc-2", "burglary.residential", "0713", s_utc(2017, 2, 25, 9, 5));
    s_event_init(&e[2], "esc-3", "burglary.residential", "0713", s_utc(2017, 2, 25, 14, 40));
    s_event_init(&e[3], "esc-4", "burglary.residential", "0713", s_utc(2017, 2, 25, 20, 10));
    s_event_init(&e[4], "esc-5", "burglary.residential", "0714", s_utc(2017, 2, 25, 4, 0));
    const size_t forward[] = {0, 1, 2, 3, 4}, backward[] = {4, 3, 2, 1, 0},
                 shuffled[] = {2, 4, 0, 3, 1}, repeated[] = {1, 1, 3, 3, 0, 2, 2, 4, 0};
    wf_uuid_t a[16], b[16];
    size_t n = s_run(e, forward, 5, a);
    assert_int_equal(n, 3); /* ordinary 0713, ordinary 0714, escalated 0713 */
    assert_int_equal(s_run(e, backward, 5, b), n);
    assert_memory_equal(a, b, n * sizeof *a);
    assert_int_equal(s_run(e, shuffled, 5, b), n);
    assert_memory_equal(a, b, n * sizeof *a);
    /* redelivered events (at-least-once) neither escalate early nor twice */
    assert_int_equal(s_run(e, repeated, 9, b), n);
    assert_memory_equal(a, b, n * sizeof *a);
    const size_t two_of_them[] = {1, 1, 3, 3};
    assert_int_equal(s_run(e, two_of_them, 4, b), 1); /* 2 distinct events: ordinary only */
}

/* The escalation window is tumbling and epoch-aligned (like the throttle): two shots in
 * 00:00–02:00 escalate; one at 01:50 and one at 02:10 fall in different windows and do not. */
static void test_escalation_windows_are_tumbling(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    s_event_t e[4];
    s_event_init(&e[0], "esc-s1", "weapons.discharge", "0713", s_utc(2017, 2, 25, 1, 50));
    s_event_init(&e[1], "esc-s2", "weapons.discharge", "0713", s_utc(2017, 2, 25, 2, 10));
    s_event_init(&e[2], "esc-s3", "weapons.discharge", "0713", s_utc(2017, 2, 25, 3, 0));
    s_event_init(&e[3], "esc-s4", "weapons.discharge", "0713", s_utc(2017, 2, 25, 3, 59));
    assert_int_equal(s_eval(engine, &e[0], NULL).n, 1);
    s_raised_t r = s_eval(engine, &e[1], NULL);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.match_count, 1); /* first of the 02:00–04:00 window */
    const Wf__Alert *alert = NULL;
    r = s_eval(engine, &e[2], &alert);
    assert_int_equal(r.n, 1);
    assert_true(r.escalated[0]);
    assert_int_equal(alert->severity, WF__SEVERITY__EXTREME);
    assert_true(alert->window_start_us == s_utc(2017, 2, 25, 2, 0));
    assert_int_equal(s_eval(engine, &e[3], NULL).n, 0);
    /* the state a restart must rebuild reaches back over the longest window */
    assert_true(alert_engine_max_window_us(engine) == 24 * HOUR + 3 * WF_US_PER_DAY);
    alert_engine_destroy(&engine);
}

/* Counts stay inside one transport cell (0.1°, the Kafka partition key), so several wf-alert
 * copies count exactly what one counts: matches of one key on both sides of a cell border are
 * counted per side. */
static void test_counts_stay_in_one_transport_cell(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    s_event_t e[4];
    s_event_init(&e[0], "esc-w1", "burglary.residential", "0713", s_utc(2017, 2, 25, 1, 0));
    s_event_init(&e[1], "esc-w2", "burglary.residential", "0713", s_utc(2017, 2, 25, 2, 0));
    s_event_init(&e[2], "esc-e1", "burglary.residential", "0713", s_utc(2017, 2, 25, 3, 0));
    s_event_init(&e[3], "esc-w3", "burglary.residential", "0713", s_utc(2017, 2, 25, 4, 0));
    e[0].point.lon = e[1].point.lon = e[3].point.lon = -87.6005; /* cell west of -87.6 */
    e[2].point.lon = -87.5995;                                   /* east of it */
    assert_int_equal(s_eval(engine, &e[0], NULL).n, 1);
    assert_int_equal(s_eval(engine, &e[1], NULL).n, 0);
    s_raised_t r = s_eval(engine, &e[2], NULL);
    assert_int_equal(r.n, 0); /* three of beat 0713, but two and one per cell */
    assert_int_equal(r.match_count, 1);
    const Wf__Alert *alert = NULL;
    r = s_eval(engine, &e[3], &alert);
    assert_int_equal(r.n, 1);
    assert_true(r.escalated[0]);
    assert_string_equal(alert->dedupe_key,
                        "beat:0713"); /* the cell is the count's, not the key's */
    alert_engine_destroy(&engine);
}

static void test_alert_carries_what_matched(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    s_event_t e;
    s_event_init(&e, "esc-alpr", "alpr.read", "0713", s_utc(2017, 2, 25, 3, 0));
    e.enriched.nibrs_code = "240";
    e.enriched.nibrs_category = "Motor Vehicle Theft";
    e.enriched.crime_against = "Property";
    Wf__HotlistHit gang = WF__HOTLIST_HIT__INIT, plate = WF__HOTLIST_HIT__INIT;
    gang.list = "gang-vehicles";
    plate.list = "stolen-vehicles";
    plate.entry_value = "ABC1234";
    Wf__HotlistHit *hits[] = {&gang, &plate};
    e.enriched.hotlist_hits = hits;
    e.enriched.n_hotlist_hits = 2;
    alert_subject_t subject;
    alert_reject_t reject;
    assert_int_equal(alert_engine_subject_from_enriched(engine, &e.enriched, &subject, &reject), 0);
    const alert_outcome_t *outcomes;
    assert_int_equal(alert_engine_eval(engine, &subject, NOW, &outcomes), 1);
    const Wf__Alert *alert = alert_engine_build(engine, &outcomes[0], &subject, NOW);
    assert_string_equal(alert->rule_id, "stolen_plate");
    assert_string_equal(alert->nibrs_category, "Motor Vehicle Theft");
    assert_int_equal(alert->n_hotlist_hits, 1); /* the hit the rule named, not the other list */
    assert_string_equal(alert->hotlist_hits[0]->entry_value, "ABC1234");
    assert_int_equal(alert->n_geofences, 0);
    assert_int_equal(alert->match_count, 1);
    assert_false(alert->escalated);

    /* on the wire */
    size_t len = wf__alert__get_packed_size(alert);
    uint8_t buf[1024];
    assert_true(len <= sizeof buf);
    wf__alert__pack(alert, buf);
    Wf__Alert *back = wf__alert__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_string_equal(back->nibrs_category, "Motor Vehicle Theft");
    assert_int_equal(back->n_hotlist_hits, 1);
    assert_string_equal(back->hotlist_hits[0]->list, "stolen-vehicles");
    wf__alert__free_unpacked(back, NULL);
    alert_engine_destroy(&engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nth_match_escalates_once),
        cmocka_unit_test(test_replays_in_any_order_give_the_same_ids),
        cmocka_unit_test(test_escalation_windows_are_tumbling),
        cmocka_unit_test(test_counts_stay_in_one_transport_cell),
        cmocka_unit_test(test_alert_carries_what_matched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
