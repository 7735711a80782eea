/* admin_service_boundaries.c — database glue of `wf-admin load-boundaries`.
 *
 * The features read by admin_geojson.c go into a temporary staging table, one parameterised
 * INSERT each (geometry through ST_GeomFromGeoJSON). PostGIS then repairs what is invalid
 * (ST_MakeValid, counted), merges features that share a code into one MultiPolygon (Chicago's
 * beats file has 277 polygons for 275 beats) and replaces the layer of the boundary set — all
 * in one transaction, so a reader (enrich) sees the old layer or the new one, never a mixture,
 * and a re-run gives the same rows. On commit, NOTIFY wf_boundaries tells enrich to reload.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>

#include "admin_service.h"

static int s_check_schema(PGconn *pg, char *errbuf, size_t errlen)
{
    PGresult *result = NULL;
    int rc = admin_pg_query(pg, "schema", "SELECT to_regclass('boundaries') IS NOT NULL", 0, NULL,
                            &result, errbuf, errlen);
    if (rc)
        return rc;
    bool ready = strcmp(PQgetvalue(result, 0, 0), "t") == 0;
    PQclear(result);
    if (!ready) {
        admin_errorf(errbuf, errlen,
                     "table boundaries does not exist: run `wf-admin migrate` first");
        return WF_EINVAL;
    }
    return WF_OK;
}

/* Upserts the boundary_sets row. origin keeps one "layer: origin" line per layer, so loading
 * the districts does not erase where the beats came from. */
static int s_upsert_set(PGconn *pg, const admin_load_args_t *args, char *errbuf, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", args->file);
    const char *origin = args->origin ? args->origin : basename(path);
    const char *params[] = {args->boundary_set, args->jurisdiction, args->effective_from,
                            args->description,  args->layer,        origin};
    return admin_pg_query(
        pg, "boundary_sets",
        "INSERT INTO boundary_sets AS s (boundary_set, jurisdiction, effective_from,"
        "                                description, origin, loaded_at)"
        " VALUES ($1, $2, $3::date, $4, $5 || ': ' || $6, now())"
        " ON CONFLICT (boundary_set) DO UPDATE SET"
        "   jurisdiction = EXCLUDED.jurisdiction,"
        "   effective_from = EXCLUDED.effective_from,"
        "   description = coalesce(EXCLUDED.description, s.description),"
        "   loaded_at = now(),"
        "   origin = (SELECT string_agg(line, E'\\n' ORDER BY line) FROM ("
        "       SELECT line FROM regexp_split_to_table(coalesce(s.origin, ''), E'\\n') AS line"
        "        WHERE line <> '' AND split_part(line, ': ', 1) <> $5"
        "       UNION ALL SELECT EXCLUDED.origin) AS lines)",
        6, params, NULL, errbuf, errlen);
}

static int s_stage(PGconn *pg, const admin_features_t *features, char *errbuf, size_t errlen)
{
    int rc = admin_pg_query(pg, "staging table",
                            "CREATE TEMP TABLE wf_boundary_stage (idx integer, code text,"
                            " parent_code text, name text, geom geometry, properties jsonb)"
                            " ON COMMIT DROP",
                            0, NULL, NULL, errbuf, errlen);
    for (size_t i = 0; i < features->count && !rc; i++) {
        const admin_feature_t *f = &features->items[i];
        char index[24], context[64];
        snprintf(index, sizeof index, "%zu", f->index);
        snprintf(context, sizeof context, "feature %zu (code %.16s)", f->index, f->code);
        const char *params[] = {index,   f->code,     f->parent_code,
                                f->name, f->geometry, f->properties};
        rc = admin_pg_query(pg, context,
                            "INSERT INTO wf_boundary_stage VALUES"
                            " ($1::integer, $2, $3, $4, ST_GeomFromGeoJSON($5), $6::jsonb)",
                            6, params, NULL, errbuf, errlen);
    }
    return rc;
}

/* Brings the staged geometries to valid polygons in EPSG:4326; describes what was repaired
 * in note (empty when nothing was), printed once the load has committed. */
static int s_repair(PGconn *pg, char *note, size_t notelen, char *errbuf, size_t errlen)
{
    /* GeoJSON without a crs member is WGS84 lon/lat (RFC 7946) */
    int rc = admin_pg_query(pg, "srid",
                            "UPDATE wf_boundary_stage SET geom = CASE"
                            " WHEN ST_SRID(geom) = 0 THEN ST_SetSRID(geom, 4326)"
                            " ELSE ST_Transform(geom, 4326) END WHERE ST_SRID(geom) <> 4326",
                            0, NULL, NULL, errbuf, errlen);
    PGresult *result = NULL;
    if (rc || (rc = admin_pg_query(pg, "ST_MakeValid",
                                   "WITH fixed AS (UPDATE wf_boundary_stage"
                                   "   SET geom = ST_CollectionExtract(ST_MakeValid(geom), 3)"
                                   " WHERE NOT ST_IsValid(geom) RETURNING idx, code)"
                                   " SELECT count(*), string_agg(idx || ' (' || code || ')', ', '"
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
                             "SELECT idx, code FROM wf_boundary_stage WHERE ST_IsEmpty(geom)"
                             " ORDER BY idx LIMIT 1",
                             0, NULL, &result, errbuf, errlen)))
        return rc;
    if (PQntuples(result) > 0) {
        admin_errorf(errbuf, errlen, "feature %s (code %s): no polygon left after ST_MakeValid",
                     PQgetvalue(result, 0, 0), PQgetvalue(result, 0, 1));
        rc = WF_EINVAL;
    }
    PQclear(result);
    return rc;
}

