/* stats.c — named counters and log-linear latency histograms.
 *
 * Counters live in a small open-addressing hash table because services bump them per event;
 * a lookup is one hash and usually one string compare. Histograms keep 64 sub-buckets per power
 * of two (HdrHistogram's idea with 7 significant bits), so a quantile is within 1/64 of the
 * true value whatever the rate, in 30 KB per histogram.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>
#include <wf/log.h>
#include <wf/stats.h>

#define SUB_BITS   7
#define SUB_COUNT  (1 << SUB_BITS)
#define HALF_COUNT (SUB_COUNT / 2)
#define BUCKETS    (SUB_COUNT + (63 - SUB_BITS) * HALF_COUNT)

struct wf_histogram_t {
    uint64_t counts[BUCKETS]; /* samples per bucket */
    uint64_t total;           /* samples recorded */
    int64_t max;              /* largest sample */
};

typedef struct {
    char *name;                /* NULL = free slot */
    int64_t value;             /* counter or gauge value */
    bool is_gauge;             /* set, not added */
    wf_histogram_t *histogram; /* non-NULL for histogram entries */
} s_slot_t;

struct wf_stats_t {
    char *service; /* for the log line */
    s_slot_t *slots;
    size_t cap; /* power of two */
    size_t used;
};

static uint64_t s_hash(const char *name)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

wf_stats_t *wf_stats_new(const char *service)
{
    wf_stats_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->service = strdup(service ? service : "wf");
    self->cap = 64;
    self->slots = calloc(self->cap, sizeof *self->slots);
    if (!self->service || !self->slots)
        wf_stats_destroy(&self);
    return self;
}

void wf_stats_destroy(wf_stats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    wf_stats_t *self = *self_p;
    for (size_t i = 0; self->slots && i < self->cap; i++) {
        free(self->slots[i].name);
        free(self->slots[i].histogram);
    }
    free(self->slots);
    free(self->service);
    free(self);
    *self_p = NULL;
}

static s_slot_t *s_lookup(const wf_stats_t *self, const char *name)
{
    size_t mask = self->cap - 1;
    for (size_t i = s_hash(name) & mask;; i = (i + 1) & mask) {
        s_slot_t *slot = &self->slots[i];
        if (!slot->name || strcmp(slot->name, name) == 0)
            return slot;
    }
}

static int s_grow(wf_stats_t *self)
{
    s_slot_t *old = self->slots;
    size_t old_cap = self->cap;
    s_slot_t *slots = calloc(old_cap * 2, sizeof *slots);
    if (!slots)
        return WF_ENOMEM;
    self->slots = slots;
    self->cap = old_cap * 2;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].name)
            *s_lookup(self, old[i].name) = old[i];
    free(old);
    return WF_OK;
}

/* The slot for name, created if missing; NULL only when out of memory. */
static s_slot_t *s_slot(wf_stats_t *self, const char *name)
{
    s_slot_t *slot = s_lookup(self, name);
    if (slot->name)
        return slot;
    if ((self->used + 1) * 2 > self->cap) {
        if (s_grow(self) != WF_OK)
            return NULL;
        slot = s_lookup(self, name);
    }
    slot->name = strdup(name);
    if (!slot->name)
        return NULL;
    self->used++;
    return slot;
}

void wf_stats_add(wf_stats_t *self, const char *name, uint64_t delta)
{
    s_slot_t *slot = self ? s_slot(self, name) : NULL;
    if (slot)
        slot->value += (int64_t)delta;
}

void wf_stats_set(wf_stats_t *self, const char *name, int64_t value)
{
    s_slot_t *slot = self ? s_slot(self, name) : NULL;
    if (slot) {
        slot->value = value;
        slot->is_gauge = true;
    }
}

uint64_t wf_stats_get(const wf_stats_t *self, const char *name)
{
    const s_slot_t *slot = s_lookup(self, name);
    return slot->name ? (uint64_t)slot->value : 0;
}

wf_histogram_t *wf_stats_histogram(wf_stats_t *self, const char *name)
{
    s_slot_t *slot = s_slot(self, name);
    if (!slot)
        return NULL;
    if (!slot->histogram)
        slot->histogram = calloc(1, sizeof *slot->histogram);
    return slot->histogram;
}

