/* service.h — what every wf-* executable does the same way.
 *
 * Common command-line options (--config FILE, --set KEY=VALUE, --print-config, --log-level L,
 * --help), configuration loading in precedence order, logging set-up, SIGINT/SIGTERM handling
 * (the handler only sets a flag; loops poll wf_service_stopping()) and the periodic stats
 * snapshot in <state_dir>/stats/<name>.stats.
 */
#ifndef WF_SERVICE_H
#define WF_SERVICE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <wf/config.h>
#include <wf/stats.h>

typedef struct {
    const char *name;          /* "enrich": log ident, stats file name, consumer group */
    wf_config_t *config;       /* loaded configuration (owned) */
    wf_stats_t *stats;         /* the service's counters (owned) */
    char stats_path[PATH_MAX]; /* where snapshots go */
    int64_t next_snapshot_us;  /* monotonic time of the next snapshot */
    int64_t next_log_us;       /* monotonic time of the next stats log line */
    int argc;                  /* arguments left for the service itself */
    char **argv;               /* argv[0] is the program; the rest are not common options */
} wf_service_t;

/* Parses the common options out of argv, loads configuration (file, environment, --set), sets
 * up logging, signal handlers and stats. usage is printed for --help after the common options.
 * Returns 0 to run, 1 when the caller should exit successfully (--help, --print-config), or a
 * negative WF_E… after printing the reason to stderr. */
int wf_service_init(wf_service_t *self, const char *name, const char *usage, int argc, char **argv);

/* Frees what init created, writing one last stats snapshot. */
void wf_service_fini(wf_service_t *self);

/* True once SIGINT or SIGTERM arrived. Async-signal-safe to read from anywhere. */
bool wf_service_stopping(void);

/* Requests a stop as a signal would (tests, fatal errors). */
void wf_service_request_stop(void);

/* Call from the main loop: writes the stats snapshot every second and logs counters every
 * 30 seconds. Cheap when nothing is due. */
void wf_service_tick(wf_service_t *self);

#endif
