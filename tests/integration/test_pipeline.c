/* test_pipeline.c — all four Chicago files through the four real services into PostGIS.
 *
 * Asserts, per file, that every row read is either an event or a dead letter; that every
 * accepted event is stored exactly once; that enrich's beat agrees with the beat recorded in
 * the data (≥ 99% for the 2014 file, whose beats match the Dec-2012 boundaries we ship; printed
 * for the others, recorded after beats were redrawn); that alerts exist and reference real
 * events; that every event is NIBRS-classified as the kind crosswalk and CPD's agency codes say
 * (none for kind other); and that replaying the same files leaves every table's row count
 * unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

typedef struct {
    const char *file;    /* in data/chicago/ */
    const char *profile; /* in deploy/profiles/ */
    int64_t rows;        /* data rows, from data/chicago/SOURCES.md */
} s_feed_t;

static const s_feed_t s_feeds[] = {
    {"crimes_2014-03_portal_export.csv.xz", "chicago-portal-export.yaml", 6957},
    {"crimes_2025_socrata_api.csv.xz", "chicago-socrata-api.yaml", 10000},
    {"crimes_2017_englewood_socrata.csv.xz", "chicago-socrata-alpha.yaml", 12000},
    {"crimes_2018_englewood_socrata.csv.xz", "chicago-socrata-alpha.yaml", 11640},
};
#define NFEEDS (sizeof s_feeds / sizeof s_feeds[0])

static int s_replay(harness_t *h)
{
    const char *args[3 * NFEEDS + 1];
    char paths[NFEEDS][2][512];
    int n = 0;
    for (size_t i = 0; i < NFEEDS; i++) {
        snprintf(paths[i][0], sizeof paths[i][0], "%s/deploy/profiles/%s", WF_SOURCE_DIR,
                 s_feeds[i].profile);
        snprintf(paths[i][1], sizeof paths[i][1], "%s/data/chicago/%s", WF_SOURCE_DIR,
                 s_feeds[i].file);
        args[n++] = "--profile";
        args[n++] = paths[i][0];
        args[n++] = paths[i][1];
    }
    args[n] = NULL;
    return harness_run_ingest(h, 600, args);
}

static void s_check_feed(harness_t *h, const s_feed_t *feed)
{
    char pattern[256];
    snprintf(pattern, sizeof pattern, "%s:%%", feed->file);
    int64_t accepted =
        harness_query_int1(h, "SELECT count(*) FROM events WHERE source_position LIKE $1", pattern);
    int64_t dead = harness_query_int1(
        h, "SELECT count(*) FROM dead_letters WHERE stage = 'ingest' AND position LIKE $1",
        pattern);
    printf("  %-40s rows=%-6lld accepted=%-6lld dead-lettered=%lld\n", feed->file,
           (long long)feed->rows, (long long)accepted, (long long)dead);
    if (accepted + dead != feed->rows)
        fail_msg("%s: accepted %lld + dead-lettered %lld != rows read %lld", feed->file,
                 (long long)accepted, (long long)dead, (long long)feed->rows);
}

/* Share of located events whose assigned beat equals the beat the source recorded. */
static double s_beat_agreement(harness_t *h, const s_feed_t *feed, int64_t *located)
{
    char pattern[256];
    snprintf(pattern, sizeof pattern, "%s:%%", feed->file);
    *located = harness_query_int1(
        h, "SELECT count(*) FROM events WHERE geom IS NOT NULL AND source_position LIKE $1",
        pattern);
    return harness_query_double1(
        h,
        "SELECT avg(CASE WHEN ltrim(beat, '0') = ltrim(source_beat, '0') THEN 1.0 ELSE 0.0 END) "
        "FROM events WHERE geom IS NOT NULL AND source_position LIKE $1",
        pattern);
}

/* Events of kind with the given NIBRS code, category and crime against, out of all of kind. */
static void s_check_nibrs_kind(harness_t *h, const char *kind, const char *code,
                               const char *category, const char *against)
{
    char expected[256]; /* one parameter: kind|code|category|against */
    snprintf(expected, sizeof expected, "%s|%s|%s|%s", kind, code, category, against);
    int64_t all = harness_query_int1(h, "SELECT count(*) FROM events WHERE kind = $1", kind);
    int64_t classified = harness_query_int1(
        h,
        "SELECT count(*) FROM events WHERE kind = split_part($1, '|', 1) AND nibrs_code = "
        "split_part($1, '|', 2) AND nibrs_category = split_part($1, '|', 3) AND crime_against = "
        "split_part($1, '|', 4)",
        expected);
    printf("  %-22s %6lld events, %6lld → %s \"%s\" (%s)\n", kind, (long long)all,
           (long long)classified, code, category, against);
    assert_true(all > 0);
    assert_int_equal(classified, all);
}

