/* test_webhook.c — the webhook sender against real HTTP servers and a real PostGIS.
 *
 * Receivers in this process (tests/support/webhook_receiver.c) accept, fail twice with 500
 * then accept, answer 429 with Retry-After, answer 400, or take the request and never answer;
 * a closed port refuses connections. Each test checks what arrived (bodies, headers,
 * signatures, the spacing of retries), the counters, and the webhook_deliveries rows in a
 * scratch database made from deploy/migrations/0007. Needs WF_TEST_PG_CONNINFO (skipped
 * otherwise, never passed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <wf/config.h>
#include <wf/err.h>
#include <wf/id.h>

#include "alert_webhook.h"
#include "webhook_receiver.h"

#define SECRET "correct horse battery staple"
#define TOKEN  "t0ken"

static char s_conninfo[1024]; /* scratch database, "" when there is no cluster */
static PGconn *s_db;
static double s_slow = 1.0; /* WF_TEST_TIMEOUT_MULTIPLIER */

/* One integer from a query with one text parameter. */
static int64_t s_int(const char *sql, const char *param)
{
    const char *params[] = {param};
    PGresult *res = PQexecParams(s_db, sql, param ? 1 : 0, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    int64_t value = PQgetisnull(res, 0, 0) ? -1 : atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

static int s_setup(void **state)
{
    (void)state;
    const char *mult = getenv("WF_TEST_TIMEOUT_MULTIPLIER");
    if (mult && atof(mult) > 0)
        s_slow = atof(mult);
    const char *base = getenv("WF_TEST_PG_CONNINFO");
    if (!base)
        return 0;
    PGconn *admin = PQconnectdb(base);
    if (PQstatus(admin) != CONNECTION_OK) {
        fprintf(stderr, "cannot connect: %s", PQerrorMessage(admin));
        PQfinish(admin);
        return -1;
    }
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS wft_webhook_%d", (int)getpid());
    PQclear(PQexec(admin, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE wft_webhook_%d", (int)getpid());
    PGresult *res = PQexec(admin, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    PQfinish(admin);
    if (!ok)
        return -1;
    snprintf(s_conninfo, sizeof s_conninfo, "%s dbname=wft_webhook_%d", base, (int)getpid());
    s_db = PQconnectdb(s_conninfo);
    FILE *in = fopen(WF_SOURCE_DIR "/deploy/migrations/0007_webhook_deliveries.sql", "r");
    static char migration[8192];
    size_t len = in ? fread(migration, 1, sizeof migration - 1, in) : 0;
    if (in)
        fclose(in);
    migration[len] = '\0';
    res = PQexec(s_db, migration);
    ok = len > 0 && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "migration 0007: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    if (!s_db)
        return 0;
    PQfinish(s_db);
    if (getenv("WF_TEST_KEEP"))
        return 0;
    /* FORCE: a test that failed half-way leaves a sender (and its connection) behind */
    PGconn *admin = PQconnectdb(getenv("WF_TEST_PG_CONNINFO"));
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS wft_webhook_%d WITH (FORCE)", (int)getpid());
    PGresult *res = PQexec(admin, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(admin);
    return ok ? 0 : -1;
}

/* A real-looking alert number n (its id: 16 bytes of n and tag). */
typedef struct {
    Wf__Alert alert;
    Wf__Point point;
    uint8_t id[WF_UUID_LEN];
    uint8_t event[WF_UUID_LEN];
    ProtobufCBinaryData events[1];
    char id_text[WF_UUID_STR_LEN];
} s_alert_t;

static void s_make_alert(s_alert_t *a, uint8_t tag, int n, Wf__Severity severity)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < WF_UUID_LEN; i++) {
        a->id[i] = (uint8_t)(i < 4 ? tag : n >> (8 * (i % 4)));
        a->event[i] = (uint8_t)(n + i);
    }
    a->id[6] = 0x50; /* version 5, variant: a well-formed UUID */
    a->id[8] = 0x80;
    wf_uuid_format(a->id, a->id_text);
    a->events[0] = (ProtobufCBinaryData){WF_UUID_LEN, a->event};
    wf__point__init(&a->point);
    a->point.lon = -87.65 + n * 1e-4;
    a->point.lat = 41.85;
    wf__alert__init(&a->alert);
    a->alert.alert_id = (ProtobufCBinaryData){WF_UUID_LEN, a->id};
    a->alert.rule_id = "webhook_test";
    a->alert.severity = severity;
    a->alert.dedupe_key = "cell:1:2";
    a->alert.window_start_us = INT64_C(1394841600000000);
    a->alert.n_event_ids = 1;
    a->alert.event_ids = a->events;
    a->alert.kind = "burglary.residential";
    a->alert.location = &a->point;
    a->alert.district = "007";
    a->alert.beat = "0713";
    a->alert.agency = "CPD";
    a->alert.title = "Residential burglary <near> repeat & more";
    a->alert.message = "test alert";
    a->alert.raised_at_us = INT64_C(1394859600000000) + n;
    a->alert.occurred_at_us = INT64_C(1394856000000000);
    a->alert.dissemination = WF__DISSEMINATION__LAW_ENFORCEMENT;
}

static alert_webhook_config_t s_config(const char *const *urls, size_t n_urls)
{
    alert_webhook_config_t config = {
        .urls = urls,
        .n_urls = n_urls,
        .format = ALERT_WEBHOOK_JSON,
        .min_severity = ALERT_SEVERITY_MINOR,
        .timeout_us = 5 * 1000000,
        .retries = 3,
        .backoff = {.initial_us = 100000, .max_us = 2000000},
        .queue_max = 1000,
        .concurrency = 4,
        .shutdown_grace_us = 2 * 1000000,
        .bearer_token = TOKEN,
        .secret = SECRET,
        .conninfo = s_conninfo,
        .cap = {.sender = "watchfloor@test.example.org", .radius_km = 0.4},
    };
    return config;
}

/* Holds and releases one alert as the alert loop does (after its batch is acknowledged). */
static int64_t s_raise(alert_webhook_t *webhook, const s_alert_t *a)
{
    int64_t start = webhook_receiver_now_us();
    assert_int_equal(alert_webhook_hold(webhook, &a->alert), WF_OK);
    assert_int_equal(alert_webhook_release(webhook, true, NULL), WF_OK);
    return webhook_receiver_now_us() - start;
}

/* Waits until the sender has finished (sent + failed) n deliveries and recorded them all. */
static void s_wait_recorded(alert_webhook_t *webhook, uint64_t n, int seconds)
{
    int64_t deadline = webhook_receiver_now_us() + (int64_t)(seconds * s_slow * 1e6);
    alert_webhook_counters_t c;
    do {
        alert_webhook_counters(webhook, &c);
        if (c.recorded >= n)
            return;
        usleep(10000);
    } while (webhook_receiver_now_us() < deadline);
    fail_msg("recorded %llu of %llu deliveries (sent %llu failed %llu dropped %llu)",
             (unsigned long long)c.recorded, (unsigned long long)n, (unsigned long long)c.sent,
             (unsigned long long)c.failed, (unsigned long long)c.dropped_queue_full);
}

/* The signature a receiver computes from the secret it shares with us. */
static void s_check_signature(const receiver_request_t *q)
{
    char message[16384];
    int len = snprintf(message, sizeof message, "%s.%s", q->timestamp, q->body);
    assert_true(len > 0 && (size_t)len < sizeof message);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)message, (size_t)len,
         mac, &mac_len);
    char expected[80] = "sha256=";
    for (unsigned i = 0; i < mac_len; i++)
        snprintf(expected + 7 + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(q->signature, expected);
    long long age = (long long)time(NULL) - atoll(q->timestamp);
    assert_true(age >= 0 && age < 60);
}

static void s_check_json_request(const receiver_request_t *q)
{
    assert_string_equal(q->content_type, "application/json");
    assert_string_equal(q->authorization, "Bearer " TOKEN);
    assert_string_equal(q->idempotency_key, q->alert_id);
    json_error_t error;
    json_t *body = json_loads(q->body, 0, &error);
    if (!body)
        fail_msg("body is not JSON (%s): %s", error.text, q->body);
    assert_string_equal(json_string_value(json_object_get(body, "alert_id")), q->alert_id);
    assert_string_equal(json_string_value(json_object_get(body, "rule_id")), "webhook_test");
    json_decref(body);
    s_check_signature(q);
}

static alert_webhook_t *s_new(const alert_webhook_config_t *config)
{
    char err[512] = "";
    alert_webhook_t *webhook = alert_webhook_new(config, err, sizeof err);
    if (!webhook)
        fail_msg("alert_webhook_new: %s", err);
    return webhook;
}

static void test_accepting_endpoint_gets_every_alert_once(void **state)
{
    (void)state;
    if (!s_db)
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_ACCEPT));
    const char *urls[] = {r->url};
    alert_webhook_config_t config = s_config(urls, 1);
    config.min_severity = ALERT_SEVERITY_MODERATE;
    alert_webhook_t *webhook = s_new(&config);
    s_alert_t a;
    for (int n = 0; n < 25; n++) { /* 5 minor ones stay below alert.webhook.min_severity */
        s_make_alert(&a, 0x01, n, n < 5 ? WF__SEVERITY__MINOR : WF__SEVERITY__SEVERE);
        s_raise(webhook, &a);
    }
    s_wait_recorded(webhook, 20, 10);
    usleep(100000); /* nothing more comes */
    assert_int_equal(webhook_receiver_count(r), 20);
    for (size_t i = 0; i < 20; i++) {
        const receiver_request_t *q = &r->requests[i];
        s_check_json_request(q);
        assert_string_equal(q->attempt, "1");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(q->alert_id, r->requests[j].alert_id);
        assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1 "
                               "AND status = 'delivered' AND attempts = 1 AND http_status = 200 "
                               "AND last_error IS NULL AND first_attempt_at <= finished_at",
                               q->alert_id),
                         1);
    }
    s_make_alert(&a, 0x01, 0, WF__SEVERITY__MINOR);
    assert_int_equal(
        s_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1", a.id_text), 0);
    assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1", r->url),
                     20);
    /* a batch that was not acknowledged is not posted: the restart raises its alerts again */
    for (int n = 100; n < 103; n++) {
        s_make_alert(&a, 0x01, n, WF__SEVERITY__EXTREME);
        assert_int_equal(alert_webhook_hold(webhook, &a.alert), WF_OK);
    }
    assert_int_equal(alert_webhook_release(webhook, false, NULL), WF_OK);
    assert_int_equal(alert_webhook_release(webhook, true, NULL), WF_OK); /* nothing left held */
    usleep(300000);
    assert_int_equal(webhook_receiver_count(r), 20);
    assert_int_equal(
        s_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1", a.id_text), 0);
    alert_webhook_counters_t c;
    alert_webhook_counters(webhook, &c);
    assert_int_equal(c.sent, 20);
    assert_int_equal(c.retried + c.failed + c.dropped_queue_full + c.queued, 0);
    alert_webhook_destroy(&webhook);
    assert_null(webhook);
    webhook_receiver_stop(r);
    free(r);
}

