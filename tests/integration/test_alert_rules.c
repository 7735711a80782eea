/* test_alert_rules.c — the rule engine's new conditions and escalation through the real
 * wf-alert process: enriched events published over real ZeroMQ sockets, geofences imported
 * with the real wf-admin into a scratch PostGIS database, alerts read back from the alerts
 * table; then SIGHUP with a geofence gone (rules kept) and back (rules reloaded).
 *
 * The events are synthetic (ids "rules-…") with Englewood coordinates; NIBRS fields and hot-list
 * hits are set here as enrich will set them.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/config.h>
#include <wf/id.h>
#include <wf/transport.h>

#include "harness.h"

#define DAY_2017_02_25 ((int64_t)1487980800 * WF_US_PER_SEC) /* 00:00 UTC */
#define HOUR           (3600 * WF_US_PER_SEC)

static const char s_rules[] = "version: 1\n"
                              "rules:\n"
                              "  - id: weapons_near_schools\n"
                              "    on: event\n"
                              "    kinds: ['weapons*']\n"
                              "    geofences: ['school-*', stadium]\n"
                              "    severity: severe\n"
                              "    title: 'Weapons violation in a protected zone, beat {beat}'\n"
                              "    throttle: {key: event, window: 24h}\n"
                              "  - id: stolen_plate\n"
                              "    on: event\n"
                              "    hotlists: ['stolen-*']\n"
                              "    max_priority: 2\n"
                              "    severity: moderate\n"
                              "    title: 'Stolen vehicle seen in beat {beat}'\n"
                              "    throttle: {key: event, window: 1h}\n"
                              "  - id: burglary_spree\n"
                              "    on: event\n"
                              "    nibrs_categories: ['Burglary*']\n"
                              "    crime_against: [Property]\n"
                              "    severity: moderate\n"
                              "    title: 'Burglaries in beat {beat}'\n"
                              "    throttle: {key: beat, window: 24h}\n"
                              "    escalate: {count: 3, within: 24h, severity: severe}\n";

typedef struct {
    const char *record_id;
    const char *kind;
    double lon, lat;
    int64_t occurred_us;
    const char *nibrs_code, *nibrs_category, *crime_against;
    int32_t priority;
    bool hits; /* a stolen-vehicles and a gang-members hit */
} s_spec_t;

static harness_t s_h;
static wf_config_t *s_config;
static wf_transport_t *s_producer;

/* Publishes one enriched event the way wf-enrich does (topic enriched, keyed by cell). */
static void s_publish(const s_spec_t *spec)
{
    Wf__NormalizedEvent event = WF__NORMALIZED_EVENT__INIT;
    Wf__EnrichedEvent enriched = WF__ENRICHED_EVENT__INIT;
    Wf__Point point = WF__POINT__INIT;
    Wf__HotlistHit plate = WF__HOTLIST_HIT__INIT, gang = WF__HOTLIST_HIT__INIT;
    Wf__HotlistHit *hits[] = {&gang, &plate};
    wf_uuid_t id;
    wf_id_event(&id, "CPD", spec->record_id, "");
    event.event_id = (ProtobufCBinaryData){WF_UUID_LEN, id.bytes};
    event.agency = "CPD";
    event.source = "test";
    event.source_record_id = (char *)spec->record_id;
    event.kind = (char *)spec->kind;
    event.occurred_at_us = spec->occurred_us;
    event.priority = spec->priority;
    event.dissemination = WF__DISSEMINATION__LAW_ENFORCEMENT;
    point.lon = spec->lon;
    point.lat = spec->lat;
    event.location = &point;
    enriched.event = &event;
    enriched.district = "007";
    enriched.beat = "0713";
    enriched.nibrs_code = (char *)spec->nibrs_code;
    enriched.nibrs_category = (char *)spec->nibrs_category;
    enriched.crime_against = (char *)spec->crime_against;
    if (spec->hits) {
        plate.list = "stolen-vehicles";
        plate.entry_type = "plate";
        plate.entry_value = "ABC1234";
        plate.observed = "A8C1234";
        plate.field = "plate";
        plate.substitutions = 1;
        plate.entry_id = "NCIC-1";
        gang.list = "gang-members";
        gang.entry_type = "person";
        gang.entry_value = "DOE JOHN";
        enriched.hotlist_hits = hits;
        enriched.n_hotlist_hits = 2;
    }
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.type = WF__MESSAGE_TYPE__ENRICHED_EVENT;
    envelope.body_case = WF__ENVELOPE__BODY_ENRICHED;
    envelope.enriched = &enriched;
    envelope.ingest_ts_us = wf_clock_now_us();
    const char *topic = wf_config_string(s_config, "topics.enriched");
    assert_int_equal(wf_transport_publish(s_producer, topic, NULL, 0, &envelope), 0);
}

static void s_publish_all(const s_spec_t *specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_publish(&specs[i]);
    assert_int_equal(wf_transport_flush(s_producer, 10000), 0);
    assert_true(harness_wait_drained(&s_h, 60));
}

