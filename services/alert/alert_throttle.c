/* alert_throttle.c — event-time throttle windows with bounded memory.
 *
 * Entries live in a chained hash table (lookup per match) and in a binary min-heap ordered by
 * the time each may be forgotten (window end + lateness), so both evictions — the watermark
 * passing an entry and the hard cap — remove the heap top in O(log n). An entry's expiry is
 * fixed at insertion, so the heap never needs re-keying. Entries are created only when a
 * window raises, so one allocation per entry is cheap next to the alert it stands for.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "alert_throttle.h"

typedef struct s_entry_t {
    struct s_entry_t *next;          /* hash chain */
    uint64_t hash;                   /* of key and window start */
    int64_t window_start_us;         /* window this entry stands for */
    int64_t expire_us;               /* forgotten once the watermark passes this */
    uint32_t matches;                /* matches seen in the window */
    uint8_t (*members)[WF_UUID_LEN]; /* distinct checks: ids counted so far (owned), or NULL */
    uint32_t n_members;              /* ids in members */
    uint32_t members_cap;            /* slots allocated in members */
    size_t rule_len;                 /* key = rule id, 0x1F, dedupe key */
    char key[];
} s_entry_t;

struct alert_throttle_t {
    s_entry_t **buckets; /* chains; n_buckets is a power of two */
    size_t n_buckets;
    s_entry_t **heap;         /* min-heap by expire_us */
    size_t size;              /* entries held (hash and heap alike) */
    size_t heap_cap;          /* allocated heap slots */
    size_t max_entries;       /* hard cap */
    int64_t lateness_us;      /* memory past a window's end */
    int64_t watermark_us;     /* newest plausible event time seen */
    uint64_t evicted_expired; /* forgotten because the watermark passed them */
    uint64_t evicted_cap;     /* forgotten because of the hard cap */
};

static uint64_t s_hash(const char *rule_id, const char *dedupe_key, int64_t window_start)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)rule_id; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h = (h ^ 0x1F) * 1099511628211ULL;
    for (const unsigned char *p = (const unsigned char *)dedupe_key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    uint64_t w = (uint64_t)window_start;
    for (int i = 0; i < 8; i++, w >>= 8)
        h = (h ^ (w & 0xFF)) * 1099511628211ULL;
    return h;
}

static int64_t s_add_sat(int64_t a, int64_t b)
{
    return b > 0 && a > INT64_MAX - b ? INT64_MAX : a + b;
}

int64_t alert_throttle_window_start(int64_t t_us, int64_t window_us)
{
    int64_t q = t_us / window_us;
    if (t_us % window_us != 0 && t_us < 0)
        q--;
    return q * window_us;
}

void alert_throttle_alert_id(wf_uuid_t *out, const char *rule_id, const char *dedupe_key,
                             int64_t window_start_us)
{
    char start[24];
    snprintf(start, sizeof start, "%" PRId64, window_start_us);
    const char *parts[] = {rule_id, dedupe_key, start};
    wf_id_derive(out, "alert", parts, 3);
}

void alert_throttle_escalation_id(wf_uuid_t *out, const char *rule_id, const char *dedupe_key,
                                  int64_t window_start_us, const char *level)
{
    char start[24];
    snprintf(start, sizeof start, "%" PRId64, window_start_us);
    const char *parts[] = {rule_id, dedupe_key, start, "escalate", level};
    wf_id_derive(out, "alert", parts, 5);
}

alert_throttle_t *alert_throttle_new(int64_t lateness_us, size_t max_entries)
{
    alert_throttle_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->n_buckets = 64;
    self->buckets = calloc(self->n_buckets, sizeof *self->buckets);
    self->max_entries = max_entries ? max_entries : 1;
    self->lateness_us = lateness_us > 0 ? lateness_us : 0;
    self->watermark_us = INT64_MIN;
    if (!self->buckets)
        alert_throttle_destroy(&self);
    return self;
}

void alert_throttle_destroy(alert_throttle_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    alert_throttle_t *self = *self_p;
    for (size_t i = 0; i < self->size; i++) {
        free(self->heap[i]->members);
        free(self->heap[i]);
    }
    free(self->heap);
    free(self->buckets);
    free(self);
    *self_p = NULL;
}

