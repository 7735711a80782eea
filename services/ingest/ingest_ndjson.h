/* ingest_ndjson.h — NDJSON records (one JSON object per line) → rows (jansson).
 *
 * The NDJSON counterpart of ingest_csv: the profile's column references are dotted paths into
 * the object ("location.latitude", "coordinates.0" indexes an array). A missing path or a JSON
 * null is an empty value — API exports simply omit empty fields. Numbers and booleans are
 * rendered as text (integers exactly, reals in their shortest round-trip form, true/false);
 * objects and arrays as compact JSON. Top-level keys that no reference starts with (and that
 * the profile does not ignore) become attributes in the object's order, empty values skipped.
 * Rejects: invalid_utf8, bad_json (jansson's position and reason; duplicate keys included),
 * not_an_object.
 *
 * Thread: a parser belongs to one thread.
 */
#ifndef INGEST_NDJSON_H
#define INGEST_NDJSON_H

#include <stddef.h>

#include "ingest_arena.h"
#include "ingest_profile.h"
#include "ingest_record.h"

typedef struct ingest_ndjson_t ingest_ndjson_t;

/* A parser for profile (borrowed; must outlive the parser). NULL when out of memory. */
ingest_ndjson_t *ingest_ndjson_new(const ingest_profile_t *profile);

/* NULL-safe; sets *self_p to NULL. */
void ingest_ndjson_destroy(ingest_ndjson_t **self_p);

/* Parses one line into row; strings are copied into arena. Returns 0, WF_EPARSE with reject,
 * or WF_ENOMEM. */
int ingest_ndjson_parse(ingest_ndjson_t *self, const char *raw, size_t len, ingest_arena_t *arena,
                        ingest_row_t *row, ingest_reject_t *reject);

#endif