static int s_admin(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --config '%s' %s >> '%s/admin-geofence.log' 2>&1",
             harness_binary("tools/wf-admin"), s_h.config, args, s_h.dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Waits until the alert log has want lines containing text. */
static bool s_wait_log(const char *text, int want)
{
    for (int i = 0; i < 200; i++) {
        if (harness_log_count(&s_h, "alert", text) >= want)
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static void test_conditions_and_escalation_end_to_end(void **state)
{
    (void)state;
    char rules[400], import[600], set[1200];
    snprintf(rules, sizeof rules, "%s/rules.yaml", s_h.dir);
    FILE *file = fopen(rules, "w");
    assert_non_null(file);
    fputs(s_rules, file);
    fclose(file);
    snprintf(import, sizeof import, "geofence import --name-property zone --agency CPD '%s'",
             harness_source("tests/data/alert_geofences.geojson"));
    assert_int_equal(s_admin(import), 0);
    setenv("WF_ALERT_RULES", rules, 1); /* the environment beats the deployment file */
    assert_true(harness_start_service(&s_h, "alert") > 0);
    assert_true(s_wait_log("rules loaded", 1));
    assert_int_equal(harness_log_count(&s_h, "alert", "rules=3 geofences=3"), 1);

    char err[512];
    s_config = wf_config_new();
    assert_int_equal(wf_config_load_file(s_config, s_h.config, err, sizeof err), 0);
    /* only wf-alert listens here: no spatial to wait for */
    assert_int_equal(wf_config_set(s_config, "zmq.consumers.enriched", "alert", err, sizeof err),
                     0);
    s_producer = wf_transport_new(s_config, "enrich", "enrich", NULL, err, sizeof err);
    assert_non_null(s_producer);

    int64_t day = DAY_2017_02_25;
    const s_spec_t specs[] = {
        /* inside the school square: geofence alert; a priority-1 stolen plate: hot-list alert */
        {"rules-school", "weapons.possession", -87.658, 41.790, day + 3 * HOUR, "520",
         "Weapon Law Violations", "Society", 1, true},
        /* in the school yard, the square's hole: nothing */
        {"rules-yard", "weapons.possession", -87.650, 41.790, day + 4 * HOUR, "520",
         "Weapon Law Violations", "Society", 0, false},
        /* at the ballpark; the plate hit but priority 3: only the geofence alert */
        {"rules-stadium", "weapons.use", -87.6338, 41.8299, day + 5 * HOUR, "520",
         "Weapon Law Violations", "Society", 3, true},
        /* three burglaries of beat 0713 that day (one delivered twice): one ordinary alert, and
         * one escalated at the third */
        {"rules-burg-1", "burglary.residential", -87.657, 41.788, day + 1 * HOUR, "220",
         "Burglary/Breaking & Entering", "Property", 0, false},
        {"rules-burg-2", "burglary.residential", -87.656, 41.789, day + 6 * HOUR, "220",
         "Burglary/Breaking & Entering", "Property", 0, false},
        {"rules-burg-2", "burglary.residential", -87.656, 41.789, day + 6 * HOUR, "220",
         "Burglary/Breaking & Entering", "Property", 0, false},
        {"rules-burg-3", "burglary.residential", -87.655, 41.787, day + 9 * HOUR, "220",
         "Burglary/Breaking & Entering", "Property", 0, false},
    };
    s_publish_all(specs, sizeof specs / sizeof *specs);

    harness_t *h = &s_h;
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts"), 5);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE rule_id ="
                                          " 'weapons_near_schools' AND geofences ="
                                          " '{school-englewood}' AND nibrs_category ="
                                          " 'Weapon Law Violations' AND NOT escalated"),
                     1);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE rule_id ="
                                          " 'weapons_near_schools' AND geofences = '{stadium}'"),
                     1);
    /* the hot-list alert carries the hit the rule named, not the gang list's */
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE rule_id ="
                                          " 'stolen_plate' AND jsonb_array_length(hotlist_hits) = 1"
                                          " AND hotlist_hits->0->>'list' = 'stolen-vehicles'"
                                          " AND hotlist_hits->0->>'observed' = 'A8C1234'"
                                          " AND (hotlist_hits->0->>'substitutions')::int = 1"
                                          " AND geofences IS NULL"),
                     1);
    /* ordinary and escalated alert of one situation side by side */
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE rule_id ="
                                          " 'burglary_spree' AND NOT escalated AND severity ="
                                          " 'moderate' AND match_count = 1"),
                     1);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE rule_id ="
                                          " 'burglary_spree' AND escalated AND severity ="
                                          " 'severe' AND match_count = 3 AND dedupe_key ="
                                          " 'beat:0713' AND cardinality(event_ids) = 3"
                                          " AND window_start = '2017-02-25T00:00:00Z'"),
                     1);
    assert_int_equal(harness_query_int(h, "SELECT count(DISTINCT (dedupe_key, window_start))"
                                          " FROM alerts WHERE rule_id = 'burglary_spree'"),
                     1);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE cap IS NULL"), 0);
    assert_int_equal(harness_stat(h, "alert", "alerts_escalated"), 1);

    /* a geofence a rule names disappears: the reload is refused, the running rules stay */
    assert_int_equal(s_admin("geofence remove stadium"), 0);
    harness_signal(h, "alert", SIGHUP);
    assert_true(s_wait_log("rules not reloaded", 1));
    snprintf(set, sizeof set, "%s:6: unknown geofence 'stadium'", rules);
    assert_int_equal(harness_log_count(h, "alert", set), 1);
    const s_spec_t later = {
        "rules-stadium-2",       "weapons.use", -87.634, 41.830, day + 7 * HOUR, "520",
        "Weapon Law Violations", "Society",     0,       false};
    s_publish_all(&later, 1);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE geofences ="
                                          " '{stadium}'"),
                     2);
    /* back again: reloaded */
    assert_int_equal(s_admin(import), 0);
    harness_signal(h, "alert", SIGHUP);
    assert_true(s_wait_log("rules reloaded", 1));
    assert_int_equal(harness_log_count(h, "alert", "rules reloaded path="), 1);
    assert_true(harness_alive(h, "alert"));
}

static int s_setup(void **state)
{
    (void)state;
    return harness_start(&s_h, "alert_rules", NULL) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    wf_transport_destroy(&s_producer);
    wf_config_destroy(&s_config);
    unsetenv("WF_ALERT_RULES");
    return harness_stop(&s_h) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conditions_and_escalation_end_to_end),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
