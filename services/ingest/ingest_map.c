/* ingest_map.c — validation and normalisation of one row into a Wf__NormalizedEvent.
 *
 * Checks run in the order a person fixing the source would want them reported: identity
 * first (record id, time), then the optional parts. The first failing check is the reject.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/err.h>
#include <wf/id.h>

#include "ingest_coords.h"
#include "ingest_kinds.h"
#include "ingest_map.h"
#include "ingest_time.h"

#define S_MAX_PRIORITY 999

struct ingest_map_t {
    const ingest_profile_t *profile; /* borrowed */
    ingest_time_t *time;             /* the profile's time format and zone */
    ingest_coords_t *coords;         /* the profile's CRS and the jurisdiction */
};

ingest_map_t *ingest_map_new(const ingest_profile_t *profile, const double *bbox, char *errbuf,
                             size_t errlen)
{
    ingest_map_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->profile = profile;
    self->time = ingest_time_new(profile->time_format, profile->time_zone, errbuf, errlen);
    if (self->time)
        self->coords =
            ingest_coords_new(profile->crs, bbox, profile->zero_is_missing, errbuf, errlen);
    if (!self->time || !self->coords)
        ingest_map_destroy(&self);
    return self;
}

void ingest_map_destroy(ingest_map_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_time_destroy(&(*self_p)->time);
    ingest_coords_destroy(&(*self_p)->coords);
    free(*self_p);
    *self_p = NULL;
}

static bool s_blank(const char *text)
{
    while (isspace((unsigned char)*text))
        text++;
    return !*text;
}

/* Parses a time field and checks its range. */
static int s_time(ingest_map_t *self, const char *text, ingest_field_t field, int64_t now_us,
                  int64_t *us, ingest_reject_t *reject)
{
    const char *name = ingest_field_name(field);
    int rc = ingest_time_parse(self->time, text, name, us, reject);
    return rc ? rc : ingest_time_check_range(*us, now_us, name, reject);
}

/* The revision as hashed: UTC µs text when it reads as a time, else verbatim. */
static const char *s_revision(ingest_map_t *self, const char *text, ingest_arena_t *arena)
{
    int64_t us;
    ingest_reject_t ignored;
    if (s_blank(text) || ingest_time_parse(self->time, text, "revision", &us, &ignored) != 0)
        return text;
    return ingest_arena_printf(arena, "%" PRId64, us);
}

static int s_priority(const char *text, int32_t *priority, ingest_reject_t *reject)
{
    *priority = 0;
    if (s_blank(text))
        return WF_OK;
    char *end;
    long value = strtol(text, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (*end || end == text || value < 0 || value > S_MAX_PRIORITY) {
        ingest_reject_set(reject, INGEST_R_BAD_PRIORITY, "priority",
                          "priority '%.40s' is not a whole number from 0 to %d", text,
                          S_MAX_PRIORITY);
        return WF_EPARSE;
    }
    *priority = (int32_t)value;
    return WF_OK;
}

/* Everything that can reject, before any allocation. */
typedef struct {
    int64_t occurred_us, reported_us; /* UTC µs; reported 0 when not given */
    int32_t priority;                 /* 0 when not given */
    bool has_location;                /* lon/lat are set */
    double lon, lat;                  /* WGS84 */
} s_checked_t;

static int s_check(ingest_map_t *self, const ingest_row_t *row, int64_t now_us, s_checked_t *out,
                   ingest_reject_t *reject)
{
    static const ingest_field_t required[] = {INGEST_FIELD_RECORD_ID, INGEST_FIELD_OCCURRED_AT};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (s_blank(row->value[required[i]])) {
            const char *name = ingest_field_name(required[i]);
            ingest_reject_set(reject, INGEST_R_MISSING_FIELD, name, "%s is empty", name);
            return WF_EPARSE;
        }
    }
    int rc = s_time(self, row->value[INGEST_FIELD_OCCURRED_AT], INGEST_FIELD_OCCURRED_AT, now_us,
                    &out->occurred_us, reject);
    if (rc)
        return rc;
    out->reported_us = 0;
    if (!s_blank(row->value[INGEST_FIELD_REPORTED_AT]) &&
        (rc = s_time(self, row->value[INGEST_FIELD_REPORTED_AT], INGEST_FIELD_REPORTED_AT, now_us,
                     &out->reported_us, reject)))
        return rc;
    if ((rc = ingest_coords_convert(self->coords, row->value[INGEST_FIELD_X],
                                    row->value[INGEST_FIELD_Y], &out->has_location, &out->lon,
                                    &out->lat, reject)))
        return rc;
    return s_priority(row->value[INGEST_FIELD_PRIORITY], &out->priority, reject);
}

int ingest_map_event(ingest_map_t *self, const ingest_row_t *row, const char *position,
                     int64_t now_us, ingest_arena_t *arena, Wf__NormalizedEvent **event,
                     ingest_reject_t *reject)
{
    *event = NULL;
    s_checked_t checked;
    int rc = s_check(self, row, now_us, &checked, reject);
    if (rc)
        return rc;
    const ingest_profile_t *profile = self->profile;
    Wf__NormalizedEvent *ev = ingest_arena_alloc(arena, sizeof *ev);
    uint8_t *id = ingest_arena_alloc(arena, WF_UUID_LEN);
    const char *revision = s_revision(self, row->value[INGEST_FIELD_REVISION], arena);
    const char *where = ingest_arena_strdup(arena, position ? position : "");
    if (!ev || !id || !revision || !where)
        return WF_ENOMEM;
    wf__normalized_event__init(ev);
    if (checked.has_location) {
        Wf__Point *point = ingest_arena_alloc(arena, sizeof *point);
        if (!point)
            return WF_ENOMEM;
        wf__point__init(point);
        point->lon = checked.lon;
        point->lat = checked.lat;
        ev->location = point;
    }
    wf_uuid_t uuid;
    wf_id_event(&uuid, profile->agency, row->value[INGEST_FIELD_RECORD_ID], revision);
    memcpy(id, uuid.bytes, WF_UUID_LEN);
    ev->event_id.data = id;
    ev->event_id.len = WF_UUID_LEN;
    /* protobuf-c wants char *; these strings are never written through */
    ev->agency = (char *)profile->agency;
    ev->source = (char *)profile->source;
    ev->source_record_id = (char *)row->value[INGEST_FIELD_RECORD_ID];
    ev->revision = (char *)revision;
    ev->kind = (char *)ingest_kinds_match(profile, row->value);
    ev->offense_code = (char *)row->value[INGEST_FIELD_OFFENSE_CODE];
    ev->offense_text = (char *)row->value[INGEST_FIELD_OFFENSE_TEXT];
    ev->occurred_at_us = checked.occurred_us;
    ev->reported_at_us = checked.reported_us;
    ev->address = (char *)row->value[INGEST_FIELD_ADDRESS];
    ev->dissemination = (Wf__Dissemination)profile->dissemination;
    ev->n_attributes = row->attribute_count;
    ev->attributes = row->attributes;
    ev->incident_number = (char *)row->value[INGEST_FIELD_INCIDENT_NUMBER];
    ev->source_district = (char *)row->value[INGEST_FIELD_DISTRICT];
    ev->source_beat = (char *)row->value[INGEST_FIELD_BEAT];
    ev->location_type = (char *)row->value[INGEST_FIELD_LOCATION_TYPE];
    ev->priority = checked.priority;
    ev->source_position = (char *)where;
    *event = ev;
    return WF_OK;
}
