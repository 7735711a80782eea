/* test_nearrepeat_chicago.c — near-repeat detection on the real Chicago 2014 export.
 *
 * The 2014-03 portal export (6957 rows over 15 days, newest first; 361 located residential
 * burglaries, 108 pairs within 400 m and 14 days) is fed to the detector in time order, in the
 * order wf-ingest --order time publishes it, and in file order, and then twice into one detector
 * as a replay does. Every pass is checked pair by pair against a brute-force recomputation from
 * the file: which pairs the later burglary reports, which are late, and on the second pass that
 * no burglary gets a signal it did not have on the first when the file was fed in time.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/id.h>

#include "spatial_geo.h"
#include "spatial_nearrepeat.h"
#include "spatial_testdata.h"

#define DAY WF_US_PER_DAY
#define SEC WF_US_PER_SEC

typedef struct {
    spatial_testdata_row_t *rows; /* every row of the file, newest first */
    size_t n;                     /* rows */
    size_t *burglary;             /* rows the detector checks: located residential burglaries */
    size_t m;                     /* how many */
    size_t *compact;              /* row → index into burglary, SIZE_MAX for other rows */
    unsigned char *pair;          /* m × m, symmetric: within 400 m and 14 days (brute force) */
    size_t pairs;                 /* unordered pairs */
} s_chicago_t;

/* Loads the export (or skips the test) and recomputes every pair from the file. */
static void s_chicago_load(s_chicago_t *c)
{
    char path[512];
    if (!spatial_testdata_find(path, sizeof path)) {
        print_message("crimes_2014-03_portal_export.csv not found: skipped\n");
        skip();
    }
    memset(c, 0, sizeof *c);
    long loaded = spatial_testdata_load(path, &c->rows);
    assert_int_equal(loaded, 6957);
    c->n = (size_t)loaded;
    c->burglary = calloc(c->n, sizeof *c->burglary);
    c->compact = calloc(c->n, sizeof *c->compact);
    assert_non_null(c->burglary);
    assert_non_null(c->compact);
    for (size_t i = 0; i < c->n; i++) {
        const spatial_testdata_row_t *row = &c->rows[i];
        bool checked = strcmp(row->kind, "burglary.residential") == 0 && row->has_location;
        c->compact[i] = checked ? c->m : SIZE_MAX;
        if (checked)
            c->burglary[c->m++] = i;
    }
    c->pair = calloc(c->m * c->m, 1);
    assert_non_null(c->pair);
    for (size_t a = 0; a < c->m; a++)
        for (size_t b = a + 1; b < c->m; b++) {
            const spatial_testdata_row_t *x = &c->rows[c->burglary[a]],
                                         *y = &c->rows[c->burglary[b]];
            int64_t dt = x->occurred_us - y->occurred_us;
            bool near = strcmp(x->record_id, y->record_id) != 0 && dt <= 14 * DAY &&
                        dt >= -14 * DAY &&
                        spatial_geo_distance_m(x->lon, x->lat, y->lon, y->lat) <= 400;
            c->pair[a * c->m + b] = c->pair[b * c->m + a] = near;
            c->pairs += near;
        }
}

static void s_chicago_free(s_chicago_t *c)
{
    free(c->rows);
    free(c->burglary);
    free(c->compact);
    free(c->pair);
}

static const spatial_testdata_row_t *s_burglary(const s_chicago_t *c, size_t k)
{
    return &c->rows[c->burglary[k]];
}

/* Whether burglaries a and b are a brute-force pair for a window of T (at most 14 days). */
static bool s_near(const s_chicago_t *c, size_t a, size_t b, int64_t window_us)
{
    int64_t dt = s_burglary(c, a)->occurred_us - s_burglary(c, b)->occurred_us;
    return c->pair[a * c->m + b] && dt <= window_us && dt >= -window_us;
}