/* Arrival times of the requests for alert_id, in order; returns how many. */
static size_t s_arrivals(webhook_receiver_t *r, const char *alert_id, int64_t *at, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_requests && n < max; i++)
        if (strcmp(r->requests[i].alert_id, alert_id) == 0) {
            char expected[8];
            snprintf(expected, sizeof expected, "%zu", n + 1);
            assert_string_equal(r->requests[i].attempt, expected);
            assert_string_equal(r->requests[i].idempotency_key, alert_id);
            s_check_json_request(&r->requests[i]);
            at[n++] = r->requests[i].at_us;
        }
    return n;
}

static void test_server_errors_are_retried_with_backoff(void **state)
{
    (void)state;
    if (!s_db)
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_FAIL_FIRST));
    r->fail_status = 500;
    r->fail_count = 2;
    const char *urls[] = {r->url};
    alert_webhook_config_t config = s_config(urls, 1);
    config.backoff = (alert_webhook_backoff_t){.initial_us = 200000, .max_us = 2000000};
    alert_webhook_t *webhook = s_new(&config);
    s_alert_t a[5];
    for (int n = 0; n < 5; n++) {
        s_make_alert(&a[n], 0x02, n, WF__SEVERITY__MODERATE);
        s_raise(webhook, &a[n]);
    }
    s_wait_recorded(webhook, 5, 20);
    assert_int_equal(webhook_receiver_count(r), 15);
    int64_t slack = (int64_t)(300000 * s_slow); /* a busy machine's scheduling delays */
    for (int n = 0; n < 5; n++) {
        int64_t at[4];
        assert_int_equal(s_arrivals(r, a[n].id_text, at, 4), 3);
        /* retry 1 waits 100–200 ms, retry 2 200–400 ms (equal jitter on 200 ms doubling) */
        int64_t gap1 = at[1] - at[0], gap2 = at[2] - at[1];
        printf("alert %d: retries after %.0f ms and %.0f ms\n", n, gap1 / 1e3, gap2 / 1e3);
        if (gap1 < 100000 || gap1 > 200000 + slack || gap2 < 200000 || gap2 > 400000 + slack)
            fail_msg("alert %d: retries after %lld µs and %lld µs", n, (long long)gap1,
                     (long long)gap2);
        assert_int_equal(
            s_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1 AND status = "
                  "'delivered' AND attempts = 3 AND http_status = 200",
                  a[n].id_text),
            1);
    }
    alert_webhook_counters_t c;
    alert_webhook_counters(webhook, &c);
    assert_int_equal(c.sent, 5);
    assert_int_equal(c.retried, 10);
    assert_int_equal(c.failed, 0);
    alert_webhook_destroy(&webhook);
    webhook_receiver_stop(r);
    free(r);
}

