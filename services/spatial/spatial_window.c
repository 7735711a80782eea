/* spatial_window.c — entry pool, grid and record tables, and time heap of the near-repeat window.
 *
 * Entries are addressed by 32-bit index into one pool that grows by doubling up to max_events,
 * so a held event costs one 96-byte entry plus a few index words and nothing is allocated per
 * event. The two hash tables use linear probing over entry indexes (the key is read from the
 * entry itself) and backward-shift deletion, so they need no tombstones and never degrade
 * however long the stream runs.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "spatial_geo.h"
#include "spatial_window.h"

#define S_POOL_START  1024
#define S_TABLE_START 64

typedef enum {
    S_BY_CELL,   /* key: (row, col); slot holds the first entry of the cell's chain */
    S_BY_RECORD, /* key: record_id; slot holds the record's one held entry */
} s_key_t;

typedef struct {
    uint32_t *slots; /* entry indexes, SPATIAL_WINDOW_NONE = empty */
    size_t cap;      /* power of two */
    size_t used;     /* occupied slots (kept at most half of cap) */
} s_table_t;

struct spatial_window_t {
    double cell_m;                   /* grid cell side */
    size_t max_events;               /* pool limit */
    spatial_window_entry_t *entries; /* the pool */
    uint32_t pool_cap;               /* entries allocated */
    uint32_t pool_top;               /* entries ever handed out (the rest are untouched) */
    uint32_t free_head;              /* chain of released entries through next */
    uint32_t *heap;                  /* min-heap of held entries on occurred_us (pool_cap) */
    uint32_t held;                   /* entries in the heap = held events */
    s_table_t cells;                 /* grid */
    s_table_t records;               /* record → entry */
};

/* ---- hash tables ------------------------------------------------------------------------ */

static uint64_t s_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static uint64_t s_hash(s_key_t by, const spatial_window_entry_t *e)
{
    if (by == S_BY_CELL)
        return s_mix(((uint64_t)(uint32_t)e->row << 32) | (uint32_t)e->col);
    uint64_t h; /* the record id is already a SHA-1 digest */
    memcpy(&h, e->record_id, sizeof h);
    return s_mix(h);
}

static bool s_same_key(s_key_t by, const spatial_window_entry_t *a, const spatial_window_entry_t *b)
{
    if (by == S_BY_CELL)
        return a->row == b->row && a->col == b->col;
    return memcmp(a->record_id, b->record_id, sizeof a->record_id) == 0;
}

/* The slot holding key's entry, or the empty slot where it belongs. */
static size_t s_slot(const spatial_window_t *self, const s_table_t *table, s_key_t by,
                     const spatial_window_entry_t *key)
{
    size_t mask = table->cap - 1;
    size_t at = (size_t)s_hash(by, key) & mask;
    while (table->slots[at] != SPATIAL_WINDOW_NONE &&
           !s_same_key(by, &self->entries[table->slots[at]], key))
        at = (at + 1) & mask;
    return at;
}

static int s_table_init(s_table_t *table, size_t cap)
{
    table->slots = malloc(cap * sizeof *table->slots);
    if (!table->slots)
        return WF_ENOMEM;
    memset(table->slots, 0xff, cap * sizeof *table->slots); /* SPATIAL_WINDOW_NONE */
    table->cap = cap;
    table->used = 0;
    return WF_OK;
}

/* Makes room for one more key (load factor at most 1/2). */
static int s_table_reserve(spatial_window_t *self, s_table_t *table, s_key_t by)
{
    if ((table->used + 1) * 2 <= table->cap)
        return WF_OK;
    s_table_t grown;
    if (s_table_init(&grown, table->cap * 2) != WF_OK)
        return WF_ENOMEM;
    for (size_t i = 0; i < table->cap; i++) {
        uint32_t index = table->slots[i];
        if (index != SPATIAL_WINDOW_NONE)
            grown.slots[s_slot(self, &grown, by, &self->entries[index])] = index;
    }
    grown.used = table->used;
    free(table->slots);
    *table = grown;
    return WF_OK;
}

/* Empties slot and shifts later members of its probe run back (no tombstones). */
static void s_table_delete(spatial_window_t *self, s_table_t *table, s_key_t by, size_t hole)
{
    size_t mask = table->cap - 1;
    for (size_t at = (hole + 1) & mask; table->slots[at] != SPATIAL_WINDOW_NONE;
         at = (at + 1) & mask) {
        size_t home = (size_t)s_hash(by, &self->entries[table->slots[at]]) & mask;
        bool stays = hole <= at ? (hole < home && home <= at) : (hole < home || home <= at);
        if (!stays) {
            table->slots[hole] = table->slots[at];
            hole = at;
        }
    }
    table->slots[hole] = SPATIAL_WINDOW_NONE;
    table->used--;
}

/* ---- time heap -------------------------------------------------------------------------- */

