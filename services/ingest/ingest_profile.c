/* ingest_profile.c — loading and validating mapping profiles (libfyaml).
 *
 * The YAML tree is walked once; every value is checked where it is read so that the error can
 * name the line. Unknown keys are errors (a misspelt "ocurred_at" must not silently leave a
 * field unmapped). Everything the profile keeps is copied into its own arena, so the document
 * can be freed right after loading and destroy() is one call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfyaml.h>

#include <wf/err.h>

#include "ingest_coords.h"
#include "ingest_profile.h"
#include "ingest_profile_int.h"
#include "ingest_time.h"

static const struct {
    const char *name;
    int value;
} s_disseminations[] = {
    {"public", WF__DISSEMINATION__PUBLIC},
    {"law_enforcement", WF__DISSEMINATION__LAW_ENFORCEMENT},
    {"agency_only", WF__DISSEMINATION__AGENCY_ONLY},
    {"restricted", WF__DISSEMINATION__RESTRICTED},
};

int ingest_loader_fail(ingest_loader_t *loader, int line, const char *fmt, ...)
{
    char reason[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(loader->errbuf, loader->errlen, "%s:%d: %s", loader->path, line, reason);
    return WF_EINVAL;
}

int ingest_loader_line(struct fy_node *node)
{
    struct fy_token *token = node ? fy_node_get_scalar_token(node) : NULL;
    const struct fy_mark *mark = token ? fy_token_start_mark(token) : NULL;
    return mark ? mark->line + 1 : 0;
}

const char *ingest_loader_text(ingest_loader_t *loader, struct fy_node *node)
{
    const char *text = node && fy_node_is_scalar(node) ? fy_node_get_scalar0(node) : NULL;
    return text ? ingest_arena_strdup(loader->profile->arena, text) : NULL;
}

/* Checks that every key of map is in allowed (NULL-terminated). */
static int s_known_keys(ingest_loader_t *loader, struct fy_node *map, const char *const *allowed)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(map, &iter)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *name = key ? fy_node_get_scalar0(key) : NULL;
        size_t i = 0;
        while (name && allowed[i] && strcmp(allowed[i], name) != 0)
            i++;
        if (!name || !allowed[i])
            return ingest_loader_fail(loader, ingest_loader_line(key), "unknown key '%s'",
                                      name ? name : "?");
    }
    return WF_OK;
}

/* Value of key in map (NULL when absent); *line receives the key's line (or the map's). */
static struct fy_node *s_lookup(struct fy_node *map, const char *key, int *line)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(map, &iter)) != NULL) {
        const char *name = fy_node_get_scalar0(fy_node_pair_key(pair));
        if (name && strcmp(name, key) == 0) {
            *line = ingest_loader_line(fy_node_pair_key(pair));
            return fy_node_pair_value(pair);
        }
    }
    return NULL;
}

/* A required (or defaulted, when dflt != NULL) scalar setting. */
static int s_scalar(ingest_loader_t *loader, struct fy_node *map, int map_line, const char *key,
                    const char *dflt, const char **out)
{
    int line = map_line;
    struct fy_node *node = s_lookup(map, key, &line);
    if (!node && dflt) {
        *out = dflt;
        return WF_OK;
    }
    const char *text = ingest_loader_text(loader, node);
    if (!text || !*text)
        return ingest_loader_fail(loader, line, "'%s' needs a value", key);
    *out = text;
    return WF_OK;
}

static int s_bool(ingest_loader_t *loader, struct fy_node *map, const char *key, bool dflt,
                  bool *out)
{
    int line = 0;
    struct fy_node *node = s_lookup(map, key, &line);
    const char *text = node && fy_node_is_scalar(node) ? fy_node_get_scalar0(node) : NULL;
    if (!node) {
        *out = dflt;
        return WF_OK;
    }
    if (text && (!strcasecmp(text, "true") || !strcasecmp(text, "yes")))
        return *out = true, WF_OK;
    if (text && (!strcasecmp(text, "false") || !strcasecmp(text, "no")))
        return *out = false, WF_OK;
    return ingest_loader_fail(loader, line, "'%s' must be true or false", key);
}