static void test_429_retry_after_is_honoured(void **state)
{
    (void)state;
    if (!s_db)
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_FAIL_FIRST));
    r->fail_status = 429;
    r->fail_count = 1;
    r->retry_after_s = 1;
    const char *urls[] = {r->url};
    alert_webhook_config_t config = s_config(urls, 1);
    config.backoff = (alert_webhook_backoff_t){.initial_us = 20000, .max_us = 5000000};
    alert_webhook_t *webhook = s_new(&config);
    s_alert_t a[3];
    for (int n = 0; n < 3; n++) {
        s_make_alert(&a[n], 0x03, n, WF__SEVERITY__EXTREME);
        s_raise(webhook, &a[n]);
    }
    s_wait_recorded(webhook, 3, 20);
    for (int n = 0; n < 3; n++) {
        int64_t at[3];
        assert_int_equal(s_arrivals(r, a[n].id_text, at, 3), 2);
        printf("alert %d: retried %.0f ms after 429 with Retry-After: 1 (backoff 10–20 ms)\n", n,
               (at[1] - at[0]) / 1e3);
        assert_true(at[1] - at[0] >= 1000000);
        assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1 "
                               "AND status = 'delivered' AND attempts = 2",
                               a[n].id_text),
                         1);
    }
    alert_webhook_counters_t c;
    alert_webhook_counters(webhook, &c);
    assert_int_equal(c.sent, 3);
    assert_int_equal(c.retried, 3);
    alert_webhook_destroy(&webhook);
    webhook_receiver_stop(r);
    free(r);
}