/* Snapshot lines sorted by name so files diff cleanly. */
static int s_compare_slots(const void *a, const void *b)
{
    const s_slot_t *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

void wf_stats_print(const wf_stats_t *self, FILE *out)
{
    const s_slot_t **sorted = malloc(self->used * sizeof *sorted + 1);
    if (!sorted)
        return;
    size_t n = 0;
    for (size_t i = 0; i < self->cap; i++)
        if (self->slots[i].name)
            sorted[n++] = &self->slots[i];
    qsort(sorted, n, sizeof *sorted, s_compare_slots);
    for (size_t i = 0; i < n; i++) {
        const s_slot_t *slot = sorted[i];
        const wf_histogram_t *h = slot->histogram;
        if (!h) {
            fprintf(out, "%s %lld\n", slot->name, (long long)slot->value);
            continue;
        }
        fprintf(out,
                "%s.count %llu\n%s.p50 %lld\n%s.p90 %lld\n%s.p99 %lld\n%s.p999 %lld\n"
                "%s.max %lld\n",
                slot->name, (unsigned long long)h->total, slot->name,
                (long long)wf_histogram_quantile(h, 0.5), slot->name,
                (long long)wf_histogram_quantile(h, 0.9), slot->name,
                (long long)wf_histogram_quantile(h, 0.99), slot->name,
                (long long)wf_histogram_quantile(h, 0.999), slot->name, (long long)h->max);
    }
    free(sorted);
}

int wf_stats_write_file(const wf_stats_t *self, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    if (!out)
        return WF_EIO;
    wf_stats_print(self, out);
    if (fclose(out) != 0 || rename(tmp, path) != 0)
        return WF_EIO;
    return WF_OK;
}

void wf_stats_log(const wf_stats_t *self)
{
    char line[1800];
    size_t at = 0;
    for (size_t i = 0; i < self->cap && at < sizeof line - 64; i++) {
        const s_slot_t *slot = &self->slots[i];
        if (!slot->name || slot->histogram || strchr(slot->name, '.'))
            continue; /* the log line keeps the totals; details are in the stats file */
        at += (size_t)snprintf(line + at, sizeof line - at, " %s=%lld", slot->name,
                               (long long)slot->value);
    }
    line[at < sizeof line ? at : sizeof line - 1] = '\0';
    wf_log_info("stats%s", line);
}

/* ---- histogram -------------------------------------------------------------------------- */

static size_t s_bucket_of(uint64_t v)
{
    if (v < SUB_COUNT)
        return (size_t)v;
    int msb = 63 - __builtin_clzll(v); /* ≥ SUB_BITS */
    int shift = msb - (SUB_BITS - 1);  /* keeps SUB_BITS significant bits */
    uint64_t top = v >> shift;         /* in [HALF_COUNT, SUB_COUNT) */
    return SUB_COUNT + (size_t)(msb - SUB_BITS) * HALF_COUNT + (size_t)(top - HALF_COUNT);
}

static int64_t s_bucket_upper(size_t bucket)
{
    if (bucket < SUB_COUNT)
        return (int64_t)bucket;
    size_t rel = bucket - SUB_COUNT;
    int msb = (int)(rel / HALF_COUNT) + SUB_BITS;
    uint64_t top = rel % HALF_COUNT + HALF_COUNT;
    int shift = msb - (SUB_BITS - 1);
    return (int64_t)(((top + 1) << shift) - 1);
}

wf_histogram_t *wf_histogram_new(void)
{
    return calloc(1, sizeof(wf_histogram_t));
}

void wf_histogram_destroy(wf_histogram_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free(*self_p);
    *self_p = NULL;
}

void wf_histogram_record(wf_histogram_t *self, int64_t value)
{
    if (!self)
        return;
    if (value < 0)
        value = 0; /* clock steps between hosts: count it as instantaneous */
    self->counts[s_bucket_of((uint64_t)value)]++;
    self->total++;
    if (value > self->max)
        self->max = value;
}

void wf_histogram_reset(wf_histogram_t *self)
{
    memset(self, 0, sizeof *self);
}

uint64_t wf_histogram_count(const wf_histogram_t *self)
{
    return self->total;
}

int64_t wf_histogram_quantile(const wf_histogram_t *self, double q)
{
    if (!self->total)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)self->total + 0.5);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < BUCKETS; i++) {
        seen += self->counts[i];
        if (seen >= rank) {
            int64_t upper = s_bucket_upper(i);
            return upper < self->max ? upper : self->max;
        }
    }
    return self->max;
}

int64_t wf_histogram_max(const wf_histogram_t *self)
{
    return self->max;
}

void wf_histogram_merge(wf_histogram_t *self, const wf_histogram_t *other)
{
    for (size_t i = 0; i < BUCKETS; i++)
        self->counts[i] += other->counts[i];
    self->total += other->total;
    if (other->max > self->max)
        self->max = other->max;
}
