/* test_profile.c — ingest_profile: the shipped Chicago profiles load as intended, and every
 * kind of mistake in a profile is reported as "file:line: reason".
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest_profile.h"

#define PROFILES WF_SOURCE_DIR "/deploy/profiles/"

static char s_dir[64]; /* scratch directory for broken profiles */

static int s_setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof s_dir, "/tmp/wf-test-profile-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static ingest_profile_t *s_load(const char *path)
{
    char err[512] = "";
    ingest_profile_t *profile = ingest_profile_load(path, err, sizeof err);
    if (!profile)
        fail_msg("%s", err);
    return profile;
}

static void test_portal_export(void **state)
{
    (void)state;
    ingest_profile_t *p = s_load(PROFILES "chicago-portal-export.yaml");
    assert_string_equal(p->source, "chicago-portal-export");
    assert_string_equal(p->agency, "CPD");
    assert_int_equal(p->format, INGEST_FORMAT_CSV);
    assert_int_equal(p->dissemination, WF__DISSEMINATION__PUBLIC);
    assert_int_equal(p->delimiter, ',');
    assert_true(p->header);
    assert_string_equal(p->fields[INGEST_FIELD_RECORD_ID].refs[0].name, "ID");
    assert_int_equal(p->fields[INGEST_FIELD_RECORD_ID].refs[0].occurrence, 0);
    assert_int_equal(p->fields[INGEST_FIELD_OFFENSE_TEXT].count, 2);
    assert_string_equal(p->fields[INGEST_FIELD_OFFENSE_TEXT].refs[1].name, "Description");
    assert_string_equal(p->fields[INGEST_FIELD_X].refs[0].name, "X Coordinate");
    assert_int_equal(p->fields[INGEST_FIELD_PRIORITY].count, 0);
    assert_string_equal(p->time_format, "%m/%d/%Y %I:%M:%S %p");
    assert_string_equal(p->time_zone, "America/Chicago");
    assert_string_equal(p->crs, "EPSG:3435");
    assert_true(p->zero_is_missing);
    assert_true(p->kind_count > 20);
    assert_string_equal(p->kinds[0].kind, "homicide");
    assert_int_equal(p->kinds[p->kind_count - 1].count, 0);
    assert_string_equal(p->kinds[p->kind_count - 1].kind, "other");
    ingest_profile_destroy(&p);
    assert_null(p);
}

static void test_other_chicago_profiles(void **state)
{
    (void)state;
    ingest_profile_t *p = s_load(PROFILES "chicago-socrata-alpha.yaml");
    const ingest_colref_t *id = &p->fields[INGEST_FIELD_RECORD_ID].refs[0];
    assert_string_equal(id->name, "id");
    assert_int_equal(id->occurrence, -1); /* the last "id": 2018 has two */
    assert_int_equal(p->ignore_count, 1);
    assert_null(p->ignore[0].name);
    assert_int_equal(p->ignore[0].position, 1);
    assert_string_equal(p->time_format, "iso8601");
    ingest_profile_destroy(&p);

    p = s_load(PROFILES "chicago-socrata-api.yaml");
    assert_string_equal(p->crs, "EPSG:4326");
    assert_string_equal(p->fields[INGEST_FIELD_X].refs[0].name, "longitude");
    ingest_profile_destroy(&p);

    p = s_load(PROFILES "chicago-socrata-ndjson.yaml");
    assert_int_equal(p->format, INGEST_FORMAT_NDJSON);
    assert_string_equal(p->fields[INGEST_FIELD_Y].refs[0].name, "location.latitude");
    ingest_profile_destroy(&p);
}

static void test_colref(void **state)
{
    (void)state;
    ingest_colref_t ref;
    ingest_arena_t *arena = ingest_arena_new(0);
    assert_int_equal(ingest_colref_parse("Case Number", arena, &ref), 0);
    assert_string_equal(ref.name, "Case Number");
    assert_int_equal(ref.occurrence, 0);
    assert_int_equal(ingest_colref_parse("id#2", arena, &ref), 0);
    assert_string_equal(ref.name, "id");
    assert_int_equal(ref.occurrence, 2);
    assert_int_equal(ingest_colref_parse("id#-1", arena, &ref), 0);
    assert_int_equal(ref.occurrence, -1);
    assert_int_equal(ingest_colref_parse("#3", arena, &ref), 0);
    assert_null(ref.name);
    assert_int_equal(ref.position, 3);
    assert_int_equal(ingest_colref_parse("Case #", arena, &ref), 0); /* '#' in a plain name */
    assert_string_equal(ref.name, "Case #");
    assert_int_equal(ingest_colref_parse("Beat", arena, &ref), 0);
    assert_string_equal(ref.name, "Beat");
    assert_int_equal(ingest_colref_parse("Unit#B", arena, &ref), 0);
    assert_int_equal(ref.occurrence, 0);
    assert_int_not_equal(ingest_colref_parse("#0", arena, &ref), 0);
    assert_int_not_equal(ingest_colref_parse("#-1", arena, &ref), 0);
    assert_int_not_equal(ingest_colref_parse("id#0", arena, &ref), 0);
    assert_int_not_equal(ingest_colref_parse("id#-2", arena, &ref), 0);
    ingest_arena_destroy(&arena);
}

/* A valid CSV profile with `extra` spliced in where the marker line is. */
static const char s_base[] = "source: test-feed\n"         /* 1 */
                             "agency: TST\n"               /* 2 */
                             "format: csv\n"               /* 3 */
                             "dissemination: restricted\n" /* 4 */
                             "fields:\n"                   /* 5 */
                             "  record_id: ID\n"           /* 6 */
                             "  occurred_at: Date\n"       /* 7 */
                             "time: { zone: UTC }\n"       /* 8 */
                             "kinds:\n"                    /* 9 */
                             "  - kind: other\n";          /* 10 */