static void test_client_error_is_final(void **state)
{
    (void)state;
    if (!s_db)
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_FAIL_FIRST));
    r->fail_status = 400;
    r->fail_count = 100;
    const char *urls[] = {r->url};
    alert_webhook_config_t config = s_config(urls, 1);
    config.backoff = (alert_webhook_backoff_t){.initial_us = 10000, .max_us = 20000};
    alert_webhook_t *webhook = s_new(&config);
    s_alert_t a;
    for (int n = 0; n < 3; n++) {
        s_make_alert(&a, 0x04, n, WF__SEVERITY__SEVERE);
        s_raise(webhook, &a);
    }
    s_wait_recorded(webhook, 3, 10);
    usleep(200000); /* ten backoffs' worth: no retry comes */
    assert_int_equal(webhook_receiver_count(r), 3);
    assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1 AND "
                           "status = 'failed' AND attempts = 1 AND http_status = 400 AND "
                           "last_error = 'HTTP 400'",
                           r->url),
                     3);
    alert_webhook_destroy(&webhook);
    webhook_receiver_stop(r);
    free(r);
}

static void test_refused_connection_fails_after_its_retries(void **state)
{
    (void)state;
    if (!s_db)
        skip();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", webhook_receiver_refusing_port());
    const char *urls[] = {url};
    alert_webhook_config_t config = s_config(urls, 1);
    config.retries = 2;
    config.backoff = (alert_webhook_backoff_t){.initial_us = 20000, .max_us = 100000};
    alert_webhook_t *webhook = s_new(&config);
    s_alert_t a;
    for (int n = 0; n < 3; n++) {
        s_make_alert(&a, 0x05, n, WF__SEVERITY__SEVERE);
        s_raise(webhook, &a);
    }
    s_wait_recorded(webhook, 3, 10);
    assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1 AND "
                           "status = 'failed' AND attempts = 3 AND http_status IS NULL AND "
                           "last_error ILIKE '%connect%'",
                           url),
                     3);
    alert_webhook_counters_t c;
    alert_webhook_counters(webhook, &c);
    assert_int_equal(c.failed, 3);
    assert_int_equal(c.retried, 6);
    assert_int_equal(c.sent, 0);
    alert_webhook_destroy(&webhook);
}

