/* test_event.c — enrich_event: the per-event check, assignment, message and JSON.
 *
 * Events are built from real rows of the 2014 Chicago portal export (ids, beats, districts and
 * coordinates as CPD recorded them) and assigned against the real-polygon fixtures of
 * tests/data/enrich_*.geojson.xz (beats 1713, 2031, 1834, 3100; district 31).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <wf/err.h>
#include <wf/id.h>

#include "enrich_event.h"
#include "enrich_testdata.h"

#define FIXTURE_DIR WF_SOURCE_DIR "/tests/data/"

/* Beats as in the GeoJSON ("1713"); districts zero-padded as wf-admin stores them ("031"). */
static enrich_areas_t *s_areas(bool with_beats)
{
    enrich_areas_t *areas = enrich_areas_new();
    assert_non_null(areas);
    if (with_beats)
        assert_int_equal(enrich_testdata_load_geojson(areas, ENRICH_LAYER_BEAT,
                                                      FIXTURE_DIR "enrich_beats_sample.geojson.xz",
                                                      "BEAT_NUM", "DISTRICT", 0),
                         6);
    assert_int_equal(enrich_testdata_load_geojson(areas, ENRICH_LAYER_DISTRICT,
                                                  FIXTURE_DIR "enrich_districts_sample.geojson.xz",
                                                  "dist_num", NULL, 3),
                     3);
    char err[256] = "";
    assert_int_equal(enrich_areas_build(areas, 30, err, sizeof err), 0);
    return areas;
}

typedef struct {
    Wf__NormalizedEvent event; /* the event under test */
    Wf__Point point;           /* its location when located */
    wf_uuid_t id;              /* its event id */
} s_event_t;

/* An event as ingest would produce it from a 2014 row; lon/lat NAN = no coordinates. */
static void s_event(s_event_t *e, const char *record_id, const char *beat, const char *district,
                    double lon, double lat)
{
    *e = (s_event_t){.event = WF__NORMALIZED_EVENT__INIT, .point = WF__POINT__INIT};
    wf_id_event(&e->id, "CPD", record_id, "");
    e->event.event_id.data = e->id.bytes;
    e->event.event_id.len = WF_UUID_LEN;
    e->event.agency = (char *)"CPD";
    e->event.source_record_id = (char *)record_id;
    e->event.occurred_at_us = INT64_C(1394323200000000); /* 2014-03-09 */
    e->event.source_beat = (char *)beat;
    e->event.source_district = (char *)district;
    if (!isnan(lon)) {
        e->point.lon = lon;
        e->point.lat = lat;
        e->event.location = &e->point;
    }
}

static void test_check_needs_id_and_time(void **state)
{
    (void)state;
    s_event_t e;
    enrich_event_reject_t reject = {0};
    s_event(&e, "9535901", "1713", "017", -87.70967414906906, 41.972817822002085);
    assert_int_equal(enrich_event_check(&e.event, &reject), 0);
    e.event.event_id.len = 15;
    assert_int_equal(enrich_event_check(&e.event, &reject), WF_EINVAL);
    assert_string_equal(reject.reason_code, "missing_event_id");
    assert_string_equal(reject.field, "event_id");
    e.event.event_id.len = 0;
    e.event.event_id.data = NULL;
    assert_int_equal(enrich_event_check(&e.event, &reject), WF_EINVAL);
    assert_string_equal(reject.reason_code, "missing_event_id");
    s_event(&e, "9535901", "1713", "017", -87.70967414906906, 41.972817822002085);
    e.event.occurred_at_us = 0;
    assert_int_equal(enrich_event_check(&e.event, &reject), WF_EINVAL);
    assert_string_equal(reject.reason_code, "missing_occurred_at");
    assert_string_equal(reject.field, "occurred_at_us");
    /* a location that is no place would be refused by PostGIS: dead-letter it instead */
    static const double bad[][2] = {{NAN, 41.9}, {-87.6, INFINITY}, {-187.6, 41.9}, {-87.6, 91}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s_event(&e, "9535901", "1713", "017", bad[i][0], bad[i][1]);
        e.point.lon = bad[i][0]; /* s_event treats a NAN longitude as "no location" */
        e.event.location = &e.point;
        assert_int_equal(enrich_event_check(&e.event, &reject), WF_EINVAL);
        assert_string_equal(reject.reason_code, "bad_coordinates");
    }
    /* no location at all is fine */
    s_event(&e, "9567561", "0713", "", NAN, NAN);
    assert_null(e.event.location);
    assert_int_equal(enrich_event_check(&e.event, &reject), 0);
}

