/* ingest_ndjson.c — jansson decoding, path lookup and value rendering.
 *
 * Paths are split into segments once, when the parser is built; a record costs one decode, one
 * walk per reference and one pass over its top-level keys.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <wf/err.h>

#include "ingest_ndjson.h"

/* A dotted path, split. */
typedef struct {
    const char **segs; /* segments (in the parser's arena) */
    size_t count;      /* segments */
} s_path_t;

struct ingest_ndjson_t {
    const ingest_profile_t *profile;     /* borrowed */
    s_path_t *paths[INGEST_FIELD_COUNT]; /* one per reference of each field */
    const char **taken;                  /* top-level keys that are mapped or ignored */
    size_t taken_count;                  /* entries in taken */
    ingest_arena_t *arena;               /* owns paths and taken */
};

static int s_split_path(ingest_ndjson_t *self, const char *text, s_path_t *path)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == '.';
    path->segs = ingest_arena_alloc(self->arena, n * sizeof *path->segs);
    if (!path->segs)
        return WF_ENOMEM;
    const char *p = text;
    for (path->count = 0; path->count < n; path->count++) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!(path->segs[path->count] = ingest_arena_strndup(self->arena, p, len)))
            return WF_ENOMEM;
        p += len + 1;
    }
    return WF_OK;
}

/* Remembers the first segment of a reference as a consumed top-level key. */
static int s_take(ingest_ndjson_t *self, const char *first, size_t cap)
{
    for (size_t i = 0; i < self->taken_count; i++)
        if (strcmp(self->taken[i], first) == 0)
            return WF_OK;
    if (self->taken_count >= cap)
        return WF_ENOMEM;
    self->taken[self->taken_count++] = first;
    return WF_OK;
}

ingest_ndjson_t *ingest_ndjson_new(const ingest_profile_t *profile)
{
    ingest_ndjson_t *self = calloc(1, sizeof *self);
    if (!self || !(self->arena = ingest_arena_new(4 * 1024)))
        goto fail;
    self->profile = profile;
    size_t cap = profile->ignore_count;
    for (int f = 0; f < INGEST_FIELD_COUNT; f++)
        cap += profile->fields[f].count;
    if (!(self->taken = ingest_arena_alloc(self->arena, (cap + 1) * sizeof *self->taken)))
        goto fail;
    for (int f = 0; f < INGEST_FIELD_COUNT; f++) {
        const ingest_fieldmap_t *fm = &profile->fields[f];
        self->paths[f] = ingest_arena_alloc(self->arena, (fm->count + 1) * sizeof(s_path_t));
        if (!self->paths[f])
            goto fail;
        for (size_t r = 0; r < fm->count; r++) {
            if (s_split_path(self, fm->refs[r].name, &self->paths[f][r]) ||
                s_take(self, self->paths[f][r].segs[0], cap))
                goto fail;
        }
    }
    for (size_t r = 0; r < profile->ignore_count; r++) {
        s_path_t path;
        if (s_split_path(self, profile->ignore[r].name, &path) || s_take(self, path.segs[0], cap))
            goto fail;
    }
    return self;
fail:
    ingest_ndjson_destroy(&self);
    return NULL;
}

void ingest_ndjson_destroy(ingest_ndjson_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

static json_t *s_lookup(json_t *root, const s_path_t *path)
{
    json_t *node = root;
    for (size_t i = 0; node && i < path->count; i++) {
        const char *seg = path->segs[i];
        if (json_is_object(node)) {
            node = json_object_get(node, seg);
        } else if (json_is_array(node) && *seg && strspn(seg, "0123456789") == strlen(seg)) {
            node = json_array_get(node, strtoul(seg, NULL, 10));
        } else {
            node = NULL;
        }
    }
    return node;
}

/* Shortest %g form that reads back as the same double ("41.93193179666549", not
 * "41.931931796665487"). */
static void s_format_real(double value, char *out, size_t len)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(out, len, "%.*g", precision, value);
        if (strtod(out, NULL) == value)
            return;
    }
}

