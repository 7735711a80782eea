/* spatial_nearrepeat.c — near-repeat pairing rules, watermark and the outcome of each event.
 *
 * The store (grid, record table, time heap) is spatial_window.c; this file decides, per event,
 * whether it can be checked, which held events are related to it (earlier by occurrence time
 * and event id, same kind, Δt <= T, haversine distance <= D, another source record), whether it
 * is held afterwards, and what leaves the window. Held events that pair with it but are later
 * arrived first: the pair belongs to them, so each is kept (a copy of its entry) for revision(),
 * which lists its earlier partners again, this event included. The
 * watermark only moves on events of a checked kind with a usable time that is not in the future, so
 * one record with a mistyped year cannot empty the window.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "spatial_attrs.h"
#include "spatial_geo.h"
#include "spatial_nearrepeat.h"
#include "spatial_window.h"

/* Occurrence times beyond ±2^61 µs (±73,000 years) are not times; the bound also keeps every
 * difference of two times inside int64. */
#define S_TIME_LIMIT (INT64_C(1) << 61)

/* Distinct (agency, district, beat, dissemination) tuples kept for revised signals. */
#define S_MAX_ATTR_TUPLES ((size_t)1 << 20)

/* A growing list of related events. */
typedef struct {
    spatial_nearrepeat_match_t *items;
    size_t len, cap;
} s_matches_t;

struct spatial_nearrepeat_t {
    spatial_window_t *window;         /* the held events and their indexes */
    char **kinds;                     /* configured kinds (owned copies) */
    size_t kind_count;                /* number of kinds */
    size_t max_events;                /* cap on held events */
    double distance_m;                /* D */
    int64_t window_us;                /* T */
    int64_t lateness_us;              /* how far behind the watermark an event is still held */
    int64_t future_tolerance_us;      /* allowed occurrence time past arrival */
    bool has_watermark;               /* at least one event advanced the watermark */
    int64_t watermark_us;             /* newest occurrence time seen */
    spatial_attrs_t *attrs;           /* agency, district, beat of held events */
    s_matches_t matches;              /* related events of the last add (reused) */
    s_matches_t revised;              /* related events of the last revision (reused) */
    spatial_window_entry_t *later;    /* held later partners of the last add (copies) */
    size_t later_len, later_cap;      /* found by the last add; allocated */
    spatial_window_entry_t last;      /* the last added event as checked */
    bool last_held;                   /* whether it is held (else revision() adds it) */
    spatial_nearrepeat_stats_t stats; /* counters; held and bytes are filled on request */
};

spatial_nearrepeat_t *spatial_nearrepeat_new(const spatial_nearrepeat_config_t *config)
{
    if (!config || !config->kinds || config->kind_count == 0 || !(config->distance_m > 0) ||
        !isfinite(config->distance_m) || config->window_us <= 0 || config->lateness_us < 0 ||
        config->window_us > S_TIME_LIMIT / 2 || config->lateness_us > S_TIME_LIMIT / 2 ||
        config->max_events == 0 || config->max_events >= SPATIAL_WINDOW_NONE ||
        config->future_tolerance_us < 0 || config->future_tolerance_us > S_TIME_LIMIT / 2)
        return NULL;
    spatial_nearrepeat_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->kinds = calloc(config->kind_count, sizeof *self->kinds);
    if (!self->kinds)
        goto fail;
    for (size_t i = 0; i < config->kind_count; i++) {
        if (!config->kinds[i] || !(self->kinds[i] = strdup(config->kinds[i])))
            goto fail;
        self->kind_count++;
    }
    self->distance_m = config->distance_m;
    self->window_us = config->window_us;
    self->lateness_us = config->lateness_us;
    self->future_tolerance_us = config->future_tolerance_us;
    self->max_events = config->max_events;
    /* Cells of side D: everything within D of a point lies in 3 rows of cells around it. */
    if (!(self->window = spatial_window_new(config->distance_m, config->max_events)) ||
        !(self->attrs = spatial_attrs_new(S_MAX_ATTR_TUPLES)))
        goto fail;
    return self;
fail:
    spatial_nearrepeat_destroy(&self);
    return NULL;
}

void spatial_nearrepeat_destroy(spatial_nearrepeat_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    spatial_nearrepeat_t *self = *self_p;
    spatial_window_destroy(&self->window);
    spatial_attrs_destroy(&self->attrs);
    for (size_t i = 0; i < self->kind_count; i++)
        free(self->kinds[i]);
    free(self->kinds);
    free(self->matches.items);
    free(self->revised.items);
    free(self->later);
    free(self);
    *self_p = NULL;
}

