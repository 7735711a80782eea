/* alert_engine.c — subjects from messages, rules × throttle, and the Wf__Alert they raise.
 *
 * The engine keeps one reusable set of buffers for outcomes and for the alert being built, so
 * evaluating a message allocates nothing in steady state. Messages that cannot be evaluated
 * (no event inside an enriched envelope, an id that is not 16 bytes, no event time) come back
 * as rejects for the dead-letter path instead of being skipped silently.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/cell.h>
#include <wf/err.h>

#include "alert_engine.h"
#include "alert_geofences.h"

#define ESCALATION_SUFFIX "#escalate" /* rule ids never hold '#': a namespace of their own */

_Static_assert((int)ALERT_SEVERITY_EXTREME == (int)WF__SEVERITY__EXTREME &&
                   (int)ALERT_SEVERITY_MINOR == (int)WF__SEVERITY__MINOR,
               "rule severities must equal Wf__Severity");
_Static_assert((int)ALERT_SIGNAL_NEAR_REPEAT == (int)WF__SIGNAL_TYPE__NEAR_REPEAT,
               "rule signal types must equal Wf__SignalType");

struct alert_engine_t {
    alert_rules_t *rules;            /* rule set in use (owned) */
    alert_throttle_t *throttle;      /* windows already raised (owned) */
    double cell_m;                   /* grid cell side for events */
    alert_engine_config_t config;    /* to rebuild the throttle on a reset */
    alert_outcome_t *outcomes;       /* one slot per rule, reused per eval */
    size_t n_outcomes;               /* slots in outcomes */
    bool locate;                     /* some rule has a geofences condition */
    Wf__Alert alert;                 /* the alert being built */
    Wf__Point point;                 /* its location */
    ProtobufCBinaryData *ids;        /* its event ids (the bytes are borrowed) */
    size_t ids_cap;                  /* slots in ids */
    uint8_t alert_id[WF_UUID_LEN];   /* bytes behind alert.alert_id */
    char title[ALERT_TITLE_LEN];     /* rendered title */
    char message[ALERT_MESSAGE_LEN]; /* rendered message */
    char dedupe_key[ALERT_KEY_LEN];  /* copy: the outcome may be overwritten by the next eval */
    bool *inside;                    /* subject->inside of the current eval */
    size_t inside_cap;               /* slots in inside */
    char **fence_names;              /* alert.geofences (names borrowed from the rule set) */
    size_t fence_names_cap;          /* slots in fence_names */
    Wf__HotlistHit **hits;           /* alert.hotlist_hits (borrowed from the subject) */
    size_t hits_cap;                 /* slots in hits */
};

alert_engine_t *alert_engine_new(alert_rules_t **rules_p, const alert_engine_config_t *config)
{
    alert_engine_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cell_m = config->cell_m;
    self->config = *config;
    self->throttle = alert_throttle_new(config->lateness_us, config->max_entries);
    if (!self->throttle || alert_engine_set_rules(self, rules_p) != WF_OK)
        alert_engine_destroy(&self);
    return self;
}

void alert_engine_destroy(alert_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    alert_engine_t *self = *self_p;
    alert_rules_destroy(&self->rules);
    alert_throttle_destroy(&self->throttle);
    for (size_t i = 0; self->outcomes && i < self->n_outcomes; i++)
        free(self->outcomes[i].counted);
    free(self->outcomes);
    free(self->ids);
    free(self->inside);
    free(self->fence_names);
    free(self->hits);
    free(self);
    *self_p = NULL;
}

int alert_engine_set_rules(alert_engine_t *self, alert_rules_t **rules_p)
{
    size_t n = alert_rules_count(*rules_p);
    alert_outcome_t *outcomes = calloc(n ? n : 1, sizeof *outcomes);
    if (!outcomes)
        return WF_ENOMEM;
    for (size_t i = 0; self->outcomes && i < self->n_outcomes; i++)
        free(self->outcomes[i].counted);
    free(self->outcomes);
    self->outcomes = outcomes;
    self->n_outcomes = n ? n : 1;
    alert_rules_destroy(&self->rules);
    self->rules = *rules_p;
    *rules_p = NULL;
    self->locate = false;
    for (size_t i = 0; i < n; i++) {
        const alert_rule_t *rule = alert_rules_get(self->rules, i);
        for (size_t c = 0; c < rule->n_conds; c++)
            self->locate |= rule->conds[c].op == ALERT_OP_INSIDE;
    }
    return WF_OK;
}

