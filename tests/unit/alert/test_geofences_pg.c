/* test_geofences_pg.c — geofences end to end against the real PostGIS cluster
 * (WF_TEST_PG_CONNINFO): `wf-admin migrate` and `wf-admin geofence import` run as processes
 * on a scratch database, then wf-alert's own loader (alert_rules_service.c) reads the table,
 * binds a rule file to it and the engine decides events inside, outside and in a hole.
 * Without WF_TEST_PG_CONNINFO the tests are skipped (reported as skipped, never as passed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "alert_engine.h"
#include "alert_rules_service.h"

#define ADMIN    WF_BINARY_DIR "/tools/wf-admin"
#define GEOJSON  WF_SOURCE_DIR "/tests/data/alert_geofences.geojson"
#define NOW      ((int64_t)1764547200 * WF_US_PER_SEC) /* 2025-12-01 */
#define OCCURRED ((int64_t)1487993000 * WF_US_PER_SEC) /* 2017-02-25 */

static const char *s_base;    /* WF_TEST_PG_CONNINFO */
static char s_database[64];   /* scratch database */
static char s_conninfo[1024]; /* of the scratch database */
static char s_dir[64];        /* scratch directory for rule files */
static PGconn *s_db;          /* connection to the scratch database */

static PGconn *s_connect(const char *dbname)
{
    const char *keys[] = {"dbname", "dbname", NULL};
    const char *values[] = {s_base, dbname, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK)
        fail_msg("cannot connect: %s", PQerrorMessage(conn));
    return conn;
}

static void s_exec(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
}

