/* enrich_reference_service.c — glue: the NIBRS tables and hot lists from PostGIS.
 *
 * Reads the rows of migration 0005's tables into enrich_nibrs and enrich_hotlist and keeps them
 * current by polling reference_versions (enrich_reference.h says why polling). Each group is
 * read inside one REPEATABLE READ transaction together with its version, so the version
 * recorded is the one of the rows read: a change committed meanwhile is seen at the next poll.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>

#include "enrich_reference.h"

struct enrich_reference_t {
    PGconn *conn;               /* own connection: the writers' are busy with COPY */
    wf_stats_t *stats;          /* borrowed */
    int64_t poll_us;            /* enrich.reference_poll */
    int64_t next_poll_us;       /* monotonic time of the next version check */
    unsigned max_substitutions; /* enrich.hotlist.max_substitutions */
    enrich_nibrs_t *nibrs;      /* in use */
    enrich_hotlist_t *hotlist;  /* in use */
    long long nibrs_version;    /* reference_versions of what is in use, -1: none yet */
    long long hotlist_version;
    bool failing; /* the last poll failed (logged once until it works again) */
};

/* ---- reading ----------------------------------------------------------------------------- */

static void s_result_error(PGresult *res, const char *what, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "%s: %s", what, PQresultErrorMessage(res));
    errbuf[strcspn(errbuf, "\n")] = '\0';
}

/* Runs sql (no parameters but name) expecting rows. NULL after writing the reason. */
static PGresult *s_query(PGconn *conn, const char *what, const char *sql, const char *name,
                         char *errbuf, size_t errlen)
{
    const char *params[1] = {name};
    PGresult *res = PQexecParams(conn, sql, name ? 1 : 0, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
        s_result_error(res, what, errbuf, errlen);
        PQclear(res);
        return NULL;
    }
    return res;
}

static const char *s_text(PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Begins the snapshot and reads the group's version. */
static int s_begin(PGconn *conn, const char *group, long long *version, char *errbuf, size_t errlen)
{
    PGresult *res = s_query(conn, "begin", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL,
                            errbuf, errlen);
    if (!res)
        return WF_EIO;
    PQclear(res);
    res = s_query(conn, "reference_versions",
                  "SELECT version FROM reference_versions WHERE name = $1", group, errbuf, errlen);
    if (!res) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return WF_EIO;
    }
    *version = PQntuples(res) ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return WF_OK;
}

static void s_end(PGconn *conn)
{
    PQclear(PQexec(conn, "ROLLBACK")); /* read only: nothing to commit */
}

static int s_read_nibrs_rows(PGconn *conn, enrich_nibrs_t *nibrs, char *errbuf, size_t errlen)
{
    PGresult *res = s_query(conn, "nibrs_offense_types",
                            "SELECT code, name, category, crime_against FROM nibrs_offense_types",
                            NULL, errbuf, errlen);
    int rc = res ? WF_OK : WF_EIO;
    for (int i = 0; res && rc == WF_OK && i < PQntuples(res); i++)
        rc = enrich_nibrs_add_offense(nibrs, s_text(res, i, 0), s_text(res, i, 1),
                                      s_text(res, i, 2), s_text(res, i, 3));
    PQclear(res);
    res = rc ? NULL
             : s_query(conn, "nibrs_kind_map", "SELECT kind, nibrs_code FROM nibrs_kind_map", NULL,
                       errbuf, errlen);
    rc = rc ? rc : res ? WF_OK : WF_EIO;
    for (int i = 0; res && rc == WF_OK && i < PQntuples(res); i++)
        rc = enrich_nibrs_add_kind(nibrs, s_text(res, i, 0), s_text(res, i, 1));
    PQclear(res);
    res = rc ? NULL
             : s_query(conn, "nibrs_agency_codes",
                       "SELECT agency, offense_code, nibrs_code FROM nibrs_agency_codes", NULL,
                       errbuf, errlen);
    rc = rc ? rc : res ? WF_OK : WF_EIO;
    for (int i = 0; res && rc == WF_OK && i < PQntuples(res); i++)
        rc = enrich_nibrs_add_agency_code(nibrs, s_text(res, i, 0), s_text(res, i, 1),
                                          s_text(res, i, 2));
    PQclear(res);
    if (rc == WF_ENOMEM)
        snprintf(errbuf, errlen, "out of memory reading the NIBRS tables");
    return rc;
}

