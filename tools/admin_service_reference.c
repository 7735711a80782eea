/* admin_service_reference.c — database glue of `wf-admin nibrs`.
 *
 * The files are read and checked first (admin_csv, admin_reference); then one transaction
 * writes them with parameterised statements: the FBI offense table is upserted (kinds and
 * agency codes reference it, so rows are never deleted here), the kind crosswalk or the
 * agency's code table is replaced. The statement triggers of migration 0005 bump
 * reference_versions('nibrs') on commit, which is how a running wf-enrich learns to reload.
 */
#include <stdio.h>
#include <string.h>

#include <wf/err.h>

#include "admin_csv.h"
#include "admin_reference.h"
#include "admin_service.h"

static int s_check_schema(PGconn *pg, char *errbuf, size_t errlen)
{
    PGresult *result = NULL;
    int rc = admin_pg_query(pg, "schema", "SELECT to_regclass('nibrs_offense_types') IS NOT NULL",
                            0, NULL, &result, errbuf, errlen);
    if (rc)
        return rc;
    bool ready = strcmp(PQgetvalue(result, 0, 0), "t") == 0;
    PQclear(result);
    if (!ready) {
        admin_errorf(errbuf, errlen,
                     "table nibrs_offense_types does not exist: run `wf-admin "
                     "migrate` first");
        return WF_EINVAL;
    }
    return WF_OK;
}

static const char *s_nullable(const admin_csv_row_t *row, int col)
{
    const char *text = admin_csv_field(row, col);
    return *text ? text : NULL;
}

static int s_upsert_offenses(PGconn *pg, const admin_csv_t *csv,
                             const admin_nibrs_offense_cols_t *cols, char *errbuf, size_t errlen)
{
    int rc = WF_OK;
    for (size_t i = 0; i < csv->count && !rc; i++) {
        const admin_csv_row_t *row = &csv->rows[i];
        char context[64];
        snprintf(context, sizeof context, "offense types line %ld", row->line);
        const char *params[] = {
            admin_csv_field(row, cols->code),     admin_csv_field(row, cols->name),
            admin_csv_field(row, cols->category), admin_csv_field(row, cols->crime_against),
            s_nullable(row, cols->group),         s_nullable(row, cols->fbi_id)};
        rc =
            admin_pg_query(pg, context,
                           "INSERT INTO nibrs_offense_types AS t (code, name, category,"
                           "  crime_against, offense_group, fbi_id, loaded_at)"
                           " VALUES ($1, $2, $3, $4, $5, $6::integer, now())"
                           " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,"
                           "  category = EXCLUDED.category, crime_against = EXCLUDED.crime_against,"
                           "  offense_group = EXCLUDED.offense_group, fbi_id = EXCLUDED.fbi_id,"
                           "  loaded_at = now()",
                           6, params, NULL, errbuf, errlen);
    }
    return rc;
}

static int s_replace_kinds(PGconn *pg, const admin_csv_t *csv, const admin_nibrs_kind_cols_t *cols,
                           char *errbuf, size_t errlen)
{
    int rc =
        admin_pg_query(pg, "kind map", "DELETE FROM nibrs_kind_map", 0, NULL, NULL, errbuf, errlen);
    for (size_t i = 0; i < csv->count && !rc; i++) {
        const admin_csv_row_t *row = &csv->rows[i];
        char context[64];
        snprintf(context, sizeof context, "kinds line %ld", row->line);
        const char *params[] = {admin_csv_field(row, cols->kind), s_nullable(row, cols->nibrs_code),
                                s_nullable(row, cols->notes)};
        rc = admin_pg_query(pg, context,
                            "INSERT INTO nibrs_kind_map (kind, nibrs_code, notes)"
                            " VALUES ($1, $2, $3)",
                            3, params, NULL, errbuf, errlen);
    }
    return rc;
}

/* Runs work inside BEGIN … COMMIT, rolling back on failure. */
static int s_commit_or_rollback(PGconn *pg, int rc, char *errbuf, size_t errlen)
{
    if (rc == WF_OK)
        rc = admin_pg_query(pg, "commit", "COMMIT", 0, NULL, NULL, errbuf, errlen);
    if (rc != WF_OK)
        PQclear(PQexec(pg, "ROLLBACK"));
    return rc;
}