static bool s_same(const s_entry_t *entry, uint64_t hash, const char *rule_id,
                   const char *dedupe_key, int64_t window_start)
{
    return entry->hash == hash && entry->window_start_us == window_start &&
           strncmp(entry->key, rule_id, entry->rule_len) == 0 && rule_id[entry->rule_len] == '\0' &&
           strcmp(entry->key + entry->rule_len + 1, dedupe_key) == 0;
}

static void s_heap_swap(s_entry_t **heap, size_t a, size_t b)
{
    s_entry_t *t = heap[a];
    heap[a] = heap[b];
    heap[b] = t;
}

static void s_heap_up(alert_throttle_t *self, size_t i)
{
    while (i > 0 && self->heap[(i - 1) / 2]->expire_us > self->heap[i]->expire_us) {
        s_heap_swap(self->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void s_heap_down(alert_throttle_t *self, size_t i)
{
    for (;;) {
        size_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < self->size && self->heap[l]->expire_us < self->heap[least]->expire_us)
            least = l;
        if (r < self->size && self->heap[r]->expire_us < self->heap[least]->expire_us)
            least = r;
        if (least == i)
            return;
        s_heap_swap(self->heap, i, least);
        i = least;
    }
}

/* Removes the entry expiring first from heap and hash, and frees it. */
static void s_evict_top(alert_throttle_t *self)
{
    s_entry_t *top = self->heap[0];
    self->heap[0] = self->heap[--self->size];
    s_heap_down(self, 0);
    s_entry_t **link = &self->buckets[top->hash & (self->n_buckets - 1)];
    while (*link && *link != top)
        link = &(*link)->next;
    if (*link)
        *link = top->next;
    free(top->members);
    free(top);
}

/* Doubles the bucket array (load factor 1); on failure keeps the longer chains. */
static void s_grow_buckets(alert_throttle_t *self)
{
    size_t n = self->n_buckets * 2;
    s_entry_t **buckets = calloc(n, sizeof *buckets);
    if (!buckets)
        return;
    for (size_t i = 0; i < self->size; i++) {
        s_entry_t *entry = self->heap[i];
        entry->next = buckets[entry->hash & (n - 1)];
        buckets[entry->hash & (n - 1)] = entry;
    }
    free(self->buckets);
    self->buckets = buckets;
    self->n_buckets = n;
}

static int s_insert(alert_throttle_t *self, uint64_t hash, const char *rule_id,
                    const char *dedupe_key, int64_t window_start, int64_t expire, s_entry_t **out)
{
    *out = NULL;
    while (self->size >= self->max_entries) {
        s_evict_top(self);
        self->evicted_cap++;
    }
    if (self->size == self->heap_cap) {
        size_t cap = self->heap_cap ? self->heap_cap * 2 : 64;
        s_entry_t **heap = realloc(self->heap, cap * sizeof *heap);
        if (!heap)
            return WF_ENOMEM;
        self->heap = heap;
        self->heap_cap = cap;
    }
    size_t rule_len = strlen(rule_id), key_len = strlen(dedupe_key);
    s_entry_t *entry = malloc(sizeof *entry + rule_len + key_len + 2);
    if (!entry)
        return WF_ENOMEM;
    *entry = (s_entry_t){.hash = hash,
                         .window_start_us = window_start,
                         .expire_us = expire,
                         .matches = 1,
                         .rule_len = rule_len};
    memcpy(entry->key, rule_id, rule_len);
    entry->key[rule_len] = '\x1f';
    memcpy(entry->key + rule_len + 1, dedupe_key, key_len + 1);
    size_t b = hash & (self->n_buckets - 1);
    entry->next = self->buckets[b];
    self->buckets[b] = entry;
    self->heap[self->size++] = entry;
    s_heap_up(self, self->size - 1);
    if (self->size > self->n_buckets)
        s_grow_buckets(self);
    *out = entry;
    return WF_OK;
}

/* Advances the watermark and forgets every window it has passed. */
static void s_advance(alert_throttle_t *self, int64_t event_us, int64_t now_us)
{
    if (event_us <= self->watermark_us || event_us > s_add_sat(now_us, ALERT_THROTTLE_MAX_SKEW_US))
        return;
    self->watermark_us = event_us;
    while (self->size > 0 && self->heap[0]->expire_us < self->watermark_us) {
        s_evict_top(self);
        self->evicted_expired++;
    }
}

/* Finds or creates the entry of (rule, key, window of event_us); *found says which. */
static int s_lookup(alert_throttle_t *self, const char *rule_id, const char *dedupe_key,
                    int64_t event_us, int64_t window_us, int64_t now_us,
                    alert_throttle_result_t *result, s_entry_t **entry, bool *found)
{
    *result = (alert_throttle_result_t){.raise = true, .matches = 1};
    *entry = NULL;
    *found = false;
    if (window_us <= 0)
        return WF_EINVAL;
    int64_t start = alert_throttle_window_start(event_us, window_us);
    int64_t expire = s_add_sat(s_add_sat(start, window_us), self->lateness_us);
    result->window_start_us = start;
    s_advance(self, event_us, now_us);
    result->late = expire < self->watermark_us;
    uint64_t hash = s_hash(rule_id, dedupe_key, start);
    for (s_entry_t *e = self->buckets[hash & (self->n_buckets - 1)]; e; e = e->next) {
        if (s_same(e, hash, rule_id, dedupe_key, start)) {
            *entry = e;
            *found = true;
            return WF_OK;
        }
    }
    /* a late window is remembered too, until the watermark next moves, so a burst of late
     * events for one window still raises once */
    return s_insert(self, hash, rule_id, dedupe_key, start, expire, entry);
}

int alert_throttle_check(alert_throttle_t *self, const char *rule_id, const char *dedupe_key,
                         int64_t event_us, int64_t window_us, int64_t now_us,
                         alert_throttle_result_t *result)
{
    s_entry_t *entry;
    bool found;
    int rc =
        s_lookup(self, rule_id, dedupe_key, event_us, window_us, now_us, result, &entry, &found);
    if (rc == WF_OK && found) {
        if (entry->matches < UINT32_MAX)
            entry->matches++;
        result->raise = false;
        result->matches = entry->matches;
    }
    return rc;
}

static bool s_has_member(const s_entry_t *entry, const uint8_t member[WF_UUID_LEN])
{
    for (uint32_t i = 0; i < entry->n_members; i++)
        if (memcmp(entry->members[i], member, WF_UUID_LEN) == 0)
            return true;
    return false;
}

int alert_throttle_check_distinct(alert_throttle_t *self, const char *rule_id,
                                  const char *dedupe_key, const uint8_t member[WF_UUID_LEN],
                                  uint32_t max_members, int64_t event_us, int64_t window_us,
                                  int64_t now_us, alert_throttle_result_t *result)
{
    s_entry_t *entry;
    bool found;
    int rc =
        s_lookup(self, rule_id, dedupe_key, event_us, window_us, now_us, result, &entry, &found);
    if (rc != WF_OK)
        return rc;
    if (found && s_has_member(entry, member)) {
        result->raise = false;
        result->duplicate = true;
    } else {
        if (found && entry->matches < UINT32_MAX)
            entry->matches++;
        if (entry->n_members < max_members) { /* past max_members the count is all that matters */
            if (entry->n_members == entry->members_cap) {
                uint32_t cap = entry->members_cap ? entry->members_cap * 2 : 4;
                cap = cap < max_members ? cap : max_members;
                uint8_t(*members)[WF_UUID_LEN] = realloc(entry->members, cap * sizeof *members);
                if (!members)
                    return WF_ENOMEM; /* counted, but a repeat of this id may count again */
                entry->members = members;
                entry->members_cap = cap;
            }
            memcpy(entry->members[entry->n_members++], member, WF_UUID_LEN);
        }
        result->raise = !found;
    }
    result->matches = entry->matches;
    result->members = (const uint8_t(*)[WF_UUID_LEN])entry->members;
    result->n_members = entry->n_members;
    return WF_OK;
}

size_t alert_throttle_size(const alert_throttle_t *self)
{
    return self->size;
}

uint64_t alert_throttle_evicted_expired(const alert_throttle_t *self)
{
    return self->evicted_expired;
}

uint64_t alert_throttle_evicted_cap(const alert_throttle_t *self)
{
    return self->evicted_cap;
}

int64_t alert_throttle_watermark(const alert_throttle_t *self)
{
    return self->watermark_us;
}