static bool s_before(const spatial_window_t *self, uint32_t a, uint32_t b)
{
    return self->entries[a].occurred_us < self->entries[b].occurred_us;
}

static void s_heap_set(spatial_window_t *self, uint32_t pos, uint32_t index)
{
    self->heap[pos] = index;
    self->entries[index].heap_pos = pos;
}

static void s_heap_up(spatial_window_t *self, uint32_t pos)
{
    uint32_t index = self->heap[pos];
    while (pos > 0 && s_before(self, index, self->heap[(pos - 1) / 2])) {
        s_heap_set(self, pos, self->heap[(pos - 1) / 2]);
        pos = (pos - 1) / 2;
    }
    s_heap_set(self, pos, index);
}

static void s_heap_down(spatial_window_t *self, uint32_t pos)
{
    uint32_t index = self->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= self->held)
            break;
        if (child + 1 < self->held && s_before(self, self->heap[child + 1], self->heap[child]))
            child++;
        if (!s_before(self, self->heap[child], index))
            break;
        s_heap_set(self, pos, self->heap[child]);
        pos = child;
    }
    s_heap_set(self, pos, index);
}

/* ---- pool ------------------------------------------------------------------------------- */

static uint32_t s_pool_take(spatial_window_t *self)
{
    if (self->free_head != SPATIAL_WINDOW_NONE) {
        uint32_t index = self->free_head;
        self->free_head = self->entries[index].next;
        return index;
    }
    if (self->pool_top == self->pool_cap) {
        size_t cap = (size_t)self->pool_cap * 2;
        if (cap > self->max_events)
            cap = self->max_events;
        if (cap <= self->pool_cap)
            return SPATIAL_WINDOW_NONE;
        spatial_window_entry_t *entries = realloc(self->entries, cap * sizeof *entries);
        if (!entries)
            return SPATIAL_WINDOW_NONE;
        self->entries = entries;
        uint32_t *heap = realloc(self->heap, cap * sizeof *heap);
        if (!heap)
            return SPATIAL_WINDOW_NONE;
        self->heap = heap;
        self->pool_cap = (uint32_t)cap;
    }
    return self->pool_top++;
}

spatial_window_t *spatial_window_new(double cell_m, size_t max_events)
{
    assert(cell_m > 0 && max_events > 0 && max_events < SPATIAL_WINDOW_NONE);
    spatial_window_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cell_m = cell_m;
    self->max_events = max_events;
    self->pool_cap = (uint32_t)(max_events < S_POOL_START ? max_events : S_POOL_START);
    self->free_head = SPATIAL_WINDOW_NONE;
    self->entries = malloc(self->pool_cap * sizeof *self->entries);
    self->heap = malloc(self->pool_cap * sizeof *self->heap);
    if (!self->entries || !self->heap || s_table_init(&self->cells, S_TABLE_START) != WF_OK ||
        s_table_init(&self->records, S_TABLE_START) != WF_OK)
        spatial_window_destroy(&self);
    return self;
}

void spatial_window_destroy(spatial_window_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    spatial_window_t *self = *self_p;
    free(self->entries);
    free(self->heap);
    free(self->cells.slots);
    free(self->records.slots);
    free(self);
    *self_p = NULL;
}

/* ---- holding and releasing events ------------------------------------------------------- */

int spatial_window_insert(spatial_window_t *self, const spatial_window_entry_t *probe)
{
    assert(self->held < self->max_events);
    if (s_table_reserve(self, &self->cells, S_BY_CELL) != WF_OK ||
        s_table_reserve(self, &self->records, S_BY_RECORD) != WF_OK)
        return WF_ENOMEM;
    uint32_t index = s_pool_take(self);
    if (index == SPATIAL_WINDOW_NONE)
        return WF_ENOMEM;
    spatial_window_entry_t *entry = &self->entries[index];
    *entry = *probe;
    entry->row = spatial_geo_row(probe->lat, self->cell_m);
    entry->col = spatial_geo_col(probe->lon, entry->row, self->cell_m);
    entry->prev = SPATIAL_WINDOW_NONE;

    size_t at = s_slot(self, &self->cells, S_BY_CELL, entry);
    entry->next = self->cells.slots[at]; /* push in front of the cell's chain */
    if (entry->next != SPATIAL_WINDOW_NONE)
        self->entries[entry->next].prev = index;
    else
        self->cells.used++;
    self->cells.slots[at] = index;

    at = s_slot(self, &self->records, S_BY_RECORD, entry);
    assert(self->records.slots[at] == SPATIAL_WINDOW_NONE);
    self->records.slots[at] = index;
    self->records.used++;

    self->heap[self->held] = index;
    s_heap_up(self, self->held++);
    return WF_OK;
}