/* Index of kind in the configured list, or SPATIAL_WINDOW_NONE. */
static uint32_t s_kind_index(const spatial_nearrepeat_t *self, const char *kind)
{
    for (size_t i = 0; kind && i < self->kind_count; i++)
        if (strcmp(self->kinds[i], kind) == 0)
            return (uint32_t)i;
    return SPATIAL_WINDOW_NONE;
}

/* Fills the probe entry from the event; returns whether time and location are usable. */
static bool s_probe(const spatial_nearrepeat_t *self, const spatial_nearrepeat_event_t *event,
                    spatial_window_entry_t *probe)
{
    memset(probe, 0, sizeof *probe);
    memcpy(probe->event_id, event->event_id, sizeof probe->event_id);
    if (event->source_record_id && event->source_record_id[0]) {
        const char *parts[] = {event->agency ? event->agency : "", event->source_record_id};
        wf_uuid_t record;
        wf_id_derive(&record, "nearrepeat_record", parts, 2);
        memcpy(probe->record_id, record.bytes, sizeof probe->record_id);
    } else { /* no record id: nothing to group revisions by, the event is its own record */
        memcpy(probe->record_id, event->event_id, sizeof probe->record_id);
    }
    probe->kind = s_kind_index(self, event->kind);
    probe->attrs = SPATIAL_ATTRS_NONE;
    probe->live = !event->replay;
    probe->context = event->context_only;
    probe->occurred_us = event->occurred_us;
    probe->reported_us = event->reported_us;
    probe->lon = event->lon;
    probe->lat = event->lat;
    bool timed = event->occurred_us != 0 && event->occurred_us > -S_TIME_LIMIT &&
                 event->occurred_us < S_TIME_LIMIT;
    return timed && event->has_location && spatial_geo_is_valid(event->lon, event->lat);
}

/* Moves the watermark to occurred_us if newer and evicts what fell out of the window. */
static void s_advance(spatial_nearrepeat_t *self, int64_t occurred_us)
{
    if (!self->has_watermark || occurred_us > self->watermark_us) {
        self->watermark_us = occurred_us;
        self->has_watermark = true;
    }
    int64_t horizon = self->watermark_us - self->window_us - self->lateness_us;
    self->stats.evicted += spatial_window_evict_before(self->window, horizon);
}

static int s_match_cmp(const void *a, const void *b)
{
    const spatial_nearrepeat_match_t *x = a, *y = b;
    if (x->distance_m != y->distance_m)
        return x->distance_m < y->distance_m ? -1 : 1;
    if (x->dt_s != y->dt_s)
        return x->dt_s < y->dt_s ? -1 : 1;
    return memcmp(x->event_id, y->event_id, sizeof x->event_id);
}

/* Whether a comes before b: by occurrence time, equal times by event id. Never true both ways,
 * and depends on the two events only, so each pair has one later event wherever it is checked. */
static bool s_precedes(const spatial_window_entry_t *a, const spatial_window_entry_t *b)
{
    if (a->occurred_us != b->occurred_us)
        return a->occurred_us < b->occurred_us;
    return memcmp(a->event_id, b->event_id, sizeof a->event_id) < 0;
}

/* One visit of the window around a probe. */
typedef struct {
    spatial_nearrepeat_t *self;
    s_matches_t *out;   /* earlier partners */
    bool collect_later; /* keep copies of later partners in self->later */
    bool any_live;      /* an earlier partner was delivered live */
} s_visit_t;

static int s_push_match(s_matches_t *out, const spatial_window_entry_t *held, double distance_m,
                        int64_t dt_us)
{
    if (out->len == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        spatial_nearrepeat_match_t *grown = realloc(out->items, cap * sizeof *grown);
        if (!grown)
            return WF_ENOMEM;
        out->items = grown;
        out->cap = cap;
    }
    spatial_nearrepeat_match_t *match = &out->items[out->len++];
    memcpy(match->event_id, held->event_id, sizeof match->event_id);
    match->distance_m = distance_m;
    match->dt_s = dt_us / WF_US_PER_SEC;
    match->lon = held->lon;
    match->lat = held->lat;
    return WF_OK;
}

static int s_push_later(spatial_nearrepeat_t *self, const spatial_window_entry_t *held)
{
    if (self->later_len == self->later_cap) {
        size_t cap = self->later_cap ? self->later_cap * 2 : 16;
        spatial_window_entry_t *grown = realloc(self->later, cap * sizeof *grown);
        if (!grown)
            return WF_ENOMEM;
        self->later = grown;
        self->later_cap = cap;
    }
    self->later[self->later_len++] = *held;
    return WF_OK;
}

/* Visitor for spatial_window_visit: keeps earlier candidates that satisfy every pairing rule,
 * and (when asked) the later ones, whose signals the probe revises. */
