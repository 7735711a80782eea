/* console_api_alerts.c — GET /api/v1/alerts (the queue, filtered and paged),
 * GET /api/v1/alerts/{alert_id} (with its action history), GET /api/v1/alerts/{alert_id}/cap,
 * and the dispatch of POST /api/v1/alerts/{alert_id}/{action} to the workflow.
 *
 * An alert reaches the live stream before wf-alert has stored it (its writer batches), so an
 * id the database does not know yet may still be real: console_api_alert_absent tells the two
 * cases apart by the stream hub (see docs/console-api.md, "Not stored yet").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "console_api_int.h"
#include "console_api_sql.h"
#include "console_http.h"

/* SQL is laid out one clause a line, as it reads best. */
/* clang-format off */
static const char s_list_sql[] =
    "SELECT " CONSOLE_SQL_ALERT_FEATURE "::text, "
    CONSOLE_SQL_PAGE_KEY("a.raised_at", "a.alert_id") " FROM alerts a "
    "WHERE ($1::text[] IS NULL OR a.state = ANY($1)) "
    "AND ($2::timestamptz IS NULL OR a.raised_at >= $2) "
    "AND ($3::timestamptz IS NULL OR a.raised_at < $3) "
    "AND ($4::text[] IS NULL OR a.severity = ANY($4)) "
    "AND ($5::text IS NULL OR a.rule_id = $5) "
    "AND ($6::text[] IS NULL OR a.agency = ANY($6)) "
    "AND ($7::timestamptz IS NULL OR (a.raised_at, a.alert_id) < ($7, $8::uuid)) "
    "ORDER BY a.raised_at DESC, a.alert_id DESC LIMIT $9";

static const char s_detail_sql[] =
    "SELECT json_build_object('type', 'Feature', 'id', a.alert_id, "
    "'geometry', " CONSOLE_SQL_GEOMETRY("a") ", "
    "'properties', json_build_object(" CONSOLE_SQL_ALERT_PROPERTIES ", "
    "  'has_cap', a.cap IS NOT NULL, "
    "  'actions', (SELECT coalesce(json_agg(json_build_object('action_id', x.action_id, "
    "    'action', x.action, 'from_state', x.from_state, 'to_state', x.to_state, "
    "    'actor', x.actor, 'assignee', x.assignee, 'note', x.note, 'at', wf_rfc3339(x.at)) "
    "    ORDER BY x.at, x.action_id), '[]') "
    "    FROM alert_actions x WHERE x.alert_id = a.alert_id)))::text "
    "FROM alerts a WHERE a.alert_id = $1 AND ($2::text[] IS NULL OR a.agency = ANY($2))";

static const char s_cap_sql[] =
    "SELECT a.cap FROM alerts a WHERE a.alert_id = $1 "
    "AND ($2::text[] IS NULL OR a.agency = ANY($2))";
/* clang-format on */

static const char *const s_states[] = {"new", "acknowledged", "assigned", "closed", NULL};
static const char *const s_severities[] = {"unknown", "minor",   "moderate",
                                           "severe",  "extreme", NULL};

/* Was alert_id announced, in who's scope, on the live stream this console still holds? Scans
 * only the alert messages, and only when the database did not know the id: a rare path. */
static bool s_announced(console_hub_t *hub, const console_principal_t *who, const char *alert_id)
{
    char needle[64];
    snprintf(needle, sizeof needle, "\"alert_id\":\"%s\"", alert_id);
    console_msg_t *batch[256];
    uint64_t after = 0;
    bool found = false, lost;
    size_t n;
    while (!found && (n = console_hub_read(hub, after, batch, 256, 0, &lost)) > 0) {
        for (size_t i = 0; i < n; i++) {
            if (!found && batch[i]->type == CONSOLE_MSG_ALERT &&
                console_principal_sees_agency(who, batch[i]->agency) &&
                strstr(batch[i]->json, needle)) /* messages end with a NUL */
                found = true;
            after = batch[i]->seq;
            console_msg_release(batch[i]);
        }
    }
    return found;
}

int console_api_alert_absent(console_t *console, struct mg_connection *conn,
                             const console_principal_t *who, const char *alert_id)
{
    if (s_announced(console->hub, who, alert_id)) {
        console_send_error(conn, 409, "not_stored_yet", NULL,
                           "alert %s was announced but is not stored yet: retry", alert_id);
        return 409;
    }
    console_send_error(conn, 404, "not_found", NULL, "no alert %s", alert_id);
    return 404;
}

