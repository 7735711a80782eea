/* ingest_kinds.c — kind rules: loading them from a profile, and matching them.
 *
 * Rules are loaded into the profile's arena with the profile loader's error reporting
 * (ingest_profile_int.h); matching walks them in order with fnmatch(3), so the cost per event is
 * a few pattern comparisons.
 */
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <wf/err.h>

#include "ingest_kinds.h"
#include "ingest_profile_int.h"

static const char *const s_kinds[] = {
    "homicide",
    "sexual_assault",
    "sex_offense",
    "robbery",
    "assault.aggravated",
    "assault.simple",
    "burglary.residential",
    "burglary.commercial",
    "burglary.other",
    "theft",
    "motor_vehicle_theft",
    "arson",
    "criminal_damage",
    "trespass",
    "weapons",
    "narcotics",
    "fraud",
    "other",
};

const char *const *ingest_kinds_vocabulary(size_t *count)
{
    *count = sizeof s_kinds / sizeof s_kinds[0];
    return s_kinds;
}

bool ingest_kinds_is_known(const char *kind)
{
    for (size_t i = 0; i < sizeof s_kinds / sizeof s_kinds[0]; i++)
        if (strcmp(s_kinds[i], kind) == 0)
            return true;
    return false;
}

/* ---- loading ----------------------------------------------------------------------------- */

static int s_match_field(const char *name)
{
    if (strcmp(name, "agency") == 0)
        return INGEST_MATCH_AGENCY;
    if (strcmp(name, "source") == 0)
        return INGEST_MATCH_SOURCE;
    return ingest_field_lookup(name);
}

/* Patterns of one condition: a scalar or a sequence of scalars. */
static int s_patterns(ingest_loader_t *loader, struct fy_node *node, int line,
                      ingest_kind_cond_t *cond)
{
    bool seq = node && fy_node_is_sequence(node);
    size_t n = seq ? (size_t)fy_node_sequence_item_count(node) : 1;
    const char **patterns = ingest_arena_alloc(loader->profile->arena, n * sizeof *patterns);
    if (!patterns)
        return WF_ENOMEM;
    void *iter = NULL;
    for (size_t i = 0; i < n; i++) {
        struct fy_node *item = seq ? fy_node_sequence_iterate(node, &iter) : node;
        /* an empty value is a pattern too: it matches an empty field */
        const char *text = item ? ingest_loader_text(loader, item) : "";
        if (!text)
            return ingest_loader_fail(loader, line, "patterns must be text or a list of text");
        patterns[i] = text;
    }
    if (n == 0)
        return ingest_loader_fail(loader, line, "empty list of patterns");
    cond->patterns = patterns;
    cond->count = n;
    return WF_OK;
}

static int s_rule(ingest_loader_t *loader, struct fy_node *item, ingest_kind_rule_t *rule)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    size_t n = 0;
    while (fy_node_mapping_iterate(item, &iter))
        n++;
    ingest_kind_cond_t *conds = ingest_arena_alloc(loader->profile->arena, n * sizeof *conds);
    if (!conds)
        return WF_ENOMEM;
    iter = NULL;
    while ((pair = fy_node_mapping_iterate(item, &iter)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *name = fy_node_get_scalar0(key);
        int line = ingest_loader_line(key);
        if (!rule->line)
            rule->line = line;
        if (name && strcmp(name, "kind") == 0) {
            rule->kind = ingest_loader_text(loader, fy_node_pair_value(pair));
            if (!rule->kind || !ingest_kinds_is_known(rule->kind))
                return ingest_loader_fail(loader, line,
                                          "unknown kind '%s' (see deploy/profiles/README.md)",
                                          rule->kind ? rule->kind : "");
            continue;
        }
        int field = name ? s_match_field(name) : -1;
        if (field < 0)
            return ingest_loader_fail(loader, line,
                                      "kind rules test mapped fields, agency or source; "
                                      "'%s' is none of them",
                                      name ? name : "?");
        conds[rule->count].field = field;
        int rc = s_patterns(loader, fy_node_pair_value(pair), line, &conds[rule->count]);
        if (rc)
            return rc;
        rule->count++;
    }
    if (!rule->kind)
        return ingest_loader_fail(loader, rule->line, "kind rule without 'kind'");
    rule->conds = conds;
    return WF_OK;
}

