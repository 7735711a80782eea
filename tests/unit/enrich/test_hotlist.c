/* test_hotlist.c — enrich_hotlist: which plates and names of an event hit which entries.
 *
 * Events carry ALPR-like attributes as ingest delivers NDJSON keys (plate, camera, …). Near
 * misses that must not match sit next to the hits they resemble.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <wf/err.h>

#include "enrich_hotlist.h"

#define NOW_US 1780000000000000LL /* 2026-05-28 */

static const char *const s_plate_fields[] = {"plate", "license_plate", "tag"};
static const char *const s_person_fields[] = {"driver_name", "owner_name"};
static const enrich_hotlist_fields_t s_fields = {s_plate_fields, 3, s_person_fields, 2};

typedef struct {
    Wf__NormalizedEvent event;
    Wf__Attribute attributes[8];
    Wf__Attribute *ptrs[8];
} s_event_t;

/* An event with attributes name=value, name=value, …, NULL. */
static void s_event(s_event_t *e, ...)
{
    memset(e, 0, sizeof *e);
    wf__normalized_event__init(&e->event);
    va_list ap;
    va_start(ap, e);
    size_t n = 0;
    for (const char *name; n < 8 && (name = va_arg(ap, const char *)) != NULL; n++) {
        wf__attribute__init(&e->attributes[n]);
        e->attributes[n].name = (char *)name;
        e->attributes[n].value = va_arg(ap, char *);
        e->ptrs[n] = &e->attributes[n];
    }
    va_end(ap);
    e->event.attributes = e->ptrs;
    e->event.n_attributes = n;
}

static enrich_hotlist_t *s_lists(unsigned max_substitutions)
{
    enrich_hotlist_t *hotlist = enrich_hotlist_new(max_substitutions);
    assert_non_null(hotlist);
    assert_int_equal(enrich_hotlist_add(hotlist, "stolen-vehicles", ENRICH_HOTLIST_PLATE,
                                        "ABC-1234", "NCIC-V-1", 0),
                     0);
    assert_int_equal(enrich_hotlist_add(hotlist, "stolen-vehicles", ENRICH_HOTLIST_PLATE, "XYZ987",
                                        "NCIC-V-2", NOW_US + 3600000000LL),
                     0);
    assert_int_equal(enrich_hotlist_add(hotlist, "stolen-vehicles", ENRICH_HOTLIST_PLATE, "OLD111",
                                        "NCIC-V-3", NOW_US - 1), /* expired */
                     0);
    assert_int_equal(
        enrich_hotlist_add(hotlist, "amber-alert", ENRICH_HOTLIST_PLATE, "KID500", NULL, 0), 0);
    assert_int_equal(
        enrich_hotlist_add(hotlist, "amber-alert", ENRICH_HOTLIST_PLATE, "ABC1234", "AMB-7", 0), 0);
    assert_int_equal(
        enrich_hotlist_add(hotlist, "wanted", ENRICH_HOTLIST_PERSON, "Doe, John", "W-1", 0), 0);
    assert_int_equal(enrich_hotlist_add(hotlist, "wanted", ENRICH_HOTLIST_PLATE, "---", NULL, 0),
                     WF_EINVAL);
    assert_int_equal(enrich_hotlist_build(hotlist), 0);
    assert_int_equal(enrich_hotlist_count(hotlist, ENRICH_HOTLIST_PLATE), 5);
    assert_int_equal(enrich_hotlist_count(hotlist, ENRICH_HOTLIST_PERSON), 1);
    return hotlist;
}

/* Checks e and returns the number of hits. */
static size_t s_check(const enrich_hotlist_t *hotlist, s_event_t *e, enrich_hotlist_hits_t *hits)
{
    assert_int_equal(enrich_hotlist_check(hotlist, &e->event, &s_fields, NOW_US, hits), 0);
    return hits->count;
}

static const Wf__HotlistHit *s_hit_of(const enrich_hotlist_hits_t *hits, const char *list)
{
    for (size_t i = 0; i < hits->count; i++)
        if (strcmp(hits->hits[i]->list, list) == 0)
            return hits->hits[i];
    fail_msg("no hit on list %s", list);
    return NULL;
}

