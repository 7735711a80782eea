/* config.c — deployment configuration: defaults, YAML file, environment, command line.
 *
 * Values are kept in their text form next to the key they belong to and validated when set, so
 * every accessor is a lookup and a conversion that cannot fail. The YAML document is walked as a
 * tree of mappings whose paths are the dotted key names; a sequence is a list value.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfyaml.h>

#include <wf/clock.h>
#include <wf/config.h>
#include <wf/err.h>

typedef struct {
    const wf_config_key_t *key; /* row of the key table */
    char *value;                /* current value, text form */
    char *origin;               /* "default", file path, "env", "command line" */
    char **items;               /* list items (WF_CONF_LIST), parsed from value */
    size_t item_count;
} s_entry_t;

struct wf_config_t {
    s_entry_t *entries; /* one per key of the table, same order */
    size_t count;
};

static void s_errorf(char *errbuf, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_errorf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static s_entry_t *s_find(const wf_config_t *self, const char *key)
{
    for (size_t i = 0; i < self->count; i++)
        if (strcmp(self->entries[i].key->key, key) == 0)
            return &self->entries[i];
    return NULL;
}

static void s_free_items(s_entry_t *entry)
{
    for (size_t i = 0; i < entry->item_count; i++)
        free(entry->items[i]);
    free(entry->items);
    entry->items = NULL;
    entry->item_count = 0;
}

/* Splits "a, b ,c" into trimmed items; empty items are dropped. */
static int s_split_list(s_entry_t *entry)
{
    s_free_items(entry);
    size_t cap = 1;
    for (const char *p = entry->value; *p; p++)
        cap += *p == ',';
    entry->items = calloc(cap, sizeof *entry->items);
    if (!entry->items)
        return WF_ENOMEM;
    const char *p = entry->value;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a) {
            entry->items[entry->item_count] = strndup(a, (size_t)(b - a));
            if (!entry->items[entry->item_count])
                return WF_ENOMEM;
            entry->item_count++;
        }
        p = *end ? end + 1 : end;
    }
    return WF_OK;
}

static bool s_parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(text, yes[i]) == 0)
            return *out = true, true;
        if (strcasecmp(text, no[i]) == 0)
            return *out = false, true;
    }
    return false;
}

static bool s_in_range(const wf_config_key_t *key, double value)
{
    if (key->min > key->max)
        return true;
    return value >= key->min && value <= key->max;
}

/* Checks text against the key's type and range. */
static int s_validate(const wf_config_key_t *key, const char *text, char *errbuf, size_t errlen)
{
    char *end;
    double number = 0;
    switch (key->type) {
    case WF_CONF_STRING:
    case WF_CONF_PATH:
    case WF_CONF_LIST:
        return WF_OK;
    case WF_CONF_BOOL: {
        bool ignored;
        if (s_parse_bool(text, &ignored))
            return WF_OK;
        s_errorf(errbuf, errlen, "%s: '%s' is not a boolean (true|false)", key->key, text);
        return WF_EINVAL;
    }
    case WF_CONF_INT:
        errno = 0;
        number = (double)strtoll(text, &end, 10);
        if (errno || end == text || *end) {
            s_errorf(errbuf, errlen, "%s: '%s' is not an integer", key->key, text);
            return WF_EINVAL;
        }
        break;
    case WF_CONF_DOUBLE:
        errno = 0;
        number = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(number)) {
            s_errorf(errbuf, errlen, "%s: '%s' is not a number", key->key, text);
            return WF_EINVAL;
        }
        break;
    case WF_CONF_DURATION: {
        int64_t us;
        if (wf_clock_parse_duration(text, &us) != WF_OK) {
            s_errorf(errbuf, errlen, "%s: '%s' is not a duration (e.g. 250ms, 30s, 15m, 2h, 14d)",
                     key->key, text);
            return WF_EINVAL;
        }
        number = (double)us / 1e6;
        break;
    }
    }
    if (!s_in_range(key, number)) {
        s_errorf(errbuf, errlen, "%s: %s is outside the allowed range [%g, %g]%s", key->key, text,
                 key->min, key->max, key->type == WF_CONF_DURATION ? " seconds" : "");
        return WF_ERANGE;
    }
    return WF_OK;
}

static int s_store(s_entry_t *entry, const char *value, const char *origin)
{
    char *v = strdup(value);
    char *o = strdup(origin);
    if (!v || !o) {
        free(v);
        free(o);
        return WF_ENOMEM;
    }
    free(entry->value);
    free(entry->origin);
    entry->value = v;
    entry->origin = o;
    return entry->key->type == WF_CONF_LIST ? s_split_list(entry) : WF_OK;
}

