/* test_rules.c — loading alert rule files: the shipped file, and every kind of error with the
 * line it must name. Reads as the usage example of alert_rules.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/err.h>

#include "alert_rules.h"

#define DATA WF_SOURCE_DIR "/tests/data/"

static char s_err[512];

/* Parses text, expects failure, and checks the message is "name:line: <reason…>". */
static void s_expect_error(const char *text, int line, const char *reason)
{
    s_err[0] = '\0';
    alert_rules_t *rules = alert_rules_parse("t.yaml", text, strlen(text), s_err, sizeof s_err);
    if (rules)
        fail_msg("expected an error at line %d for:\n%s", line, text);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "t.yaml:%d: ", line);
    if (strncmp(s_err, prefix, strlen(prefix)) != 0 || !strstr(s_err, reason))
        fail_msg("got \"%s\", want \"%s%s…\"", s_err, prefix, reason);
}

static alert_rules_t *s_parse_ok(const char *text)
{
    s_err[0] = '\0';
    alert_rules_t *rules = alert_rules_parse("t.yaml", text, strlen(text), s_err, sizeof s_err);
    if (!rules)
        fail_msg("unexpected error: %s", s_err);
    return rules;
}

static const alert_cond_t *s_cond(const alert_rule_t *rule, alert_field_t field)
{
    for (size_t i = 0; i < rule->n_conds; i++)
        if (rule->conds[i].field == field)
            return &rule->conds[i];
    return NULL;
}

static void test_shipped_rules_load(void **state)
{
    (void)state;
    alert_rules_t *rules =
        alert_rules_load(WF_SOURCE_DIR "/deploy/rules.yaml", s_err, sizeof s_err);
    if (!rules)
        fail_msg("deploy/rules.yaml: %s", s_err);
    assert_int_equal(alert_rules_count(rules), 5);

    const alert_rule_t *nr = alert_rules_find(rules, "near_repeat_residential_burglary");
    assert_non_null(nr);
    assert_ptr_equal(nr, alert_rules_get(rules, 0));
    assert_int_equal(nr->on, ALERT_ON_SIGNAL);
    assert_int_equal(nr->signal, ALERT_SIGNAL_NEAR_REPEAT);
    assert_int_equal(nr->severity, ALERT_SEVERITY_MODERATE);
    assert_int_equal(nr->throttle_key, ALERT_KEY_CELL);
    assert_true(nr->window_us == 24 * 3600 * WF_US_PER_SEC);
    const alert_cond_t *kinds = s_cond(nr, ALERT_FIELD_KIND);
    assert_non_null(kinds);
    assert_int_equal(kinds->n_patterns, 1);
    assert_string_equal(kinds->patterns[0], "burglary.residential");
    const alert_cond_t *related = s_cond(nr, ALERT_FIELD_RELATED_COUNT);
    assert_non_null(related);
    assert_int_equal(related->op, ALERT_OP_AT_LEAST);
    assert_int_equal(related->number, 1);

    const alert_rule_t *hom = alert_rules_find(rules, "homicide_district_007");
    assert_non_null(hom);
    assert_int_equal(hom->on, ALERT_ON_EVENT);
    assert_int_equal(hom->signal, ALERT_SIGNAL_NONE);
    assert_int_equal(hom->severity, ALERT_SEVERITY_EXTREME);
    assert_int_equal(hom->throttle_key, ALERT_KEY_EVENT);
    assert_string_equal(s_cond(hom, ALERT_FIELD_DISTRICT)->patterns[0], "007");
    assert_int_equal(hom->escalate.count, 0);

    const alert_rule_t *surge = alert_rules_find(rules, "weapons_beat_surge");
    assert_non_null(surge);
    assert_int_equal(surge->severity, ALERT_SEVERITY_MODERATE);
    assert_int_equal(surge->throttle_key, ALERT_KEY_BEAT);
    assert_int_equal(surge->escalate.count, 3);
    assert_true(surge->escalate.within_us == 24 * 3600 * WF_US_PER_SEC);
    assert_int_equal(surge->escalate.severity, ALERT_SEVERITY_SEVERE);
    assert_null(alert_rules_find(rules, "no_such_rule"));
    assert_null(alert_rules_get(rules, 5));
    assert_string_equal(alert_rules_path(rules), WF_SOURCE_DIR "/deploy/rules.yaml");

    alert_rules_destroy(&rules);
    assert_null(rules);
    alert_rules_destroy(&rules); /* NULL-safe */
    alert_rules_destroy(NULL);
}