static void test_exact_plate_hits_every_list(void **state)
{
    (void)state;
    enrich_hotlist_t *hotlist = s_lists(1);
    enrich_hotlist_hits_t hits = {0};
    s_event_t e;
    s_event(&e, "camera", "cam-17", "plate", "abc 1234", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 2); /* stolen-vehicles and amber-alert */
    const Wf__HotlistHit *hit = s_hit_of(&hits, "stolen-vehicles");
    assert_string_equal(hit->entry_type, "plate");
    assert_string_equal(hit->entry_value, "ABC1234");
    assert_string_equal(hit->observed, "abc 1234");
    assert_string_equal(hit->field, "plate");
    assert_int_equal(hit->substitutions, 0);
    assert_string_equal(hit->entry_id, "NCIC-V-1");
    assert_string_equal(s_hit_of(&hits, "amber-alert")->entry_id, "AMB-7");
    enrich_hotlist_hits_fini(&hits);
    enrich_hotlist_destroy(&hotlist);
}

static void test_ocr_confusion(void **state)
{
    (void)state;
    enrich_hotlist_t *hotlist = s_lists(1);
    enrich_hotlist_hits_t hits = {0};
    s_event_t e;
    s_event(&e, "plate", "A8C1234", NULL); /* B read as 8 */
    assert_int_equal(s_check(hotlist, &e, &hits), 2);
    assert_int_equal(s_hit_of(&hits, "stolen-vehicles")->substitutions, 1);
    assert_string_equal(s_hit_of(&hits, "stolen-vehicles")->observed, "A8C1234");
    s_event(&e, "plate", "KlD5OO", NULL); /* l for I, O for 0 twice: three substitutions */
    assert_int_equal(s_check(hotlist, &e, &hits), 0);
    s_event(&e, "plate", "KID5O0", NULL); /* one */
    assert_int_equal(s_check(hotlist, &e, &hits), 1);
    assert_int_equal(hits.hits[0]->substitutions, 1);
    /* near misses no OCR confusion explains: never, whatever the tolerance */
    const char *misses[] = {"ABC1235", "ABC123", "ABC12345", "XBC1234", "ABC1284", "KID501"};
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
        s_event(&e, "plate", misses[i], NULL);
        assert_int_equal(s_check(hotlist, &e, &hits), 0);
    }
    enrich_hotlist_destroy(&hotlist);

    /* two confusions: not with max 1, yes with max 2; none at all with max 0 */
    s_event(&e, "plate", "A8C1Z34", NULL);
    hotlist = s_lists(1);
    assert_int_equal(s_check(hotlist, &e, &hits), 0);
    enrich_hotlist_destroy(&hotlist);
    hotlist = s_lists(2);
    assert_int_equal(s_check(hotlist, &e, &hits), 2);
    assert_int_equal(hits.hits[0]->substitutions, 2);
    enrich_hotlist_destroy(&hotlist);
    hotlist = s_lists(0);
    s_event(&e, "plate", "A8C1234", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 0);
    s_event(&e, "plate", "ABC1234", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 2);
    enrich_hotlist_hits_fini(&hits);
    enrich_hotlist_destroy(&hotlist);
}

static void test_exact_hides_confusable(void **state)
{
    (void)state;
    enrich_hotlist_t *hotlist = enrich_hotlist_new(1);
    assert_int_equal(enrich_hotlist_add(hotlist, "a", ENRICH_HOTLIST_PLATE, "ABC1234", "x", 0), 0);
    assert_int_equal(enrich_hotlist_add(hotlist, "a", ENRICH_HOTLIST_PLATE, "A8C1234", "y", 0), 0);
    assert_int_equal(enrich_hotlist_build(hotlist), 0);
    enrich_hotlist_hits_t hits = {0};
    s_event_t e;
    s_event(&e, "plate", "A8C1234", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 1);
    assert_string_equal(hits.hits[0]->entry_id, "y");
    assert_int_equal(hits.hits[0]->substitutions, 0);
    s_event(&e, "plate", "A8C12E4", NULL); /* E: no entry is confusable */
    assert_int_equal(s_check(hotlist, &e, &hits), 0);
    s_event(&e, "plate", "ABC1Z34", NULL); /* one from ABC1234, two from A8C1234 */
    assert_int_equal(s_check(hotlist, &e, &hits), 1);
    assert_string_equal(hits.hits[0]->entry_id, "x");
    enrich_hotlist_hits_fini(&hits);
    enrich_hotlist_destroy(&hotlist);
}