/* Writes text as <dir>/name and loads it expecting failure; returns the message. */
static const char *s_load_bad(const char *name, const char *text)
{
    static char err[512];
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", s_dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    err[0] = '\0';
    ingest_profile_t *p = ingest_profile_load(path, err, sizeof err);
    if (p)
        fail_msg("%s loaded although it is broken", name);
    return err;
}

static void s_expect(const char *err, const char *name, int line, const char *words)
{
    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "%s/%s:%d: ", s_dir, name, line);
    if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, words))
        fail_msg("got \"%s\", expected \"%s…%s…\"", err, where, words);
}

/* Replaces line `line` (1-based) of s_base with text (which may hold several lines). */
static const char *s_with(int line, const char *text)
{
    static char out[2048];
    const char *p = s_base;
    size_t at = 0;
    for (int n = 1; *p; n++) {
        const char *end = strchr(p, '\n') + 1;
        if (n == line)
            at += (size_t)snprintf(out + at, sizeof out - at, "%s", text);
        else
            at += (size_t)snprintf(out + at, sizeof out - at, "%.*s", (int)(end - p), p);
        p = end;
    }
    return out;
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    /* sanity: the base itself is valid */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/base.yaml", s_dir);
    FILE *f = fopen(path, "w");
    fputs(s_base, f);
    fclose(f);
    ingest_profile_t *ok = s_load(path);
    assert_int_equal(ok->dissemination, WF__DISSEMINATION__RESTRICTED);
    assert_string_equal(ok->time_format, "iso8601"); /* the default */
    ingest_profile_destroy(&ok);

    s_expect(s_load_bad("a.yaml", s_with(3, "format: xml\n")), "a.yaml", 3, "csv or ndjson");
    s_expect(s_load_bad("b.yaml", s_with(4, "dissemination: secret\n")), "b.yaml", 4,
             "dissemination");
    s_expect(s_load_bad("c.yaml", s_with(7, "  ocurred_at: Date\n")), "c.yaml", 7,
             "unknown Watchfloor field 'ocurred_at'");
    s_expect(s_load_bad("d.yaml", s_with(6, "  record_id: \"#0\"\n")), "d.yaml", 6,
             "bad column reference");
    s_expect(s_load_bad("e.yaml", s_with(8, "time: { zone: Mars/Base }\n")), "e.yaml", 8,
             "unknown time zone 'Mars/Base'");
    s_expect(s_load_bad("f.yaml", s_with(10, "  - kind: burglary\n")), "f.yaml", 10,
             "unknown kind 'burglary'");
    s_expect(s_load_bad("g.yaml", s_with(10, "  - kind: theft\n    offense_code: \"08*\"\n")),
             "g.yaml", 10, "last kind rule must be a default");
    s_expect(
        s_load_bad("h.yaml", s_with(10, "  - kind: other\n  - kind: theft\n    offense_code: x\n")),
        "h.yaml", 10, "must be last");
    s_expect(
        s_load_bad("i.yaml", s_with(10, "  - kind: theft\n    colour: red\n  - kind: other\n")),
        "i.yaml", 11, "'colour'");
    s_expect(s_load_bad("j.yaml", s_with(9, "kinds: no-such-kinds.yaml\n#")), "j.yaml", 9,
             "no-such-kinds.yaml");
    s_expect(s_load_bad("k.yaml", s_with(2, "agency: TST\nwho: me\n")), "k.yaml", 3,
             "unknown key 'who'");
    s_expect(s_load_bad("l.yaml", s_with(7, "")), "l.yaml", 5, "occurred_at is required");
    s_expect(s_load_bad("m.yaml", s_with(8, "time: { zone: UTC }\nlocation: { x: X, y: Y, crs: "
                                            "\"EPSG:999999\" }\n")),
             "m.yaml", 9, "EPSG:999999");
    s_expect(s_load_bad("n.yaml", s_with(8, "time: { zone: UTC }\ncsv: { header: false }\n")),
             "n.yaml", 6, "without a header row");
    s_expect(s_load_bad("o.yaml", "source: s\nagency: A\nformat: ndjson\ndissemination: public\n"
                                  "fields:\n  record_id: \"#3\"\n  occurred_at: date\n"
                                  "time: { zone: UTC }\nkinds: [ { kind: other } ]\n"),
             "o.yaml", 6, "not a dotted JSON path");
    s_expect(s_load_bad("p.yaml", s_with(8, "time: { zone: UTC, format: [a, b] }\n")), "p.yaml", 8,
             "'format' needs a value");
    s_expect(s_load_bad("q.yaml", s_with(1, "source: [unclosed\n")), "q.yaml", 4, "flow sequence");
    s_expect(s_load_bad("r.yaml", s_with(8, "time: { zone: UTC }\ncsv: { delimiter: \"ab\" }\n")),
             "r.yaml", 9, "delimiter");
}

static void test_kinds_file_errors(void **state)
{
    (void)state;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/kinds.yaml", s_dir);
    FILE *f = fopen(path, "w");
    fputs("- kind: theft\n  offense_code: [\"0820\"]\n- kind: robery\n- kind: other\n", f);
    fclose(f);
    const char *err = s_load_bad("uses-kinds.yaml", s_with(9, "kinds: kinds.yaml\n#"));
    char where[PATH_MAX + 8];
    snprintf(where, sizeof where, "%s:3: ", path); /* the kinds file's own line */
    if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, "robery"))
        fail_msg("got \"%s\"", err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portal_export),
        cmocka_unit_test(test_other_chicago_profiles),
        cmocka_unit_test(test_colref),

        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_kinds_file_errors),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
