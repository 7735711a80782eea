/* test_match.c — rule conditions, dedupe keys, grid cells and message templates.
 *
 * Subjects are real Chicago rows (shared/data/chicago), flattened by hand the way the engine
 * does it, so each case names the record it stands for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include <wf/err.h>

#include "alert_match.h"
#include "alert_rules.h"

static alert_rules_t *s_rules;

static const char s_rules_text[] = "rules:\n"
                                   "  - id: homicide_007\n"
                                   "    on: event\n"
                                   "    kinds: ['homicide*']\n"
                                   "    districts: ['007']\n"
                                   "    severity: extreme\n"
                                   "    title: 'Homicide in {district}'\n"
                                   "    throttle: {key: event, window: 24h}\n"
                                   "  - id: weapons_any_of\n"
                                   "    on: event\n"
                                   "    kinds: ['weapons.*', 'homicide']\n"
                                   "    beats: ['071[0-3]', '0725']\n"
                                   "    agencies: [CPD]\n"
                                   "    severity: severe\n"
                                   "    title: t\n"
                                   "    throttle: {key: beat, window: 8h}\n"
                                   "  - id: has_district\n"
                                   "    on: event\n"
                                   "    districts: ['*']\n"
                                   "    severity: minor\n"
                                   "    title: t\n"
                                   "    throttle: {key: district, window: 1h}\n"
                                   "  - id: near_repeat\n"
                                   "    on: signal\n"
                                   "    signal: near_repeat\n"
                                   "    kinds: [burglary.residential]\n"
                                   "    min_related: 2\n"
                                   "    severity: moderate\n"
                                   "    title: t\n"
                                   "    throttle: {key: cell, window: 24h}\n"
                                   "  - id: everything\n"
                                   "    on: event\n"
                                   "    severity: minor\n"
                                   "    title: t\n"
                                   "    throttle: {key: rule, window: 24h}\n";

static int s_setup(void **state)
{
    (void)state;
    char err[256];
    s_rules =
        alert_rules_parse("match.yaml", s_rules_text, sizeof s_rules_text - 1, err, sizeof err);
    if (!s_rules)
        fail_msg("%s", err);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    alert_rules_destroy(&s_rules);
    return 0;
}

static const alert_rule_t *s_rule(const char *id)
{
    const alert_rule_t *rule = alert_rules_find(s_rules, id);
    assert_non_null(rule);
    return rule;
}

/* 2017 Englewood, id 23494: FIRST DEGREE MURDER, 003XX W 57TH ST, beat 0711, district 007. */
static alert_subject_t s_homicide_23494(void)
{
    alert_subject_t s = {.on = ALERT_ON_EVENT,
                         .kind = "homicide",
                         .agency = "CPD",
                         .district = "007",
                         .beat = "0711",
                         .address = "003XX W 57TH ST",
                         .has_location = true,
                         .lon = -87.634379287,
                         .lat = 41.790852449};
    snprintf(s.event_id, sizeof s.event_id, "6f1c2a8e-0000-5000-8000-000000023494");
    return s;
}

/* 2014 portal export, id 9529759: UNLAWFUL POSS OF HANDGUN, 057XX S THROOP ST, 0713/007. */
static alert_subject_t s_weapons_9529759(void)
{
    alert_subject_t s = {.on = ALERT_ON_EVENT,
                         .kind = "weapons.possession",
                         .agency = "CPD",
                         .district = "007",
                         .beat = "0713",
                         .address = "057XX S THROOP ST",
                         .has_location = true,
                         .lon = -87.65705483643524,
                         .lat = 41.790260940077445};
    snprintf(s.event_id, sizeof s.event_id, "6f1c2a8e-0000-5000-8000-000009529759");
    return s;
}