static void test_fields_expiry_and_persons(void **state)
{
    (void)state;
    enrich_hotlist_t *hotlist = s_lists(1);
    enrich_hotlist_hits_t hits = {0};
    s_event_t e;
    /* field names without regard to case; other fields are not plates even if they look so */
    s_event(&e, "License_Plate", "XYZ-987", "camera", "ABC1234", "notes", "ABC1234", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 1);
    assert_string_equal(hits.hits[0]->entry_value, "XYZ987");
    assert_string_equal(hits.hits[0]->field, "License_Plate");
    /* expired entries never match, and an unexpired one stops matching when its time comes */
    s_event(&e, "plate", "OLD111", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 0);
    s_event(&e, "plate", "XYZ987", NULL);
    assert_int_equal(
        enrich_hotlist_check(hotlist, &e.event, &s_fields, NOW_US + 3600000000LL, &hits), 0);
    assert_int_equal(hits.count, 0);
    /* one entry once per event, even when two fields reach it */
    s_event(&e, "plate", "KID500", "tag", "kid-5oo", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 1);
    assert_string_equal(hits.hits[0]->field, "plate");
    /* persons: exact on the normalised name; no OCR tolerance, no partial names */
    s_event(&e, "driver_name", "DOE  john", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 1);
    assert_string_equal(hits.hits[0]->entry_type, "person");
    assert_string_equal(hits.hits[0]->entry_value, "DOE JOHN");
    assert_string_equal(hits.hits[0]->list, "wanted");
    const char *misses[] = {"DOE JON", "JOHN DOE", "DOE", "D0E JOHN", ""};
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
        s_event(&e, "driver_name", misses[i], NULL);
        assert_int_equal(s_check(hotlist, &e, &hits), 0);
    }
    s_event(&e, "plate", "DOE JOHN", NULL); /* a plate field is not read as a name */
    assert_int_equal(s_check(hotlist, &e, &hits), 0);
    s_event(&e, "plate", "---", "tag", "", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 0);
    /* no lists: nothing */
    s_event(&e, "plate", "ABC1234", NULL);
    assert_int_equal(enrich_hotlist_check(NULL, &e.event, &s_fields, NOW_US, &hits), 0);
    assert_int_equal(hits.count, 0);
    enrich_hotlist_hits_fini(&hits);
    enrich_hotlist_destroy(&hotlist);
}

static void test_hits_json(void **state)
{
    (void)state;
    enrich_hotlist_t *hotlist = s_lists(1);
    enrich_hotlist_hits_t hits = {0};
    s_event_t e;
    s_event(&e, "plate", "A8C-1234", "owner_name", "Doe, John", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 3);
    enrich_json_buf_t buf = {0};
    assert_int_equal(enrich_hotlist_hits_json(&hits, &buf), 0);
    json_error_t error;
    json_t *array = json_loads(buf.text, 0, &error);
    assert_non_null(array);
    assert_int_equal(json_array_size(array), 3);
    json_t *person = json_array_get(array, 2);
    assert_string_equal(json_string_value(json_object_get(person, "list")), "wanted");
    assert_string_equal(json_string_value(json_object_get(person, "entry_type")), "person");
    assert_string_equal(json_string_value(json_object_get(person, "observed")), "Doe, John");
    assert_string_equal(json_string_value(json_object_get(person, "field")), "owner_name");
    assert_string_equal(json_string_value(json_object_get(person, "entry_id")), "W-1");
    json_t *plate = json_array_get(array, 0);
    assert_int_equal(json_integer_value(json_object_get(plate, "substitutions")), 1);
    assert_string_equal(json_string_value(json_object_get(plate, "entry_value")), "ABC1234");
    json_decref(array);
    /* bytes that are not UTF-8 in the observed value are replaced, the JSON stays valid */
    s_event(&e, "plate", "ABC1234\xff", NULL);
    assert_int_equal(s_check(hotlist, &e, &hits), 2);
    assert_int_equal(enrich_hotlist_hits_json(&hits, &buf), 0);
    array = json_loads(buf.text, 0, &error);
    assert_non_null(array);
    assert_string_equal(json_string_value(json_object_get(json_array_get(array, 0), "observed")),
                        "ABC1234\xef\xbf\xbd");
    json_decref(array);
    enrich_json_buf_fini(&buf);
    enrich_hotlist_hits_fini(&hits);
    enrich_hotlist_destroy(&hotlist);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_plate_hits_every_list),
        cmocka_unit_test(test_ocr_confusion),
        cmocka_unit_test(test_exact_hides_confusable),
        cmocka_unit_test(test_fields_expiry_and_persons),
        cmocka_unit_test(test_hits_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
