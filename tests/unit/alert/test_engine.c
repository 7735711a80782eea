/* test_engine.c — the shipped rules (deploy/rules.yaml) over real Chicago incidents: which
 * alerts they raise, what the Wf__Alert carries, throttling, rejects and replay determinism.
 *
 * Every event below is a real row of shared/data/chicago (file and id named), with its local
 * Chicago time converted to UTC (CST = UTC−6, CDT = UTC−5), its kind as ingest would map it.
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

#define RULES WF_SOURCE_DIR "/deploy/rules.yaml"
#define NOW   (s_utc(2026, 1, 1, 0, 0))

typedef struct {
    const char *record_id; /* source id; the event id is UUIDv5("CPD", id, "") */
    const char *kind;
    const char *address; /* Block */
    const char *district;
    const char *beat;
    int64_t occurred_us;
    double lon, lat; /* 0, 0 = no coordinates */
} s_row_t;

typedef struct {
    Wf__EnrichedEvent enriched;
    Wf__NormalizedEvent event;
    Wf__Point point;
    wf_uuid_t id;
} s_event_t;

typedef struct {
    Wf__SpatialSignal spatial;
    Wf__Point point;
    Wf__RelatedEvent related[4];
    Wf__RelatedEvent *related_p[4];
    wf_uuid_t signal_id;
} s_signal_t;

static int64_t s_utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) * WF_US_PER_SEC;
}

/* 2017 Englewood id 23494: FIRST DEGREE MURDER, 2017-08-05 23:19 CDT, beat 0711. */
static const s_row_t s_hom_23494 = {"23494", "homicide", "003XX W 57TH ST", "007",
                                    "0711",  0,          -87.634379287,     41.790852449};
/* 2014 export id 21304: FIRST DEGREE MURDER, 2014-03-14 12:54 CDT, 040XX W VAN BUREN, 011. */
static const s_row_t s_hom_21304 = {
    "21304", "homicide", "040XX W VAN BUREN ST", "011",
    "1132",  0,          -87.7266132911017,      41.875365012404586};
/* 2017 Englewood, weapons violations of beat 0713 (143A UNLAWFUL POSS OF HANDGUN …). */
static const s_row_t s_wpn_10860610 = {
    "10860610", "weapons.possession", "058XX S THROOP ST", "007", "0713",
    0,          -87.657158003,        41.788469528};
static const s_row_t s_wpn_10860663 = {
    "10860663", "weapons.discharge", "015XX W 63RD ST", "007", "0713",
    0,          -87.662179772,       41.779503192};
static const s_row_t s_wpn_10860483 = {
    "10860483", "weapons.use", "061XX S BISHOP ST", "007", "0713", 0, -87.660641936, 41.782466265};

static alert_engine_t *s_engine(void)
{
    char err[512];
    alert_rules_t *rules = alert_rules_load(RULES, err, sizeof err);
    if (!rules)
        fail_msg("%s", err);
    alert_engine_config_t config = {
        .lateness_us = 3 * WF_US_PER_DAY, .max_entries = 1000000, .cell_m = 400};
    alert_engine_t *engine = alert_engine_new(&rules, &config);
    assert_non_null(engine);
    assert_null(rules); /* ownership moved */
    return engine;
}

static void s_event_init(s_event_t *e, const s_row_t *row, int64_t occurred_us)
{
    wf__enriched_event__init(&e->enriched);
    wf__normalized_event__init(&e->event);
    wf__point__init(&e->point);
    wf_id_event(&e->id, "CPD", row->record_id, "");
    e->event.event_id = (ProtobufCBinaryData){WF_UUID_LEN, e->id.bytes};
    e->event.agency = "CPD";
    e->event.source = "chicago-dev";
    e->event.source_record_id = (char *)row->record_id;
    e->event.kind = (char *)row->kind;
    e->event.address = (char *)row->address;
    e->event.occurred_at_us = occurred_us;
    e->event.dissemination = WF__DISSEMINATION__LAW_ENFORCEMENT;
    if (row->lon != 0) {
        e->point.lon = row->lon;
        e->point.lat = row->lat;
        e->event.location = &e->point;
    }
    e->enriched.event = &e->event;
    e->enriched.district = (char *)row->district;
    e->enriched.beat = (char *)row->beat;
    e->enriched.area_method = WF__AREA_METHOD__POINT_IN_POLYGON;
}