int ingest_colref_parse(const char *text, ingest_arena_t *arena, ingest_colref_t *ref)
{
    memset(ref, 0, sizeof *ref);
    const char *hash = strrchr(text, '#');
    char *end;
    long n = hash ? strtol(hash + 1, &end, 10) : 0;
    if (!hash || hash[1] == '\0' || *end || (hash[1] != '-' && (hash[1] < '0' || hash[1] > '9'))) {
        /* no "#N" suffix ("Case #" and "a#b" are plain names that contain '#') */
        ref->name = ingest_arena_strdup(arena, text);
        return ref->name ? WF_OK : WF_ENOMEM;
    }
    if (n == 0 || n < -1 || n > 100000 || (hash == text && n < 1))
        return WF_EINVAL;
    if (hash == text) {
        ref->position = (int)n;
        return WF_OK;
    }
    ref->occurrence = (int)n;
    ref->name = ingest_arena_strndup(arena, text, (size_t)(hash - text));
    return ref->name ? WF_OK : WF_ENOMEM;
}

/* One column reference from text, checked against the format. */
static int s_colref(ingest_loader_t *loader, const char *text, int line, ingest_colref_t *ref)
{
    ingest_profile_t *profile = loader->profile;
    if (profile->format == INGEST_FORMAT_NDJSON) {
        if (text[0] == '#' || text[0] == '.' || text[strlen(text) - 1] == '.' || strstr(text, ".."))
            return ingest_loader_fail(loader, line, "'%s' is not a dotted JSON path", text);
        *ref = (ingest_colref_t){.name = text, .line = line};
        return WF_OK;
    }
    int rc = ingest_colref_parse(text, profile->arena, ref);
    if (rc == WF_EINVAL)
        return ingest_loader_fail(loader, line,
                                  "bad column reference '%s' (Name, Name#N, Name#-1 or #N)", text);
    if (rc)
        return rc;
    if (ref->name && !profile->header)
        return ingest_loader_fail(loader, line, "'%s': without a header row columns are named #N",
                                  text);
    ref->line = line;
    return WF_OK;
}

/* A scalar or a sequence of scalars → array of column references. */
static int s_colrefs(ingest_loader_t *loader, struct fy_node *node, int line,
                     ingest_colref_t **refs, size_t *count)
{
    size_t n = node && fy_node_is_sequence(node) ? (size_t)fy_node_sequence_item_count(node) : 1;
    *refs = ingest_arena_alloc(loader->profile->arena, n * sizeof **refs);
    if (!*refs)
        return WF_ENOMEM;
    *count = 0;
    void *iter = NULL;
    for (size_t i = 0; i < n; i++) {
        struct fy_node *item =
            fy_node_is_sequence(node) ? fy_node_sequence_iterate(node, &iter) : node;
        const char *text = ingest_loader_text(loader, item);
        int at = item && ingest_loader_line(item) ? ingest_loader_line(item) : line;
        if (!text || !*text)
            return ingest_loader_fail(loader, at, "expected a column reference or a list of them");
        int rc = s_colref(loader, text, at, &(*refs)[(*count)++]);
        if (rc)
            return rc;
    }
    if (n == 0)
        return ingest_loader_fail(loader, line, "empty list of columns");
    return WF_OK;
}

static int s_load_fields(ingest_loader_t *loader, struct fy_node *map, int line)
{
    ingest_profile_t *profile = loader->profile;
    if (!map || !fy_node_is_mapping(map))
        return ingest_loader_fail(loader, line, "'fields' must map Watchfloor fields to columns");
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(map, &iter)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *name = fy_node_get_scalar0(key);
        int field = name ? ingest_field_lookup(name) : -1;
        if (field < 0)
            return ingest_loader_fail(loader, ingest_loader_line(key),
                                      "unknown Watchfloor field '%s'", name ? name : "?");
        ingest_fieldmap_t *fm = &profile->fields[field];
        int rc = s_colrefs(loader, fy_node_pair_value(pair), ingest_loader_line(key), &fm->refs,
                           &fm->count);
        if (rc)
            return rc;
    }
    if (!profile->fields[INGEST_FIELD_RECORD_ID].count)
        return ingest_loader_fail(loader, line, "fields: record_id is required");
    if (!profile->fields[INGEST_FIELD_OCCURRED_AT].count)
        return ingest_loader_fail(loader, line, "fields: occurred_at is required");
    return WF_OK;
}

