/* test_config.c — the deployment configuration: layering, validation, the example file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <wf/config.h>
#include <wf/err.h>

static char s_dir[] = "/tmp/wf-test-config-XXXXXX";

static const char *s_write(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_defaults_are_typed(void **state)
{
    (void)state;
    wf_config_t *config = wf_config_new();
    assert_string_equal(wf_config_string(config, "transport.backend"), "zmq");
    assert_int_equal(wf_config_int(config, "pg.batch_rows"), 5000);
    assert_true(wf_config_bool(config, "enrich.persist"));
    assert_int_equal(wf_config_duration_us(config, "spatial.near_repeat.window"),
                     INT64_C(14) * 86400 * 1000000);
    const char *const *items;
    assert_int_equal(wf_config_list(config, "zmq.consumers.enriched", &items), 3);
    assert_string_equal(items[0], "spatial");
    assert_string_equal(items[1], "alert");
    assert_string_equal(items[2], "console");
    assert_int_equal(wf_config_list(config, "zmq.consumers.alerts", &items), 1);
    assert_int_equal(wf_config_list(config, "zmq.observers", &items), 1);
    assert_string_equal(items[0], "console");
    assert_string_equal(wf_config_origin(config, "pg.conninfo"), "default");
    wf_config_destroy(&config);
    assert_null(config);
    wf_config_destroy(&config); /* NULL-safe */
}

static void test_file_nested_sections_and_paths(void **state)
{
    (void)state;
    const char *path = s_write("ok.yaml", "pg:\n"
                                          "  conninfo: host=/tmp dbname=x\n"
                                          "  batch_rows: 100\n"
                                          "spatial:\n"
                                          "  near_repeat:\n"
                                          "    distance_m: 250.5\n"
                                          "    kinds: [burglary.residential, robbery]\n"
                                          "alert:\n"
                                          "  rules: rules/r.yaml\n"
                                          "state_dir: /var/lib/wf\n");
    wf_config_t *config = wf_config_new();
    char err[256] = "";
    assert_int_equal(wf_config_load_file(config, path, err, sizeof err), WF_OK);
    assert_string_equal(wf_config_string(config, "pg.conninfo"), "host=/tmp dbname=x");
    assert_int_equal(wf_config_int(config, "pg.batch_rows"), 100);
    assert_true(wf_config_double(config, "spatial.near_repeat.distance_m") == 250.5);
    const char *const *kinds;
    assert_int_equal(wf_config_list(config, "spatial.near_repeat.kinds", &kinds), 2);
    assert_string_equal(kinds[1], "robbery");
    char expected[600];
    snprintf(expected, sizeof expected, "%s/rules/r.yaml", s_dir);
    assert_string_equal(wf_config_string(config, "alert.rules"), expected);
    assert_string_equal(wf_config_string(config, "state_dir"), "/var/lib/wf");
    assert_string_equal(wf_config_origin(config, "pg.batch_rows"), path);
    wf_config_destroy(&config);
}

static void s_expect_error(const char *yaml, const char *fragment)
{
    const char *path = s_write("bad.yaml", yaml);
    wf_config_t *config = wf_config_new();
    char err[256] = "";
    assert_true(wf_config_load_file(config, path, err, sizeof err) < 0);
    if (!strstr(err, fragment))
        fail_msg("error '%s' does not contain '%s'", err, fragment);
    wf_config_destroy(&config);
}

static void test_file_errors_name_line_and_key(void **state)
{
    (void)state;
    s_expect_error("pg:\n  conninfo: x\n  batchrows: 5\n",
                   "bad.yaml:3: unknown key 'pg.batchrows'");
    s_expect_error("pg:\n  batch_rows: lots\n",
                   "bad.yaml:2: pg.batch_rows: 'lots' is not an integer");
    s_expect_error("pg:\n  batch_rows: 0\n", "outside the allowed range");
    s_expect_error("enrich:\n  persist: maybe\n", "is not a boolean");
    s_expect_error("spatial:\n  near_repeat:\n    window: 2 weeks\n", "bad.yaml:3:");
    s_expect_error("pg:\n  conninfo: [a, b]\n", "expects a single value");
    s_expect_error("pg:\n  conninfo: \"unterminated\n", "bad.yaml:");
    s_expect_error("- just\n- a list\n", "top level must be a mapping");
}

