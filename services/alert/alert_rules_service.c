/* alert_rules_service.c — glue: the rule file and the geofences table, loaded as one rule set.
 *
 * Geofences come from PostGIS as WKB (binary result format, so no text round trip), in name
 * order so that a reload with unchanged geofences gives the same set. The rule file is parsed
 * first: a syntax error is reported without touching the database.
 */
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

#include <wf/err.h>

#include "alert_rules_service.h"

alert_geofences_t *alert_rules_service_geofences(void *conn, char *errbuf, size_t errlen)
{
    PGresult *res =
        PQexecParams(conn, "SELECT name, ST_AsBinary(geom) FROM geofences ORDER BY name", 0, NULL,
                     NULL, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "42P01") == 0) /* undefined_table */
            snprintf(errbuf, errlen, "table geofences does not exist: run `wf-admin migrate`");
        else
            snprintf(errbuf, errlen, "reading geofences: %s", PQresultErrorMessage(res));
        errbuf[strcspn(errbuf, "\n")] = '\0';
        PQclear(res);
        return NULL;
    }
    alert_geofences_t *geofences = alert_geofences_new();
    if (!geofences)
        snprintf(errbuf, errlen, "out of memory (or GEOS) building the geofence set");
    for (int i = 0; geofences && i < PQntuples(res); i++) {
        char why[256] = "";
        const char *name = PQgetvalue(res, i, 0);
        if (alert_geofences_add(geofences, name, (const uint8_t *)PQgetvalue(res, i, 1),
                                (size_t)PQgetlength(res, i, 1), why, sizeof why) != WF_OK) {
            snprintf(errbuf, errlen, "geofence '%s': %s", name, why);
            alert_geofences_destroy(&geofences);
        }
    }
    PQclear(res);
    return geofences;
}

alert_rules_t *alert_rules_service_load(void *conn, const char *path, char *errbuf, size_t errlen)
{
    alert_rules_t *rules = alert_rules_load(path, errbuf, errlen);
    if (!rules)
        return NULL;
    alert_geofences_t *geofences = alert_rules_service_geofences(conn, errbuf, errlen);
    if (!geofences || alert_rules_bind_geofences(rules, &geofences, errbuf, errlen) != WF_OK) {
        alert_geofences_destroy(&geofences);
        alert_rules_destroy(&rules);
    }
    return rules;
}