/* Evaluates an event; returns the outcomes and fills *subject. */
static size_t s_eval_event(alert_engine_t *engine, const s_event_t *e, alert_subject_t *subject,
                           const alert_outcome_t **outcomes)
{
    alert_reject_t reject;
    int rc = alert_engine_subject_from_enriched(engine, &e->enriched, subject, &reject);
    if (rc)
        fail_msg("rejected: %s %s", reject.code, reject.message);
    return alert_engine_eval(engine, subject, NOW, outcomes);
}

static const alert_outcome_t *s_outcome(const alert_outcome_t *outcomes, size_t n,
                                        const char *rule_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(outcomes[i].rule->id, rule_id) == 0)
            return &outcomes[i];
    return NULL;
}

static void test_homicide_in_district_007(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    s_event_t e;
    s_event_init(&e, &s_hom_23494, s_utc(2017, 8, 6, 4, 19));
    alert_subject_t subject;
    const alert_outcome_t *outcomes;
    size_t n = s_eval_event(engine, &e, &subject, &outcomes);
    assert_int_equal(n, 2); /* homicide_district_007 and homicide_citywide */
    const alert_outcome_t *o = s_outcome(outcomes, n, "homicide_district_007");
    assert_non_null(o);
    assert_true(o->throttle.raise);
    char event_text[WF_UUID_STR_LEN], key[ALERT_KEY_LEN];
    wf_uuid_format(e.id.bytes, event_text);
    snprintf(key, sizeof key, "event:%s", event_text);
    assert_string_equal(o->dedupe_key, key);
    assert_true(o->throttle.window_start_us == s_utc(2017, 8, 6, 0, 0));
    assert_non_null(s_outcome(outcomes, n, "homicide_citywide"));

    int64_t raised = s_utc(2017, 8, 6, 4, 19) + 2500;
    const Wf__Alert *alert = alert_engine_build(engine, o, &subject, raised);
    assert_memory_equal(alert->alert_id.data, o->alert_id.bytes, WF_UUID_LEN);
    assert_string_equal(alert->rule_id, "homicide_district_007");
    assert_int_equal(alert->severity, WF__SEVERITY__EXTREME);
    assert_string_equal(alert->dedupe_key, key);
    assert_int_equal(alert->n_event_ids, 1);
    assert_memory_equal(alert->event_ids[0].data, e.id.bytes, WF_UUID_LEN);
    assert_int_equal(alert->signal_id.len, 0);
    assert_string_equal(alert->kind, "homicide");
    assert_string_equal(alert->district, "007");
    assert_string_equal(alert->beat, "0711");
    assert_string_equal(alert->agency, "CPD");
    assert_string_equal(alert->title, "Homicide in district 007, beat 0711");
    assert_string_equal(alert->message,
                        "homicide at 003XX W 57TH ST (beat 0711). Rule homicide_district_007.");
    assert_true(alert->raised_at_us == raised);
    assert_true(alert->occurred_at_us == s_utc(2017, 8, 6, 4, 19));
    assert_non_null(alert->location);
    assert_true(alert->location->lon == -87.634379287);
    assert_int_equal(alert->dissemination, WF__DISSEMINATION__LAW_ENFORCEMENT);

    /* it survives the wire: pack in an envelope and decode */
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.type = WF__MESSAGE_TYPE__ALERT;
    envelope.body_case = WF__ENVELOPE__BODY_ALERT;
    envelope.alert = (Wf__Alert *)alert;
    size_t len = wf__envelope__get_packed_size(&envelope);
    uint8_t *buf = malloc(len);
    wf__envelope__pack(&envelope, buf);
    Wf__Envelope *back = wf__envelope__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_int_equal(back->body_case, WF__ENVELOPE__BODY_ALERT);
    assert_string_equal(back->alert->title, alert->title);
    assert_int_equal(back->alert->n_event_ids, 1);
    wf__envelope__free_unpacked(back, NULL);
    free(buf);

    /* the same event again (a replay): both rules throttled */
    n = s_eval_event(engine, &e, &subject, &outcomes);
    assert_int_equal(n, 2);
    assert_false(outcomes[0].throttle.raise);
    assert_false(outcomes[1].throttle.raise);
    assert_int_equal(outcomes[0].throttle.matches, 2);
    alert_engine_destroy(&engine);
    assert_null(engine);
    alert_engine_destroy(&engine);
}