wf_config_t *wf_config_new(void)
{
    wf_config_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    const wf_config_key_t *keys = wf_config_keys();
    while (keys[self->count].key)
        self->count++;
    self->entries = calloc(self->count, sizeof *self->entries);
    if (!self->entries)
        goto fail;
    for (size_t i = 0; i < self->count; i++) {
        self->entries[i].key = &keys[i];
        if (s_store(&self->entries[i], keys[i].default_value, "default") != WF_OK)
            goto fail;
    }
    return self;
fail:
    wf_config_destroy(&self);
    return NULL;
}

void wf_config_destroy(wf_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wf_config_t *self = *self_p;
    for (size_t i = 0; self->entries && i < self->count; i++) {
        s_free_items(&self->entries[i]);
        free(self->entries[i].value);
        free(self->entries[i].origin);
    }
    free(self->entries);
    free(self);
    *self_p = NULL;
}

int wf_config_set(wf_config_t *self, const char *key, const char *value, char *errbuf,
                  size_t errlen)
{
    s_entry_t *entry = s_find(self, key);
    if (!entry) {
        s_errorf(errbuf, errlen, "unknown configuration key '%s'", key);
        return WF_ENOTFOUND;
    }
    int rc = s_validate(entry->key, value, errbuf, errlen);
    return rc ? rc : s_store(entry, value, "command line");
}

int wf_config_load_env(wf_config_t *self, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < self->count; i++) {
        char name[128] = "WF_";
        size_t at = 3;
        for (const char *p = self->entries[i].key->key; *p && at < sizeof name - 1; p++)
            name[at++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
        name[at] = '\0';
        const char *value = getenv(name);
        if (!value)
            continue;
        char reason[256];
        int rc = s_validate(self->entries[i].key, value, reason, sizeof reason);
        if (rc) {
            s_errorf(errbuf, errlen, "environment %s: %s", name, reason);
            return rc;
        }
        if ((rc = s_store(&self->entries[i], value, "env")) != WF_OK)
            return rc;
    }
    return WF_OK;
}

/* ---- YAML file ---------------------------------------------------------------------------- */

typedef struct {
    wf_config_t *config;
    const char *path;   /* file being loaded */
    char dir[PATH_MAX]; /* its directory, for relative paths */
    char *errbuf;
    size_t errlen;
} s_loader_t;

static int s_node_line(struct fy_node *node)
{
    struct fy_token *token = fy_node_get_scalar_token(node);
    const struct fy_mark *mark = token ? fy_token_start_mark(token) : NULL;
    return mark ? mark->line + 1 : 0;
}

/* Joins a sequence of scalars with commas into value (caller frees). */
static char *s_join_sequence(struct fy_node *seq, int *bad_line)
{
    size_t cap = 64, len = 0;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '\0';
    void *iter = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(seq, &iter)) != NULL) {
        const char *text = fy_node_is_scalar(item) ? fy_node_get_scalar0(item) : NULL;
        if (!text) {
            *bad_line = s_node_line(item);
            free(out);
            return NULL;
        }
        size_t need = len + strlen(text) + 2;
        if (need > cap) {
            char *grown = realloc(out, cap = need * 2);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", text);
    }
    return out;
}

static int s_load_value(s_loader_t *loader, const char *key, struct fy_node *value, int line)
{
    s_entry_t *entry = s_find(loader->config, key);
    if (!entry) {
        s_errorf(loader->errbuf, loader->errlen, "%s:%d: unknown key '%s'", loader->path, line,
                 key);
        return WF_ENOTFOUND;
    }
    char *text = NULL;
    if (!value || fy_node_is_scalar(value)) {
        const char *scalar = value ? fy_node_get_scalar0(value) : "";
        text = strdup(scalar ? scalar : "");
    } else if (fy_node_is_sequence(value) && entry->key->type == WF_CONF_LIST) {
        int bad_line = line;
        text = s_join_sequence(value, &bad_line);
        if (!text) {
            s_errorf(loader->errbuf, loader->errlen, "%s:%d: '%s' items must be plain values",
                     loader->path, bad_line, key);
            return WF_EINVAL;
        }
    } else {
        s_errorf(loader->errbuf, loader->errlen, "%s:%d: '%s' expects a single value", loader->path,
                 line, key);
        return WF_EINVAL;
    }
    if (!text)
        return WF_ENOMEM;
    /* relative paths in a file mean "next to this file" */
    if (entry->key->type == WF_CONF_PATH && text[0] && text[0] != '/') {
        char *joined = malloc(strlen(loader->dir) + strlen(text) + 2);
        if (!joined) {
            free(text);
            return WF_ENOMEM;
        }
        sprintf(joined, "%s/%s", loader->dir, text);
        free(text);
        text = joined;
    }
    char reason[256];
    int rc = s_validate(entry->key, text, reason, sizeof reason);
    if (rc)
        s_errorf(loader->errbuf, loader->errlen, "%s:%d: %s", loader->path, line, reason);
    else
        rc = s_store(entry, text, loader->path);
    free(text);
    return rc;
}