static void test_precedence_file_env_set(void **state)
{
    (void)state;
    const char *path = s_write("p.yaml", "pg:\n  batch_rows: 10\n  conninfo: fromfile\n");
    wf_config_t *config = wf_config_new();
    char err[256];
    assert_int_equal(wf_config_load_file(config, path, err, sizeof err), WF_OK);
    setenv("WF_PG_BATCH_ROWS", "20", 1);
    setenv("WF_SPATIAL_NEAR_REPEAT_DISTANCE_M", "123", 1);
    assert_int_equal(wf_config_load_env(config, err, sizeof err), WF_OK);
    assert_int_equal(wf_config_int(config, "pg.batch_rows"), 20);
    assert_string_equal(wf_config_origin(config, "pg.batch_rows"), "env");
    assert_true(wf_config_double(config, "spatial.near_repeat.distance_m") == 123);
    assert_string_equal(wf_config_string(config, "pg.conninfo"), "fromfile");
    assert_int_equal(wf_config_set(config, "pg.batch_rows", "30", err, sizeof err), WF_OK);
    assert_int_equal(wf_config_int(config, "pg.batch_rows"), 30);
    assert_int_equal(wf_config_set(config, "pg.nope", "1", err, sizeof err), WF_ENOTFOUND);
    assert_non_null(strstr(err, "pg.nope"));
    setenv("WF_PG_BATCH_ROWS", "-5", 1);
    assert_true(wf_config_load_env(config, err, sizeof err) < 0);
    assert_non_null(strstr(err, "WF_PG_BATCH_ROWS"));
    unsetenv("WF_PG_BATCH_ROWS");
    unsetenv("WF_SPATIAL_NEAR_REPEAT_DISTANCE_M");
    wf_config_destroy(&config);
}

/* The generated example must load cleanly and give back exactly the defaults. */
static void test_example_round_trips_to_defaults(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/example.yaml", s_dir);
    FILE *f = fopen(path, "w");
    wf_config_write_example(f);
    fclose(f);
    wf_config_t *loaded = wf_config_new();
    wf_config_t *defaults = wf_config_new();
    char err[256] = "";
    assert_int_equal(wf_config_load_file(loaded, path, err, sizeof err), WF_OK);
    for (const wf_config_key_t *key = wf_config_keys(); key->key; key++) {
        if (key->type == WF_CONF_PATH)
            continue; /* resolved against the file's directory */
        if (strcmp(wf_config_text(loaded, key->key), wf_config_text(defaults, key->key)) != 0 &&
            key->type != WF_CONF_LIST)
            fail_msg("%s: example gives '%s', default is '%s'", key->key,
                     wf_config_text(loaded, key->key), wf_config_text(defaults, key->key));
        if (key->type == WF_CONF_LIST) {
            const char *const *a, *const *b;
            size_t na = wf_config_list(loaded, key->key, &a);
            size_t nb = wf_config_list(defaults, key->key, &b);
            assert_int_equal(na, nb);
            for (size_t i = 0; i < na; i++)
                assert_string_equal(a[i], b[i]);
        }
    }
    wf_config_destroy(&loaded);
    wf_config_destroy(&defaults);
}

/* deploy/watchfloor.example.yaml is the generated text, byte for byte. */
static void test_committed_example_is_current(void **state)
{
    (void)state;
    char *generated = NULL, *committed = NULL;
    size_t glen = 0;
    FILE *mem = open_memstream(&generated, &glen);
    wf_config_write_example(mem);
    fclose(mem);
    FILE *f = fopen(WF_SOURCE_DIR "/deploy/watchfloor.example.yaml", "r");
    assert_non_null(f);
    committed = calloc(1, glen + 2);
    size_t clen = fread(committed, 1, glen + 1, f);
    fclose(f);
    if (clen != glen || memcmp(generated, committed, glen) != 0)
        fail_msg("deploy/watchfloor.example.yaml is stale: regenerate it with "
                 "`wf-admin config example > deploy/watchfloor.example.yaml`");
    free(generated);
    free(committed);
}

static int s_setup(void **state)
{
    (void)state;
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A developer's shell may hold a deployment's settings (eval "$(scripts/pg env)" exports
 * WF_PG_CONNINFO); they override config files, so they must not reach the code under test. */
static void s_scrub_deployment_environment(void)
{
    extern char **environ;
    for (bool again = true; again;) {
        again = false;
        for (char **e = environ; *e; e++) {
            if (strncmp(*e, "WF_", 3) != 0 || strncmp(*e, "WF_TEST_", 8) == 0)
                continue;
            char name[128];
            size_t len = strcspn(*e, "=");
            if (len >= sizeof name)
                continue;
            memcpy(name, *e, len);
            name[len] = '\0';
            unsetenv(name); /* environ changed: start over */
            again = true;
            break;
        }
    }
}

int main(void)
{
    s_scrub_deployment_environment();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_are_typed),
        cmocka_unit_test(test_file_nested_sections_and_paths),
        cmocka_unit_test(test_file_errors_name_line_and_key),
        cmocka_unit_test(test_precedence_file_env_set),
        cmocka_unit_test(test_example_round_trips_to_defaults),
        cmocka_unit_test(test_committed_example_is_current),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
