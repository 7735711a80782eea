/* test_hub.c — the console's stream hub: ordered ids, resume, loss detection, wake-ups, and
 * where a client that (re)connects starts. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "console_hub.h"
#include "console_stream.h"

static void s_append(console_hub_t *hub, int n)
{
    for (int i = 0; i < n; i++) {
        char json[32];
        int len = snprintf(json, sizeof json, "{\"n\":%d}", i);
        assert_true(console_hub_append(hub, CONSOLE_MSG_ALERT, "CPD", 0, json, (size_t)len) > 0);
    }
}

static void test_read_resumes_after_the_given_sequence(void **state)
{
    (void)state;
    console_hub_t *hub = console_hub_new(8, 1000);
    s_append(hub, 5);
    console_msg_t *msgs[16];
    bool lost;
    size_t n = console_hub_read(hub, 2, msgs, 16, 0, &lost);
    assert_false(lost);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(msgs[i]->seq, 3 + i);
        char want[32];
        snprintf(want, sizeof want, "{\"n\":%zu}", 2 + i);
        assert_string_equal(msgs[i]->json, want);
        console_msg_release(msgs[i]);
    }
    assert_int_equal(console_hub_read(hub, 5, msgs, 16, 0, &lost), 0);
    console_hub_destroy(&hub);
}

/* A reader further behind than the ring holds is told so and continues from the oldest held:
 * the client learns that it must reload instead of silently missing messages. */
static void test_falling_behind_the_ring_is_reported(void **state)
{
    (void)state;
    console_hub_t *hub = console_hub_new(4, 1000);
    s_append(hub, 10); /* holds 7..10 */
    console_msg_t *msgs[16];
    bool lost;
    size_t n = console_hub_read(hub, 5, msgs, 16, 0, &lost);
    assert_true(lost);
    assert_int_equal(n, 4);
    assert_int_equal(msgs[0]->seq, 7);
    for (size_t i = 0; i < n; i++)
        console_msg_release(msgs[i]);
    n = console_hub_read(hub, 6, msgs, 16, 0, &lost); /* exactly at the edge: nothing lost */
    assert_false(lost);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        console_msg_release(msgs[i]);
    console_hub_destroy(&hub);
}

/* A message a reader holds stays valid after the ring evicts it. */
static void test_held_message_outlives_eviction(void **state)
{
    (void)state;
    console_hub_t *hub = console_hub_new(2, 1000);
    s_append(hub, 1);
    console_msg_t *msg;
    bool lost;
    assert_int_equal(console_hub_read(hub, 0, &msg, 1, 0, &lost), 1);
    s_append(hub, 5);
    assert_string_equal(msg->json, "{\"n\":0}");
    console_msg_release(msg);
    console_hub_destroy(&hub);
}

static void *s_late_append(void *arg)
{
    usleep(100 * 1000);
    s_append(arg, 1);
    return NULL;
}

static void test_waiting_reader_wakes_on_append(void **state)
{
    (void)state;
    console_hub_t *hub = console_hub_new(8, 1000);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, s_late_append, hub), 0);
    console_msg_t *msg;
    bool lost;
    assert_int_equal(console_hub_read(hub, 0, &msg, 1, 5000, &lost), 1);
    assert_int_equal(msg->seq, 1);
    console_msg_release(msg);
    pthread_join(thread, NULL);
    console_hub_destroy(&hub);
}

static void test_ids_parse_strictly(void **state)
{
    (void)state;
    int64_t epoch;
    uint64_t seq;
    assert_true(console_hub_parse_id("1795762781728381.42", &epoch, &seq));
    assert_int_equal(epoch, INT64_C(1795762781728381));
    assert_int_equal(seq, 42);
    const char *bad[] = {"", "42", ".42", "1.", "1.x", "1.2.3", "-1.2", "a.b", "1.2 ", "1.-2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(console_hub_parse_id(bad[i], &epoch, &seq));
}

static void test_start_positions(void **state)
{
    (void)state;
    console_hub_t *hub = console_hub_new(8, 777);
    s_append(hub, 3);
    console_stream_start_t start;
    char why[160];
    assert_int_equal(console_stream_start(hub, NULL, NULL, &start, why, sizeof why), 0);
    assert_int_equal(start.after, 3); /* a new client streams live */
    assert_int_equal(start.types, CONSOLE_MSG_ALL);
    assert_null(start.resync_why);
    assert_int_equal(
        console_stream_start(hub, "alert,alert_update", "777.1", &start, why, sizeof why), 0);
    assert_int_equal(start.after, 1);
    assert_int_equal(start.types, CONSOLE_MSG_ALERT | CONSOLE_MSG_ALERT_UPDATE);
    assert_null(start.resync_why);
    assert_int_equal(console_stream_start(hub, NULL, "776.1", &start, why, sizeof why), 0);
    assert_non_null(start.resync_why); /* another run of the console */
    assert_int_equal(start.after, 3);
    assert_int_equal(console_stream_start(hub, NULL, "777.9", &start, why, sizeof why), 0);
    assert_non_null(start.resync_why); /* ahead of this console */
    assert_int_equal(console_stream_start(hub, "alerts", NULL, &start, why, sizeof why), -1);
    assert_non_null(strstr(why, "alerts"));
    assert_int_equal(console_stream_start(hub, NULL, "x", &start, why, sizeof why), -1);
    console_hub_destroy(&hub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_resumes_after_the_given_sequence),
        cmocka_unit_test(test_falling_behind_the_ring_is_reported),
        cmocka_unit_test(test_held_message_outlives_eviction),
        cmocka_unit_test(test_waiting_reader_wakes_on_append),
        cmocka_unit_test(test_ids_parse_strictly),
        cmocka_unit_test(test_start_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
