/* ingest_csv.h — CSV records → rows, through a mapping profile (libcsv, strict mode).
 *
 * One parser per profile, reused file after file. For each file the header record (when the
 * profile says there is one) binds the profile's column references to column numbers; every
 * later record is split into fields (RFC 4180 quoting, libcsv CSV_STRICT | CSV_STRICT_FINI),
 * checked (field count against the header, UTF-8) and turned into an ingest_row_t: the mapped
 * fields' text, and the other columns as attributes in source order (empty values skipped;
 * a second column of the same name becomes "name#2", an empty header name "column_N").
 * Rejects: bad_quoting, field_count, invalid_utf8, header_mismatch (the header does not fit the
 * profile: every record of that file is rejected with it, so none vanishes).
 *
 * The parser also frames records for the reader: ingest_csv_line_complete() tells whether a
 * quoted field is still open at the end of a line.
 *
 * Thread: a parser belongs to one thread.
 */
#ifndef INGEST_CSV_H
#define INGEST_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest_arena.h"
#include "ingest_profile.h"
#include "ingest_record.h"

typedef struct ingest_csv_t ingest_csv_t;

/* A parser for profile (borrowed; must outlive the parser). NULL when out of memory. */
ingest_csv_t *ingest_csv_new(const ingest_profile_t *profile);

/* NULL-safe; sets *self_p to NULL. */
void ingest_csv_destroy(ingest_csv_t **self_p);

/* Starts a new file: the next record is its header (if the profile has one). */
void ingest_csv_reset(ingest_csv_t *self);

/* True until the current file's header record has been given to ingest_csv_header(). */
bool ingest_csv_needs_header(const ingest_csv_t *self);

/* Reads the header record and binds the profile to it. Returns 0, or WF_EPARSE with reject
 * (the header's own parse error, or header_mismatch naming the profile line and column). */
int ingest_csv_header(ingest_csv_t *self, const char *raw, size_t len, ingest_reject_t *reject);

/* Parses one data record into row; strings are copied into arena. Returns 0, WF_EPARSE with
 * reject, or WF_ENOMEM. */
int ingest_csv_parse(ingest_csv_t *self, const char *raw, size_t len, ingest_arena_t *arena,
                     ingest_row_t *row, ingest_reject_t *reject);

/* Columns of the current file (after its header or first record); 0 before. */
size_t ingest_csv_column_count(const ingest_csv_t *self);

/* ingest_reader_complete_fn for this parser (user is the ingest_csv_t): false while a quoted
 * field is open at the end of line. */
bool ingest_csv_line_complete(void *user, const char *line, size_t len, bool first);

#endif
