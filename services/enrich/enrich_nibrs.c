/* enrich_nibrs.c — the NIBRS tables in memory: sorted arrays and binary search.
 *
 * The tables are small (86 offenses, a few dozen kinds, a department's few hundred codes), so
 * sorted arrays of pointers answer every lookup in a handful of comparisons without a hash
 * table. Kinds and agency codes hold a pointer to their offense, resolved once by build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "enrich_nibrs.h"

typedef struct {
    char *key;                             /* kind, or "agency\x1foffense_code" */
    char *nibrs_code;                      /* NULL: no NIBRS equivalent */
    const enrich_nibrs_offense_t *offense; /* resolved by build */
} s_mapping_t;

typedef struct {
    s_mapping_t *items;
    size_t count, cap;
} s_mappings_t;

struct enrich_nibrs_t {
    enrich_nibrs_offense_t *offenses; /* sorted by code after build */
    size_t offense_count, offense_cap;
    s_mappings_t kinds;        /* sorted by kind */
    s_mappings_t agency_codes; /* sorted by agency, then offense code */
};

/* Separates agency and offense code in agency-code keys; never part of either. */
#define S_KEY_SEP '\x1f'

enrich_nibrs_t *enrich_nibrs_new(void)
{
    return calloc(1, sizeof(enrich_nibrs_t));
}

static void s_mappings_fini(s_mappings_t *mappings)
{
    for (size_t i = 0; i < mappings->count; i++) {
        free(mappings->items[i].key);
        free(mappings->items[i].nibrs_code);
    }
    free(mappings->items);
}

void enrich_nibrs_destroy(enrich_nibrs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    enrich_nibrs_t *self = *self_p;
    for (size_t i = 0; i < self->offense_count; i++) {
        enrich_nibrs_offense_t *o = &self->offenses[i];
        free(o->code);
        free(o->name);
        free(o->category);
        free(o->crime_against);
    }
    free(self->offenses);
    s_mappings_fini(&self->kinds);
    s_mappings_fini(&self->agency_codes);
    free(self);
    *self_p = NULL;
}

static char *s_dup(const char *text)
{
    return strdup(text ? text : "");
}

/* Grows an array of element size size to hold one more; returns 0 or WF_ENOMEM. */
static int s_grow(void **items, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return WF_OK;
    size_t grown = *cap ? *cap * 2 : 32;
    void *p = realloc(*items, grown * size);
    if (!p)
        return WF_ENOMEM;
    *items = p;
    *cap = grown;
    return WF_OK;
}

int enrich_nibrs_add_offense(enrich_nibrs_t *self, const char *code, const char *name,
                             const char *category, const char *crime_against)
{
    if (!code || !*code)
        return WF_EINVAL;
    if (s_grow((void **)&self->offenses, &self->offense_cap, self->offense_count,
               sizeof *self->offenses))
        return WF_ENOMEM;
    enrich_nibrs_offense_t o = {s_dup(code), s_dup(name), s_dup(category), s_dup(crime_against)};
    if (!o.code || !o.name || !o.category || !o.crime_against) {
        free(o.code);
        free(o.name);
        free(o.category);
        free(o.crime_against);
        return WF_ENOMEM;
    }
    self->offenses[self->offense_count++] = o;
    return WF_OK;
}

static int s_add_mapping(s_mappings_t *mappings, char *key, const char *nibrs_code)
{
    if (!key)
        return WF_ENOMEM;
    if (s_grow((void **)&mappings->items, &mappings->cap, mappings->count,
               sizeof *mappings->items)) {
        free(key);
        return WF_ENOMEM;
    }
    s_mapping_t m = {key, NULL, NULL};
    if (nibrs_code && *nibrs_code && !(m.nibrs_code = strdup(nibrs_code))) {
        free(key);
        return WF_ENOMEM;
    }
    mappings->items[mappings->count++] = m;
    return WF_OK;
}

int enrich_nibrs_add_kind(enrich_nibrs_t *self, const char *kind, const char *nibrs_code)
{
    if (!kind || !*kind)
        return WF_EINVAL;
    return s_add_mapping(&self->kinds, strdup(kind), nibrs_code);
}

/* "agency\x1foffense_code" in a new string. */
static char *s_agency_key(const char *agency, const char *offense_code)
{
    size_t a = strlen(agency), c = strlen(offense_code);
    char *key = malloc(a + c + 2);
    if (key) {
        memcpy(key, agency, a);
        key[a] = S_KEY_SEP;
        memcpy(key + a + 1, offense_code, c + 1);
    }
    return key;
}

int enrich_nibrs_add_agency_code(enrich_nibrs_t *self, const char *agency, const char *offense_code,
                                 const char *nibrs_code)
{
    if (!agency || !*agency || !offense_code || !*offense_code || !nibrs_code || !*nibrs_code)
        return WF_EINVAL;
    return s_add_mapping(&self->agency_codes, s_agency_key(agency, offense_code), nibrs_code);
}

static int s_cmp_offense(const void *a, const void *b)
{
    return strcmp(((const enrich_nibrs_offense_t *)a)->code,
                  ((const enrich_nibrs_offense_t *)b)->code);
}