static void test_assign_located_events(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_areas(true);
    s_event_t e;
    enrich_assignment_t a;
    /* row 9535901: inside 1713; district 17 is not in the fixture, nor anywhere near */
    s_event(&e, "9535901", "1713", "017", -87.70967414906906, 41.972817822002085);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_string_equal(a.beat, "1713");
    assert_null(a.district);
    assert_int_equal(a.beat_method, WF__AREA_METHOD__POINT_IN_POLYGON);
    assert_int_equal(a.district_method, WF__AREA_METHOD__NOT_FOUND);
    assert_int_equal(a.method, WF__AREA_METHOD__POINT_IN_POLYGON);
    /* on the vertex 1713 and 2031 share; the source said 2031 */
    s_event(&e, "tie", "2031", "020", -87.70472499089567, 41.975766640551974);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_string_equal(a.beat, "2031");
    assert_int_equal(a.method, WF__AREA_METHOD__BOUNDARY_TIE);
    /* inside beat 3100 and district 31, as the table spells it */
    s_event(&e, "ohare", "3100", "031", -87.8117300340, 41.9638032651);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_string_equal(a.beat, "3100");
    assert_string_equal(a.district, "031");
    assert_int_equal(a.district_method, WF__AREA_METHOD__POINT_IN_POLYGON);
    /* Lake Michigan */
    s_event(&e, "lake", "1834", "018", -87.60, 41.90);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_null(a.beat);
    assert_null(a.district);
    assert_int_equal(a.method, WF__AREA_METHOD__NOT_FOUND);
    /* 16.6 m off Navy Pier */
    s_event(&e, "pier", "1834", "018", -87.59832438703842, 41.89145028835144);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_string_equal(a.beat, "1834");
    assert_int_equal(a.method, WF__AREA_METHOD__NEAREST);
    enrich_event_assign(areas, &e.event, 10, &a);
    assert_int_equal(a.method, WF__AREA_METHOD__NOT_FOUND);
    enrich_areas_destroy(&areas);
}

static void test_assign_events_without_coordinates(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_areas(true);
    s_event_t e;
    enrich_assignment_t a;
    /* the 2014 rows without coordinates also lack a district: the beat's parent supplies it */
    s_event(&e, "no-xy", "3100", "", NAN, NAN);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_string_equal(a.beat, "3100");
    assert_string_equal(a.district, "031");
    assert_int_equal(a.method, WF__AREA_METHOD__SOURCE_REPORTED);
    assert_int_equal(a.district_method, WF__AREA_METHOD__SOURCE_REPORTED);
    /* row 9567561: beat 0713 is not in the fixture */
    s_event(&e, "9567561", "0713", "", NAN, NAN);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_null(a.beat);
    assert_null(a.district);
    assert_int_equal(a.method, WF__AREA_METHOD__NOT_FOUND);
    /* the source's district alone, unpadded */
    s_event(&e, "district-only", "", "31", NAN, NAN);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_null(a.beat);
    assert_string_equal(a.district, "031");
    assert_int_equal(a.method, WF__AREA_METHOD__NOT_FOUND); /* the beat's method */
    enrich_areas_destroy(&areas);

    /* a boundary set without beats: the event's method is the district's */
    areas = s_areas(false);
    s_event(&e, "district-only", "", "31", NAN, NAN);
    enrich_event_assign(areas, &e.event, 30, &a);
    assert_int_equal(a.method, WF__AREA_METHOD__SOURCE_REPORTED);
    enrich_areas_destroy(&areas);
}

