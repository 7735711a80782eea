/* test_console_stream.c — the console's live stream against the running pipeline.
 *
 * A console that drops its connection while alerts keep being raised, and comes back with the
 * last id it saw (Last-Event-ID, as EventSource does), must receive every alert raised
 * meanwhile and none twice. Checked against what wf-alert stored in PostGIS, over real HTTP
 * (libcurl), real ZeroMQ and real services replaying a Chicago file.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <civetweb.h>
#include <cmocka.h>
#include <jansson.h>

#include "harness.h"
#include "sse_client.h"

#define S_MAX_ALERTS  4000
#define S_FIRST_BATCH 40

static harness_t s_h;
static char s_resume_from[64];         /* the first alert's id, for the WebSocket test */
static int s_alerts_after_resume_from; /* alerts the stream sent after it */
static char s_url[256];
static char s_token[128];

typedef struct {
    char ids[S_MAX_ALERTS][40];       /* stream ids */
    char alert_ids[S_MAX_ALERTS][40]; /* alert ids */
    int count;
    int stop_after; /* disconnect after this many alerts (0: never) */
    int resyncs;
    volatile bool stop; /* disconnect at the next poll */
    char last_id[64];
    const char *last_event_id; /* to resume from */
    long status;
    int rc;
} s_client_t;

static bool s_on_message(const wf_sse_message_t *message, void *user)
{
    s_client_t *c = user;
    snprintf(c->last_id, sizeof c->last_id, "%s", message->id);
    if (strcmp(message->event, "resync") == 0) {
        c->resyncs++;
        return true;
    }
    if (strcmp(message->event, "alert") != 0 || c->count >= S_MAX_ALERTS)
        return true;
    json_error_t error;
    json_t *alert = json_loads(message->data, 0, &error);
    const char *alert_id = json_string_value(json_object_get(alert, "alert_id"));
    snprintf(c->alert_ids[c->count], sizeof c->alert_ids[0], "%s", alert_id ? alert_id : "?");
    snprintf(c->ids[c->count], sizeof c->ids[0], "%s", message->id);
    c->count++;
    json_decref(alert);
    return !(c->stop_after && c->count >= c->stop_after);
}

static bool s_keep_going(void *user)
{
    return !((s_client_t *)user)->stop;
}

static void *s_client_run(void *arg)
{
    s_client_t *c = arg;
    char url[320], err[256];
    snprintf(url, sizeof url, "%sapi/v1/stream?types=alert", s_url);
    wf_sse_request_t request = {.url = url,
                                .token = s_token,
                                .last_event_id = c->last_event_id,
                                .on_message = s_on_message,
                                .keep_going = s_keep_going,
                                .user = c};
    c->rc = wf_sse_run(&request, &c->status, err, sizeof err);
    if (c->rc)
        fprintf(stderr, "sse client: %s\n", err);
    return NULL;
}

/* Creates an operator token with wf-admin, as an operator would. */
static bool s_create_token(const char *name, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' --config '%s' token create --name '%s' 2>/dev/null",
             harness_binary("tools/wf-admin"), s_h.config, name);
    FILE *pipe = popen(cmd, "r");
    bool ok = pipe && fgets(out, (int)len, pipe) != NULL;
    if (pipe)
        ok = pclose(pipe) == 0 && ok;
    out[strcspn(out, "\n")] = '\0';
    return ok;
}

static int s_setup(void **state)
{
    (void)state;
    if (!harness_start(&s_h, "console_stream", "console:\n  listen: \"127.0.0.1:0\"\n"))
        return -1;
    const char *services[] = {"enrich", "spatial", "alert", "console"};
    for (size_t i = 0; i < 4; i++)
        if (harness_start_service(&s_h, services[i]) <= 0)
            return -1;
    char path[400];
    snprintf(path, sizeof path, "%s/state/console.url", s_h.dir);
    FILE *file = NULL;
    /* written once the console listens, just after it subscribed */
    for (int tries = 0; tries < 200 && !(file = fopen(path, "r")); tries++)
        usleep(50 * 1000);
    if (!file || !fgets(s_url, sizeof s_url, file)) {
        fprintf(stderr, "no console URL in %s\n", path);
        return -1;
    }
    fclose(file);
    s_url[strcspn(s_url, "\n")] = '\0';
    if (!s_create_token("stream-test", s_token, sizeof s_token)) {
        fprintf(stderr, "wf-admin token create failed\n");
        return -1;
    }
    return 0;
}

