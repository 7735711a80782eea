/* alert_engine.h — from an event or signal to the alerts it raises.
 *
 * The engine owns the rule set and the throttle. Per received message the glue calls:
 * subject_from_enriched()/subject_from_signal() (validates and flattens; a reject becomes a
 * dead letter), eval() (every matching rule with its throttle verdict, for counters), and
 * build() for each outcome that raises (the Wf__Alert to persist and publish). Nothing here
 * touches the transport or PostGIS, so all of it runs in unit tests on real rows.
 *
 * Thread: an engine belongs to the thread that created it.
 */
#ifndef ALERT_ENGINE_H
#define ALERT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include <wf/id.h>
#include <wf/watchfloor.pb-c.h>

#include "alert_match.h"
#include "alert_rules.h"
#include "alert_throttle.h"

typedef struct alert_engine_t alert_engine_t;

/* Why a message cannot be evaluated; becomes a dead letter. */
typedef struct {
    const char *code;  /* stable reason code: "missing_event", "bad_event_id" … */
    const char *field; /* offending field */
    char message[160]; /* human explanation */
} alert_reject_t;

/* One rule that matched one subject. */
typedef struct {
    const alert_rule_t *rule;           /* borrowed from the engine's rule set */
    alert_throttle_result_t throttle;   /* raise / late / window / matches */
    char dedupe_key[ALERT_KEY_LEN];     /* what makes two matches the same situation */
    wf_uuid_t alert_id;                 /* set when throttle.raise */
    uint32_t match_count;               /* distinct events of this key in the escalation window
                                         * (the throttle window's matches without escalation) */
    bool escalate;                      /* this match made the count reach escalate.count: build
                                         * the escalated alert with alert_engine_build_escalated() */
    bool escalate_late;                 /* that escalation window was behind the horizon */
    int64_t escalation_window_start_us; /* escalation window of this match */
    wf_uuid_t escalation_id;            /* set when escalate */
    uint8_t (*counted)[WF_UUID_LEN];    /* when escalate: the events counted, first counted first
                                         * (engine-owned scratch) */
    uint32_t n_counted;                 /* ids in counted */
    uint32_t counted_cap;               /* slots in counted */
} alert_outcome_t;

typedef struct {
    int64_t lateness_us; /* alert.lateness */
    size_t max_entries;  /* alert.max_throttle_entries */
    double cell_m;       /* alert.cell_m: grid cell side for events keyed by cell */
} alert_engine_config_t;

/* Takes ownership of *rules_p (and sets it to NULL). Returns NULL when out of memory, in
 * which case *rules_p is left to the caller. */
alert_engine_t *alert_engine_new(alert_rules_t **rules_p, const alert_engine_config_t *config);

/* NULL-safe; frees the rules and the throttle; sets *self_p to NULL. */
void alert_engine_destroy(alert_engine_t **self_p);

/* Swaps in a new rule set (SIGHUP reload), taking ownership of *rules_p; throttle state is
 * keyed by rule id and survives. Call only between batches: outcomes of the old set dangle.
 * Returns 0, or WF_ENOMEM with nothing changed and *rules_p left to the caller. */
int alert_engine_set_rules(alert_engine_t *self, alert_rules_t **rules_p);

/* The rule set in use (borrowed). */
const alert_rules_t *alert_engine_rules(const alert_engine_t *self);

/* Forgets every throttle window (the partitions they came from now belong to another copy). */
int alert_engine_reset_throttle(alert_engine_t *self);

/* The longest throttle window of the rules plus the allowed lateness: how much history rebuilds
 * the throttle exactly. */
int64_t alert_engine_max_window_us(const alert_engine_t *self);

/* The throttle (borrowed), for its gauges. */
const alert_throttle_t *alert_engine_throttle(const alert_engine_t *self);

/* Flattens an enriched event into *subject, computing its grid cell. The subject borrows from
 * enriched. Returns 0, or WF_EPARSE with *reject filled. */
int alert_engine_subject_from_enriched(const alert_engine_t *self,
                                       const Wf__EnrichedEvent *enriched, alert_subject_t *subject,
                                       alert_reject_t *reject);

/* Flattens a spatial signal into *subject (its cell is the signal's own, or computed when the
 * signal has none). Returns 0, or WF_EPARSE with *reject filled. */
int alert_engine_subject_from_signal(const alert_engine_t *self, const Wf__SpatialSignal *spatial,
                                     alert_subject_t *subject, alert_reject_t *reject);

/* Locates subject in the rule set's geofences (subject->inside, engine scratch valid until the
 * next eval), evaluates every rule against it and runs the throttle, and the escalation count
 * of escalating rules, for each match. *outcomes points into the engine and stays valid until
 * the next eval(). Returns the number of matches. */
size_t alert_engine_eval(alert_engine_t *self, alert_subject_t *subject, int64_t now_us,
                         const alert_outcome_t **outcomes);

/* Builds the alert for a raising outcome. The result and everything it points to are owned
 * by the engine (or borrowed from subject's message) and valid until the next build(); never
 * free it with wf__alert__free_unpacked(). */
const Wf__Alert *alert_engine_build(alert_engine_t *self, const alert_outcome_t *outcome,
                                    const alert_subject_t *subject, int64_t raised_at_us);

/* Builds the escalated alert of an outcome with escalate set: the rule's escalate.severity,
 * escalated = true, match_count = escalate.count, window_start = the escalation window, the
 * counted events as event ids (trigger first). Same lifetime rules as build(). */
const Wf__Alert *alert_engine_build_escalated(alert_engine_t *self, const alert_outcome_t *outcome,
                                              const alert_subject_t *subject, int64_t raised_at_us);

#endif