/* Each fixture file has exactly one error; the message names the file and the line. */
static void s_expect_file_error(const char *file, int line, const char *reason)
{
    char path[512], prefix[600];
    snprintf(path, sizeof path, DATA "%s", file);
    s_err[0] = '\0';
    alert_rules_t *rules = alert_rules_load(path, s_err, sizeof s_err);
    if (rules)
        fail_msg("%s loaded, expected an error", file);
    snprintf(prefix, sizeof prefix, "%s:%d: %s", path, line, reason);
    if (strncmp(s_err, prefix, strlen(prefix)) != 0)
        fail_msg("got \"%s\", want \"%s…\"", s_err, prefix);
}

static void test_file_errors_name_file_and_line(void **state)
{
    (void)state;
    s_expect_file_error("alert_rules_bad_severity.yaml", 14,
                        "unknown severity 'hgh' (minor|moderate|severe|extreme)");
    s_expect_file_error("alert_rules_unknown_key.yaml", 7, "unknown key 'kind' (id, ");
    s_expect_file_error("alert_rules_bad_duration.yaml", 12,
                        "bad duration '8 hours' for throttle window");
    s_expect_file_error("alert_rules_duplicate_id.yaml", 10,
                        "duplicate rule id 'homicide_watch' (first at line 4)");
    s_expect_file_error("alert_rules_bad_yaml.yaml", 8, "");
    assert_non_null(strstr(s_err, "flow sequence"));
    alert_rules_t *rules = alert_rules_load(DATA "alert_no_such_file.yaml", s_err, sizeof s_err);
    assert_null(rules);
    assert_string_equal(s_err,
                        DATA "alert_no_such_file.yaml: cannot open: No such file or directory");
}

static const char s_head[] = "version: 1\nrules:\n";

static void test_rule_errors(void **state)
{
    (void)state;
    char text[1024];
#define RULE(body) (snprintf(text, sizeof text, "%s%s", s_head, body), text)
    /* line 3 is the rule's first line */
    s_expect_error(RULE("  - on: event\n    severity: minor\n    title: x\n"
                        "    throttle: {key: rule, window: 1h}\n"),
                   3, "rule '?' lacks 'id'");
    s_expect_error(RULE("  - id: a\n    on: event\n    title: x\n"
                        "    throttle: {key: rule, window: 1h}\n"),
                   3, "rule 'a' lacks 'severity'");
    s_expect_error(RULE("  - id: a\n    on: signal\n    severity: minor\n    title: x\n"
                        "    throttle: {key: cell, window: 1h}\n"),
                   3, "names no 'signal'");
    s_expect_error(RULE("  - id: a\n    on: event\n    min_related: 2\n    severity: minor\n"
                        "    title: x\n    throttle: {key: cell, window: 1h}\n"),
                   3, "'min_related' needs on: signal");
    s_expect_error(RULE("  - id: a\n    on: event\n    signal: near_repeat\n    severity: minor\n"
                        "    title: x\n    throttle: {key: cell, window: 1h}\n"),
                   3, "'signal' does not apply");
    s_expect_error(RULE("  - id: a\n    on: events\n"), 4, "unknown 'on' value 'events'");
    s_expect_error(RULE("  - id: a\n    on: signal\n    signal: hotspot\n"), 5,
                   "unknown signal 'hotspot' (near_repeat)");
    s_expect_error(RULE("  - id: 'bad id'\n"), 3, "bad rule id 'bad id'");
    s_expect_error(RULE("  - id: a\n    kinds: []\n"), 4, "'kinds' is an empty list");
    s_expect_error(RULE("  - id: a\n    beats:\n      - '0713'\n      - ''\n"), 6,
                   "'beats' has an empty pattern");
    s_expect_error(RULE("  - id: a\n    districts:\n      - [a, b]\n"), 5,
                   "'districts' expects a single value");
    s_expect_error(RULE("  - id: a\n    on: signal\n    min_related: -1\n"), 5,
                   "'min_related' must be a whole number >= 0, not '-1'");
    s_expect_error(RULE("  - id: a\n    on: signal\n    min_related: two\n"), 5, "not 'two'");
    s_expect_error(RULE("  - id: a\n    title: 'Homicide in {distrct}'\n"), 4,
                   "bad title template: unknown placeholder '{distrct}'");
    s_expect_error(RULE("  - id: a\n    message: 'count {count'\n"), 4,
                   "bad message template: unclosed '{'");
    s_expect_error(RULE("  - id: a\n    message: 'a } b'\n"), 4, "unmatched '}'");
    s_expect_error(RULE("  - id: a\n    title: ''\n"), 4, "'title' must not be empty");
    s_expect_error(RULE("  - id: a\n    throttle: {key: block, window: 1h}\n"), 4,
                   "unknown throttle key 'block' (cell|beat|district|event|rule)");
    s_expect_error(RULE("  - id: a\n    throttle:\n      key: beat\n      window: 0s\n"), 6,
                   "bad duration '0s'");
    s_expect_error(RULE("  - id: a\n    throttle:\n      key: beat\n      windw: 1h\n"), 6,
                   "unknown key 'windw' in throttle (key, window)");
    s_expect_error(RULE("  - id: a\n    throttle: {key: beat}\n"), 4,
                   "throttle needs both 'key' and 'window'");
    s_expect_error(RULE("  - id: a\n    throttle: 24h\n"), 4, "'throttle' expects a mapping");
    s_expect_error(RULE("  - just a string\n"), 3, "each rule must be a mapping");
#undef RULE
}

