/* spatial_window.h — the store behind near-repeat detection: held events and their indexes.
 *
 * A pool of fixed-size entries with three indexes: a spatial hash grid (cells of a fixed side
 * in metres, spatial_geo.h), a table from source record to its held entry, and a min-heap on
 * occurrence time for eviction. It knows nothing about pairing rules; spatial_nearrepeat.c
 * decides what is held and what is related.
 *
 * Thread: one thread. Pure: no I/O.
 */
#ifndef SPATIAL_WINDOW_H
#define SPATIAL_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#define SPATIAL_WINDOW_NONE UINT32_MAX /* no entry / no kind */

/* One held event (96 bytes). */
typedef struct {
    uint8_t event_id[16];  /* the event (revision) held */
    uint8_t record_id[16]; /* digest of (agency, source_record_id): one held entry per record */
    int64_t occurred_us;   /* event time: heap key */
    int64_t reported_us;   /* orders revisions */
    double lon, lat;       /* WGS84 degrees */
    int32_t row, col;      /* grid cell */
    uint32_t kind;         /* index into the detector's kinds */
    uint32_t prev, next;   /* neighbours in the cell's chain; next also chains free entries */
    uint32_t heap_pos;     /* where the entry sits in the time heap */
    uint32_t attrs;        /* agency, district, beat (spatial_attrs.h) for revised signals */
    uint8_t live;          /* delivered live to this process (not replayed to rebuild state) */
    uint8_t context;       /* a neighbouring partition's event, held only to pair with ours */
} spatial_window_entry_t;

typedef struct spatial_window_t spatial_window_t;

/* Called for each held entry in the cells around probe; a non-zero return stops the visit and
 * is returned by spatial_window_visit. */
typedef int (*spatial_window_visit_fn)(void *user, const spatial_window_entry_t *probe,
                                       const spatial_window_entry_t *held);

/* A window with grid cells cell_m on a side holding at most max_events (< SPATIAL_WINDOW_NONE).
 * Returns NULL when memory is short. */
spatial_window_t *spatial_window_new(double cell_m, size_t max_events);

/* NULL-safe; sets *self_p to NULL. */
void spatial_window_destroy(spatial_window_t **self_p);

/* Number of held entries. */
size_t spatial_window_held(const spatial_window_t *self);

/* Occurrence time of the oldest held entry; INT64_MAX when empty. */
int64_t spatial_window_oldest_us(const spatial_window_t *self);

/* Copies probe (its grid cell is computed here) into the window. The caller keeps one entry
 * per record and stays under max_events. Returns 0 or WF_ENOMEM (nothing changed). */
int spatial_window_insert(spatial_window_t *self, const spatial_window_entry_t *probe);

/* Removes the entry at index. */
void spatial_window_remove(spatial_window_t *self, uint32_t index);

/* Removes every entry that occurred before horizon_us; returns how many. */
uint64_t spatial_window_evict_before(spatial_window_t *self, int64_t horizon_us);

/* Removes the oldest entry (the window must not be empty). */
void spatial_window_evict_oldest(spatial_window_t *self);

/* Index of the entry held for record_id, or SPATIAL_WINDOW_NONE. */
uint32_t spatial_window_find_record(const spatial_window_t *self, const uint8_t record_id[16]);

/* Marks the entry at index as this consumer's own event, no longer context. */
void spatial_window_set_owned(spatial_window_t *self, uint32_t index);

/* The entry at index (borrowed until the window changes). */
const spatial_window_entry_t *spatial_window_entry(const spatial_window_t *self, uint32_t index);

/* Calls fn for every entry in the cells that can hold a point within distance_m of probe
 * (a superset: fn applies the exact test). Crosses the antimeridian and the poles. */
int spatial_window_visit(const spatial_window_t *self, const spatial_window_entry_t *probe,
                         double distance_m, spatial_window_visit_fn fn, void *user);

/* Bytes allocated. */
size_t spatial_window_bytes(const spatial_window_t *self);

#endif