static int s_compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* (d): an endpoint that takes requests and never answers (30 s timeout) next to a healthy one:
 * raising alerts stays a matter of microseconds, the healthy endpoint gets all of them at once,
 * the dead one's bounded queue overflows into recorded drops, and shutdown takes the grace. */
static void test_dead_endpoint_slows_neither_the_alert_loop_nor_other_endpoints(void **state)
{
    (void)state;
    if (!s_db)
        skip();
    enum { ALERTS = 300, BURST = 50, QUEUE = 100, CONCURRENCY = 2 };
    webhook_receiver_t *dead = malloc(sizeof *dead), *live = malloc(sizeof *live);
    assert_true(webhook_receiver_start(dead, RECEIVER_BLACKHOLE));
    assert_true(webhook_receiver_start(live, RECEIVER_ACCEPT));
    const char *urls[] = {dead->url, live->url};
    alert_webhook_config_t config = s_config(urls, 2);
    config.timeout_us = 30 * 1000000;
    config.queue_max = QUEUE;
    config.concurrency = CONCURRENCY;
    config.shutdown_grace_us = 500000;
    alert_webhook_t *webhook = s_new(&config);
    static int64_t spent[ALERTS];
    int64_t total = 0;
    s_alert_t a;
    /* bursts the healthy endpoint keeps up with (its queue is as small as the dead one's) */
    for (int n = 0; n < ALERTS; n++) {
        s_make_alert(&a, 0x06, n, WF__SEVERITY__SEVERE);
        spent[n] = s_raise(webhook, &a);
        total += spent[n];
        if ((n + 1) % BURST == 0)
            assert_int_equal(webhook_receiver_wait(live, (size_t)n + 1, (int)(10000 * s_slow)),
                             n + 1);
    }
    qsort(spent, ALERTS, sizeof *spent, s_compare_int64);
    printf(
        "raising %d alerts took %.1f ms in all: per alert p50 %lld µs, p99 %lld µs, max %lld µs\n",
        ALERTS, total / 1e3, (long long)spent[ALERTS / 2], (long long)spent[ALERTS * 99 / 100],
        (long long)spent[ALERTS - 1]);
    assert_true(spent[ALERTS * 99 / 100] < 2000 * s_slow); /* ~20 µs here; 30 s if it waited */
    assert_true(total < 100000 * s_slow);

    /* the healthy endpoint had everything within seconds; the dead one holds two requests */
    assert_int_equal(webhook_receiver_wait(dead, CONCURRENCY, (int)(5000 * s_slow)), CONCURRENCY);
    usleep(200000);
    assert_int_equal(webhook_receiver_count(dead), CONCURRENCY);
    alert_webhook_counters_t c;
    alert_webhook_counters(webhook, &c);
    /* 2 in flight + 100 queued; the first burst's overflow may come before the thread took the
     * first two off the queue */
    printf("dead endpoint: %llu dropped, %llu queued or in flight\n",
           (unsigned long long)c.dropped_queue_full, (unsigned long long)c.queued);
    assert_true(c.dropped_queue_full >= ALERTS - QUEUE - CONCURRENCY &&
                c.dropped_queue_full <= ALERTS - QUEUE);
    assert_int_equal(c.queued + c.dropped_queue_full, ALERTS);

    int64_t stop_start = webhook_receiver_now_us();
    alert_webhook_destroy(&webhook);
    int64_t stopping = webhook_receiver_now_us() - stop_start;
    printf("shutdown with a 500 ms grace took %.0f ms\n", stopping / 1e3);
    assert_true(stopping >= 500000 && stopping < 3000000 * s_slow);
    /* every alert has its row at each endpoint: delivered, dropped, or failed at shutdown */
    assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1 AND "
                           "status = 'delivered' AND attempts = 1",
                           live->url),
                     ALERTS);
    assert_int_equal(s_int("SELECT count(DISTINCT alert_id) FROM webhook_deliveries "
                           "WHERE endpoint = $1",
                           dead->url),
                     ALERTS);
    char dropped[32];
    snprintf(dropped, sizeof dropped, "%llu", (unsigned long long)c.dropped_queue_full);
    assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE status = 'dropped' "
                           "AND attempts = 0 AND last_error LIKE 'queue full%' "
                           "AND first_attempt_at IS NULL",
                           NULL),
                     (int64_t)c.dropped_queue_full);
    assert_int_equal(s_int("SELECT count(*) FROM webhook_deliveries WHERE status = 'failed' AND "
                           "last_error LIKE 'shutdown: not delivered%' AND attempts <= 1",
                           NULL),
                     ALERTS - atoll(dropped));
    webhook_receiver_stop(dead);
    webhook_receiver_stop(live);
    free(dead);
    free(live);
}