/* Text form of a JSON value in arena; "" for null/absent. NULL when out of memory. */
static const char *s_render(json_t *value, ingest_arena_t *arena)
{
    char number[40];
    switch (value ? json_typeof(value) : JSON_NULL) {
    case JSON_STRING:
        return ingest_arena_strndup(arena, json_string_value(value), json_string_length(value));
    case JSON_INTEGER:
        return ingest_arena_printf(arena, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
    case JSON_REAL:
        s_format_real(json_real_value(value), number, sizeof number);
        return ingest_arena_strdup(arena, number);
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "";
    default: {
        char *dumped = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *copy = dumped ? ingest_arena_strdup(arena, dumped) : NULL;
        free(dumped);
        return copy;
    }
    }
}

/* Value of a field: its one path, or its paths' non-empty values joined with " / ". */
static const char *s_field_value(ingest_ndjson_t *self, json_t *root, int field,
                                 ingest_arena_t *arena)
{
    size_t count = self->profile->fields[field].count;
    const char *joined = "";
    for (size_t r = 0; r < count; r++) {
        const char *text = s_render(s_lookup(root, &self->paths[field][r]), arena);
        if (!text)
            return NULL;
        if (!*text)
            continue;
        joined = *joined ? ingest_arena_printf(arena, "%s / %s", joined, text) : text;
        if (!joined)
            return NULL;
    }
    return joined;
}

static bool s_is_taken(const ingest_ndjson_t *self, const char *key)
{
    for (size_t i = 0; i < self->taken_count; i++)
        if (strcmp(self->taken[i], key) == 0)
            return true;
    return false;
}

static int s_attributes(ingest_ndjson_t *self, json_t *root, ingest_arena_t *arena,
                        ingest_row_t *row)
{
    size_t n = json_object_size(root);
    if (!n)
        return WF_OK;
    Wf__Attribute **list = ingest_arena_alloc(arena, n * sizeof *list);
    Wf__Attribute *attrs = ingest_arena_alloc(arena, n * sizeof *attrs);
    if (!list || !attrs)
        return WF_ENOMEM;
    const char *key;
    json_t *value;
    size_t k = 0;
    json_object_foreach(root, key, value)
    {
        if (s_is_taken(self, key))
            continue;
        const char *text = s_render(value, arena);
        if (!text)
            return WF_ENOMEM;
        if (!*text)
            continue;
        wf__attribute__init(&attrs[k]);
        if (!(attrs[k].name = ingest_arena_strdup(arena, key)))
            return WF_ENOMEM;
        attrs[k].value = (char *)text;
        list[k] = &attrs[k];
        k++;
    }
    row->attributes = k ? list : NULL;
    row->attribute_count = k;
    return WF_OK;
}

int ingest_ndjson_parse(ingest_ndjson_t *self, const char *raw, size_t len, ingest_arena_t *arena,
                        ingest_row_t *row, ingest_reject_t *reject)
{
    ingest_row_init(row);
    size_t valid = ingest_utf8_valid_prefix(raw, len);
    if (valid < len) {
        ingest_reject_set(reject, INGEST_R_INVALID_UTF8, NULL, "invalid UTF-8 at byte %zu",
                          valid + 1);
        return WF_EPARSE;
    }
    json_error_t error;
    json_t *root = json_loadb(raw, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &error);
    if (!root) {
        ingest_reject_set(reject, INGEST_R_BAD_JSON, NULL, "column %d: %s", error.column,
                          error.text);
        return WF_EPARSE;
    }
    int rc = WF_OK;
    if (!json_is_object(root)) {
        static const char *const names[] = {"an object", "an array", "a string", "a number",
                                            "a number",  "true",     "false",    "null"};
        ingest_reject_set(reject, INGEST_R_NOT_AN_OBJECT, NULL, "the line holds %s, not an object",
                          names[json_typeof(root)]);
        rc = WF_EPARSE;
        goto cleanup;
    }
    for (int f = 0; f < INGEST_FIELD_COUNT; f++) {
        if (self->profile->fields[f].count &&
            !(row->value[f] = s_field_value(self, root, f, arena))) {
            rc = WF_ENOMEM;
            goto cleanup;
        }
    }
    rc = s_attributes(self, root, arena, row);
cleanup:
    json_decref(root);
    return rc;
}