int admin_nibrs_load(PGconn *pg, const admin_reference_args_t *args, FILE *out, char *errbuf,
                     size_t errlen)
{
    char reason[768] = "";
    admin_nibrs_offense_cols_t offense_cols;
    admin_nibrs_kind_cols_t kind_cols;
    admin_csv_t *offenses = admin_csv_load(args->offense_types, errbuf, errlen);
    admin_csv_t *kinds = offenses ? admin_csv_load(args->kinds, errbuf, errlen) : NULL;
    int rc = offenses && kinds ? WF_OK : WF_EINVAL;
    if (!rc && (rc = admin_nibrs_offenses_check(offenses, &offense_cols, reason, sizeof reason)))
        admin_errorf(errbuf, errlen, "%s: %s", args->offense_types, reason);
    if (!rc && (rc = admin_nibrs_kinds_check(kinds, offenses, &offense_cols, &kind_cols, reason,
                                             sizeof reason)))
        admin_errorf(errbuf, errlen, "%s: %s", args->kinds, reason);
    if (!rc)
        rc = s_check_schema(pg, errbuf, errlen);
    if (!rc && !(rc = admin_pg_query(pg, "begin", "BEGIN", 0, NULL, NULL, errbuf, errlen))) {
        rc = s_upsert_offenses(pg, offenses, &offense_cols, errbuf, errlen);
        if (!rc)
            rc = s_replace_kinds(pg, kinds, &kind_cols, errbuf, errlen);
        rc = s_commit_or_rollback(pg, rc, errbuf, errlen);
    }
    if (!rc) {
        size_t mapped = 0;
        for (size_t i = 0; i < kinds->count; i++)
            mapped += *admin_csv_field(&kinds->rows[i], kind_cols.nibrs_code) != '\0';
        fprintf(out,
                "nibrs: %zu offense types, %zu kinds (%zu mapped, %zu without a NIBRS "
                "equivalent)\n",
                offenses->count, kinds->count, mapped, kinds->count - mapped);
    }
    admin_csv_destroy(&kinds);
    admin_csv_destroy(&offenses);
    return rc;
}

int admin_nibrs_agency_codes(PGconn *pg, const admin_reference_args_t *args, FILE *out,
                             char *errbuf, size_t errlen)
{
    char reason[768] = "";
    admin_nibrs_agency_cols_t cols;
    admin_csv_t *csv = admin_csv_load(args->file, errbuf, errlen);
    int rc = csv ? WF_OK : WF_EINVAL;
    if (!rc && (rc = admin_nibrs_agency_check(csv, &cols, reason, sizeof reason)))
        admin_errorf(errbuf, errlen, "%s: %s", args->file, reason);
    if (!rc)
        rc = s_check_schema(pg, errbuf, errlen);
    if (!rc && !(rc = admin_pg_query(pg, "begin", "BEGIN", 0, NULL, NULL, errbuf, errlen))) {
        const char *agency[] = {args->agency};
        rc = admin_pg_query(pg, "agency codes", "DELETE FROM nibrs_agency_codes WHERE agency = $1",
                            1, agency, NULL, errbuf, errlen);
        for (size_t i = 0; i < csv->count && !rc; i++) {
            const admin_csv_row_t *row = &csv->rows[i];
            char context[600];
            snprintf(context, sizeof context, "%s line %ld", args->file, row->line);
            const char *params[] = {args->agency, admin_csv_field(row, cols.offense_code),
                                    admin_csv_field(row, cols.nibrs_code),
                                    s_nullable(row, cols.notes)};
            rc = admin_pg_query(pg, context,
                                "INSERT INTO nibrs_agency_codes (agency, offense_code, nibrs_code,"
                                " notes) VALUES ($1, $2, $3, $4)",
                                4, params, NULL, errbuf, errlen);
        }
        rc = s_commit_or_rollback(pg, rc, errbuf, errlen);
    }
    if (!rc)
        fprintf(out, "nibrs: agency %s has %zu offense codes mapped to NIBRS\n", args->agency,
                csv->count);
    admin_csv_destroy(&csv);
    return rc;
}