void spatial_window_remove(spatial_window_t *self, uint32_t index)
{
    spatial_window_entry_t *entry = &self->entries[index];
    if (entry->prev != SPATIAL_WINDOW_NONE) {
        self->entries[entry->prev].next = entry->next;
    } else {
        size_t at = s_slot(self, &self->cells, S_BY_CELL, entry);
        if (entry->next != SPATIAL_WINDOW_NONE)
            self->cells.slots[at] = entry->next;
        else
            s_table_delete(self, &self->cells, S_BY_CELL, at); /* the cell's last entry */
    }
    if (entry->next != SPATIAL_WINDOW_NONE)
        self->entries[entry->next].prev = entry->prev;

    s_table_delete(self, &self->records, S_BY_RECORD,
                   s_slot(self, &self->records, S_BY_RECORD, entry));

    uint32_t pos = entry->heap_pos;
    uint32_t last = self->heap[--self->held];
    if (pos < self->held) {
        s_heap_set(self, pos, last);
        s_heap_up(self, pos);
        s_heap_down(self, self->entries[last].heap_pos);
    }
    entry->next = self->free_head;
    self->free_head = index;
}

uint64_t spatial_window_evict_before(spatial_window_t *self, int64_t horizon_us)
{
    uint64_t evicted = 0;
    while (self->held > 0 && self->entries[self->heap[0]].occurred_us < horizon_us) {
        spatial_window_remove(self, self->heap[0]);
        evicted++;
    }
    return evicted;
}

void spatial_window_evict_oldest(spatial_window_t *self)
{
    assert(self->held > 0);
    spatial_window_remove(self, self->heap[0]);
}

/* ---- queries ---------------------------------------------------------------------------- */

size_t spatial_window_held(const spatial_window_t *self)
{
    return self->held;
}

int64_t spatial_window_oldest_us(const spatial_window_t *self)
{
    return self->held ? self->entries[self->heap[0]].occurred_us : INT64_MAX;
}

uint32_t spatial_window_find_record(const spatial_window_t *self, const uint8_t record_id[16])
{
    spatial_window_entry_t key;
    memcpy(key.record_id, record_id, sizeof key.record_id);
    return self->records.slots[s_slot(self, &self->records, S_BY_RECORD, &key)];
}

void spatial_window_set_owned(spatial_window_t *self, uint32_t index)
{
    self->entries[index].context = 0;
}

const spatial_window_entry_t *spatial_window_entry(const spatial_window_t *self, uint32_t index)
{
    assert(index < self->pool_top);
    return &self->entries[index];
}

/* Visits the cells of row whose columns cover longitudes [lon_lo, lon_hi]. */
static int s_visit_span(const spatial_window_t *self, const spatial_window_entry_t *probe,
                        int32_t row, double lon_lo, double lon_hi, spatial_window_visit_fn fn,
                        void *user)
{
    double scale = spatial_geo_row_scale(row, self->cell_m) / self->cell_m;
    spatial_window_entry_t key = {.row = row};
    int32_t last = (int32_t)floor(lon_hi * scale);
    for (key.col = (int32_t)floor(lon_lo * scale); key.col <= last; key.col++) {
        uint32_t index = self->cells.slots[s_slot(self, &self->cells, S_BY_CELL, &key)];
        for (; index != SPATIAL_WINDOW_NONE; index = self->entries[index].next) {
            int rc = fn(user, probe, &self->entries[index]);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int spatial_window_visit(const spatial_window_t *self, const spatial_window_entry_t *probe,
                         double distance_m, spatial_window_visit_fn fn, void *user)
{
    /* A hair wider than D, so rounding can never put a partner in an unvisited cell. */
    double reach = distance_m * (1.0 + 1e-9) + 1e-6;
    double y = probe->lat * SPATIAL_GEO_M_PER_DEG;
    int32_t first = (int32_t)floor((y - reach) / self->cell_m);
    int32_t last = (int32_t)floor((y + reach) / self->cell_m);
    double dlon = spatial_geo_max_dlon(probe->lat, reach);
    double lo = probe->lon - dlon, hi = probe->lon + dlon;
    int rc = 0;
    for (int32_t row = first; row <= last && rc == 0; row++) {
        if (dlon >= 180.0) {
            rc = s_visit_span(self, probe, row, -180.0, 180.0, fn, user);
            continue;
        }
        rc = s_visit_span(self, probe, row, fmax(lo, -180.0), fmin(hi, 180.0), fn, user);
        if (rc == 0 && lo < -180.0) /* across the antimeridian */
            rc = s_visit_span(self, probe, row, lo + 360.0, 180.0, fn, user);
        if (rc == 0 && hi > 180.0)
            rc = s_visit_span(self, probe, row, -180.0, hi - 360.0, fn, user);
    }
    return rc;
}

size_t spatial_window_bytes(const spatial_window_t *self)
{
    return sizeof *self + (size_t)self->pool_cap * (sizeof *self->entries + sizeof *self->heap) +
           (self->cells.cap + self->records.cap) * sizeof(uint32_t);
}