/* NIBRS classification: by kind through the crosswalk, by CPD code where the agency table
 * (tests/data/cpd_nibrs_agency_codes.csv) says otherwise, none for kind other. */
static void s_check_nibrs(harness_t *h)
{
    printf("NIBRS classification by kind (crosswalk data/reference/watchfloor_kind_nibrs.csv):\n");
    s_check_nibrs_kind(h, "burglary.residential", "220", "Burglary/Breaking & Entering",
                       "Property");
    s_check_nibrs_kind(h, "robbery", "120", "Robbery", "Property");
    s_check_nibrs_kind(h, "assault.aggravated", "13A", "Assault Offenses", "Person");
    s_check_nibrs_kind(h, "narcotics", "35A", "Drug/Narcotic Offenses", "Society");
    /* homicide: 0110/0130 by kind (09A); 0141/0142 by CPD code (09B); both Homicide, Person */
    int64_t homicides = harness_query_int(h, "SELECT count(*) FROM events WHERE kind = 'homicide'");
    int64_t murder = harness_query_int(
        h, "SELECT count(*) FROM events WHERE kind = 'homicide' AND nibrs_code = '09A' AND "
           "nibrs_category = 'Homicide Offenses' AND crime_against = 'Person'");
    int64_t negligent = harness_query_int(
        h, "SELECT count(*) FROM events WHERE kind = 'homicide' AND nibrs_code = '09B' AND "
           "offense_code IN ('0141', '0142') AND crime_against = 'Person'");
    printf("  %-22s %6lld events, %lld → 09A, %lld → 09B (CPD 0141/0142)\n", "homicide",
           (long long)homicides, (long long)murder, (long long)negligent);
    assert_true(murder > 0);
    assert_int_equal(murder + negligent, homicides);
    /* the agency table overrides the kind: retail theft is Shoplifting, not All Other Larceny */
    int64_t retail =
        harness_query_int(h, "SELECT count(*) FROM events WHERE offense_code = '0860'");
    assert_true(retail > 0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE offense_code = '0860'"
                                          " AND nibrs_code = '23C' AND nibrs_category = "
                                          "'Larceny/Theft Offenses'"),
                     retail);
    int64_t threats = harness_query_int(h, "SELECT count(*) FROM events WHERE offense_code = '2820'"
                                           " AND kind = 'other' AND nibrs_code = '13C'");
    printf("  CPD codes: 0860 retail theft %lld → 23C Shoplifting; 2820 telephone threat (kind "
           "other) %lld → 13C Intimidation\n",
           (long long)retail, (long long)threats);
    assert_true(threats > 0);
    /* other has no NIBRS equivalent; everything else is classified */
    int64_t other = harness_query_int(h, "SELECT count(*) FROM events WHERE kind = 'other'");
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE kind = 'other' AND "
                                          "nibrs_code IS NULL"),
                     other - threats);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE kind <> 'other' AND "
                                          "(nibrs_code IS NULL OR nibrs_category IS NULL)"),
                     0);
    printf("  by crime against: Person %lld, Property %lld, Society %lld, none (kind other) "
           "%lld\n",
           (long long)harness_query_int(h, "SELECT count(*) FROM events WHERE crime_against = "
                                           "'Person'"),
           (long long)harness_query_int(h, "SELECT count(*) FROM events WHERE crime_against = "
                                           "'Property'"),
           (long long)harness_query_int(h, "SELECT count(*) FROM events WHERE crime_against = "
                                           "'Society'"),
           (long long)harness_query_int(h, "SELECT count(*) FROM events WHERE crime_against IS "
                                           "NULL"));
    printf("  enrich counters: nibrs.by_kind=%lld nibrs.by_agency_code=%lld "
           "nibrs.unclassified=%lld\n",
           (long long)harness_stat(h, "enrich", "nibrs.by_kind"),
           (long long)harness_stat(h, "enrich", "nibrs.by_agency_code"),
           (long long)harness_stat(h, "enrich", "nibrs.unclassified"));
    assert_int_equal(harness_stat(h, "enrich", "nibrs.unclassified"), other - threats);
    /* no plate or person fields in the Chicago files: no hot-list hit, none stored */
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM events WHERE hotlist_hits IS NOT "
                                          "NULL"),
                     0);
}

