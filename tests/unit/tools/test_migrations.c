/* test_migrations.c — migration naming, ordering, checksums and the apply decision.
 *
 * `wf-admin migrate` trusts these functions to refuse an edited migration and to apply the
 * rest in order; the last test checks that what the build embedded is byte for byte what
 * deploy/migrations/ holds.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wf/err.h>

#include "admin.h"

static void test_parse_name(void **state)
{
    (void)state;
    int version = 0;
    char name[32];
    assert_int_equal(admin_migration_parse_name("0001_initial.sql", &version, name, sizeof name),
                     0);
    assert_int_equal(version, 1);
    assert_string_equal(name, "initial");
    assert_int_equal(
        admin_migration_parse_name("0042_add_hotlists2.sql", &version, name, sizeof name), 0);
    assert_int_equal(version, 42);
    assert_string_equal(name, "add_hotlists2");
    const char *bad[] = {"initial.sql", "001_x.sql",   "0001-x.sql",  "0001_.sql",
                         "0001_X.sql",  "0001_x.SQL",  "0001_x.sql~", "0000_zero.sql",
                         "00a1_x.sql",  "0001_a b.sql"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (admin_migration_parse_name(bad[i], &version, name, sizeof name) == 0)
            fail_msg("'%s' was accepted", bad[i]);
    char tiny[4];
    assert_int_equal(admin_migration_parse_name("0002_longer.sql", &version, tiny, sizeof tiny),
                     WF_ERANGE);
}

static void test_checksum(void **state)
{
    (void)state;
    char sum[24];
    /* CRC-64/XZ check value of "123456789" */
    admin_migration_checksum("123456789", 9, sum, sizeof sum);
    assert_string_equal(sum, "crc64:995dc9bbdf1939fa");
    char other[24];
    admin_migration_checksum("123456788", 9, other, sizeof other);
    assert_string_not_equal(sum, other);
    admin_migration_checksum("", 0, other, sizeof other);
    assert_string_equal(other, "crc64:0000000000000000");
}

static const admin_migration_src_t s_sources[] = {
    {"0003_alerts.sql", "CREATE TABLE c ();", 18},
    {"0001_initial.sql", "CREATE TABLE a ();", 18},
    {"0002_events.sql", "CREATE TABLE b ();", 18},
};

static void test_plan_orders_by_version(void **state)
{
    (void)state;
    admin_migration_t plan[3];
    char err[256] = "";
    assert_int_equal(admin_migrations_plan(s_sources, 3, plan, err, sizeof err), 0);
    assert_int_equal(plan[0].version, 1);
    assert_string_equal(plan[0].file, "0001_initial.sql");
    assert_string_equal(plan[1].name, "events");
    assert_int_equal(plan[2].version, 3);
    assert_string_equal(plan[2].sql, "CREATE TABLE c ();");
    assert_memory_equal(plan[0].checksum, "crc64:", 6);
    assert_string_not_equal(plan[0].checksum, plan[1].checksum);
}

static void test_plan_rejects_bad_names_and_duplicates(void **state)
{
    (void)state;
    admin_migration_t plan[2];
    char err[256] = "";
    const admin_migration_src_t dup[] = {{"0002_b.sql", "", 0}, {"0002_a.sql", "", 0}};
    assert_int_equal(admin_migrations_plan(dup, 2, plan, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "share version 0002"));
    assert_non_null(strstr(err, "0002_a.sql"));
    const admin_migration_src_t bad[] = {{"0001_a.sql", "", 0}, {"add_stuff.sql", "", 0}};
    assert_int_equal(admin_migrations_plan(bad, 2, plan, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "deploy/migrations/add_stuff.sql"));
}

static void test_pending(void **state)
{
    (void)state;
    admin_migration_t plan[3];
    assert_int_equal(admin_migrations_plan(s_sources, 3, plan, NULL, 0), 0);
    bool pending[3];
    size_t unknown = 99;
    char err[512] = "";
    /* a fresh database: everything */
    assert_int_equal(admin_migrations_pending(plan, 3, NULL, 0, pending, &unknown, err, sizeof err),
                     0);
    assert_true(pending[0] && pending[1] && pending[2]);
    assert_int_equal(unknown, 0);
    /* two applied: only the third; a version the plan lacks is counted */
    admin_applied_t applied[] = {{1, "initial", plan[0].checksum},
                                 {2, "events", plan[1].checksum},
                                 {7, "future", "crc64:0"}};
    assert_int_equal(
        admin_migrations_pending(plan, 3, applied, 2, pending, &unknown, err, sizeof err), 0);
    assert_false(pending[0] || pending[1]);
    assert_true(pending[2]);
    assert_int_equal(
        admin_migrations_pending(plan, 2, applied, 3, pending, &unknown, err, sizeof err), 0);
    assert_int_equal(unknown, 1);
}