static int s_load_mapping(s_loader_t *loader, struct fy_node *map, const char *prefix)
{
    void *iter = NULL;
    struct fy_node_pair *pair;
    while ((pair = fy_node_mapping_iterate(map, &iter)) != NULL) {
        struct fy_node *keynode = fy_node_pair_key(pair);
        struct fy_node *value = fy_node_pair_value(pair);
        const char *name = keynode ? fy_node_get_scalar0(keynode) : NULL;
        int line = keynode ? s_node_line(keynode) : 0;
        if (!name) {
            s_errorf(loader->errbuf, loader->errlen, "%s:%d: keys must be plain names",
                     loader->path, line);
            return WF_EINVAL;
        }
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", name);
        int rc = value && fy_node_is_mapping(value) ? s_load_mapping(loader, value, key)
                                                    : s_load_value(loader, key, value, line);
        if (rc)
            return rc;
    }
    return WF_OK;
}

/* Copies the first collected libfyaml diagnostic into errbuf. */
static void s_diag_error(struct fy_diag *diag, const char *path, char *errbuf, size_t errlen)
{
    void *iter = NULL;
    struct fy_diag_error *error = diag ? fy_diag_errors_iterate(diag, &iter) : NULL;
    if (error)
        s_errorf(errbuf, errlen, "%s:%d: %s", path, error->line, error->msg); /* 1-based */
    else
        s_errorf(errbuf, errlen, "%s: cannot read or parse the file", path);
}

int wf_config_load_file(wf_config_t *self, const char *path, char *errbuf, size_t errlen)
{
    struct fy_diag_cfg diag_cfg;
    fy_diag_cfg_default(&diag_cfg);
    diag_cfg.fp = NULL;
    struct fy_diag *diag = fy_diag_create(&diag_cfg);
    if (diag)
        fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg parse_cfg = {.flags = FYPCF_QUIET, .diag = diag};
    struct fy_document *doc = fy_document_build_from_file(&parse_cfg, path);
    int rc = WF_OK;
    if (!doc) {
        s_diag_error(diag, path, errbuf, errlen);
        rc = WF_EINVAL;
        goto cleanup;
    }
    struct fy_node *root = fy_document_root(doc);
    if (!root) /* an empty file is a valid, empty configuration */
        goto cleanup;
    if (!fy_node_is_mapping(root)) {
        s_errorf(errbuf, errlen, "%s:1: the top level must be a mapping of sections", path);
        rc = WF_EINVAL;
        goto cleanup;
    }
    s_loader_t loader = {.config = self, .path = path, .errbuf = errbuf, .errlen = errlen};
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", path);
    snprintf(loader.dir, sizeof loader.dir, "%s", dirname(copy));
    rc = s_load_mapping(&loader, root, "");
cleanup:
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    return rc;
}

/* ---- accessors -------------------------------------------------------------------------- */

static const s_entry_t *s_get(const wf_config_t *self, const char *key, wf_config_type_t type)
{
    const s_entry_t *entry = s_find(self, key);
    assert(entry && "configuration key missing from config_keys.c");
    assert((entry->key->type == type ||
            (type == WF_CONF_STRING && entry->key->type == WF_CONF_PATH)) &&
           "configuration key read with the wrong type");
    return entry;
}

const char *wf_config_string(const wf_config_t *self, const char *key)
{
    return s_get(self, key, WF_CONF_STRING)->value;
}

int64_t wf_config_int(const wf_config_t *self, const char *key)
{
    return strtoll(s_get(self, key, WF_CONF_INT)->value, NULL, 10);
}

double wf_config_double(const wf_config_t *self, const char *key)
{
    return strtod(s_get(self, key, WF_CONF_DOUBLE)->value, NULL);
}

bool wf_config_bool(const wf_config_t *self, const char *key)
{
    bool value = false;
    s_parse_bool(s_get(self, key, WF_CONF_BOOL)->value, &value);
    return value;
}

int64_t wf_config_duration_us(const wf_config_t *self, const char *key)
{
    int64_t us = 0;
    wf_clock_parse_duration(s_get(self, key, WF_CONF_DURATION)->value, &us);
    return us;
}

size_t wf_config_list(const wf_config_t *self, const char *key, const char *const **items)
{
    const s_entry_t *entry = s_get(self, key, WF_CONF_LIST);
    *items = (const char *const *)entry->items;
    return entry->item_count;
}

const char *wf_config_text(const wf_config_t *self, const char *key)
{
    const s_entry_t *entry = s_find(self, key);
    assert(entry && "configuration key missing from config_keys.c");
    return entry->value;
}

const char *wf_config_origin(const wf_config_t *self, const char *key)
{
    const s_entry_t *entry = s_find(self, key);
    return entry ? entry->origin : NULL;
}