static void test_homicide_outside_007_is_citywide_only(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    s_event_t e;
    s_event_init(&e, &s_hom_21304, s_utc(2014, 3, 14, 17, 54));
    alert_subject_t subject;
    const alert_outcome_t *outcomes;
    assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 1);
    assert_string_equal(outcomes[0].rule->id, "homicide_citywide");
    const Wf__Alert *alert = alert_engine_build(engine, &outcomes[0], &subject, NOW);
    assert_string_equal(alert->title, "Homicide in district 011");
    assert_int_equal(alert->severity, WF__SEVERITY__SEVERE);

    /* a theft matches nothing; an unassigned district never matches 007 */
    s_row_t theft = s_hom_21304;
    theft.kind = "theft.under_500";
    s_event_init(&e, &theft, s_utc(2014, 3, 14, 17, 54));
    assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 0);
    s_row_t nowhere = s_hom_23494;
    nowhere.district = "";
    nowhere.beat = "";
    nowhere.lon = nowhere.lat = 0;
    s_event_init(&e, &nowhere, s_utc(2017, 8, 6, 4, 19));
    assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 1);
    assert_string_equal(outcomes[0].rule->id, "homicide_citywide");
    alert = alert_engine_build(engine, &outcomes[0], &subject, NOW);
    assert_null(alert->location);
    assert_string_equal(alert->message, "homicide at 003XX W 57TH ST, district unknown, "
                                        "beat unknown.");
    alert_engine_destroy(&engine);
}

/* Three weapons violations in beat 0713 within the 00:00–08:00 UTC shift of 2017-02-25, in
 * the file's order (not time order): one alert, two throttled. */
static void test_weapons_one_alert_per_beat_per_shift(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    const s_row_t *rows[] = {&s_wpn_10860610, &s_wpn_10860663, &s_wpn_10860483};
    const int64_t times[] = {s_utc(2017, 2, 25, 3, 23), s_utc(2017, 2, 25, 6, 51),
                             s_utc(2017, 2, 25, 1, 34)};
    int raised = 0, throttled = 0;
    wf_uuid_t first_id;
    for (int i = 0; i < 3; i++) {
        s_event_t e;
        s_event_init(&e, rows[i], times[i]);
        alert_subject_t subject;
        const alert_outcome_t *outcomes;
        size_t n = s_eval_event(engine, &e, &subject, &outcomes);
        assert_int_equal(n, 2); /* and weapons_beat_surge, below */
        const alert_outcome_t *o = s_outcome(outcomes, n, "weapons_englewood_beats");
        assert_non_null(o);
        assert_string_equal(o->dedupe_key, "beat:0713");
        assert_true(o->throttle.window_start_us == s_utc(2017, 2, 25, 0, 0));
        /* the shipped escalation: the third violation of beat 0713 that UTC day */
        const alert_outcome_t *surge = s_outcome(outcomes, n, "weapons_beat_surge");
        assert_non_null(surge);
        assert_int_equal(surge->match_count, i + 1);
        assert_int_equal(surge->throttle.raise, i == 0);
        assert_int_equal(surge->escalate, i == 2);
        if (surge->escalate) {
            const Wf__Alert *alert = alert_engine_build_escalated(engine, surge, &subject, NOW);
            assert_int_equal(alert->severity, WF__SEVERITY__SEVERE);
            assert_true(alert->escalated);
            assert_int_equal(alert->match_count, 3);
            assert_int_equal(alert->n_event_ids, 3);
            assert_string_equal(alert->title, "Weapons violations in beat 0713");
        }
        if (o->throttle.raise) {
            raised++;
            first_id = o->alert_id;
            const Wf__Alert *alert = alert_engine_build(engine, o, &subject, NOW);
            assert_string_equal(alert->title, "Weapons violation in beat 0713");
            assert_string_equal(alert->message, "weapons.possession at 058XX S THROOP ST, beat "
                                                "0713 (district 007).");
        } else {
            throttled++;
        }
    }
    assert_int_equal(raised, 1);
    assert_int_equal(throttled, 2);
    wf_uuid_t expect;
    alert_throttle_alert_id(&expect, "weapons_englewood_beats", "beat:0713",
                            s_utc(2017, 2, 25, 0, 0));
    assert_memory_equal(first_id.bytes, expect.bytes, WF_UUID_LEN);

    /* 2017 Englewood id 11145871, 2017-11-10 18:45 CST: a later shift, raises */
    s_row_t later = {"11145871", "weapons.possession", "014XX W 61ST ST", "007", "0713",
                     0,          -87.660311985,        41.783164127};
    s_event_t e;
    s_event_init(&e, &later, s_utc(2017, 11, 11, 0, 45));
    alert_subject_t subject;
    const alert_outcome_t *outcomes;
    assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 2);
    assert_true(outcomes[0].throttle.raise);
    assert_false(outcomes[0].throttle.late);
    assert_false(outcomes[1].escalate);
    /* 2017 Englewood id 10854250, 2017-02-18 20:11 CST: months behind the watermark now —
     * late, still raised */
    s_row_t old = {"10854250",    "weapons.possession", "056XX S ELIZABETH ST", "007", "0713", 0,
                   -87.656022371, 41.791500764};
    s_event_init(&e, &old, s_utc(2017, 2, 19, 2, 11));
    assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 2);
    assert_true(outcomes[0].throttle.raise);
    assert_true(outcomes[0].throttle.late);
    alert_engine_destroy(&engine);
}

