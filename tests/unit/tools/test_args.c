/* test_args.c — wf-admin's command-line splitting and parsing, and code padding.
 *
 * The split decides which options wf_service_init sees; a mistake there would send the
 * boundary set name to the configuration loader ("--set needs KEY=VALUE") or swallow a
 * pg.conninfo override, so every mixture of positions is checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <wf/err.h>

#include "admin.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])) - 1)

static void test_split_common_before_and_after_command(void **state)
{
    (void)state;
    char *argv[] = {"wf-admin",    "--config", "w.yaml",        "load-boundaries",
                    "--set",       "chicago",  "--set",         "pg.conninfo=host=/x dbname=y",
                    "--log-level", "debug",    "beats.geojson", NULL};
    admin_cmdline_t cmd;
    assert_int_equal(admin_cmdline_split(ARGC(argv), argv, &cmd, NULL, 0), 0);
    assert_string_equal(cmd.command, "load-boundaries");
    assert_int_equal(cmd.common_argc, 7);
    assert_string_equal(cmd.common_argv[0], "wf-admin");
    assert_string_equal(cmd.common_argv[2], "w.yaml");
    assert_string_equal(cmd.common_argv[4], "pg.conninfo=host=/x dbname=y");
    assert_string_equal(cmd.common_argv[6], "debug");
    assert_null(cmd.common_argv[7]);
    assert_int_equal(cmd.argc, 4);
    assert_string_equal(cmd.argv[0], "load-boundaries");
    assert_string_equal(cmd.argv[1], "--set");
    assert_string_equal(cmd.argv[2], "chicago");
    assert_string_equal(cmd.argv[3], "beats.geojson");
    assert_null(cmd.argv[4]);
    admin_cmdline_fini(&cmd);
    assert_null(cmd.argv);
}

static void test_split_set_before_command_is_always_common(void **state)
{
    (void)state;
    char *argv[] = {"wf-admin", "--set",  "pg.conninfo=dbname=x", "--print-config",
                    "migrate",  "--help", "--set=log.level=warn", NULL};
    admin_cmdline_t cmd;
    assert_int_equal(admin_cmdline_split(ARGC(argv), argv, &cmd, NULL, 0), 0);
    assert_string_equal(cmd.command, "migrate");
    assert_int_equal(cmd.common_argc, 6);
    assert_string_equal(cmd.common_argv[3], "--print-config");
    assert_string_equal(cmd.common_argv[4], "--help");
    assert_string_equal(cmd.common_argv[5], "--set=log.level=warn");
    assert_int_equal(cmd.argc, 1);
    admin_cmdline_fini(&cmd);
}

static void test_split_errors(void **state)
{
    (void)state;
    char err[128] = "";
    admin_cmdline_t cmd;
    char *unknown[] = {"wf-admin", "--bogus", "migrate", NULL};
    assert_int_equal(admin_cmdline_split(ARGC(unknown), unknown, &cmd, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "--bogus"));
    assert_null(cmd.argv);
    char *missing[] = {"wf-admin", "migrate", "--config", NULL};
    assert_int_equal(admin_cmdline_split(ARGC(missing), missing, &cmd, err, sizeof err), WF_EINVAL);
    assert_non_null(strstr(err, "--config needs a value"));
    char *none[] = {"wf-admin", NULL};
    assert_int_equal(admin_cmdline_split(ARGC(none), none, &cmd, err, sizeof err), 0);
    assert_null(cmd.command);
    assert_int_equal(cmd.common_argc, 1);
    admin_cmdline_fini(&cmd);
    admin_cmdline_fini(NULL);
}

/* The command the README gives for Chicago's beats. */
static void test_load_args_chicago_beats(void **state)
{
    (void)state;
    char *argv[] = {"load-boundaries",
                    "--set",
                    "chicago-2012-12",
                    "--jurisdiction",
                    "Chicago",
                    "--effective-from=2012-12-01",
                    "--layer",
                    "beat",
                    "--code-field",
                    "BEAT_NUM",
                    "--parent-field",
                    "DISTRICT",
                    "--pad",
                    "4",
                    "--parent-pad=3",
                    "data/chicago/boundaries/police_beats.geojson.xz",
                    NULL};
    admin_load_args_t args;
    char err[256] = "";
    assert_int_equal(admin_load_args_parse(ARGC(argv), argv, &args, err, sizeof err), 0);
    assert_string_equal(args.boundary_set, "chicago-2012-12");
    assert_string_equal(args.jurisdiction, "Chicago");
    assert_string_equal(args.effective_from, "2012-12-01");
    assert_string_equal(args.layer, "beat");
    assert_string_equal(args.code_field, "BEAT_NUM");
    assert_string_equal(args.parent_field, "DISTRICT");
    assert_null(args.name_field);
    assert_null(args.origin);
    assert_null(args.description);
    assert_int_equal(args.pad, 4);
    assert_int_equal(args.parent_pad, 3);
    assert_string_equal(args.file, "data/chicago/boundaries/police_beats.geojson.xz");
}

