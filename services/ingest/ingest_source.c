/* ingest_source.c — reader → parser → mapper for one file, one item per record.
 *
 * The one place that knows how the stages fit: which parser frames CSV records, when the header
 * is read, and that a CSV record spanning lines whose quoting turns out to be broken was a
 * stray quote rather than a record, so its later lines are given back to the reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "ingest_csv.h"
#include "ingest_ndjson.h"
#include "ingest_reader.h"
#include "ingest_source.h"

struct ingest_source_t {
    const ingest_profile_t *profile; /* borrowed */
    ingest_map_t *map;               /* borrowed */
    ingest_reader_t *reader;         /* the file */
    ingest_csv_t *csv;               /* CSV parser (format csv) */
    ingest_ndjson_t *ndjson;         /* NDJSON parser (format ndjson) */
    size_t max_record_bytes;         /* for messages */
    char name[256];                  /* basename for positions */
    bool done;                       /* no more items */
};

ingest_source_t *ingest_source_new(const ingest_profile_t *profile, ingest_map_t *map,
                                   const char *path, size_t max_record_bytes, char *errbuf,
                                   size_t errlen)
{
    ingest_source_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->profile = profile;
    self->map = map;
    self->max_record_bytes = max_record_bytes;
    const char *slash = strrchr(path, '/');
    snprintf(self->name, sizeof self->name, "%s",
             strcmp(path, "-") == 0 ? "stdin"
             : slash                ? slash + 1
                                    : path);
    bool csv = profile->format == INGEST_FORMAT_CSV;
    if (csv ? !(self->csv = ingest_csv_new(profile))
            : !(self->ndjson = ingest_ndjson_new(profile))) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    self->reader = ingest_reader_new(path, max_record_bytes, csv ? ingest_csv_line_complete : NULL,
                                     self->csv, errbuf, errlen);
    if (!self->reader)
        goto fail;
    return self;
fail:
    ingest_source_destroy(&self);
    return NULL;
}

void ingest_source_destroy(ingest_source_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_source_t *self = *self_p;
    ingest_reader_destroy(&self->reader);
    ingest_csv_destroy(&self->csv);
    ingest_ndjson_destroy(&self->ndjson);
    free(self);
    *self_p = NULL;
}

const char *ingest_source_name(const ingest_source_t *self)
{
    return self->name;
}

static void s_item_start(ingest_source_t *self, ingest_item_t *item, const ingest_raw_t *raw)
{
    memset(item, 0, sizeof *item);
    item->raw = raw->raw;
    item->raw_len = raw->len;
    item->raw_length = raw->raw_length;
    item->line = raw->line;
    snprintf(item->position, sizeof item->position, "%s:%lld", self->name, (long long)raw->line);
}

/* The reader gave up: a framing reject (too long, empty file). */
static void s_framing_reject(ingest_source_t *self, const ingest_raw_t *raw, ingest_item_t *item)
{
    if (strcmp(raw->reject, INGEST_R_EMPTY_FILE) == 0)
        ingest_reject_set(&item->reject, INGEST_R_EMPTY_FILE, NULL, "the file holds no records");
    else
        ingest_reject_set(&item->reject, raw->reject, NULL,
                          "record of %llu bytes is longer than ingest.max_record_bytes (%zu)",
                          (unsigned long long)raw->raw_length, self->max_record_bytes);
}

/* A parse reject of a record spanning lines because of a broken quote: keep only its first line
 * in this reject and read the others again. */
static void s_maybe_resync(ingest_source_t *self, ingest_item_t *item)
{
    if (!item->reject.code || strcmp(item->reject.code, INGEST_R_BAD_QUOTING) != 0)
        return;
    size_t first = ingest_reader_resync(self->reader);
    if (first) {
        item->raw_len = item->raw_length = first;
        ingest_reject_set(&item->reject, INGEST_R_BAD_QUOTING, NULL,
                          "a quoted field opened on this line is not closed properly on the "
                          "lines after it; those lines are read again as records");
    }
}

/* Parses one framed record: 1 with an item, 0 when it was the header, or WF_ENOMEM. */
static int s_record(ingest_source_t *self, const ingest_raw_t *raw, ingest_arena_t *arena,
                    int64_t now_us, ingest_item_t *item)
{
    ingest_row_t row;
    int rc;
    if (self->csv && ingest_csv_needs_header(self->csv)) {
        rc = ingest_csv_header(self->csv, raw->raw, raw->len, &item->reject);
        if (rc == WF_OK || rc == WF_ENOMEM)
            return rc;
        s_maybe_resync(self, item);
        return 1;
    }
    if (self->csv)
        rc = ingest_csv_parse(self->csv, raw->raw, raw->len, arena, &row, &item->reject);
    else
        rc = ingest_ndjson_parse(self->ndjson, raw->raw, raw->len, arena, &row, &item->reject);
    if (rc == WF_ENOMEM)
        return rc;
    if (rc) {
        s_maybe_resync(self, item);
        return 1;
    }
    rc = ingest_map_event(self->map, &row, item->position, now_us, arena, &item->event,
                          &item->reject);
    return rc == WF_ENOMEM ? rc : 1;
}

int ingest_source_next(ingest_source_t *self, ingest_arena_t *arena, int64_t now_us, int timeout_ms,
                       ingest_item_t *item)
{
    for (;;) {
        if (self->done)
            return 0;
        ingest_raw_t raw;
        int rc = ingest_reader_next(self->reader, &raw, timeout_ms);
        if (rc == 0 || rc == WF_EAGAIN)
            return rc;
        if (rc < 0) {
            raw = (ingest_raw_t){.raw = "", .line = ingest_reader_line(self->reader)};
            s_item_start(self, item, &raw);
            ingest_reject_set(&item->reject, INGEST_R_READ_ERROR, NULL,
                              "reading stopped at line %lld: %s", (long long)raw.line,
                              ingest_reader_error(self->reader));
            self->done = true;
            return 1;
        }
        s_item_start(self, item, &raw);
        if (raw.reject) {
            s_framing_reject(self, &raw, item);
            return 1;
        }
        if ((rc = s_record(self, &raw, arena, now_us, item)) != 0)
            return rc;
    }
}