int alert_engine_reset_throttle(alert_engine_t *self)
{
    alert_throttle_t *fresh =
        alert_throttle_new(self->config.lateness_us, self->config.max_entries);
    if (!fresh)
        return WF_ENOMEM;
    alert_throttle_destroy(&self->throttle);
    self->throttle = fresh;
    return WF_OK;
}

int64_t alert_engine_max_window_us(const alert_engine_t *self)
{
    int64_t longest = 0;
    for (size_t i = 0; i < alert_rules_count(self->rules); i++) {
        const alert_rule_t *rule = alert_rules_get(self->rules, i);
        if (rule->window_us > longest)
            longest = rule->window_us;
        if (rule->escalate.count && rule->escalate.within_us > longest)
            longest = rule->escalate.within_us;
    }
    return longest + self->config.lateness_us;
}

const alert_rules_t *alert_engine_rules(const alert_engine_t *self)
{
    return self->rules;
}

const alert_throttle_t *alert_engine_throttle(const alert_engine_t *self)
{
    return self->throttle;
}

static const char *s_str(const char *text)
{
    return text ? text : "";
}

static int s_reject(alert_reject_t *reject, const char *code, const char *field,
                    const char *message)
{
    reject->code = code;
    reject->field = field;
    snprintf(reject->message, sizeof reject->message, "%s", message);
    return WF_EPARSE;
}

/* Takes the point when it is a real WGS84 position and derives its grid cell. */
static void s_locate(const alert_engine_t *self, alert_subject_t *subject, const Wf__Point *point)
{
    subject->has_location = false;
    subject->cell[0] = '\0';
    if (!point || alert_cell_id(subject->cell, sizeof subject->cell, point->lon, point->lat,
                                self->cell_m) != WF_OK)
        return;
    subject->has_location = true;
    subject->lon = point->lon;
    subject->lat = point->lat;
}

int alert_engine_subject_from_enriched(const alert_engine_t *self,
                                       const Wf__EnrichedEvent *enriched, alert_subject_t *subject,
                                       alert_reject_t *reject)
{
    memset(subject, 0, sizeof *subject);
    const Wf__NormalizedEvent *event = enriched ? enriched->event : NULL;
    if (!event)
        return s_reject(reject, "missing_event", "event", "enriched event carries no event");
    if (event->event_id.len != WF_UUID_LEN)
        return s_reject(reject, "bad_event_id", "event.event_id", "event id is not 16 bytes");
    if (event->occurred_at_us == 0)
        return s_reject(reject, "missing_time", "event.occurred_at_us",
                        "event has no occurred time, so no throttle window");
    subject->on = ALERT_ON_EVENT;
    subject->signal = ALERT_SIGNAL_NONE;
    subject->kind = s_str(event->kind);
    subject->agency = s_str(event->agency);
    subject->district = s_str(enriched->district);
    subject->beat = s_str(enriched->beat);
    subject->address = s_str(event->address);
    subject->nibrs_code = s_str(enriched->nibrs_code);
    subject->nibrs_category = s_str(enriched->nibrs_category);
    subject->crime_against = s_str(enriched->crime_against);
    subject->priority = event->priority;
    subject->hotlist_hits = enriched->hotlist_hits;
    subject->n_hotlist_hits = enriched->n_hotlist_hits;
    subject->occurred_us = event->occurred_at_us;
    wf_uuid_format(event->event_id.data, subject->event_id);
    s_locate(self, subject, event->location);
    subject->enriched = enriched;
    return WF_OK;
}

