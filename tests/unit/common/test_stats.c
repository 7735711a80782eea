/* test_stats.c — counters, gauges, histograms and the stats file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wf/stats.h>

static void test_counters_grow_past_initial_capacity(void **state)
{
    (void)state;
    wf_stats_t *stats = wf_stats_new("t");
    char name[32];
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "dead_letters.reason_%d", i);
        wf_stats_add(stats, name, (uint64_t)i);
        wf_stats_add(stats, name, 1);
    }
    for (int i = 0; i < 500; i++) {
        snprintf(name, sizeof name, "dead_letters.reason_%d", i);
        assert_int_equal(wf_stats_get(stats, name), (uint64_t)i + 1);
    }
    assert_int_equal(wf_stats_get(stats, "never.set"), 0);
    wf_stats_set(stats, "queue_depth", 7);
    wf_stats_set(stats, "queue_depth", 3);
    assert_int_equal(wf_stats_get(stats, "queue_depth"), 3);
    wf_stats_destroy(&stats);
    assert_null(stats);
}

static void test_histogram_quantiles_within_one_percent(void **state)
{
    (void)state;
    wf_histogram_t *h = wf_histogram_new();
    assert_int_equal(wf_histogram_quantile(h, 0.5), 0);
    for (int64_t v = 1; v <= 100000; v++)
        wf_histogram_record(h, v);
    assert_int_equal(wf_histogram_count(h), 100000);
    int64_t p50 = wf_histogram_quantile(h, 0.5);
    int64_t p99 = wf_histogram_quantile(h, 0.99);
    assert_true(p50 >= 50000 && p50 <= 50000 + 50000 / 64 + 1);
    assert_true(p99 >= 99000 && p99 <= 99000 + 99000 / 64 + 1);
    assert_int_equal(wf_histogram_max(h), 100000);
    assert_int_equal(wf_histogram_quantile(h, 1.0), 100000);
    /* small values are exact */
    wf_histogram_reset(h);
    for (int i = 0; i < 10; i++)
        wf_histogram_record(h, 5);
    wf_histogram_record(h, -3); /* clamped to 0 */
    assert_int_equal(wf_histogram_quantile(h, 0.5), 5);
    assert_int_equal(wf_histogram_quantile(h, 0.0), 0);
    /* huge values do not overflow a bucket index */
    wf_histogram_record(h, INT64_MAX / 2);
    assert_int_equal(wf_histogram_max(h), INT64_MAX / 2);
    wf_histogram_t *other = wf_histogram_new();
    wf_histogram_record(other, 1000);
    wf_histogram_merge(h, other);
    assert_int_equal(wf_histogram_count(h), 13);
    wf_histogram_destroy(&other);
    wf_histogram_destroy(&h);
}

static void test_stats_file_has_counters_and_percentiles(void **state)
{
    (void)state;
    wf_stats_t *stats = wf_stats_new("t");
    wf_stats_add(stats, "events_received", 42);
    wf_histogram_t *h = wf_stats_histogram(stats, "latency_us");
    assert_ptr_equal(h, wf_stats_histogram(stats, "latency_us"));
    for (int i = 0; i < 100; i++)
        wf_histogram_record(h, i < 99 ? 10 : 5000);
    char path[] = "/tmp/wf-test-stats-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(wf_stats_write_file(stats, path), 0);
    FILE *f = fopen(path, "r");
    char text[1024] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    remove(path);
    assert_non_null(strstr(text, "events_received 42\n"));
    assert_non_null(strstr(text, "latency_us.count 100\n"));
    assert_non_null(strstr(text, "latency_us.p50 10\n"));
    assert_non_null(strstr(text, "latency_us.max 5000\n"));
    /* names are sorted so snapshots diff cleanly */
    assert_true(strstr(text, "events_received") < strstr(text, "latency_us"));
    wf_stats_destroy(&stats);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counters_grow_past_initial_capacity),
        cmocka_unit_test(test_histogram_quantiles_within_one_percent),
        cmocka_unit_test(test_stats_file_has_counters_and_percentiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
