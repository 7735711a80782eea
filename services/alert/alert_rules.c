/* alert_rules.c — loading the YAML rule file into an immutable rule set.
 *
 * The loader is strict on purpose: a typo in a rule file must stop wf-alert at start (or make
 * a reload keep the old rules), never silently disable an alert. So unknown keys, unknown
 * enum values, empty lists, bad durations, bad templates and duplicate ids are all errors,
 * each reported once as "file:line: reason". This file walks the document and checks each
 * rule as a whole; the value of each key is parsed in alert_rules_keys.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fnmatch.h>

#include <libfyaml.h>

#include <wf/err.h>

#include "alert_geofences.h"
#include "alert_rules.h"
#include "alert_rules_int.h"

struct alert_rules_t {
    char *path;                   /* file the set came from */
    alert_rule_t *rules;          /* in file order (owned) */
    size_t count;                 /* rules loaded */
    alert_geofences_t *geofences; /* bound geofence set (owned), NULL until bound */
};

/* Writes "name:line: reason" once; the first error is the one the user needs. */
int alert_rules_fail(alert_rules_ctx_t *ctx, int line, const char *fmt, ...)
{
    char reason[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (ctx->errbuf && ctx->errlen)
        snprintf(ctx->errbuf, ctx->errlen, "%s:%d: %s", ctx->name, line, reason);
    return WF_EINVAL;
}

/* 1-based line of a node; for collections, the line of their first scalar. */
int alert_rules_line(struct fy_node *node, int fallback)
{
    if (!node)
        return fallback;
    void *iter = NULL;
    if (fy_node_is_mapping(node)) {
        struct fy_node_pair *pair = fy_node_mapping_iterate(node, &iter);
        return pair ? alert_rules_line(fy_node_pair_key(pair), fallback) : fallback;
    }
    if (fy_node_is_sequence(node))
        return alert_rules_line(fy_node_sequence_iterate(node, &iter), fallback);
    struct fy_token *token = fy_node_get_scalar_token(node);
    const struct fy_mark *mark = token ? fy_token_start_mark(token) : NULL;
    return mark ? mark->line + 1 : fallback;
}

/* The text of a scalar node; NULL (after reporting) for anything else. */
const char *alert_rules_scalar(alert_rules_ctx_t *ctx, struct fy_node *value, int line,
                               const char *what)
{
    const char *text = value && fy_node_is_scalar(value) ? fy_node_get_scalar0(value) : NULL;
    if (!text)
        alert_rules_fail(ctx, alert_rules_line(value, line), "'%s' expects a single value", what);
    return text;
}

int alert_rules_dup(char **out, const char *text)
{
    free(*out);
    *out = strdup(text);
    return *out ? WF_OK : WF_ENOMEM;
}

static bool s_seen(const alert_rules_ctx_t *ctx, const char *name)
{
    size_t index = 0;
    return alert_rules_key_find(name, &index) && (ctx->seen & (1u << index));
}

/* Cross-key checks once a rule's keys are all read. */
static int s_check_rule(alert_rules_ctx_t *ctx, const alert_rule_t *rule)
{
    static const char *const required[] = {"id", "on", "severity", "title", "throttle"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!s_seen(ctx, required[i]))
            return alert_rules_fail(ctx, rule->line, "rule '%s' lacks '%s'",
                                    rule->id ? rule->id : "?", required[i]);
    if (rule->on == ALERT_ON_SIGNAL && !s_seen(ctx, "signal"))
        return alert_rules_fail(ctx, rule->line, "rule '%s' is on: signal but names no 'signal'",
                                rule->id);
    if (rule->on == ALERT_ON_EVENT && s_seen(ctx, "signal"))
        return alert_rules_fail(ctx, rule->line, "rule '%s' is on: event; 'signal' does not apply",
                                rule->id);
    if (rule->on == ALERT_ON_EVENT && s_seen(ctx, "min_related"))
        return alert_rules_fail(ctx, rule->line,
                                "rule '%s' is on: event; 'min_related' needs on: signal", rule->id);
    /* a signal carries the trigger's kind, agency, area and point, not its classification,
     * priority or hot-list hits: such a condition could never hold */
    static const char *const event_only[] = {"nibrs_codes", "nibrs_categories", "crime_against",
                                             "max_priority", "hotlists"};
    for (size_t i = 0; rule->on == ALERT_ON_SIGNAL && i < sizeof event_only / sizeof *event_only;
         i++)
        if (s_seen(ctx, event_only[i]))
            return alert_rules_fail(ctx, rule->line,
                                    "rule '%s' is on: signal; '%s' needs on: event (signals do "
                                    "not carry it)",
                                    rule->id, event_only[i]);
    if (rule->escalate.count && rule->escalate.severity <= rule->severity)
        return alert_rules_fail(ctx, rule->escalate.line,
                                "escalate severity '%s' must be above the rule's severity '%s'",
                                alert_severity_name(rule->escalate.severity),
                                alert_severity_name(rule->severity));
    return WF_OK;
}

static void s_rule_clear(alert_rule_t *rule)
{
    for (size_t c = 0; c < rule->n_conds; c++) {
        for (size_t p = 0; p < rule->conds[c].n_patterns; p++)
            free(rule->conds[c].patterns[p]);
        free(rule->conds[c].patterns);
        free(rule->conds[c].fences);
    }
    free(rule->conds);
    free(rule->id);
    free(rule->description);
    free(rule->title);
    free(rule->message);
    memset(rule, 0, sizeof *rule);
}

static int s_parse_rule(alert_rules_ctx_t *ctx, struct fy_node *node, alert_rule_t *rule)
{
    rule->line = alert_rules_line(node, 0);
    if (!fy_node_is_mapping(node))
        return alert_rules_fail(ctx, rule->line, "each rule must be a mapping of keys");
    ctx->seen = 0;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
        struct fy_node *keynode = fy_node_pair_key(pair);
        const char *name = keynode ? fy_node_get_scalar0(keynode) : NULL;
        int line = alert_rules_line(keynode, rule->line);
        size_t index = 0;
        const alert_rules_key_t *key = name ? alert_rules_key_find(name, &index) : NULL;
        if (!key) {
            char known[256] = "";
            const alert_rules_key_t *k;
            for (size_t i = 0, at = 0; (k = alert_rules_key_at(i)) && at < sizeof known; i++)
                at +=
                    (size_t)snprintf(known + at, sizeof known - at, "%s%s", i ? ", " : "", k->name);
            return alert_rules_fail(ctx, line, "unknown key '%s' (%s)", name ? name : "?", known);
        }
        ctx->seen |= 1u << index;
        int rc = key->parse(ctx, rule, fy_node_pair_value(pair), line, key);
        if (rc)
            return rc;
    }
    if (!rule->message && alert_rules_dup(&rule->message, "") != WF_OK)
        return WF_ENOMEM;
    if (!rule->description && alert_rules_dup(&rule->description, "") != WF_OK)
        return WF_ENOMEM;
    return s_check_rule(ctx, rule);
}