int alert_engine_subject_from_signal(const alert_engine_t *self, const Wf__SpatialSignal *spatial,
                                     alert_subject_t *subject, alert_reject_t *reject)
{
    memset(subject, 0, sizeof *subject);
    if (!spatial || spatial->event_id.len != WF_UUID_LEN)
        return s_reject(reject, "bad_event_id", "event_id", "signal event id is not 16 bytes");
    if (spatial->occurred_at_us == 0)
        return s_reject(reject, "missing_time", "occurred_at_us",
                        "signal has no occurred time, so no throttle window");
    subject->on = ALERT_ON_SIGNAL;
    subject->signal = (alert_signal_t)spatial->type;
    subject->kind = s_str(spatial->kind);
    subject->agency = s_str(spatial->agency);
    subject->district = s_str(spatial->district);
    subject->beat = s_str(spatial->beat);
    subject->address = "";
    /* a signal carries no classification, priority or hot-list hits (rules on them need
     * on: event, which the rule loader enforces) */
    subject->nibrs_code = "";
    subject->nibrs_category = "";
    subject->crime_against = "";
    subject->related_count = spatial->related_count;
    subject->occurred_us = spatial->occurred_at_us;
    wf_uuid_format(spatial->event_id.data, subject->event_id);
    s_locate(self, subject, spatial->location);
    if (spatial->cell && spatial->cell[0]) /* spatial's hotspot identity wins */
        snprintf(subject->cell, sizeof subject->cell, "%s", spatial->cell);
    subject->spatial = spatial;
    return WF_OK;
}

/* Points subject->inside at the geofences containing its point (NULL when unlocated, there
 * are no geofences or memory is short: geofence conditions then do not hold). */
static void s_locate_in_geofences(alert_engine_t *self, alert_subject_t *subject)
{
    alert_geofences_t *geofences = alert_rules_geofences(self->rules);
    size_t n = alert_geofences_count(geofences);
    subject->inside = NULL;
    subject->n_inside = 0;
    if (n == 0 || !subject->has_location || !self->locate)
        return; /* no rule asks: spare the lookup */
    if (n > self->inside_cap) {
        bool *inside = realloc(self->inside, n * sizeof *inside);
        if (!inside)
            return;
        self->inside = inside;
        self->inside_cap = n;
    }
    alert_geofences_locate(geofences, subject->lon, subject->lat, self->inside);
    subject->inside = self->inside;
    subject->n_inside = n;
}

/* Counts the match toward the rule's escalation; sets outcome->escalate on the count-th
 * distinct event of the key in the escalation window. */
static void s_escalation_count(alert_engine_t *self, alert_outcome_t *outcome,
                               const alert_subject_t *subject, const uint8_t event_id[WF_UUID_LEN],
                               int64_t now_us)
{
    const alert_rule_t *rule = outcome->rule;
    char counter_id[sizeof ESCALATION_SUFFIX + 80];
    snprintf(counter_id, sizeof counter_id, "%s" ESCALATION_SUFFIX, rule->id);
    /* Counted per transport cell (the partition key every producer uses): over Kafka one copy
     * owns a cell, so several copies count exactly what one copy or ZeroMQ counts. */
    const Wf__Point *point =
        subject->spatial ? subject->spatial->location : subject->enriched->event->location;
    char cell[WF_CELL_KEY_LEN], counter_key[ALERT_KEY_LEN + WF_CELL_KEY_LEN + 2];
    wf_cell_key(cell, sizeof cell, point != NULL, point ? point->lon : 0, point ? point->lat : 0,
                subject->agency);
    snprintf(counter_key, sizeof counter_key, "%s@%s", outcome->dedupe_key, cell);
    alert_throttle_result_t counted;
    int rc = alert_throttle_check_distinct(self->throttle, counter_id, counter_key, event_id,
                                           rule->escalate.count, subject->occurred_us,
                                           rule->escalate.within_us, now_us, &counted);
    outcome->match_count = counted.matches;
    outcome->escalation_window_start_us = counted.window_start_us;
    if (rc != WF_OK || counted.duplicate || counted.matches != rule->escalate.count)
        return;
    if (counted.n_members > outcome->counted_cap) {
        uint8_t(*ids)[WF_UUID_LEN] = realloc(outcome->counted, counted.n_members * sizeof *ids);
        if (!ids)
            return; /* the escalation is raised with the trigger alone */
        outcome->counted = ids;
        outcome->counted_cap = counted.n_members;
    }
    if (outcome->counted_cap >= counted.n_members) {
        memcpy(outcome->counted, counted.members, counted.n_members * sizeof *counted.members);
        outcome->n_counted = counted.n_members;
    }
    outcome->escalate = true;
    outcome->escalate_late = counted.late;
    alert_throttle_escalation_id(&outcome->escalation_id, rule->id, outcome->dedupe_key,
                                 counted.window_start_us,
                                 alert_severity_name(rule->escalate.severity));
}

