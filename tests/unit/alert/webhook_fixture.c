/* webhook_fixture.c — what the webhook sender tests share: a scratch database made from
 * deploy/migrations/0007, real-looking alerts, a sender configuration, and the checks a
 * receiver makes (JSON body, idempotency key, bearer token, HMAC signature).
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
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <wf/err.h>
#include <wf/id.h>

#include "webhook_fixture.h"

#define SECRET WEBHOOK_FIXTURE_SECRET
#define TOKEN  WEBHOOK_FIXTURE_TOKEN

static char s_conninfo[1024]; /* scratch database, "" when there is no cluster */
static PGconn *s_db;
static double s_slow = 1.0; /* WF_TEST_TIMEOUT_MULTIPLIER */

/* One integer from a query with one text parameter. */
int64_t webhook_fixture_int(const char *sql, const char *param)
{
    const char *params[] = {param};
    PGresult *res = PQexecParams(s_db, sql, param ? 1 : 0, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    int64_t value = PQgetisnull(res, 0, 0) ? -1 : atoll(PQgetvalue(res, 0, 0));
    PQclear(res);
    return value;
}

int webhook_fixture_setup(void **state)
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

int webhook_fixture_teardown(void **state)
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

void webhook_fixture_make_alert(webhook_fixture_alert_t *a, uint8_t tag, int n,
                                Wf__Severity severity)
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

alert_webhook_config_t webhook_fixture_config(const char *const *urls, size_t n_urls)
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
int64_t webhook_fixture_raise(alert_webhook_t *webhook, const webhook_fixture_alert_t *a)
{
    int64_t start = webhook_receiver_now_us();
    assert_int_equal(alert_webhook_hold(webhook, &a->alert), WF_OK);
    assert_int_equal(alert_webhook_release(webhook, true, NULL), WF_OK);
    return webhook_receiver_now_us() - start;
}

/* Waits until the sender has finished (sent + failed) n deliveries and recorded them all. */
void webhook_fixture_wait_recorded(alert_webhook_t *webhook, uint64_t n, int seconds)
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
void webhook_fixture_check_signature(const receiver_request_t *q)
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

void webhook_fixture_check_json_request(const receiver_request_t *q)
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
    webhook_fixture_check_signature(q);
}

alert_webhook_t *webhook_fixture_new(const alert_webhook_config_t *config)
{
    char err[512] = "";
    alert_webhook_t *webhook = alert_webhook_new(config, err, sizeof err);
    if (!webhook)
        fail_msg("alert_webhook_new: %s", err);
    return webhook;
}

bool webhook_fixture_has_db(void)
{
    return s_db != NULL;
}

double webhook_fixture_slow(void)
{
    return s_slow;
}