/* Each bad command line fails with a reason that names the culprit. */
static void test_load_args_errors(void **state)
{
    (void)state;
    struct {
        char *argv[14];
        const char *needle;
    } cases[] = {
        {{"load-boundaries", "--set", "s", "--jurisdiction", "J", "--effective-from", "2012-12-01",
          "--code-field", "c", "f.geojson", NULL},
         "missing --layer"},
        {{"load-boundaries", "--set", "s", "--jurisdiction", "J", "--effective-from", "2012-12-01",
          "--layer", "ward", "--code-field", "c", NULL},
         "missing FILE"},
        {{"load-boundaries", "--set", "s", "--jurisdiction", "J", "--effective-from", "2012-12-01",
          "--layer", "ward", "--code-field", "c", "f"},
         "'ward' is not beat"},
        {{"load-boundaries", "--set", "s", "--jurisdiction", "J", "--effective-from", "2013-02-29",
          "--layer", "beat", "--code-field", "c", "f"},
         "'2013-02-29' is not a YYYY-MM-DD"},
        {{"load-boundaries", "--set", "s", "--jurisdiction", "J", "--effective-from", "2012-12-01",
          "--layer", "beat", "--pad", "four", "f"},
         "--pad 'four'"},
        {{"load-boundaries", "--set", "s", "--jurisdiction", "J", "--effective-from", "2012-12-01",
          "--layer", "beat", "--code-field", "c", "f", NULL},
         NULL},
        {{"load-boundaries", "f1", "f2", NULL}, "unexpected argument f2"},
        {{"load-boundaries", "--layer", NULL}, "--layer needs a value"},
        {{"load-boundaries", "--colour", "red", NULL}, "unexpected argument --colour"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int argc = 0;
        while (argc < 14 && cases[i].argv[argc])
            argc++;
        admin_load_args_t args;
        char err[256] = "";
        int rc = admin_load_args_parse(argc, cases[i].argv, &args, err, sizeof err);
        if (!cases[i].needle) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, WF_EINVAL);
        if (!strstr(err, cases[i].needle))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].needle);
    }
}

static void test_dead_letter_args(void **state)
{
    (void)state;
    admin_deadletter_args_t args;
    char err[128] = "";
    char *plain[] = {"dead-letters", NULL};
    assert_int_equal(admin_deadletter_args_parse(1, plain, &args, err, sizeof err), 0);
    assert_int_equal(args.limit, 20);
    assert_null(args.source);
    char *full[] = {"dead-letters", "--source", "chicago-2025", "--limit=5", NULL};
    assert_int_equal(admin_deadletter_args_parse(ARGC(full), full, &args, err, sizeof err), 0);
    assert_int_equal(args.limit, 5);
    assert_string_equal(args.source, "chicago-2025");
    char *zero[] = {"dead-letters", "--limit", "0", NULL};
    assert_int_equal(admin_deadletter_args_parse(ARGC(zero), zero, &args, err, sizeof err),
                     WF_EINVAL);
    assert_non_null(strstr(err, "--limit '0'"));
    char *extra[] = {"dead-letters", "now", NULL};
    assert_int_equal(admin_deadletter_args_parse(ARGC(extra), extra, &args, err, sizeof err),
                     WF_EINVAL);
}

