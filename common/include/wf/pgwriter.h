/* pgwriter.h — batched, idempotent writes to PostGIS with COPY.
 *
 * Rows are appended in COPY text format to a buffer; flush() runs, in one transaction:
 * COPY into a session temp staging table, optional preparation (e.g. creating missing monthly
 * partitions), and an INSERT … SELECT … ON CONFLICT DO NOTHING into the real table. Because every
 * target table is keyed (event id, alert id …), replaying rows is harmless and a failed flush
 * can simply be retried: rows stay buffered until a flush commits. The SQL comes from the
 * caller's spec as constants; no statement is ever built from input text.
 *
 * Thread: a writer belongs to one thread (it owns one libpq connection).
 */
#ifndef WF_PGWRITER_H
#define WF_PGWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;        /* for logs and stats: "events", "dead_letters" … */
    const char *stage_sql;   /* CREATE TEMP TABLE IF NOT EXISTS … ON COMMIT DELETE ROWS */
    const char *copy_sql;    /* COPY <stage> (…) FROM STDIN */
    const char *prepare_sql; /* optional, after COPY, before merge; NULL for none */
    const char *merge_sql;   /* INSERT INTO … SELECT … FROM <stage> ON CONFLICT DO NOTHING */
} wf_pgwriter_spec_t;

typedef struct wf_pgwriter_t wf_pgwriter_t;

/* Called for a row PostgreSQL refused as data (SQLSTATE class 22 data exception or 23 integrity
 * violation): the row is taken out of the batch so one bad row can neither stall the pipeline
 * nor vanish; the caller dead-letters it. row is the COPY text of the row (borrowed). */
typedef void (*wf_pgwriter_reject_fn)(void *user, const char *row, size_t len, const char *sqlstate,
                                      const char *message);

/* Connects with conninfo (libpq syntax). spec is borrowed and must outlive the writer.
 * Returns NULL and a reason in errbuf when the database cannot be reached. */
wf_pgwriter_t *wf_pgwriter_new(const char *conninfo, const wf_pgwriter_spec_t *spec, char *errbuf,
                               size_t errlen);
void wf_pgwriter_destroy(wf_pgwriter_t **self_p);

/* Installs the handler for refused rows (default: log them at error level and count them). */
void wf_pgwriter_set_reject_handler(wf_pgwriter_t *self, wf_pgwriter_reject_fn fn, void *user);

/* Row building: begin, one put per column in COPY column order, end. row_begin discards a row
 * that was begun and never ended. */
void wf_pgwriter_row_begin(wf_pgwriter_t *self);
void wf_pgwriter_put_null(wf_pgwriter_t *self);
void wf_pgwriter_put_text(wf_pgwriter_t *self, const char *text); /* NULL → SQL NULL */
void wf_pgwriter_put_textn(wf_pgwriter_t *self, const char *text, size_t len);
void wf_pgwriter_put_int64(wf_pgwriter_t *self, int64_t value);
void wf_pgwriter_put_double(wf_pgwriter_t *self, double value);
void wf_pgwriter_put_bool(wf_pgwriter_t *self, bool value);
void wf_pgwriter_put_uuid(wf_pgwriter_t *self, const uint8_t bytes[16]);
/* µs since the epoch as timestamptz; 0 → NULL. */
void wf_pgwriter_put_timestamp_us(wf_pgwriter_t *self, int64_t us);
void wf_pgwriter_put_bytea(wf_pgwriter_t *self, const uint8_t *data, size_t len);
/* A WGS84 point as EWKT "SRID=4326;POINT(lon lat)". */
void wf_pgwriter_put_point(wf_pgwriter_t *self, double lon, double lat);
/* text[] from count strings. */
void wf_pgwriter_put_text_array(wf_pgwriter_t *self, const char *const *items, size_t count);
/* uuid[] from count 16-byte ids. */
void wf_pgwriter_put_uuid_array(wf_pgwriter_t *self, const uint8_t *const *ids, size_t count);
void wf_pgwriter_row_end(wf_pgwriter_t *self);

/* Rows appended and not yet committed. */
size_t wf_pgwriter_pending(const wf_pgwriter_t *self);

/* Writes every pending row in one transaction. On success returns 0, sets *inserted to the rows
 * that were new (the rest already existed or were refused as data, see the reject handler) and
 * empties the buffer. When the database is unreachable or the failure is not about the data,
 * returns WF_EIO, keeps the rows, logs once, and reconnects on the next call. inserted may be
 * NULL. */
int wf_pgwriter_flush(wf_pgwriter_t *self, uint64_t *inserted);

/* The writer's connection, for the few one-off queries a service makes at start (boundary
 * loading). Borrowed. Type is PGconn * (void here so services need not include libpq). */
void *wf_pgwriter_connection(wf_pgwriter_t *self);

#endif