static void test_enriched_message_round_trips(void **state)
{
    (void)state;
    enrich_areas_t *areas = s_areas(true);
    s_event_t e;
    enrich_assignment_t a;
    s_event(&e, "ohare", "3100", "031", -87.8117300340, 41.9638032651);
    enrich_event_assign(areas, &e.event, 30, &a);
    Wf__EnrichedEvent out = WF__ENRICHED_EVENT__INIT;
    enrich_event_enriched(&out, &e.event, &a, "chicago-2012-12", 1700000000000000);
    uint8_t buf[1024];
    size_t len = wf__enriched_event__get_packed_size(&out);
    assert_true(len < sizeof buf);
    wf__enriched_event__pack(&out, buf);
    Wf__EnrichedEvent *back = wf__enriched_event__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_string_equal(back->district, "031");
    assert_string_equal(back->beat, "3100");
    assert_int_equal(back->area_method, WF__AREA_METHOD__POINT_IN_POLYGON);
    assert_string_equal(back->boundary_version, "chicago-2012-12");
    assert_int_equal(back->enriched_at_us, 1700000000000000);
    assert_memory_equal(back->event->event_id.data, e.id.bytes, WF_UUID_LEN);
    assert_true(back->event->location->lon == -87.8117300340);
    wf__enriched_event__free_unpacked(back, NULL);
    /* nothing found: empty strings, never NULL */
    s_event(&e, "lake", "1834", "018", -87.60, 41.90);
    enrich_event_assign(areas, &e.event, 30, &a);
    out = (Wf__EnrichedEvent)WF__ENRICHED_EVENT__INIT;
    enrich_event_enriched(&out, &e.event, &a, NULL, 1);
    assert_string_equal(out.district, "");
    assert_string_equal(out.beat, "");
    assert_string_equal(out.boundary_version, "");
    assert_int_equal(out.area_method, WF__AREA_METHOD__NOT_FOUND);
    enrich_areas_destroy(&areas);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(enrich_event_method_name(WF__AREA_METHOD__POINT_IN_POLYGON),
                        "point_in_polygon");
    assert_string_equal(enrich_event_method_name(WF__AREA_METHOD__BOUNDARY_TIE), "boundary_tie");
    assert_string_equal(enrich_event_method_name(WF__AREA_METHOD__NEAREST), "nearest");
    assert_string_equal(enrich_event_method_name(WF__AREA_METHOD__SOURCE_REPORTED),
                        "source_reported");
    assert_string_equal(enrich_event_method_name(WF__AREA_METHOD__NOT_FOUND), "not_found");
    assert_string_equal(enrich_event_method_name((Wf__AreaMethod)99), "unspecified");
    assert_string_equal(enrich_event_dissemination_name(WF__DISSEMINATION__PUBLIC), "public");
    assert_string_equal(enrich_event_dissemination_name(WF__DISSEMINATION__LAW_ENFORCEMENT),
                        "law_enforcement");
    assert_string_equal(enrich_event_dissemination_name(WF__DISSEMINATION__AGENCY_ONLY),
                        "agency_only");
    assert_string_equal(enrich_event_dissemination_name(WF__DISSEMINATION__RESTRICTED),
                        "restricted");
    assert_string_equal(
        enrich_event_dissemination_name(WF__DISSEMINATION__DISSEMINATION_UNSPECIFIED),
        "unspecified");
}

/* Parses buf's JSON and returns the object (caller decrefs). */
static json_t *s_parse(const enrich_json_buf_t *buf)
{
    assert_int_equal(strlen(buf->text), buf->len);
    json_error_t error;
    json_t *json = json_loadb(buf->text, buf->len, 0, &error);
    assert_non_null(json);
    assert_true(json_is_object(json));
    return json;
}