static int s_cmp_mapping(const void *a, const void *b)
{
    return strcmp(((const s_mapping_t *)a)->key, ((const s_mapping_t *)b)->key);
}

static const enrich_nibrs_offense_t *s_find_offense(const enrich_nibrs_t *self, const char *code)
{
    enrich_nibrs_offense_t probe = {(char *)code, NULL, NULL, NULL};
    return bsearch(&probe, self->offenses, self->offense_count, sizeof probe, s_cmp_offense);
}

/* Sorts mappings, refuses duplicate keys and resolves every code to its offense. */
static int s_build_mappings(const enrich_nibrs_t *self, s_mappings_t *mappings, const char *what,
                            char *errbuf, size_t errlen)
{
    if (mappings->count)
        qsort(mappings->items, mappings->count, sizeof *mappings->items, s_cmp_mapping);
    for (size_t i = 0; i < mappings->count; i++) {
        s_mapping_t *m = &mappings->items[i];
        char shown[160];
        snprintf(shown, sizeof shown, "%s", m->key);
        char *sep = strchr(shown, S_KEY_SEP);
        if (sep)
            *sep = ' ';
        if (i > 0 && strcmp(m->key, mappings->items[i - 1].key) == 0) {
            snprintf(errbuf, errlen, "%s '%s' is mapped twice", what, shown);
            return WF_EINVAL;
        }
        if (m->nibrs_code && !(m->offense = s_find_offense(self, m->nibrs_code))) {
            snprintf(errbuf, errlen,
                     "%s '%s' maps to NIBRS code '%s', which the offense table "
                     "does not have",
                     what, shown, m->nibrs_code);
            return WF_EINVAL;
        }
    }
    return WF_OK;
}

int enrich_nibrs_build(enrich_nibrs_t *self, char *errbuf, size_t errlen)
{
    if (self->offense_count)
        qsort(self->offenses, self->offense_count, sizeof *self->offenses, s_cmp_offense);
    for (size_t i = 1; i < self->offense_count; i++)
        if (strcmp(self->offenses[i].code, self->offenses[i - 1].code) == 0) {
            snprintf(errbuf, errlen, "NIBRS code '%s' is in the offense table twice",
                     self->offenses[i].code);
            return WF_EINVAL;
        }
    int rc = s_build_mappings(self, &self->kinds, "kind", errbuf, errlen);
    if (rc == WF_OK)
        rc = s_build_mappings(self, &self->agency_codes, "agency code", errbuf, errlen);
    return rc;
}

size_t enrich_nibrs_offense_count(const enrich_nibrs_t *self)
{
    return self->offense_count;
}

size_t enrich_nibrs_kind_count(const enrich_nibrs_t *self)
{
    return self->kinds.count;
}

size_t enrich_nibrs_agency_code_count(const enrich_nibrs_t *self)
{
    return self->agency_codes.count;
}

static const s_mapping_t *s_find_mapping(const s_mappings_t *mappings, const char *key)
{
    s_mapping_t probe = {(char *)key, NULL, NULL};
    return mappings->count
               ? bsearch(&probe, mappings->items, mappings->count, sizeof probe, s_cmp_mapping)
               : NULL;
}

/* The agency-code mapping of (agency, offense_code), without allocating. */
static const s_mapping_t *s_find_agency_code(const enrich_nibrs_t *self, const char *agency,
                                             const char *offense_code)
{
    char key[256];
    size_t a = strlen(agency), c = strlen(offense_code);
    if (a + c + 2 > sizeof key)
        return NULL; /* longer than any code a table holds */
    memcpy(key, agency, a);
    key[a] = S_KEY_SEP;
    memcpy(key + a + 1, offense_code, c + 1);
    return s_find_mapping(&self->agency_codes, key);
}

/* The kind's mapping, or its parent's ("burglary" for "burglary.residential"). */
static const s_mapping_t *s_find_kind(const enrich_nibrs_t *self, const char *kind)
{
    const s_mapping_t *m = s_find_mapping(&self->kinds, kind);
    const char *dot = strrchr(kind, '.');
    char parent[128];
    if (m || !dot || (size_t)(dot - kind) >= sizeof parent)
        return m;
    memcpy(parent, kind, (size_t)(dot - kind));
    parent[dot - kind] = '\0';
    return s_find_mapping(&self->kinds, parent);
}

const enrich_nibrs_offense_t *enrich_nibrs_classify(const enrich_nibrs_t *self, const char *agency,
                                                    const char *offense_code, const char *kind,
                                                    enrich_nibrs_basis_t *basis)
{
    const s_mapping_t *m = NULL;
    enrich_nibrs_basis_t found = ENRICH_NIBRS_NONE;
    if (agency && *agency && offense_code && *offense_code &&
        (m = s_find_agency_code(self, agency, offense_code)) != NULL)
        found = ENRICH_NIBRS_AGENCY_CODE;
    else if (kind && *kind && (m = s_find_kind(self, kind)) != NULL && m->offense)
        found = ENRICH_NIBRS_KIND;
    if (basis)
        *basis = found;
    return found == ENRICH_NIBRS_NONE ? NULL : m->offense;
}
