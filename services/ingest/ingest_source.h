/* ingest_source.h — one input file read through one profile: records → events or rejects.
 *
 * Chains the pure stages for one file — reader (framing), CSV or NDJSON parser, mapper — so
 * that every record of the file comes out as exactly one item: an accepted event or a reject
 * carrying the raw bytes, line and position a dead letter needs. The CSV header is consumed
 * here (an unusable header is itself one reject item, and every record after it a
 * header_mismatch item). A read error mid-file (disk, corrupt xz) becomes a read_error item and
 * ends the file. The glue (ingest_service.c) only publishes and persists items.
 *
 * Thread: a source belongs to one thread.
 */
#ifndef INGEST_SOURCE_H
#define INGEST_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include <wf/watchfloor.pb-c.h>

#include "ingest_arena.h"
#include "ingest_map.h"
#include "ingest_profile.h"
#include "ingest_record.h"

#define INGEST_POSITION_LEN 288

/* One record's outcome. */
typedef struct {
    Wf__NormalizedEvent *event;         /* accepted (allocated in the caller's arena), or NULL */
    ingest_reject_t reject;             /* why not, when event is NULL */
    const char *raw;                    /* record bytes (a prefix when too long); borrowed */
    size_t raw_len;                     /* bytes at raw */
    uint64_t raw_length;                /* true length of the record */
    int64_t line;                       /* its first line; 0 when about the whole file */
    char position[INGEST_POSITION_LEN]; /* "<file basename>:<line>" */
} ingest_item_t;

typedef struct ingest_source_t ingest_source_t;

/* Opens path ("-": stdin) for profile; map is the profile's mapper. Both are borrowed and must
 * outlive the source. Returns NULL and a reason in errbuf when the file cannot be opened. */
ingest_source_t *ingest_source_new(const ingest_profile_t *profile, ingest_map_t *map,
                                   const char *path, size_t max_record_bytes, char *errbuf,
                                   size_t errlen);

/* Closes the file. NULL-safe; sets *self_p to NULL. */
void ingest_source_destroy(ingest_source_t **self_p);

/* The next record's outcome into *item; an event's strings go into arena, item->raw stays
 * valid until the next call. now_us bounds future times. Waits at most timeout_ms for input
 * (pipes). Returns 1 with an item, 0 when the file is done, WF_EAGAIN when nothing arrived in
 * time, or WF_ENOMEM. */
int ingest_source_next(ingest_source_t *self, ingest_arena_t *arena, int64_t now_us, int timeout_ms,
                       ingest_item_t *item);

/* The name positions use: the file's basename, or "stdin". */
const char *ingest_source_name(const ingest_source_t *self);

#endif