static int s_consider(void *user, const spatial_window_entry_t *probe,
                      const spatial_window_entry_t *held)
{
    s_visit_t *visit = user;
    spatial_nearrepeat_t *self = visit->self;
    if (held->kind != probe->kind ||
        memcmp(held->record_id, probe->record_id, sizeof held->record_id) == 0)
        return WF_OK; /* other kind, or the same record: itself, a re-delivery, a revision */
    bool earlier = s_precedes(held, probe);
    int64_t dt_us =
        earlier ? probe->occurred_us - held->occurred_us : held->occurred_us - probe->occurred_us;
    if (dt_us > self->window_us)
        return WF_OK;
    double distance = spatial_geo_distance_m(probe->lon, probe->lat, held->lon, held->lat);
    if (!(distance <= self->distance_m))
        return WF_OK;
    if (!earlier)
        return visit->collect_later ? s_push_later(self, held) : WF_OK;
    visit->any_live |= held->live != 0;
    return s_push_match(visit->out, held, distance, dt_us);
}

/* Finds every held event related to probe into out, nearest first; with collect_later, also
 * the held later partners into self->later. *any_live: an earlier partner came live. */
static int s_match(spatial_nearrepeat_t *self, const spatial_window_entry_t *probe,
                   s_matches_t *out, bool collect_later, bool *any_live)
{
    out->len = 0;
    if (collect_later)
        self->later_len = 0;
    s_visit_t visit = {self, out, collect_later, false};
    int rc = spatial_window_visit(self->window, probe, self->distance_m, s_consider, &visit);
    *any_live = visit.any_live;
    if (out->len > 1)
        qsort(out->items, out->len, sizeof *out->items, s_match_cmp);
    return rc;
}

/* Holds probe unless it is the oldest event of a full window. */
static int s_store(spatial_nearrepeat_t *self, const spatial_window_entry_t *probe,
                   spatial_nearrepeat_result_t *result)
{
    spatial_window_t *window = self->window;
    if (spatial_window_held(window) >= self->max_events) {
        self->stats.evicted_cap++;
        if (probe->occurred_us <= spatial_window_oldest_us(window)) {
            result->outcome = SPATIAL_NEARREPEAT_CAPPED;
            return WF_OK;
        }
        spatial_window_evict_oldest(window);
    }
    int rc = spatial_window_insert(window, probe);
    if (rc == WF_OK) {
        self->stats.stored++;
        result->outcome = SPATIAL_NEARREPEAT_STORED;
    }
    return rc;
}

/* Drops the held revision when a newer one changed kind or lost its location or time. */
static void s_withdraw(spatial_nearrepeat_t *self, const spatial_nearrepeat_event_t *event,
                       const spatial_window_entry_t *probe)
{
    uint32_t held = spatial_window_find_record(self->window, probe->record_id);
    if (held == SPATIAL_WINDOW_NONE)
        return;
    const spatial_window_entry_t *entry = spatial_window_entry(self->window, held);
    if (memcmp(entry->event_id, probe->event_id, sizeof entry->event_id) != 0 &&
        event->reported_us >= entry->reported_us) {
        spatial_window_remove(self->window, held);
        self->stats.replaced++;
    }
}

/* Settles a checked event that is neither a re-delivery nor a stale revision: it replaces the
 * held revision of its record (index held), then is held unless it is in the future or late. */
static int s_settle(spatial_nearrepeat_t *self, const spatial_window_entry_t *probe, uint32_t held,
                    bool future, spatial_nearrepeat_result_t *result)
{
    if (held != SPATIAL_WINDOW_NONE) {
        spatial_window_remove(self->window, held);
        self->stats.replaced++;
    }
    int64_t horizon = self->watermark_us - self->window_us - self->lateness_us;
    if (future) {
        result->outcome = SPATIAL_NEARREPEAT_FUTURE;
        self->stats.future++;
        return WF_OK;
    }
    if (probe->occurred_us < horizon) {
        result->outcome = SPATIAL_NEARREPEAT_LATE;
        self->stats.late++;
        return WF_OK;
    }
    return s_store(self, probe, result);
}

