/* test_pgwriter.c — COPY batches against the real PostGIS cluster (WF_TEST_PG_CONNINFO).
 *
 * scripts/test starts the cluster and sets WF_TEST_PG_CONNINFO; run alone without it, the
 * tests are skipped (reported by cmocka as skipped, never as passed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include <wf/err.h>
#include <wf/pgwriter.h>

static const char *s_conninfo;
static PGconn *s_check; /* independent connection used to look at the results */

static const wf_pgwriter_spec_t s_spec = {
    .name = "pgwriter_test",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS wf_test_stage (LIKE wf_test_rows) "
                 "ON COMMIT DELETE ROWS",
    .copy_sql = "COPY wf_test_stage (id, label, raw, tags, refs, at, geom, n, ok) FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql = "INSERT INTO wf_test_rows SELECT * FROM wf_test_stage ON CONFLICT DO NOTHING",
};

static void s_exec(const char *sql)
{
    PGresult *res = PQexec(s_check, sql);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
}

static char *s_value(const char *sql)
{
    static char out[1024];
    PGresult *res = PQexec(s_check, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    snprintf(out, sizeof out, "%s", PQgetisnull(res, 0, 0) ? "<null>" : PQgetvalue(res, 0, 0));
    PQclear(res);
    return out;
}

static void s_row(wf_pgwriter_t *w, uint8_t id, const char *label, int64_t n)
{
    uint8_t uuid[16] = {0};
    uuid[15] = id;
    const uint8_t *refs[] = {uuid, uuid};
    const char *tags[] = {"plain", "with \"quote\" and \\ backslash", "tab\there"};
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, uuid);
    wf_pgwriter_put_text(w, label);
    wf_pgwriter_put_bytea(w, (const uint8_t *)"\x00\x01\xff", 3);
    wf_pgwriter_put_text_array(w, tags, 3);
    wf_pgwriter_put_uuid_array(w, refs, 2);
    wf_pgwriter_put_timestamp_us(w, INT64_C(1394859600123456));
    wf_pgwriter_put_point(w, -87.70464452726821, 41.93193179666549);
    wf_pgwriter_put_int64(w, n);
    wf_pgwriter_put_bool(w, id % 2 == 0);
    wf_pgwriter_row_end(w);
}

static void test_types_round_trip_and_replays_are_absorbed(void **state)
{
    (void)state;
    if (!s_conninfo)
        skip(); /* scripts/test always provides the cluster */
    char err[256] = "";
    wf_pgwriter_t *w = wf_pgwriter_new(s_conninfo, &s_spec, err, sizeof err);
    if (!w)
        fail_msg("connect: %s", err);
    s_row(w, 1, "line\nbreak\tand \\ back\\slash", 10);
    s_row(w, 2, "bad utf8 \xC3\x28 here", 20);
    wf_pgwriter_row_begin(w); /* a row begun and abandoned leaves no trace */
    wf_pgwriter_put_text(w, "abandoned");
    s_row(w, 3, NULL, 30);
    assert_int_equal(wf_pgwriter_pending(w), 3);
    uint64_t inserted = 0;
    assert_int_equal(wf_pgwriter_flush(w, &inserted), WF_OK);
    assert_int_equal(inserted, 3);
    assert_int_equal(wf_pgwriter_pending(w), 0);

    assert_string_equal(s_value("SELECT label FROM wf_test_rows WHERE n = 10"),
                        "line\nbreak\tand \\ back\\slash");
    assert_string_equal(s_value("SELECT label FROM wf_test_rows WHERE n = 20"),
                        "bad utf8 \xEF\xBF\xBD( here");
    assert_string_equal(s_value("SELECT label FROM wf_test_rows WHERE n = 30"), "<null>");
    assert_string_equal(s_value("SELECT encode(raw, 'hex') FROM wf_test_rows WHERE n = 10"),
                        "0001ff");
    assert_string_equal(s_value("SELECT tags[2] || '|' || tags[3] FROM wf_test_rows WHERE n = 10"),
                        "with \"quote\" and \\ backslash|tab\there");
    assert_string_equal(s_value("SELECT cardinality(refs) FROM wf_test_rows WHERE n = 10"), "2");
    assert_string_equal(s_value("SELECT to_char(at AT TIME ZONE 'UTC', "
                                "'YYYY-MM-DD HH24:MI:SS.US') FROM wf_test_rows WHERE n = 10"),
                        "2014-03-15 05:00:00.123456");
    assert_string_equal(s_value("SELECT ST_AsText(geom) FROM wf_test_rows WHERE n = 10"),
                        "POINT(-87.7046445272682 41.9319317966655)");
    assert_string_equal(s_value("SELECT ST_SRID(geom) FROM wf_test_rows WHERE n = 10"), "4326");

    /* the same rows again: nothing new, nothing duplicated */
    s_row(w, 1, "other label", 10);
    s_row(w, 2, "other label", 20);
    assert_int_equal(wf_pgwriter_flush(w, &inserted), WF_OK);
    assert_int_equal(inserted, 0);
    assert_string_equal(s_value("SELECT count(*) FROM wf_test_rows"), "3");
    wf_pgwriter_destroy(&w);
    assert_null(w);
}