static int s_parse_rules(alert_rules_ctx_t *ctx, alert_rules_t *self, struct fy_node *seq, int line)
{
    if (!seq || !fy_node_is_sequence(seq))
        return alert_rules_fail(ctx, line, "'rules' expects a list of rules");
    int count = fy_node_sequence_item_count(seq);
    self->rules = calloc(count > 0 ? (size_t)count : 1, sizeof *self->rules);
    if (!self->rules)
        return WF_ENOMEM;
    void *iter = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(seq, &iter)) != NULL) {
        alert_rule_t *rule = &self->rules[self->count++];
        int rc = s_parse_rule(ctx, item, rule);
        if (rc)
            return rc;
        const alert_rule_t *first = alert_rules_find(self, rule->id);
        if (first != rule)
            return alert_rules_fail(ctx, rule->line, "duplicate rule id '%s' (first at line %d)",
                                    rule->id, first->line);
    }
    return WF_OK;
}

/* Top level: {version: 1, rules: [...]}. */
static int s_parse_document(alert_rules_ctx_t *ctx, alert_rules_t *self, struct fy_document *doc)
{
    struct fy_node *root = fy_document_root(doc);
    if (!root || !fy_node_is_mapping(root))
        return alert_rules_fail(ctx, alert_rules_line(root, 1),
                                "expected a mapping with a 'rules:' list");
    bool have_rules = false;
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(root, &iter)) != NULL) {
        const char *name = fy_node_get_scalar0(fy_node_pair_key(pair));
        struct fy_node *value = fy_node_pair_value(pair);
        int line = alert_rules_line(fy_node_pair_key(pair), 1);
        if (name && strcmp(name, "version") == 0) {
            const char *text = alert_rules_scalar(ctx, value, line, "version");
            if (!text)
                return WF_EINVAL;
            if (strcmp(text, "1") != 0)
                return alert_rules_fail(ctx, line, "unsupported version '%s' (1)", text);
        } else if (name && strcmp(name, "rules") == 0) {
            int rc = s_parse_rules(ctx, self, value, line);
            if (rc)
                return rc;
            have_rules = true;
        } else {
            return alert_rules_fail(ctx, line, "unknown key '%s' (version, rules)",
                                    name ? name : "?");
        }
    }
    return have_rules ? WF_OK : alert_rules_fail(ctx, 1, "no 'rules:' list");
}

