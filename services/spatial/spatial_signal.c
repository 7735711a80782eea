/* spatial_signal.c — enriched events in, NEAR_REPEAT signals out.
 *
 * The signal id is a UUIDv5 of ("near_repeat", event id), so a replayed event yields the same
 * signal id and the keyed write into `signals` absorbs it; a revision (an earlier partner
 * arrived late) keeps the id and lists more related events, and the write keeps the longest list.
 * Related events are listed nearest first and capped, but related_count keeps the full number so
 * alert rules can threshold on it.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wf/cell.h>
#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>

#include "spatial_geo.h"
#include "spatial_signal.h"

struct spatial_signal_t {
    spatial_signal_config_t config;     /* copy */
    Wf__SpatialSignal signal;           /* the message handed out by build */
    Wf__Point location;                 /* signal.location points here */
    Wf__RelatedEvent *related;          /* max_related messages */
    Wf__RelatedEvent **related_ptrs;    /* signal.related points here */
    const uint8_t **related_ids;        /* the same ids for a uuid[] column */
    Wf__Point *related_locations;       /* where each related event happened */
    wf_uuid_t signal_id;                /* signal.signal_id points here */
    uint8_t event_id[WF_UUID_LEN];      /* signal.event_id points here */
    char cell[SPATIAL_GEO_CELL_ID_LEN]; /* hotspot identity */
    char key[WF_CELL_KEY_LEN];          /* partition key */
    size_t key_len;                     /* its length */
};

spatial_signal_t *spatial_signal_new(const spatial_signal_config_t *config)
{
    if (!config || !(config->radius_m > 0) || config->window_us <= 0 || !(config->cell_m > 0) ||
        config->max_related == 0)
        return NULL;
    spatial_signal_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    self->related = calloc(config->max_related, sizeof *self->related);
    self->related_ptrs = calloc(config->max_related, sizeof *self->related_ptrs);
    self->related_ids = calloc(config->max_related, sizeof *self->related_ids);
    self->related_locations = calloc(config->max_related, sizeof *self->related_locations);
    if (!self->related || !self->related_ptrs || !self->related_ids || !self->related_locations) {
        spatial_signal_destroy(&self);
        return NULL;
    }
    for (size_t i = 0; i < config->max_related; i++) {
        wf__related_event__init(&self->related[i]);
        self->related_ptrs[i] = &self->related[i];
    }
    return self;
}

void spatial_signal_destroy(spatial_signal_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    spatial_signal_t *self = *self_p;
    free(self->related);
    free(self->related_ptrs);
    free(self->related_ids);
    free(self->related_locations);
    free(self);
    *self_p = NULL;
}

int spatial_signal_read_event(const Wf__EnrichedEvent *enriched, int64_t arrived_us,
                              spatial_nearrepeat_event_t *event, const char **reason_code,
                              const char **field)
{
    const Wf__NormalizedEvent *source = enriched ? enriched->event : NULL;
    if (!source) {
        *reason_code = "missing_event";
        *field = "event";
        return WF_EPROTO;
    }
    if (source->event_id.len != WF_UUID_LEN || !source->event_id.data) {
        *reason_code = "bad_event_id";
        *field = "event_id";
        return WF_EPROTO;
    }
    memset(event, 0, sizeof *event);
    event->event_id = source->event_id.data;
    event->agency = source->agency;
    event->source_record_id = source->source_record_id;
    event->kind = source->kind;
    event->occurred_us = source->occurred_at_us;
    event->reported_us = source->reported_at_us;
    event->has_location = source->location != NULL;
    if (source->location) {
        event->lon = source->location->lon;
        event->lat = source->location->lat;
    }
    event->arrived_us = arrived_us;
    event->district = enriched->district;
    event->beat = enriched->beat;
    event->dissemination = (int)source->dissemination;
    event->context_only = enriched->context_only;
    return WF_OK;
}

/* protobuf-c declares string fields char *; the signal only borrows them for one publish. */
static char *s_text(const char *text)
{
    return (char *)(text ? text : "");
}

/* What a signal says about its event, from a message or from the detector's memory. */
typedef struct {
    const uint8_t *event_id; /* 16 bytes */
    const char *kind, *agency, *district, *beat;
    int64_t occurred_us;
    int dissemination;
    bool located;
    double lon, lat;
} s_subject_t;