static int s_rejected;
static char s_rejected_row[1024];
static char s_rejected_sqlstate[8];

static void s_on_reject(void *user, const char *row, size_t len, const char *sqlstate,
                        const char *message)
{
    (void)user;
    (void)message;
    s_rejected++;
    snprintf(s_rejected_row, sizeof s_rejected_row, "%.*s", (int)len, row);
    snprintf(s_rejected_sqlstate, sizeof s_rejected_sqlstate, "%s", sqlstate);
}

/* One row that violates a constraint is isolated; the rest of the batch is written. */
static void test_a_refused_row_does_not_block_the_batch(void **state)
{
    (void)state;
    if (!s_conninfo)
        skip(); /* scripts/test always provides the cluster */
    char err[256] = "";
    wf_pgwriter_t *w = wf_pgwriter_new(s_conninfo, &s_spec, err, sizeof err);
    assert_non_null(w);
    wf_pgwriter_set_reject_handler(w, s_on_reject, NULL);
    s_row(w, 11, "good", 110);
    s_row(w, 12, "negative is refused by the CHECK", -5);
    s_row(w, 13, "good", 130);
    uint64_t inserted = 0;
    assert_int_equal(wf_pgwriter_flush(w, &inserted), WF_OK);
    assert_int_equal(inserted, 2);
    assert_int_equal(s_rejected, 1);
    assert_non_null(strstr(s_rejected_row, "negative is refused"));
    assert_string_equal(s_rejected_sqlstate, "23514"); /* check_violation */
    assert_string_equal(s_value("SELECT count(*) FROM wf_test_rows WHERE n IN (110, 130)"), "2");
    wf_pgwriter_destroy(&w);
}

/* When the database is unreachable, rows are kept and the error is retriable. */
static void test_unreachable_database(void **state)
{
    (void)state;
    char err[256] = "";
    assert_null(
        wf_pgwriter_new("host=/nonexistent dbname=x connect_timeout=1", &s_spec, err, sizeof err));
    assert_true(strlen(err) > 0);
}

static int s_setup(void **state)
{
    (void)state;
    s_conninfo = getenv("WF_TEST_PG_CONNINFO");
    if (!s_conninfo)
        return 0;
    s_check = PQconnectdb(s_conninfo);
    if (PQstatus(s_check) != CONNECTION_OK)
        return -1;
    s_exec("DROP TABLE IF EXISTS wf_test_rows");
    s_exec("CREATE EXTENSION IF NOT EXISTS postgis");
    s_exec("CREATE TABLE wf_test_rows (id uuid PRIMARY KEY, label text, raw bytea, tags text[], "
           "refs uuid[], at timestamptz, geom geometry(Point, 4326), n bigint CHECK (n >= 0), "
           "ok boolean)");
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    if (s_check) {
        s_exec("DROP TABLE IF EXISTS wf_test_rows");
        PQfinish(s_check);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types_round_trip_and_replays_are_absorbed),
        cmocka_unit_test(test_a_refused_row_does_not_block_the_batch),
        cmocka_unit_test(test_unreachable_database),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
