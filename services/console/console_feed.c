/* console_feed.c — bus messages as stream JSON (see console_feed.h). */
#include <stdio.h>
#include <time.h>

#include <wf/id.h>

#include "console_feed.h"

json_t *console_json_time(int64_t us)
{
    if (us == 0)
        return json_null();
    time_t seconds = (time_t)(us / 1000000);
    int64_t micros = us % 1000000;
    if (micros < 0) {
        seconds--;
        micros += 1000000;
    }
    struct tm tm;
    gmtime_r(&seconds, &tm);
    char text[96];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)micros);
    return json_string(text);
}

const char *console_dissemination_name(int value)
{
    static const char *const names[] = {"unspecified", "public", "law_enforcement", "agency_only",
                                        "restricted"};
    return value >= 0 && value < 5 ? names[value] : "unspecified";
}

const char *console_severity_name(int value)
{
    static const char *const names[] = {"unknown", "minor", "moderate", "severe", "extreme"};
    return value >= 0 && value < 5 ? names[value] : "unknown";
}

static json_t *s_id(ProtobufCBinaryData bytes)
{
    if (bytes.len != WF_UUID_LEN)
        return json_null();
    char text[37];
    return json_string(wf_uuid_format(bytes.data, text));
}

static json_t *s_point(const Wf__Point *point)
{
    return point ? json_pack("[f, f]", point->lon, point->lat) : json_null();
}

/* Empty strings are "not known" on the bus; JSON says so with null. */
static json_t *s_text(const char *text)
{
    return text && *text ? json_string(text) : json_null();
}

static json_t *s_event(const Wf__EnrichedEvent *enriched)
{
    const Wf__NormalizedEvent *event = enriched->event;
    if (!event)
        return NULL;
    json_t *hits = json_array();
    for (size_t i = 0; i < enriched->n_hotlist_hits; i++)
        json_array_append_new(hits, json_pack("{s:o, s:o}", "list",
                                              s_text(enriched->hotlist_hits[i]->list), "entry",
                                              s_text(enriched->hotlist_hits[i]->entry_value)));
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o}",
        "event_id", s_id(event->event_id), "agency", s_text(event->agency), "source",
        s_text(event->source), "kind", s_text(event->kind), "offense_code",
        s_text(event->offense_code), "offense_text", s_text(event->offense_text), "occurred_at",
        console_json_time(event->occurred_at_us), "location", s_point(event->location), "address",
        s_text(event->address), "district", s_text(enriched->district), "beat",
        s_text(enriched->beat), "nibrs_code", s_text(enriched->nibrs_code), "nibrs_category",
        s_text(enriched->nibrs_category), "dissemination",
        json_string(console_dissemination_name(event->dissemination)), "hotlist_hits", hits,
        "priority", event->priority, "incident_number", s_text(event->incident_number));
}

static json_t *s_signal(const Wf__SpatialSignal *signal)
{
    json_t *related = json_array();
    for (size_t i = 0; i < signal->n_related; i++) {
        const Wf__RelatedEvent *item = signal->related[i];
        json_array_append_new(related, json_pack("{s:o, s:f, s:I, s:o}", "event_id",
                                                 s_id(item->event_id), "distance_m",
                                                 item->distance_m, "dt_s", (json_int_t)item->dt_s,
                                                 "location", s_point(item->location)));
    }
    return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o, s:f, s:I}",
                     "signal_id", s_id(signal->signal_id), "type", "near_repeat", "event_id",
                     s_id(signal->event_id), "kind", s_text(signal->kind), "location",
                     s_point(signal->location), "occurred_at",
                     console_json_time(signal->occurred_at_us), "related", related, "related_count",
                     (int)signal->related_count, "district", s_text(signal->district), "beat",
                     s_text(signal->beat), "agency", s_text(signal->agency), "radius_m",
                     signal->radius_m, "window_s", (json_int_t)signal->window_s);
}

static json_t *s_alert(const Wf__Alert *alert)
{
    json_t *events = json_array();
    for (size_t i = 0; i < alert->n_event_ids; i++)
        json_array_append_new(events, s_id(alert->event_ids[i]));
    json_t *geofences = json_array();
    for (size_t i = 0; i < alert->n_geofences; i++)
        json_array_append_new(geofences, json_string(alert->geofences[i]));
    return json_pack(
        "{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s,"
        " s:i, s:b, s:o, s:o}",
        "alert_id", s_id(alert->alert_id), "rule_id", s_text(alert->rule_id), "severity",
        console_severity_name(alert->severity), "title", s_text(alert->title), "message",
        s_text(alert->message), "kind", s_text(alert->kind), "district", s_text(alert->district),
        "beat", s_text(alert->beat), "agency", s_text(alert->agency), "location",
        s_point(alert->location), "occurred_at", console_json_time(alert->occurred_at_us),
        "raised_at", console_json_time(alert->raised_at_us), "event_ids", events, "signal_id",
        alert->signal_id.len ? s_id(alert->signal_id) : json_null(), "dedupe_key",
        s_text(alert->dedupe_key), "dissemination",
        console_dissemination_name(alert->dissemination), "state", "new", "match_count",
        (int)alert->match_count, "escalated", alert->escalated, "geofences", geofences,
        "nibrs_category", s_text(alert->nibrs_category));
}

json_t *console_feed_render(const Wf__Envelope *envelope, console_msg_type_t *type,
                            const char **agency)
{
    json_t *body = NULL;
    *agency = NULL;
    switch (envelope->body_case) {
    case WF__ENVELOPE__BODY_ENRICHED:
        if (envelope->enriched->context_only || !envelope->enriched->event)
            return NULL;
        *type = CONSOLE_MSG_EVENT;
        *agency = envelope->enriched->event->agency;
        body = s_event(envelope->enriched);
        break;
    case WF__ENVELOPE__BODY_SIGNAL:
        *type = CONSOLE_MSG_SIGNAL;
        *agency = envelope->signal->agency;
        body = s_signal(envelope->signal);
        break;
    case WF__ENVELOPE__BODY_ALERT:
        *type = CONSOLE_MSG_ALERT;
        *agency = envelope->alert->agency;
        body = s_alert(envelope->alert);
        break;
    default:
        return NULL;
    }
    if (body)
        json_object_set_new(body, "ingest_ts_us", json_integer(envelope->ingest_ts_us));
    return body;
}