static int s_teardown(void **state)
{
    (void)state;
    return harness_stop(&s_h) == 0 ? 0 : -1;
}

static uint64_t s_seq(const char *id)
{
    const char *dot = strchr(id, '.');
    return dot ? strtoull(dot + 1, NULL, 10) : 0;
}

/* The console's newest stream position, from its unauthenticated health check. */
static uint64_t s_stream_head(void)
{
    char cmd[400], out[256] = "";
    snprintf(cmd, sizeof cmd, "curl -s '%shealthz'", s_url);
    FILE *pipe = popen(cmd, "r");
    if (pipe) {
        if (!fgets(out, sizeof out, pipe))
            out[0] = '\0';
        pclose(pipe);
    }
    json_error_t error;
    json_t *health = json_loads(out, 0, &error);
    uint64_t head = (uint64_t)json_integer_value(json_object_get(health, "stream_head"));
    json_decref(health);
    return head;
}

static void test_reconnect_with_last_event_id_misses_nothing(void **state)
{
    (void)state;
    static s_client_t first, second;
    first = (s_client_t){.stop_after = S_FIRST_BATCH};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_client_run, &first), 0);
    usleep(300 * 1000); /* connected before the first event */

    char profile[512], file[512];
    snprintf(profile, sizeof profile, "%s/deploy/profiles/chicago-socrata-alpha.yaml",
             WF_SOURCE_DIR);
    snprintf(file, sizeof file, "%s/data/chicago/crimes_2017_englewood_socrata.csv.xz",
             WF_SOURCE_DIR);
    const char *args[] = {"--rate", "2500", "--profile", profile, file, NULL};
    pid_t ingest = harness_spawn_ingest(&s_h, args);
    assert_true(ingest > 0);

    pthread_join(thread, NULL); /* the client hung up after its first batch */
    assert_int_equal(first.rc, 0);
    assert_int_equal(first.status, 200);
    assert_int_equal(first.count, S_FIRST_BATCH);
    sleep(3); /* offline while the replay goes on */
    uint64_t head_at_reconnect = s_stream_head();
    printf("disconnected at %s, stream head at reconnect %llu\n", first.last_id,
           (unsigned long long)head_at_reconnect);
    assert_true(head_at_reconnect > s_seq(first.last_id)); /* it really missed messages */

    second = (s_client_t){.last_event_id = first.last_id};
    assert_int_equal(pthread_create(&thread, NULL, s_client_run, &second), 0);
    assert_int_equal(harness_wait_exit(&s_h, ingest, 300), 0);
    assert_true(harness_wait_drained(&s_h, 300));
    sleep(1);
    second.stop = true;
    pthread_join(thread, NULL);
    assert_int_equal(second.rc, 0);
    assert_int_equal(second.resyncs, 0);

    /* ids strictly increase across both connections: nothing twice, resumed where it left */
    assert_true(s_seq(second.ids[0]) > s_seq(first.ids[first.count - 1]));
    for (int i = 1; i < second.count; i++)
        assert_true(s_seq(second.ids[i]) > s_seq(second.ids[i - 1]));
    int during_gap = 0;
    for (int i = 0; i < second.count; i++)
        during_gap += s_seq(second.ids[i]) <= head_at_reconnect;
    printf("alerts: %d before the drop, %d after reconnecting (%d of them raised while "
           "disconnected)\n",
           first.count, second.count, during_gap);
    assert_true(during_gap > 0);

    snprintf(s_resume_from, sizeof s_resume_from, "%s", first.ids[0]);
    s_alerts_after_resume_from = first.count - 1 + second.count;

    /* together they are exactly the alerts wf-alert stored */
    int64_t stored = harness_query_int(&s_h, "SELECT count(*) FROM alerts");
    assert_int_equal(first.count + second.count, stored);
    for (int pass = 0; pass < 2; pass++) {
        const s_client_t *c = pass ? &second : &first;
        for (int i = 0; i < c->count; i++)
            assert_int_equal(harness_query_int1(&s_h,
                                                "SELECT count(*) FROM alerts WHERE alert_id = "
                                                "$1::uuid",
                                                c->alert_ids[i]),
                             1);
    }
}

