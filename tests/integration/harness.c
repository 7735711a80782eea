/* harness.c — scratch database, scratch directory and real wf-* processes for integration tests.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int64_t s_deadline(const harness_t *h, int seconds)
{
    return s_now_ms() + (int64_t)(seconds * 1000 * h->timeout_multiplier);
}

const char *harness_binary(const char *relative)
{
    static char path[4][512];
    static int next;
    char *out = path[next++ % 4];
    snprintf(out, sizeof path[0], "%s/%s", WF_BINARY_DIR, relative);
    return out;
}

const char *harness_source(const char *relative)
{
    static char path[4][512];
    static int next;
    char *out = path[next++ % 4];
    snprintf(out, sizeof path[0], "%s/%s", WF_SOURCE_DIR, relative);
    return out;
}

/* Runs argv to completion with output appended to log; returns its exit status or -1. */
static int s_run(const char *log, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool s_exec_sql(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "harness: %s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

/* Connects to the cluster's maintenance database, or to dbname when given. */
static PGconn *s_connect(const char *base, const char *dbname)
{
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *values[] = {base, dbname, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "harness: cannot connect: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static bool s_create_database(harness_t *h, const char *base)
{
    PGconn *admin = s_connect(base, "postgres");
    if (!admin)
        return false;
    char *ident = PQescapeIdentifier(admin, h->database, strlen(h->database));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
    bool ok = s_exec_sql(admin, sql);
    /* the cluster scripts keep a template with PostGIS installed; fall back to a plain one */
    snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE watchfloor_template", ident);
    PGresult *res = PQexec(admin, sql);
    bool templated = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (ok && !templated) {
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", ident);
        ok = s_exec_sql(admin, sql);
    }
    PQfreemem(ident);
    PQfinish(admin);
    return ok;
}

/* Writes s as a YAML double-quoted scalar. */
static void s_yaml_quoted(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static bool s_write_config(harness_t *h, const char *extra_yaml)
{
    snprintf(h->config, sizeof h->config, "%s/watchfloor.yaml", h->dir);
    FILE *out = fopen(h->config, "w");
    if (!out)
        return false;
    fprintf(out, "state_dir: %s/state\nzmq:\n  dir: %s/zmq\npg:\n  conninfo: ", h->dir, h->dir);
    s_yaml_quoted(out, h->conninfo);
    fprintf(out, "\n  flush_interval: 20ms\nalert:\n  rules: %s\n",
            harness_source("deploy/rules.yaml"));
    if (extra_yaml)
        fputs(extra_yaml, out);
    return fclose(out) == 0;
}

static bool s_admin(harness_t *h, const char *const *args)
{
    char *argv[24];
    int n = 0;
    const char *command = args[0];
    argv[n++] = (char *)harness_binary("tools/wf-admin");
    argv[n++] = "--config";
    argv[n++] = h->config;
    for (; *args && n < 23; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    char log[400];
    snprintf(log, sizeof log, "%s/admin.log", h->dir);
    int rc = s_run(log, argv);
    if (rc != 0) {
        fprintf(stderr, "harness: wf-admin %s failed (%d); log %s\n", command, rc, log);
        return false;
    }
    return true;
}

bool harness_admin(harness_t *h, const char *const *args)
{
    return s_admin(h, args);
}

static bool s_load_chicago(harness_t *h)
{
    const char *const migrate[] = {"migrate", NULL};
    const char *const beats[] = {"load-boundaries",
                                 "--boundary-set",
                                 "chicago-2012-12",
                                 "--jurisdiction",
                                 "Chicago",
                                 "--effective-from",
                                 "2012-12-01",
                                 "--layer",
                                 "beat",
                                 "--code-field",
                                 "BEAT_NUM",
                                 "--parent-field",
                                 "DISTRICT",
                                 "--pad",
                                 "4",
                                 "--parent-pad",
                                 "3",
                                 harness_source("data/chicago/boundaries/police_beats.geojson.xz"),
                                 NULL};
    const char *const districts[] = {
        "load-boundaries",
        "--boundary-set",
        "chicago-2012-12",
        "--jurisdiction",
        "Chicago",
        "--effective-from",
        "2012-12-01",
        "--layer",
        "district",
        "--code-field",
        "dist_num",
        "--name-field",
        "dist_label",
        "--pad",
        "3",
        harness_source("data/chicago/boundaries/police_districts.geojson.xz"),
        NULL};
    const char *const nibrs[] = {"nibrs",
                                 "load",
                                 "--offense-types",
                                 harness_source("data/reference/nibrs_offense_type.csv.xz"),
                                 "--kinds",
                                 harness_source("data/reference/watchfloor_kind_nibrs.csv"),
                                 NULL};
    return s_admin(h, migrate) && s_admin(h, beats) && s_admin(h, districts) && s_admin(h, nibrs);
}

/* A developer's shell may hold a deployment's settings (eval "$(scripts/pg env)" exports
 * WF_PG_CONNINFO); they override config files, so they must not reach the code under test. */
static void s_scrub_deployment_environment(void)
{
    extern char **environ;
    for (bool again = true; again;) {
        again = false;
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "WF_", 3) != 0 || strncmp(*e, "WF_TEST_", 8) == 0)
                continue;
            char name[128];
            size_t len = strcspn(*e, "=");
            if (len >= sizeof name)
                continue;
            memcpy(name, *e, len);
            name[len] = '\0';
            unsetenv(name); /* environ changed: start over */
            again = true;
            break;
        }
    }
}

bool harness_start(harness_t *h, const char *name, const char *extra_yaml)
{
    memset(h, 0, sizeof *h);
    s_scrub_deployment_environment();
    const char *mult = getenv("WF_TEST_TIMEOUT_MULTIPLIER");
    h->timeout_multiplier = mult && atof(mult) > 0 ? atof(mult) : 1.0;
    const char *base = getenv("WF_TEST_PG_CONNINFO");
    if (!base) {
        fprintf(stderr, "harness: WF_TEST_PG_CONNINFO is not set (scripts/test sets it)\n");
        return false;
    }
    snprintf(h->dir, sizeof h->dir, "/tmp/wf-it-%s-XXXXXX", name);
    if (!mkdtemp(h->dir))
        return false;
    snprintf(h->database, sizeof h->database, "wft_%s_%d", name, (int)getpid());
    snprintf(h->conninfo, sizeof h->conninfo, "%s dbname=%s", base, h->database);
    if (!s_create_database(h, base) || !s_write_config(h, extra_yaml) || !s_load_chicago(h))
        return false;
    h->db = s_connect(base, h->database);
    return h->db != NULL;
}

static harness_service_t *s_service(harness_t *h, const char *name)
{
    for (int i = 0; i < h->nservices; i++)
        if (strcmp(h->services[i].name, name) == 0)
            return &h->services[i];
    if (h->nservices == HARNESS_MAX_SERVICES)
        return NULL;
    harness_service_t *s = &h->services[h->nservices++];
    snprintf(s->name, sizeof s->name, "%s", name);
    return s;
}

static pid_t s_spawn(harness_t *h, harness_service_t *s, const char *binary,
                     const char *const *args)
{
    char log[400];
    s->runs++;
    snprintf(log, sizeof log, "%s/%s.%d.log", h->dir, s->name, s->runs);
    char *argv[64];
    int n = 0;
    argv[n++] = (char *)binary;
    argv[n++] = "--config";
    argv[n++] = h->config;
    for (; args && *args && n < 63; args++)
        argv[n++] = (char *)*args;
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(binary, argv);
        _exit(127);
    }
    s->pid = pid;
    return pid;
}

/* How many times text occurs in the current log of s. */
static int s_log_count(harness_t *h, const harness_service_t *s, const char *text)
{
    char path[400];
    snprintf(path, sizeof path, "%s/%s.%d.log", h->dir, s->name, s->runs);
    FILE *in = fopen(path, "r");
    if (!in)
        return 0;
    char line[4096];
    int count = 0;
    while (fgets(line, sizeof line, in))
        count += strstr(line, text) != NULL;
    fclose(in);
    return count;
}

int harness_log_count(harness_t *h, const char *name, const char *text)
{
    harness_service_t *s = s_service(h, name);
    return s ? s_log_count(h, s, text) : 0;
}

static pid_t s_start(harness_t *h, const char *name, const char *instance)
{
    char entry[32];
    snprintf(entry, sizeof entry, "%s%s%s", name, instance ? "@" : "", instance ? instance : "");
    harness_service_t *s = s_service(h, entry);
    char binary[128], set[64];
    snprintf(binary, sizeof binary, "services/%s/wf-%s", name, name);
    snprintf(set, sizeof set, "instance=%s", instance ? instance : "");
    const char *const args[] = {"--set", set, NULL};
    pid_t pid = s_spawn(h, s, harness_binary(binary), instance ? args : NULL);
    int subscriptions = strcmp(name, "alert") == 0 ? 2 : strcmp(name, "console") == 0 ? 3 : 1;
    int64_t deadline = s_deadline(h, 30);
    while (s_log_count(h, s, "consuming topic=") < subscriptions) {
        if (s_now_ms() > deadline || waitpid(pid, NULL, WNOHANG) == pid) {
            fprintf(stderr, "harness: wf-%s did not start\n", entry);
            harness_dump_log(h, entry);
            s->pid = 0;
            return -1;
        }
        s_sleep_ms(20);
    }
    return pid;
}

pid_t harness_start_service(harness_t *h, const char *name)
{
    return s_start(h, name, NULL);
}

pid_t harness_start_copy(harness_t *h, const char *name, const char *instance)
{
    return s_start(h, name, instance);
}

pid_t harness_spawn_ingest(harness_t *h, const char *const *args)
{
    return s_spawn(h, s_service(h, "ingest"), harness_binary("services/ingest/wf-ingest"), args);
}

int harness_wait_exit(harness_t *h, pid_t pid, int timeout_s)
{
    int64_t deadline = s_deadline(h, timeout_s);
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (s_now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        s_sleep_ms(20);
    }
    for (int i = 0; i < h->nservices; i++)
        if (h->services[i].pid == pid)
            h->services[i].pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int harness_run_ingest(harness_t *h, int timeout_s, const char *const *args)
{
    pid_t pid = harness_spawn_ingest(h, args);
    int rc = harness_wait_exit(h, pid, timeout_s);
    if (rc != 0)
        harness_dump_log(h, "ingest");
    return rc;
}

void harness_signal(harness_t *h, const char *name, int sig)
{
    harness_service_t *s = s_service(h, name);
    if (!s || s->pid <= 0)
        return;
    kill(s->pid, sig);
    if (sig == SIGKILL || sig == SIGTERM) {
        harness_wait_exit(h, s->pid, 20);
        s->pid = 0;
    }
}

bool harness_alive(harness_t *h, const char *name)
{
    harness_service_t *s = s_service(h, name);
    return s && s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == 0;
}

int64_t harness_stat(harness_t *h, const char *service, const char *counter)
{
    char path[400];
    snprintf(path, sizeof path, "%s/state/stats/%s.stats", h->dir, service);
    FILE *in = fopen(path, "r");
    if (!in)
        return 0;
    char name[256];
    long long value;
    int64_t found = 0;
    while (fscanf(in, "%255s %lld", name, &value) == 2)
        if (strcmp(name, counter) == 0)
            found = value;
    fclose(in);
    return found;
}

/* A fingerprint of every stats file: changes whenever any counter moves. */
static uint64_t s_stats_fingerprint(harness_t *h)
{
    uint64_t hash = 1469598103934665603ULL;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/state/stats", h->dir);
    DIR *stats = opendir(dir);
    struct dirent *entry;
    while (stats && (entry = readdir(stats)) != NULL) {
        if (!strstr(entry->d_name, ".stats") || strncmp(entry->d_name, "admin", 5) == 0)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        FILE *in = fopen(path, "r");
        if (!in)
            continue;
        char line[512];
        while (fgets(line, sizeof line, in))
            if (!strstr(line, "latency") && !strstr(line, "_held") && !strstr(line, "bytes"))
                for (const char *p = line; *p; p++)
                    hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
        fclose(in);
    }
    if (stats)
        closedir(stats);
    return hash;
}

bool harness_wait_drained(harness_t *h, int timeout_s)
{
    int64_t deadline = s_deadline(h, timeout_s);
    uint64_t last = 0;
    int stable = 0;
    while (s_now_ms() < deadline) {
        uint64_t now = s_stats_fingerprint(h);
        /* snapshots are written every second: three equal readings 1 s apart mean idle */
        stable = now == last && harness_kafka_caught_up(h) ? stable + 1 : 0;
        last = now;
        if (stable >= 3)
            return true;
        s_sleep_ms(1000);
    }
    return false;
}

static PGresult *s_query_one_param(harness_t *h, const char *sql, const char *param)
{
    const char *params[] = {param};
    PGresult *res =
        param ? PQexecParams(h->db, sql, 1, NULL, params, NULL, NULL, 0) : PQexec(h->db, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        fprintf(stderr, "harness: %s: %s\n", sql, PQresultErrorMessage(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

int64_t harness_query_int1(harness_t *h, const char *sql, const char *param)
{
    PGresult *res = s_query_one_param(h, sql, param);
    if (!res)
        return INT64_MIN;
    int64_t value = PQgetisnull(res, 0, 0) ? 0 : atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

double harness_query_double1(harness_t *h, const char *sql, const char *param)
{
    PGresult *res = s_query_one_param(h, sql, param);
    if (!res)
        return -1;
    double value = PQgetisnull(res, 0, 0) ? 0 : atof(PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

bool harness_query_text(harness_t *h, const char *sql, char *out, size_t len)
{
    PGresult *res = s_query_one_param(h, sql, NULL);
    if (!res)
        return false;
    snprintf(out, len, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return true;
}

int64_t harness_query_int(harness_t *h, const char *sql)
{
    return harness_query_int1(h, sql, NULL);
}

double harness_query_double(harness_t *h, const char *sql)
{
    return harness_query_double1(h, sql, NULL);
}

const char *const harness_table_names[HARNESS_TABLES] = {
    "events", "dead_letters", "signals", "alerts", "boundaries", "sources",
};

void harness_table_counts(harness_t *h, int64_t counts[HARNESS_TABLES])
{
    /* fixed statements: table names are constants of this file, never input */
    static const char *const queries[HARNESS_TABLES] = {
        "SELECT count(*) FROM events",     "SELECT count(*) FROM dead_letters",
        "SELECT count(*) FROM signals",    "SELECT count(*) FROM alerts",
        "SELECT count(*) FROM boundaries", "SELECT count(*) FROM sources",
    };
    for (int i = 0; i < HARNESS_TABLES; i++)
        counts[i] = harness_query_int(h, queries[i]);
}

void harness_dump_log(harness_t *h, const char *name)
{
    harness_service_t *s = s_service(h, name);
    if (!s)
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "tail -n 30 '%s/%s.%d.log' >&2", h->dir, name, s->runs);
    if (system(cmd) != 0)
        fprintf(stderr, "harness: no log for %s\n", name);
}

int harness_stop(harness_t *h)
{
    int unclean = 0;
    for (int i = 0; i < h->nservices; i++)
        if (h->services[i].pid > 0)
            kill(h->services[i].pid, SIGTERM);
    for (int i = 0; i < h->nservices; i++) {
        if (h->services[i].pid > 0 && harness_wait_exit(h, h->services[i].pid, 20) != 0) {
            fprintf(stderr, "harness: wf-%s did not stop cleanly\n", h->services[i].name);
            harness_dump_log(h, h->services[i].name);
            unclean++;
        }
    }
    harness_kafka_stop(h); /* after the services: stopping, they still deliver and commit */
    bool keep = getenv("WF_TEST_KEEP") != NULL;
    if (h->db)
        PQfinish(h->db);
    h->db = NULL;
    const char *base = getenv("WF_TEST_PG_CONNINFO");
    if (!keep && base && h->database[0]) {
        PGconn *admin = s_connect(base, "postgres");
        if (admin) {
            char *ident = PQescapeIdentifier(admin, h->database, strlen(h->database));
            char sql[256];
            snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", ident);
            s_exec_sql(admin, sql);
            PQfreemem(ident);
            PQfinish(admin);
        }
    }
    if (!keep && h->dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", h->dir);
    } else if (keep) {
        fprintf(stderr, "harness: kept %s and database %s\n", h->dir, h->database);
    }
    return unclean;
}