static void test_attributes_json(void **state)
{
    (void)state;
    /* unmapped columns of 2014 row 9532593, plus text that needs escaping */
    static const char *const pairs[][2] = {
        {"Arrest", "false"},
        {"Domestic", "false"},
        {"Ward", "35"},
        {"Community Area", "22"},
        {"FBI Code", "06"},
        {"X Coordinate", "1155318"},
        {"Location", "(41.93193179666549, -87.70464452726821)"},
        {"note", "say \"hi\"\\\ttab\nnewline é"},
        {"bad", "caf\xe9 \xff"},
    };
    enum { N = sizeof pairs / sizeof pairs[0] };
    Wf__Attribute attrs[N];
    Wf__Attribute *ptrs[N];
    for (size_t i = 0; i < N; i++) {
        attrs[i] = (Wf__Attribute)WF__ATTRIBUTE__INIT;
        attrs[i].name = (char *)pairs[i][0];
        attrs[i].value = (char *)pairs[i][1];
        ptrs[i] = &attrs[i];
    }
    Wf__NormalizedEvent event = WF__NORMALIZED_EVENT__INIT;
    enrich_json_buf_t buf = {0};
    assert_int_equal(enrich_event_attributes_json(&event, &buf), 0);
    assert_string_equal(buf.text, "{}");

    event.attributes = ptrs;
    event.n_attributes = N;
    assert_int_equal(enrich_event_attributes_json(&event, &buf), 0);
    json_t *json = s_parse(&buf);
    assert_int_equal(json_object_size(json), N);
    assert_string_equal(json_string_value(json_object_get(json, "FBI Code")), "06");
    assert_string_equal(json_string_value(json_object_get(json, "Location")), pairs[6][1]);
    assert_string_equal(json_string_value(json_object_get(json, "note")), pairs[7][1]);
    /* invalid UTF-8 bytes become U+FFFD, the rest survives */
    assert_string_equal(json_string_value(json_object_get(json, "bad")),
                        "caf\xef\xbf\xbd \xef\xbf\xbd");
    json_decref(json);

    /* a repeated name (the 2018 file has two "id" columns) keeps every value, in order */
    attrs[1].name = (char *)"Arrest";
    attrs[2].name = (char *)"Arrest";
    assert_int_equal(enrich_event_attributes_json(&event, &buf), 0);
    json = s_parse(&buf);
    json_t *arrest = json_object_get(json, "Arrest");
    assert_true(json_is_array(arrest));
    assert_int_equal(json_array_size(arrest), 3);
    assert_string_equal(json_string_value(json_array_get(arrest, 0)), "false");
    assert_string_equal(json_string_value(json_array_get(arrest, 2)), "35");
    json_decref(json);

    /* the buffer is reused for a shorter result */
    event.n_attributes = 1;
    assert_int_equal(enrich_event_attributes_json(&event, &buf), 0);
    assert_string_equal(buf.text, "{\"Arrest\":\"false\"}");
    enrich_json_buf_fini(&buf);
    assert_null(buf.text);
}

static void test_dead_letter(void **state)
{
    (void)state;
    static const uint8_t raw[] = {0x08, 0x01, 0x10, 0xff};
    enrich_dead_letter_in_t in = {
        .source = "events.normalized",
        .position = "events.normalized/-1/42",
        .raw = raw,
        .raw_len = sizeof raw,
        .reason_code = "undecodable",
        .reason = "truncated varint",
        .received_at_us = 1700000000000000,
    };
    Wf__DeadLetter dl = WF__DEAD_LETTER__INIT;
    wf_uuid_t id;
    assert_int_equal(enrich_event_dead_letter(&dl, &id, &in), 0);
    /* the id is UUIDv5("dead_letter", stage, source, position, raw as hex) */
    wf_uuid_t expected;
    const char *parts[] = {"enrich", "events.normalized", "events.normalized/-1/42", "080110ff"};
    wf_id_derive(&expected, "dead_letter", parts, 4);
    assert_memory_equal(dl.dead_letter_id.data, expected.bytes, WF_UUID_LEN);
    assert_int_equal(dl.dead_letter_id.len, WF_UUID_LEN);
    assert_string_equal(dl.stage, "enrich");
    assert_string_equal(dl.reason_code, "undecodable");
    assert_string_equal(dl.field, "");
    assert_int_equal(dl.raw.len, sizeof raw);
    assert_int_equal(dl.raw_length, sizeof raw);
    assert_ptr_equal(dl.raw.data, raw);

    /* another position is another dead letter; text raw is used as text */
    in.position = "events.normalized/-1/43";
    wf_uuid_t other;
    assert_int_equal(enrich_event_dead_letter(&dl, &other, &in), 0);
    assert_memory_not_equal(other.bytes, id.bytes, WF_UUID_LEN);
    static const char row[] = "abc\t\\N";
    in.raw = (const uint8_t *)row;
    in.raw_len = strlen(row);
    in.raw_is_text = true;
    in.field = "attributes";
    assert_int_equal(enrich_event_dead_letter(&dl, &other, &in), 0);
    const char *text_parts[] = {"enrich", "events.normalized", "events.normalized/-1/43", row};
    wf_id_derive(&expected, "dead_letter", text_parts, 4);
    assert_memory_equal(other.bytes, expected.bytes, WF_UUID_LEN);
    assert_string_equal(dl.field, "attributes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_needs_id_and_time),
        cmocka_unit_test(test_assign_located_events),
        cmocka_unit_test(test_assign_events_without_coordinates),
        cmocka_unit_test(test_enriched_message_round_trips),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_attributes_json),
        cmocka_unit_test(test_dead_letter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