static void test_pending_refuses_edits_and_gaps(void **state)
{
    (void)state;
    admin_migration_t plan[3];
    assert_int_equal(admin_migrations_plan(s_sources, 3, plan, NULL, 0), 0);
    bool pending[3];
    size_t unknown;
    char err[512] = "";
    admin_applied_t edited[] = {{1, "initial", plan[0].checksum},
                                {2, "events", "crc64:0123456789abcdef"}};
    assert_int_equal(
        admin_migrations_pending(plan, 3, edited, 2, pending, &unknown, err, sizeof err),
        WF_EINVAL);
    assert_non_null(strstr(err, "deploy/migrations/0002_events.sql was changed"));
    assert_non_null(strstr(err, "crc64:0123456789abcdef"));
    /* 0003 applied but 0002 not: 0002 was added out of order */
    admin_applied_t gap[] = {{1, "initial", plan[0].checksum}, {3, "alerts", plan[2].checksum}};
    assert_int_equal(admin_migrations_pending(plan, 3, gap, 2, pending, &unknown, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "0002_events.sql is older than migration 0003"));
}

static void test_line_of_position(void **state)
{
    (void)state;
    const char *sql = "CREATE TABLE a ();\n-- café\nCREATE TABEL b ();\n";
    size_t len = strlen(sql);
    assert_int_equal(admin_migration_line(sql, len, 1), 1);
    assert_int_equal(admin_migration_line(sql, len, 19), 1); /* the first newline */
    assert_int_equal(admin_migration_line(sql, len, 20), 2);
    /* "é" is two bytes but one character: line 3 starts at character 28 */
    assert_int_equal(admin_migration_line(sql, len, 28), 3);
    assert_int_equal(admin_migration_line(sql, len, 35), 3); /* "TABEL" */
    assert_int_equal(admin_migration_line(sql, len, 500), 0);
}

/* Every file in deploy/migrations/ is embedded unchanged, and the real set plans cleanly. */
static void test_embedded_matches_directory(void **state)
{
    (void)state;
    DIR *dir = opendir(WF_SOURCE_DIR "/deploy/migrations");
    assert_non_null(dir);
    size_t files = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        size_t n = strlen(entry->d_name);
        if (n < 4 || strcmp(entry->d_name + n - 4, ".sql") != 0)
            continue;
        files++;
        const admin_migration_src_t *found = NULL;
        for (size_t i = 0; i < admin_migrations_embedded_count; i++)
            if (strcmp(admin_migrations_embedded[i].file, entry->d_name) == 0)
                found = &admin_migrations_embedded[i];
        if (!found)
            fail_msg("%s is not embedded (re-run cmake?)", entry->d_name);
        char path[4096];
        snprintf(path, sizeof path, "%s/deploy/migrations/%s", WF_SOURCE_DIR, entry->d_name);
        FILE *file = fopen(path, "rb");
        assert_non_null(file);
        char *text = malloc(found->length + 2);
        assert_non_null(text);
        size_t got = fread(text, 1, found->length + 1, file);
        fclose(file);
        assert_int_equal(got, found->length);
        assert_memory_equal(text, found->sql, found->length);
        assert_int_equal(found->sql[found->length], '\0');
        free(text);
    }
    closedir(dir);
    assert_true(files >= 1);
    assert_int_equal(files, admin_migrations_embedded_count);
    admin_migration_t *plan = calloc(files, sizeof *plan);
    char err[256] = "";
    assert_int_equal(admin_migrations_plan(admin_migrations_embedded, files, plan, err, sizeof err),
                     0);
    assert_int_equal(plan[0].version, 1);
    assert_string_equal(plan[0].name, "initial");
    free(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_name),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_plan_orders_by_version),
        cmocka_unit_test(test_plan_rejects_bad_names_and_duplicates),
        cmocka_unit_test(test_pending),
        cmocka_unit_test(test_pending_refuses_edits_and_gaps),
        cmocka_unit_test(test_line_of_position),
        cmocka_unit_test(test_embedded_matches_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
