/* test_webhook_dead.c — endpoints that never answer: the timeout path, and a dead endpoint
 * next to a healthy one while alerts keep coming (the alert loop's time, the other endpoint's
 * deliveries, the bounded queue's recorded drops, shutdown after the grace). Real HTTP
 * receivers in this process, a scratch PostGIS database (webhook_fixture.c).
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

#include <wf/err.h>

#include "alert_webhook.h"
#include "webhook_fixture.h"

/* An endpoint that takes the request and never answers: each attempt ends at the timeout. */
static void test_unanswered_requests_time_out_and_are_retried(void **state)
{
    (void)state;
    if (!webhook_fixture_has_db())
        skip();
    webhook_receiver_t *r = malloc(sizeof *r);
    assert_true(webhook_receiver_start(r, RECEIVER_BLACKHOLE));
    const char *urls[] = {r->url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 1);
    config.timeout_us = 300000;
    config.retries = 1;
    config.backoff = (alert_webhook_backoff_t){.initial_us = 20000, .max_us = 40000};
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    webhook_fixture_alert_t a[2];
    for (int n = 0; n < 2; n++) {
        webhook_fixture_make_alert(&a[n], 0x09, n, WF__SEVERITY__SEVERE);
        webhook_fixture_raise(webhook, &a[n]);
    }
    webhook_fixture_wait_recorded(webhook, 2, 10);
    assert_int_equal(webhook_receiver_count(r), 4);
    for (int n = 0; n < 2; n++) {
        int64_t at[2];
        size_t k = 0;
        for (size_t i = 0; i < r->n_requests && k < 2; i++)
            if (strcmp(r->requests[i].alert_id, a[n].id_text) == 0)
                at[k++] = r->requests[i].at_us;
        assert_int_equal(k, 2);
        printf("alert %d: second attempt %.0f ms after the first (timeout 300 ms)\n", n,
               (at[1] - at[0]) / 1e3);
        assert_true(at[1] - at[0] >= 300000 + 10000); /* the timeout, then at least half 20 ms */
        assert_int_equal(
            webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE alert_id = $1 AND "
                                "status = 'failed' AND attempts = 2 AND http_status IS NULL AND "
                                "last_error ILIKE '%timed out%'",
                                a[n].id_text),
            1);
    }
    alert_webhook_destroy(&webhook);
    webhook_receiver_stop(r);
    free(r);
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
    if (!webhook_fixture_has_db())
        skip();
    enum { ALERTS = 300, BURST = 50, QUEUE = 100, CONCURRENCY = 2 };
    webhook_receiver_t *dead = malloc(sizeof *dead), *live = malloc(sizeof *live);
    assert_true(webhook_receiver_start(dead, RECEIVER_BLACKHOLE));
    assert_true(webhook_receiver_start(live, RECEIVER_ACCEPT));
    const char *urls[] = {dead->url, live->url};
    alert_webhook_config_t config = webhook_fixture_config(urls, 2);
    config.timeout_us = 30 * 1000000;
    config.queue_max = QUEUE;
    config.concurrency = CONCURRENCY;
    config.shutdown_grace_us = 500000;
    alert_webhook_t *webhook = webhook_fixture_new(&config);
    static int64_t spent[ALERTS];
    int64_t total = 0;
    webhook_fixture_alert_t a;
    /* bursts the healthy endpoint keeps up with (its queue is as small as the dead one's) */
    for (int n = 0; n < ALERTS; n++) {
        webhook_fixture_make_alert(&a, 0x06, n, WF__SEVERITY__SEVERE);
        spent[n] = webhook_fixture_raise(webhook, &a);
        total += spent[n];
        if ((n + 1) % BURST == 0)
            assert_int_equal(
                webhook_receiver_wait(live, (size_t)n + 1, (int)(10000 * webhook_fixture_slow())),
                n + 1);
    }
    qsort(spent, ALERTS, sizeof *spent, s_compare_int64);
    printf(
        "raising %d alerts took %.1f ms in all: per alert p50 %lld µs, p99 %lld µs, max %lld µs\n",
        ALERTS, total / 1e3, (long long)spent[ALERTS / 2], (long long)spent[ALERTS * 99 / 100],
        (long long)spent[ALERTS - 1]);
    assert_true(spent[ALERTS * 99 / 100] <
                2000 * webhook_fixture_slow()); /* ~20 µs here; 30 s if it waited */
    assert_true(total < 100000 * webhook_fixture_slow());

    /* the healthy endpoint had everything within seconds; the dead one holds two requests */
    assert_int_equal(webhook_receiver_wait(dead, CONCURRENCY, (int)(5000 * webhook_fixture_slow())),
                     CONCURRENCY);
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
    assert_true(stopping >= 500000 && stopping < 3000000 * webhook_fixture_slow());
    /* every alert has its row at each endpoint: delivered, dropped, or failed at shutdown */
    assert_int_equal(
        webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE endpoint = $1 AND "
                            "status = 'delivered' AND attempts = 1",
                            live->url),
        ALERTS);
    assert_int_equal(webhook_fixture_int("SELECT count(DISTINCT alert_id) FROM webhook_deliveries "
                                         "WHERE endpoint = $1",
                                         dead->url),
                     ALERTS);
    char dropped[32];
    snprintf(dropped, sizeof dropped, "%llu", (unsigned long long)c.dropped_queue_full);
    assert_int_equal(
        webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE status = 'dropped' "
                            "AND attempts = 0 AND last_error LIKE 'queue full%' "
                            "AND first_attempt_at IS NULL",
                            NULL),
        (int64_t)c.dropped_queue_full);
    assert_int_equal(
        webhook_fixture_int("SELECT count(*) FROM webhook_deliveries WHERE status = 'failed' AND "
                            "last_error LIKE 'shutdown: not delivered%' AND attempts <= 1",
                            NULL),
        ALERTS - atoll(dropped));
    webhook_receiver_stop(dead);
    webhook_receiver_stop(live);
    free(dead);
    free(live);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unanswered_requests_time_out_and_are_retried),
        cmocka_unit_test(test_dead_endpoint_slows_neither_the_alert_loop_nor_other_endpoints),
    };
    return cmocka_run_group_tests(tests, webhook_fixture_setup, webhook_fixture_teardown);
}
