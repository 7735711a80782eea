/* console_api_events.c — GET /api/v1/events (a filtered, paged FeatureCollection) and
 * GET /api/v1/events/{event_id} (one event with its signals and the alerts that name it).
 *
 * One fixed SQL text per request kind: a filter the client left out is a NULL parameter, and
 * "$n IS NULL OR …" drops out when PostgreSQL plans the unnamed statement with the actual
 * values, so each request still gets the plan of its own filters (partition pruning on
 * from/to, the GiST index for bbox, the (occurred_at, event_id) index for the page order).
 */
#include <stdio.h>
#include <string.h>

#include "console_api_int.h"
#include "console_api_sql.h"
#include "console_http.h"

#define S_TEXT_MAX_CHARS 100

/* SQL is laid out one clause a line, as it reads best. */
/* clang-format off */
static const char s_list_sql[] =
    "SELECT json_build_object('type', 'Feature', 'id', e.event_id, "
    "  'geometry', " CONSOLE_SQL_GEOMETRY("e") ", "
    "  'properties', json_build_object(" CONSOLE_SQL_EVENT_PROPERTIES "))::text, "
    CONSOLE_SQL_PAGE_KEY("e.occurred_at", "e.event_id") " "
    "FROM events e "
    "WHERE ($1::float8 IS NULL OR ST_Intersects(e.geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))) "
    "AND ($5::timestamptz IS NULL OR e.occurred_at >= $5) "
    "AND ($6::timestamptz IS NULL OR e.occurred_at < $6) "
    "AND ($7::text IS NULL OR e.kind = $7) "
    "AND ($8::text IS NULL OR starts_with(e.kind, $8)) "
    "AND ($9::text IS NULL OR e.agency = $9) "
    "AND ($10::text[] IS NULL OR e.agency = ANY($10)) "
    "AND ($11::timestamptz IS NULL OR (e.occurred_at, e.event_id) < ($11, $12::uuid)) "
    "ORDER BY e.occurred_at DESC, e.event_id DESC LIMIT $13";

/* The event's own signal (it is the later event of a near-repeat pair) and the signals that
 * list it as an earlier partner; the alerts whose event_ids contain it, in the token's scope. */
static const char s_detail_sql[] =
    "SELECT json_build_object('type', 'Feature', 'id', e.event_id, "
    "'geometry', " CONSOLE_SQL_GEOMETRY("e") ", "
    "'properties', json_build_object(" CONSOLE_SQL_EVENT_PROPERTIES ", "
    "  'source_record_id', e.source_record_id, 'revision', e.revision, "
    "  'incident_number', e.incident_number, 'location_type', e.location_type, "
    "  'priority', e.priority, 'enriched_at', wf_rfc3339(e.enriched_at), "
    "  'boundary_set', e.boundary_set, 'source_district', e.source_district, "
    "  'source_beat', e.source_beat, 'source_position', e.source_position, "
    "  'crime_against', e.crime_against, 'hotlist_hits', e.hotlist_hits, "
    "  'attributes', e.attributes, "
    "  'signals', (SELECT coalesce(json_agg(json_build_object("
    "      'signal_id', s.signal_id, 'type', s.signal_type, "
    "      'role', CASE WHEN s.event_id = e.event_id THEN 'subject' ELSE 'related' END, "
    "      'event_id', s.event_id, 'kind', s.kind, 'occurred_at', wf_rfc3339(s.occurred_at), "
    "      'location', " CONSOLE_SQL_GEOMETRY("s") ", "
    "      'related_event_ids', s.related_event_ids, 'related_count', s.related_count, "
    "      'radius_m', s.radius_m, 'window_s', s.window_s, 'district', s.district, "
    "      'beat', s.beat, 'agency', s.agency, 'created_at', wf_rfc3339(s.created_at), "
    "      'updated_at', wf_rfc3339(s.updated_at)) ORDER BY s.created_at, s.signal_id), '[]') "
    "    FROM signals s "
    "    WHERE (s.event_id = e.event_id OR s.related_event_ids @> ARRAY[e.event_id]) "
    "    AND ($2::text[] IS NULL OR s.agency = ANY($2))), "
    "  'alerts', (SELECT coalesce(json_agg(" CONSOLE_SQL_ALERT_FEATURE
    "      ORDER BY a.raised_at DESC, a.alert_id), '[]') "
    "    FROM alerts a "
    "    WHERE a.event_ids @> ARRAY[e.event_id] AND ($2::text[] IS NULL OR a.agency = ANY($2)))"
    "))::text "
    "FROM events e WHERE e.event_id = $1 AND ($2::text[] IS NULL OR e.agency = ANY($2)) "
    /* the key is (event_id, occurred_at): a source that moved a record's time without a new
     * revision leaves two rows; the one stored last is the record as it stands */
    "ORDER BY e.enriched_at DESC LIMIT 1";
/* clang-format on */

/* kind: exact, or "prefix*" (the only '*' allowed is the last one; "*" alone matches every
 * kind). Sets *is_prefix and strips the '*'. */
static int s_kind(struct mg_connection *conn, char *kind, size_t len, bool *is_prefix)
{
    *is_prefix = false;
    int found = console_api_text(conn, "kind", kind, len, S_TEXT_MAX_CHARS);
    if (found <= 0)
        return found;
    char *star = strchr(kind, '*');
    if (star && star[1] != '\0') {
        console_send_error(conn, 400, "bad_parameter", "kind",
                           "kind: expected a kind or a prefix ending in '*' (burglary*)");
        return -1;
    }
    if (star) {
        *star = '\0';
        *is_prefix = true;
    }
    return 1;
}