static void test_cap_body_is_valid_cap(void **state)
{
    (void)state;
    if (!s_db)
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_ACCEPT));
    const char *urls[] = {r->url};
    alert_webhook_config_t config = s_config(urls, 1);
    config.format = ALERT_WEBHOOK_CAP;
    alert_webhook_t *webhook = s_new(&config);
    s_alert_t a;
    for (int n = 0; n < 3; n++) {
        s_make_alert(&a, 0x07, n, WF__SEVERITY__MODERATE);
        s_raise(webhook, &a);
    }
    s_wait_recorded(webhook, 3, 10);
    xmlSchemaParserCtxtPtr parser =
        xmlSchemaNewParserCtxt(WF_SOURCE_DIR "/data/reference/cap/cap12.xsd");
    xmlSchemaPtr schema = parser ? xmlSchemaParse(parser) : NULL;
    xmlSchemaFreeParserCtxt(parser);
    assert_non_null(schema);
    assert_int_equal(webhook_receiver_count(r), 3);
    for (size_t i = 0; i < 3; i++) {
        const receiver_request_t *q = &r->requests[i];
        assert_string_equal(q->content_type, "application/cap+xml");
        assert_string_equal(q->idempotency_key, q->alert_id);
        s_check_signature(q);
        xmlDocPtr doc = xmlReadMemory(q->body, (int)q->body_len, "cap.xml", NULL, XML_PARSE_NONET);
        if (!doc)
            fail_msg("CAP body is not XML: %s", q->body);
        xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
        int rc = xmlSchemaValidateDoc(valid, doc);
        xmlSchemaFreeValidCtxt(valid);
        xmlFreeDoc(doc);
        if (rc != 0)
            fail_msg("CAP body not valid against cap12.xsd: %s", q->body);
        assert_non_null(strstr(q->body, "&lt;near&gt; repeat &amp; more"));
    }
    xmlSchemaFree(schema);
    alert_webhook_destroy(&webhook);
    webhook_receiver_stop(r);
    free(r);
}

