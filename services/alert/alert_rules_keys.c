/* alert_rules_keys.c — one small parser per rule key, and the table that names them.
 *
 * Adding a condition means one row in s_rule_keys and, when the value is not a list of patterns
 * or a number, one parser here; alert_rules.c walks the file and checks the rules as a whole
 * (which keys need on: event, escalation above the rule's severity).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/err.h>

#include "alert_match.h"
#include "alert_rules_int.h"

#define ID_MAX  64 /* rule ids end up in counter names and log lines */
#define N_OF(a) ((int)(sizeof a / sizeof *a))

/* Enum spellings, indexed by enum value; index 0 of the first three means "not set". */
static const char *const s_on_names[] = {"", "event", "signal"};
static const char *const s_signal_names[] = {"", "near_repeat"};
static const char *const s_severity_names[] = {"unknown", "minor", "moderate", "severe", "extreme"};
static const char *const s_key_names[] = {"cell", "beat", "district", "event", "rule"};

static int s_parse_id(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value, int line,
                      const alert_rules_key_t *key)
{
    const char *text = alert_rules_scalar(ctx, value, line, key->name);
    if (!text)
        return WF_EINVAL;
    size_t len = strlen(text);
    if (len == 0 || len > ID_MAX ||
        strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
        return alert_rules_fail(ctx, line, "bad rule id '%s' (1-%d of A-Z a-z 0-9 _ . -)", text,
                                ID_MAX);
    return alert_rules_dup(&rule->id, text);
}

static int s_parse_description(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                               int line, const alert_rules_key_t *key)
{
    const char *text = value ? alert_rules_scalar(ctx, value, line, key->name) : "";
    return text ? alert_rules_dup(&rule->description, text) : WF_EINVAL;
}

/* Stores the index of text among names[first..n), or reports the choices. */
static int s_choose(alert_rules_ctx_t *ctx, const char *text, int line, const char *what,
                    const char *const *names, int first, int n, int *out)
{
    char choices[128] = "";
    for (int i = first; i < n; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = i;
            return WF_OK;
        }
        size_t at = strlen(choices);
        snprintf(choices + at, sizeof choices - at, "%s%s", i > first ? "|" : "", names[i]);
    }
    return alert_rules_fail(ctx, line, "unknown %s '%s' (%s)", what, text, choices);
}

static int s_parse_on(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value, int line,
                      const alert_rules_key_t *key)
{
    const char *text = alert_rules_scalar(ctx, value, line, key->name);
    int on = 0;
    if (!text || s_choose(ctx, text, alert_rules_line(value, line), "'on' value", s_on_names, 1,
                          N_OF(s_on_names), &on))
        return WF_EINVAL;
    rule->on = (alert_on_t)on;
    return WF_OK;
}

static int s_parse_signal(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                          int line, const alert_rules_key_t *key)
{
    const char *text = alert_rules_scalar(ctx, value, line, key->name);
    int signal = 0;
    if (!text || s_choose(ctx, text, alert_rules_line(value, line), "signal", s_signal_names, 1,
                          N_OF(s_signal_names), &signal))
        return WF_EINVAL;
    rule->signal = (alert_signal_t)signal;
    return WF_OK;
}