static void test_globs_and_lists(void **state)
{
    (void)state;
    alert_subject_t hom = s_homicide_23494();
    assert_true(alert_rule_match(s_rule("homicide_007"), &hom));
    hom.kind = "homicide.first_degree"; /* glob reaches sub-kinds */
    assert_true(alert_rule_match(s_rule("homicide_007"), &hom));
    hom.district = "006";
    assert_false(alert_rule_match(s_rule("homicide_007"), &hom));
    hom.district = "07"; /* codes are text: no numeric equality */
    assert_false(alert_rule_match(s_rule("homicide_007"), &hom));

    alert_subject_t w = s_weapons_9529759();
    assert_true(alert_rule_match(s_rule("weapons_any_of"), &w)); /* 0713 via [0-3] */
    w.beat = "0725";                                             /* second list item */
    assert_true(alert_rule_match(s_rule("weapons_any_of"), &w));
    w.beat = "0714";
    assert_false(alert_rule_match(s_rule("weapons_any_of"), &w));
    w.beat = "0711";
    w.kind = "homicide"; /* exact item in the kinds list */
    assert_true(alert_rule_match(s_rule("weapons_any_of"), &w));
    w.kind = "homicide.first_degree"; /* 'homicide' without a glob is exact */
    assert_false(alert_rule_match(s_rule("weapons_any_of"), &w));
    w.kind = "weapons.possession";
    w.agency = "ISP"; /* all conditions must hold */
    assert_false(alert_rule_match(s_rule("weapons_any_of"), &w));
    w.agency = "cpd"; /* case-sensitive */
    assert_false(alert_rule_match(s_rule("weapons_any_of"), &w));
}

/* Conditions on what enrich adds (NIBRS classification, hot-list hits) and the CAD priority. */
static const char s_condition_rules[] = "rules:\n"
                                        "  - id: property_burglary\n"
                                        "    on: event\n"
                                        "    nibrs_categories: ['Burglary*', Robbery]\n"
                                        "    severity: minor\n"
                                        "    title: t\n"
                                        "    throttle: {key: event, window: 1h}\n"
                                        "  - id: assault_codes\n"
                                        "    on: event\n"
                                        "    nibrs_codes: ['13?']\n"
                                        "    severity: minor\n"
                                        "    title: t\n"
                                        "    throttle: {key: event, window: 1h}\n"
                                        "  - id: against_persons\n"
                                        "    on: event\n"
                                        "    crime_against: [Person, Society]\n"
                                        "    severity: minor\n"
                                        "    title: t\n"
                                        "    throttle: {key: event, window: 1h}\n"
                                        "  - id: any_category\n"
                                        "    on: event\n"
                                        "    nibrs_categories: '*'\n"
                                        "    severity: minor\n"
                                        "    title: t\n"
                                        "    throttle: {key: event, window: 1h}\n"
                                        "  - id: urgent\n"
                                        "    on: event\n"
                                        "    max_priority: 2\n"
                                        "    severity: minor\n"
                                        "    title: t\n"
                                        "    throttle: {key: event, window: 1h}\n"
                                        "  - id: stolen_plates\n"
                                        "    on: event\n"
                                        "    hotlists: ['stolen-*']\n"
                                        "    kinds: ['vehicle.*', 'alpr.read']\n"
                                        "    severity: minor\n"
                                        "    title: t\n"
                                        "    throttle: {key: event, window: 1h}\n";

static alert_rules_t *s_parse_conditions(void)
{
    char err[256];
    alert_rules_t *rules = alert_rules_parse("conditions.yaml", s_condition_rules,
                                             sizeof s_condition_rules - 1, err, sizeof err);
    if (!rules)
        fail_msg("%s", err);
    return rules;
}

static void s_classify(alert_subject_t *s, const char *code, const char *category,
                       const char *against)
{
    s->nibrs_code = code;
    s->nibrs_category = category;
    s->crime_against = against;
}