/* A detector with D 400 m and the given T and lateness. */
static spatial_nearrepeat_t *s_chicago_detector(int64_t window_us, int64_t lateness_us)
{
    const char *kinds[] = {"burglary.residential"};
    spatial_nearrepeat_config_t config = {kinds, 1, 400, window_us, lateness_us, 1000000, DAY};
    spatial_nearrepeat_t *nr = spatial_nearrepeat_new(&config);
    assert_non_null(nr);
    return nr;
}

/* Feeds every row in order to nr and records in found[L * m + E] that the signal of burglary L
 * listed E, checking each listed event against the file. Returns the number of signals. */
static size_t s_chicago_pass(const s_chicago_t *c, spatial_nearrepeat_t *nr, int64_t window_us,
                             const size_t *order, unsigned char *found)
{
    size_t signals = 0, considered = 0;
    spatial_nearrepeat_result_t r;
    for (size_t k = 0; k < c->n; k++) {
        const spatial_testdata_row_t *row = &c->rows[order[k]];
        spatial_nearrepeat_event_t event;
        spatial_testdata_event(row, &event);
        assert_int_equal(spatial_nearrepeat_add(nr, &event, &r), 0);
        considered += r.outcome != SPATIAL_NEARREPEAT_IGNORED;
        signals += r.related_count > 0;
        for (size_t x = 0; x < r.related_count; x++) {
            size_t l = c->compact[order[k]], e = SIZE_MAX;
            for (size_t j = 0; j < c->m && e == SIZE_MAX; j++)
                if (memcmp(s_burglary(c, j)->event_id.bytes, r.related[x].event_id, 16) == 0)
                    e = j;
            assert_true(l != SIZE_MAX && e != SIZE_MAX);
            const spatial_testdata_row_t *earlier = s_burglary(c, e);
            /* recomputed from the file, not taken from the detector */
            assert_true(s_near(c, l, e, window_us));
            assert_true(spatial_testdata_row_before(earlier, row));
            double d = spatial_geo_distance_m(row->lon, row->lat, earlier->lon, earlier->lat);
            assert_true(fabs(d - r.related[x].distance_m) < 1e-6);
            assert_int_equal(r.related[x].dt_s, (row->occurred_us - earlier->occurred_us) / SEC);
            assert_int_equal(found[l * c->m + e]++, 0);
        }
    }
    assert_int_equal(considered, c->m); /* RESIDENCE, APARTMENT, RESIDENCE-GARAGE, PORCH */
    return signals;
}

/* What one pass in order must report, from the file alone: the later burglary L lists E when E
 * arrived first and was still held when L came (E occurred at or after the watermark then,
 * minus span = T + lateness); when L arrived first and was still held when E came, the pair is
 * late. Fills expected (as found) and returns the number of late pairs. */
static size_t s_chicago_expect(const s_chicago_t *c, const size_t *order, int64_t window_us,
                               int64_t span_us, unsigned char *expected)
{
    size_t *pos = calloc(c->m, sizeof *pos), late = 0;
    int64_t *mark = calloc(c->m, sizeof *mark), watermark = INT64_MIN;
    assert_true(pos && mark);
    for (size_t k = 0; k < c->n; k++) {
        size_t b = c->compact[order[k]];
        if (b == SIZE_MAX)
            continue;
        if (s_burglary(c, b)->occurred_us > watermark)
            watermark = s_burglary(c, b)->occurred_us;
        pos[b] = k;
        mark[b] = watermark; /* as the detector advances it: before the lookup */
    }
    memset(expected, 0, c->m * c->m);
    for (size_t l = 0; l < c->m; l++)
        for (size_t e = 0; e < c->m; e++) {
            if (!s_near(c, l, e, window_us) ||
                !spatial_testdata_row_before(s_burglary(c, e), s_burglary(c, l)))
                continue;
            if (pos[e] < pos[l])
                expected[l * c->m + e] = s_burglary(c, e)->occurred_us >= mark[l] - span_us;
            else
                late += s_burglary(c, l)->occurred_us >= mark[e] - span_us;
        }
    free(pos);
    free(mark);
    return late;
}