static alert_cond_t *s_add_cond(alert_rule_t *rule, alert_field_t field, alert_op_t op, int line)
{
    alert_cond_t *grown = realloc(rule->conds, (rule->n_conds + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    rule->conds = grown;
    alert_cond_t *cond = &rule->conds[rule->n_conds++];
    *cond = (alert_cond_t){.field = field, .op = op, .line = line};
    return cond;
}

static int s_add_pattern(alert_cond_t *cond, const char *text)
{
    char **grown = realloc(cond->patterns, (cond->n_patterns + 1) * sizeof *grown);
    if (!grown)
        return WF_ENOMEM;
    cond->patterns = grown;
    if (!(cond->patterns[cond->n_patterns] = strdup(text)))
        return WF_ENOMEM;
    cond->n_patterns++;
    return WF_OK;
}

/* Values a list key accepts; NULL names: any non-empty text. */
typedef struct {
    const char *what;         /* for messages: "crime_against value" */
    const char *const *names; /* the accepted spellings */
    int n;                    /* how many */
} s_allowed_t;

/* Adds one item after checking it against allowed (may be NULL). */
static int s_add_item(alert_rules_ctx_t *ctx, alert_cond_t *cond, const char *text, int line,
                      const alert_rules_key_t *key, const s_allowed_t *allowed)
{
    if (!text || !*text)
        return alert_rules_fail(ctx, line, "'%s' has an empty pattern", key->name);
    int index = 0;
    if (allowed && s_choose(ctx, text, line, allowed->what, allowed->names, 0, allowed->n, &index))
        return WF_EINVAL;
    return s_add_pattern(cond, text);
}

/* A list of patterns for a condition with operator op; a single scalar counts as a one-item
 * list. Each item is checked against allowed when given. */
static int s_parse_pattern_list(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                                int line, const alert_rules_key_t *key, alert_op_t op,
                                const s_allowed_t *allowed)
{
    alert_cond_t *cond = s_add_cond(rule, key->field, op, line);
    if (!cond)
        return WF_ENOMEM;
    if (value && fy_node_is_scalar(value))
        return s_add_item(ctx, cond, fy_node_get_scalar0(value), line, key, allowed);
    if (!value || !fy_node_is_sequence(value))
        return alert_rules_fail(ctx, line, "'%s' expects a list of patterns", key->name);
    void *iter = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(value, &iter)) != NULL) {
        const char *text = alert_rules_scalar(ctx, item, line, key->name);
        if (!text)
            return WF_EINVAL;
        int rc = s_add_item(ctx, cond, text, alert_rules_line(item, line), key, allowed);
        if (rc)
            return rc;
    }
    if (cond->n_patterns == 0)
        return alert_rules_fail(ctx, line, "'%s' is an empty list, which matches nothing",
                                key->name);
    return WF_OK;
}

/* A list of fnmatch patterns over a text field. */
static int s_parse_globs(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                         int line, const alert_rules_key_t *key)
{
    return s_parse_pattern_list(ctx, rule, value, line, key, ALERT_OP_GLOB_ANY, NULL);
}

/* Geofence names or globs over them; that they name existing geofences is checked when the
 * rules are bound to the geofence set (alert_rules_bind_geofences). */
static int s_parse_geofences(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                             int line, const alert_rules_key_t *key)
{
    return s_parse_pattern_list(ctx, rule, value, line, key, ALERT_OP_INSIDE, NULL);
}

/* crime_against: NIBRS "crime against" values, exactly as the FBI table spells them. */
static const char *const s_crime_against_names[] = {"Person", "Property", "Society", "Not a Crime"};

static int s_parse_crime_against(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                                 int line, const alert_rules_key_t *key)
{
    static const s_allowed_t allowed = {"crime_against value", s_crime_against_names,
                                        N_OF(s_crime_against_names)};
    return s_parse_pattern_list(ctx, rule, value, line, key, ALERT_OP_ONE_OF, &allowed);
}

static int s_parse_at_least(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                            int line, const alert_rules_key_t *key)
{
    const char *text = alert_rules_scalar(ctx, value, line, key->name);
    if (!text)
        return WF_EINVAL;
    char *end = NULL;
    long long number = strtoll(text, &end, 10);
    if (!*text || *end || number < 0 || number > UINT32_MAX)
        return alert_rules_fail(ctx, line, "'%s' must be a whole number >= 0, not '%s'", key->name,
                                text);
    alert_cond_t *cond = s_add_cond(rule, key->field, ALERT_OP_AT_LEAST, line);
    if (!cond)
        return WF_ENOMEM;
    cond->number = number;
    return WF_OK;
}

/* max_priority: CAD priorities 1..N (1 = highest); an event without a priority never matches. */
static int s_parse_at_most(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                           int line, const alert_rules_key_t *key)
{
    const char *text = alert_rules_scalar(ctx, value, line, key->name);
    if (!text)
        return WF_EINVAL;
    char *end = NULL;
    long long number = strtoll(text, &end, 10);
    if (!*text || *end || number < 1 || number > INT32_MAX)
        return alert_rules_fail(ctx, line,
                                "'%s' must be a whole number >= 1 (1 = highest priority), not '%s'",
                                key->name, text);
    alert_cond_t *cond = s_add_cond(rule, key->field, ALERT_OP_AT_MOST, line);
    if (!cond)
        return WF_ENOMEM;
    cond->number = number;
    return WF_OK;
}