/* An id from another run of the console cannot be resumed: the client is told to reload. */
static void test_foreign_id_gets_resync_and_garbage_gets_400(void **state)
{
    (void)state;
    static s_client_t c;
    c = (s_client_t){.last_event_id = "12345.7"};
    c.stop = false;
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_client_run, &c), 0);
    usleep(1500 * 1000);
    c.stop = true;
    pthread_join(thread, NULL);
    assert_int_equal(c.status, 200);
    assert_int_equal(c.resyncs, 1);

    c = (s_client_t){.last_event_id = "not-an-id"};
    s_client_run(&c);
    assert_int_equal(c.status, 400);
    assert_int_equal(c.rc, -1);

    char saved[sizeof s_token];
    snprintf(saved, sizeof saved, "%s", s_token);
    snprintf(s_token, sizeof s_token, "wft_%s", "0123456789012345678901234567890123456789012");
    c = (s_client_t){0};
    s_client_run(&c);
    snprintf(s_token, sizeof s_token, "%s", saved);
    assert_int_equal(c.status, 401);
}

typedef struct {
    pthread_mutex_t lock;
    int alerts, resyncs, others;
    uint64_t last_seq;
    bool ordered;
} s_ws_seen_t;

static int s_ws_data(struct mg_connection *conn, int bits, char *data, size_t len, void *user)
{
    (void)conn;
    s_ws_seen_t *seen = user;
    if ((bits & 0x0f) != MG_WEBSOCKET_OPCODE_TEXT)
        return 1;
    json_error_t error;
    json_t *message = json_loadb(data, len, 0, &error);
    const char *type = json_string_value(json_object_get(message, "type"));
    const char *id = json_string_value(json_object_get(message, "id"));
    pthread_mutex_lock(&seen->lock);
    if (type && strcmp(type, "alert") == 0 && id &&
        json_string_value(json_object_get(json_object_get(message, "data"), "alert_id"))) {
        seen->alerts++;
        seen->ordered = seen->ordered && s_seq(id) > seen->last_seq;
        seen->last_seq = s_seq(id);
    } else if (type && strcmp(type, "resync") == 0) {
        seen->resyncs++;
    } else {
        seen->others++;
    }
    pthread_mutex_unlock(&seen->lock);
    json_decref(message);
    return 1;
}

/* The WebSocket stream resumes the same way: from the first alert's id it replays every later
 * alert the console still holds, in order, once, and nothing of the types not asked for. */
static void test_websocket_resumes_from_an_id(void **state)
{
    (void)state;
    assert_true(s_alerts_after_resume_from > 0); /* the SSE test ran first */
    int port = atoi(strrchr(s_url, ':') + 1);
    char path[512], err[256] = "";
    snprintf(path, sizeof path, "/api/v1/ws?types=alert&last_event_id=%s&access_token=%s",
             s_resume_from, s_token);
    s_ws_seen_t seen = {.lock = PTHREAD_MUTEX_INITIALIZER, .ordered = true};
    mg_init_library(0);
    struct mg_connection *conn = mg_connect_websocket_client("127.0.0.1", port, 0, err, sizeof err,
                                                             path, NULL, s_ws_data, NULL, &seen);
    if (!conn)
        fail_msg("websocket: %s", err);
    for (int waited = 0; waited < 200; waited++) {
        pthread_mutex_lock(&seen.lock);
        bool done = seen.alerts >= s_alerts_after_resume_from;
        pthread_mutex_unlock(&seen.lock);
        if (done)
            break;
        usleep(50 * 1000);
    }
    usleep(300 * 1000); /* anything extra would arrive now */
    mg_close_connection(conn);
    printf("websocket: %d alerts after %s (expected %d), %d resyncs, %d others\n", seen.alerts,
           s_resume_from, s_alerts_after_resume_from, seen.resyncs, seen.others);
    assert_int_equal(seen.alerts, s_alerts_after_resume_from);
    assert_true(seen.ordered);
    assert_int_equal(seen.resyncs, 0);
    assert_int_equal(seen.others, 0);

    /* no token: refused at the handshake */
    snprintf(path, sizeof path, "/api/v1/ws?types=alert");
    conn = mg_connect_websocket_client("127.0.0.1", port, 0, err, sizeof err, path, NULL, s_ws_data,
                                       NULL, &seen);
    assert_null(conn);
    mg_exit_library();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reconnect_with_last_event_id_misses_nothing),
        cmocka_unit_test(test_foreign_id_gets_resync_and_garbage_gets_400),
        cmocka_unit_test(test_websocket_resumes_from_an_id),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
