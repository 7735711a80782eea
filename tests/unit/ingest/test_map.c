/* test_map.c — ingest_map: rows → normalised events (ids, times, location, kind) and the
 * mapping rejects; the Chicago kind rules checked against the whole IUCR code table.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "ingest_csv.h"
#include "ingest_map.h"
#include "ingest_reader.h"

#define DATA     WF_SOURCE_DIR "/tests/data/"
#define PROFILES WF_SOURCE_DIR "/deploy/profiles/"
#define NOW_US   (INT64_C(1762149600) * WF_US_PER_SEC) /* 2025-11-03T06:00Z */

static const double s_chicago[4] = {-87.95, 41.62, -87.50, 42.05};

typedef struct {
    ingest_profile_t *profile;
    ingest_map_t *map;
    ingest_arena_t *arena;
} s_ctx_t;

static void s_open(s_ctx_t *c, const char *profile)
{
    char err[512];
    c->profile = ingest_profile_load(profile, err, sizeof err);
    if (!c->profile)
        fail_msg("%s", err);
    c->map = ingest_map_new(c->profile, s_chicago, err, sizeof err);
    if (!c->map)
        fail_msg("%s", err);
    c->arena = ingest_arena_new(0);
}

static void s_close(s_ctx_t *c)
{
    ingest_map_destroy(&c->map);
    assert_null(c->map);
    ingest_profile_destroy(&c->profile);
    ingest_arena_destroy(&c->arena);
}

/* Reads data line `line` of a CSV fixture through the profile into row. */
static void s_csv_row(s_ctx_t *c, const char *path, int64_t line, ingest_row_t *row)
{
    char err[256];
    ingest_csv_t *csv = ingest_csv_new(c->profile);
    ingest_reader_t *reader =
        ingest_reader_new(path, 1 << 20, ingest_csv_line_complete, csv, err, sizeof err);
    assert_non_null(reader);
    ingest_raw_t raw;
    ingest_reject_t reject;
    assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    assert_int_equal(ingest_csv_header(csv, raw.raw, raw.len, &reject), 0);
    do
        assert_int_equal(ingest_reader_next(reader, &raw, -1), 1);
    while (raw.line < line);
    assert_int_equal(ingest_csv_parse(csv, raw.raw, raw.len, c->arena, row, &reject), 0);
    ingest_reader_destroy(&reader);
    ingest_csv_destroy(&csv);
}

static double s_metres(double lon1, double lat1, double lon2, double lat2)
{
    double k = 6371000.0 * M_PI / 180.0;
    double dx = (lon1 - lon2) * cos(lat1 * M_PI / 180.0) * k, dy = (lat1 - lat2) * k;
    return sqrt(dx * dx + dy * dy);
}

static void test_portal_row_event(void **state)
{
    (void)state;
    s_ctx_t c;
    s_open(&c, PROFILES "chicago-portal-export.yaml");
    ingest_row_t row;
    s_csv_row(&c, DATA "chicago_2014_sample.csv", 3, &row);
    Wf__NormalizedEvent *ev = NULL;
    ingest_reject_t reject = {0};
    assert_int_equal(
        ingest_map_event(c.map, &row, "chicago_2014_sample.csv:3", NOW_US, c.arena, &ev, &reject),
        0);
    assert_non_null(ev);
    assert_string_equal(ev->source_record_id, "9532593");
    assert_string_equal(ev->agency, "CPD");
    assert_string_equal(ev->source, "chicago-portal-export");
    assert_string_equal(ev->kind, "theft");
    assert_string_equal(ev->offense_code, "0820");
    assert_string_equal(ev->offense_text, "THEFT / $500 AND UNDER");
    assert_string_equal(ev->source_beat, "1411");
    assert_string_equal(ev->source_district, "014");
    assert_string_equal(ev->location_type, "BAR OR TAVERN");
    assert_string_equal(ev->incident_number, "HX186477");
    assert_string_equal(ev->source_position, "chicago_2014_sample.csv:3");
    assert_int_equal(ev->dissemination, WF__DISSEMINATION__PUBLIC);
    assert_int_equal(ev->occurred_at_us, INT64_C(1394859600) * WF_US_PER_SEC);
    assert_int_equal(ev->reported_at_us, INT64_C(1395466751) * WF_US_PER_SEC);
    /* the revision "03/22/2014 12:39:11 AM" is hashed as UTC µs text */
    assert_string_equal(ev->revision, "1395466751000000");
    wf_uuid_t id;
    wf_id_event(&id, "CPD", "9532593", "1395466751000000");
    assert_int_equal(ev->event_id.len, 16);
    assert_memory_equal(ev->event_id.data, id.bytes, 16);
    /* X/Y 1155318,1918413 (EPSG:3435) is the portal's 41.93193,-87.70464 */
    assert_non_null(ev->location);
    double d =
        s_metres(ev->location->lon, ev->location->lat, -87.70464452726821, 41.93193179666549);
    if (d > 3.0)
        fail_msg("%.7f,%.7f is %.2f m off", ev->location->lat, ev->location->lon, d);
    assert_int_equal(ev->n_attributes, 9);
    assert_int_equal(ev->priority, 0);
    s_close(&c);
}

static void test_row_without_location(void **state)
{
    (void)state;
    s_ctx_t c;
    s_open(&c, PROFILES "chicago-portal-export.yaml");
    ingest_row_t row;
    s_csv_row(&c, DATA "chicago_2014_sample.csv", 2, &row);
    Wf__NormalizedEvent *ev = NULL;
    ingest_reject_t reject = {0};
    assert_int_equal(ingest_map_event(c.map, &row, "x:2", NOW_US, c.arena, &ev, &reject), 0);
    assert_null(ev->location); /* accepted, with no location */
    assert_string_equal(ev->source_beat, "0713");
    assert_string_equal(ev->source_district, "");
    s_close(&c);
}

