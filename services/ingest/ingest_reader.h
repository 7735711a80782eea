/* ingest_reader.h — frames a source file into raw records, with bounded memory.
 *
 * The first stage of ingest: a file (plain, xz-compressed — recognised by its magic bytes — or
 * stdin "-") is read in chunks and cut into records: one per line, or several lines when the
 * format says the record is not complete yet (a CSV quoted field holding newlines). Each record
 * carries the line number of its first line and its exact bytes (without the final newline), so
 * a dead letter can point at it and keep it.
 *
 * Bad framing is data, not an error:
 *  - a record longer than max_record_bytes is never buffered whole: a prefix is kept, the rest
 *    of its line skipped, and it is yielded as reject record_too_long with its true length;
 *  - a multi-line record that is still open at the end of the file or at max_record_bytes (an
 *    unclosed quote) is given up: its first line is yielded alone with unterminated set, and
 *    reading resumes with the next line, so one stray quote cannot swallow the rest of a file;
 *  - an empty file yields one reject empty_file.
 * Blank lines between records carry no data and are skipped (and counted). A UTF-8 byte order
 * mark at the start of the file is dropped.
 *
 * Thread: a reader belongs to one thread.
 */
#ifndef INGEST_READER_H
#define INGEST_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One framed record. raw stays valid until the next ingest_reader_next() or destroy. */
typedef struct {
    const char *raw;     /* record bytes without the final newline (a prefix when too long) */
    size_t len;          /* bytes at raw */
    uint64_t raw_length; /* true length of the record in the file */
    int64_t line;        /* line number of its first line (1-based); 0 for empty_file */
    const char *reject;  /* NULL, INGEST_R_RECORD_TOO_LONG or INGEST_R_EMPTY_FILE */
    bool unterminated;   /* a quoted field was still open when reading gave the record up */
} ingest_raw_t;

/* Decides whether the lines seen so far form a whole record. Called once per physical line, in
 * order, with the line's bytes (no newline); first is true for a record's first line, where the
 * callee resets its state. NULL means every line is a record (NDJSON). */
typedef bool (*ingest_reader_complete_fn)(void *user, const char *line, size_t len, bool first);

typedef struct ingest_reader_t ingest_reader_t;

/* Opens path ("-" for stdin). complete/user frame multi-line records (may be NULL). Returns
 * NULL and a reason in errbuf when the file cannot be opened. */
ingest_reader_t *ingest_reader_new(const char *path, size_t max_record_bytes,
                                   ingest_reader_complete_fn complete, void *user, char *errbuf,
                                   size_t errlen);

/* Closes the file (not stdin). NULL-safe; sets *self_p to NULL. */
void ingest_reader_destroy(ingest_reader_t **self_p);

/* Frames the next record into *raw. Waits at most timeout_ms for input that is not there yet
 * (pipes; -1: wait as long as it takes). Returns 1 with a record, 0 at the end of the file,
 * WF_EAGAIN when no complete record arrived in time (or a signal interrupted the wait), or
 * WF_EIO / WF_EPARSE (corrupt xz data) with a reason in ingest_reader_error(); after an error
 * the file is finished. */
int ingest_reader_next(ingest_reader_t *self, ingest_raw_t *raw, int timeout_ms);

/* Takes back all but the first line of the multi-line record just returned: they are framed
 * again as new records by the next calls. For a record that turned out not to be one (a stray
 * quote opened a field that a later line closed), so that the lines after it are not lost with
 * it. Returns the length of the first line (the record's raw shrinks to it; raw stays valid), or
 * 0 when the last record was not a multi-line one. Only valid before the next
 * ingest_reader_next(). */
size_t ingest_reader_resync(ingest_reader_t *self);

/* Reason of the last WF_EIO/WF_EPARSE. */
const char *ingest_reader_error(const ingest_reader_t *self);

/* The line the reader has reached (the next record's first line, roughly). */
int64_t ingest_reader_line(const ingest_reader_t *self);

/* Blank lines skipped so far. */
uint64_t ingest_reader_blank_lines(const ingest_reader_t *self);

/* Bytes the reader's buffer holds now (memory bound: about max_record_bytes + 2 chunks). */
size_t ingest_reader_buffer_size(const ingest_reader_t *self);

/* True when the input was xz-compressed. */
bool ingest_reader_is_xz(const ingest_reader_t *self);

#endif
