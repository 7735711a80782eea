/* enrich_event.c — checking, assigning and describing one event.
 *
 * The per-event logic of enrich between receiving a NormalizedEvent and handing the glue what to
 * persist and publish: the two-key check the events table needs, district/beat assignment with
 * the source's own codes as tie-breakers, the enriched message, the attributes JSON object and
 * dead letters. Nothing here touches the transport or PostGIS.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <wf/err.h>

#include "enrich_event.h"

int enrich_event_check(const Wf__NormalizedEvent *event, enrich_event_reject_t *reject)
{
    if (event->event_id.len != WF_UUID_LEN || !event->event_id.data) {
        *reject = (enrich_event_reject_t){"missing_event_id", "event_id",
                                          "event id is not a 16-byte UUID"};
        return WF_EINVAL;
    }
    if (event->occurred_at_us == 0) {
        *reject = (enrich_event_reject_t){"missing_occurred_at", "occurred_at_us",
                                          "occurred time is missing"};
        return WF_EINVAL;
    }
    const Wf__Point *point = event->location;
    if (point && !(isfinite(point->lon) && isfinite(point->lat) && fabs(point->lon) <= 180 &&
                   fabs(point->lat) <= 90)) {
        *reject = (enrich_event_reject_t){"bad_coordinates", "location",
                                          "location is not a WGS84 longitude/latitude"};
        return WF_EINVAL;
    }
    return WF_OK;
}

/* Method for the event as a whole: the finest layer that the boundary set has. */
static Wf__AreaMethod s_event_method(const enrich_areas_t *areas,
                                     const enrich_assignment_t *assignment)
{
    if (enrich_areas_count(areas, ENRICH_LAYER_BEAT) > 0)
        return assignment->beat_method;
    return assignment->district_method;
}

void enrich_event_assign(enrich_areas_t *areas, const Wf__NormalizedEvent *event,
                         double tolerance_m, enrich_assignment_t *assignment)
{
    enrich_area_match_t beat, district;
    const char *district_hint = event->source_district;
    if (event->location) {
        double lon = event->location->lon, lat = event->location->lat;
        enrich_areas_lookup(areas, ENRICH_LAYER_BEAT, lon, lat, event->source_beat, tolerance_m,
                            &beat);
        if ((!district_hint || !*district_hint) && beat.parent_code)
            district_hint = beat.parent_code;
        enrich_areas_lookup(areas, ENRICH_LAYER_DISTRICT, lon, lat, district_hint, tolerance_m,
                            &district);
    } else {
        enrich_areas_lookup_reported(areas, ENRICH_LAYER_BEAT, event->source_beat, &beat);
        enrich_areas_lookup_reported(areas, ENRICH_LAYER_DISTRICT, district_hint, &district);
    }
    if (!district.code && beat.parent_code) {
        /* the beat is known (found or reported) and names its district */
        district.code = enrich_areas_find(areas, ENRICH_LAYER_DISTRICT, beat.parent_code, NULL);
        if (district.code)
            district.method = beat.method;
    }
    assignment->district = district.code;
    assignment->beat = beat.code;
    assignment->district_method = district.method;
    assignment->beat_method = beat.method;
    assignment->method = s_event_method(areas, assignment);
}

void enrich_event_enriched(Wf__EnrichedEvent *out, Wf__NormalizedEvent *event,
                           const enrich_assignment_t *assignment, const char *boundary_set,
                           int64_t enriched_at_us)
{
    /* protobuf-c declares strings char * although packing never writes through them */
    out->event = event;
    out->district = (char *)(assignment->district ? assignment->district : "");
    out->beat = (char *)(assignment->beat ? assignment->beat : "");
    out->area_method = assignment->method;
    out->enriched_at_us = enriched_at_us;
    out->boundary_version = (char *)(boundary_set ? boundary_set : "");
}

const char *enrich_event_method_name(Wf__AreaMethod method)
{
    switch (method) {
    case WF__AREA_METHOD__POINT_IN_POLYGON:
        return "point_in_polygon";
    case WF__AREA_METHOD__BOUNDARY_TIE:
        return "boundary_tie";
    case WF__AREA_METHOD__NEAREST:
        return "nearest";
    case WF__AREA_METHOD__SOURCE_REPORTED:
        return "source_reported";
    case WF__AREA_METHOD__NOT_FOUND:
        return "not_found";
    default:
        return "unspecified";
    }
}

const char *enrich_event_dissemination_name(Wf__Dissemination dissemination)
{
    switch (dissemination) {
    case WF__DISSEMINATION__PUBLIC:
        return "public";
    case WF__DISSEMINATION__LAW_ENFORCEMENT:
        return "law_enforcement";
    case WF__DISSEMINATION__AGENCY_ONLY:
        return "agency_only";
    case WF__DISSEMINATION__RESTRICTED:
        return "restricted";
    default:
        return "unspecified";
    }
}

