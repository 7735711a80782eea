/* test_arena.c — ingest_arena: the allocator that owns an event batch's strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ingest_arena.h"

static void test_alloc_and_strings(void **state)
{
    (void)state;
    ingest_arena_t *arena = ingest_arena_new(256);
    assert_non_null(arena);
    char *a = ingest_arena_strdup(arena, "0820");
    char *b = ingest_arena_strndup(arena, "0713XYZ", 4);
    char *c = ingest_arena_printf(arena, "%s:%d", "crimes.csv", 1234);
    assert_string_equal(a, "0820");
    assert_string_equal(b, "0713");
    assert_string_equal(c, "crimes.csv:1234");
    /* zeroed and aligned for any type */
    double *d = ingest_arena_alloc(arena, 3 * sizeof *d);
    assert_true(((uintptr_t)d % _Alignof(max_align_t)) == 0);
    assert_true(d[0] == 0 && d[2] == 0);
    /* earlier strings survive later chunks */
    for (int i = 0; i < 100; i++)
        assert_non_null(ingest_arena_printf(arena, "filler %d", i));
    assert_string_equal(a, "0820");
    assert_string_equal(c, "crimes.csv:1234");
    ingest_arena_destroy(&arena);
    assert_null(arena);
    ingest_arena_destroy(&arena); /* NULL-safe */
}

static void test_oversized_and_reset(void **state)
{
    (void)state;
    ingest_arena_t *arena = ingest_arena_new(128);
    char *small = ingest_arena_strdup(arena, "before");
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char *copy = ingest_arena_strdup(arena, big); /* larger than a chunk */
    char *after = ingest_arena_strdup(arena, "after");
    assert_string_equal(copy, big);
    assert_string_equal(small, "before");
    assert_string_equal(after, "after");
    assert_true(ingest_arena_used(arena) >= sizeof big + 12);
    ingest_arena_reset(arena);
    assert_int_equal(ingest_arena_used(arena), 0);
    char *again = ingest_arena_strdup(arena, "again");
    assert_string_equal(again, "again");
    assert_string_equal(ingest_arena_strndup(arena, "", 0), "");
    ingest_arena_destroy(&arena);
}

static void test_rollback(void **state)
{
    (void)state;
    ingest_arena_t *arena = ingest_arena_new(128);
    char *keep = ingest_arena_strdup(arena, "accepted event");
    size_t used = ingest_arena_used(arena);
    for (int round = 0; round < 3; round++) {
        ingest_arena_mark_t mark = ingest_arena_mark(arena);
        for (int i = 0; i < 50; i++) /* several chunks, and one oversized */
            assert_non_null(ingest_arena_printf(arena, "rejected row %d", i));
        char big[600];
        memset(big, 'r', sizeof big - 1);
        big[sizeof big - 1] = '\0';
        assert_non_null(ingest_arena_strdup(arena, big));
        ingest_arena_rollback(arena, mark);
        assert_int_equal(ingest_arena_used(arena), used);
        assert_string_equal(keep, "accepted event");
    }
    /* allocation continues where the mark was */
    char *next = ingest_arena_strdup(arena, "next");
    assert_true(next > keep && next < keep + 128);
    /* a mark on an empty arena */
    ingest_arena_reset(arena);
    ingest_arena_t *empty = ingest_arena_new(64);
    ingest_arena_mark_t mark = ingest_arena_mark(empty);
    assert_non_null(ingest_arena_strdup(empty, "x"));
    ingest_arena_rollback(empty, mark);
    assert_int_equal(ingest_arena_used(empty), 0);
    assert_string_equal(ingest_arena_strdup(empty, "y"), "y");
    ingest_arena_destroy(&empty);
    ingest_arena_destroy(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_and_strings),
        cmocka_unit_test(test_oversized_and_reset),
        cmocka_unit_test(test_rollback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
