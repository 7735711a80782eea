/* fuzz_ingest.h — shared part of the ingest fuzz harnesses (CSV and NDJSON).
 *
 * Each harness runs the whole pure chain of wf-ingest — reader (framing), parser, mapper — over
 * the input as if it were a file read through a shipped Chicago profile, and checks the
 * invariants every input must keep: each record comes out as exactly one item, an event or a
 * reject with a reason code, a message and valid UTF-8 texts, and raw bytes that are never
 * longer than the configured limit. A crash, a sanitizer report or a broken invariant is a bug.
 */
#ifndef FUZZ_INGEST_H
#define FUZZ_INGEST_H

#include <stddef.h>
#include <stdint.h>

/* Runs data through profile (a path under deploy/profiles/). Returns 0. */
int fuzz_ingest_run(const char *profile, const uint8_t *data, size_t size);

#endif
