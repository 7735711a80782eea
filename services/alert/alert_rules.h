/* alert_rules.h — declarative alert rules, loaded from YAML (deploy/rules.yaml).
 *
 * A rule says which events or signals are interesting (conditions), how loud the alert is
 * (severity, title, message template) and which matches count as "the same situation" (the
 * throttle key and window). A loaded rule set is immutable and self-contained, so a later
 * SIGHUP reload can load a new set beside the running one and swap it in only when it loaded
 * cleanly; throttle state is keyed by rule id text, not by position, so it survives the swap.
 *
 * Conditions are a list of (field, operator, operands) records rather than one struct member
 * per YAML key, so the rule engine grows by addition: a new alert_field_t (+ subject member)
 * and a key-table row. Geofence conditions name polygons that live in PostGIS: the file is
 * parsed first (names unchecked), then alert_rules_bind_geofences() resolves the names
 * against the geofence set loaded beside it and makes the set part of the rule set, so a
 * reload swaps rules and geofences together. Escalation ("N matches in T raise severity S")
 * is a rule member read by the engine against a per-window count kept by the throttle.
 */
#ifndef ALERT_RULES_H
#define ALERT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a rule listens to. */
typedef enum {
    ALERT_ON_EVENT = 1,  /* enriched events (topics.enriched) */
    ALERT_ON_SIGNAL = 2, /* spatial signals (topics.signals) */
} alert_on_t;

/* Signal types a rule may name; values equal Wf__SignalType. */
typedef enum {
    ALERT_SIGNAL_NONE = 0,        /* rules on events */
    ALERT_SIGNAL_NEAR_REPEAT = 1, /* WF__SIGNAL_TYPE__NEAR_REPEAT */
} alert_signal_t;

/* CAP 1.2 severity; values equal Wf__Severity. */
typedef enum {
    ALERT_SEVERITY_UNKNOWN = 0,
    ALERT_SEVERITY_MINOR = 1,
    ALERT_SEVERITY_MODERATE = 2,
    ALERT_SEVERITY_SEVERE = 3,
    ALERT_SEVERITY_EXTREME = 4,
} alert_severity_t;

/* Subject fields a condition can test (see alert_match.h for the subject). */
typedef enum {
    ALERT_FIELD_KIND,           /* Watchfloor kind, e.g. burglary.residential */
    ALERT_FIELD_AGENCY,         /* originating agency code */
    ALERT_FIELD_DISTRICT,       /* district assigned by enrich ("007") */
    ALERT_FIELD_BEAT,           /* beat assigned by enrich ("0713") */
    ALERT_FIELD_RELATED_COUNT,  /* signals: related events found */
    ALERT_FIELD_NIBRS_CODE,     /* events: NIBRS offense code from enrich ("220") */
    ALERT_FIELD_NIBRS_CATEGORY, /* events: NIBRS offense category ("Robbery") */
    ALERT_FIELD_CRIME_AGAINST,  /* events: Person | Property | Society | Not a Crime */
    ALERT_FIELD_PRIORITY,       /* events: CAD priority, 1 = highest; 0 = not given */
    ALERT_FIELD_HOTLIST,        /* events: list names of the event's hot-list hits */
    ALERT_FIELD_GEOFENCE,       /* the point lies inside a named geofence */
} alert_field_t;

typedef enum {
    ALERT_OP_GLOB_ANY, /* text field (any of its values) matches any of the fnmatch patterns */
    ALERT_OP_AT_LEAST, /* numeric field >= number */
    ALERT_OP_AT_MOST,  /* numeric field known (> 0) and <= number */
    ALERT_OP_ONE_OF,   /* text field equals one of the patterns exactly */
    ALERT_OP_INSIDE,   /* the point lies in one of the geofences the patterns name */
} alert_op_t;

/* One condition; a rule matches when all of its conditions hold. */
typedef struct {
    alert_field_t field; /* what is tested */
    alert_op_t op;       /* how */
    char **patterns;     /* GLOB_ANY operands (owned) */
    size_t n_patterns;   /* at least one */
    int64_t number;      /* AT_LEAST / AT_MOST operand */
    int line;            /* line in the rule file, for messages */
    size_t *fences;      /* INSIDE: indices into the bound geofence set (owned) */
    size_t n_fences;     /* set by alert_rules_bind_geofences(); 0 before */
} alert_cond_t;

