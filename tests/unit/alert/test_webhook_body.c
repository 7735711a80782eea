/* test_webhook_body.c — what a webhook receiver gets, and when the sender tries again.
 *
 * The JSON body parsed back field by field, the signature checked against OpenSSL's one-shot
 * HMAC() over the same "<timestamp>.<body>" bytes, the verdict for every class of answer and
 * the exact backoff schedule at both ends of the jitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <wf/err.h>
#include <wf/id.h>

#include "alert_webhook_body.h"

static void test_json_body_carries_the_alert(void **state)
{
    (void)state;
    uint8_t id[WF_UUID_LEN], event_a[WF_UUID_LEN], event_b[WF_UUID_LEN];
    for (int i = 0; i < WF_UUID_LEN; i++) {
        id[i] = (uint8_t)(0xa0 + i);
        event_a[i] = (uint8_t)i;
        event_b[i] = (uint8_t)(0xff - i);
    }
    ProtobufCBinaryData events[] = {{WF_UUID_LEN, event_a}, {WF_UUID_LEN, event_b}};
    Wf__Point point = WF__POINT__INIT;
    point.lon = -87.625;
    point.lat = 41.875;
    Wf__Alert alert = WF__ALERT__INIT;
    alert.alert_id = (ProtobufCBinaryData){WF_UUID_LEN, id};
    alert.rule_id = "near_repeat_residential_burglary";
    alert.severity = WF__SEVERITY__SEVERE;
    alert.title = "Near repeat \"burglary\" in 0713";
    alert.message = "3 events\nwithin 400 m";
    alert.kind = "burglary.residential";
    alert.location = &point;
    alert.district = "007";
    alert.beat = ""; /* absent in proto3 */
    alert.agency = "CPD";
    alert.dissemination = WF__DISSEMINATION__LAW_ENFORCEMENT;
    alert.n_event_ids = 2;
    alert.event_ids = events;
    alert.raised_at_us = INT64_C(1394859600123456); /* 2014-03-15 05:00:00.123456 UTC */
    alert.occurred_at_us = INT64_C(1394856000000000);
    alert.match_count = 3;
    alert.escalated = true;

    char *text = NULL;
    size_t len = 0;
    assert_int_equal(alert_webhook_render_json(&alert, &text, &len), WF_OK);
    assert_int_equal(len, strlen(text));
    json_error_t error;
    json_t *body = json_loads(text, 0, &error);
    if (!body)
        fail_msg("not JSON (%s): %s", error.text, text);
    assert_string_equal(json_string_value(json_object_get(body, "alert_id")),
                        "a0a1a2a3-a4a5-a6a7-a8a9-aaabacadaeaf");
    assert_string_equal(json_string_value(json_object_get(body, "severity")), "severe");
    assert_string_equal(json_string_value(json_object_get(body, "title")),
                        "Near repeat \"burglary\" in 0713");
    assert_string_equal(json_string_value(json_object_get(body, "message")),
                        "3 events\nwithin 400 m");
    assert_string_equal(json_string_value(json_object_get(body, "raised_at")),
                        "2014-03-15T05:00:00.123456Z");
    assert_string_equal(json_string_value(json_object_get(body, "occurred_at")),
                        "2014-03-15T04:00:00.000000Z");
    assert_true(json_is_null(json_object_get(body, "beat")));
    assert_true(json_is_null(json_object_get(body, "signal_id")));
    assert_true(json_is_null(json_object_get(body, "window_start")));
    assert_string_equal(json_string_value(json_object_get(body, "dissemination")),
                        "law_enforcement");
    json_t *location = json_object_get(body, "location");
    assert_true(json_real_value(json_object_get(location, "lon")) == -87.625);
    assert_true(json_real_value(json_object_get(location, "lat")) == 41.875);
    json_t *ids = json_object_get(body, "event_ids");
    assert_int_equal(json_array_size(ids), 2);
    assert_string_equal(json_string_value(json_array_get(ids, 1)),
                        "fffefdfc-fbfa-f9f8-f7f6-f5f4f3f2f1f0");
    assert_int_equal(json_integer_value(json_object_get(body, "match_count")), 3);
    assert_true(json_is_true(json_object_get(body, "escalated")));
    json_decref(body);
    free(text);

    alert.alert_id.len = 0; /* an alert without its id cannot be posted: receivers key on it */
    assert_int_equal(alert_webhook_render_json(&alert, &text, &len), WF_EINVAL);
    assert_null(text);
}