/* Runs wf-admin with the scratch database; returns its exit status, its stdout in out. */
static int s_admin(char *out, size_t outlen, const char *const *args)
{
    char set[1100], capture[128];
    snprintf(set, sizeof set, "pg.conninfo=%s", s_conninfo);
    snprintf(capture, sizeof capture, "%s/admin.out", s_dir);
    const char *argv[16] = {ADMIN, "--set", set};
    int argc = 3;
    for (; *args && argc < 15; args++)
        argv[argc++] = *args;
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *file = freopen(capture, "w", stdout);
        if (!file)
            _exit(127);
        execv(ADMIN, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    FILE *file = fopen(capture, "r");
    size_t n = file ? fread(out, 1, outlen - 1, file) : 0;
    out[n] = '\0';
    if (file)
        fclose(file);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void s_write(const char *path, const char *text)
{
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static int s_setup(void **state)
{
    (void)state;
    s_base = getenv("WF_TEST_PG_CONNINFO");
    if (!s_base)
        return 0;
    snprintf(s_dir, sizeof s_dir, "/tmp/wf-test-geofences-XXXXXX");
    if (!mkdtemp(s_dir))
        return -1;
    snprintf(s_database, sizeof s_database, "wf_test_geofences_%ld", (long)getpid());
    PGconn *admin = s_connect("postgres");
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s_database);
    s_exec(admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", s_database);
    s_exec(admin, sql);
    PQfinish(admin);
    snprintf(s_conninfo, sizeof s_conninfo, "%s dbname=%s", s_base, s_database);
    s_db = s_connect(s_database);
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    if (!s_base)
        return 0;
    PQfinish(s_db);
    PGconn *admin = s_connect("postgres");
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", s_database);
    s_exec(admin, sql);
    PQfinish(admin);
    char path[128];
    snprintf(path, sizeof path, "%s/admin.out", s_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/rules.yaml", s_dir);
    unlink(path);
    rmdir(s_dir);
    return 0;
}

static const char s_rules[] = "version: 1\n"
                              "rules:\n"
                              "  - id: weapons_near_schools\n"
                              "    on: event\n"
                              "    kinds: ['weapons*']\n"
                              "    geofences: ['school-*', stadium]\n"
                              "    severity: severe\n"
                              "    title: 'Weapons violation near a school or venue'\n"
                              "    throttle: {key: event, window: 24h}\n";

typedef struct {
    Wf__EnrichedEvent enriched;
    Wf__NormalizedEvent event;
    Wf__Point point;
    wf_uuid_t id;
} s_event_t;

static void s_event_init(s_event_t *e, const char *record_id, double lon, double lat)
{
    wf__enriched_event__init(&e->enriched);
    wf__normalized_event__init(&e->event);
    wf__point__init(&e->point);
    wf_id_event(&e->id, "CPD", record_id, "");
    e->event.event_id = (ProtobufCBinaryData){WF_UUID_LEN, e->id.bytes};
    e->event.agency = "CPD";
    e->event.kind = "weapons.possession";
    e->event.occurred_at_us = OCCURRED;
    e->point.lon = lon;
    e->point.lat = lat;
    e->event.location = &e->point;
    e->enriched.event = &e->event;
    e->enriched.district = "007";
    e->enriched.beat = "0713";
}

/* Evaluates one event; returns the alert's geofence names joined by ',' ("" = no alert). */
static void s_evaluate(alert_engine_t *engine, const char *record_id, double lon, double lat,
                       char *names, size_t len)
{
    s_event_t e;
    s_event_init(&e, record_id, lon, lat);
    alert_subject_t subject;
    alert_reject_t reject;
    assert_int_equal(alert_engine_subject_from_enriched(engine, &e.enriched, &subject, &reject), 0);
    const alert_outcome_t *outcomes;
    names[0] = '\0';
    if (alert_engine_eval(engine, &subject, NOW, &outcomes) == 0)
        return;
    const Wf__Alert *alert = alert_engine_build(engine, &outcomes[0], &subject, NOW);
    for (size_t i = 0, at = 0; i < alert->n_geofences; i++)
        at += (size_t)snprintf(names + at, len - at, "%s%s", i ? "," : "", alert->geofences[i]);
}

static void test_imported_geofences_decide_rules(void **state)
{
    (void)state;
    if (!s_base)
        skip(); /* scripts/test always provides the cluster */
    char out[4096], err[512], rules_path[128];
    const char *migrate[] = {"migrate", NULL};
    assert_int_equal(s_admin(out, sizeof out, migrate), 0);
    /* before any import, a rule naming a geofence cannot load */
    snprintf(rules_path, sizeof rules_path, "%s/rules.yaml", s_dir);
    s_write(rules_path, s_rules);
    assert_null(alert_rules_service_load(s_db, rules_path, err, sizeof err));
    char want[256];
    snprintf(want, sizeof want,
             "%s:6: unknown geofence 'school-*' (no geofences in PostGIS: import them with "
             "`wf-admin geofence import`)",
             rules_path);
    assert_string_equal(err, want);

    const char *import[] = {"geofence", "import", "--name-property",        "zone",
                            "--agency", "CPD",    "--description-property", "note",
                            GEOJSON,    NULL};
    assert_int_equal(s_admin(out, sizeof out, import), 0);
    assert_non_null(strstr(out, "geofences: 4 features → 3 new, 0 replaced"));
    const char *list[] = {"geofence", "list", NULL};
    assert_int_equal(s_admin(out, sizeof out, list), 0);
    assert_non_null(strstr(out, "3 geofences"));
    assert_non_null(strstr(out, "park-washington"));
    PGresult *res = PQexec(s_db, "SELECT name, ST_NumGeometries(geom), agency,"
                                 " ST_NumInteriorRings(ST_GeometryN(geom, 1))"
                                 " FROM geofences ORDER BY name");
    assert_int_equal(PQntuples(res), 3);
    assert_string_equal(PQgetvalue(res, 0, 1), "2"); /* two features merged into one name */
    assert_string_equal(PQgetvalue(res, 1, 2), "CPD");
    assert_string_equal(PQgetvalue(res, 1, 3), "1"); /* the school yard survived as a hole */
    PQclear(res);

    alert_rules_t *rules = alert_rules_service_load(s_db, rules_path, err, sizeof err);
    if (!rules)
        fail_msg("%s", err);
    assert_int_equal(alert_geofences_count(alert_rules_geofences(rules)), 3);
    alert_engine_config_t config = {
        .lateness_us = 3 * WF_US_PER_DAY, .max_entries = 1000, .cell_m = 400};
    alert_engine_t *engine = alert_engine_new(&rules, &config);
    assert_non_null(engine);
    char names[256];
    s_evaluate(engine, "pg-inside", -87.658, 41.790, names, sizeof names);
    assert_string_equal(names, "school-englewood");
    s_evaluate(engine, "pg-hole", -87.650, 41.790, names, sizeof names);
    assert_string_equal(names, ""); /* the yard is cut out: no alert */
    s_evaluate(engine, "pg-outside", -87.634379287, 41.790852449, names, sizeof names);
    assert_string_equal(names, "");
    s_evaluate(engine, "pg-stadium", -87.6338, 41.8299, names, sizeof names);
    assert_string_equal(names, "stadium");
    s_evaluate(engine, "pg-park", -87.595, 41.785, names, sizeof names);
    assert_string_equal(names, ""); /* a geofence the rule does not name */

    /* remove one the rule names: the next load (a SIGHUP) is refused with the rule's line,
     * and the running engine keeps deciding with what it has */
    const char *remove[] = {"geofence", "remove", "stadium", NULL};
    assert_int_equal(s_admin(out, sizeof out, remove), 0);
    assert_int_equal(s_admin(out, sizeof out, remove), 1);
    assert_null(alert_rules_service_load(s_db, rules_path, err, sizeof err));
    snprintf(want, sizeof want,
             "%s:6: unknown geofence 'stadium' (park-washington, school-englewood)", rules_path);
    assert_string_equal(err, want);
    s_evaluate(engine, "pg-stadium-2", -87.6338, 41.8299, names, sizeof names);
    assert_string_equal(names, "stadium");
    alert_engine_destroy(&engine);
}

static void test_missing_table_says_migrate(void **state)
{
    (void)state;
    if (!s_base)
        skip();
    PGconn *postgres = s_connect("postgres"); /* no migrations there */
    char err[256];
    alert_geofences_t *set = alert_rules_service_geofences(postgres, err, sizeof err);
    assert_null(set);
    assert_string_equal(err, "table geofences does not exist: run `wf-admin migrate`");
    PQfinish(postgres);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imported_geofences_decide_rules),
        cmocka_unit_test(test_missing_table_says_migrate),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
