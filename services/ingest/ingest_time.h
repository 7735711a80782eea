/* ingest_time.h — source time text → UTC microseconds.
 *
 * Sources write times in their own format and, mostly, in local wall-clock time without a zone
 * ("03/15/2014 12:00:00 AM", "2025-11-03T00:00:00.000"). A parser is built from a profile's
 * time: section (a strptime(3) format or "iso8601", and an IANA zone) and turns such text into
 * µs since the epoch, UTC. Zone-less times are read in the profile's zone with the tz database
 * (glibc). Wall times that a DST change makes ambiguous are resolved by a fixed rule:
 *  - overlap (the hour that happens twice, 2014-11-02 01:30 America/Chicago): the earlier
 *    instant, i.e. daylight time (06:30Z);
 *  - gap (the hour that never happens, 2014-03-09 02:30): read with the offset in force before
 *    the change, i.e. standard time (08:30Z, which is 03:30 daylight time) — PostgreSQL's rule.
 * Such a record is accepted, never rejected: the wall time is what the source wrote.
 *
 * Thread: parsing a zone-less time sets the process's TZ; use from one thread only (ingest is
 * single-threaded). Times with an explicit offset or Z do not touch TZ.
 */
#ifndef INGEST_TIME_H
#define INGEST_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest_record.h"

#define INGEST_TIME_ISO8601 "iso8601"

typedef struct ingest_time_t ingest_time_t;

/* A parser for format ("iso8601": YYYY-MM-DD[T ]hh:mm[:ss[.fraction]][Z|±hh[:mm]]; otherwise a
 * strptime format, in which %z gives an explicit offset) in zone (IANA name, e.g.
 * "America/Chicago"). Returns NULL and a reason in errbuf when the zone is not in the tz
 * database. */
ingest_time_t *ingest_time_new(const char *format, const char *zone, char *errbuf, size_t errlen);

/* NULL-safe; sets *self_p to NULL. */
void ingest_time_destroy(ingest_time_t **self_p);

/* Parses text (surrounding blanks ignored) into µs since the epoch, UTC. Returns 0, or
 * WF_EPARSE with reject = bad_time (naming field) when the text does not match the format, has
 * trailing text, or names a day that does not exist (02/30). No range check: see below. */
int ingest_time_parse(ingest_time_t *self, const char *text, const char *field, int64_t *us,
                      ingest_reject_t *reject);

/* Returns 0 when us lies in [1900-01-01, now_us + 1 day], else WF_ERANGE with
 * reject = time_out_of_range naming field. */
int ingest_time_check_range(int64_t us, int64_t now_us, const char *field, ingest_reject_t *reject);

/* True when zone names a zone of the tz database ("UTC" always does). */
bool ingest_time_zone_is_known(const char *zone);

#endif
