/* admin_service.c — wf-admin's database glue: connecting, migrating, listing dead letters.
 *
 * The decisions (which migrations, in what order, whether a checksum changed) are made by the
 * pure admin_migrations.c; this file only executes them. Every value that comes from outside
 * travels as a query parameter. The migration texts themselves are the one exception: they
 * are compiled into the binary and run as given, several statements at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>

#include "admin_service.h"

/* pg_advisory_lock key serialising concurrent `wf-admin migrate` runs ("wfmigr" in ASCII). */
#define S_MIGRATE_LOCK "131277873997170"

/* Server notices ("extension already exists, skipping") are routine for a migration. */
static void s_notice(void *arg, const char *message)
{
    (void)arg;
    wf_log_debug("pg", "notice msg=\"%.*s\"", (int)strcspn(message, "\n"), message);
}

PGconn *admin_pg_connect(const wf_config_t *config, char *errbuf, size_t errlen)
{
    const char *conninfo = wf_config_string(config, "pg.conninfo");
    PGconn *pg = PQconnectdb(conninfo);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        const char *message = pg ? PQerrorMessage(pg) : "out of memory";
        admin_errorf(errbuf, errlen, "cannot connect with pg.conninfo '%s': %.*s", conninfo,
                     (int)strcspn(message, "\n"), message);
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, s_notice, NULL);
    return pg;
}

void admin_pg_error(PGconn *pg, const PGresult *result, char *errbuf, size_t errlen)
{
    const char *primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_HINT) : NULL;
    if (!primary)
        primary = PQerrorMessage(pg);
    admin_errorf(errbuf, errlen, "%.*s%s%s%s%s%s", (int)strcspn(primary, "\n"), primary,
                 detail ? ": " : "", detail ? detail : "", hint ? " (hint: " : "", hint ? hint : "",
                 hint ? ")" : "");
}

int admin_pg_query(PGconn *pg, const char *context, const char *sql, int nparams,
                   const char *const *params, PGresult **result_p, char *errbuf, size_t errlen)
{
    PGresult *result = PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        char reason[768];
        admin_pg_error(pg, result, reason, sizeof reason);
        admin_errorf(errbuf, errlen, "%s: %s", context, reason);
        PQclear(result);
        return WF_EIO;
    }
    if (result_p)
        *result_p = result;
    else
        PQclear(result);
    return WF_OK;
}

static int s_lock(PGconn *pg, FILE *out, char *errbuf, size_t errlen)
{
    const char *params[] = {S_MIGRATE_LOCK};
    PGresult *result = NULL;
    int rc = admin_pg_query(pg, "advisory lock", "SELECT pg_try_advisory_lock($1::bigint)", 1,
                            params, &result, errbuf, errlen);
    if (rc)
        return rc;
    bool locked = strcmp(PQgetvalue(result, 0, 0), "t") == 0;
    PQclear(result);
    if (locked)
        return WF_OK;
    fprintf(out, "waiting for another wf-admin migrate to finish …\n");
    fflush(out);
    return admin_pg_query(pg, "advisory lock", "SELECT pg_advisory_lock($1::bigint)", 1, params,
                          NULL, errbuf, errlen);
}

/* Reads schema_migrations; *applied_p and the strings stay valid until *result_p is cleared. */
static int s_applied(PGconn *pg, PGresult **result_p, admin_applied_t **applied_p, size_t *n,
                     char *errbuf, size_t errlen)
{
    int rc =
        admin_pg_query(pg, "schema_migrations",
                       "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                       " applied_at timestamptz NOT NULL DEFAULT now())",
                       0, NULL, NULL, errbuf, errlen);
    if (rc ||
        (rc = admin_pg_query(pg, "schema_migrations",
                             "SELECT version, name, checksum FROM schema_migrations ORDER BY 1", 0,
                             NULL, result_p, errbuf, errlen)))
        return rc;
    *n = (size_t)PQntuples(*result_p);
    *applied_p = calloc(*n ? *n : 1, sizeof **applied_p);
    if (!*applied_p)
        return WF_ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        (*applied_p)[i].version = atoi(PQgetvalue(*result_p, (int)i, 0));
        (*applied_p)[i].name = PQgetvalue(*result_p, (int)i, 1);
        (*applied_p)[i].checksum = PQgetvalue(*result_p, (int)i, 2);
    }
    return WF_OK;
}

/* Applies one migration and records it, in one transaction. */
static int s_apply(PGconn *pg, const admin_migration_t *m, char *errbuf, size_t errlen)
{
    int rc = admin_pg_query(pg, m->file, "BEGIN", 0, NULL, NULL, errbuf, errlen);
    if (rc)
        return rc;
    PGresult *result = PQexec(pg, m->sql);
    if (PQresultStatus(result) != PGRES_COMMAND_OK && PQresultStatus(result) != PGRES_TUPLES_OK) {
        const char *position = PQresultErrorField(result, PG_DIAG_STATEMENT_POSITION);
        int line = position ? admin_migration_line(m->sql, m->length, atol(position)) : 0;
        char reason[768];
        admin_pg_error(pg, result, reason, sizeof reason);
        admin_errorf(errbuf, errlen, "deploy/migrations/%s%s%.0d: %s (nothing of it was applied)",
                     m->file, line ? " line " : "", line, reason);
        PQclear(result);
        PQclear(PQexec(pg, "ROLLBACK"));
        return WF_EIO;
    }
    PQclear(result);
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[] = {version, m->name, m->checksum};
    rc = admin_pg_query(pg, m->file,
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at)"
                        " VALUES ($1::integer, $2, $3, now())",
                        3, params, NULL, errbuf, errlen);
    if (!rc)
        rc = admin_pg_query(pg, m->file, "COMMIT", 0, NULL, NULL, errbuf, errlen);
    if (rc)
        PQclear(PQexec(pg, "ROLLBACK"));
    return rc;
}

