/* ingest_arena.h — bump allocator that owns every string of a batch of normalised events.
 *
 * Parsing and mapping a record allocates many small strings (field values, attribute names,
 * the event and its location). Rather than malloc/free per string, everything that one batch
 * of records produces is taken from one arena and released at once when the batch has been
 * published (STYLE.md 3.3, nginx pools). An event built by ingest_map therefore lives exactly
 * as long as the arena it was built in: never free its parts, reset or destroy the arena.
 *
 * Thread: an arena belongs to one thread.
 */
#ifndef INGEST_ARENA_H
#define INGEST_ARENA_H

#include <stddef.h>

typedef struct ingest_arena_t ingest_arena_t;

/* An empty arena that grows in chunks of chunk_size bytes (0: 64 KiB). NULL when out of memory. */
ingest_arena_t *ingest_arena_new(size_t chunk_size);

/* Frees every chunk. NULL-safe; sets *self_p to NULL. */
void ingest_arena_destroy(ingest_arena_t **self_p);

/* size zeroed bytes aligned for any type, valid until reset/destroy. NULL when out of memory. */
void *ingest_arena_alloc(ingest_arena_t *self, size_t size);

/* A NUL-terminated copy of len bytes of text (which may hold no NUL). NULL when out of memory. */
char *ingest_arena_strndup(ingest_arena_t *self, const char *text, size_t len);

/* A copy of the NUL-terminated text. NULL when out of memory. */
char *ingest_arena_strdup(ingest_arena_t *self, const char *text);

/* printf into the arena. NULL when out of memory. */
char *ingest_arena_printf(ingest_arena_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Releases everything allocated so far at once; keeps one chunk for reuse. Every pointer handed
 * out before is invalid afterwards. */
void ingest_arena_reset(ingest_arena_t *self);

/* A point to roll back to: what was allocated after it can be released alone. */
typedef struct {
    void *chunk;       /* newest chunk at the time of the mark */
    size_t chunk_used; /* its fill */
    size_t used;       /* the arena's total */
} ingest_arena_mark_t;

/* The current position. */
ingest_arena_mark_t ingest_arena_mark(const ingest_arena_t *self);

/* Releases everything allocated after mark (taken from this arena since its last reset), e.g.
 * the row of a record that turned out to be rejected while earlier events must stay. */
void ingest_arena_rollback(ingest_arena_t *self, ingest_arena_mark_t mark);

/* Bytes handed out since the last reset (for stats and tests). */
size_t ingest_arena_used(const ingest_arena_t *self);

#endif