/* Features merged under one code must agree on the parent (a beat lies in one district). */
static int s_check_parents(PGconn *pg, char *errbuf, size_t errlen)
{
    PGresult *result = NULL;
    int rc = admin_pg_query(pg, "parent codes",
                            "SELECT code, string_agg(DISTINCT parent_code, ', '),"
                            "       string_agg(idx::text, ', ' ORDER BY idx)"
                            "  FROM wf_boundary_stage GROUP BY code"
                            " HAVING count(DISTINCT parent_code) > 1 ORDER BY code LIMIT 1",
                            0, NULL, &result, errbuf, errlen);
    if (!rc && PQntuples(result) > 0) {
        admin_errorf(errbuf, errlen, "code %s has features (%s) with different parents: %s",
                     PQgetvalue(result, 0, 0), PQgetvalue(result, 0, 2), PQgetvalue(result, 0, 1));
        rc = WF_EINVAL;
    }
    PQclear(result);
    return rc;
}

/* Replaces the layer with the staged features merged by code; the account goes to note. */
static int s_replace(PGconn *pg, const admin_load_args_t *args, size_t nfeatures, char *note,
                     size_t notelen, char *errbuf, size_t errlen)
{
    const char *params[] = {args->boundary_set, args->layer};
    PGresult *deleted = NULL, *inserted = NULL, *merged = NULL;
    int rc = admin_pg_query(pg, "replace layer",
                            "DELETE FROM boundaries WHERE boundary_set = $1 AND layer = $2", 2,
                            params, &deleted, errbuf, errlen);
    if (!rc)
        rc = admin_pg_query(
            pg, "insert boundaries",
            "INSERT INTO boundaries (boundary_set, layer, code, name, parent_code, geom,"
            "                        properties)"
            " SELECT $1, $2, code,"
            "        (array_agg(name ORDER BY idx) FILTER (WHERE name IS NOT NULL))[1],"
            "        min(parent_code),"
            "        ST_Multi(ST_CollectionExtract(ST_Union(geom), 3)),"
            "        (array_agg(properties ORDER BY idx))[1]"
            "          || jsonb_build_object('wf_source_features', jsonb_agg(idx ORDER BY idx))"
            "   FROM wf_boundary_stage GROUP BY code",
            2, params, &inserted, errbuf, errlen);
    if (!rc)
        rc =
            admin_pg_query(pg, "merged codes",
                           "SELECT count(*), string_agg(code || ' (' || n || ' features)', ', '"
                           "                            ORDER BY code)"
                           "  FROM (SELECT code, count(*) AS n FROM wf_boundary_stage GROUP BY code"
                           "        HAVING count(*) > 1) AS m",
                           0, NULL, &merged, errbuf, errlen);
    if (!rc) {
        size_t at = strlen(note);
        at += (size_t)snprintf(note + at, notelen - at,
                               "boundary set %s, layer %s: %zu features → %s boundaries "
                               "(replaced %s)\n",
                               args->boundary_set, args->layer, nfeatures, PQcmdTuples(inserted),
                               PQcmdTuples(deleted));
        if (strcmp(PQgetvalue(merged, 0, 0), "0") != 0 && at < notelen)
            snprintf(note + at, notelen - at, "merged into one MultiPolygon: %s\n",
                     PQgetvalue(merged, 0, 1));
    }
    PQclear(deleted);
    PQclear(inserted);
    PQclear(merged);
    return rc;
}

int admin_boundaries_load(PGconn *pg, const admin_load_args_t *args,
                          const admin_features_t *features, FILE *out, char *errbuf, size_t errlen)
{
    int rc = s_check_schema(pg, errbuf, errlen);
    if (rc || (rc = admin_pg_query(pg, "begin", "BEGIN", 0, NULL, NULL, errbuf, errlen)))
        return rc;
    const char *params[] = {args->boundary_set};
    char note[8192] = "";
    if (!(rc = s_upsert_set(pg, args, errbuf, errlen)) &&
        !(rc = s_stage(pg, features, errbuf, errlen)) &&
        !(rc = s_repair(pg, note, sizeof note, errbuf, errlen)) &&
        !(rc = s_check_parents(pg, errbuf, errlen)) &&
        !(rc = s_replace(pg, args, features->count, note, sizeof note, errbuf, errlen)) &&
        !(rc = admin_pg_query(pg, "notify", "SELECT pg_notify('wf_boundaries', $1)", 1, params,
                              NULL, errbuf, errlen)))
        rc = admin_pg_query(pg, "commit", "COMMIT", 0, NULL, NULL, errbuf, errlen);
    if (rc)
        PQclear(PQexec(pg, "ROLLBACK"));
    else
        fputs(note, out);
    return rc;
}
