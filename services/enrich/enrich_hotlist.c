/* enrich_hotlist.c — hot-list entries in memory and the per-event check.
 *
 * Entries live in one array; two sorted index arrays serve the lookups: plates by confusion-
 * class form (then by value, so exact twins sit together), persons by normalised name. A read
 * finds its candidate run with one binary search; the run is short (entries confusable with
 * the read), and each candidate's substitutions are counted position by position.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <wf/err.h>
#include <wf/hotlist.h>

#include "enrich_hotlist.h"

typedef struct {
    char *list; /* list name */
    enrich_hotlist_type_t type;
    char *value;           /* normalised value */
    char *key;             /* lookup key: class form (plates) or value (persons) */
    char *entry_id;        /* "" when the list gave none */
    int64_t expires_at_us; /* 0: never */
} s_entry_t;

struct enrich_hotlist_t {
    unsigned max_substitutions; /* enrich.hotlist.max_substitutions */
    s_entry_t *entries;
    size_t count, cap;
    s_entry_t **by_key[2]; /* per type, sorted by key then value */
    size_t type_count[2];
};

enrich_hotlist_t *enrich_hotlist_new(unsigned max_substitutions)
{
    enrich_hotlist_t *self = calloc(1, sizeof *self);
    if (self)
        self->max_substitutions = max_substitutions;
    return self;
}

void enrich_hotlist_destroy(enrich_hotlist_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    enrich_hotlist_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free(self->entries[i].list);
        free(self->entries[i].value);
        free(self->entries[i].key);
        free(self->entries[i].entry_id);
    }
    free(self->entries);
    free(self->by_key[0]);
    free(self->by_key[1]);
    free(self);
    *self_p = NULL;
}

static size_t s_normalize(enrich_hotlist_type_t type, const char *text, char *out, size_t outlen)
{
    return type == ENRICH_HOTLIST_PLATE ? wf_hotlist_normalize_plate(text, out, outlen)
                                        : wf_hotlist_normalize_person(text, out, outlen);
}

int enrich_hotlist_add(enrich_hotlist_t *self, const char *list, enrich_hotlist_type_t type,
                       const char *value, const char *entry_id, int64_t expires_at_us)
{
    char norm[WF_HOTLIST_VALUE_MAX + 1], key[WF_HOTLIST_VALUE_MAX + 1];
    if (s_normalize(type, value, norm, sizeof norm) == 0)
        return WF_EINVAL;
    if (type == ENRICH_HOTLIST_PLATE)
        wf_hotlist_plate_classes(norm, key, sizeof key);
    else
        memcpy(key, norm, sizeof key);
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 64;
        s_entry_t *grown = realloc(self->entries, cap * sizeof *grown);
        if (!grown)
            return WF_ENOMEM;
        self->entries = grown;
        self->cap = cap;
    }
    s_entry_t e = {strdup(list ? list : ""),         type,         strdup(norm), strdup(key),
                   strdup(entry_id ? entry_id : ""), expires_at_us};
    if (!e.list || !e.value || !e.key || !e.entry_id) {
        free(e.list);
        free(e.value);
        free(e.key);
        free(e.entry_id);
        return WF_ENOMEM;
    }
    self->entries[self->count++] = e;
    return WF_OK;
}

static int s_cmp_entry(const void *a, const void *b)
{
    const s_entry_t *x = *(const s_entry_t *const *)a, *y = *(const s_entry_t *const *)b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

int enrich_hotlist_build(enrich_hotlist_t *self)
{
    for (int t = 0; t < 2; t++) {
        free(self->by_key[t]);
        self->by_key[t] = malloc((self->count ? self->count : 1) * sizeof(s_entry_t *));
        if (!self->by_key[t])
            return WF_ENOMEM;
        self->type_count[t] = 0;
    }
    for (size_t i = 0; i < self->count; i++) {
        int t = self->entries[i].type;
        self->by_key[t][self->type_count[t]++] = &self->entries[i];
    }
    for (int t = 0; t < 2; t++)
        if (self->type_count[t])
            qsort(self->by_key[t], self->type_count[t], sizeof(s_entry_t *), s_cmp_entry);
    return WF_OK;
}

size_t enrich_hotlist_count(const enrich_hotlist_t *self, enrich_hotlist_type_t type)
{
    return self ? self->type_count[type] : 0;
}

/* ---- the check --------------------------------------------------------------------------- */

static bool s_field_is(const char *name, const char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(name, fields[i]) == 0)
            return true;
    return false;
}