static size_t s_count(const unsigned char *found, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += found[i];
    return n;
}

/* One pass in order with T 14 days and lateness 3 days, checked exactly; prints the counts. */
static void s_chicago_one_pass(const s_chicago_t *c, const size_t *order, const char *name,
                               size_t *reported, size_t *late)
{
    size_t mm = c->m * c->m;
    unsigned char *found = calloc(mm, 1), *expected = calloc(mm, 1);
    assert_true(found && expected);
    spatial_nearrepeat_t *nr = s_chicago_detector(14 * DAY, 3 * DAY);
    size_t signals = s_chicago_pass(c, nr, 14 * DAY, order, found);
    *late = s_chicago_expect(c, order, 14 * DAY, 17 * DAY, expected);
    assert_memory_equal(found, expected, mm);
    spatial_nearrepeat_stats_t stats = spatial_testdata_stats(nr);
    assert_int_equal(stats.late_pairs, *late);
    assert_int_equal(stats.held, c->m); /* 15 days of data < T + lateness: nothing evicted */
    *reported = s_count(found, mm);
    print_message("Chicago 2014-03 %s: %zu near-repeat signals, %zu pairs reported, %zu late "
                  "(of %zu)\n",
                  name, signals, *reported, *late, c->pairs);
    free(found);
    free(expected);
    spatial_nearrepeat_destroy(&nr);
}

static void test_chicago_2014_burglaries(void **state)
{
    (void)state;
    s_chicago_t c;
    s_chicago_load(&c);
    assert_int_equal(c.m, 361);
    assert_int_equal(c.pairs, 108);
    size_t *order = calloc(c.n, sizeof *order);
    assert_non_null(order);
    size_t reported, late;

    spatial_testdata_rows_by_time(c.rows, c.n, true, order); /* the detector's own order */
    s_chicago_one_pass(&c, order, "in time", &reported, &late);
    assert_int_equal(reported, c.pairs);
    assert_int_equal(late, 0);

    spatial_testdata_rows_by_time(c.rows, c.n, false, order); /* wf-ingest --order time */
    s_chicago_one_pass(&c, order, "as wf-ingest --order time", &reported, &late);
    assert_int_equal(reported + late, c.pairs);

    for (size_t i = 0; i < c.n; i++) /* file order: newest first, as the portal exports */
        order[i] = i;
    s_chicago_one_pass(&c, order, "in file order", &reported, &late);
    assert_int_equal(reported + late, c.pairs);
    assert_true(late > 10 * reported); /* what reading newest first costs */
    free(order);
    s_chicago_free(&c);
}

/* Feeds the file twice in order into one detector, as a replay does, and returns how many
 * burglaries have a signal on the second pass that they did not have on the first. Every pass
 * is checked exactly: the second lists, for each later burglary, the earlier ones still held,
 * which are those at or after the final watermark minus T + lateness. */