static int s_load_rules(ingest_loader_t *loader, struct fy_node *seq, int line)
{
    ingest_profile_t *profile = loader->profile;
    if (!seq || !fy_node_is_sequence(seq) || fy_node_sequence_item_count(seq) == 0)
        return ingest_loader_fail(loader, line, "kind rules must be a non-empty list");
    size_t n = (size_t)fy_node_sequence_item_count(seq);
    ingest_kind_rule_t *rules = ingest_arena_alloc(profile->arena, n * sizeof *rules);
    if (!rules)
        return WF_ENOMEM;
    void *iter = NULL;
    struct fy_node *item;
    for (size_t i = 0; (item = fy_node_sequence_iterate(seq, &iter)) != NULL; i++) {
        if (!fy_node_is_mapping(item))
            return ingest_loader_fail(loader, i ? rules[i - 1].line : line,
                                      "rule %zu is not a mapping", i + 1);
        int rc = s_rule(loader, item, &rules[i]);
        if (rc)
            return rc;
        if (rules[i].count == 0 && i + 1 < n)
            return ingest_loader_fail(loader, rules[i].line,
                                      "default rule (no conditions) must be last: "
                                      "the rules after it could never match");
    }
    if (rules[n - 1].count != 0)
        return ingest_loader_fail(loader, rules[n - 1].line,
                                  "the last kind rule must be a default (kind "
                                  "only, no conditions)");
    profile->kinds = rules;
    profile->kind_count = n;
    return WF_OK;
}

int ingest_kinds_load(ingest_loader_t *loader, struct fy_node *node, int line)
{
    if (node && fy_node_is_sequence(node))
        return s_load_rules(loader, node, line);
    const char *name = node && fy_node_is_scalar(node) ? fy_node_get_scalar0(node) : NULL;
    if (!name || !*name)
        return ingest_loader_fail(loader, line, "'kinds' must be a list of rules or a file name");
    char path[PATH_MAX], copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", loader->path);
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", name);
    else if (snprintf(path, sizeof path, "%s/%s", dirname(copy), name) >= (int)sizeof path)
        return ingest_loader_fail(loader, line, "kinds file name too long");
    if (access(path, R_OK) != 0)
        return ingest_loader_fail(loader, line, "cannot read the kinds file %s: %s", path,
                                  strerror(errno));
    ingest_loader_t sub = *loader;
    sub.path = path;
    struct fy_document *doc = ingest_loader_parse_file(&sub, path);
    if (!doc)
        return WF_EINVAL;
    int rc = s_load_rules(&sub, fy_document_root(doc), 1);
    fy_document_destroy(doc);
    return rc;
}

/* ---- matching ---------------------------------------------------------------------------- */

static bool s_rule_matches(const ingest_kind_rule_t *rule, const char *const value[],
                           const ingest_profile_t *profile)
{
    for (size_t c = 0; c < rule->count; c++) {
        const ingest_kind_cond_t *cond = &rule->conds[c];
        const char *text = cond->field == INGEST_MATCH_AGENCY   ? profile->agency
                           : cond->field == INGEST_MATCH_SOURCE ? profile->source
                                                                : value[cond->field];
        bool any = false;
        for (size_t p = 0; p < cond->count && !any; p++)
            any = fnmatch(cond->patterns[p], text, 0) == 0;
        if (!any)
            return false;
    }
    return true;
}

const char *ingest_kinds_match(const ingest_profile_t *profile,
                               const char *const value[INGEST_FIELD_COUNT])
{
    for (size_t r = 0; r < profile->kind_count; r++)
        if (s_rule_matches(&profile->kinds[r], value, profile))
            return profile->kinds[r].kind;
    return "other"; /* unreachable: loading requires a default rule */
}