static int s_load_nibrs(enrich_reference_t *self, char *errbuf, size_t errlen)
{
    long long version = 0;
    enrich_nibrs_t *nibrs = enrich_nibrs_new();
    int rc = nibrs ? s_begin(self->conn, "nibrs", &version, errbuf, errlen) : WF_ENOMEM;
    if (rc == WF_OK) {
        rc = s_read_nibrs_rows(self->conn, nibrs, errbuf, errlen);
        s_end(self->conn);
    }
    if (rc == WF_OK)
        rc = enrich_nibrs_build(nibrs, errbuf, errlen);
    if (rc != WF_OK) {
        enrich_nibrs_destroy(&nibrs);
        return rc;
    }
    enrich_nibrs_destroy(&self->nibrs);
    self->nibrs = nibrs;
    self->nibrs_version = version;
    wf_stats_set(self->stats, "reference.nibrs_version", version);
    if (enrich_nibrs_offense_count(nibrs) == 0 || enrich_nibrs_kind_count(nibrs) == 0)
        wf_log_warn("NIBRS tables are empty: events get no NIBRS classification until "
                    "`wf-admin nibrs load` fills them");
    wf_log_notice("NIBRS tables loaded version=%lld offenses=%zu kinds=%zu agency_codes=%zu",
                  version, enrich_nibrs_offense_count(nibrs), enrich_nibrs_kind_count(nibrs),
                  enrich_nibrs_agency_code_count(nibrs));
    return WF_OK;
}

static int s_read_hotlist_rows(PGconn *conn, enrich_hotlist_t *hotlist, size_t *skipped,
                               char *errbuf, size_t errlen)
{
    PGresult *res = s_query(conn, "hotlists",
                            "SELECT list_name, entry_type, value_norm, entry_id,"
                            "       coalesce((extract(epoch FROM expires_at) * 1000000)::bigint, 0)"
                            "  FROM hotlists WHERE expires_at IS NULL OR expires_at > now()",
                            NULL, errbuf, errlen);
    if (!res)
        return WF_EIO;
    int rc = WF_OK;
    for (int i = 0; rc == WF_OK && i < PQntuples(res); i++) {
        enrich_hotlist_type_t type = strcmp(PQgetvalue(res, i, 1), "person") == 0
                                         ? ENRICH_HOTLIST_PERSON
                                         : ENRICH_HOTLIST_PLATE;
        rc = enrich_hotlist_add(hotlist, PQgetvalue(res, i, 0), type, PQgetvalue(res, i, 2),
                                s_text(res, i, 3), atoll(PQgetvalue(res, i, 4)));
        if (rc == WF_EINVAL) { /* a value_norm written by hand that normalises to nothing */
            (*skipped)++;
            rc = WF_OK;
        }
    }
    PQclear(res);
    if (rc == WF_ENOMEM)
        snprintf(errbuf, errlen, "out of memory reading the hot lists");
    return rc;
}

static int s_load_hotlist(enrich_reference_t *self, char *errbuf, size_t errlen)
{
    long long version = 0;
    size_t skipped = 0;
    enrich_hotlist_t *hotlist = enrich_hotlist_new(self->max_substitutions);
    int rc = hotlist ? s_begin(self->conn, "hotlists", &version, errbuf, errlen) : WF_ENOMEM;
    if (rc == WF_OK) {
        rc = s_read_hotlist_rows(self->conn, hotlist, &skipped, errbuf, errlen);
        s_end(self->conn);
    }
    if (rc == WF_OK && (rc = enrich_hotlist_build(hotlist)) != WF_OK)
        snprintf(errbuf, errlen, "out of memory indexing the hot lists");
    if (rc != WF_OK) {
        enrich_hotlist_destroy(&hotlist);
        return rc;
    }
    enrich_hotlist_destroy(&self->hotlist);
    self->hotlist = hotlist;
    self->hotlist_version = version;
    wf_stats_set(self->stats, "reference.hotlist_version", version);
    if (skipped)
        wf_log_warn("hot-list entries skipped count=%zu reason=\"value_norm has no letter or "
                    "digit\"",
                    skipped);
    wf_log_notice("hot lists loaded version=%lld plates=%zu persons=%zu", version,
                  enrich_hotlist_count(hotlist, ENRICH_HOTLIST_PLATE),
                  enrich_hotlist_count(hotlist, ENRICH_HOTLIST_PERSON));
    return WF_OK;
}

/* ---- polling ----------------------------------------------------------------------------- */