int spatial_nearrepeat_add(spatial_nearrepeat_t *self, const spatial_nearrepeat_event_t *event,
                           spatial_nearrepeat_result_t *result)
{
    assert(self && event && event->event_id && result);
    spatial_window_entry_t probe;
    bool usable = s_probe(self, event, &probe);
    result->outcome = SPATIAL_NEARREPEAT_IGNORED;
    result->related = self->matches.items;
    result->related_count = 0;
    result->revised_count = 0;
    result->publish = false;
    self->later_len = 0;
    if (probe.kind == SPATIAL_WINDOW_NONE || !usable) {
        s_withdraw(self, event, &probe);
        if (probe.kind != SPATIAL_WINDOW_NONE) {
            result->outcome = SPATIAL_NEARREPEAT_UNUSABLE;
            self->stats.unusable++;
        }
        return WF_OK;
    }
    bool future = event->arrived_us != 0 && event->arrived_us < S_TIME_LIMIT &&
                  event->occurred_us > event->arrived_us + self->future_tolerance_us;
    if (!future)
        s_advance(self, event->occurred_us); /* before the lookup: evicted records are gone */
    uint32_t held = spatial_window_find_record(self->window, probe.record_id);
    const spatial_window_entry_t *entry =
        held == SPATIAL_WINDOW_NONE ? NULL : spatial_window_entry(self->window, held);
    bool same = entry && memcmp(entry->event_id, probe.event_id, sizeof probe.event_id) == 0;
    bool older = entry && !same && event->reported_us < entry->reported_us;
    bool any_live;
    int rc = s_match(self, &probe, &self->matches, true, &any_live);
    result->related = self->matches.items;
    result->related_count = self->matches.len;
    result->publish = (!event->replay || any_live) && !event->context_only;
    if (rc != WF_OK) {
        self->later_len = 0;
        return rc;
    }
    if (same) { /* its later partners were revised on its first delivery */
        self->later_len = 0;
        if (!event->context_only && entry->context) /* the owner's copy after the context one */
            spatial_window_set_owned(self->window, held);
        result->outcome = SPATIAL_NEARREPEAT_DUPLICATE;
        self->stats.duplicates++;
        return WF_OK;
    }
    if (older) { /* the record's pairs are its held revision's */
        self->later_len = 0;
        result->outcome = SPATIAL_NEARREPEAT_STALE;
        self->stats.stale++;
        return WF_OK;
    }
    if (!future) {
        probe.attrs = spatial_attrs_intern(self->attrs, event->agency, event->district, event->beat,
                                           event->dissemination);
        if (probe.attrs == SPATIAL_ATTRS_NONE)
            self->stats.attrs_full++;
    }
    rc = s_settle(self, &probe, held, future, result);
    if (rc != WF_OK || future) {
        self->later_len = 0; /* a future event is held by nothing, later partners are future */
        return rc;
    }
    self->last = probe;
    self->last_held = result->outcome == SPATIAL_NEARREPEAT_STORED;
    self->stats.late_pairs += self->later_len;
    result->revised_count = self->later_len;
    return WF_OK;
}

int spatial_nearrepeat_revision(spatial_nearrepeat_t *self, size_t index,
                                spatial_nearrepeat_revision_t *revision)
{
    if (index >= self->later_len)
        return WF_EINVAL;
    const spatial_window_entry_t *later = &self->later[index];
    bool any_live;
    int rc = s_match(self, later, &self->revised, false, &any_live);
    if (rc == WF_OK && !self->last_held) { /* not held, so not visited: it is a partner still */
        double distance =
            spatial_geo_distance_m(later->lon, later->lat, self->last.lon, self->last.lat);
        rc = s_push_match(&self->revised, &self->last, distance,
                          later->occurred_us - self->last.occurred_us);
        if (rc == WF_OK && self->revised.len > 1)
            qsort(self->revised.items, self->revised.len, sizeof *self->revised.items, s_match_cmp);
    }
    if (rc != WF_OK)
        return rc;
    spatial_attrs_tuple_t tuple;
    spatial_attrs_get(self->attrs, later->attrs, &tuple);
    revision->event = (spatial_nearrepeat_event_t){
        .event_id = later->event_id,
        .agency = tuple.agency,
        .kind = self->kinds[later->kind],
        .occurred_us = later->occurred_us,
        .reported_us = later->reported_us,
        .has_location = true,
        .lon = later->lon,
        .lat = later->lat,
        .district = tuple.district,
        .beat = tuple.beat,
        .dissemination = tuple.dissemination,
    };
    revision->related = self->revised.items;
    revision->related_count = self->revised.len;
    /* the added event is the news: new if it came live, or if the revised one did */
    revision->publish = (self->last.live || later->live) && !later->context;
    return WF_OK;
}

int64_t spatial_nearrepeat_watermark(const spatial_nearrepeat_t *self)
{
    return self->has_watermark ? self->watermark_us : 0;
}

void spatial_nearrepeat_stats(const spatial_nearrepeat_t *self, spatial_nearrepeat_stats_t *stats)
{
    *stats = self->stats;
    stats->held = spatial_window_held(self->window);
    stats->bytes = sizeof *self + spatial_window_bytes(self->window) +
                   spatial_attrs_bytes(self->attrs) +
                   (self->matches.cap + self->revised.cap) * sizeof *self->matches.items +
                   self->later_cap * sizeof *self->later;
}
