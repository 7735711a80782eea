/* test_signal.c — from an enriched event to the NEAR_REPEAT signal that is published.
 *
 * The input is a real 2014 burglary (CPD ID 9532327, beat 0725, district 007) as wf-enrich
 * would publish it; the signal must carry the deterministic id, the capped nearest-first list,
 * the full related count, the hotspot cell and the partition key, and survive a protobuf round
 * trip. A real pair of 2014 burglaries through the detector shows that a signal is about the
 * later event of a pair and lists the earlier one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wf/cell.h>
#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>
#include <wf/watchfloor.pb-c.h>

#include "spatial_geo.h"
#include "spatial_signal.h"

#define LON      (-87.66504091105413)
#define LAT      41.77054053809541
#define OCCURRED (INT64_C(1394852400) * WF_US_PER_SEC) /* 03/14/2014 10:00:00 PM CDT */

typedef struct {
    Wf__EnrichedEvent enriched; /* the message */
    Wf__NormalizedEvent event;  /* enriched.event */
    Wf__Point location;         /* event.location */
    wf_uuid_t id;               /* event.event_id */
} s_input_t;

static void s_input(s_input_t *in)
{
    wf__enriched_event__init(&in->enriched);
    wf__normalized_event__init(&in->event);
    wf__point__init(&in->location);
    wf_id_event(&in->id, "CPD", "9532327", "03/18/2014 12:40:56 AM");
    in->event.event_id.data = in->id.bytes;
    in->event.event_id.len = WF_UUID_LEN;
    in->event.agency = "CPD";
    in->event.source = "chicago-portal-export";
    in->event.source_record_id = "9532327";
    in->event.revision = "03/18/2014 12:40:56 AM";
    in->event.kind = "burglary.residential";
    in->event.offense_code = "0610";
    in->event.occurred_at_us = OCCURRED;
    in->event.reported_at_us = INT64_C(1395121256) * WF_US_PER_SEC;
    in->event.dissemination = WF__DISSEMINATION__LAW_ENFORCEMENT;
    in->location.lon = LON;
    in->location.lat = LAT;
    in->event.location = &in->location;
    in->enriched.event = &in->event;
    in->enriched.district = "007";
    in->enriched.beat = "0725";
    in->enriched.area_method = WF__AREA_METHOD__POINT_IN_POLYGON;
}

/* Another real 2014 burglary as wf-enrich would publish it (same beat as given). */
static void s_burglary(s_input_t *in, const char *record, const char *revision, int64_t occurred_s,
                       double lon, double lat, const char *beat)
{
    s_input(in);
    wf_id_event(&in->id, "CPD", record, revision);
    in->event.source_record_id = (char *)record;
    in->event.revision = (char *)revision;
    in->event.occurred_at_us = occurred_s * WF_US_PER_SEC;
    in->location.lon = lon;
    in->location.lat = lat;
    in->enriched.district = "015";
    in->enriched.beat = (char *)beat;
}

static spatial_signal_t *s_new(size_t max_related)
{
    spatial_signal_config_t config = {400, 14 * WF_US_PER_DAY, 400, max_related};
    spatial_signal_t *signal = spatial_signal_new(&config);
    assert_non_null(signal);
    return signal;
}

/* count matches, 10 m apart, each with a distinct id. */
static void s_matches(spatial_nearrepeat_match_t *matches, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char record[32];
        snprintf(record, sizeof record, "%zu", 9500000 + i);
        wf_uuid_t id;
        wf_id_event(&id, "CPD", record, "");
        memcpy(matches[i].event_id, id.bytes, WF_UUID_LEN);
        matches[i].distance_m = 10.0 * (double)i;
        matches[i].dt_s = 3600 * (int64_t)i;
    }
}

static void test_read_event(void **state)
{
    (void)state;
    s_input_t in;
    s_input(&in);
    spatial_nearrepeat_event_t event;
    const char *code = NULL, *field = NULL;
    assert_int_equal(spatial_signal_read_event(&in.enriched, 7, &event, &code, &field), 0);
    assert_memory_equal(event.event_id, in.id.bytes, WF_UUID_LEN);
    assert_string_equal(event.source_record_id, "9532327");
    assert_string_equal(event.kind, "burglary.residential");
    assert_true(event.has_location && event.lon == LON && event.lat == LAT);
    assert_int_equal(event.occurred_us, OCCURRED);
    assert_int_equal(event.arrived_us, 7);

    in.event.location = NULL;
    assert_int_equal(spatial_signal_read_event(&in.enriched, 7, &event, &code, &field), 0);
    assert_false(event.has_location);

    in.event.event_id.len = 15;
    assert_int_equal(spatial_signal_read_event(&in.enriched, 7, &event, &code, &field), WF_EPROTO);
    assert_string_equal(code, "bad_event_id");
    assert_string_equal(field, "event_id");

    in.enriched.event = NULL;
    assert_int_equal(spatial_signal_read_event(&in.enriched, 7, &event, &code, &field), WF_EPROTO);
    assert_string_equal(code, "missing_event");
}

