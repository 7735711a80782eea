/* console_api.c — the query API's registration, and GET /api/v1/boundaries.
 *
 * The other handlers live in console_api_events.c, console_api_alerts.c,
 * console_api_workflow.c and console_api_health.c. Every handler authenticates first, validates
 * every parameter into typed values (400 with the parameter's name otherwise) and passes them to
 * PostgreSQL as $n parameters: no SQL text is ever built from input.
 */
#include <stdlib.h>
#include <string.h>

#include "console_api.h"
#include "console_api_int.h"
#include "console_http.h"

/* GET /api/v1/boundaries?layer=beat|district — the polygons of the newest boundary set (or
 * console.boundary_set), simplified to about a metre: plenty for a watch-floor map, and a
 * fraction of the bytes. PostGIS builds the GeoJSON text. */
static int s_boundaries(struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    console_principal_t who;
    if (!console_authenticate(console, conn, &who))
        return 401;
    char layer[32];
    if (console_query_param(conn, "layer", layer, sizeof layer) <= 0)
        snprintf(layer, sizeof layer, "beat");
    if (strcmp(layer, "beat") != 0 && strcmp(layer, "district") != 0 &&
        strcmp(layer, "jurisdiction") != 0) {
        console_send_error(conn, 400, "bad_parameter", "layer",
                           "layer: expected beat, district or jurisdiction");
        return 400;
    }
    PGconn *pg = console_db_acquire(console->db, 5000);
    if (!pg) {
        console_send_error(conn, 503, "unavailable", NULL, "the database is unavailable");
        return 503;
    }
    const char *set = wf_config_string(console->config, "enrich.boundary_set");
    const char *params[2] = {layer, set};
    PGresult *res = PQexecParams(
        pg,
        "WITH chosen AS (SELECT boundary_set FROM boundary_sets "
        "  WHERE $2 = '' OR boundary_set = $2 "
        "  ORDER BY (boundary_set = $2) DESC, effective_from DESC NULLS LAST LIMIT 1) "
        "SELECT json_build_object('type', 'FeatureCollection', 'boundary_set', "
        "  (SELECT boundary_set FROM chosen), 'features', coalesce(json_agg(json_build_object("
        "  'type', 'Feature', 'id', b.code, 'properties', json_build_object('code', b.code, "
        "  'name', b.name, 'parent_code', b.parent_code, 'layer', b.layer), 'geometry', "
        "  ST_AsGeoJSON(ST_SimplifyPreserveTopology(b.geom, 0.00001), 6)::json) "
        "  ORDER BY b.code), '[]'::json))::text "
        "FROM boundaries b JOIN chosen USING (boundary_set) WHERE b.layer = $1",
        2, NULL, params, NULL, NULL, 0);
    int status = 200;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        console_send_error(conn, 503, "unavailable", NULL, "query failed: %s", PQerrorMessage(pg));
        status = 503;
    } else {
        const char *body = PQgetvalue(res, 0, 0);
        size_t len = strlen(body);
        mg_printf(conn,
                  "HTTP/1.1 200 OK\r\nContent-Type: application/geo+json\r\n"
                  "Cache-Control: private, max-age=300\r\nContent-Length: %zu\r\n\r\n",
                  len);
        mg_write(conn, body, len);
    }
    PQclear(res);
    console_db_release(console->db, pg);
    return status;
}

void console_api_register(struct mg_context *ctx, console_t *console)
{
    mg_set_request_handler(ctx, "/api/v1/boundaries$", s_boundaries, console);
    console_api_events_register(ctx, console);
    console_api_alerts_register(ctx, console);
    console_api_health_register(ctx, console);
}