static void test_revision_is_layout_independent(void **state)
{
    (void)state;
    /* the same update time as the portal writes it and as the API writes it */
    s_ctx_t portal, api;
    s_open(&portal, PROFILES "chicago-portal-export.yaml");
    s_open(&api, PROFILES "chicago-socrata-api.yaml");
    ingest_row_t a, b;
    ingest_row_init(&a);
    ingest_row_init(&b);
    a.value[INGEST_FIELD_RECORD_ID] = b.value[INGEST_FIELD_RECORD_ID] = "9532593";
    a.value[INGEST_FIELD_OCCURRED_AT] = "03/15/2014 12:00:00 AM";
    b.value[INGEST_FIELD_OCCURRED_AT] = "2014-03-15T00:00:00.000";
    a.value[INGEST_FIELD_REVISION] = "03/22/2014 12:39:11 AM";
    b.value[INGEST_FIELD_REVISION] = "2014-03-22T00:39:11.000";
    Wf__NormalizedEvent *ea, *eb;
    ingest_reject_t reject;
    assert_int_equal(ingest_map_event(portal.map, &a, "", NOW_US, portal.arena, &ea, &reject), 0);
    assert_int_equal(ingest_map_event(api.map, &b, "", NOW_US, api.arena, &eb, &reject), 0);
    assert_string_equal(ea->revision, eb->revision);
    assert_memory_equal(ea->event_id.data, eb->event_id.data, 16);
    assert_int_equal(ea->occurred_at_us, eb->occurred_at_us);
    /* a revision that is not a time is hashed verbatim */
    a.value[INGEST_FIELD_REVISION] = "v7";
    assert_int_equal(ingest_map_event(portal.map, &a, "", NOW_US, portal.arena, &ea, &reject), 0);
    assert_string_equal(ea->revision, "v7");
    assert_memory_not_equal(ea->event_id.data, eb->event_id.data, 16);
    s_close(&portal);
    s_close(&api);
}

/* Maps a hand-made row expecting the reject code on field. */
static void s_reject(s_ctx_t *c, ingest_row_t *row, const char *code, const char *field)
{
    Wf__NormalizedEvent *ev = (Wf__NormalizedEvent *)1;
    ingest_reject_t reject = {0};
    int rc = ingest_map_event(c->map, row, "t:1", NOW_US, c->arena, &ev, &reject);
    if (rc == 0)
        fail_msg("accepted, expected %s", code);
    assert_null(ev);
    assert_string_equal(reject.code, code);
    assert_string_equal(reject.field, field);
}

static void test_rejects(void **state)
{
    (void)state;
    s_ctx_t c;
    s_open(&c, PROFILES "chicago-socrata-api.yaml");
    ingest_row_t row;
    ingest_row_init(&row);
    row.value[INGEST_FIELD_OCCURRED_AT] = "2025-11-03T00:00:00.000";
    s_reject(&c, &row, "missing_field", "record_id");
    row.value[INGEST_FIELD_RECORD_ID] = "  ";
    s_reject(&c, &row, "missing_field", "record_id");
    row.value[INGEST_FIELD_RECORD_ID] = "14019926";
    row.value[INGEST_FIELD_OCCURRED_AT] = "";
    s_reject(&c, &row, "missing_field", "occurred_at");
    row.value[INGEST_FIELD_OCCURRED_AT] = "11/03/2025";
    s_reject(&c, &row, "bad_time", "occurred_at");
    row.value[INGEST_FIELD_OCCURRED_AT] = "2025-11-05T00:00:00"; /* 2 days after NOW_US */
    s_reject(&c, &row, "time_out_of_range", "occurred_at");
    row.value[INGEST_FIELD_OCCURRED_AT] = "1899-12-31T17:59:59"; /* 23:59:59Z */
    s_reject(&c, &row, "time_out_of_range", "occurred_at");
    row.value[INGEST_FIELD_OCCURRED_AT] = "2025-11-03T00:00:00.000";
    row.value[INGEST_FIELD_REPORTED_AT] = "soon";
    s_reject(&c, &row, "bad_time", "reported_at");
    row.value[INGEST_FIELD_REPORTED_AT] = "";
    row.value[INGEST_FIELD_X] = "-87.66x";
    row.value[INGEST_FIELD_Y] = "41.73";
    s_reject(&c, &row, "bad_coordinates", "location.x");
    row.value[INGEST_FIELD_X] = "2.3522"; /* Paris */
    row.value[INGEST_FIELD_Y] = "48.8566";
    s_reject(&c, &row, "outside_jurisdiction", "location.x");
    row.value[INGEST_FIELD_X] = "-87.666637175";
    row.value[INGEST_FIELD_Y] = "41.733197065";
    row.value[INGEST_FIELD_PRIORITY] = "high";
    s_reject(&c, &row, "bad_priority", "priority");
    row.value[INGEST_FIELD_PRIORITY] = "-1";
    s_reject(&c, &row, "bad_priority", "priority");
    row.value[INGEST_FIELD_PRIORITY] = " 2 ";
    Wf__NormalizedEvent *ev;
    ingest_reject_t reject;
    assert_int_equal(ingest_map_event(c.map, &row, "t:1", NOW_US, c.arena, &ev, &reject), 0);
    assert_int_equal(ev->priority, 2);
    assert_string_equal(ev->revision, "");
    assert_string_equal(ev->kind, "other"); /* no offense code at all */
    s_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_portal_row_event),
        cmocka_unit_test(test_row_without_location),
        cmocka_unit_test(test_revision_is_layout_independent),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