/* Every new key, each way it can be wrong, with the line it must name. */
static void test_condition_and_escalation_errors(void **state)
{
    (void)state;
    char text[1024];
#define RULE(body) (snprintf(text, sizeof text, "%s%s", s_head, body), text)
#define EVENT_RULE(extra)                                                                          \
    RULE("  - id: a\n    on: event\n    severity: moderate\n    title: t\n"                        \
         "    throttle: {key: beat, window: 1h}\n" extra)
    /* line 8 is the first key after the five above */
    s_expect_error(EVENT_RULE("    crime_against: [Person, Persons]\n"), 8,
                   "unknown crime_against value 'Persons' (Person|Property|Society|Not a Crime)");
    s_expect_error(EVENT_RULE("    crime_against:\n      - Property\n      - property\n"), 10,
                   "unknown crime_against value 'property'");
    s_expect_error(EVENT_RULE("    crime_against: []\n"), 8, "'crime_against' is an empty list");
    s_expect_error(EVENT_RULE("    nibrs_codes: []\n"), 8, "'nibrs_codes' is an empty list");
    s_expect_error(EVENT_RULE("    nibrs_categories: ['']\n"), 8,
                   "'nibrs_categories' has an empty pattern");
    s_expect_error(EVENT_RULE("    hotlists: {a: b}\n"), 8,
                   "'hotlists' expects a list of patterns");
    s_expect_error(EVENT_RULE("    geofences: []\n"), 8, "'geofences' is an empty list");
    s_expect_error(EVENT_RULE("    max_priority: 0\n"), 8,
                   "'max_priority' must be a whole number >= 1 (1 = highest priority), not '0'");
    s_expect_error(EVENT_RULE("    max_priority: high\n"), 8, "not 'high'");
    s_expect_error(EVENT_RULE("    max_priority: [1, 2]\n"), 8,
                   "'max_priority' expects a single value");
    s_expect_error(EVENT_RULE("    escalate: {count: 1, within: 1h, severity: severe}\n"), 8,
                   "escalate count must be a whole number >= 2");
    s_expect_error(EVENT_RULE("    escalate: {count: three, within: 1h, severity: severe}\n"), 8,
                   "not 'three'");
    s_expect_error(EVENT_RULE("    escalate:\n      count: 3\n      within: 2 hours\n"
                              "      severity: severe\n"),
                   10, "bad duration '2 hours' for escalate within (e.g. 30m, 24h, 7d)");
    s_expect_error(EVENT_RULE("    escalate: {count: 3, within: 0s, severity: severe}\n"), 8,
                   "bad duration '0s'");
    s_expect_error(EVENT_RULE("    escalate: {count: 3, within: 1h, severity: loud}\n"), 8,
                   "unknown escalate severity 'loud' (minor|moderate|severe|extreme)");
    s_expect_error(EVENT_RULE("    escalate: {count: 3, within: 1h}\n"), 8,
                   "escalate needs 'count', 'within' and 'severity'");
    s_expect_error(EVENT_RULE("    escalate:\n      count: 3\n      windw: 1h\n"), 10,
                   "unknown key 'windw' in escalate (count, within, severity)");
    s_expect_error(EVENT_RULE("    escalate: 3\n"), 8, "'escalate' expects a mapping");
    /* escalation must raise the severity; the error names the escalate line */
    s_expect_error(EVENT_RULE("    escalate: {count: 3, within: 1h, severity: moderate}\n"), 8,
                   "escalate severity 'moderate' must be above the rule's severity 'moderate'");
    s_expect_error(RULE("  - id: a\n    on: event\n    title: t\n"
                        "    escalate: {count: 3, within: 1h, severity: severe}\n"
                        "    throttle: {key: beat, window: 1h}\n    severity: extreme\n"),
                   6, "escalate severity 'severe' must be above the rule's severity 'extreme'");
    /* a signal carries none of these: the rule could never match */
    s_expect_error(RULE("  - id: s\n    on: signal\n    signal: near_repeat\n    severity: minor\n"
                        "    title: t\n    throttle: {key: cell, window: 1h}\n"
                        "    nibrs_categories: [Burglary*]\n"),
                   3,
                   "rule 's' is on: signal; 'nibrs_categories' needs on: event (signals do not "
                   "carry it)");
    s_expect_error(RULE("  - id: s\n    on: signal\n    signal: near_repeat\n    max_priority: 1\n"
                        "    severity: minor\n    title: t\n"
                        "    throttle: {key: cell, window: 1h}\n"),
                   3, "'max_priority' needs on: event");
    s_expect_error(RULE("  - id: s\n    on: signal\n    signal: near_repeat\n    hotlists: [x]\n"
                        "    severity: minor\n    title: t\n"
                        "    throttle: {key: cell, window: 1h}\n"),
                   3, "'hotlists' needs on: event");
#undef EVENT_RULE
#undef RULE
}

