/* stats.h — counters and latency histograms a service exposes.
 *
 * Counters are named, created on first use and only ever increase. A histogram records
 * microsecond values in log-linear buckets (relative error < 1/64) so p50/p99/max cost
 * constant memory at any rate. wf_stats_write_file() publishes a snapshot as "key value" lines
 * (atomic rename) for scripts/demo, scripts/bench and operators.
 *
 * Thread: a stats object belongs to the thread that created it.
 */
#ifndef WF_STATS_H
#define WF_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct wf_stats_t wf_stats_t;
typedef struct wf_histogram_t wf_histogram_t;

wf_stats_t *wf_stats_new(const char *service);
void wf_stats_destroy(wf_stats_t **self_p);

/* Adds delta to the counter name (created at 0). */
void wf_stats_add(wf_stats_t *self, const char *name, uint64_t delta);
/* Sets a gauge (a value that may go down, e.g. queue depth). */
void wf_stats_set(wf_stats_t *self, const char *name, int64_t value);
uint64_t wf_stats_get(const wf_stats_t *self, const char *name);

/* The histogram name (created empty). Borrowed; lives as long as self. */
wf_histogram_t *wf_stats_histogram(wf_stats_t *self, const char *name);

/* Writes a snapshot to path via a temporary file and rename. Returns 0 or WF_EIO. */
int wf_stats_write_file(const wf_stats_t *self, const char *path);
/* Writes the snapshot as "name value" lines. */
void wf_stats_print(const wf_stats_t *self, FILE *out);
/* One log line with every counter (info level). */
void wf_stats_log(const wf_stats_t *self);

/* Histogram of non-negative int64 values (µs). Standalone use: new/destroy. */
wf_histogram_t *wf_histogram_new(void);
void wf_histogram_destroy(wf_histogram_t **self_p);
void wf_histogram_record(wf_histogram_t *self, int64_t value);
void wf_histogram_reset(wf_histogram_t *self);
uint64_t wf_histogram_count(const wf_histogram_t *self);
/* The value at quantile q in [0,1] (upper edge of its bucket); 0 when empty. */
int64_t wf_histogram_quantile(const wf_histogram_t *self, double q);
int64_t wf_histogram_max(const wf_histogram_t *self);
/* Adds every sample of other into self. */
void wf_histogram_merge(wf_histogram_t *self, const wf_histogram_t *other);

#endif