/* Applies what the plan says is pending, in version order. */
static int s_apply_pending(PGconn *pg, const admin_migration_t *plan, size_t n, const bool *pending,
                           FILE *out, char *errbuf, size_t errlen)
{
    size_t applied = 0;
    for (size_t i = 0; i < n; i++) {
        if (!pending[i])
            continue;
        int64_t start = wf_clock_mono_us();
        int rc = s_apply(pg, &plan[i], errbuf, errlen);
        if (rc)
            return rc;
        fprintf(out, "applied %s (%.0f ms)\n", plan[i].file,
                (double)(wf_clock_mono_us() - start) / 1000.0);
        applied++;
    }
    if (applied == 0)
        fprintf(out, "database is up to date (%zu migration%s applied before): nothing to do\n", n,
                n == 1 ? "" : "s");
    else
        fprintf(out, "%zu migration%s applied, %zu already applied before\n", applied,
                applied == 1 ? "" : "s", n - applied);
    return WF_OK;
}

int admin_migrate(PGconn *pg, FILE *out, char *errbuf, size_t errlen)
{
    size_t n = admin_migrations_embedded_count, napplied = 0, unknown = 0;
    admin_migration_t *plan = calloc(n ? n : 1, sizeof *plan);
    bool *pending = calloc(n ? n : 1, sizeof *pending);
    admin_applied_t *applied = NULL;
    PGresult *result = NULL;
    int rc = plan && pending ? WF_OK : WF_ENOMEM;
    if (rc || (rc = admin_migrations_plan(admin_migrations_embedded, n, plan, errbuf, errlen)))
        goto cleanup;
    if ((rc = s_lock(pg, out, errbuf, errlen)))
        goto cleanup;
    rc = s_applied(pg, &result, &applied, &napplied, errbuf, errlen);
    if (!rc)
        rc =
            admin_migrations_pending(plan, n, applied, napplied, pending, &unknown, errbuf, errlen);
    if (!rc && unknown)
        fprintf(out, "note: the database has %zu migration%s newer than this wf-admin knows\n",
                unknown, unknown == 1 ? "" : "s");
    if (!rc)
        rc = s_apply_pending(pg, plan, n, pending, out, errbuf, errlen);
    const char *params[] = {S_MIGRATE_LOCK};
    char ignored[256];
    admin_pg_query(pg, "advisory unlock", "SELECT pg_advisory_unlock($1::bigint)", 1, params, NULL,
                   ignored, sizeof ignored); /* the session's end releases it anyway */
cleanup:
    if (rc == WF_ENOMEM)
        admin_errorf(errbuf, errlen, "out of memory");
    PQclear(result);
    free(applied);
    free(pending);
    free(plan);
    return rc;
}

int admin_dead_letters_list(PGconn *pg, const admin_deadletter_args_t *args, FILE *out,
                            char *errbuf, size_t errlen)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", args->limit);
    const char *params[] = {args->source, limit};
    PGresult *result = NULL;
    int rc = admin_pg_query(pg, "dead letters",
                            "SELECT to_char(received_at AT TIME ZONE 'UTC',"
                            "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
                            "       stage, source, coalesce(position, '-'), reason_code,"
                            "       coalesce(field, '-'), reason, count(*) OVER ()"
                            "  FROM dead_letters"
                            " WHERE $1::text IS NULL OR source = $1"
                            " ORDER BY received_at DESC, dead_letter_id"
                            " LIMIT $2::integer",
                            2, params, &result, errbuf, errlen);
    if (rc)
        return rc;
    int rows = PQntuples(result);
    if (rows == 0)
        fprintf(out, "no dead letters%s%s\n", args->source ? " from source " : "",
                args->source ? args->source : "");
    for (int i = 0; i < rows; i++)
        fprintf(out, "%s  %s  %s  %s  %s  field=%s  %s\n", PQgetvalue(result, i, 0),
                PQgetvalue(result, i, 1), PQgetvalue(result, i, 2), PQgetvalue(result, i, 3),
                PQgetvalue(result, i, 4), PQgetvalue(result, i, 5), PQgetvalue(result, i, 6));
    if (rows > 0)
        fprintf(out, "(newest %d of %s dead letters%s%s)\n", rows, PQgetvalue(result, 0, 7),
                args->source ? " from source " : "", args->source ? args->source : "");
    PQclear(result);
    return WF_OK;
}