static void test_condition_values_parse(void **state)
{
    (void)state;
    alert_rules_t *rules = s_parse_ok("rules:\n"
                                      "  - id: full\n"
                                      "    on: event\n"
                                      "    nibrs_categories: ['Burglary*', Robbery]\n"
                                      "    nibrs_codes: '220'\n"
                                      "    crime_against: [Property, Not a Crime]\n"
                                      "    max_priority: 2\n"
                                      "    hotlists: ['stolen-*']\n"
                                      "    geofences: [school-*, stadium]\n"
                                      "    severity: moderate\n"
                                      "    title: t\n"
                                      "    throttle: {key: beat, window: 8h}\n"
                                      "    escalate: {count: 4, within: 2h, severity: extreme}\n"
                                      "  - id: signal_in_zone\n"
                                      "    on: signal\n"
                                      "    signal: near_repeat\n"
                                      "    geofences: school-*\n"
                                      "    severity: minor\n"
                                      "    title: t\n"
                                      "    throttle: {key: cell, window: 1d}\n");
    const alert_rule_t *full = alert_rules_get(rules, 0);
    assert_int_equal(full->n_conds, 6);
    assert_int_equal(s_cond(full, ALERT_FIELD_NIBRS_CATEGORY)->n_patterns, 2);
    assert_string_equal(s_cond(full, ALERT_FIELD_NIBRS_CODE)->patterns[0], "220");
    const alert_cond_t *against = s_cond(full, ALERT_FIELD_CRIME_AGAINST);
    assert_int_equal(against->op, ALERT_OP_ONE_OF);
    assert_string_equal(against->patterns[1], "Not a Crime");
    assert_int_equal(s_cond(full, ALERT_FIELD_PRIORITY)->number, 2);
    assert_int_equal(s_cond(full, ALERT_FIELD_HOTLIST)->op, ALERT_OP_GLOB_ANY);
    const alert_cond_t *fences = s_cond(full, ALERT_FIELD_GEOFENCE);
    assert_int_equal(fences->op, ALERT_OP_INSIDE);
    assert_int_equal(fences->line, 9);
    assert_int_equal(fences->n_fences, 0); /* names are resolved when bound */
    assert_int_equal(full->escalate.count, 4);
    assert_true(full->escalate.within_us == 2 * 3600 * WF_US_PER_SEC);
    assert_int_equal(full->escalate.severity, ALERT_SEVERITY_EXTREME);
    assert_int_equal(full->escalate.line, 13);
    /* geofences do apply to signals: a signal carries its event's point */
    const alert_rule_t *zone = alert_rules_get(rules, 1);
    assert_int_equal(s_cond(zone, ALERT_FIELD_GEOFENCE)->n_patterns, 1);
    assert_int_equal(zone->escalate.count, 0);
    assert_null(alert_rules_geofences(rules));
    alert_rules_destroy(&rules);
}