static size_t s_chicago_replay(const s_chicago_t *c, const size_t *order, int64_t window_us,
                               int64_t lateness_us, size_t *signals, size_t *kept)
{
    size_t mm = c->m * c->m;
    unsigned char *first = calloc(mm, 1), *second = calloc(mm, 1), *expected = calloc(mm, 1);
    assert_true(first && second && expected);
    spatial_nearrepeat_t *nr = s_chicago_detector(window_us, lateness_us);
    signals[0] = s_chicago_pass(c, nr, window_us, order, first);
    s_chicago_expect(c, order, window_us, window_us + lateness_us, expected);
    assert_memory_equal(first, expected, mm);
    int64_t horizon = spatial_nearrepeat_watermark(nr) - window_us - lateness_us;
    uint64_t late_before = spatial_testdata_stats(nr).late_pairs;
    signals[1] = s_chicago_pass(c, nr, window_us, order, second);
    size_t added = 0, late = 0;
    *kept = 0;
    for (size_t l = 0; l < c->m; l++) {
        size_t had = 0, has = 0;
        for (size_t e = 0; e < c->m; e++) {
            bool held = s_burglary(c, e)->occurred_us >= horizon;
            bool earlier = spatial_testdata_row_before(s_burglary(c, e), s_burglary(c, l));
            bool near = s_near(c, l, e, window_us);
            assert_int_equal(second[l * c->m + e], near && earlier && held);
            /* an earlier burglary that left the window is checked anew, and counts its pair
             * with a later one still held as late; a held one is a re-delivery, not counted */
            late += near && earlier && !held && s_burglary(c, l)->occurred_us >= horizon;
            had += first[l * c->m + e];
            has += second[l * c->m + e];
        }
        added += has > 0 && had == 0;
        *kept += has > 0 && memcmp(&first[l * c->m], &second[l * c->m], c->m) == 0;
    }
    assert_int_equal(spatial_testdata_stats(nr).late_pairs - late_before, late);
    free(first);
    free(second);
    free(expected);
    spatial_nearrepeat_destroy(&nr);
    return added;
}

static void test_chicago_2014_replay(void **state)
{
    (void)state;
    s_chicago_t c;
    s_chicago_load(&c);
    size_t *order = calloc(c.n, sizeof *order);
    assert_non_null(order);
    size_t signals[2], kept;

    /* In time, with the whole file inside T + lateness: the second pass reports, for every
     * burglary, exactly the related set of the first. */
    spatial_testdata_rows_by_time(c.rows, c.n, true, order);
    assert_int_equal(s_chicago_replay(&c, order, 14 * DAY, 3 * DAY, signals, &kept), 0);
    assert_int_equal(signals[1], signals[0]);
    assert_int_equal(kept, signals[0]);
    size_t in_time = signals[0];
    print_message("Chicago 2014-03 replayed in time: %zu signals, then %zu, all identical\n",
                  signals[0], signals[1]);

    /* T 7 days, no lateness: the first week has left the window by the second pass. Those
     * burglaries are too late to be checked and report nothing; the others report what is
     * still held of their first related set (all of it, or less where partners left the
     * window); none reports a pair the first pass did not. */
    assert_int_equal(s_chicago_replay(&c, order, 7 * DAY, 0, signals, &kept), 0);
    assert_true(signals[1] > 0 && signals[1] < signals[0]);
    assert_true(kept > 0 && kept < signals[1]);
    print_message("Chicago 2014-03 replayed in time, T 7 d: %zu signals, then %zu (%zu "
                  "identical, the rest lost evicted partners)\n",
                  signals[0], signals[1], kept);

    /* wf-ingest --order time orders equal times by reading order, not by event id: a pair of
     * burglaries at the same minute can arrive in reverse (one does in this file), and if both
     * are still held the replay finds it. */
    spatial_testdata_rows_by_time(c.rows, c.n, false, order);
    size_t added = s_chicago_replay(&c, order, 14 * DAY, 3 * DAY, signals, &kept);
    print_message("Chicago 2014-03 replayed as wf-ingest --order time: %zu signals, then %zu "
                  "(%zu new)\n",
                  signals[0], signals[1], added);
    assert_true(signals[1] == in_time && added <= 1);

    /* The limitation, pinned: in file order (newest first) the first pass misses the late
     * pairs, and the replay then finds them all — signals the first pass did not have. */
    for (size_t i = 0; i < c.n; i++)
        order[i] = i;
    added = s_chicago_replay(&c, order, 14 * DAY, 3 * DAY, signals, &kept);
    print_message("Chicago 2014-03 replayed in file order: %zu signals, then %zu (%zu new)\n",
                  signals[0], signals[1], added);
    assert_int_equal(signals[1], in_time);
    assert_true(added > 0 && added >= signals[1] - signals[0]);
    free(order);
    s_chicago_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chicago_2014_burglaries),
        cmocka_unit_test(test_chicago_2014_replay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
