/* ingest_record.h — what the ingest parsers hand each other: rejects, Watchfloor fields, rows.
 *
 * A source record passes three stages: the reader frames it (raw bytes + line), a format parser
 * (CSV or NDJSON) turns it into an ingest_row_t — the source text of every Watchfloor field the
 * profile maps, plus the unmapped columns as attributes — and ingest_map turns the row into a
 * normalised event. Any stage may instead fill an ingest_reject_t: bad input is data, and the
 * reject becomes a dead letter (reason code, field, message) in the glue.
 */
#ifndef INGEST_RECORD_H
#define INGEST_RECORD_H

#include <stddef.h>

#include <wf/watchfloor.pb-c.h>

/* Stable reason codes of ingest dead letters (documented in deploy/profiles/README.md). */
#define INGEST_R_EMPTY_FILE           "empty_file"
#define INGEST_R_READ_ERROR           "read_error"
#define INGEST_R_RECORD_TOO_LONG      "record_too_long"
#define INGEST_R_BAD_QUOTING          "bad_quoting"
#define INGEST_R_FIELD_COUNT          "field_count"
#define INGEST_R_INVALID_UTF8         "invalid_utf8"
#define INGEST_R_HEADER_MISMATCH      "header_mismatch"
#define INGEST_R_BAD_JSON             "bad_json"
#define INGEST_R_NOT_AN_OBJECT        "not_an_object"
#define INGEST_R_MISSING_FIELD        "missing_field"
#define INGEST_R_BAD_TIME             "bad_time"
#define INGEST_R_TIME_OUT_OF_RANGE    "time_out_of_range"
#define INGEST_R_BAD_COORDINATES      "bad_coordinates"
#define INGEST_R_OUTSIDE_JURISDICTION "outside_jurisdiction"
#define INGEST_R_BAD_PRIORITY         "bad_priority"

/* Why a record was not accepted. */
typedef struct {
    const char *code;  /* one of INGEST_R_* (static); NULL while nothing was rejected */
    char field[64];    /* Watchfloor field or source column at fault; "" for the whole record */
    char message[256]; /* human explanation naming the offending value */
} ingest_reject_t;

/* Fills reject (code must be static storage; field may be NULL). Bytes of field and message
 * that are not valid UTF-8 (quoted input, a character cut by truncation) become '?'. */
void ingest_reject_set(ingest_reject_t *reject, const char *code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The Watchfloor fields a profile can map, in NormalizedEvent terms. */
typedef enum {
    INGEST_FIELD_RECORD_ID,   /* required: the source's own record id */
    INGEST_FIELD_REVISION,    /* source revision (a time is normalised to UTC µs text) */
    INGEST_FIELD_OCCURRED_AT, /* required */
    INGEST_FIELD_REPORTED_AT,
    INGEST_FIELD_INCIDENT_NUMBER,
    INGEST_FIELD_OFFENSE_CODE, /* verbatim text, never a number */
    INGEST_FIELD_OFFENSE_TEXT,
    INGEST_FIELD_ADDRESS,
    INGEST_FIELD_LOCATION_TYPE,
    INGEST_FIELD_DISTRICT, /* verbatim ("007") */
    INGEST_FIELD_BEAT,     /* verbatim ("0713") */
    INGEST_FIELD_PRIORITY,
    INGEST_FIELD_X, /* location.x: easting or longitude */
    INGEST_FIELD_Y, /* location.y: northing or latitude */
    INGEST_FIELD_COUNT
} ingest_field_t;

/* Profile name of a field ("record_id", "location.x"). */
const char *ingest_field_name(ingest_field_t field);

/* The field called name in a profile's fields: section, or -1. location.x/y are not listed
 * there (they come from the location: section) and are not found. */
int ingest_field_lookup(const char *name);

/* One source record as text, before interpretation. Every pointer is owned by the arena the
 * parser was given (see ingest_arena.h). */
typedef struct {
    const char *value[INGEST_FIELD_COUNT]; /* source text per field; "" when not mapped/absent */
    Wf__Attribute **attributes;            /* unmapped columns, in source order */
    size_t attribute_count;                /* entries in attributes */
} ingest_row_t;

/* Sets every value to "" and clears the attributes. */
void ingest_row_init(ingest_row_t *row);

/* Length of the longest valid UTF-8 prefix of text[0..len): len when all of it is valid.
 * NUL bytes, overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t ingest_utf8_valid_prefix(const char *text, size_t len);

#endif