static void test_nibrs_conditions(void **state)
{
    (void)state;
    alert_rules_t *rules = s_parse_conditions();
    const alert_rule_t *burglary = alert_rules_find(rules, "property_burglary");
    const alert_rule_t *assault = alert_rules_find(rules, "assault_codes");
    const alert_rule_t *persons = alert_rules_find(rules, "against_persons");
    const alert_rule_t *any = alert_rules_find(rules, "any_category");

    alert_subject_t hom = s_homicide_23494(); /* IUCR 0110 → NIBRS 09A */
    s_classify(&hom, "09A", "Homicide Offenses", "Person");
    assert_false(alert_rule_match(burglary, &hom));
    assert_false(alert_rule_match(assault, &hom));
    assert_true(alert_rule_match(persons, &hom));
    assert_true(alert_rule_match(any, &hom));

    alert_subject_t burg = s_weapons_9529759();
    burg.kind = "burglary.residential";
    s_classify(&burg, "220", "Burglary/Breaking & Entering", "Property");
    assert_true(alert_rule_match(burglary, &burg)); /* '/' is plain text to the glob */
    assert_false(alert_rule_match(persons, &burg));
    s_classify(&burg, "120", "Robbery", "Property"); /* the list's exact item */
    assert_true(alert_rule_match(burglary, &burg));
    s_classify(&burg, "120", "robbery", "property"); /* case matters, as everywhere */
    assert_false(alert_rule_match(burglary, &burg));
    assert_false(alert_rule_match(persons, &burg));

    alert_subject_t asslt = s_weapons_9529759();
    s_classify(&asslt, "13A", "Assault Offenses", "Person");
    assert_true(alert_rule_match(assault, &asslt));
    s_classify(&asslt, "13", "Assault Offenses", "Person"); /* '13?' needs a third character */
    assert_false(alert_rule_match(assault, &asslt));
    s_classify(&asslt, "90Z", "All Other Offenses", "Society");
    assert_true(alert_rule_match(persons, &asslt));
    s_classify(&asslt, "90Z", "All Other Offenses", "Not a Crime");
    assert_false(alert_rule_match(persons, &asslt));

    /* a kind without a NIBRS equivalent: nothing, not even '*', and NULL fields are absent */
    s_classify(&asslt, "", "", "");
    assert_false(alert_rule_match(any, &asslt));
    assert_false(alert_rule_match(persons, &asslt));
    s_classify(&asslt, NULL, NULL, NULL);
    assert_false(alert_rule_match(any, &asslt));
    assert_false(alert_rule_match(persons, &asslt));
    assert_false(alert_rule_match(assault, &asslt));
    alert_rules_destroy(&rules);
}

static void test_priority_condition(void **state)
{
    (void)state;
    alert_rules_t *rules = s_parse_conditions();
    const alert_rule_t *urgent = alert_rules_find(rules, "urgent");
    assert_int_equal(urgent->conds[0].op, ALERT_OP_AT_MOST);
    alert_subject_t s = s_weapons_9529759();
    const struct {
        int32_t priority;
        bool matches;
    } cases[] = {{1, true}, {2, true}, {3, false}, {9, false}, {0, false}, {-1, false}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        s.priority = cases[i].priority;
        if (alert_rule_match(urgent, &s) != cases[i].matches)
            fail_msg("priority %d: want %s", cases[i].priority,
                     cases[i].matches ? "match" : "none");
    }
    alert_rules_destroy(&rules);
}

static void test_hotlist_condition(void **state)
{
    (void)state;
    alert_rules_t *rules = s_parse_conditions();
    const alert_rule_t *stolen = alert_rules_find(rules, "stolen_plates");
    const alert_rule_t *persons = alert_rules_find(rules, "against_persons");
    Wf__HotlistHit gang = WF__HOTLIST_HIT__INIT, plate = WF__HOTLIST_HIT__INIT;
    gang.list = "gang-members";
    gang.entry_value = "DOE JOHN";
    plate.list = "stolen-vehicles";
    plate.entry_value = "ABC1234";
    plate.observed = "A8C1234";
    plate.substitutions = 1;
    Wf__HotlistHit *both[] = {&gang, &plate}, *gang_only[] = {&gang};

    alert_subject_t s = s_weapons_9529759();
    s.kind = "alpr.read";
    assert_false(alert_rule_match(stolen, &s)); /* no hits */
    s.hotlist_hits = gang_only;
    s.n_hotlist_hits = 1;
    assert_false(alert_rule_match(stolen, &s)); /* a hit, on another list */
    s.hotlist_hits = both;
    s.n_hotlist_hits = 2;
    assert_true(alert_rule_match(stolen, &s)); /* any hit on a matching list */
    s.kind = "theft.retail";
    assert_false(alert_rule_match(stolen, &s)); /* and the other conditions still hold */

    /* what the alert carries: the hits the rule named; every hit for a rule without hotlists */
    assert_true(alert_rule_wants_hotlist_hit(stolen, &plate));
    assert_false(alert_rule_wants_hotlist_hit(stolen, &gang));
    assert_true(alert_rule_wants_hotlist_hit(persons, &gang));
    assert_false(alert_rule_wants_hotlist_hit(persons, NULL));
    alert_rules_destroy(&rules);
}

