/* admin_service_geofences.c — database glue of `wf-admin geofence import|list|remove`.
 *
 * Import works like load-boundaries (admin_service_boundaries.c): the features read by
 * admin_geojson.c go into a temporary staging table through ST_GeomFromGeoJSON, PostGIS repairs
 * invalid polygons (ST_MakeValid, reported), features sharing a name are merged into one
 * MultiPolygon, and each name is inserted or replaced — all in one transaction, so wf-alert
 * never reads half an import. wf-alert picks the geofences up at its next start or SIGHUP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "admin_service.h"

static int s_check_schema(PGconn *pg, char *errbuf, size_t errlen)
{
    PGresult *result = NULL;
    int rc = admin_pg_query(pg, "schema", "SELECT to_regclass('geofences') IS NOT NULL", 0, NULL,
                            &result, errbuf, errlen);
    if (rc)
        return rc;
    bool ready = strcmp(PQgetvalue(result, 0, 0), "t") == 0;
    PQclear(result);
    if (!ready) {
        admin_errorf(errbuf, errlen,
                     "table geofences does not exist: run `wf-admin migrate` first");
        return WF_EINVAL;
    }
    return WF_OK;
}

static int s_stage(PGconn *pg, const admin_features_t *features, char *errbuf, size_t errlen)
{
    int rc = admin_pg_query(pg, "staging table",
                            "CREATE TEMP TABLE wf_geofence_stage (idx integer, name text,"
                            " description text, geom geometry, properties jsonb) ON COMMIT DROP",
                            0, NULL, NULL, errbuf, errlen);
    for (size_t i = 0; i < features->count && !rc; i++) {
        const admin_feature_t *f = &features->items[i];
        char index[24], context[96];
        snprintf(index, sizeof index, "%zu", f->index);
        snprintf(context, sizeof context, "feature %zu (geofence %.40s)", f->index, f->code);
        const char *params[] = {index, f->code, f->name, f->geometry, f->properties};
        rc = admin_pg_query(pg, context,
                            "INSERT INTO wf_geofence_stage VALUES"
                            " ($1::integer, $2, $3, ST_GeomFromGeoJSON($4), $5::jsonb)",
                            5, params, NULL, errbuf, errlen);
    }
    return rc;
}

/* WGS84 polygons only; what ST_MakeValid repaired is described in note. */
static int s_repair(PGconn *pg, char *note, size_t notelen, char *errbuf, size_t errlen)
{
    /* GeoJSON without a crs member is WGS84 lon/lat (RFC 7946) */
    int rc = admin_pg_query(pg, "srid",
                            "UPDATE wf_geofence_stage SET geom = CASE"
                            " WHEN ST_SRID(geom) = 0 THEN ST_SetSRID(geom, 4326)"
                            " ELSE ST_Transform(geom, 4326) END WHERE ST_SRID(geom) <> 4326",
                            0, NULL, NULL, errbuf, errlen);
    PGresult *result = NULL;
    if (rc || (rc = admin_pg_query(pg, "ST_MakeValid",
                                   "WITH fixed AS (UPDATE wf_geofence_stage"
                                   "   SET geom = ST_CollectionExtract(ST_MakeValid(geom), 3)"
                                   " WHERE NOT ST_IsValid(geom) RETURNING idx, name)"
                                   " SELECT count(*), string_agg(idx || ' (' || name || ')', ', '"
                                   "                             ORDER BY idx) FROM fixed",
                                   0, NULL, &result, errbuf, errlen)))
        return rc;
    if (strcmp(PQgetvalue(result, 0, 0), "0") != 0)
        snprintf(note, notelen, "repaired %s invalid geometr%s with ST_MakeValid: feature %s\n",
                 PQgetvalue(result, 0, 0), strcmp(PQgetvalue(result, 0, 0), "1") ? "ies" : "y",
                 PQgetvalue(result, 0, 1));
    PQclear(result);
    result = NULL;
    if ((rc = admin_pg_query(pg, "empty geometries",
                             "SELECT idx, name FROM wf_geofence_stage WHERE ST_IsEmpty(geom)"
                             " ORDER BY idx LIMIT 1",
                             0, NULL, &result, errbuf, errlen)))
        return rc;
    if (PQntuples(result) > 0) {
        admin_errorf(errbuf, errlen, "feature %s (geofence %s): no polygon left after ST_MakeValid",
                     PQgetvalue(result, 0, 0), PQgetvalue(result, 0, 1));
        rc = WF_EINVAL;
    }
    PQclear(result);
    return rc;
}