static int s_list(console_t *console, struct mg_connection *conn, const console_principal_t *who)
{
    static const char *const allowed[] = {"state", "from",  "to",     "severity",
                                          "rule",  "limit", "cursor", NULL};
    char text[256], states[128] = "", severities[128] = "", why[96];
    char from[CONSOLE_PARAMS_TIME_LEN], to[CONSOLE_PARAMS_TIME_LEN], rule[512];
    char after[CONSOLE_PARAMS_TIME_LEN], after_id[CONSOLE_PARAMS_UUID_LEN] = "", scope[1024];
    char limit_text[16];
    int limit, found;
    if (!console_api_check_names(conn, allowed))
        return 400;
    if ((found = console_api_text(conn, "state", text, sizeof text, 200)) < 0)
        return 400;
    if (found > 0 &&
        !console_params_parse_choices(text, s_states, states, sizeof states, why, sizeof why)) {
        console_send_error(conn, 400, "bad_parameter", "state",
                           "state: %s (comma list of new, acknowledged, assigned, closed)", why);
        return 400;
    }
    if ((found = console_api_text(conn, "severity", text, sizeof text, 200)) < 0)
        return 400;
    if (found > 0 && !console_params_parse_choices(text, s_severities, severities,
                                                   sizeof severities, why, sizeof why)) {
        console_send_error(conn, 400, "bad_parameter", "severity",
                           "severity: %s (comma list of unknown, minor, moderate, severe, "
                           "extreme)",
                           why);
        return 400;
    }
    if (console_api_time(conn, "from", from) < 0 || console_api_time(conn, "to", to) < 0 ||
        console_api_text(conn, "rule", rule, sizeof rule, 100) < 0 ||
        !console_api_limit(conn, &limit) || console_api_cursor(conn, 'a', after, after_id) < 0)
        return 400;
    snprintf(limit_text, sizeof limit_text, "%d", limit + 1);
    const char *params[9] = {states[0] ? states : NULL,
                             from[0] ? from : NULL,
                             to[0] ? to : NULL,
                             severities[0] ? severities : NULL,
                             rule[0] ? rule : NULL,
                             console_api_scope(who, scope, sizeof scope),
                             after_id[0] ? after : NULL,
                             after_id[0] ? after_id : NULL,
                             limit_text};
    PGconn *pg = console_api_db(console, conn);
    if (!pg)
        return 503;
    PGresult *res = PQexecParams(pg, s_list_sql, 9, NULL, params, NULL, NULL, 0);
    int status = PQresultStatus(res) == PGRES_TUPLES_OK
                     ? console_api_send_page(conn, res, limit, 'a')
                     : console_api_query_failed(conn, pg, "alerts");
    PQclear(res);
    console_db_release(console->db, pg);
    return status;
}

/* GET /api/v1/alerts/{id} (cap = false) or /api/v1/alerts/{id}/cap. */
static int s_one(console_t *console, struct mg_connection *conn, const console_principal_t *who,
                 const char *alert_id, bool cap)
{
    static const char *const allowed[] = {NULL};
    if (!console_api_check_names(conn, allowed))
        return 400;
    char scope[1024];
    const char *params[2] = {alert_id, console_api_scope(who, scope, sizeof scope)};
    PGconn *pg = console_api_db(console, conn);
    if (!pg)
        return 503;
    PGresult *res =
        PQexecParams(pg, cap ? s_cap_sql : s_detail_sql, 2, NULL, params, NULL, NULL, 0);
    int status;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        status = console_api_query_failed(conn, pg, cap ? "alert cap" : "alert");
    } else if (PQntuples(res) == 0) {
        status = console_api_alert_absent(console, conn, who, alert_id);
    } else if (PQgetisnull(res, 0, 0)) {
        console_send_error(conn, 404, "no_cap", NULL,
                           "alert %s has no CAP document (wf-alert could not render it)", alert_id);
        status = 404;
    } else {
        console_api_send_text(conn, 200, cap ? "application/cap+xml" : "application/geo+json",
                              PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
        status = 200;
    }
    PQclear(res);
    console_db_release(console->db, pg);
    return status;
}

/* /api/v1/alerts, /api/v1/alerts/{id}, /api/v1/alerts/{id}/cap, /api/v1/alerts/{id}/{action} */
static int s_alerts(struct mg_connection *conn, void *cbdata)
{
    console_t *console = cbdata;
    const struct mg_request_info *info = mg_get_request_info(conn);
    const char *rest = info->local_uri + strlen("/api/v1/alerts");
    if (*rest != '\0' && *rest != '/') {
        console_send_error(conn, 404, "not_found", NULL, "no such resource");
        return 404;
    }
    console_principal_t who;
    if (!console_authenticate(console, conn, &who))
        return 401;
    bool get = strcmp(info->request_method, "GET") == 0;
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        if (get)
            return s_list(console, conn, &who);
        console_send_error(conn, 405, "method_not_allowed", NULL, "use GET");
        return 405;
    }
    char alert_id[CONSOLE_PARAMS_UUID_LEN + 1];
    size_t id_len = strcspn(rest + 1, "/");
    snprintf(alert_id, sizeof alert_id, "%.*s", (int)(id_len > 37 ? 37 : id_len), rest + 1);
    for (char *c = alert_id; *c; c++)
        *c = (char)tolower((unsigned char)*c); /* the stream and PostgreSQL write lower case */
    if (!console_params_is_uuid(alert_id)) {
        console_send_error(conn, 400, "bad_parameter", "alert_id", "alert_id: expected a UUID");
        return 400;
    }
    const char *action = rest + 1 + id_len;
    action += *action == '/';
    if (*action == '\0' || strcmp(action, "cap") == 0) {
        if (get)
            return s_one(console, conn, &who, alert_id, *action != '\0');
        console_send_error(conn, 405, "method_not_allowed", NULL, "use GET");
        return 405;
    }
    if (strcmp(info->request_method, "POST") != 0) {
        console_send_error(conn, 405, "method_not_allowed", NULL, "use POST for %.20s", action);
        return 405;
    }
    return console_api_workflow(console, conn, &who, alert_id, action);
}

void console_api_alerts_register(struct mg_context *ctx, console_t *console)
{
    mg_set_request_handler(ctx, "/api/v1/alerts", s_alerts, console);
}