/* Length of the valid UTF-8 sequence at p (1–4 bytes), 0 when invalid. */
static size_t s_utf8_len(const unsigned char *p, size_t avail)
{
    if (p[0] < 0x80)
        return 1;
    size_t n = (p[0] & 0xE0) == 0xC0   ? 2
               : (p[0] & 0xF0) == 0xE0 ? 3
               : (p[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || n > avail || (n == 2 && p[0] < 0xC2) || (n == 4 && p[0] > 0xF4))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0;
    return n;
}

/* Invalid UTF-8 bytes become U+FFFD (only then is a copy made). */
json_t *enrich_json_text(const char *text)
{
    const char *value = text ? text : "";
    json_t *json = json_string(value);
    if (json)
        return json;
    size_t n = strlen(value);
    char *clean = malloc(n * 3 + 1);
    if (!clean)
        return NULL;
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t len = s_utf8_len((const unsigned char *)value + i, n - i);
        if (len == 0) {
            memcpy(clean + out, "\xEF\xBF\xBD", 3);
            out += 3;
            i++;
        } else {
            memcpy(clean + out, value + i, len);
            out += len;
            i += len;
        }
    }
    json = json_stringn(clean, out);
    free(clean);
    return json;
}

/* Adds one attribute, always taking the reference to value. A name seen before turns its value
 * into an array of every value in source order, so repeated column names lose nothing. */
static int s_json_put(json_t *object, const char *name, json_t *value)
{
    json_t *seen = json_object_get(object, name);
    if (!seen)
        return json_object_set_new(object, name, value);
    if (json_is_array(seen))
        return json_array_append_new(seen, value);
    json_t *all = json_array();
    if (!all || json_array_append(all, seen) != 0) {
        json_decref(all);
        json_decref(value);
        return -1;
    }
    if (json_array_append_new(all, value) != 0) {
        json_decref(all);
        return -1;
    }
    return json_object_set_new(object, name, all);
}

int enrich_json_dump(const json_t *object, enrich_json_buf_t *buf)
{
    size_t need = json_dumpb(object, buf->text, buf->cap, JSON_COMPACT);
    if (need == 0)
        return WF_ENOMEM;
    if (need + 1 > buf->cap) {
        char *grown = realloc(buf->text, need + 1);
        if (!grown)
            return WF_ENOMEM;
        buf->text = grown;
        buf->cap = need + 1;
        need = json_dumpb(object, buf->text, buf->cap, JSON_COMPACT);
    }
    buf->text[need] = '\0';
    buf->len = need;
    return WF_OK;
}

int enrich_event_attributes_json(const Wf__NormalizedEvent *event, enrich_json_buf_t *buf)
{
    json_t *object = json_object();
    int rc = object ? WF_OK : WF_ENOMEM;
    for (size_t i = 0; rc == WF_OK && i < event->n_attributes; i++) {
        const Wf__Attribute *attribute = event->attributes[i];
        json_t *name = enrich_json_text(attribute->name);
        json_t *value = enrich_json_text(attribute->value);
        if (!name || !value) {
            json_decref(value);
            rc = WF_ENOMEM;
        } else if (s_json_put(object, json_string_value(name), value) != 0) {
            rc = WF_ENOMEM;
        }
        json_decref(name);
    }
    if (rc == WF_OK)
        rc = enrich_json_dump(object, buf);
    json_decref(object);
    return rc;
}

void enrich_json_buf_fini(enrich_json_buf_t *buf)
{
    free(buf->text);
    buf->text = NULL;
    buf->len = buf->cap = 0;
}

int enrich_event_dead_letter(Wf__DeadLetter *dead_letter, wf_uuid_t *id,
                             const enrich_dead_letter_in_t *in)
{
    static const char hex[] = "0123456789abcdef";
    char *raw_text = malloc(in->raw_len * 2 + 1);
    if (!raw_text)
        return WF_ENOMEM;
    size_t at = 0;
    for (size_t i = 0; i < in->raw_len; i++) {
        if (in->raw_is_text) {
            raw_text[at++] = (char)in->raw[i];
        } else {
            raw_text[at++] = hex[in->raw[i] >> 4];
            raw_text[at++] = hex[in->raw[i] & 15];
        }
    }
    raw_text[at] = '\0';
    const char *parts[] = {"enrich", in->source ? in->source : "", in->position ? in->position : "",
                           raw_text};
    wf_id_derive(id, "dead_letter", parts, 4);
    free(raw_text);

    dead_letter->dead_letter_id.data = id->bytes;
    dead_letter->dead_letter_id.len = WF_UUID_LEN;
    dead_letter->stage = (char *)"enrich";
    dead_letter->source = (char *)(in->source ? in->source : "");
    dead_letter->position = (char *)(in->position ? in->position : "");
    dead_letter->raw.data = (uint8_t *)in->raw;
    dead_letter->raw.len = in->raw_len;
    dead_letter->raw_length = in->raw_len;
    dead_letter->reason_code = (char *)in->reason_code;
    dead_letter->reason = (char *)(in->reason ? in->reason : "");
    dead_letter->field = (char *)(in->field ? in->field : "");
    dead_letter->received_at_us = in->received_at_us;
    return WF_OK;
}