static int s_list(console_t *console, struct mg_connection *conn, const console_principal_t *who)
{
    static const char *const allowed[] = {"bbox",   "from",  "to",     "kind",
                                          "agency", "limit", "cursor", NULL};
    char bbox_text[256], from[CONSOLE_PARAMS_TIME_LEN], to[CONSOLE_PARAMS_TIME_LEN];
    char kind[512], agency[512], after[CONSOLE_PARAMS_TIME_LEN];
    char after_id[CONSOLE_PARAMS_UUID_LEN] = "", scope[1024], why[160];
    char bounds[4][32] = {"", "", "", ""}, limit_text[16];
    int limit, has_kind;
    bool is_prefix;
    if (!console_api_check_names(conn, allowed))
        return 400;
    int has_bbox = console_api_text(conn, "bbox", bbox_text, sizeof bbox_text, 200);
    if (has_bbox < 0)
        return 400;
    if (has_bbox > 0) {
        console_bbox_t bbox;
        if (!console_params_parse_bbox(bbox_text, &bbox, why, sizeof why)) {
            console_send_error(conn, 400, "bad_parameter", "bbox", "%s", why);
            return 400;
        }
        snprintf(bounds[0], sizeof bounds[0], "%.17g", bbox.min_lon);
        snprintf(bounds[1], sizeof bounds[1], "%.17g", bbox.min_lat);
        snprintf(bounds[2], sizeof bounds[2], "%.17g", bbox.max_lon);
        snprintf(bounds[3], sizeof bounds[3], "%.17g", bbox.max_lat);
    }
    if (console_api_time(conn, "from", from) < 0 || console_api_time(conn, "to", to) < 0 ||
        (has_kind = s_kind(conn, kind, sizeof kind, &is_prefix)) < 0 ||
        console_api_text(conn, "agency", agency, sizeof agency, S_TEXT_MAX_CHARS) < 0 ||
        !console_api_limit(conn, &limit) || console_api_cursor(conn, 'e', after, after_id) < 0)
        return 400;
    snprintf(limit_text, sizeof limit_text, "%d", limit + 1); /* one more: is there a next? */
    const char *params[13] = {has_bbox > 0 ? bounds[0] : NULL,
                              has_bbox > 0 ? bounds[1] : NULL,
                              has_bbox > 0 ? bounds[2] : NULL,
                              has_bbox > 0 ? bounds[3] : NULL,
                              from[0] ? from : NULL,
                              to[0] ? to : NULL,
                              has_kind > 0 && !is_prefix ? kind : NULL,
                              has_kind > 0 && is_prefix ? kind : NULL,
                              agency[0] ? agency : NULL,
                              console_api_scope(who, scope, sizeof scope),
                              after_id[0] ? after : NULL,
                              after_id[0] ? after_id : NULL,
                              limit_text};
    PGconn *pg = console_api_db(console, conn);
    if (!pg)
        return 503;
    PGresult *res = PQexecParams(pg, s_list_sql, 13, NULL, params, NULL, NULL, 0);
    int status = PQresultStatus(res) == PGRES_TUPLES_OK
                     ? console_api_send_page(conn, res, limit, 'e')
                     : console_api_query_failed(conn, pg, "events");
    PQclear(res);
    console_db_release(console->db, pg);
    return status;
}

static int s_detail(console_t *console, struct mg_connection *conn, const console_principal_t *who,
                    const char *event_id)
{
    static const char *const allowed[] = {NULL};
    if (!console_api_check_names(conn, allowed))
        return 400;
    if (!console_params_is_uuid(event_id)) {
        console_send_error(conn, 400, "bad_parameter", "event_id", "event_id: expected a UUID");
        return 400;
    }
    char scope[1024];
    const char *params[2] = {event_id, console_api_scope(who, scope, sizeof scope)};
    PGconn *pg = console_api_db(console, conn);
    if (!pg)
        return 503;
    PGresult *res = PQexecParams(pg, s_detail_sql, 2, NULL, params, NULL, NULL, 0);
    int status;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        status = console_api_query_failed(conn, pg, "event");
    } else if (PQntuples(res) == 0) {
        /* an event outside the token's agencies is as absent as one that does not exist */
        console_send_error(conn, 404, "not_found", NULL, "no event %s", event_id);
        status = 404;
    } else {
        console_api_send_text(conn, 200, "application/geo+json", PQgetvalue(res, 0, 0),
                              (size_t)PQgetlength(res, 0, 0));
        status = 200;
    }
    PQclear(res);
    console_db_release(console->db, pg);
    return status;
}

/* /api/v1/events and /api/v1/events/{event_id}. */
static int s_events(struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    const struct mg_request_info *info = mg_get_request_info(conn);
    const char *rest = info->local_uri + strlen("/api/v1/events");
    if (*rest != '\0' && *rest != '/') {
        console_send_error(conn, 404, "not_found", NULL, "no such resource");
        return 404;
    }
    console_principal_t who;
    if (!console_authenticate(console, conn, &who))
        return 401;
    if (strcmp(info->request_method, "GET") != 0) {
        console_send_error(conn, 405, "method_not_allowed", NULL, "use GET");
        return 405;
    }
    if (*rest == '\0' || strcmp(rest, "/") == 0)
        return s_list(console, conn, &who);
    return s_detail(console, conn, &who, rest + 1);
}

void console_api_events_register(struct mg_context *ctx, console_t *console)
{
    mg_set_request_handler(ctx, "/api/v1/events", s_events, console);
}