/* Reads both counters; -1 for a missing row. */
static int s_versions(enrich_reference_t *self, long long *nibrs, long long *hotlists, char *errbuf,
                      size_t errlen)
{
    PGresult *res = s_query(self->conn, "reference_versions",
                            "SELECT name, version FROM reference_versions", NULL, errbuf, errlen);
    if (!res)
        return WF_EIO;
    *nibrs = *hotlists = -1;
    for (int i = 0; i < PQntuples(res); i++) {
        if (strcmp(PQgetvalue(res, i, 0), "nibrs") == 0)
            *nibrs = atoll(PQgetvalue(res, i, 1));
        else if (strcmp(PQgetvalue(res, i, 0), "hotlists") == 0)
            *hotlists = atoll(PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return WF_OK;
}

static int s_poll(enrich_reference_t *self, char *errbuf, size_t errlen)
{
    if (PQstatus(self->conn) != CONNECTION_OK) {
        PQreset(self->conn);
        if (PQstatus(self->conn) != CONNECTION_OK) {
            snprintf(errbuf, errlen, "reconnecting: %s", PQerrorMessage(self->conn));
            errbuf[strcspn(errbuf, "\n")] = '\0';
            return WF_EIO;
        }
    }
    long long nibrs, hotlists;
    int rc = s_versions(self, &nibrs, &hotlists, errbuf, errlen);
    if (rc == WF_OK && nibrs != self->nibrs_version &&
        (rc = s_load_nibrs(self, errbuf, errlen)) == WF_OK)
        wf_stats_add(self->stats, "reference.nibrs_reloads", 1);
    if (rc == WF_OK && hotlists != self->hotlist_version &&
        (rc = s_load_hotlist(self, errbuf, errlen)) == WF_OK)
        wf_stats_add(self->stats, "reference.hotlist_reloads", 1);
    return rc;
}

void enrich_reference_refresh(enrich_reference_t *self)
{
    int64_t now = wf_clock_mono_us();
    if (now < self->next_poll_us)
        return;
    self->next_poll_us = now + self->poll_us;
    char err[512] = "";
    int rc = s_poll(self, err, sizeof err);
    if (rc != WF_OK && !self->failing)
        wf_log_warn("reference tables not refreshed (the ones in use stay) error=\"%s\"", err);
    else if (rc == WF_OK && self->failing)
        wf_log_notice("reference tables refreshed again");
    if (rc != WF_OK)
        wf_stats_add(self->stats, "reference.poll_failed", 1);
    self->failing = rc != WF_OK;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

enrich_reference_t *enrich_reference_new(const wf_config_t *config, wf_stats_t *stats, char *errbuf,
                                         size_t errlen)
{
    enrich_reference_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->stats = stats;
    self->poll_us = wf_config_duration_us(config, "enrich.reference_poll");
    self->max_substitutions = (unsigned)wf_config_int(config, "enrich.hotlist.max_substitutions");
    self->nibrs_version = self->hotlist_version = -1;
    self->conn = PQconnectdb(wf_config_string(config, "pg.conninfo"));
    if (!self->conn || PQstatus(self->conn) != CONNECTION_OK) {
        snprintf(errbuf, errlen, "reference tables: cannot connect: %s",
                 self->conn ? PQerrorMessage(self->conn) : "out of memory");
        errbuf[strcspn(errbuf, "\n")] = '\0';
        goto fail;
    }
    PGresult *res = s_query(self->conn, "schema", "SELECT to_regclass('reference_versions')", NULL,
                            errbuf, errlen);
    bool ready = res && !PQgetisnull(res, 0, 0);
    PQclear(res);
    if (!ready) {
        if (res)
            snprintf(errbuf, errlen,
                     "table reference_versions does not exist: run `wf-admin "
                     "migrate` (migration 0005)");
        goto fail;
    }
    if (s_load_nibrs(self, errbuf, errlen) != WF_OK ||
        s_load_hotlist(self, errbuf, errlen) != WF_OK)
        goto fail;
    self->next_poll_us = wf_clock_mono_us() + self->poll_us;
    return self;
fail:
    enrich_reference_destroy(&self);
    return NULL;
}

void enrich_reference_destroy(enrich_reference_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    enrich_reference_t *self = *self_p;
    PQfinish(self->conn);
    enrich_nibrs_destroy(&self->nibrs);
    enrich_hotlist_destroy(&self->hotlist);
    free(self);
    *self_p = NULL;
}

const enrich_nibrs_t *enrich_reference_nibrs(const enrich_reference_t *self)
{
    return self->nibrs;
}

const enrich_hotlist_t *enrich_reference_hotlist(const enrich_reference_t *self)
{
    return self->hotlist;
}