static void test_absent_fields_never_match(void **state)
{
    (void)state;
    alert_subject_t hom = s_homicide_23494();
    assert_true(alert_rule_match(s_rule("has_district"), &hom));
    hom.district = ""; /* e.g. a 2014 row with no coordinates and an empty District */
    assert_false(alert_rule_match(s_rule("has_district"), &hom));
    assert_false(alert_rule_match(s_rule("homicide_007"), &hom));
    alert_subject_t w = s_weapons_9529759();
    w.beat = "";
    assert_false(alert_rule_match(s_rule("weapons_any_of"), &w));
    w.kind = "";
    assert_true(alert_rule_match(s_rule("everything"), &w)); /* no conditions: all events */
}

static void test_event_and_signal_rules_are_separate(void **state)
{
    (void)state;
    /* 2017 Englewood id 10829552 (057XX S PEORIA ST) with two earlier burglaries nearby */
    alert_subject_t sig = {.on = ALERT_ON_SIGNAL,
                           .signal = ALERT_SIGNAL_NEAR_REPEAT,
                           .kind = "burglary.residential",
                           .agency = "CPD",
                           .district = "007",
                           .beat = "0712",
                           .address = "",
                           .related_count = 2};
    assert_true(alert_rule_match(s_rule("near_repeat"), &sig));
    assert_false(alert_rule_match(s_rule("everything"), &sig)); /* on: event */
    sig.related_count = 1;                                      /* min_related 2 */
    assert_false(alert_rule_match(s_rule("near_repeat"), &sig));
    sig.related_count = 5;
    sig.signal = (alert_signal_t)7; /* a signal type from a newer spatial */
    assert_false(alert_rule_match(s_rule("near_repeat"), &sig));
    alert_subject_t hom = s_homicide_23494();
    assert_false(alert_rule_match(s_rule("near_repeat"), &hom));
}

static void test_dedupe_keys(void **state)
{
    (void)state;
    char key[ALERT_KEY_LEN];
    alert_subject_t w = s_weapons_9529759();
    snprintf(w.cell, sizeof w.cell, "400m:11617:-18168");
    assert_string_equal(alert_dedupe_key(s_rule("weapons_any_of"), &w, key, sizeof key),
                        "beat:0713");
    assert_string_equal(alert_dedupe_key(s_rule("has_district"), &w, key, sizeof key),
                        "district:007");
    assert_string_equal(alert_dedupe_key(s_rule("homicide_007"), &w, key, sizeof key),
                        "event:6f1c2a8e-0000-5000-8000-000009529759");
    assert_string_equal(alert_dedupe_key(s_rule("everything"), &w, key, sizeof key), "rule");
    assert_string_equal(alert_dedupe_key(s_rule("near_repeat"), &w, key, sizeof key),
                        "cell:400m:11617:-18168");
    /* absent key fields: the event is its own situation */
    w.beat = "";
    w.cell[0] = '\0';
    assert_string_equal(alert_dedupe_key(s_rule("weapons_any_of"), &w, key, sizeof key),
                        "event:6f1c2a8e-0000-5000-8000-000009529759");
    assert_string_equal(alert_dedupe_key(s_rule("near_repeat"), &w, key, sizeof key),
                        "event:6f1c2a8e-0000-5000-8000-000009529759");
    /* an absurd beat is cut, still terminated */
    char beat[4096];
    memset(beat, 'b', sizeof beat - 1);
    beat[sizeof beat - 1] = '\0';
    w.beat = beat;
    alert_dedupe_key(s_rule("weapons_any_of"), &w, key, sizeof key);
    assert_int_equal(strlen(key), ALERT_KEY_LEN - 1);
    assert_memory_equal(key, "beat:bbb", 8);
}

