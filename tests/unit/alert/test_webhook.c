/* test_webhook.c — the webhook sender against real HTTP servers and a real PostGIS.
 *
 * Receivers in this process (tests/support/webhook_receiver.c) accept, fail twice with 500
 * then accept, answer 429 with Retry-After or answer 400; a closed port refuses connections
 * (endpoints that never answer: test_webhook_dead.c). Each test checks what arrived (bodies,
 * headers, signatures, the spacing of retries), the counters, and the webhook_deliveries rows in a
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
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include <wf/config.h>
#include <wf/err.h>
#include <wf/id.h>

#include "alert_webhook.h"
#include "webhook_fixture.h"

static void test_accepting_endpoint_gets_every_alert_once(void **state)
{
    (void)state;
    if (!webhook_fixture_has_db())
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_ACCEPT));
    const char *urls[] = {r->url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 1);
    config.min_severity = ALERT_SEVERITY_MODERATE;
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    webhook_fixture_alert_t a;
    for (int n = 0; n < 25; n++) { /* 5 minor ones stay below alert.webhook.min_severity */
        webhook_fixture_make_alert(&a, 0x01, n, n < 5 ? WF__SEVERITY__MINOR : WF__SEVERITY__SEVERE);
        webhook_fixture_raise(webhook, &a);
    }
    webhook_fixture_wait_recorded(webhook, 20, 10);
    usleep(100000); /* nothing more comes */
    assert_int_equal(webhook_receiver_count(r), 20);
    for (size_t i = 0; i < 20; i++) {
        const receiver_request_t *q = &r->requests[i];
        webhook_fixture_check_json_request(q);
        assert_string_equal(q->attempt, "1");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(q->alert_id, r->requests[j].alert_id);
        assert_int_equal(
            webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1 "
                                "AND status = 'delivered' AND attempts = 1 AND http_status = 200 "
                                "AND last_error IS NULL AND first_attempt_at <= finished_at",
                                q->alert_id),
            1);
    }
    webhook_fixture_make_alert(&a, 0x01, 0, WF__SEVERITY__MINOR);
    assert_int_equal(webhook_fixture_int(
                         "SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1", a.id_text),
                     0);
    assert_int_equal(
        webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1", r->url),
        20);
    /* a batch that was not acknowledged is not posted: the restart raises its alerts again */
    for (int n = 100; n < 103; n++) {
        webhook_fixture_make_alert(&a, 0x01, n, WF__SEVERITY__EXTREME);
        assert_int_equal(alert_webhook_hold(webhook, &a.alert), WF_OK);
    }
    assert_int_equal(alert_webhook_release(webhook, false, NULL), WF_OK);
    assert_int_equal(alert_webhook_release(webhook, true, NULL), WF_OK); /* nothing left held */
    usleep(300000);
    assert_int_equal(webhook_receiver_count(r), 20);
    assert_int_equal(webhook_fixture_int(
                         "SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1", a.id_text),
                     0);
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
            webhook_fixture_check_json_request(&r->requests[i]);
            at[n++] = r->requests[i].at_us;
        }
    return n;
}

static void test_server_errors_are_retried_with_backoff(void **state)
{
    (void)state;
    if (!webhook_fixture_has_db())
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_FAIL_FIRST));
    r->fail_status = 500;
    r->fail_count = 2;
    const char *urls[] = {r->url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 1);
    config.backoff = (alert_webhook_backoff_t){.initial_us = 200000, .max_us = 2000000};
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    webhook_fixture_alert_t a[5];
    for (int n = 0; n < 5; n++) {
        webhook_fixture_make_alert(&a[n], 0x02, n, WF__SEVERITY__MODERATE);
        webhook_fixture_raise(webhook, &a[n]);
    }
    webhook_fixture_wait_recorded(webhook, 5, 20);
    assert_int_equal(webhook_receiver_count(r), 15);
    int64_t slack =
        (int64_t)(300000 * webhook_fixture_slow()); /* a busy machine's scheduling delays */
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
            webhook_fixture_int(
                "SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1 AND status = "
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
    if (!webhook_fixture_has_db())
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_FAIL_FIRST));
    r->fail_status = 429;
    r->fail_count = 1;
    r->retry_after_s = 1;
    const char *urls[] = {r->url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 1);
    config.backoff = (alert_webhook_backoff_t){.initial_us = 20000, .max_us = 5000000};
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    webhook_fixture_alert_t a[3];
    for (int n = 0; n < 3; n++) {
        webhook_fixture_make_alert(&a[n], 0x03, n, WF__SEVERITY__EXTREME);
        webhook_fixture_raise(webhook, &a[n]);
    }
    webhook_fixture_wait_recorded(webhook, 3, 20);
    for (int n = 0; n < 3; n++) {
        int64_t at[3];
        assert_int_equal(s_arrivals(r, a[n].id_text, at, 3), 2);
        printf("alert %d: retried %.0f ms after 429 with Retry-After: 1 (backoff 10–20 ms)\n", n,
               (at[1] - at[0]) / 1e3);
        assert_true(at[1] - at[0] >= 1000000);
        assert_int_equal(
            webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1 "
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
    if (!webhook_fixture_has_db())
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_FAIL_FIRST));
    r->fail_status = 400;
    r->fail_count = 100;
    const char *urls[] = {r->url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 1);
    config.backoff = (alert_webhook_backoff_t){.initial_us = 10000, .max_us = 20000};
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    webhook_fixture_alert_t a;
    for (int n = 0; n < 3; n++) {
        webhook_fixture_make_alert(&a, 0x04, n, WF__SEVERITY__SEVERE);
        webhook_fixture_raise(webhook, &a);
    }
    webhook_fixture_wait_recorded(webhook, 3, 10);
    usleep(200000); /* ten backoffs' worth: no retry comes */
    assert_int_equal(webhook_receiver_count(r), 3);
    assert_int_equal(
        webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1 AND "
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
    if (!webhook_fixture_has_db())
        skip();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", webhook_receiver_refusing_port());
    const char *urls[] = {url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 1);
    config.retries = 2;
    config.backoff = (alert_webhook_backoff_t){.initial_us = 20000, .max_us = 100000};
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    webhook_fixture_alert_t a;
    for (int n = 0; n < 3; n++) {
        webhook_fixture_make_alert(&a, 0x05, n, WF__SEVERITY__SEVERE);
        webhook_fixture_raise(webhook, &a);
    }
    webhook_fixture_wait_recorded(webhook, 3, 10);
    assert_int_equal(
        webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1 AND "
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

static void test_cap_body_is_valid_cap(void **state)
{
    (void)state;
    if (!webhook_fixture_has_db())
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_ACCEPT));
    const char *urls[] = {r->url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 1);
    config.format = ALERT_WEBHOOK_CAP;
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    webhook_fixture_alert_t a;
    for (int n = 0; n < 3; n++) {
        webhook_fixture_make_alert(&a, 0x07, n, WF__SEVERITY__MODERATE);
        webhook_fixture_raise(webhook, &a);
    }
    webhook_fixture_wait_recorded(webhook, 3, 10);
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
        webhook_fixture_check_signature(q);
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
        alert_webhook_config_t config = webhook_fixture_config(urls, 2);
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
        cmocka_unit_test(test_cap_body_is_valid_cap),
    };
    return cmocka_run_group_tests(tests, webhook_fixture_setup, webhook_fixture_teardown);
}