size_t alert_engine_eval(alert_engine_t *self, alert_subject_t *subject, int64_t now_us,
                         const alert_outcome_t **outcomes)
{
    s_locate_in_geofences(self, subject);
    const uint8_t *event_id = subject->spatial    ? subject->spatial->event_id.data
                              : subject->enriched ? subject->enriched->event->event_id.data
                                                  : NULL;
    size_t n = 0, count = alert_rules_count(self->rules);
    for (size_t i = 0; i < count; i++) {
        const alert_rule_t *rule = alert_rules_get(self->rules, i);
        if (!alert_rule_match(rule, subject))
            continue;
        alert_outcome_t *outcome = &self->outcomes[n++];
        outcome->rule = rule;
        outcome->escalate = false;
        outcome->escalate_late = false;
        outcome->n_counted = 0;
        alert_dedupe_key(rule, subject, outcome->dedupe_key, sizeof outcome->dedupe_key);
        /* WF_ENOMEM still reports raise: better a repeated alert than a lost one */
        alert_throttle_check(self->throttle, rule->id, outcome->dedupe_key, subject->occurred_us,
                             rule->window_us, now_us, &outcome->throttle);
        outcome->match_count = outcome->throttle.matches;
        if (outcome->throttle.raise)
            alert_throttle_alert_id(&outcome->alert_id, rule->id, outcome->dedupe_key,
                                    outcome->throttle.window_start_us);
        if (rule->escalate.count && event_id)
            s_escalation_count(self, outcome, subject, event_id, now_us);
    }
    *outcomes = self->outcomes;
    return n;
}

/* Room for want geofence names / hot-list hits in the alert being built; false when memory is
 * short (the alert then goes without them rather than not at all). */
static bool s_reserve_names(alert_engine_t *self, size_t want)
{
    if (want <= self->fence_names_cap)
        return true;
    char **grown = realloc(self->fence_names, want * sizeof *grown);
    if (grown) {
        self->fence_names = grown;
        self->fence_names_cap = want;
    }
    return grown != NULL;
}

static bool s_reserve_hits(alert_engine_t *self, size_t want)
{
    if (want <= self->hits_cap)
        return true;
    Wf__HotlistHit **grown = realloc(self->hits, want * sizeof *grown);
    if (grown) {
        self->hits = grown;
        self->hits_cap = want;
    }
    return grown != NULL;
}

/* Event ids: the trigger first, then the signal's related events (16-byte ids only). */
static size_t s_collect_ids(alert_engine_t *self, const alert_subject_t *subject)
{
    const Wf__SpatialSignal *spatial = subject->spatial;
    size_t want = 1 + (spatial ? spatial->n_related : 0);
    if (want > self->ids_cap) {
        ProtobufCBinaryData *ids = realloc(self->ids, want * sizeof *ids);
        if (!ids)
            want = self->ids_cap; /* keep what fits; the trigger always does after the first */
        else {
            self->ids = ids;
            self->ids_cap = want;
        }
    }
    if (self->ids_cap == 0)
        return 0;
    size_t n = 0;
    self->ids[n++] = spatial ? spatial->event_id : subject->enriched->event->event_id;
    for (size_t i = 0; spatial && i < spatial->n_related && n < self->ids_cap; i++) {
        const Wf__RelatedEvent *related = spatial->related[i];
        if (related && related->event_id.len == WF_UUID_LEN)
            self->ids[n++] = related->event_id;
    }
    return n;
}

/* Escalated alerts name the events counted: the trigger first, then the others as counted. */
static size_t s_collect_counted_ids(alert_engine_t *self, const alert_outcome_t *outcome,
                                    const alert_subject_t *subject)
{
    size_t want = 1 + outcome->n_counted;
    if (want > self->ids_cap) {
        ProtobufCBinaryData *ids = realloc(self->ids, want * sizeof *ids);
        if (!ids) /* as many as the ordinary alert names, the trigger first */
            return s_collect_ids(self, subject);
        self->ids = ids;
        self->ids_cap = want;
    }
    const ProtobufCBinaryData trigger =
        subject->spatial ? subject->spatial->event_id : subject->enriched->event->event_id;
    size_t n = 0;
    self->ids[n++] = trigger;
    for (uint32_t i = 0; i < outcome->n_counted; i++)
        if (memcmp(outcome->counted[i], trigger.data, WF_UUID_LEN) != 0)
            self->ids[n++] = (ProtobufCBinaryData){WF_UUID_LEN, outcome->counted[i]};
    return n;
}

