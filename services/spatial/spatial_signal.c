/* spatial_signal.c — enriched events in, NEAR_REPEAT signals out.
 *
 * The signal id is a UUIDv5 of ("near_repeat", event id), so a replayed event yields the same
 * signal id and the keyed write into `signals` absorbs it. Related events are listed nearest
 * first and capped, but related_count keeps the full number so alert rules can threshold on it.
 */
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
    wf_uuid_t signal_id;                /* signal.signal_id points here */
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
    if (!self->related || !self->related_ptrs || !self->related_ids) {
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
    return WF_OK;
}

/* protobuf-c declares string fields char *; the signal only borrows them for one publish. */
static char *s_text(const char *text)
{
    return (char *)(text ? text : "");
}

Wf__SpatialSignal *spatial_signal_build(spatial_signal_t *self, const Wf__EnrichedEvent *enriched,
                                        const spatial_nearrepeat_result_t *result)
{
    const Wf__NormalizedEvent *event = enriched->event;
    Wf__SpatialSignal *signal = &self->signal;
    wf__spatial_signal__init(signal);

    char event_text[WF_UUID_STR_LEN];
    wf_uuid_format(event->event_id.data, event_text);
    const char *parts[] = {"near_repeat", event_text};
    wf_id_derive(&self->signal_id, "signal", parts, 2);
    signal->signal_id.data = self->signal_id.bytes;
    signal->signal_id.len = WF_UUID_LEN;
    signal->type = WF__SIGNAL_TYPE__NEAR_REPEAT;
    signal->event_id = event->event_id;
    signal->kind = s_text(event->kind);
    signal->occurred_at_us = event->occurred_at_us;
    signal->agency = s_text(event->agency);
    signal->district = s_text(enriched->district);
    signal->beat = s_text(enriched->beat);
    signal->dissemination = event->dissemination;
    signal->radius_m = self->config.radius_m;
    signal->window_s = self->config.window_us / WF_US_PER_SEC;

    bool located = event->location != NULL;
    double lon = located ? event->location->lon : 0.0, lat = located ? event->location->lat : 0.0;
    if (located) {
        wf__point__init(&self->location);
        self->location.lon = lon;
        self->location.lat = lat;
        signal->location = &self->location;
        spatial_geo_cell_id(self->cell, sizeof self->cell, lon, lat, self->config.cell_m);
    } else {
        self->cell[0] = '\0';
    }
    signal->cell = self->cell;
    self->key_len = wf_cell_key(self->key, sizeof self->key, located, lon, lat, event->agency);

    size_t listed = result->related_count;
    if (listed > self->config.max_related)
        listed = self->config.max_related;
    for (size_t i = 0; i < listed; i++) {
        Wf__RelatedEvent *related = &self->related[i];
        related->event_id.data = (uint8_t *)result->related[i].event_id;
        related->event_id.len = WF_UUID_LEN;
        related->distance_m = result->related[i].distance_m;
        related->dt_s = result->related[i].dt_s;
        self->related_ids[i] = result->related[i].event_id;
    }
    signal->n_related = listed;
    signal->related = self->related_ptrs;
    signal->related_count =
        result->related_count > UINT32_MAX ? UINT32_MAX : (uint32_t)result->related_count;
    return signal;
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