/* 2017 Englewood id 10829552 (057XX S PEORIA ST, 2017-01-25 16:00 CST) is a near repeat of
 * ids 10827032 (058XX S CARPENTER, 01-24) and 10817468 (056XX S MORGAN, 01-16). */
static void s_signal_init(s_signal_t *s, const char *cell, int64_t occurred_us,
                          const char *trigger_id)
{
    static wf_uuid_t event_id, related_ids[3];
    wf__spatial_signal__init(&s->spatial);
    wf__point__init(&s->point);
    wf_id_event(&event_id, "CPD", trigger_id, "");
    wf_id_event(&related_ids[0], "CPD", "10827032", "");
    wf_id_event(&related_ids[1], "CPD", "10817468", "");
    char text[WF_UUID_STR_LEN];
    const char *parts[] = {"near_repeat", wf_uuid_format(event_id.bytes, text)};
    wf_id_derive(&s->signal_id, "signal", parts, 2);
    s->spatial.signal_id = (ProtobufCBinaryData){WF_UUID_LEN, s->signal_id.bytes};
    s->spatial.type = WF__SIGNAL_TYPE__NEAR_REPEAT;
    s->spatial.event_id = (ProtobufCBinaryData){WF_UUID_LEN, event_id.bytes};
    s->spatial.kind = "burglary.residential";
    s->point.lon = -87.647479427;
    s->point.lat = 41.790009327;
    s->spatial.location = &s->point;
    s->spatial.occurred_at_us = occurred_us;
    for (int i = 0; i < 2; i++) {
        wf__related_event__init(&s->related[i]);
        s->related[i].event_id = (ProtobufCBinaryData){WF_UUID_LEN, related_ids[i].bytes};
        s->related_p[i] = &s->related[i];
    }
    s->related[0].distance_m = 365.1;
    s->related[1].distance_m = 274.0;
    s->spatial.related = s->related_p;
    s->spatial.n_related = 2;
    s->spatial.related_count = 2;
    s->spatial.district = "007";
    s->spatial.beat = "0712";
    s->spatial.agency = "CPD";
    s->spatial.radius_m = 400;
    s->spatial.window_s = 14 * 86400;
    s->spatial.cell = (char *)cell;
    s->spatial.dissemination = WF__DISSEMINATION__LAW_ENFORCEMENT;
}

