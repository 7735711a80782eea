/* spatial_attrs.c — interned (agency, district, beat, dissemination) tuples.
 *
 * Tuples live in one growing array; an open-addressing table of indexes (linear probing, kept
 * at most half full) finds them by an FNV-1a hash of the four fields. Nothing is ever removed,
 * so indexes stay valid for the table's life.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "spatial_attrs.h"

typedef struct {
    char *agency, *district, *beat; /* owned */
    int dissemination;
    uint64_t hash;
} s_tuple_t;

struct spatial_attrs_t {
    s_tuple_t *tuples; /* by index */
    size_t count;      /* tuples held */
    size_t cap;        /* allocated */
    size_t max_tuples; /* cap on count */
    uint32_t *slots;   /* tuple index or SPATIAL_ATTRS_NONE */
    size_t slot_count; /* power of two */
    size_t text_bytes; /* bytes of the owned strings */
};

spatial_attrs_t *spatial_attrs_new(size_t max_tuples)
{
    if (max_tuples == 0 || max_tuples >= SPATIAL_ATTRS_NONE)
        return NULL;
    spatial_attrs_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->max_tuples = max_tuples;
    return self;
}

void spatial_attrs_destroy(spatial_attrs_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    spatial_attrs_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free(self->tuples[i].agency);
        free(self->tuples[i].district);
        free(self->tuples[i].beat);
    }
    free(self->tuples);
    free(self->slots);
    free(self);
    *self_p = NULL;
}

static uint64_t s_fnv(uint64_t hash, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        hash = (hash ^ *p) * UINT64_C(0x100000001b3);
    return (hash ^ 0x1f) * UINT64_C(0x100000001b3); /* field separator: ("ab","") != ("a","b") */
}

static uint64_t s_hash(const char *agency, const char *district, const char *beat,
                       int dissemination)
{
    uint64_t hash = UINT64_C(0xcbf29ce484222325);
    hash = s_fnv(hash, agency);
    hash = s_fnv(hash, district);
    hash = s_fnv(hash, beat);
    return (hash ^ (uint64_t)(unsigned)dissemination) * UINT64_C(0x100000001b3);
}

static bool s_equal(const s_tuple_t *t, uint64_t hash, const char *agency, const char *district,
                    const char *beat, int dissemination)
{
    return t->hash == hash && t->dissemination == dissemination && strcmp(t->agency, agency) == 0 &&
           strcmp(t->district, district) == 0 && strcmp(t->beat, beat) == 0;
}

/* Rebuilds the slot table with twice the slots (at least 64). */
static bool s_grow_slots(spatial_attrs_t *self)
{
    size_t slot_count = self->slot_count ? self->slot_count * 2 : 64;
    uint32_t *slots = malloc(slot_count * sizeof *slots);
    if (!slots)
        return false;
    memset(slots, 0xff, slot_count * sizeof *slots); /* SPATIAL_ATTRS_NONE everywhere */
    for (size_t i = 0; i < self->count; i++) {
        size_t at = (size_t)self->tuples[i].hash & (slot_count - 1);
        while (slots[at] != SPATIAL_ATTRS_NONE)
            at = (at + 1) & (slot_count - 1);
        slots[at] = (uint32_t)i;
    }
    free(self->slots);
    self->slots = slots;
    self->slot_count = slot_count;
    return true;
}

uint32_t spatial_attrs_intern(spatial_attrs_t *self, const char *agency, const char *district,
                              const char *beat, int dissemination)
{
    agency = agency ? agency : "";
    district = district ? district : "";
    beat = beat ? beat : "";
    uint64_t hash = s_hash(agency, district, beat, dissemination);
    if (self->slot_count) {
        for (size_t at = (size_t)hash & (self->slot_count - 1);;
             at = (at + 1) & (self->slot_count - 1)) {
            uint32_t index = self->slots[at];
            if (index == SPATIAL_ATTRS_NONE)
                break;
            if (s_equal(&self->tuples[index], hash, agency, district, beat, dissemination))
                return index;
        }
    }
    if (self->count >= self->max_tuples)
        return SPATIAL_ATTRS_NONE;
    if ((self->count + 1) * 2 > self->slot_count && !s_grow_slots(self))
        return SPATIAL_ATTRS_NONE;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 32;
        s_tuple_t *grown = realloc(self->tuples, cap * sizeof *grown);
        if (!grown)
            return SPATIAL_ATTRS_NONE;
        self->tuples = grown;
        self->cap = cap;
    }
    s_tuple_t tuple = {strdup(agency), strdup(district), strdup(beat), dissemination, hash};
    if (!tuple.agency || !tuple.district || !tuple.beat) {
        free(tuple.agency);
        free(tuple.district);
        free(tuple.beat);
        return SPATIAL_ATTRS_NONE;
    }
    uint32_t index = (uint32_t)self->count++;
    self->tuples[index] = tuple;
    self->text_bytes += strlen(agency) + strlen(district) + strlen(beat) + 3;
    size_t at = (size_t)hash & (self->slot_count - 1);
    while (self->slots[at] != SPATIAL_ATTRS_NONE)
        at = (at + 1) & (self->slot_count - 1);
    self->slots[at] = index;
    return index;
}

void spatial_attrs_get(const spatial_attrs_t *self, uint32_t index, spatial_attrs_tuple_t *tuple)
{
    if (index >= self->count) {
        *tuple = (spatial_attrs_tuple_t){"", "", "", 0};
        return;
    }
    const s_tuple_t *t = &self->tuples[index];
    *tuple = (spatial_attrs_tuple_t){t->agency, t->district, t->beat, t->dissemination};
}

size_t spatial_attrs_count(const spatial_attrs_t *self)
{
    return self->count;
}

size_t spatial_attrs_bytes(const spatial_attrs_t *self)
{
    return sizeof *self + self->cap * sizeof *self->tuples +
           self->slot_count * sizeof *self->slots + self->text_bytes;
}