static void test_build(void **state)
{
    (void)state;
    s_input_t in;
    s_input(&in);
    spatial_nearrepeat_match_t matches[20];
    s_matches(matches, 20);
    spatial_nearrepeat_result_t result = {SPATIAL_NEARREPEAT_STORED, matches, 20, 0, true};
    spatial_signal_t *builder = s_new(16);
    Wf__SpatialSignal *signal = spatial_signal_build(builder, &in.enriched, &result);

    char text[WF_UUID_STR_LEN];
    const char *parts[] = {"near_repeat", wf_uuid_format(in.id.bytes, text)};
    wf_uuid_t expected;
    wf_id_derive(&expected, "signal", parts, 2);
    assert_int_equal(signal->signal_id.len, WF_UUID_LEN);
    assert_memory_equal(signal->signal_id.data, expected.bytes, WF_UUID_LEN);
    assert_int_equal(signal->type, WF__SIGNAL_TYPE__NEAR_REPEAT);
    assert_memory_equal(signal->event_id.data, in.id.bytes, WF_UUID_LEN);
    assert_string_equal(signal->kind, "burglary.residential");
    assert_string_equal(signal->district, "007");
    assert_string_equal(signal->beat, "0725");
    assert_string_equal(signal->agency, "CPD");
    assert_int_equal(signal->dissemination, WF__DISSEMINATION__LAW_ENFORCEMENT);
    assert_int_equal(signal->occurred_at_us, OCCURRED);
    assert_true(signal->location && signal->location->lon == LON && signal->location->lat == LAT);
    assert_true(signal->radius_m == 400);
    assert_int_equal(signal->window_s, 1209600);
    assert_int_equal(signal->n_related, 16);     /* capped … */
    assert_int_equal(signal->related_count, 20); /* … but the count is all of them */
    size_t count;
    const uint8_t *const *ids = spatial_signal_related_ids(builder, &count);
    assert_int_equal(count, 16);
    for (size_t i = 0; i < 16; i++) {
        assert_memory_equal(signal->related[i]->event_id.data, matches[i].event_id, WF_UUID_LEN);
        assert_memory_equal(ids[i], matches[i].event_id, WF_UUID_LEN);
        assert_true(signal->related[i]->distance_m == matches[i].distance_m);
        assert_int_equal(signal->related[i]->dt_s, matches[i].dt_s);
    }
    char cell[SPATIAL_GEO_CELL_ID_LEN], key[WF_CELL_KEY_LEN];
    spatial_geo_cell_id(cell, sizeof cell, LON, LAT, 400);
    assert_string_equal(signal->cell, cell);
    size_t key_len, want = wf_cell_key(key, sizeof key, true, LON, LAT, "CPD");
    const char *got = spatial_signal_key(builder, &key_len);
    assert_int_equal(key_len, want);
    assert_memory_equal(got, key, want);

    /* A second event gets another id; the same event again gets the same id (replays). */
    result.related_count = 3;
    wf_uuid_t first;
    memcpy(first.bytes, signal->signal_id.data, WF_UUID_LEN);
    wf_id_event(&in.id, "CPD", "9532065", "03/18/2014 12:40:56 AM");
    signal = spatial_signal_build(builder, &in.enriched, &result);
    assert_memory_not_equal(signal->signal_id.data, first.bytes, WF_UUID_LEN);
    assert_int_equal(signal->n_related, 3);
    assert_int_equal(signal->related_count, 3);
    wf_id_event(&in.id, "CPD", "9532327", "03/18/2014 12:40:56 AM");
    signal = spatial_signal_build(builder, &in.enriched, &result);
    assert_memory_equal(signal->signal_id.data, first.bytes, WF_UUID_LEN);
    spatial_signal_destroy(&builder);
    assert_null(builder);
}

/* A real near-repeat pair from the 2014 export, 202 m and 7 d 5.5 h apart in beat 1522. In time
 * order the later burglary's signal lists the earlier one. The other way round, the earlier
 * burglary (reported late) has no signal of its own but revises the later one's, and the revised
 * signal is byte for byte the signal the in-order run published. */
