/* spatial_attrs.h — the descriptive fields of held events, interned.
 *
 * A held event may have to be described again long after its message is gone: when an earlier
 * event of a pair arrives after the later one, the later event's signal is revised, and a signal
 * names the event's agency, district, beat and dissemination. Keeping those strings per held
 * event would multiply the window's memory; their combinations are few (agencies × beats), so
 * each distinct tuple is stored once and held events keep a 32-bit index.
 *
 * The table only grows, up to a cap on distinct tuples; past the cap a tuple gets no index and
 * its event's revised signals carry no agency, district or beat (counted by the caller).
 *
 * Thread: one thread. Pure: no I/O.
 */
#ifndef SPATIAL_ATTRS_H
#define SPATIAL_ATTRS_H

#include <stddef.h>
#include <stdint.h>

#define SPATIAL_ATTRS_NONE UINT32_MAX /* no tuple */

typedef struct spatial_attrs_t spatial_attrs_t;

/* One tuple; strings are never NULL ("" when absent). */
typedef struct {
    const char *agency;
    const char *district;
    const char *beat;
    int dissemination; /* Wf__Dissemination value */
} spatial_attrs_tuple_t;

/* A table holding at most max_tuples distinct tuples (>= 1). NULL when memory is short. */
spatial_attrs_t *spatial_attrs_new(size_t max_tuples);

/* NULL-safe; sets *self_p to NULL. */
void spatial_attrs_destroy(spatial_attrs_t **self_p);

/* The index of the tuple (NULL strings read as ""), adding it when new; SPATIAL_ATTRS_NONE when
 * the table is full or memory is short. */
uint32_t spatial_attrs_intern(spatial_attrs_t *self, const char *agency, const char *district,
                              const char *beat, int dissemination);

/* Fills *tuple with the tuple at index (strings owned by the table); an empty tuple for
 * SPATIAL_ATTRS_NONE or an index never handed out. */
void spatial_attrs_get(const spatial_attrs_t *self, uint32_t index, spatial_attrs_tuple_t *tuple);

/* Distinct tuples held; bytes allocated. */
size_t spatial_attrs_count(const spatial_attrs_t *self);
size_t spatial_attrs_bytes(const spatial_attrs_t *self);

#endif