static void test_signature_is_hmac_sha256_of_timestamp_and_body(void **state)
{
    (void)state;
    const char *body = "{\"alert_id\":\"x\"}";
    char signature[ALERT_WEBHOOK_SIGNATURE_LEN];
    assert_int_equal(alert_webhook_sign("s3cret", 1700000000, body, strlen(body), signature),
                     WF_OK);
    const char *message = "1700000000.{\"alert_id\":\"x\"}";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    assert_non_null(HMAC(EVP_sha256(), "s3cret", 6, (const unsigned char *)message, strlen(message),
                         mac, &mac_len));
    char expected[ALERT_WEBHOOK_SIGNATURE_LEN] = "sha256=";
    for (unsigned i = 0; i < mac_len; i++)
        snprintf(expected + 7 + 2 * i, 3, "%02x", mac[i]);
    assert_string_equal(signature, expected);
    /* another timestamp or secret, another signature */
    char other[ALERT_WEBHOOK_SIGNATURE_LEN];
    assert_int_equal(alert_webhook_sign("s3cret", 1700000001, body, strlen(body), other), WF_OK);
    assert_string_not_equal(signature, other);
    assert_int_equal(alert_webhook_sign("s3creT", 1700000000, body, strlen(body), other), WF_OK);
    assert_string_not_equal(signature, other);
}

static void test_verdicts(void **state)
{
    (void)state;
    assert_int_equal(alert_webhook_classify(200), ALERT_WEBHOOK_DELIVERED);
    assert_int_equal(alert_webhook_classify(204), ALERT_WEBHOOK_DELIVERED);
    const long retry[] = {0, 408, 425, 429, 500, 502, 503, 504};
    for (size_t i = 0; i < sizeof retry / sizeof *retry; i++)
        assert_int_equal(alert_webhook_classify(retry[i]), ALERT_WEBHOOK_RETRY);
    const long final[] = {301, 400, 401, 403, 404, 410, 413, 422};
    for (size_t i = 0; i < sizeof final / sizeof *final; i++)
        assert_int_equal(alert_webhook_classify(final[i]), ALERT_WEBHOOK_FINAL);
}

static void test_backoff_doubles_with_jitter_and_honours_retry_after(void **state)
{
    (void)state;
    alert_webhook_backoff_t backoff = {.initial_us = 1000000, .max_us = 8000000};
    /* random 0: half of the schedule; random = the span: all of it */
    const int64_t schedule[] = {1000000, 2000000, 4000000, 8000000, 8000000, 8000000};
    for (int retry = 1; retry <= 6; retry++) {
        int64_t full = schedule[retry - 1];
        assert_int_equal(alert_webhook_backoff_us(&backoff, retry, 0, 0), full / 2);
        assert_int_equal(alert_webhook_backoff_us(&backoff, retry, 0, (uint64_t)(full / 2)), full);
        for (uint64_t random = 1; random < 50; random += 7) {
            int64_t pause = alert_webhook_backoff_us(&backoff, retry, 0, random * 99991);
            assert_true(pause >= full / 2 && pause <= full);
        }
    }
    /* a huge retry number neither overflows nor exceeds the cap */
    assert_int_equal(alert_webhook_backoff_us(&backoff, 1000, 0, 0), 4000000);
    /* Retry-After longer than the backoff wins; shorter does not; it is capped at max */
    assert_int_equal(alert_webhook_backoff_us(&backoff, 1, 3000000, 0), 3000000);
    assert_int_equal(alert_webhook_backoff_us(&backoff, 3, 1000000, 0), 2000000);
    assert_int_equal(alert_webhook_backoff_us(&backoff, 1, 120000000, 0), 8000000);
}

static void test_redacted_url_keeps_no_password(void **state)
{
    (void)state;
    char out[256];
    assert_string_equal(
        alert_webhook_redact_url("https://ops:hunter2@hooks.example.org/a?b=1", out, sizeof out),
        "https://ops@hooks.example.org/a?b=1");
    assert_string_equal(alert_webhook_redact_url("http://127.0.0.1:8080/hook", out, sizeof out),
                        "http://127.0.0.1:8080/hook");
    assert_string_equal(alert_webhook_redact_url("http://host/path@with:at", out, sizeof out),
                        "http://host/path@with:at");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_body_carries_the_alert),
        cmocka_unit_test(test_signature_is_hmac_sha256_of_timestamp_and_body),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_backoff_doubles_with_jitter_and_honours_retry_after),
        cmocka_unit_test(test_redacted_url_keeps_no_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