/* Index of the first entry of type whose key is not below key. */
static size_t s_lower_bound(const enrich_hotlist_t *self, int type, const char *key)
{
    size_t lo = 0, hi = self->type_count[type];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(self->by_key[type][mid]->key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int s_add_hit(enrich_hotlist_hits_t *hits, const s_entry_t *entry, const char *observed,
                     const char *field, int substitutions)
{
    for (size_t i = 0; i < hits->count; i++)
        if (hits->items[i].list == entry->list && hits->items[i].entry_value == entry->value)
            return WF_OK; /* this entry was hit through an earlier field */
    if (hits->count == hits->cap) {
        size_t cap = hits->cap ? hits->cap * 2 : 4;
        Wf__HotlistHit *items = malloc(cap * sizeof *items);
        Wf__HotlistHit **ptrs = malloc(cap * sizeof *ptrs);
        if (!items || !ptrs) {
            free(items);
            free(ptrs);
            return WF_ENOMEM;
        }
        if (hits->count)
            memcpy(items, hits->items, hits->count * sizeof *items);
        free(hits->items);
        free(hits->hits);
        hits->items = items;
        hits->hits = ptrs;
        hits->cap = cap;
    }
    Wf__HotlistHit hit = WF__HOTLIST_HIT__INIT;
    /* protobuf-c declares strings char * although packing never writes through them */
    hit.list = entry->list;
    hit.entry_type = (char *)(entry->type == ENRICH_HOTLIST_PLATE ? "plate" : "person");
    hit.entry_value = entry->value;
    hit.observed = (char *)observed;
    hit.field = (char *)field;
    hit.substitutions = (uint32_t)substitutions;
    hit.entry_id = entry->entry_id;
    hits->items[hits->count++] = hit;
    return WF_OK;
}

/* Looks one attribute value up among the entries of type; adds the best hits. */
static int s_check_value(const enrich_hotlist_t *self, enrich_hotlist_type_t type,
                         const Wf__Attribute *attribute, int64_t now_us,
                         enrich_hotlist_hits_t *hits)
{
    char norm[WF_HOTLIST_VALUE_MAX + 1], key[WF_HOTLIST_VALUE_MAX + 1];
    if (s_normalize(type, attribute->value, norm, sizeof norm) == 0)
        return WF_OK;
    if (type == ENRICH_HOTLIST_PLATE)
        wf_hotlist_plate_classes(norm, key, sizeof key);
    else
        memcpy(key, norm, sizeof key);
    size_t first = s_lower_bound(self, type, key), end = first;
    int best = (int)self->max_substitutions + 1;
    for (; end < self->type_count[type] && strcmp(self->by_key[type][end]->key, key) == 0; end++) {
        const s_entry_t *e = self->by_key[type][end];
        int subs = type == ENRICH_HOTLIST_PLATE ? wf_hotlist_plate_substitutions(norm, e->value)
                                                : (strcmp(norm, e->value) == 0 ? 0 : -1);
        bool live = e->expires_at_us == 0 || e->expires_at_us > now_us;
        if (live && subs >= 0 && subs < best)
            best = subs;
    }
    if (best > (int)self->max_substitutions)
        return WF_OK;
    for (size_t i = first; i < end; i++) {
        const s_entry_t *e = self->by_key[type][i];
        int subs = type == ENRICH_HOTLIST_PLATE ? wf_hotlist_plate_substitutions(norm, e->value)
                                                : (strcmp(norm, e->value) == 0 ? 0 : -1);
        bool live = e->expires_at_us == 0 || e->expires_at_us > now_us;
        int rc = live && subs == best ? s_add_hit(hits, e, attribute->value, attribute->name, subs)
                                      : WF_OK;
        if (rc != WF_OK)
            return rc;
    }
    return WF_OK;
}

int enrich_hotlist_check(const enrich_hotlist_t *self, const Wf__NormalizedEvent *event,
                         const enrich_hotlist_fields_t *fields, int64_t now_us,
                         enrich_hotlist_hits_t *hits)
{
    hits->count = 0;
    if (!self || self->count == 0)
        return WF_OK;
    for (size_t i = 0; i < event->n_attributes; i++) {
        const Wf__Attribute *attribute = event->attributes[i];
        if (!attribute->name || !attribute->value)
            continue;
        int rc = WF_OK;
        if (s_field_is(attribute->name, fields->plate_fields, fields->plate_field_count))
            rc = s_check_value(self, ENRICH_HOTLIST_PLATE, attribute, now_us, hits);
        else if (s_field_is(attribute->name, fields->person_fields, fields->person_field_count))
            rc = s_check_value(self, ENRICH_HOTLIST_PERSON, attribute, now_us, hits);
        if (rc != WF_OK)
            return rc;
    }
    for (size_t i = 0; i < hits->count; i++)
        hits->hits[i] = &hits->items[i];
    return WF_OK;
}

void enrich_hotlist_hits_fini(enrich_hotlist_hits_t *hits)
{
    free(hits->items);
    free(hits->hits);
    memset(hits, 0, sizeof *hits);
}

static json_t *s_hit_json(const Wf__HotlistHit *hit)
{
    json_t *object = json_object();
    if (!object)
        return NULL;
    int failed = json_object_set_new(object, "list", enrich_json_text(hit->list)) |
                 json_object_set_new(object, "entry_type", enrich_json_text(hit->entry_type)) |
                 json_object_set_new(object, "entry_value", enrich_json_text(hit->entry_value)) |
                 json_object_set_new(object, "observed", enrich_json_text(hit->observed)) |
                 json_object_set_new(object, "field", enrich_json_text(hit->field)) |
                 json_object_set_new(object, "substitutions", json_integer(hit->substitutions)) |
                 json_object_set_new(object, "entry_id", enrich_json_text(hit->entry_id));
    if (failed) {
        json_decref(object);
        return NULL;
    }
    return object;
}

int enrich_hotlist_hits_json(const enrich_hotlist_hits_t *hits, enrich_json_buf_t *buf)
{
    json_t *array = json_array();
    int rc = array ? WF_OK : WF_ENOMEM;
    for (size_t i = 0; rc == WF_OK && i < hits->count; i++)
        if (json_array_append_new(array, s_hit_json(&hits->items[i])) != 0)
            rc = WF_ENOMEM;
    if (rc == WF_OK)
        rc = enrich_json_dump(array, buf);
    json_decref(array);
    return rc;
}
