/* ingest_profile.h — a mapping profile: which source column is which Watchfloor field.
 *
 * A feed integrator connects a source by writing a YAML profile, not code
 * (deploy/profiles/README.md documents the format with a commented example). The profile names
 * the feed, its agency, format and dissemination level, maps Watchfloor fields to column
 * references, says how to read times and coordinates, and lists the kind rules (matched by
 * ingest_kinds.h). Loading validates all of it and reports the first problem as
 * "file:line: reason".
 *
 * A loaded profile is a read-only description; its strings live as long as the profile.
 */
#ifndef INGEST_PROFILE_H
#define INGEST_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "ingest_arena.h"
#include "ingest_record.h"

typedef enum {
    INGEST_FORMAT_CSV,
    INGEST_FORMAT_NDJSON,
} ingest_format_t;

/* A column reference. CSV: "Name" (unique header name), "Name#N" (Nth column so named,
 * 1-based), "Name#-1" (the last one), "#N" (Nth column). NDJSON: a dotted path ("a.b.0"). */
typedef struct {
    const char *name; /* header name or dotted path; NULL for "#N" */
    int occurrence;   /* Name#N: N; -1: the last; 0: the name must be unique */
    int position;     /* "#N": N (1-based); 0 when name is set */
    int line;         /* profile line, for messages */
} ingest_colref_t;

/* The columns a field is read from; several are joined with " / " (empty ones skipped). */
typedef struct {
    ingest_colref_t *refs; /* NULL when the field is not mapped */
    size_t count;          /* references */
} ingest_fieldmap_t;

/* Kind rules may also test the profile's agency and source. */
#define INGEST_MATCH_AGENCY INGEST_FIELD_COUNT
#define INGEST_MATCH_SOURCE (INGEST_FIELD_COUNT + 1)

/* One condition of a kind rule: field matches any of the fnmatch(3) patterns. */
typedef struct {
    int field;                   /* ingest_field_t, INGEST_MATCH_AGENCY or INGEST_MATCH_SOURCE */
    const char *const *patterns; /* any may match */
    size_t count;                /* patterns */
} ingest_kind_cond_t;

/* A kind rule: every condition holds → kind. No conditions: the default (last) rule. */
typedef struct {
    const char *kind;                /* a Watchfloor kind (ingest_kinds_is_known) */
    const ingest_kind_cond_t *conds; /* all must hold */
    size_t count;                    /* conditions; 0 for the default rule */
    int line;                        /* line in the file the rule came from */
} ingest_kind_rule_t;

typedef struct ingest_profile_t {
    const char *path;       /* file it was loaded from */
    const char *source;     /* feed name (events.source, dead letters, sources table) */
    const char *agency;     /* agency code ("CPD") */
    ingest_format_t format; /* csv or ndjson */
    int dissemination;      /* Wf__Dissemination */
    char delimiter;         /* CSV field delimiter */
    bool header;            /* CSV: the first record names the columns */
    ingest_fieldmap_t fields[INGEST_FIELD_COUNT]; /* location.x/y come from location: */
    const ingest_colref_t *ignore;                /* columns kept out of attributes */
    size_t ignore_count;                          /* entries in ignore */
    const char *time_format;                      /* strptime format or "iso8601" */
    const char *time_zone;                        /* IANA zone of zone-less times */
    const char *crs;                              /* CRS of location.x/y ("EPSG:3435") */
    bool zero_is_missing;                         /* 0,0 means no coordinates */
    const ingest_kind_rule_t *kinds;              /* first match wins; the last is the default */
    size_t kind_count;                            /* rules in kinds */
    ingest_arena_t *arena;                        /* owns every string and array above */
} ingest_profile_t;

/* Loads and validates the profile at path (and its kinds file). Returns NULL and
 * "file:line: reason" in errbuf on any problem. */
ingest_profile_t *ingest_profile_load(const char *path, char *errbuf, size_t errlen);

/* NULL-safe; sets *self_p to NULL. */
void ingest_profile_destroy(ingest_profile_t **self_p);

/* Parses a CSV column reference (see ingest_colref_t); the name is copied into arena. Returns 0,
 * WF_EINVAL ("#0", "Name#0") or WF_ENOMEM. */
int ingest_colref_parse(const char *text, ingest_arena_t *arena, ingest_colref_t *ref);

#endif
