/* console_api_workflow.c — POST /api/v1/alerts/{alert_id}/acknowledge | assign | close |
 * reopen: one transaction that locks the alert row, checks the move (console_workflow.c),
 * moves alerts.state and records who did it in alert_actions; after the commit the change is
 * pushed to every live stream as an alert_update message and the updated Feature is answered.
 *
 * The row lock makes concurrent actions on one alert take turns: the second sees the state the
 * first left and is refused (409) if its move is no longer allowed, so two operators can never
 * both acknowledge, and the alert_actions history is the exact sequence of moves.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <wf/log.h>

#include "console_api_int.h"
#include "console_api_sql.h"
#include "console_http.h"
#include "console_workflow.h"

#define S_BODY_MAX          16384
#define S_ASSIGNEE_MAX_CHAR 100
#define S_NOTE_MAX_CHARS    2000

/* SQL is laid out one clause a line, as it reads best. */
/* clang-format off */
static const char s_lock_sql[] =
    "SELECT a.state, a.agency FROM alerts a "
    "WHERE a.alert_id = $1 AND ($2::text[] IS NULL OR a.agency = ANY($2)) "
    "FOR UPDATE";

/* assign sets the assignee, reopen clears it (back to the unassigned queue); acknowledge and
 * close keep it, so a closed alert still says who had it. */
static const char s_move_sql[] =
    "WITH moved AS ("
    "  UPDATE alerts SET state = $2, state_changed_at = now(), assigned_to = "
    "    CASE $3::text WHEN 'assign' THEN $4 WHEN 'reopen' THEN NULL ELSE assigned_to END "
    "  WHERE alert_id = $1 RETURNING alert_id, assigned_to) "
    "INSERT INTO alert_actions "
    "  (alert_id, action, from_state, to_state, actor, token_id, assignee, note) "
    "SELECT m.alert_id, $3, $5, $2, $6, "
    "  (SELECT t.token_id FROM api_tokens t WHERE t.token_id = $7::uuid), $4, $8 FROM moved m "
    "RETURNING wf_rfc3339(at), (SELECT assigned_to FROM moved)";

static const char s_feature_sql[] =
    "SELECT " CONSOLE_SQL_ALERT_FEATURE "::text FROM alerts a WHERE a.alert_id = $1";
/* clang-format on */

typedef struct {
    const char *assignee; /* borrowed from the body; NULL unless assign */
    const char *note;     /* borrowed from the body; NULL when none */
} s_request_t;

/* Checks the JSON body: assign needs "assignee"; every action may carry "note"; nothing else. */
static bool s_parse_body(struct mg_connection *conn, json_t *body, const char *action,
                         s_request_t *request)
{
    *request = (s_request_t){NULL, NULL};
    bool assign = strcmp(action, "assign") == 0;
    const char *key;
    json_t *value;
    json_object_foreach(body, key, value)
    {
        bool is_assignee = assign && strcmp(key, "assignee") == 0;
        if (!is_assignee && strcmp(key, "note") != 0) {
            console_send_error(conn, 400, "bad_body", key, "%.40s: not a field of %s (%s)", key,
                               action, assign ? "assignee, note" : "note");
            return false;
        }
        size_t max = is_assignee ? S_ASSIGNEE_MAX_CHAR : S_NOTE_MAX_CHARS;
        const char *text = json_string_value(value);
        if (!text || !console_params_is_clean_text(text, max, !is_assignee) ||
            strspn(text, " \t\r\n") == strlen(text)) {
            console_send_error(conn, 400, "bad_body", key,
                               "%s: a non-empty string of at most %zu characters%s", key, max,
                               is_assignee ? " without control characters" : "");
            return false;
        }
        *(is_assignee ? &request->assignee : &request->note) = text;
    }
    if (assign && !request->assignee) {
        console_send_error(conn, 400, "bad_body", "assignee",
                           "assignee: required (e.g. {\"assignee\": \"unit 7D12\"})");
        return false;
    }
    return true;
}

/* Pushes the committed change to every live stream. */
static void s_publish(console_t *console, const char *alert_id, const char *agency,
                      const char *action, const char *from, const char *to, const char *assigned_to,
                      const char *actor, const char *at, const char *note)
{
    json_t *update = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "alert_id", alert_id,
                               "action", action, "from_state", from, "state", to, "assigned_to",
                               assigned_to ? json_string(assigned_to) : json_null(), "actor", actor,
                               "at", at, "note", note ? json_string(note) : json_null());
    char *text = update ? json_dumps(update, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(update);
    if (!text ||
        !console_hub_append(console->hub, CONSOLE_MSG_ALERT_UPDATE, agency, 0, text, strlen(text)))
        wf_log_warn("alert_update not streamed (out of memory) alert_id=%s", alert_id);
    free(text);
}