static Wf__SpatialSignal *s_build(spatial_signal_t *self, const s_subject_t *subject,
                                  const spatial_nearrepeat_match_t *related, size_t related_count)
{
    Wf__SpatialSignal *signal = &self->signal;
    wf__spatial_signal__init(signal);

    char event_text[WF_UUID_STR_LEN];
    wf_uuid_format(subject->event_id, event_text);
    const char *parts[] = {"near_repeat", event_text};
    wf_id_derive(&self->signal_id, "signal", parts, 2);
    signal->signal_id.data = self->signal_id.bytes;
    signal->signal_id.len = WF_UUID_LEN;
    signal->type = WF__SIGNAL_TYPE__NEAR_REPEAT;
    memcpy(self->event_id, subject->event_id, WF_UUID_LEN);
    signal->event_id.data = self->event_id;
    signal->event_id.len = WF_UUID_LEN;
    signal->kind = s_text(subject->kind);
    signal->occurred_at_us = subject->occurred_us;
    signal->agency = s_text(subject->agency);
    signal->district = s_text(subject->district);
    signal->beat = s_text(subject->beat);
    signal->dissemination = (Wf__Dissemination)subject->dissemination;
    signal->radius_m = self->config.radius_m;
    signal->window_s = self->config.window_us / WF_US_PER_SEC;

    if (subject->located) {
        wf__point__init(&self->location);
        self->location.lon = subject->lon;
        self->location.lat = subject->lat;
        signal->location = &self->location;
        spatial_geo_cell_id(self->cell, sizeof self->cell, subject->lon, subject->lat,
                            self->config.cell_m);
    } else {
        self->cell[0] = '\0';
    }
    signal->cell = self->cell;
    self->key_len = wf_cell_key(self->key, sizeof self->key, subject->located, subject->lon,
                                subject->lat, subject->agency);

    size_t listed = related_count;
    if (listed > self->config.max_related)
        listed = self->config.max_related;
    for (size_t i = 0; i < listed; i++) {
        Wf__RelatedEvent *item = &self->related[i];
        item->event_id.data = (uint8_t *)related[i].event_id;
        item->event_id.len = WF_UUID_LEN;
        item->distance_m = related[i].distance_m;
        item->dt_s = related[i].dt_s;
        self->related_locations[i] = (Wf__Point)WF__POINT__INIT;
        self->related_locations[i].lon = related[i].lon;
        self->related_locations[i].lat = related[i].lat;
        item->location = &self->related_locations[i];
        self->related_ids[i] = related[i].event_id;
    }
    signal->n_related = listed;
    signal->related = self->related_ptrs;
    signal->related_count = related_count > UINT32_MAX ? UINT32_MAX : (uint32_t)related_count;
    return signal;
}

Wf__SpatialSignal *spatial_signal_build(spatial_signal_t *self, const Wf__EnrichedEvent *enriched,
                                        const spatial_nearrepeat_result_t *result)
{
    const Wf__NormalizedEvent *event = enriched->event;
    s_subject_t subject = {
        .event_id = event->event_id.data,
        .kind = event->kind,
        .agency = event->agency,
        .district = enriched->district,
        .beat = enriched->beat,
        .occurred_us = event->occurred_at_us,
        .dissemination = (int)event->dissemination,
        .located = event->location != NULL,
        .lon = event->location ? event->location->lon : 0.0,
        .lat = event->location ? event->location->lat : 0.0,
    };
    return s_build(self, &subject, result->related, result->related_count);
}

Wf__SpatialSignal *spatial_signal_build_revision(spatial_signal_t *self,
                                                 const spatial_nearrepeat_revision_t *revision)
{
    const spatial_nearrepeat_event_t *event = &revision->event;
    s_subject_t subject = {
        .event_id = event->event_id,
        .kind = event->kind,
        .agency = event->agency,
        .district = event->district,
        .beat = event->beat,
        .occurred_us = event->occurred_us,
        .dissemination = event->dissemination,
        .located = event->has_location,
        .lon = event->lon,
        .lat = event->lat,
    };
    return s_build(self, &subject, revision->related, revision->related_count);
}

const uint8_t *const *spatial_signal_related_ids(const spatial_signal_t *self, size_t *count)
{
    *count = self->signal.n_related;
    return self->related_ids;
}

const char *spatial_signal_key(const spatial_signal_t *self, size_t *len)
{
    *len = self->key_len;
    return self->key;
}