static void test_document_errors(void **state)
{
    (void)state;
    s_expect_error("- id: a\n", 1, "expected a mapping with a 'rules:' list");
    s_expect_error("version: 1\n", 1, "no 'rules:' list");
    s_expect_error("version: 2\nrules: []\n", 1, "unsupported version '2' (1)");
    s_expect_error("version: 1\nrulez: []\n", 2, "unknown key 'rulez' (version, rules)");
    s_expect_error("version: 1\nrules: {a: 1}\n", 2, "'rules' expects a list of rules");
    s_expect_error("version: 1\nrules: []\nrules: []\n", 3, "duplicate key");
    s_expect_error("", 1, "expected a mapping");
}

static void test_values_parse(void **state)
{
    (void)state;
    alert_rules_t *rules = s_parse_ok("rules:\n"
                                      "  - id: a.b-c_1\n"
                                      "    on: event\n"
                                      "    kinds: weapons*\n" /* a scalar is a one-item list */
                                      "    agencies: [CPD, 'ISP*']\n"
                                      "    districts: ['007', '00[89]']\n"
                                      "    beats: ['07*']\n"
                                      "    severity: minor\n"
                                      "    title: 'Weapons {{beat}} in {beat}'\n"
                                      "    throttle: {key: district, window: 30m}\n"
                                      "  - id: b\n"
                                      "    on: signal\n"
                                      "    signal: near_repeat\n"
                                      "    min_related: 0\n"
                                      "    severity: severe\n"
                                      "    title: t\n"
                                      "    message: m\n"
                                      "    description: d\n"
                                      "    throttle: {key: rule, window: 7d}\n");
    assert_int_equal(alert_rules_count(rules), 2);
    const alert_rule_t *a = alert_rules_get(rules, 0);
    assert_string_equal(a->id, "a.b-c_1");
    assert_int_equal(a->line, 2);
    assert_int_equal(a->n_conds, 4);
    assert_int_equal(s_cond(a, ALERT_FIELD_KIND)->n_patterns, 1);
    assert_string_equal(s_cond(a, ALERT_FIELD_KIND)->patterns[0], "weapons*");
    assert_int_equal(s_cond(a, ALERT_FIELD_AGENCY)->n_patterns, 2);
    assert_string_equal(s_cond(a, ALERT_FIELD_DISTRICT)->patterns[1], "00[89]");
    assert_int_equal(s_cond(a, ALERT_FIELD_DISTRICT)->line, 6);
    assert_string_equal(a->message, "");
    assert_string_equal(a->description, "");
    assert_int_equal(a->throttle_key, ALERT_KEY_DISTRICT);
    assert_true(a->window_us == 30 * 60 * WF_US_PER_SEC);
    const alert_rule_t *b = alert_rules_get(rules, 1);
    assert_int_equal(b->line, 11);
    assert_int_equal(s_cond(b, ALERT_FIELD_RELATED_COUNT)->number, 0);
    assert_int_equal(b->throttle_key, ALERT_KEY_RULE);
    assert_true(b->window_us == 7 * WF_US_PER_DAY);
    assert_string_equal(b->description, "d");
    alert_rules_destroy(&rules);

    /* an empty rule list is valid: wf-alert then raises nothing */
    rules = s_parse_ok("rules: []\n");
    assert_int_equal(alert_rules_count(rules), 0);
    alert_rules_destroy(&rules);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(alert_severity_name(ALERT_SEVERITY_MINOR), "minor");
    assert_string_equal(alert_severity_name(ALERT_SEVERITY_EXTREME), "extreme");
    assert_string_equal(alert_severity_name((alert_severity_t)9), "unknown");
    assert_string_equal(alert_key_name(ALERT_KEY_CELL), "cell");
    assert_string_equal(alert_key_name(ALERT_KEY_RULE), "rule");
    assert_string_equal(alert_on_name(ALERT_ON_SIGNAL), "signal");
    assert_string_equal(alert_on_name(ALERT_ON_EVENT), "event");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_rules_load),
        cmocka_unit_test(test_file_errors_name_file_and_line),
        cmocka_unit_test(test_rule_errors),
        cmocka_unit_test(test_condition_and_escalation_errors),
        cmocka_unit_test(test_condition_values_parse),
        cmocka_unit_test(test_document_errors),
        cmocka_unit_test(test_values_parse),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
