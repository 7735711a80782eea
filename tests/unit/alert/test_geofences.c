/* test_geofences.c — geofence polygons (GEOS prepared), point lookups, and binding rule
 * conditions to the set: every name must exist, with the rule file's line when it does not.
 *
 * The polygons are the ones of tests/data/alert_geofences.geojson (a square around an Englewood
 * school with the school yard cut out as a hole, the ballpark on 35th Street, and a park in two
 * parts), written here as WKT and handed over as WKB, the way wf-alert receives them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <geos_c.h>

#include <wf/err.h>

#include "alert_geofences.h"
#include "alert_match.h"
#include "alert_rules.h"

static const char s_school[] = "POLYGON((-87.66 41.78, -87.64 41.78, -87.64 41.80, -87.66 41.80, "
                               "-87.66 41.78), (-87.655 41.785, -87.655 41.795, -87.645 41.795, "
                               "-87.645 41.785, -87.655 41.785))";
static const char s_stadium[] = "POLYGON((-87.636 41.828, -87.631 41.828, -87.631 41.832, "
                                "-87.636 41.832, -87.636 41.828))";
static const char s_park[] = "MULTIPOLYGON(((-87.62 41.78, -87.61 41.78, -87.61 41.79, -87.62 "
                             "41.79, -87.62 41.78)), ((-87.60 41.78, -87.59 41.78, -87.59 41.79, "
                             "-87.60 41.79, -87.60 41.78)))";

/* Adds a geofence given as WKT (converted to WKB with GEOS, as PostGIS would send it). */
static int s_add_wkt(alert_geofences_t *set, const char *name, const char *wkt, char *err,
                     size_t errlen)
{
    GEOSContextHandle_t geos = GEOS_init_r();
    GEOSWKTReader *reader = GEOSWKTReader_create_r(geos);
    GEOSWKBWriter *writer = GEOSWKBWriter_create_r(geos);
    GEOSGeometry *geom = GEOSWKTReader_read_r(geos, reader, wkt);
    assert_non_null(geom);
    size_t len = 0;
    unsigned char *wkb = GEOSWKBWriter_write_r(geos, writer, geom, &len);
    int rc = alert_geofences_add(set, name, wkb, len, err, errlen);
    GEOSFree_r(geos, wkb);
    GEOSGeom_destroy_r(geos, geom);
    GEOSWKBWriter_destroy_r(geos, writer);
    GEOSWKTReader_destroy_r(geos, reader);
    GEOS_finish_r(geos);
    return rc;
}

/* The three geofences in name order, as wf-alert loads them. */
static alert_geofences_t *s_chicago_set(void)
{
    alert_geofences_t *set = alert_geofences_new();
    assert_non_null(set);
    char err[256];
    assert_int_equal(s_add_wkt(set, "park-washington", s_park, err, sizeof err), WF_OK);
    assert_int_equal(s_add_wkt(set, "school-englewood", s_school, err, sizeof err), WF_OK);
    assert_int_equal(s_add_wkt(set, "stadium", s_stadium, err, sizeof err), WF_OK);
    return set;
}

static size_t s_locate(alert_geofences_t *set, double lon, double lat, bool inside[3])
{
    return alert_geofences_locate(set, lon, lat, inside);
}

static void test_point_in_geofence(void **state)
{
    (void)state;
    alert_geofences_t *set = s_chicago_set();
    assert_int_equal(alert_geofences_count(set), 3);
    assert_string_equal(alert_geofences_name(set, 1), "school-englewood");
    assert_null(alert_geofences_name(set, 3));
    bool in[3];
    /* 2017 Englewood id 23494 (003XX W 57TH ST) lies east of the school square: nowhere */
    assert_int_equal(s_locate(set, -87.634379287, 41.790852449, in), 0);
    /* inside the school square, between outer ring and yard */
    assert_int_equal(s_locate(set, -87.658, 41.790, in), 1);
    assert_true(in[1] && !in[0] && !in[2]);
    /* in the yard (the hole): outside */
    assert_int_equal(s_locate(set, -87.650, 41.790, in), 0);
    assert_false(in[1]);
    /* on the outer edge: inside (intersects) */
    assert_int_equal(s_locate(set, -87.66, 41.79, in), 1);
    /* both parts of the park */
    assert_int_equal(s_locate(set, -87.615, 41.785, in), 1);
    assert_true(in[0]);
    assert_int_equal(s_locate(set, -87.595, 41.785, in), 1);
    assert_true(in[0]);
    /* between the parts: inside the park's bounding box, outside both polygons */
    assert_int_equal(s_locate(set, -87.605, 41.785, in), 0);
    /* the ballpark */
    assert_int_equal(s_locate(set, -87.6338, 41.8299, in), 1);
    assert_true(in[2]);
    assert_int_equal(alert_geofences_failures(set), 0);
    alert_geofences_destroy(&set);
    assert_null(set);
    alert_geofences_destroy(&set);
    alert_geofences_destroy(NULL);
}