static void test_signal_is_about_the_later_event(void **state)
{
    (void)state;
    s_input_t later, earlier;
    s_burglary(&later, "9531702", "04/09/2014 12:42:18 AM", 1394852400, -87.76228339796081,
               41.87555340742051, "1522");
    s_burglary(&earlier, "9526022", "04/09/2014 12:42:18 AM", 1394227800, -87.76195431880937,
               41.873748796203245, "1522");
    const char *kinds[] = {"burglary.residential"};
    spatial_nearrepeat_config_t config = {
        kinds, 1, 400, 14 * WF_US_PER_DAY, 3 * WF_US_PER_DAY, 1000, WF_US_PER_DAY};
    spatial_signal_t *builder = s_new(16);
    uint8_t packed[2][512];
    size_t packed_len[2] = {0, 0};
    for (int reverse = 0; reverse < 2; reverse++) {
        spatial_nearrepeat_t *nr = spatial_nearrepeat_new(&config);
        assert_non_null(nr);
        const s_input_t *arrivals[] = {reverse ? &later : &earlier, reverse ? &earlier : &later};
        size_t related[2], revised[2];
        spatial_nearrepeat_result_t result;
        for (int i = 0; i < 2; i++) {
            spatial_nearrepeat_event_t event;
            const char *code, *field;
            assert_int_equal(
                spatial_signal_read_event(&arrivals[i]->enriched, 0, &event, &code, &field), 0);
            assert_int_equal(spatial_nearrepeat_add(nr, &event, &result), 0);
            related[i] = result.related_count;
            revised[i] = result.revised_count;
        }
        spatial_nearrepeat_stats_t stats;
        spatial_nearrepeat_stats(nr, &stats);
        assert_int_equal(related[0] + revised[0], 0);
        assert_int_equal(related[1], reverse ? 0 : 1);
        assert_int_equal(revised[1], reverse ? 1 : 0);
        assert_int_equal(stats.late_pairs, reverse ? 1 : 0);
        Wf__SpatialSignal *signal;
        if (reverse) {
            spatial_nearrepeat_revision_t revision;
            assert_int_equal(spatial_nearrepeat_revision(nr, 0, &revision), 0);
            signal = spatial_signal_build_revision(builder, &revision);
        } else {
            signal = spatial_signal_build(builder, &later.enriched, &result);
        }
        char text[WF_UUID_STR_LEN];
        const char *parts[] = {"near_repeat", wf_uuid_format(later.id.bytes, text)};
        wf_uuid_t expected;
        wf_id_derive(&expected, "signal", parts, 2);
        assert_memory_equal(signal->signal_id.data, expected.bytes, WF_UUID_LEN);
        assert_memory_equal(signal->event_id.data, later.id.bytes, WF_UUID_LEN);
        assert_int_equal(signal->occurred_at_us, INT64_C(1394852400) * WF_US_PER_SEC);
        assert_int_equal(signal->n_related, 1);
        assert_memory_equal(signal->related[0]->event_id.data, earlier.id.bytes, WF_UUID_LEN);
        assert_int_equal(signal->related[0]->dt_s, 624600); /* 7 d 5.5 h, across DST */
        assert_true(signal->related[0]->distance_m > 202 && signal->related[0]->distance_m < 203);
        assert_string_equal(signal->beat, "1522");
        assert_string_equal(signal->district, "015");
        assert_int_equal(signal->dissemination, WF__DISSEMINATION__LAW_ENFORCEMENT);
        packed_len[reverse] = wf__spatial_signal__get_packed_size(signal);
        assert_true(packed_len[reverse] <= sizeof packed[reverse]);
        wf__spatial_signal__pack(signal, packed[reverse]);
        spatial_nearrepeat_destroy(&nr);
    }
    assert_int_equal(packed_len[0], packed_len[1]);
    assert_memory_equal(packed[0], packed[1], packed_len[0]);
    spatial_signal_destroy(&builder);
}

static void test_round_trip(void **state)
{
    (void)state;
    s_input_t in;
    s_input(&in);
    spatial_nearrepeat_match_t matches[5];
    s_matches(matches, 5);
    spatial_nearrepeat_result_t result = {SPATIAL_NEARREPEAT_STORED, matches, 5, 0, true};
    spatial_signal_t *builder = s_new(16);
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.body_case = WF__ENVELOPE__BODY_SIGNAL;
    envelope.signal = spatial_signal_build(builder, &in.enriched, &result);
    uint8_t buf[4096];
    size_t len = wf__envelope__get_packed_size(&envelope);
    assert_true(len < sizeof buf);
    wf__envelope__pack(&envelope, buf);
    Wf__Envelope *back = wf__envelope__unpack(NULL, len, buf);
    assert_non_null(back);
    assert_int_equal(back->body_case, WF__ENVELOPE__BODY_SIGNAL);
    const Wf__SpatialSignal *signal = back->signal;
    assert_int_equal(signal->n_related, 5);
    assert_int_equal(signal->related_count, 5);
    assert_memory_equal(signal->related[4]->event_id.data, matches[4].event_id, WF_UUID_LEN);
    assert_string_equal(signal->cell, envelope.signal->cell);
    assert_string_equal(signal->beat, "0725");
    wf__envelope__free_unpacked(back, NULL);
    spatial_signal_destroy(&builder);
}

static void test_new_rejects_bad_config(void **state)
{
    (void)state;
    spatial_signal_config_t bad = {400, 14 * WF_US_PER_DAY, 400, 0};
    assert_null(spatial_signal_new(&bad));
    bad.max_related = 16;
    bad.cell_m = 0;
    assert_null(spatial_signal_new(&bad));
    spatial_signal_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_event),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_signal_is_about_the_later_event),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_new_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
