/* test_console_workflow.c — the alert workflow of wf-console over real HTTP and PostGIS:
 * acknowledge / assign / close / reopen move alerts.state and leave an alert_actions row
 * naming the token; moves the workflow forbids are 409 with the current state; viewers get
 * 403; concurrent moves take turns; an alert announced on the bus but not stored yet is
 * 409 not_stored_yet with Retry-After; every committed move is streamed once as alert_update.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include <wf/config.h>
#include <wf/id.h>
#include <wf/transport.h>

#include "console_client.h"

static harness_t s_h;
static char s_url[256];
static char s_operator[128], s_viewer[128], s_isp[128];

/* wf1..wf6 and wf8 are CPD's, wf7 ISP's; all new. (wf8 is inserted later by a test.) */
static const char s_seed_sql[] =
    "INSERT INTO alerts (alert_id, rule_id, severity, dedupe_key, window_start, event_ids, "
    "  raised_at, dissemination, agency) "
    "SELECT md5('wf' || i)::uuid, 'near_repeat_burglary', 'severe', 'k' || i, '2017-06-01', "
    "  ARRAY[md5('ev' || i)::uuid], now() - i * interval '1 minute', 'law_enforcement', "
    "  CASE WHEN i = 7 THEN 'ISP' ELSE 'CPD' END FROM generate_series(1, 7) i";

static bool s_token(const char *name, const char *role, const char *agency, char *out)
{
    const char *token = console_client_token(&s_h, name, role, agency);
    if (token)
        snprintf(out, 128, "%s", token);
    return token != NULL;
}

static int s_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!harness_start(&s_h, "console_workflow", CONSOLE_CLIENT_YAML))
        return -1;
    PGresult *res = PQexec(s_h.db, s_seed_sql);
    bool seeded = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!seeded || !s_token("dispatch-7", "operator", NULL, s_operator) ||
        !s_token("watcher", "viewer", NULL, s_viewer) ||
        !s_token("isp-desk", "operator", "ISP", s_isp))
        return -1;
    return console_client_start(&s_h, s_url, sizeof s_url) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    int unclean = harness_stop(&s_h);
    curl_global_cleanup();
    return unclean;
}

/* The id of alert wf<n>. */
static const char *s_alert(int n)
{
    static char id[4][40];
    static int next;
    char *out = id[next++ % 4], sql[64];
    snprintf(sql, sizeof sql, "SELECT md5('wf%d')::uuid", n);
    assert_true(harness_query_text(&s_h, sql, out, 40));
    return out;
}

/* POSTs action on alert n with body; checks the status and returns the answer's JSON (NULL
 * when it is not JSON). */
static json_t *s_act(int n, const char *action, const char *token, const char *body, long status,
                     console_response_t *kept)
{
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alerts/%s/%s", s_alert(n), action);
    console_response_t response;
    console_request(s_url, "POST", path, token, body, 0, &response);
    if (response.status != status)
        fail_msg("POST %s %s: %ld, expected %ld: %s", path, body ? body : "", response.status,
                 status, response.body);
    json_t *answer = json_loadb(response.body, response.len, 0, NULL);
    if (kept)
        *kept = response;
    else
        console_response_clear(&response);
    return answer;
}

static int64_t s_actions(int n)
{
    return harness_query_int1(&s_h, "SELECT count(*) FROM alert_actions WHERE alert_id = $1",
                              s_alert(n));
}

static void test_acknowledge_records_who_and_when(void **state)
{
    (void)state;
    json_t *feature = s_act(1, "acknowledge", s_operator, NULL, 200, NULL);
    json_t *properties = json_object_get(feature, "properties");
    assert_string_equal(json_string_value(json_object_get(properties, "state")), "acknowledged");
    assert_string_equal(json_string_value(json_object_get(properties, "alert_id")), s_alert(1));
    assert_true(json_is_string(json_object_get(properties, "state_changed_at")));
    json_decref(feature);
    const char *id = s_alert(1);
    char state_text[32];
    assert_true(harness_query_text(&s_h,
                                   "SELECT state FROM alerts WHERE alert_id = "
                                   "md5('wf1')::uuid",
                                   state_text, sizeof state_text));
    assert_string_equal(state_text, "acknowledged");
    assert_int_equal(s_actions(1), 1);
    assert_int_equal(harness_query_int1(&s_h,
                                        "SELECT count(*) FROM alert_actions x JOIN alerts a "
                                        "USING (alert_id) JOIN api_tokens t USING (token_id) "
                                        "WHERE x.alert_id = $1 AND x.action = 'acknowledge' "
                                        "AND x.from_state = 'new' AND x.to_state = "
                                        "'acknowledged' AND x.actor = 'dispatch-7' AND t.name = "
                                        "'dispatch-7' AND x.at = a.state_changed_at",
                                        id),
                     1);
}

