/* webhook_fixture.h — shared set-up and checks of the webhook sender tests (test_webhook*.c).
 *
 * Needs WF_TEST_PG_CONNINFO for the scratch database; without it webhook_fixture_has_db() is
 * false and the tests that need PostGIS skip (reported as skipped, never as passed).
 */
#ifndef WEBHOOK_FIXTURE_H
#define WEBHOOK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wf/id.h>
#include <wf/watchfloor.pb-c.h>

#include "alert_webhook.h"
#include "webhook_receiver.h"

#define WEBHOOK_FIXTURE_SECRET "correct horse battery staple"
#define WEBHOOK_FIXTURE_TOKEN  "t0ken"

/* A real-looking alert number n (its id: 16 bytes of n and tag). */
typedef struct {
    Wf__Alert alert;
    Wf__Point point;
    uint8_t id[WF_UUID_LEN];
    uint8_t event[WF_UUID_LEN];
    ProtobufCBinaryData events[1];
    char id_text[WF_UUID_STR_LEN];
} webhook_fixture_alert_t;

/* cmocka group set-up/teardown: the scratch database wft_webhook_<pid>. */
int webhook_fixture_setup(void **state);
int webhook_fixture_teardown(void **state);
bool webhook_fixture_has_db(void);
/* WF_TEST_TIMEOUT_MULTIPLIER (1 when unset). */
double webhook_fixture_slow(void);
/* One integer from a query with one text parameter (NULL: none); -1 for SQL NULL. */
int64_t webhook_fixture_int(const char *sql, const char *param);
/* Alert number n of a test (tag) with the given severity. */
void webhook_fixture_make_alert(webhook_fixture_alert_t *a, uint8_t tag, int n,
                                Wf__Severity severity);
/* JSON, 5 s timeout, 3 retries from 100 ms, queue 1000, 4 slots, 2 s grace, bearer and secret,
 * records to the scratch database. */
alert_webhook_config_t webhook_fixture_config(const char *const *urls, size_t n_urls);
alert_webhook_t *webhook_fixture_new(const alert_webhook_config_t *config);
/* Holds and releases one alert as the alert loop does; returns the µs it took. */
int64_t webhook_fixture_raise(alert_webhook_t *webhook, const webhook_fixture_alert_t *a);
/* Waits until n outcomes are recorded (fails the test after seconds × slow). */
void webhook_fixture_wait_recorded(alert_webhook_t *webhook, uint64_t n, int seconds);
void webhook_fixture_check_signature(const receiver_request_t *q);
void webhook_fixture_check_json_request(const receiver_request_t *q);

#endif