/* Inserts or replaces each staged name; the account goes to note. */
static int s_upsert(PGconn *pg, const admin_geofence_args_t *args, size_t nfeatures, char *note,
                    size_t notelen, char *errbuf, size_t errlen)
{
    const char *params[] = {args->agency};
    PGresult *result = NULL;
    int rc = admin_pg_query(
        pg, "insert geofences",
        "WITH merged AS ("
        "  SELECT name,"
        "         (array_agg(description ORDER BY idx)"
        "            FILTER (WHERE description IS NOT NULL))[1] AS description,"
        "         ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)) AS geom,"
        "         (array_agg(properties ORDER BY idx))[1] AS properties"
        "    FROM wf_geofence_stage GROUP BY name),"
        " upserted AS ("
        "  INSERT INTO geofences AS g (name, description, agency, geom, properties)"
        "  SELECT name, description, $1, geom, properties FROM merged"
        "  ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description,"
        "     agency = EXCLUDED.agency, geom = EXCLUDED.geom, properties = EXCLUDED.properties,"
        "     created_at = now()"
        "  RETURNING (xmax = 0) AS inserted)"
        " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)"
        "   FROM upserted",
        1, params, &result, errbuf, errlen);
    if (!rc) {
        size_t at = strlen(note);
        snprintf(note + at, notelen - at, "geofences: %zu features → %s new, %s replaced\n",
                 nfeatures, PQgetvalue(result, 0, 0), PQgetvalue(result, 0, 1));
    }
    PQclear(result);
    return rc;
}

int admin_geofences_import(PGconn *pg, const admin_geofence_args_t *args,
                           const admin_features_t *features, FILE *out, char *errbuf, size_t errlen)
{
    int rc = s_check_schema(pg, errbuf, errlen);
    if (rc || (rc = admin_pg_query(pg, "begin", "BEGIN", 0, NULL, NULL, errbuf, errlen)))
        return rc;
    char note[4096] = "";
    if (!(rc = s_stage(pg, features, errbuf, errlen)) &&
        !(rc = s_repair(pg, note, sizeof note, errbuf, errlen)) &&
        !(rc = s_upsert(pg, args, features->count, note, sizeof note, errbuf, errlen)))
        rc = admin_pg_query(pg, "commit", "COMMIT", 0, NULL, NULL, errbuf, errlen);
    if (rc)
        PQclear(PQexec(pg, "ROLLBACK"));
    else
        fprintf(out, "%sreload wf-alert (kill -HUP) for rules to see them\n", note);
    return rc;
}

int admin_geofences_list(PGconn *pg, FILE *out, char *errbuf, size_t errlen)
{
    PGresult *result = NULL;
    int rc = s_check_schema(pg, errbuf, errlen);
    if (!rc)
        rc = admin_pg_query(
            pg, "list geofences",
            "SELECT name, coalesce(agency, '-'),"
            "       round((ST_Area(geom::geography) / 1e6)::numeric, 3),"
            "       ST_NumGeometries(geom),"
            "       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
            "       coalesce(description, '')"
            "  FROM geofences ORDER BY name",
            0, NULL, &result, errbuf, errlen);
    if (rc)
        return rc;
    fprintf(out, "%-32s %-8s %12s %6s %-20s %s\n", "name", "agency", "area_km2", "parts",
            "created_at", "description");
    for (int i = 0; i < PQntuples(result); i++)
        fprintf(out, "%-32s %-8s %12s %6s %-20s %s\n", PQgetvalue(result, i, 0),
                PQgetvalue(result, i, 1), PQgetvalue(result, i, 2), PQgetvalue(result, i, 3),
                PQgetvalue(result, i, 4), PQgetvalue(result, i, 5));
    fprintf(out, "%d geofence%s\n", PQntuples(result), PQntuples(result) == 1 ? "" : "s");
    PQclear(result);
    return WF_OK;
}

int admin_geofences_remove(PGconn *pg, const char *name, FILE *out, char *errbuf, size_t errlen)
{
    PGresult *result = NULL;
    const char *params[] = {name};
    int rc = s_check_schema(pg, errbuf, errlen);
    if (!rc)
        rc = admin_pg_query(pg, "remove geofence", "DELETE FROM geofences WHERE name = $1", 1,
                            params, &result, errbuf, errlen);
    if (rc)
        return rc;
    bool removed = strcmp(PQcmdTuples(result), "1") == 0;
    PQclear(result);
    if (!removed) {
        admin_errorf(errbuf, errlen, "no geofence named '%s'", name);
        return WF_ENOTFOUND;
    }
    fprintf(out,
            "removed geofence %s (wf-alert refuses a rule file naming it at its next reload)\n",
            name);
    return WF_OK;
}