static void test_disallowed_move_is_409_with_the_state(void **state)
{
    (void)state;
    console_response_t response;
    json_t *answer = s_act(1, "acknowledge", s_operator, NULL, 409, &response);
    assert_string_equal(json_string_value(json_object_get(answer, "error")), "not_allowed");
    assert_string_equal(json_string_value(json_object_get(answer, "state")), "acknowledged");
    assert_string_equal(response.retry_after, ""); /* final: a client must not retry it */
    console_response_clear(&response);
    json_decref(answer);
    answer = s_act(2, "reopen", s_operator, NULL, 409, NULL);
    assert_string_equal(json_string_value(json_object_get(answer, "state")), "new");
    json_decref(answer);
    assert_int_equal(s_actions(1), 1);
    assert_int_equal(s_actions(2), 0);
}

static void test_assign_close_reopen_leave_their_history(void **state)
{
    (void)state;
    static const struct {
        const char *body, *parameter;
    } bad[] = {
        {NULL, "assignee"},
        {"{\"assignee\": \"\"}", "assignee"},
        {"{\"assignee\": \"   \"}", "assignee"},
        {"{\"assignee\": 7}", "assignee"},
        {"{\"assignee\": \"unit\\u0007\"}", "assignee"},
        {"{\"assignee\": \"unit 1\", \"priority\": 1}", "priority"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *answer = s_act(1, "assign", s_operator, bad[i].body, 400, NULL);
        assert_string_equal(json_string_value(json_object_get(answer, "parameter")),
                            bad[i].parameter);
        json_decref(answer);
    }
    json_decref(s_act(1, "assign", s_operator, "[\"unit 1\"]", 400, NULL));
    json_decref(s_act(1, "assign", s_operator, "{\"assignee\": ", 400, NULL));
    /* at most 100 characters, counted as characters: 100 two-byte ones pass, 101 do not */
    char body[1024] = "{\"assignee\": \"";
    for (int i = 0; i < 101; i++)
        strcat(body, "\xc3\xa9");
    strcat(body, "\"}");
    json_decref(s_act(1, "assign", s_operator, body, 400, NULL));
    strcpy(body + strlen(body) - 4, "\"}");
    json_decref(s_act(1, "assign", s_operator, body, 200, NULL));
    json_t *feature = s_act(1, "assign", s_operator, "{\"assignee\": \"unit 7D12\"}", 200, NULL);
    json_t *properties = json_object_get(feature, "properties");
    assert_string_equal(json_string_value(json_object_get(properties, "state")), "assigned");
    assert_string_equal(json_string_value(json_object_get(properties, "assigned_to")), "unit 7D12");
    json_decref(feature);
    char note[2100] = "{\"note\": \"";
    memset(note + strlen(note), 'x', 2001);
    strcpy(note + 10 + 2001, "\"}");
    json_decref(s_act(1, "close", s_operator, note, 400, NULL));
    json_decref(s_act(1, "close", s_operator, "{\"assignee\": \"unit 9\"}", 400, NULL));
    feature =
        s_act(1, "close", s_operator, "{\"note\": \"gone on arrival\\nno report\"}", 200, NULL);
    properties = json_object_get(feature, "properties");
    assert_string_equal(json_string_value(json_object_get(properties, "state")), "closed");
    assert_string_equal(json_string_value(json_object_get(properties, "assigned_to")),
                        "unit 7D12"); /* a closed alert still says who had it */
    json_decref(feature);
    feature = s_act(1, "reopen", s_operator, NULL, 200, NULL);
    properties = json_object_get(feature, "properties");
    assert_string_equal(json_string_value(json_object_get(properties, "state")), "new");
    assert_true(json_is_null(json_object_get(properties, "assigned_to")));
    json_decref(feature);

    char history[1024];
    assert_true(harness_query_text(
        &s_h,
        "SELECT string_agg(action || ':' || from_state || '>' || to_state || ':' || "
        "coalesce(left(assignee, 9), '-') || ':' || coalesce(note, '-'), ' | ' ORDER BY "
        "action_id) FROM alert_actions WHERE alert_id = md5('wf1')::uuid",
        history, sizeof history));
    assert_string_equal(history, "acknowledge:new>acknowledged:-:- | "
                                 "assign:acknowledged>assigned:\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9:- | "
                                 "assign:assigned>assigned:unit 7D12:- | "
                                 "close:assigned>closed:-:gone on arrival\nno report | "
                                 "reopen:closed>new:-:-");
    /* the detail answer carries the same history */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alerts/%s", s_alert(1));
    json_t *detail = console_get_json(s_url, path, s_operator, 200);
    json_t *actions = json_object_get(json_object_get(detail, "properties"), "actions");
    assert_int_equal(json_array_size(actions), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(actions, 4), "action")),
                        "reopen");
    assert_string_equal(json_string_value(json_object_get(json_array_get(actions, 4), "actor")),
                        "dispatch-7");
    json_decref(detail);
}