/* What the match carries: NIBRS category, the geofences and hot-list hits the rule matched. */
static void s_put_context(alert_engine_t *self, Wf__Alert *alert, const alert_rule_t *rule,
                          const alert_subject_t *subject)
{
    alert->nibrs_category = (char *)subject->nibrs_category;
    alert_geofences_t *geofences = alert_rules_geofences(self->rules);
    size_t n_fences = subject->inside ? subject->n_inside : 0;
    if (n_fences && s_reserve_names(self, n_fences)) {
        for (size_t g = 0; g < n_fences; g++)
            if (alert_rule_matched_geofence(rule, subject, g))
                self->fence_names[alert->n_geofences++] =
                    (char *)alert_geofences_name(geofences, g);
        alert->geofences = self->fence_names;
    }
    size_t n_hits = subject->n_hotlist_hits;
    if (n_hits && s_reserve_hits(self, n_hits)) {
        for (size_t h = 0; h < n_hits; h++)
            if (alert_rule_wants_hotlist_hit(rule, subject->hotlist_hits[h]))
                self->hits[alert->n_hotlist_hits++] = subject->hotlist_hits[h];
        alert->hotlist_hits = self->hits;
    }
}

/* Everything an ordinary and an escalated alert share. */
static Wf__Alert *s_build_common(alert_engine_t *self, const alert_outcome_t *outcome,
                                 const alert_subject_t *subject, int64_t raised_at_us)
{
    const alert_rule_t *rule = outcome->rule;
    Wf__Alert *alert = &self->alert;
    wf__alert__init(alert);
    wf__point__init(&self->point);
    snprintf(self->dedupe_key, sizeof self->dedupe_key, "%s", outcome->dedupe_key);
    alert_render(rule->title, subject, rule->id, self->title, sizeof self->title);
    alert_render(rule->message, subject, rule->id, self->message, sizeof self->message);
    alert->alert_id = (ProtobufCBinaryData){WF_UUID_LEN, self->alert_id};
    alert->rule_id = rule->id;
    alert->severity = (Wf__Severity)rule->severity;
    alert->dedupe_key = self->dedupe_key;
    alert->window_start_us = outcome->throttle.window_start_us;
    alert->n_event_ids = s_collect_ids(self, subject);
    alert->event_ids = self->ids;
    alert->kind = (char *)subject->kind;
    alert->district = (char *)subject->district;
    alert->beat = (char *)subject->beat;
    alert->agency = (char *)subject->agency;
    alert->title = self->title;
    alert->message = self->message;
    alert->raised_at_us = raised_at_us;
    alert->occurred_at_us = subject->occurred_us;
    alert->match_count = outcome->match_count;
    if (subject->has_location) {
        self->point.lon = subject->lon;
        self->point.lat = subject->lat;
        alert->location = &self->point;
    }
    if (subject->spatial) {
        alert->signal_id = subject->spatial->signal_id;
        alert->dissemination = subject->spatial->dissemination;
    } else {
        alert->dissemination = subject->enriched->event->dissemination;
    }
    s_put_context(self, alert, rule, subject);
    return alert;
}

const Wf__Alert *alert_engine_build(alert_engine_t *self, const alert_outcome_t *outcome,
                                    const alert_subject_t *subject, int64_t raised_at_us)
{
    memcpy(self->alert_id, outcome->alert_id.bytes, WF_UUID_LEN);
    return s_build_common(self, outcome, subject, raised_at_us);
}

const Wf__Alert *alert_engine_build_escalated(alert_engine_t *self, const alert_outcome_t *outcome,
                                              const alert_subject_t *subject, int64_t raised_at_us)
{
    memcpy(self->alert_id, outcome->escalation_id.bytes, WF_UUID_LEN);
    Wf__Alert *alert = s_build_common(self, outcome, subject, raised_at_us);
    alert->severity = (Wf__Severity)outcome->rule->escalate.severity;
    alert->escalated = true;
    alert->match_count = outcome->rule->escalate.count;
    alert->window_start_us = outcome->escalation_window_start_us;
    alert->n_event_ids = s_collect_counted_ids(self, outcome, subject);
    alert->event_ids = self->ids;
    return alert;
}