static void test_geofence_args(void **state)
{
    (void)state;
    char err[256];
    admin_geofence_args_t args;
    char *import[] = {"geofence",      "import", "--name-property",        "zone",
                      "--agency",      "CPD",    "--description-property", "note",
                      "zones.geojson", NULL};
    assert_int_equal(admin_geofence_args_parse(ARGC(import), import, &args, err, sizeof err), 0);
    assert_string_equal(args.action, "import");
    assert_string_equal(args.name_property, "zone");
    assert_string_equal(args.agency, "CPD");
    assert_string_equal(args.description_property, "note");
    assert_string_equal(args.file, "zones.geojson");
    char *list[] = {"geofence", "list", NULL};
    assert_int_equal(admin_geofence_args_parse(ARGC(list), list, &args, err, sizeof err), 0);
    assert_string_equal(args.action, "list");
    char *remove[] = {"geofence", "remove", "stadium", NULL};
    assert_int_equal(admin_geofence_args_parse(ARGC(remove), remove, &args, err, sizeof err), 0);
    assert_string_equal(args.name, "stadium");

    struct {
        char *argv[6];
        const char *error;
    } bad[] = {
        {{"geofence", NULL}, "geofence: missing action (import, list, remove)"},
        {{"geofence", "add", "x", NULL}, "geofence: unknown action 'add' (import, list, remove)"},
        {{"geofence", "import", "zones.geojson", NULL},
         "geofence import: missing --name-property P"},
        {{"geofence", "import", "--name-property", "zone", NULL},
         "geofence import: missing FILE.geojson[.xz]"},
        {{"geofence", "import", "--name-property", NULL}, "option --name-property needs a value"},
        {{"geofence", "import", "--name", "zone", "z.geojson", NULL},
         "import: unexpected argument --name"},
        {{"geofence", "list", "extra", NULL}, "list: unexpected argument extra"},
        {{"geofence", "remove", NULL}, "geofence remove: missing NAME"},
        {{"geofence", "remove", "a", "b", NULL}, "remove: unexpected argument b"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int argc = 0;
        while (bad[i].argv[argc])
            argc++;
        err[0] = '\0';
        assert_int_equal(admin_geofence_args_parse(argc, bad[i].argv, &args, err, sizeof err),
                         WF_EINVAL);
        assert_string_equal(err, bad[i].error);
    }
}

static void test_dates(void **state)
{
    (void)state;
    assert_true(admin_date_is_valid("2012-12-01"));
    assert_true(admin_date_is_valid("2012-02-29"));
    assert_true(admin_date_is_valid("2000-02-29"));
    assert_false(admin_date_is_valid("1900-02-29"));
    assert_false(admin_date_is_valid("2013-02-29"));
    assert_false(admin_date_is_valid("2012-04-31"));
    assert_false(admin_date_is_valid("2012-13-01"));
    assert_false(admin_date_is_valid("2012-00-10"));
    assert_false(admin_date_is_valid("2012-1-01"));
    assert_false(admin_date_is_valid("12/01/2012"));
    assert_false(admin_date_is_valid("2012-12-01T00:00"));
    assert_false(admin_date_is_valid(""));
    assert_false(admin_date_is_valid(NULL));
}

static void test_code_pad(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(admin_code_pad("7", 3, out, sizeof out), 0);
    assert_string_equal(out, "007");
    assert_int_equal(admin_code_pad("713", 4, out, sizeof out), 0);
    assert_string_equal(out, "0713");
    assert_int_equal(admin_code_pad("0713", 4, out, sizeof out), 0);
    assert_string_equal(out, "0713");
    assert_int_equal(admin_code_pad(" 31 ", 3, out, sizeof out), 0);
    assert_string_equal(out, "031");
    assert_int_equal(admin_code_pad("31A", 4, out, sizeof out), 0); /* not a number: as is */
    assert_string_equal(out, "31A");
    assert_int_equal(admin_code_pad("12345", 3, out, sizeof out), 0); /* longer: as is */
    assert_string_equal(out, "12345");
    assert_int_equal(admin_code_pad("7", 0, out, sizeof out), 0);
    assert_string_equal(out, "7");
    assert_int_equal(admin_code_pad("", 3, out, sizeof out), WF_EINVAL);
    assert_int_equal(admin_code_pad("  ", 3, out, sizeof out), WF_EINVAL);
    assert_int_equal(admin_code_pad("7", 8, out, sizeof out), WF_ERANGE);
    assert_int_equal(admin_code_pad("7", 7, out, sizeof out), 0);
    assert_string_equal(out, "0000007");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_common_before_and_after_command),
        cmocka_unit_test(test_split_set_before_command_is_always_common),
        cmocka_unit_test(test_split_errors),
        cmocka_unit_test(test_load_args_chicago_beats),
        cmocka_unit_test(test_load_args_errors),
        cmocka_unit_test(test_dead_letter_args),
        cmocka_unit_test(test_geofence_args),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_code_pad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