static void test_cells(void **state)
{
    (void)state;
    char a[ALERT_CELL_LEN], b[ALERT_CELL_LEN];
    /* 2014 id 9529759 and 2017 id 10836110 are on the same block face of S Throop St */
    assert_int_equal(alert_cell_id(a, sizeof a, -87.65705483643524, 41.790260940077445, 400), 0);
    assert_string_equal(a, "400m:11617:-18168");
    assert_int_equal(alert_cell_id(b, sizeof b, -87.657194831, 41.789850121, 400), 0);
    assert_string_equal(a, b);
    /* 2017 id 23494 (003XX W 57TH ST) is ~1.9 km east: another cell */
    assert_int_equal(alert_cell_id(b, sizeof b, -87.634379287, 41.790852449, 400), 0);
    assert_string_not_equal(a, b);
    /* cells are ~cell_m square at Chicago's latitude: from a point 0.1 cell inside a corner,
     * 300 m north-east stays inside, 950 m north or east leaves */
    const double m_per_deg = 111195.08, rad = 3.14159265358979323846 / 180;
    double lat0 = 4647.1 * 1000 / m_per_deg;
    double lon0 = -7212.9 * 1000 / (m_per_deg * cos(4647.5 * 1000 / m_per_deg * rad));
    double east = 1 / (m_per_deg * cos(lat0 * rad)), north = 1 / m_per_deg;
    assert_int_equal(alert_cell_id(a, sizeof a, lon0, lat0, 1000), 0);
    assert_string_equal(a, "1000m:4647:-7213");
    assert_int_equal(alert_cell_id(b, sizeof b, lon0 + 300 * east, lat0 + 300 * north, 1000), 0);
    assert_string_equal(a, b);
    assert_int_equal(alert_cell_id(b, sizeof b, lon0, lat0 + 950 * north, 1000), 0);
    assert_memory_equal(b, "1000m:4648:", 11); /* columns of another row need not line up */
    assert_int_equal(alert_cell_id(b, sizeof b, lon0 + 950 * east, lat0, 1000), 0);
    assert_string_equal(b, "1000m:4647:-7212");
    /* the size is part of the id, so two sizes never collide */
    assert_int_equal(alert_cell_id(b, sizeof b, -87.0, 41.8, 250), 0);
    assert_memory_equal(b, "250m:", 5);
    /* southern and western hemispheres floor, not truncate */
    assert_int_equal(alert_cell_id(a, sizeof a, -0.0001, -0.0001, 400), 0);
    assert_string_equal(a, "400m:-1:-1");
    /* invalid input is refused, and leaves an empty id */
    assert_int_equal(alert_cell_id(a, sizeof a, NAN, 41.0, 400), WF_EINVAL);
    assert_string_equal(a, "");
    assert_int_equal(alert_cell_id(a, sizeof a, -87.0, 91.0, 400), WF_EINVAL);
    assert_int_equal(alert_cell_id(a, sizeof a, 181.0, 41.0, 400), WF_EINVAL);
    assert_int_equal(alert_cell_id(a, sizeof a, -87.0, 41.0, 0.5), WF_EINVAL);
    assert_int_equal(alert_cell_id(a, 4, -87.0, 41.0, 400), WF_ERANGE);
    /* near the poles columns stay finite */
    assert_int_equal(alert_cell_id(a, sizeof a, 179.9, 89.99, 400), 0);
}

