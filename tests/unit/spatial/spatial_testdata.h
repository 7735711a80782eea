/* spatial_testdata.h — inputs for spatial's unit tests: real Chicago rows and synthetic events.
 *
 * Real rows: the Chicago 2014 portal export (the shared plain copy, or the repository's .xz). Rows
 * are read with libcsv and turned into what wf-ingest would make of them: event id from (agency
 * "CPD", ID, Updated On), UTC times from Chicago local time, WGS84 location. Kinds:
 * "burglary.residential" for burglaries at residences and apartments, "burglary.other" for other
 * burglaries, "other" for the rest.
 *
 * Synthetic events: placed by bearing and distance from a point in Chicago on the detector's own
 * sphere, so "399 m" is 399 m as the detector measures it, with a deterministic random source.
 */
#ifndef SPATIAL_TESTDATA_H
#define SPATIAL_TESTDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/id.h>

#include "spatial_nearrepeat.h"

typedef struct {
    wf_uuid_t event_id;  /* UUIDv5 of ("CPD", ID, Updated On) */
    char record_id[24];  /* ID column */
    char kind[24];       /* see the banner */
    int64_t occurred_us; /* Date, UTC */
    int64_t reported_us; /* Updated On, UTC */
    bool has_location;   /* Latitude/Longitude present */
    double lon, lat;     /* WGS84 */
} spatial_testdata_row_t;

/* Finds crimes_2014-03_portal_export.csv: $WF_CHICAGO_DIR, <source>/../shared/data/chicago,
 * /work/shared/data/chicago. Writes the path into buf; false when none exists. */
bool spatial_testdata_find(char *buf, size_t len);

/* Loads every row of the file at path into *rows (caller frees). Returns the number of rows,
 * or -1 when the file cannot be read or a row cannot be understood. */
long spatial_testdata_load(const char *path, spatial_testdata_row_t **rows);

/* Seconds since the epoch (UTC) of a Chicago local time "MM/DD/YYYY hh:mm:ss AM|PM", using the
 * US daylight-saving rule in force since 2007; -1 when malformed. */
int64_t spatial_testdata_chicago_time(const char *text);

/* The detector's view of row (pointers into row). */
void spatial_testdata_event(const spatial_testdata_row_t *row, spatial_nearrepeat_event_t *event);

/* True when a comes before b in the detector's pair order: occurrence time, then event id. */
bool spatial_testdata_row_before(const spatial_testdata_row_t *a, const spatial_testdata_row_t *b);

/* Fills order[0..n) with the row indices by occurrence time; equal times by event id when by_id
 * (the detector's order), else by file position (what wf-ingest --order time does). */
void spatial_testdata_rows_by_time(const spatial_testdata_row_t *rows, size_t n, bool by_id,
                                   size_t *order);

/* ---- synthetic events ---- */

#define SPATIAL_TESTDATA_T0  (INT64_C(1394000000) * 1000000) /* 2014-03-05 06:13:20 UTC, µs */
#define SPATIAL_TESTDATA_LON (-87.65)                        /* a point in Chicago */
#define SPATIAL_TESTDATA_LAT 41.85

typedef struct {
    wf_uuid_t id;     /* from (CPD, record, revision) */
    char record[24];  /* source record id */
    const char *kind; /* event kind */
    int64_t occurred; /* µs */
    int64_t reported; /* µs; starts equal to occurred */
    bool located;     /* has a location */
    double lon, lat;  /* degrees */
    int64_t arrived;  /* µs, 0 = not checked */
} spatial_testdata_ev_t;

/* An event of agency CPD at (lon, lat). */
spatial_testdata_ev_t spatial_testdata_ev(const char *record, const char *revision,
                                          const char *kind, double lon, double lat,
                                          int64_t occurred);

/* A burglary.residential event (revision "1") distance_m from the Chicago point on bearing. */
spatial_testdata_ev_t spatial_testdata_ev_at(const char *record, double bearing, double distance_m,
                                             int64_t occurred);

/* The point distance_m from (lon, lat) on bearing (degrees), on the detector's sphere. */
void spatial_testdata_move(double lon, double lat, double bearing, double distance_m, double *lon2,
                           double *lat2);

/* A detector with D 400 m, T 14 d, lateness 3 d, future tolerance 1 d; kinds NULL means
 * burglary.residential only. Fails the test if it cannot be made. */
spatial_nearrepeat_t *spatial_testdata_detector(const char *const *kinds, size_t nkinds,
                                                size_t max_events);

/* The detector's view of e (pointers into e), delivered live. */
void spatial_testdata_ev_event(const spatial_testdata_ev_t *e, spatial_nearrepeat_event_t *event);

/* Adds e (failing the test on an error) and returns the outcome. */
spatial_nearrepeat_outcome_t spatial_testdata_add(spatial_nearrepeat_t *detector,
                                                  const spatial_testdata_ev_t *e,
                                                  spatial_nearrepeat_result_t *result);

spatial_nearrepeat_stats_t spatial_testdata_stats(const spatial_nearrepeat_t *detector);

/* True when a comes before b in the detector's pair order: occurrence time, then event id. */
bool spatial_testdata_ev_before(const spatial_testdata_ev_t *a, const spatial_testdata_ev_t *b);

/* Fills order[0..n) with the indices of events in the detector's pair order. */
void spatial_testdata_evs_by_time(const spatial_testdata_ev_t *events, size_t n, size_t *order);

/* True when match names e. */
bool spatial_testdata_is(const spatial_nearrepeat_match_t *match, const spatial_testdata_ev_t *e);

/* Deterministic pseudo-random numbers (xorshift64), and uniform doubles in [0, 1). */
uint64_t spatial_testdata_rand(void);
double spatial_testdata_uniform(void);

#endif
