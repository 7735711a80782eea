/* harness.h — integration tests: real wf-* processes, real ZeroMQ, a real PostGIS database.
 *
 * A harness owns a scratch directory (configuration, state, ipc endpoints, logs) and a scratch
 * database created from the cluster scripts/test started (WF_TEST_PG_CONNINFO). It writes a
 * deployment file, runs wf-admin, starts services as child processes and waits for the
 * pipeline to drain by reading their stats snapshots. Every wait has a deadline multiplied by
 * WF_TEST_TIMEOUT_MULTIPLIER (sanitizer builds are slower).
 */
#ifndef WF_TEST_HARNESS_H
#define WF_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <libpq-fe.h>

#define HARNESS_MAX_SERVICES 8

typedef struct {
    char name[32]; /* ingest, enrich, spatial, alert */
    pid_t pid;     /* 0 when not running */
    int runs;      /* how many times it was started (log files are numbered) */
} harness_service_t;

typedef struct {
    char dir[256];       /* scratch directory */
    char config[320];    /* deployment file in dir */
    char database[64];   /* scratch database name */
    char conninfo[1024]; /* pg.conninfo of the scratch database */
    PGconn *db;          /* connection for assertions */
    harness_service_t services[HARNESS_MAX_SERVICES];
    int nservices;
    double timeout_multiplier;
    pid_t kafka_pid;   /* wf-kafka-mock, 0 when not started */
    int kafka_control; /* its stdin: commands */
    int kafka_replies; /* its stdout: "bootstrap=…", then "ok …" / "error …" per command */
    char kafka_bootstrap[512];
} harness_t;

/* Creates the scratch directory and database, applies migrations, loads the Chicago
 * boundaries and the NIBRS tables (data/reference). extra_yaml is appended to the generated
 * deployment file (may be NULL).
 * Returns false (after printing why) when the environment is not there. */
bool harness_start(harness_t *h, const char *name, const char *extra_yaml);

/* Stops every service with SIGTERM, drops the database (unless WF_TEST_KEEP is set) and removes
 * the dir. Returns how many services did not exit with status 0. */
int harness_stop(harness_t *h);

/* Runs wf-admin with the deployment file and args (NULL-terminated, e.g. {"hotlist", "import",
 * …}); its output goes to dir/admin.log. True when it exited with 0. */
bool harness_admin(harness_t *h, const char *const *args);

/* Path of a binary in the build tree ("services/enrich/wf-enrich") or a repo file. */
const char *harness_binary(const char *relative);
const char *harness_source(const char *relative);

/* Starts wf-<name> (enrich, spatial, alert) with the deployment file and waits until it listens
 * (its ipc endpoints exist). Returns its pid. */
pid_t harness_start_service(harness_t *h, const char *name);

/* Starts another copy of wf-<name> as "<name>@<instance>" (its stats file and log carry that
 * name; harness_stat(h, "enrich@b", …)). Returns its pid. */
pid_t harness_start_copy(harness_t *h, const char *name, const char *instance);

/* Kafka (harness_kafka.c): starts librdkafka's mock cluster in a wf-kafka-mock child process on
 * loopback and switches the deployment file to the Kafka back end. Call after harness_start and
 * before starting services. */
bool harness_kafka_start(harness_t *h, int brokers);

/* Sends one control line to the mock ("down all", "up 2", …); true when it answered ok. */
bool harness_kafka_command(harness_t *h, const char *command);

/* True unless some Kafka consumer owns no partition or is behind (its transport.lag and
 * transport.assigned_partitions gauges); a stable stats fingerprint alone would also match a
 * group in the middle of a rebalance. */
bool harness_kafka_caught_up(harness_t *h);

/* Stops the mock cluster (harness_stop does it too). */
void harness_kafka_stop(harness_t *h);

/* Writes count events (CSV in the layout of deploy/profiles/chicago-socrata-api.yaml) made from
 * the 2025 export repeated with unique record ids; path receives the file name. */
bool harness_write_events(harness_t *h, int count, char *path, size_t len);

/* Runs wf-ingest with the given extra arguments (NULL-terminated) and waits up to timeout_s for
 * it to exit. Returns its exit status, or -1 on timeout (it is then killed). */
int harness_run_ingest(harness_t *h, int timeout_s, const char *const *args);

/* Starts wf-ingest without waiting; harness_wait_exit() collects it. */
pid_t harness_spawn_ingest(harness_t *h, const char *const *args);

/* Waits up to timeout_s for pid to exit; returns its exit status or -1 on timeout. */
int harness_wait_exit(harness_t *h, pid_t pid, int timeout_s);

/* Sends sig to the named service and, for SIGKILL/SIGTERM, reaps it. */
void harness_signal(harness_t *h, const char *name, int sig);

/* True while the named service's process is alive. */
bool harness_alive(harness_t *h, const char *name);

/* A counter from the named service's stats snapshot (0 when absent). */
int64_t harness_stat(harness_t *h, const char *service, const char *counter);

/* Waits until every running downstream service has processed what its upstream published and
 * the counters stopped moving. Returns false on timeout. */
bool harness_wait_drained(harness_t *h, int timeout_s);

/* Lines of the current log of service name ("spatial", "enrich@b") that contain text. */
int harness_log_count(harness_t *h, const char *name, const char *text);

/* Runs a query expected to return one value; returns it as int64 (fails the test otherwise). */
int64_t harness_query_int(harness_t *h, const char *sql);
double harness_query_double(harness_t *h, const char *sql);
/* The same with one text parameter $1 (values never go into the SQL text). */
int64_t harness_query_int1(harness_t *h, const char *sql, const char *param);
double harness_query_double1(harness_t *h, const char *sql, const char *param);

/* One text value (NULL reads as ""); false after printing the error. */
bool harness_query_text(harness_t *h, const char *sql, char *out, size_t len);

/* Row counts of every table a service writes, in a fixed order (for idempotence checks). */
#define HARNESS_TABLES 6
void harness_table_counts(harness_t *h, int64_t counts[HARNESS_TABLES]);
extern const char *const harness_table_names[HARNESS_TABLES];

/* Prints the tail of a service's log (for failures). */
void harness_dump_log(harness_t *h, const char *name);

#endif