/* What the dedupe key of a match is built from. */
typedef enum {
    ALERT_KEY_CELL,     /* the signal's cell, or a grid cell computed from the event point */
    ALERT_KEY_BEAT,     /* the beat */
    ALERT_KEY_DISTRICT, /* the district */
    ALERT_KEY_EVENT,    /* the triggering event: every event is its own situation */
    ALERT_KEY_RULE,     /* the rule itself: at most one alert per window in total */
} alert_key_t;

/* escalate: {count: N, within: T, severity: S} — N matches of one dedupe key inside one
 * tumbling, epoch-aligned window of T (event time) raise one extra alert of severity S. */
typedef struct {
    uint32_t count;            /* N >= 2; 0 = no escalation */
    int64_t within_us;         /* T > 0 */
    alert_severity_t severity; /* above the rule's own severity */
    int line;                  /* line of 'escalate' in the rule file */
} alert_escalation_t;

typedef struct {
    char *id;                    /* unique, [A-Za-z0-9_.-]+: used in ids and counter names */
    char *description;           /* free text for operators; may be "" */
    int line;                    /* line of the rule in its file */
    alert_on_t on;               /* events or signals */
    alert_signal_t signal;       /* signal type for on: signal, NONE otherwise */
    alert_cond_t *conds;         /* all must hold (owned) */
    size_t n_conds;              /* 0 = every event/signal of the right type */
    alert_severity_t severity;   /* CAP severity of the alert */
    char *title;                 /* template, see alert_render() */
    char *message;               /* template; may be "" */
    alert_key_t throttle_key;    /* dedupe key source */
    int64_t window_us;           /* throttle window (tumbling, aligned to the epoch), > 0 */
    alert_escalation_t escalate; /* escalate.count == 0: the rule does not escalate */
} alert_rule_t;

typedef struct alert_rules_t alert_rules_t;
typedef struct alert_geofences_t alert_geofences_t;

/* Loads a rule file. Returns NULL and "path:line: reason" in errbuf when the file cannot be
 * read, is not valid YAML, has an unknown key, a bad value or a duplicate rule id. */
alert_rules_t *alert_rules_load(const char *path, char *errbuf, size_t errlen);

/* As alert_rules_load() from text in memory; name stands for the file in messages. */
alert_rules_t *alert_rules_parse(const char *name, const char *text, size_t len, char *errbuf,
                                 size_t errlen);

/* NULL-safe; sets *self_p to NULL. */
void alert_rules_destroy(alert_rules_t **self_p);

/* Number of rules, and rule i in file order (borrowed, lives as long as the set). */
size_t alert_rules_count(const alert_rules_t *self);
const alert_rule_t *alert_rules_get(const alert_rules_t *self, size_t i);

/* The rule with this id, or NULL. */
const alert_rule_t *alert_rules_find(const alert_rules_t *self, const char *id);

/* Resolves every 'geofences' condition against *geofences_p (each name or glob must match at
 * least one geofence) and takes ownership of the set (sets *geofences_p to NULL); a set bound
 * before is replaced. Returns 0, or WF_EINVAL with "path:line: unknown geofence 'x' (a, b)" in
 * errbuf (or WF_ENOMEM), leaving the rules and *geofences_p unchanged. Unbound geofence
 * conditions never hold. */
int alert_rules_bind_geofences(alert_rules_t *self, alert_geofences_t **geofences_p, char *errbuf,
                               size_t errlen);

/* The bound geofence set, or NULL (owned by the rule set; lookups update its counters). */
alert_geofences_t *alert_rules_geofences(const alert_rules_t *self);

/* The file the set was loaded from (for logs). */
const char *alert_rules_path(const alert_rules_t *self);

/* "minor", "moderate", "severe", "extreme" ("unknown" otherwise). */
const char *alert_severity_name(alert_severity_t severity);

/* Names of the enums as written in the rule file ("cell", "near_repeat", "event" …). */
const char *alert_key_name(alert_key_t key);
const char *alert_on_name(alert_on_t on);

#endif