static alert_rules_t *s_build(const char *name, const char *path, const char *text, size_t len,
                              char *errbuf, size_t errlen)
{
    alert_rules_ctx_t ctx = {.name = name, .errbuf = errbuf, .errlen = errlen};
    alert_rules_t *self = calloc(1, sizeof *self);
    struct fy_diag_cfg diag_cfg;
    fy_diag_cfg_default(&diag_cfg);
    diag_cfg.fp = NULL; /* collect, do not print */
    struct fy_diag *diag = fy_diag_create(&diag_cfg);
    struct fy_document *doc = NULL;
    int rc = WF_ENOMEM;
    if (!self || !diag || !(self->path = strdup(name)))
        goto cleanup;
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    doc = path ? fy_document_build_from_file(&cfg, path)
               : fy_document_build_from_string(&cfg, text, len);
    if (!doc) {
        void *iter = NULL;
        struct fy_diag_error *error = fy_diag_errors_iterate(diag, &iter);
        /* libfyaml's collected diagnostics already count lines from 1 */
        rc = error ? alert_rules_fail(&ctx, error->line, "%s", error->msg)
                   : alert_rules_fail(&ctx, 1,
                                      "expected a mapping with a 'rules:' list (no document)");
        goto cleanup;
    }
    rc = s_parse_document(&ctx, self, doc);
cleanup:
    if (rc == WF_ENOMEM)
        alert_rules_fail(&ctx, 0, "out of memory");
    if (rc)
        alert_rules_destroy(&self);
    fy_document_destroy(doc);
    if (diag)
        fy_diag_destroy(diag);
    return self;
}

alert_rules_t *alert_rules_load(const char *path, char *errbuf, size_t errlen)
{
    FILE *file = fopen(path, "r"); /* to tell "missing" from "malformed" */
    if (!file) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    fclose(file);
    return s_build(path, path, NULL, 0, errbuf, errlen);
}

alert_rules_t *alert_rules_parse(const char *name, const char *text, size_t len, char *errbuf,
                                 size_t errlen)
{
    return s_build(name, NULL, text, len, errbuf, errlen);
}

void alert_rules_destroy(alert_rules_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    alert_rules_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        s_rule_clear(&self->rules[i]);
    free(self->rules);
    free(self->path);
    alert_geofences_destroy(&self->geofences);
    free(self);
    *self_p = NULL;
}

size_t alert_rules_count(const alert_rules_t *self)
{
    return self->count;
}

const alert_rule_t *alert_rules_get(const alert_rules_t *self, size_t i)
{
    return i < self->count ? &self->rules[i] : NULL;
}