static void test_viewer_may_read_but_not_act(void **state)
{
    (void)state;
    json_t *answer = s_act(2, "acknowledge", s_viewer, NULL, 403, NULL);
    assert_string_equal(json_string_value(json_object_get(answer, "error")), "forbidden");
    json_decref(answer);
    json_decref(s_act(2, "assign", s_viewer, "{\"assignee\": \"x\"}", 403, NULL));
    assert_int_equal(s_actions(2), 0);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alerts/%s", s_alert(2));
    json_t *detail = console_get_json(s_url, path, s_viewer, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(detail, "properties"), "state")), "new");
    json_decref(detail);
}

static void test_scoped_token_acts_only_on_its_agency(void **state)
{
    (void)state;
    json_decref(s_act(3, "acknowledge", s_isp, NULL, 404, NULL)); /* CPD's */
    assert_int_equal(s_actions(3), 0);
    json_decref(s_act(7, "acknowledge", s_isp, NULL, 200, NULL)); /* ISP's */
    assert_int_equal(s_actions(7), 1);
}

static void test_unknown_actions_methods_and_ids(void **state)
{
    (void)state;
    json_decref(s_act(2, "escalate", s_operator, NULL, 404, NULL));
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alerts/%s/acknowledge", s_alert(2));
    console_response_t response;
    console_request(s_url, "GET", path, s_operator, NULL, 0, &response);
    assert_int_equal(response.status, 405);
    console_response_clear(&response);
    console_request(s_url, "POST", "/api/v1/alerts/00000000-0000-0000-0000-00000000abcd/close",
                    s_operator, NULL, 0, &response);
    assert_int_equal(response.status, 404); /* never announced: not "not stored yet" */
    console_response_clear(&response);
    console_request(s_url, "POST", "/api/v1/alerts/not-a-uuid/close", s_operator, NULL, 0,
                    &response);
    assert_int_equal(response.status, 400);
    console_response_clear(&response);
    assert_int_equal(s_actions(2), 0);
}

typedef struct {
    char path[128]; /* built before the threads start: the harness connection is not shared */
    long status;
} s_racer_t;

static void *s_race(void *arg)
{
    s_racer_t *racer = arg;
    console_response_t response;
    console_request(s_url, "POST", racer->path, s_operator, NULL, 0, &response);
    racer->status = response.status;
    console_response_clear(&response);
    return NULL;
}