static bool s_command(PGconn *pg, const char *sql)
{
    PGresult *res = PQexec(pg, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

/* Runs the transaction; answers every outcome. */
static int s_move(console_t *console, struct mg_connection *conn, PGconn *pg,
                  const console_principal_t *who, const char *alert_id, const char *action,
                  const s_request_t *request)
{
    char scope[1024], from[32], agency[64];
    const char *lock_params[2] = {alert_id, console_api_scope(who, scope, sizeof scope)};
    if (!s_command(pg, "BEGIN"))
        return console_api_query_failed(conn, pg, "workflow begin");
    PGresult *res = PQexecParams(pg, s_lock_sql, 2, NULL, lock_params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        bool failed = PQresultStatus(res) != PGRES_TUPLES_OK;
        PQclear(res);
        if (failed)
            console_api_query_failed(conn, pg, "workflow lock");
        s_command(pg, "ROLLBACK");
        return failed ? 503 : console_api_alert_absent(console, conn, who, alert_id);
    }
    snprintf(from, sizeof from, "%s", PQgetvalue(res, 0, 0));
    snprintf(agency, sizeof agency, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    const char *to = console_workflow_next_state(action, from);
    if (!to) {
        s_command(pg, "ROLLBACK");
        console_send_json(conn, 409,
                          json_pack("{s:s, s:s, s:s}", "error", "not_allowed", "state", from,
                                    "message", "this move is not allowed from the alert's state"));
        return 409;
    }
    const char *move_params[8] = {alert_id, to,        action,        request->assignee,
                                  from,     who->name, who->token_id, request->note};
    res = PQexecParams(pg, s_move_sql, 8, NULL, move_params, NULL, NULL, 0);
    char at[CONSOLE_PARAMS_TIME_LEN] = "", assigned_to[512] = "";
    bool assigned = false, ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    if (ok) {
        snprintf(at, sizeof at, "%s", PQgetvalue(res, 0, 0));
        assigned = !PQgetisnull(res, 0, 1);
        snprintf(assigned_to, sizeof assigned_to, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    PGresult *feature = NULL;
    if (ok) {
        const char *feature_params[1] = {alert_id};
        feature = PQexecParams(pg, s_feature_sql, 1, NULL, feature_params, NULL, NULL, 0);
        ok = PQresultStatus(feature) == PGRES_TUPLES_OK && PQntuples(feature) == 1;
    }
    if (!ok || !s_command(pg, "COMMIT")) {
        console_api_query_failed(conn, pg, "workflow move");
        s_command(pg, "ROLLBACK");
        PQclear(feature);
        return 503;
    }
    s_publish(console, alert_id, agency, action, from, to, assigned ? assigned_to : NULL, who->name,
              at, request->note);
    console_api_send_text(conn, 200, "application/geo+json", PQgetvalue(feature, 0, 0),
                          (size_t)PQgetlength(feature, 0, 0));
    PQclear(feature);
    return 200;
}

int console_api_workflow(console_t *console, struct mg_connection *conn,
                         const console_principal_t *who, const char *alert_id, const char *action)
{
    static const char *const allowed[] = {NULL};
    if (!console_workflow_is_action(action)) {
        console_send_error(conn, 404, "not_found", NULL,
                           "no action '%.30s' (acknowledge, assign, close, reopen)", action);
        return 404;
    }
    if (!console_principal_may_act(who)) {
        console_send_error(conn, 403, "forbidden", NULL,
                           "token '%s' has role %s, which may read but not change alerts",
                           who->name, who->role);
        return 403;
    }
    if (!console_api_check_names(conn, allowed))
        return 400;
    json_t *body = console_read_json_body(conn, S_BODY_MAX);
    if (!body)
        return 400;
    s_request_t request;
    int status = 400;
    if (s_parse_body(conn, body, action, &request)) {
        PGconn *pg = console_api_db(console, conn);
        status = pg ? s_move(console, conn, pg, who, alert_id, action, &request) : 503;
        console_db_release(console->db, pg);
    }
    json_decref(body);
    return status;
}