static int s_load_csv(ingest_loader_t *loader, struct fy_node *map, int line)
{
    ingest_profile_t *profile = loader->profile;
    profile->delimiter = ',';
    profile->header = true;
    if (!map)
        return WF_OK;
    static const char *const keys[] = {"delimiter", "header", NULL};
    if (!fy_node_is_mapping(map))
        return ingest_loader_fail(loader, line, "'csv' must be a mapping (delimiter, header)");
    int rc = s_known_keys(loader, map, keys);
    const char *delim = ",";
    if (rc || (rc = s_scalar(loader, map, line, "delimiter", ",", &delim)) ||
        (rc = s_bool(loader, map, "header", true, &profile->header)))
        return rc;
    if (strcmp(delim, "tab") == 0)
        delim = "\t";
    if (strlen(delim) != 1 || delim[0] == '"' || delim[0] == '\n' || delim[0] == '\r')
        return ingest_loader_fail(loader, line,
                                  "csv delimiter must be one character other than a quote or "
                                  "newline, got '%s'",
                                  delim);
    profile->delimiter = delim[0];
    return WF_OK;
}

static int s_load_time(ingest_loader_t *loader, struct fy_node *map, int line)
{
    static const char *const keys[] = {"format", "zone", NULL};
    ingest_profile_t *profile = loader->profile;
    if (!map || !fy_node_is_mapping(map))
        return ingest_loader_fail(loader, line, "'time' must be a mapping (format, zone)");
    int rc = s_known_keys(loader, map, keys);
    if (rc ||
        (rc = s_scalar(loader, map, line, "format", INGEST_TIME_ISO8601, &profile->time_format)) ||
        (rc = s_scalar(loader, map, line, "zone", NULL, &profile->time_zone)))
        return rc;
    if (!ingest_time_zone_is_known(profile->time_zone))
        return ingest_loader_fail(loader, line, "unknown time zone '%s' (not in the tz database)",
                                  profile->time_zone);
    return WF_OK;
}

static int s_load_location(ingest_loader_t *loader, struct fy_node *map, int line)
{
    static const char *const keys[] = {"x", "y", "crs", "zero_is_missing", NULL};
    ingest_profile_t *profile = loader->profile;
    profile->crs = "EPSG:4326";
    if (!map)
        return WF_OK;
    if (!fy_node_is_mapping(map))
        return ingest_loader_fail(loader, line,
                                  "'location' must be a mapping (x, y, crs, zero_is_missing)");
    int rc = s_known_keys(loader, map, keys);
    if (rc || (rc = s_scalar(loader, map, line, "crs", "EPSG:4326", &profile->crs)) ||
        (rc = s_bool(loader, map, "zero_is_missing", false, &profile->zero_is_missing)))
        return rc;
    static const int fields[2] = {INGEST_FIELD_X, INGEST_FIELD_Y};
    for (int i = 0; i < 2; i++) {
        int at = line;
        struct fy_node *node = s_lookup(map, i ? "y" : "x", &at);
        if (!node)
            return ingest_loader_fail(loader, line, "location needs both x and y");
        ingest_fieldmap_t *fm = &profile->fields[fields[i]];
        if ((rc = s_colrefs(loader, node, at, &fm->refs, &fm->count)))
            return rc;
        if (fm->count != 1)
            return ingest_loader_fail(loader, at, "location %s is one column", i ? "y" : "x");
    }
    char reason[256];
    ingest_coords_t *probe = ingest_coords_new(profile->crs, NULL, false, reason, sizeof reason);
    if (!probe)
        return ingest_loader_fail(loader, line, "%s", reason);
    ingest_coords_destroy(&probe);
    return WF_OK;
}

static int s_load_dissemination(ingest_loader_t *loader, struct fy_node *root)
{
    const char *text;
    int rc = s_scalar(loader, root, 1, "dissemination", NULL, &text);
    if (rc)
        return rc;
    for (size_t i = 0; i < sizeof s_disseminations / sizeof s_disseminations[0]; i++) {
        if (strcmp(text, s_disseminations[i].name) == 0) {
            loader->profile->dissemination = s_disseminations[i].value;
            return WF_OK;
        }
    }
    int line = 1;
    s_lookup(root, "dissemination", &line);
    return ingest_loader_fail(loader, line,
                              "dissemination must be public, law_enforcement, agency_only or "
                              "restricted, got '%s'",
                              text);
}