static void test_bad_geofences_are_refused(void **state)
{
    (void)state;
    alert_geofences_t *set = s_chicago_set();
    char err[256] = "";
    assert_int_equal(s_add_wkt(set, "stadium", s_stadium, err, sizeof err), WF_EINVAL);
    assert_string_equal(err, "duplicate geofence name 'stadium'");
    assert_int_equal(s_add_wkt(set, "", s_stadium, err, sizeof err), WF_EINVAL);
    assert_string_equal(err, "geofence without a name");
    assert_int_equal(s_add_wkt(set, "a-point", "POINT(-87.6 41.8)", err, sizeof err), WF_EINVAL);
    assert_string_equal(err, "expected a polygon or multipolygon, got another geometry type");
    assert_int_equal(s_add_wkt(set, "empty", "POLYGON EMPTY", err, sizeof err), WF_EINVAL);
    assert_string_equal(err, "expected a polygon or multipolygon, got an empty one");
    const uint8_t junk[] = {1, 3, 0, 0};
    assert_int_equal(alert_geofences_add(set, "junk", junk, sizeof junk, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "undecodable WKB"));
    assert_int_equal(alert_geofences_count(set), 3); /* nothing half-added */
    /* a self-intersecting bow tie is repaired, not refused: both lobes count */
    assert_int_equal(s_add_wkt(set, "bowtie",
                               "POLYGON((-87.70 41.70, -87.68 41.72, -87.68 41.70, -87.70 41.72, "
                               "-87.70 41.70))",
                               err, sizeof err),
                     WF_OK);
    bool in[4];
    assert_int_equal(alert_geofences_locate(set, -87.698, 41.710, in), 1);
    assert_true(in[3]);
    assert_int_equal(alert_geofences_locate(set, -87.682, 41.710, in), 1);
    alert_geofences_destroy(&set);
}

static const char s_rules[] = "rules:\n"
                              "  - id: schools\n"
                              "    on: event\n"
                              "    kinds: ['weapons*']\n"
                              "    geofences: ['school-*']\n"
                              "    severity: severe\n"
                              "    title: t\n"
                              "    throttle: {key: event, window: 1h}\n"
                              "  - id: venues\n"
                              "    on: signal\n"
                              "    signal: near_repeat\n"
                              "    geofences: [stadium, 'park-*']\n"
                              "    severity: minor\n"
                              "    title: t\n"
                              "    throttle: {key: cell, window: 1h}\n";

static alert_rules_t *s_parse(const char *text)
{
    char err[256];
    alert_rules_t *rules = alert_rules_parse("fences.yaml", text, strlen(text), err, sizeof err);
    if (!rules)
        fail_msg("%s", err);
    return rules;
}