static void test_near_repeat_signal(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    s_signal_t s;
    s_signal_init(&s, "spatial:11617:-18166", s_utc(2017, 1, 25, 22, 0), "10829552");
    alert_subject_t subject;
    alert_reject_t reject;
    assert_int_equal(alert_engine_subject_from_signal(engine, &s.spatial, &subject, &reject), 0);
    assert_string_equal(subject.cell, "spatial:11617:-18166"); /* spatial's identity wins */
    const alert_outcome_t *outcomes;
    size_t n = alert_engine_eval(engine, &subject, NOW, &outcomes);
    assert_int_equal(n, 1);
    assert_string_equal(outcomes[0].rule->id, "near_repeat_residential_burglary");
    assert_true(outcomes[0].throttle.raise);
    assert_string_equal(outcomes[0].dedupe_key, "cell:spatial:11617:-18166");
    const Wf__Alert *alert = alert_engine_build(engine, &outcomes[0], &subject, NOW);
    assert_int_equal(alert->severity, WF__SEVERITY__MODERATE);
    assert_int_equal(alert->n_event_ids, 3); /* trigger first, then related, in order */
    assert_memory_equal(alert->event_ids[0].data, s.spatial.event_id.data, WF_UUID_LEN);
    assert_memory_equal(alert->event_ids[1].data, s.related[0].event_id.data, WF_UUID_LEN);
    assert_memory_equal(alert->event_ids[2].data, s.related[1].event_id.data, WF_UUID_LEN);
    assert_memory_equal(alert->signal_id.data, s.signal_id.bytes, WF_UUID_LEN);
    assert_string_equal(alert->title, "Near-repeat residential burglary in beat 0712");
    assert_true(strncmp(alert->message, "3 residential burglaries", 24) == 0);
    assert_true(alert->window_start_us == s_utc(2017, 1, 25, 0, 0));

    /* the next near repeat in the same cell that UTC day is throttled; the next day raises */
    s_signal_init(&s, "spatial:11617:-18166", s_utc(2017, 1, 25, 23, 30), "10830001");
    alert_engine_subject_from_signal(engine, &s.spatial, &subject, &reject);
    assert_int_equal(alert_engine_eval(engine, &subject, NOW, &outcomes), 1);
    assert_false(outcomes[0].throttle.raise);
    s_signal_init(&s, "spatial:11617:-18166", s_utc(2017, 1, 26, 0, 30), "10830002");
    alert_engine_subject_from_signal(engine, &s.spatial, &subject, &reject);
    assert_int_equal(alert_engine_eval(engine, &subject, NOW, &outcomes), 1);
    assert_true(outcomes[0].throttle.raise);

    /* no cell from spatial: the engine's own grid cell keys it */
    s_signal_init(&s, "", s_utc(2017, 1, 25, 22, 0), "10829552");
    alert_engine_subject_from_signal(engine, &s.spatial, &subject, &reject);
    assert_string_equal(subject.cell, "400m:11617:-18166");
    /* a related id of the wrong length is left out of event_ids */
    s.related[0].event_id.len = 3;
    assert_int_equal(alert_engine_eval(engine, &subject, NOW, &outcomes), 1);
    alert = alert_engine_build(engine, &outcomes[0], &subject, NOW);
    assert_int_equal(alert->n_event_ids, 2);
    /* a lone burglary (no related events) is below min_related */
    s.spatial.related_count = 0;
    alert_engine_subject_from_signal(engine, &s.spatial, &subject, &reject);
    assert_int_equal(alert_engine_eval(engine, &subject, NOW, &outcomes), 0);
    alert_engine_destroy(&engine);
}