struct fy_document *ingest_loader_parse_file(ingest_loader_t *loader, const char *path)
{
    struct fy_diag_cfg diag_cfg;
    fy_diag_cfg_default(&diag_cfg);
    diag_cfg.fp = NULL;
    struct fy_diag *diag = fy_diag_create(&diag_cfg);
    if (diag)
        fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_document *doc = fy_document_build_from_file(&cfg, path);
    if (!doc) {
        void *iter = NULL;
        struct fy_diag_error *error = diag ? fy_diag_errors_iterate(diag, &iter) : NULL;
        if (error)
            snprintf(loader->errbuf, loader->errlen, "%s:%d: %s", path, error->line + 1,
                     error->msg);
        else
            snprintf(loader->errbuf, loader->errlen, "%s:0: cannot read or parse the file", path);
    }
    fy_diag_destroy(diag);
    return doc;
}

static int s_load_root(ingest_loader_t *loader, struct fy_node *root)
{
    static const char *const keys[] = {"source",   "agency", "format", "dissemination",
                                       "csv",      "fields", "ignore", "time",
                                       "location", "kinds",  NULL};
    ingest_profile_t *profile = loader->profile;
    if (!root || !fy_node_is_mapping(root))
        return ingest_loader_fail(loader, 1, "a profile is a mapping (source, agency, format, …)");
    const char *format;
    int rc = s_known_keys(loader, root, keys);
    if (rc || (rc = s_scalar(loader, root, 1, "source", NULL, &profile->source)) ||
        (rc = s_scalar(loader, root, 1, "agency", NULL, &profile->agency)) ||
        (rc = s_scalar(loader, root, 1, "format", NULL, &format)) ||
        (rc = s_load_dissemination(loader, root)))
        return rc;
    int line = 1;
    struct fy_node *node = s_lookup(root, "format", &line);
    if (strcmp(format, "csv") == 0)
        profile->format = INGEST_FORMAT_CSV;
    else if (strcmp(format, "ndjson") == 0)
        profile->format = INGEST_FORMAT_NDJSON;
    else
        return ingest_loader_fail(loader, line, "format must be csv or ndjson, got '%s'", format);
    node = s_lookup(root, "csv", &line);
    if (node && profile->format != INGEST_FORMAT_CSV)
        return ingest_loader_fail(loader, line, "'csv' settings in a %s profile", format);
    if ((rc = s_load_csv(loader, node, line)))
        return rc;
    /* s_lookup sets line: look up first, then pass both (argument order is unspecified) */
    line = 1;
    node = s_lookup(root, "fields", &line);
    if ((rc = s_load_fields(loader, node, line)))
        return rc;
    line = 1;
    node = s_lookup(root, "time", &line);
    if ((rc = s_load_time(loader, node, line)))
        return rc;
    line = 1;
    node = s_lookup(root, "location", &line);
    if ((rc = s_load_location(loader, node, line)))
        return rc;
    line = 1;
    if ((node = s_lookup(root, "ignore", &line)) != NULL) {
        ingest_colref_t *refs;
        if ((rc = s_colrefs(loader, node, line, &refs, &profile->ignore_count)))
            return rc;
        profile->ignore = refs;
    }
    line = 1;
    node = s_lookup(root, "kinds", &line);
    return ingest_kinds_load(loader, node, line);
}

ingest_profile_t *ingest_profile_load(const char *path, char *errbuf, size_t errlen)
{
    ingest_profile_t *self = calloc(1, sizeof *self);
    ingest_loader_t loader = {.path = path, .profile = self, .errbuf = errbuf, .errlen = errlen};
    struct fy_document *doc = NULL;
    if (!self || !(self->arena = ingest_arena_new(16 * 1024)) ||
        !(self->path = ingest_arena_strdup(self->arena, path))) {
        snprintf(errbuf, errlen, "%s:0: out of memory", path);
        goto fail;
    }
    if (!(doc = ingest_loader_parse_file(&loader, path)))
        goto fail;
    int rc = s_load_root(&loader, fy_document_root(doc));
    if (rc == WF_ENOMEM)
        snprintf(errbuf, errlen, "%s:0: out of memory", path);
    if (rc)
        goto fail;
    fy_document_destroy(doc);
    return self;
fail:
    fy_document_destroy(doc);
    ingest_profile_destroy(&self);
    return NULL;
}

void ingest_profile_destroy(ingest_profile_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}
