/* admin_service_hotlist.c — database glue of `wf-admin hotlist import|list|remove`.
 *
 * An import is a snapshot of one list (hot-list files are typically full daily extracts): the
 * entries of the file are staged in a temporary table, existing ones are updated where they
 * changed, new ones inserted and — unless --append — entries of the list that the file no
 * longer has are removed, all in one transaction. An entry keeps its first added_at across
 * imports unless the file gives one. Times without a zone are read as UTC. The hotlists
 * statement trigger (migration 0005) bumps reference_versions('hotlists') on commit; a running
 * wf-enrich reloads within enrich.reference_poll.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>
#include <wf/hotlist.h>

#include "admin_csv.h"
#include "admin_reference.h"
#include "admin_service.h"

static long s_affected(PGresult *result)
{
    return atol(PQcmdTuples(result));
}

static int s_stage(PGconn *pg, const admin_reference_args_t *args,
                   const admin_hotlist_entry_t *entries, size_t count, char *errbuf, size_t errlen)
{
    int rc = admin_pg_query(pg, "staging table",
                            "CREATE TEMP TABLE wf_hotlist_stage (line bigint, entry_type text,"
                            " value text, value_norm text, entry_id text, agency text,"
                            " reason text, added_at timestamptz, expires_at timestamptz)"
                            " ON COMMIT DROP",
                            0, NULL, NULL, errbuf, errlen);
    for (size_t i = 0; i < count && !rc; i++) {
        const admin_hotlist_entry_t *e = &entries[i];
        char line[24], context[600];
        snprintf(line, sizeof line, "%ld", e->line);
        snprintf(context, sizeof context, "%s line %ld", args->file, e->line);
        const char *params[] = {line,      e->entry_type, e->value,    e->value_norm, e->entry_id,
                                e->agency, e->reason,     e->added_at, e->expires_at};
        rc = admin_pg_query(pg, context,
                            "INSERT INTO wf_hotlist_stage VALUES ($1::bigint, $2, $3, $4, $5, $6,"
                            " $7, $8::timestamptz, $9::timestamptz)",
                            9, params, NULL, errbuf, errlen);
    }
    return rc;
}

/* Applies the staged snapshot to the list; fills the counts. */
static int s_merge(PGconn *pg, const admin_reference_args_t *args, long counts[4], char *errbuf,
                   size_t errlen)
{
    const char *list[] = {args->list};
    PGresult *result = NULL;
    int rc = WF_OK;
    if (!args->append) {
        rc = admin_pg_query(pg, "remove",
                            "DELETE FROM hotlists h WHERE h.list_name = $1 AND NOT EXISTS ("
                            " SELECT 1 FROM wf_hotlist_stage s WHERE s.entry_type = h.entry_type"
                            " AND s.value_norm = h.value_norm)",
                            1, list, &result, errbuf, errlen);
        counts[2] = rc ? 0 : s_affected(result);
        PQclear(result);
    }
    if (!rc) {
        rc = admin_pg_query(
            pg, "update",
            "UPDATE hotlists h SET value = s.value, entry_id = s.entry_id, agency = s.agency,"
            " reason = s.reason, expires_at = s.expires_at,"
            " added_at = coalesce(s.added_at, h.added_at)"
            " FROM wf_hotlist_stage s WHERE h.list_name = $1 AND h.entry_type = s.entry_type"
            " AND h.value_norm = s.value_norm AND (h.value, h.entry_id, h.agency, h.reason,"
            " h.expires_at, h.added_at) IS DISTINCT FROM (s.value, s.entry_id, s.agency,"
            " s.reason, s.expires_at, coalesce(s.added_at, h.added_at))",
            1, list, &result, errbuf, errlen);
        counts[1] = rc ? 0 : s_affected(result);
        PQclear(result);
    }
    if (!rc) {
        rc = admin_pg_query(
            pg, "insert",
            "INSERT INTO hotlists (list_name, entry_type, value, value_norm, entry_id, agency,"
            " reason, added_at, expires_at)"
            " SELECT $1, entry_type, value, value_norm, entry_id, agency, reason,"
            "        coalesce(added_at, now()), expires_at FROM wf_hotlist_stage s"
            " WHERE NOT EXISTS (SELECT 1 FROM hotlists h WHERE h.list_name = $1"
            "  AND h.entry_type = s.entry_type AND h.value_norm = s.value_norm)",
            1, list, &result, errbuf, errlen);
        counts[0] = rc ? 0 : s_affected(result);
        PQclear(result);
    }
    if (!rc) {
        rc = admin_pg_query(pg, "expired",
                            "SELECT count(*) FROM wf_hotlist_stage WHERE expires_at <= now()", 0,
                            NULL, &result, errbuf, errlen);
        counts[3] = rc ? 0 : atol(PQgetvalue(result, 0, 0));
        PQclear(result);
    }
    return rc;
}