static int s_parse_severity(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                            int line, const alert_rules_key_t *key)
{
    const char *text = alert_rules_scalar(ctx, value, line, key->name);
    int severity = 0;
    if (!text || s_choose(ctx, text, alert_rules_line(value, line), "severity", s_severity_names, 1,
                          N_OF(s_severity_names), &severity))
        return WF_EINVAL;
    rule->severity = (alert_severity_t)severity;
    return WF_OK;
}

static int s_parse_template(alert_rules_ctx_t *ctx, char **out, struct fy_node *value, int line,
                            const char *what)
{
    const char *text = value ? alert_rules_scalar(ctx, value, line, what) : "";
    if (!text)
        return WF_EINVAL;
    char why[160];
    if (alert_template_check(text, why, sizeof why) != WF_OK)
        return alert_rules_fail(ctx, alert_rules_line(value, line), "bad %s template: %s", what,
                                why);
    return alert_rules_dup(out, text);
}

static int s_parse_title(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                         int line, const alert_rules_key_t *key)
{
    int rc = s_parse_template(ctx, &rule->title, value, line, key->name);
    if (rc == WF_OK && !*rule->title)
        return alert_rules_fail(ctx, line, "'title' must not be empty");
    return rc;
}

static int s_parse_message(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                           int line, const alert_rules_key_t *key)
{
    return s_parse_template(ctx, &rule->message, value, line, key->name);
}

/* throttle: {key: cell|beat|district|event|rule, window: 24h}; both required. */
static int s_parse_throttle(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                            int line, const alert_rules_key_t *key)
{
    if (!value || !fy_node_is_mapping(value))
        return alert_rules_fail(ctx, line, "'%s' expects a mapping {key: …, window: …}", key->name);
    bool have_key = false, have_window = false;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(value, &iter)) != NULL) {
        const char *name = fy_node_get_scalar0(fy_node_pair_key(pair));
        struct fy_node *item = fy_node_pair_value(pair);
        int at = alert_rules_line(fy_node_pair_key(pair), line);
        if (!name)
            return alert_rules_fail(ctx, at, "throttle keys must be plain names");
        const char *text = alert_rules_scalar(ctx, item, at, name);
        if (!text)
            return WF_EINVAL;
        if (strcmp(name, "key") == 0) {
            int k = 0;
            if (s_choose(ctx, text, at, "throttle key", s_key_names, 0, N_OF(s_key_names), &k))
                return WF_EINVAL;
            rule->throttle_key = (alert_key_t)k;
            have_key = true;
        } else if (strcmp(name, "window") == 0) {
            if (wf_clock_parse_duration(text, &rule->window_us) != WF_OK || rule->window_us <= 0)
                return alert_rules_fail(
                    ctx, at, "bad duration '%s' for throttle window (e.g. 30m, 24h, 7d)", text);
            have_window = true;
        } else {
            return alert_rules_fail(ctx, at, "unknown key '%s' in throttle (key, window)", name);
        }
    }
    if (!have_key || !have_window)
        return alert_rules_fail(ctx, line, "throttle needs both 'key' and 'window'");
    return WF_OK;
}

/* escalate: {count: N, within: T, severity: S}; all three required. That S is above the rule's
 * own severity is checked with the whole rule (alert_rules.c), as keys come in any order. */