static void test_chicago_replay_end_to_end(void **state)
{
    harness_t *h = *state;
    const char *const agency_codes[] = {"nibrs", "agency-codes", "CPD",
                                        harness_source("tests/data/cpd_nibrs_agency_codes.csv"),
                                        NULL};
    assert_true(harness_admin(h, agency_codes));
    assert_true(harness_start_service(h, "enrich") > 0);
    assert_true(harness_start_service(h, "spatial") > 0);
    assert_true(harness_start_service(h, "alert") > 0);
    assert_int_equal(s_replay(h), 0);
    assert_true(harness_wait_drained(h, 300));

    int64_t read = harness_stat(h, "ingest", "records_read");
    int64_t published = harness_stat(h, "ingest", "events_published");
    printf("ingest: records_read=%lld events_published=%lld dead_letters=%lld\n", (long long)read,
           (long long)published, (long long)harness_stat(h, "ingest", "dead_letters"));
    assert_int_equal(read, 6957 + 10000 + 12000 + 11640);
    for (size_t i = 0; i < NFEEDS; i++)
        s_check_feed(h, &s_feeds[i]);

    /* every accepted event exactly once */
    int64_t events = harness_query_int(h, "SELECT count(*) FROM events");
    assert_int_equal(events, harness_query_int(h, "SELECT count(DISTINCT event_id) FROM events"));
    assert_int_equal(events, published);

    int64_t located;
    double agreement = s_beat_agreement(h, &s_feeds[0], &located);
    printf("beat agreement %s: %.4f of %lld located rows (threshold 0.99)\n", s_feeds[0].file,
           agreement, (long long)located);
    assert_true(located > 6800);
    assert_true(agreement >= 0.99);
    for (size_t i = 1; i < NFEEDS; i++) {
        agreement = s_beat_agreement(h, &s_feeds[i], &located);
        printf("beat agreement %s: %.4f of %lld located rows (beats redrawn after 2012)\n",
               s_feeds[i].file, agreement, (long long)located);
    }

    s_check_nibrs(h);

    /* alerts exist and every event they name is stored */
    int64_t alerts = harness_query_int(h, "SELECT count(*) FROM alerts");
    printf("alerts: %lld, signals: %lld\n", (long long)alerts,
           (long long)harness_query_int(h, "SELECT count(*) FROM signals"));
    assert_true(alerts > 0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts a, unnest(a.event_ids) id "
                                          "WHERE NOT EXISTS (SELECT 1 FROM events e "
                                          "WHERE e.event_id = id)"),
                     0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM alerts WHERE event_ids = '{}'"), 0);
    /* every alert also stored as a CAP 1.2 document naming it (the schema check is the unit
     * test's: alert/cap) */
    assert_int_equal(
        harness_query_int(
            h, "SELECT count(*) FROM alerts WHERE cap IS NULL"
               " OR NOT xml_is_well_formed_document(cap)"
               " OR strpos(cap, '<identifier>watchfloor-' || alert_id || '</identifier>')"
               " = 0 OR strpos(cap, CASE dissemination WHEN 'public' THEN '<scope>Public</scope>'"
               " ELSE '<scope>Restricted</scope>' END) = 0"),
        0);
    assert_int_equal(harness_query_int(h, "SELECT count(*) FROM signals s, "
                                          "unnest(s.event_id || s.related_event_ids) id "
                                          "WHERE NOT EXISTS (SELECT 1 FROM events e "
                                          "WHERE e.event_id = id)"),
                     0);
    assert_true(harness_query_int(h, "SELECT count(DISTINCT rule_id) FROM alerts") >= 2);

    /* the same files again: no table grows */
    int64_t before[HARNESS_TABLES], after[HARNESS_TABLES];
    harness_table_counts(h, before);
    assert_int_equal(s_replay(h), 0);
    assert_true(harness_wait_drained(h, 300));
    harness_table_counts(h, after);
    for (int i = 0; i < HARNESS_TABLES; i++) {
        printf("  %-12s first replay %lld, second replay %lld\n", harness_table_names[i],
               (long long)before[i], (long long)after[i]);
        assert_int_equal(before[i], after[i]);
    }
    assert_true(harness_alive(h, "enrich") && harness_alive(h, "spatial") &&
                harness_alive(h, "alert"));
    assert_int_equal(harness_stat(h, "enrich", "transport.gap_messages"), 0);
}

static int s_setup(void **state)
{
    static harness_t h;
    if (!harness_start(&h, "pipeline", NULL))
        return -1;
    *state = &h;
    return 0;
}

static int s_teardown(void **state)
{
    return harness_stop(*state) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chicago_replay_end_to_end, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