static void test_rules_bind_and_match(void **state)
{
    (void)state;
    alert_rules_t *rules = s_parse(s_rules);
    alert_geofences_t *set = s_chicago_set();
    char err[256];
    assert_int_equal(alert_rules_bind_geofences(rules, &set, err, sizeof err), WF_OK);
    assert_null(set); /* the rule set owns it now */
    alert_geofences_t *bound = alert_rules_geofences(rules);
    assert_int_equal(alert_geofences_count(bound), 3);
    const alert_rule_t *schools = alert_rules_find(rules, "schools");
    const alert_rule_t *venues = alert_rules_find(rules, "venues");
    assert_int_equal(schools->conds[1].n_fences, 1);
    assert_int_equal(schools->conds[1].fences[0], 1);
    assert_int_equal(venues->conds[0].n_fences, 2);

    /* an event as the engine flattens it, with the lookup it makes */
    bool in[3];
    alert_subject_t s = {.on = ALERT_ON_EVENT,
                         .kind = "weapons.possession",
                         .agency = "CPD",
                         .district = "007",
                         .beat = "0713",
                         .address = "",
                         .has_location = true};
    s.inside = in;
    s.n_inside = 3;
    alert_geofences_locate(bound, -87.658, 41.790, in); /* school square */
    assert_true(alert_rule_match(schools, &s));
    assert_true(alert_rule_matched_geofence(schools, &s, 1));
    assert_false(alert_rule_matched_geofence(schools, &s, 0));
    alert_geofences_locate(bound, -87.650, 41.790, in); /* school yard: the hole */
    assert_false(alert_rule_match(schools, &s));
    s.inside = NULL; /* unlocated */
    assert_false(alert_rule_match(schools, &s));
    s.inside = in;
    /* signals have a point too */
    s.on = ALERT_ON_SIGNAL;
    s.signal = ALERT_SIGNAL_NEAR_REPEAT;
    alert_geofences_locate(bound, -87.595, 41.785, in); /* east part of the park */
    assert_true(alert_rule_match(venues, &s));
    assert_true(alert_rule_matched_geofence(venues, &s, 0));
    assert_false(alert_rule_matched_geofence(venues, &s, 2));
    alert_rules_destroy(&rules);
}

/* Unknown names are rule-file errors with the condition's line; nothing changes on failure. */
static void test_unknown_geofence_is_a_rule_error(void **state)
{
    (void)state;
    char text[1024], err[512];
    snprintf(text, sizeof text, "%s", s_rules);
    char *typo = strstr(text, "[stadium,");
    memcpy(typo, "[stadum, ", 9);
    alert_rules_t *rules = s_parse(text);
    alert_geofences_t *set = s_chicago_set();
    assert_int_equal(alert_rules_bind_geofences(rules, &set, err, sizeof err), WF_EINVAL);
    assert_string_equal(err, "fences.yaml:12: unknown geofence 'stadum' (park-washington, "
                             "school-englewood, stadium)");
    assert_non_null(set); /* still the caller's */
    assert_null(alert_rules_geofences(rules));
    assert_int_equal(alert_rules_find(rules, "schools")->conds[1].n_fences, 0);
    alert_rules_destroy(&rules);

    /* a glob that names nothing is as wrong as a misspelt name */
    rules = s_parse("rules:\n  - id: z\n    on: event\n    severity: minor\n    title: t\n"
                    "    throttle: {key: event, window: 1h}\n    geofences:\n      - stadium\n"
                    "      - 'zoo-*'\n");
    assert_int_equal(alert_rules_bind_geofences(rules, &set, err, sizeof err), WF_EINVAL);
    assert_string_equal(err, "fences.yaml:7: unknown geofence 'zoo-*' (park-washington, "
                             "school-englewood, stadium)");
    alert_rules_destroy(&rules);

    /* no geofences imported at all: the message says how to import them */
    alert_geofences_t *none = alert_geofences_new();
    rules = s_parse(s_rules);
    assert_int_equal(alert_rules_bind_geofences(rules, &none, err, sizeof err), WF_EINVAL);
    assert_string_equal(err, "fences.yaml:5: unknown geofence 'school-*' (no geofences in "
                             "PostGIS: import them with `wf-admin geofence import`)");
    alert_rules_destroy(&rules);

    /* rules without geofence conditions bind to an empty set */
    rules = s_parse("rules:\n  - id: e\n    on: event\n    severity: minor\n    title: t\n"
                    "    throttle: {key: event, window: 1h}\n");
    assert_int_equal(alert_rules_bind_geofences(rules, &none, err, sizeof err), WF_OK);
    assert_null(none);
    alert_rules_destroy(&rules);
    alert_geofences_destroy(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_in_geofence),
        cmocka_unit_test(test_bad_geofences_are_refused),
        cmocka_unit_test(test_rules_bind_and_match),
        cmocka_unit_test(test_unknown_geofence_is_a_rule_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