static void test_concurrent_moves_take_turns(void **state)
{
    (void)state;
    for (int n = 4; n <= 6; n++) {
        s_racer_t racers[2];
        for (int i = 0; i < 2; i++) {
            snprintf(racers[i].path, sizeof racers[i].path, "/api/v1/alerts/%s/acknowledge",
                     s_alert(n));
            racers[i].status = 0;
        }
        pthread_t threads[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&threads[i], NULL, s_race, &racers[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(threads[i], NULL);
        long ok = (racers[0].status == 200) + (racers[1].status == 200);
        long refused = (racers[0].status == 409) + (racers[1].status == 409);
        if (ok != 1 || refused != 1)
            fail_msg("wf%d: concurrent acknowledges answered %ld and %ld", n, racers[0].status,
                     racers[1].status);
        assert_int_equal(s_actions(n), 1);
    }
}

/* Announces alert wf8 on the bus as wf-alert does (it reaches the console's stream at once,
 * while wf-alert's writer would store it a batch later). */
static void s_announce_wf8(void)
{
    char err[256] = "";
    wf_config_t *config = wf_config_new();
    assert_int_equal(wf_config_load_file(config, s_h.config, err, sizeof err), 0);
    wf_transport_t *transport = wf_transport_new(config, "alert", "alert", NULL, err, sizeof err);
    if (!transport)
        fail_msg("transport: %s", err);
    wf_uuid_t id, event;
    assert_int_equal(wf_uuid_parse(s_alert(8), &id), 0);
    wf_id_event(&event, "CPD", "wf8", "");
    ProtobufCBinaryData event_ids[1] = {{WF_UUID_LEN, event.bytes}};
    Wf__Alert alert = WF__ALERT__INIT;
    alert.alert_id = (ProtobufCBinaryData){WF_UUID_LEN, id.bytes};
    alert.rule_id = "near_repeat_burglary";
    alert.severity = WF__SEVERITY__SEVERE;
    alert.agency = "CPD";
    alert.n_event_ids = 1;
    alert.event_ids = event_ids;
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.type = WF__MESSAGE_TYPE__ALERT;
    envelope.body_case = WF__ENVELOPE__BODY_ALERT;
    envelope.alert = &alert;
    assert_int_equal(wf_transport_publish(transport, "alerts", NULL, 0, &envelope), 0);
    assert_int_equal(wf_transport_flush(transport, 5000), 0);
    wf_transport_destroy(&transport);
    wf_config_destroy(&config);
}

/* The console's stream head (messages it has put in its hub). */
static int64_t s_stream_head(void)
{
    json_t *health = console_get_json(s_url, "/healthz", NULL, 200);
    int64_t head = json_integer_value(json_object_get(health, "stream_head"));
    json_decref(health);
    return head;
}

static void test_announced_but_not_stored_is_409_retry(void **state)
{
    (void)state;
    int64_t head = s_stream_head();
    s_announce_wf8();
    for (int tries = 0; tries < 200 * s_h.timeout_multiplier && s_stream_head() == head; tries++)
        usleep(25 * 1000);
    assert_true(s_stream_head() > head);
    console_response_t response;
    json_t *answer = s_act(8, "acknowledge", s_operator, NULL, 409, &response);
    assert_string_equal(json_string_value(json_object_get(answer, "error")), "not_stored_yet");
    assert_string_equal(response.retry_after, "1");
    console_response_clear(&response);
    json_decref(answer);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/alerts/%s", s_alert(8));
    console_request(s_url, "GET", path, s_operator, NULL, 0, &response);
    assert_int_equal(response.status, 409); /* reading it: the same answer */
    assert_string_equal(response.retry_after, "1");
    console_response_clear(&response);
    /* a token that does not see CPD was never shown it: for it the alert does not exist */
    json_decref(s_act(8, "acknowledge", s_isp, NULL, 404, NULL));
    /* wf-alert's writer stores it; the retry succeeds */
    PGresult *res = PQexec(s_h.db, "INSERT INTO alerts (alert_id, rule_id, severity, dedupe_key, "
                                   "window_start, event_ids, raised_at, dissemination, agency) "
                                   "VALUES (md5('wf8')::uuid, 'near_repeat_burglary', 'severe', "
                                   "'k8', '2017-06-01', '{}', now(), 'law_enforcement', 'CPD')");
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    json_decref(s_act(8, "acknowledge", s_operator, NULL, 200, NULL));
    assert_int_equal(s_actions(8), 1);
}

/* Every committed move, and nothing else, reached the live stream once, as it was stored. */
static void test_every_move_is_streamed_once(void **state)
{
    (void)state;
    json_t *health = console_get_json(s_url, "/healthz", NULL, 200);
    char path[160];
    snprintf(path, sizeof path, "/api/v1/stream?types=alert_update&last_event_id=%lld.0",
             (long long)json_integer_value(json_object_get(health, "stream_epoch")));
    json_decref(health);
    console_response_t response;
    console_request(s_url, "GET", path, s_operator, NULL, 1500, &response);
    assert_int_equal(response.status, 200);
    int streamed = 0;
    for (char *line = strtok(response.body, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "data: ", 6) != 0)
            continue;
        json_t *update = json_loads(line + 6, 0, NULL);
        assert_non_null(update);
        const char *alert_id = json_string_value(json_object_get(update, "alert_id"));
        const char *action = json_string_value(json_object_get(update, "action"));
        const char *to = json_string_value(json_object_get(update, "state"));
        const char *actor = json_string_value(json_object_get(update, "actor"));
        const char *at = json_string_value(json_object_get(update, "at"));
        assert_true(alert_id && action && to && actor && at);
        /* the stored action it announces: same alert, move, state and time */
        const char *params[4] = {alert_id, action, to, at};
        PGresult *res = PQexecParams(s_h.db,
                                     "SELECT count(*) FROM alert_actions WHERE alert_id = $1 "
                                     "AND action = $2 AND to_state = $3 AND wf_rfc3339(at) = $4",
                                     4, NULL, params, NULL, NULL, 0);
        assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
        assert_string_equal(PQgetvalue(res, 0, 0), "1");
        PQclear(res);
        assert_string_equal(actor, strcmp(alert_id, s_alert(7)) == 0 ? "isp-desk" : "dispatch-7");
        json_decref(update);
        streamed++;
    }
    console_response_clear(&response);
    assert_int_equal(streamed, harness_query_int(&s_h, "SELECT count(*) FROM alert_actions"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acknowledge_records_who_and_when),
        cmocka_unit_test(test_disallowed_move_is_409_with_the_state),
        cmocka_unit_test(test_assign_close_reopen_leave_their_history),
        cmocka_unit_test(test_viewer_may_read_but_not_act),
        cmocka_unit_test(test_scoped_token_acts_only_on_its_agency),
        cmocka_unit_test(test_unknown_actions_methods_and_ids),
        cmocka_unit_test(test_concurrent_moves_take_turns),
        cmocka_unit_test(test_announced_but_not_stored_is_409_retry),
        cmocka_unit_test(test_every_move_is_streamed_once),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