static int s_parse_escalate(alert_rules_ctx_t *ctx, alert_rule_t *rule, struct fy_node *value,
                            int line, const alert_rules_key_t *key)
{
    if (!value || !fy_node_is_mapping(value))
        return alert_rules_fail(
            ctx, line, "'%s' expects a mapping {count: N, within: T, severity: S}", key->name);
    alert_escalation_t *esc = &rule->escalate;
    esc->line = line;
    bool have_within = false;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(value, &iter)) != NULL) {
        const char *name = fy_node_get_scalar0(fy_node_pair_key(pair));
        int at = alert_rules_line(fy_node_pair_key(pair), line);
        if (!name)
            return alert_rules_fail(ctx, at, "escalate keys must be plain names");
        const char *text = alert_rules_scalar(ctx, fy_node_pair_value(pair), at, name);
        if (!text)
            return WF_EINVAL;
        if (strcmp(name, "count") == 0) {
            char *end = NULL;
            long long count = strtoll(text, &end, 10);
            if (!*text || *end || count < 2 || count > UINT32_MAX)
                return alert_rules_fail(ctx, at,
                                        "escalate count must be a whole number >= 2 (the first "
                                        "match already raises the rule's own alert), not '%s'",
                                        text);
            esc->count = (uint32_t)count;
        } else if (strcmp(name, "within") == 0) {
            if (wf_clock_parse_duration(text, &esc->within_us) != WF_OK || esc->within_us <= 0)
                return alert_rules_fail(
                    ctx, at, "bad duration '%s' for escalate within (e.g. 30m, 24h, 7d)", text);
            have_within = true;
        } else if (strcmp(name, "severity") == 0) {
            int severity = 0;
            if (s_choose(ctx, text, at, "escalate severity", s_severity_names, 1,
                         N_OF(s_severity_names), &severity))
                return WF_EINVAL;
            esc->severity = (alert_severity_t)severity;
        } else {
            return alert_rules_fail(ctx, at,
                                    "unknown key '%s' in escalate (count, within, severity)", name);
        }
    }
    if (esc->count == 0 || !have_within || esc->severity == ALERT_SEVERITY_UNKNOWN)
        return alert_rules_fail(ctx, line, "escalate needs 'count', 'within' and 'severity'");
    return WF_OK;
}

/* Every key a rule may have. Keep "id" first: errors before it cannot name the rule. */
static const alert_rules_key_t s_rule_keys[] = {
    {"id", s_parse_id, 0},
    {"description", s_parse_description, 0},
    {"on", s_parse_on, 0},
    {"signal", s_parse_signal, 0},
    {"kinds", s_parse_globs, ALERT_FIELD_KIND},
    {"agencies", s_parse_globs, ALERT_FIELD_AGENCY},
    {"districts", s_parse_globs, ALERT_FIELD_DISTRICT},
    {"beats", s_parse_globs, ALERT_FIELD_BEAT},
    {"min_related", s_parse_at_least, ALERT_FIELD_RELATED_COUNT},
    {"nibrs_codes", s_parse_globs, ALERT_FIELD_NIBRS_CODE},
    {"nibrs_categories", s_parse_globs, ALERT_FIELD_NIBRS_CATEGORY},
    {"crime_against", s_parse_crime_against, ALERT_FIELD_CRIME_AGAINST},
    {"max_priority", s_parse_at_most, ALERT_FIELD_PRIORITY},
    {"hotlists", s_parse_globs, ALERT_FIELD_HOTLIST},
    {"geofences", s_parse_geofences, ALERT_FIELD_GEOFENCE},
    {"severity", s_parse_severity, 0},
    {"title", s_parse_title, 0},
    {"message", s_parse_message, 0},
    {"throttle", s_parse_throttle, 0},
    {"escalate", s_parse_escalate, 0},
};
#define N_RULE_KEYS (sizeof s_rule_keys / sizeof *s_rule_keys)
_Static_assert(N_RULE_KEYS <= 32, "alert_rules_ctx_t.seen has one bit per key");

const alert_rules_key_t *alert_rules_key_find(const char *name, size_t *index)
{
    for (size_t i = 0; i < N_RULE_KEYS; i++)
        if (strcmp(s_rule_keys[i].name, name) == 0) {
            *index = i;
            return &s_rule_keys[i];
        }
    return NULL;
}

const alert_rules_key_t *alert_rules_key_at(size_t i)
{
    return i < N_RULE_KEYS ? &s_rule_keys[i] : NULL;
}

const char *alert_severity_name(alert_severity_t severity)
{
    return (int)severity > 0 && (int)severity < N_OF(s_severity_names) ? s_severity_names[severity]
                                                                       : s_severity_names[0];
}

const char *alert_key_name(alert_key_t key)
{
    return (int)key >= 0 && (int)key < N_OF(s_key_names) ? s_key_names[key] : "?";
}

const char *alert_on_name(alert_on_t on)
{
    return on == ALERT_ON_SIGNAL ? s_on_names[ALERT_ON_SIGNAL] : s_on_names[ALERT_ON_EVENT];
}