static void test_urls_that_are_not_http_are_refused(void **state)
{
    (void)state;
    const char *bad[] = {"ftp://hooks.example.org/x", "not a url", "http://", "file:///etc/passwd"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *urls[] = {"http://127.0.0.1:1/ok", bad[i]};
        alert_webhook_config_t config = s_config(urls, 2);
        char err[512] = "";
        alert_webhook_t *webhook = alert_webhook_new(&config, err, sizeof err);
        assert_null(webhook);
        if (!strstr(err, "alert.webhook.urls") || !strstr(err, bad[i]))
            fail_msg("no reason naming '%s': %s", bad[i], err);
    }
}

static void test_configuration_is_read_and_checked(void **state)
{
    (void)state;
    wf_config_t *wf_config = wf_config_new();
    char err[256] = "";
    alert_webhook_config_t config;
    assert_int_equal(alert_webhook_config_load(&config, wf_config, err, sizeof err), WF_OK);
    assert_int_equal(config.n_urls, 0); /* no webhooks unless configured */
    assert_int_equal(config.format, ALERT_WEBHOOK_JSON);
    assert_int_equal(config.min_severity, ALERT_SEVERITY_MINOR);
    assert_int_equal(config.timeout_us, 10 * 1000000);
    assert_int_equal(config.backoff.initial_us, 500000);
    assert_int_equal(config.backoff.max_us, 60 * 1000000);
    assert_int_equal(config.queue_max, 1000);
    const char *const sets[][2] = {{"alert.webhook.urls", "http://a.example/x,https://b.example/y"},
                                   {"alert.webhook.format", "cap"},
                                   {"alert.webhook.min_severity", "severe"},
                                   {"alert.webhook.retries", "0"},
                                   {"alert.webhook.backoff", "250ms"}};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        assert_int_equal(wf_config_set(wf_config, sets[i][0], sets[i][1], err, sizeof err), WF_OK);
    assert_int_equal(alert_webhook_config_load(&config, wf_config, err, sizeof err), WF_OK);
    assert_int_equal(config.n_urls, 2);
    assert_string_equal(config.urls[1], "https://b.example/y");
    assert_int_equal(config.format, ALERT_WEBHOOK_CAP);
    assert_int_equal(config.min_severity, ALERT_SEVERITY_SEVERE);
    assert_int_equal(config.retries, 0);
    assert_int_equal(config.backoff.initial_us, 250000);
    assert_int_equal(wf_config_set(wf_config, "alert.webhook.format", "xml", err, sizeof err),
                     WF_OK);
    assert_int_equal(alert_webhook_config_load(&config, wf_config, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "alert.webhook.format"));
    wf_config_set(wf_config, "alert.webhook.format", "json", err, sizeof err);
    wf_config_set(wf_config, "alert.webhook.min_severity", "high", err, sizeof err);
    assert_int_equal(alert_webhook_config_load(&config, wf_config, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "'high'"));
    /* out-of-range values are refused by the key table itself */
    assert_int_not_equal(wf_config_set(wf_config, "alert.webhook.queue", "0", err, sizeof err),
                         WF_OK);
    wf_config_destroy(&wf_config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configuration_is_read_and_checked),
        cmocka_unit_test(test_urls_that_are_not_http_are_refused),
        cmocka_unit_test(test_accepting_endpoint_gets_every_alert_once),
        cmocka_unit_test(test_server_errors_are_retried_with_backoff),
        cmocka_unit_test(test_429_retry_after_is_honoured),
        cmocka_unit_test(test_client_error_is_final),
        cmocka_unit_test(test_refused_connection_fails_after_its_retries),
        cmocka_unit_test(test_dead_endpoint_slows_neither_the_alert_loop_nor_other_endpoints),
        cmocka_unit_test(test_cap_body_is_valid_cap),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