static int s_import(PGconn *pg, const admin_reference_args_t *args, FILE *out, char *errbuf,
                    size_t errlen)
{
    admin_hotlist_entry_t *entries = NULL;
    size_t count = 0;
    char reason[1024] = "";
    admin_csv_t *csv = admin_csv_load(args->file, errbuf, errlen);
    int rc = csv ? WF_OK : WF_EINVAL;
    if (!rc &&
        (rc = admin_hotlist_entries(csv, args->type, &entries, &count, reason, sizeof reason)))
        admin_errorf(errbuf, errlen, "%s: %s (nothing imported)", args->file, reason);
    long counts[4] = {0, 0, 0, 0}; /* inserted, updated, removed, already expired */
    if (!rc && !(rc = admin_pg_query(pg, "begin", "BEGIN", 0, NULL, NULL, errbuf, errlen))) {
        rc = admin_pg_query(pg, "time zone", "SET LOCAL TIME ZONE 'UTC'", 0, NULL, NULL, errbuf,
                            errlen);
        if (!rc)
            rc = s_stage(pg, args, entries, count, errbuf, errlen);
        if (!rc)
            rc = s_merge(pg, args, counts, errbuf, errlen);
        if (!rc)
            rc = admin_pg_query(pg, "commit", "COMMIT", 0, NULL, NULL, errbuf, errlen);
        if (rc)
            PQclear(PQexec(pg, "ROLLBACK"));
    }
    if (!rc) {
        fprintf(out, "hotlist %s: %zu entries in %s: %ld new, %ld changed, %ld removed%s\n",
                args->list, count, args->file, counts[0], counts[1], counts[2],
                args->append ? " (--append: none removed)" : "");
        if (counts[3])
            fprintf(out, "note: %ld entries of the file have already expired; they never match\n",
                    counts[3]);
    }
    free(entries);
    admin_csv_destroy(&csv);
    return rc;
}

static int s_list(PGconn *pg, const admin_reference_args_t *args, FILE *out, char *errbuf,
                  size_t errlen)
{
    PGresult *result = NULL;
    const char *list[] = {args->list};
    int rc;
    if (!args->list) {
        rc = admin_pg_query(pg, "hotlists",
                            "SELECT list_name, entry_type, count(*),"
                            "       count(*) FILTER (WHERE expires_at <= now()),"
                            "       to_char(max(added_at) AT TIME ZONE 'UTC',"
                            "               'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                            "  FROM hotlists GROUP BY 1, 2 ORDER BY 1, 2",
                            0, NULL, &result, errbuf, errlen);
        for (int i = 0; !rc && i < PQntuples(result); i++)
            fprintf(out, "%s  %s  entries=%s  expired=%s  last_added=%s\n",
                    PQgetvalue(result, i, 0), PQgetvalue(result, i, 1), PQgetvalue(result, i, 2),
                    PQgetvalue(result, i, 3), PQgetvalue(result, i, 4));
        if (!rc && PQntuples(result) == 0)
            fprintf(out, "no hot lists\n");
    } else {
        rc = admin_pg_query(pg, "hotlists",
                            "SELECT entry_type, value_norm, value, coalesce(entry_id, '-'),"
                            "       coalesce(agency, '-'),"
                            "       coalesce(to_char(expires_at AT TIME ZONE 'UTC',"
                            "                'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'never'),"
                            "       CASE WHEN expires_at <= now() THEN ' (expired)' ELSE '' END,"
                            "       coalesce(reason, '')"
                            "  FROM hotlists WHERE list_name = $1 ORDER BY 1, 2",
                            1, list, &result, errbuf, errlen);
        for (int i = 0; !rc && i < PQntuples(result); i++)
            fprintf(out, "%s  %s  (%s)  id=%s  agency=%s  expires=%s%s  %s\n",
                    PQgetvalue(result, i, 0), PQgetvalue(result, i, 1), PQgetvalue(result, i, 2),
                    PQgetvalue(result, i, 3), PQgetvalue(result, i, 4), PQgetvalue(result, i, 5),
                    PQgetvalue(result, i, 6), PQgetvalue(result, i, 7));
        if (!rc)
            fprintf(out, "(%d entries in %s)\n", PQntuples(result), args->list);
    }
    PQclear(result);
    return rc;
}

static int s_remove(PGconn *pg, const admin_reference_args_t *args, FILE *out, char *errbuf,
                    size_t errlen)
{
    PGresult *result = NULL;
    long removed = 0;
    int rc = WF_OK;
    if (args->nvalues == 0) {
        const char *params[] = {args->list};
        rc = admin_pg_query(pg, "remove", "DELETE FROM hotlists WHERE list_name = $1", 1, params,
                            &result, errbuf, errlen);
        removed = rc ? 0 : s_affected(result);
        PQclear(result);
    }
    for (int i = 0; i < args->nvalues && !rc; i++) {
        char plate[WF_HOTLIST_VALUE_MAX + 1], person[WF_HOTLIST_VALUE_MAX + 1];
        wf_hotlist_normalize_plate(args->values[i], plate, sizeof plate);
        wf_hotlist_normalize_person(args->values[i], person, sizeof person);
        const char *params[] = {args->list, plate, person};
        rc = admin_pg_query(pg, "remove",
                            "DELETE FROM hotlists WHERE list_name = $1 AND ("
                            " (entry_type = 'plate' AND value_norm = $2) OR"
                            " (entry_type = 'person' AND value_norm = $3))",
                            3, params, &result, errbuf, errlen);
        long n = rc ? 0 : s_affected(result);
        PQclear(result);
        if (!rc && n == 0)
            fprintf(out, "not in %s: %s\n", args->list, args->values[i]);
        removed += n;
    }
    if (rc)
        return rc;
    fprintf(out, "hotlist %s: %ld entries removed\n", args->list, removed);
    if (removed == 0) {
        admin_errorf(errbuf, errlen, "nothing in hot list '%s' matched", args->list);
        return WF_ENOTFOUND;
    }
    return WF_OK;
}

int admin_hotlist_run(PGconn *pg, const admin_reference_args_t *args, FILE *out, char *errbuf,
                      size_t errlen)
{
    if (strcmp(args->action, "import") == 0)
        return s_import(pg, args, out, errbuf, errlen);
    if (strcmp(args->action, "list") == 0)
        return s_list(pg, args, out, errbuf, errlen);
    return s_remove(pg, args, out, errbuf, errlen);
}