const alert_rule_t *alert_rules_find(const alert_rules_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->count; i++)
        if (self->rules[i].id && strcmp(self->rules[i].id, id) == 0)
            return &self->rules[i];
    return NULL;
}

const char *alert_rules_path(const alert_rules_t *self)
{
    return self->path;
}

/* Resolves one geofences condition: every pattern must name at least one geofence. */
static int s_bind_cond(alert_rules_ctx_t *ctx, alert_cond_t *cond,
                       const alert_geofences_t *geofences, size_t *fences)
{
    size_t total = alert_geofences_count(geofences), n = 0;
    for (size_t p = 0; p < cond->n_patterns; p++) {
        bool named = false;
        for (size_t g = 0; g < total; g++) {
            if (fnmatch(cond->patterns[p], alert_geofences_name(geofences, g), 0) != 0)
                continue;
            named = true;
            size_t k = 0;
            while (k < n && fences[k] != g)
                k++;
            if (k == n)
                fences[n++] = g;
        }
        if (named)
            continue;
        char known[200] = "";
        for (size_t g = 0, at = 0; g < total && at < sizeof known; g++)
            at += (size_t)snprintf(known + at, sizeof known - at, "%s%s", g ? ", " : "",
                                   alert_geofences_name(geofences, g));
        return alert_rules_fail(ctx, cond->line, "unknown geofence '%s' (%s)", cond->patterns[p],
                                total ? known
                                      : "no geofences in PostGIS: import them with `wf-admin "
                                        "geofence import`");
    }
    cond->fences = fences;
    cond->n_fences = n;
    return WF_OK;
}

int alert_rules_bind_geofences(alert_rules_t *self, alert_geofences_t **geofences_p, char *errbuf,
                               size_t errlen)
{
    alert_rules_ctx_t ctx = {.name = self->path, .errbuf = errbuf, .errlen = errlen};
    const alert_geofences_t *geofences = *geofences_p;
    size_t total = alert_geofences_count(geofences);
    /* resolve into fresh arrays first, so a failure leaves the set as it was */
    size_t n_inside = 0;
    for (size_t r = 0; r < self->count; r++)
        for (size_t c = 0; c < self->rules[r].n_conds; c++)
            n_inside += self->rules[r].conds[c].op == ALERT_OP_INSIDE;
    size_t **resolved = calloc(n_inside ? n_inside : 1, sizeof *resolved);
    int rc = resolved ? WF_OK : WF_ENOMEM;
    size_t at = 0;
    for (size_t r = 0; r < self->count && rc == WF_OK; r++) {
        for (size_t c = 0; c < self->rules[r].n_conds && rc == WF_OK; c++) {
            alert_cond_t *cond = &self->rules[r].conds[c];
            if (cond->op != ALERT_OP_INSIDE)
                continue;
            alert_cond_t trial = *cond;
            if (!(resolved[at] = malloc((total ? total : 1) * sizeof **resolved)))
                rc = WF_ENOMEM;
            else
                rc = s_bind_cond(&ctx, &trial, geofences, resolved[at]);
            at++;
        }
    }
    if (rc != WF_OK) {
        if (rc == WF_ENOMEM)
            alert_rules_fail(&ctx, 0, "out of memory");
        for (size_t i = 0; resolved && i < at; i++)
            free(resolved[i]);
        free(resolved);
        return rc;
    }
    at = 0;
    for (size_t r = 0; r < self->count; r++)
        for (size_t c = 0; c < self->rules[r].n_conds; c++) {
            alert_cond_t *cond = &self->rules[r].conds[c];
            if (cond->op != ALERT_OP_INSIDE)
                continue;
            free(cond->fences);
            s_bind_cond(&ctx, cond, geofences, resolved[at++]); /* succeeded above */
        }
    free(resolved);
    alert_geofences_destroy(&self->geofences);
    self->geofences = *geofences_p;
    *geofences_p = NULL;
    return WF_OK;
}

alert_geofences_t *alert_rules_geofences(const alert_rules_t *self)
{
    return self->geofences;
}