static void test_template_check(void **state)
{
    (void)state;
    char why[160];
    assert_int_equal(alert_template_check("{kind} in {district}/{beat}: {count} at {address} "
                                          "({rule}) {{literal}}",
                                          why, sizeof why),
                     0);
    assert_int_equal(alert_template_check("", why, sizeof why), 0);
    assert_int_equal(alert_template_check("{Kind}", why, sizeof why), WF_EPARSE);
    assert_string_equal(why, "unknown placeholder '{Kind}' (kind, district, beat, count, "
                             "address, rule)");
    assert_int_equal(alert_template_check("a {kind", why, sizeof why), WF_EPARSE);
    assert_string_equal(why, "unclosed '{' at offset 2");
    assert_int_equal(alert_template_check("a }", why, sizeof why), WF_EPARSE);
    assert_int_equal(alert_template_check("{}", why, sizeof why), WF_EPARSE);
}

static void test_render(void **state)
{
    (void)state;
    char out[ALERT_MESSAGE_LEN];
    alert_subject_t hom = s_homicide_23494();
    size_t n = alert_render("{kind} at {address}, beat {beat} of {district} ({rule}) x{count} "
                            "{{{beat}}}",
                            &hom, "homicide_007", out, sizeof out);
    assert_string_equal(out, "homicide at 003XX W 57TH ST, beat 0711 of 007 (homicide_007) x1 "
                             "{0711}");
    assert_int_equal(n, strlen(out));
    hom.address = "";
    hom.beat = "";
    alert_render("{address}/{beat}", &hom, NULL, out, sizeof out);
    assert_string_equal(out, "unknown/unknown");
    alert_subject_t sig = {.on = ALERT_ON_SIGNAL,
                           .kind = "burglary.residential",
                           .agency = "",
                           .district = "007",
                           .beat = "0712",
                           .address = "",
                           .related_count = 2};
    alert_render("{count} burglaries", &sig, "nr", out, sizeof out);
    assert_string_equal(out, "3 burglaries");
    /* an unchecked template never crashes: stray braces are text */
    alert_render("a {nope} } {", &sig, "nr", out, sizeof out);
    assert_string_equal(out, "a {nope} } {");
}

/* A 10 KB address must not overflow; the cut falls on a character boundary. */
static void test_render_bounds(void **state)
{
    (void)state;
    static char address[10000];
    for (size_t i = 0; i + 2 < sizeof address; i += 2)
        memcpy(address + i, "\xc3\xa9", 2); /* 'é' */
    address[sizeof address - 1] = '\0';
    alert_subject_t hom = s_homicide_23494();
    hom.address = address;
    char out[ALERT_MESSAGE_LEN + 8];
    memset(out, 'Z', sizeof out);
    size_t n = alert_render("at {address}", &hom, "r", out, ALERT_MESSAGE_LEN);
    assert_true(n < ALERT_MESSAGE_LEN);
    assert_int_equal(out[n], '\0');
    assert_int_equal(out[ALERT_MESSAGE_LEN], 'Z'); /* nothing written past the buffer */
    assert_int_equal((n - 3) % 2, 0);              /* only whole 2-byte characters */
    assert_int_equal((unsigned char)out[n - 1], 0xa9);
    /* 4-byte characters, odd room */
    for (size_t i = 0; i + 4 < sizeof address; i += 4)
        memcpy(address + i, "\xf0\x9f\x9a\x93", 4);
    address[sizeof address - 1] = '\0';
    n = alert_render("{address}", &hom, "r", out, 7);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\xf0\x9f\x9a\x93", 5);
    /* tiny and empty buffers */
    assert_int_equal(alert_render("{address}", &hom, "r", out, 1), 0);
    assert_string_equal(out, "");
    out[0] = 'Z';
    assert_int_equal(alert_render("{address}", &hom, "r", out, 0), 0);
    assert_int_equal(out[0], 'Z');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_globs_and_lists),
        cmocka_unit_test(test_nibrs_conditions),
        cmocka_unit_test(test_priority_condition),
        cmocka_unit_test(test_hotlist_condition),
        cmocka_unit_test(test_absent_fields_never_match),
        cmocka_unit_test(test_event_and_signal_rules_are_separate),
        cmocka_unit_test(test_dedupe_keys),
        cmocka_unit_test(test_cells),
        cmocka_unit_test(test_template_check),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_render_bounds),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
