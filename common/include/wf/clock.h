/* clock.h — time in microseconds, and UTC formatting.
 *
 * Wall-clock microseconds since the Unix epoch travel in messages (ingest_ts_us); monotonic
 * microseconds measure durations inside one process.
 */
#ifndef WF_CLOCK_H
#define WF_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define WF_US_PER_SEC INT64_C(1000000)
#define WF_US_PER_DAY (INT64_C(86400) * WF_US_PER_SEC)

/* Wall clock (CLOCK_REALTIME), µs since the epoch. */
int64_t wf_clock_now_us(void);

/* Monotonic clock, µs from an arbitrary origin. */
int64_t wf_clock_mono_us(void);

/* Formats µs since the epoch as "2014-03-15 05:00:00.000000+00" (PostgreSQL timestamptz input
 * and readable in logs). out must hold at least WF_CLOCK_TS_LEN bytes. Returns out. */
#define WF_CLOCK_TS_LEN 40
char *wf_clock_format_us(int64_t us, char *out, size_t len);

/* Parses a duration with a unit: "250ms", "30s", "15m", "2h", "14d"; a bare number is seconds.
 * Returns 0 and µs in *us, or WF_EINVAL. */
int wf_clock_parse_duration(const char *text, int64_t *us);

/* Sleeps for us microseconds (returns early on a signal). */
void wf_clock_sleep_us(int64_t us);

#endif