static void test_rejects(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    alert_subject_t subject;
    alert_reject_t reject;
    Wf__EnrichedEvent empty = WF__ENRICHED_EVENT__INIT;
    assert_int_equal(alert_engine_subject_from_enriched(engine, &empty, &subject, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "missing_event");
    assert_string_equal(reject.field, "event");
    s_event_t e;
    s_event_init(&e, &s_hom_23494, s_utc(2017, 8, 6, 4, 19));
    e.event.event_id.len = 15;
    assert_int_equal(alert_engine_subject_from_enriched(engine, &e.enriched, &subject, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "bad_event_id");
    s_event_init(&e, &s_hom_23494, 0);
    assert_int_equal(alert_engine_subject_from_enriched(engine, &e.enriched, &subject, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "missing_time");
    assert_string_equal(reject.field, "event.occurred_at_us");
    s_signal_t s;
    s_signal_init(&s, "c", 0, "10829552");
    assert_int_equal(alert_engine_subject_from_signal(engine, &s.spatial, &subject, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "missing_time");
    s_signal_init(&s, "c", 1, "10829552");
    s.spatial.event_id.len = 0;
    assert_int_equal(alert_engine_subject_from_signal(engine, &s.spatial, &subject, &reject),
                     WF_EPARSE);
    assert_string_equal(reject.code, "bad_event_id");
    /* coordinates outside WGS84 are not a reject: the event is simply unlocated */
    s_row_t bad_point = s_hom_23494;
    bad_point.lon = 1166222; /* State Plane feet in a degree field */
    s_event_init(&e, &bad_point, s_utc(2017, 8, 6, 4, 19));
    assert_int_equal(alert_engine_subject_from_enriched(engine, &e.enriched, &subject, &reject), 0);
    assert_false(subject.has_location);
    assert_string_equal(subject.cell, "");
    alert_engine_destroy(&engine);
}

/* A restart (new engine) replaying the same events raises the same alert ids; a rule reload
 * keeps the throttle state. */
static void test_replay_and_reload(void **state)
{
    (void)state;
    wf_uuid_t ids[2];
    for (int run = 0; run < 2; run++) {
        alert_engine_t *engine = s_engine();
        s_event_t e;
        s_event_init(&e, &s_wpn_10860663, s_utc(2017, 2, 25, 6, 51));
        alert_subject_t subject;
        const alert_outcome_t *outcomes;
        assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 2);
        assert_string_equal(outcomes[0].rule->id, "weapons_englewood_beats"); /* file order */
        assert_true(outcomes[0].throttle.raise);
        ids[run] = outcomes[0].alert_id;
        if (run == 1) {
            char err[256];
            alert_rules_t *again = alert_rules_load(RULES, err, sizeof err);
            assert_non_null(again);
            assert_int_equal(alert_engine_set_rules(engine, &again), 0);
            assert_null(again);
            s_event_init(&e, &s_wpn_10860483, s_utc(2017, 2, 25, 1, 34));
            assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 2);
            assert_false(outcomes[0].throttle.raise);     /* remembered across the reload */
            assert_int_equal(outcomes[1].match_count, 2); /* so is the escalation count */
            /* a window of each rule, and weapons_beat_surge's escalation count */
            assert_int_equal(alert_throttle_size(alert_engine_throttle(engine)), 3);
            assert_int_equal(alert_rules_count(alert_engine_rules(engine)), 5);
        }
        alert_engine_destroy(&engine);
    }
    assert_memory_equal(ids[0].bytes, ids[1].bytes, WF_UUID_LEN);

    /* an empty rule set raises nothing */
    char err[256];
    alert_rules_t *none = alert_rules_parse("none.yaml", "rules: []", 9, err, sizeof err);
    alert_engine_config_t config = {.lateness_us = 0, .max_entries = 1, .cell_m = 400};
    alert_engine_t *engine = alert_engine_new(&none, &config);
    s_event_t e;
    s_event_init(&e, &s_hom_23494, s_utc(2017, 8, 6, 4, 19));
    alert_subject_t subject;
    const alert_outcome_t *outcomes;
    assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 0);
    alert_engine_destroy(&engine);
}

static void test_long_values_are_bounded(void **state)
{
    (void)state;
    alert_engine_t *engine = s_engine();
    static char address[20000];
    memset(address, 'A', sizeof address - 1);
    s_row_t row = s_hom_23494;
    row.address = address;
    s_event_t e;
    s_event_init(&e, &row, s_utc(2017, 8, 6, 4, 19));
    alert_subject_t subject;
    const alert_outcome_t *outcomes;
    assert_int_equal(s_eval_event(engine, &e, &subject, &outcomes), 2);
    const Wf__Alert *alert = alert_engine_build(engine, &outcomes[0], &subject, NOW);
    assert_true(strlen(alert->message) == ALERT_MESSAGE_LEN - 1);
    assert_true(strlen(alert->title) < ALERT_TITLE_LEN);
    alert_engine_destroy(&engine);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_homicide_in_district_007),
        cmocka_unit_test(test_homicide_outside_007_is_citywide_only),
        cmocka_unit_test(test_weapons_one_alert_per_beat_per_shift),
        cmocka_unit_test(test_near_repeat_signal),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_replay_and_reload),
        cmocka_unit_test(test_long_values_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
