/* alert_service.c — wires the transport and PostGIS to the alert engine.
 *
 * Per batch: every enriched event and signal is flattened and evaluated; each raised alert is
 * appended to the alerts writer and published on topics.alerts; the writers are flushed
 * (retried with backoff while PostGIS is away, never acknowledging meanwhile), the transport
 * is flushed and only then the batch is acknowledged: a crash replays from the last ack, and
 * the deterministic alert ids make the replay's rows collapse in ON CONFLICT DO NOTHING.
 * This is also where the pipeline's end-to-end latency is measured (now − ingest_ts_us).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wf/cell.h>
#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>
#include <wf/log.h>
#include <wf/pgwriter.h>
#include <wf/stats.h>
#include <wf/transport.h>

#include <jansson.h>

#include "alert_cap.h"
#include "alert_engine.h"
#include "alert_rules_service.h"
#include "alert_service.h"
#include "alert_webhook_service.h"

#define STAGE        "alert"
#define DEAD_RAW_MAX 65536       /* raw bytes a dead letter keeps */
#define RETRY_MIN_US (10 * 1000) /* first pause after a failed PostGIS flush */
#define COUNTER_LEN  128

#define ALERT_COLUMNS                                                                              \
    "alert_id, rule_id, severity, dedupe_key, window_start, event_ids, signal_id, kind, geom, "    \
    "district, beat, agency, title, message, occurred_at, ingested_at, raised_at, latency_us, "    \
    "dissemination, cap, match_count, escalated, nibrs_category, geofences, hotlist_hits"
static const wf_pgwriter_spec_t s_alerts_spec = {
    .name = "alerts",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS alerts_stage "
                 "(LIKE alerts INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
    .copy_sql = "COPY alerts_stage (" ALERT_COLUMNS ") FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql = "INSERT INTO alerts (" ALERT_COLUMNS ") SELECT " ALERT_COLUMNS
                 " FROM alerts_stage ON CONFLICT DO NOTHING",
};

#define DEAD_COLUMNS                                                                               \
    "dead_letter_id, stage, source, position, line, raw, raw_length, reason_code, reason, field, " \
    "received_at"
static const wf_pgwriter_spec_t s_dead_spec = {
    .name = "dead_letters",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS dead_letters_stage "
                 "(LIKE dead_letters INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
    .copy_sql = "COPY dead_letters_stage (" DEAD_COLUMNS ") FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql = "INSERT INTO dead_letters (" DEAD_COLUMNS ") SELECT " DEAD_COLUMNS
                 " FROM dead_letters_stage ON CONFLICT DO NOTHING",
};

struct alert_service_t {
    wf_service_t *svc;           /* configuration and counters (borrowed) */
    wf_transport_t *transport;   /* both topics in, alerts and dead letters out */
    wf_pgwriter_t *alerts;       /* alerts table */
    wf_pgwriter_t *dead_letters; /* dead_letters table */
    alert_engine_t *engine;      /* rules and throttle */
    const char *topic_enriched;  /* borrowed from the configuration */
    const char *topic_signals;
    const char *topic_alerts;
    const char *topic_dead;
    size_t batch_max;                /* deliveries per receive */
    int64_t retry_max_us;            /* longest pause between PostGIS retries */
    wf_histogram_t *latency;         /* now − ingest, every enriched event */
    wf_histogram_t *alert_latency;   /* raised − ingest, every alert */
    const uint8_t **ids;             /* event id pointers of the row being written */
    size_t ids_cap;                  /* slots in ids */
    int refused_rc;                  /* first failure dead-lettering a refused alert row */
    alert_cap_config_t cap;          /* CAP 1.2 rendering of each alert (alert.cap_*) */
    alert_webhook_t *webhook;        /* POSTs to alert.webhook.urls, NULL when none */
    wf_histogram_t *webhook_enqueue; /* µs the alert loop spends handing one alert over */
};

/* A dead letter about to be written: where it came from and why. */
typedef struct {
    const char *source;   /* topic */
    const char *position; /* "topic/partition/offset producer#sequence", or the reject's */
    const uint8_t *raw;   /* bytes as received (or re-encoded) */
    size_t raw_len;
    const char *code;   /* stable reason code */
    const char *reason; /* human explanation */
    const char *field;  /* offending field or NULL */
} s_dead_t;

static const char *s_dissemination_name(Wf__Dissemination value)
{
    static const char *const names[] = {"unspecified", "public", "law_enforcement", "agency_only",
                                        "restricted"};
    /* a value from a newer producer is treated as the most restrictive level */
    return (unsigned)value < sizeof names / sizeof *names ? names[value] : "restricted";
}

static void s_put_opt_text(wf_pgwriter_t *writer, const char *text)
{
    wf_pgwriter_put_text(writer, text && *text ? text : NULL);
}

/* Histograms hold non-negative µs; clocks of two hosts may disagree by a little. */
static void s_record_latency(wf_histogram_t *histogram, int64_t from_us, int64_t to_us)
{
    if (from_us > 0)
        wf_histogram_record(histogram, to_us > from_us ? to_us - from_us : 0);
}

static void s_count(alert_service_t *self, const char *prefix, const char *rule_id)
{
    char name[COUNTER_LEN];
    snprintf(name, sizeof name, "%s.%s", prefix, rule_id);
    wf_stats_add(self->svc->stats, name, 1);
}

/* The alert's hot-list hits as a JSON array for alerts.hotlist_hits; NULL when there are none.
 * The caller frees the text. */
static char *s_hotlist_hits_json(const Wf__Alert *alert)
{
    if (alert->n_hotlist_hits == 0)
        return NULL;
    json_t *array = json_array();
    for (size_t i = 0; array && i < alert->n_hotlist_hits; i++) {
        const Wf__HotlistHit *hit = alert->hotlist_hits[i];
        json_t *item = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "list", hit->list,
                                 "entry_type", hit->entry_type, "entry_value", hit->entry_value,
                                 "observed", hit->observed, "field", hit->field, "substitutions",
                                 (json_int_t)hit->substitutions, "entry_id", hit->entry_id);
        if (!item || json_array_append_new(array, item) != 0) {
            json_decref(array);
            array = NULL;
        }
    }
    char *text = array ? json_dumps(array, JSON_COMPACT) : NULL;
    json_decref(array);
    return text;
}

static int s_append_alert(alert_service_t *self, const Wf__Alert *alert, int64_t ingest_ts_us)
{
    wf_pgwriter_t *w = self->alerts;
    if (alert->n_event_ids > self->ids_cap) {
        const uint8_t **ids = realloc(self->ids, alert->n_event_ids * sizeof *ids);
        if (!ids)
            return WF_ENOMEM;
        self->ids = ids;
        self->ids_cap = alert->n_event_ids;
    }
    for (size_t i = 0; i < alert->n_event_ids; i++)
        self->ids[i] = alert->event_ids[i].data;
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, alert->alert_id.data);
    wf_pgwriter_put_text(w, alert->rule_id);
    wf_pgwriter_put_text(w, alert_severity_name((alert_severity_t)alert->severity));
    wf_pgwriter_put_text(w, alert->dedupe_key);
    wf_pgwriter_put_timestamp_us(w, alert->window_start_us);
    wf_pgwriter_put_uuid_array(w, self->ids, alert->n_event_ids);
    if (alert->signal_id.len == WF_UUID_LEN)
        wf_pgwriter_put_uuid(w, alert->signal_id.data);
    else
        wf_pgwriter_put_null(w);
    s_put_opt_text(w, alert->kind);
    if (alert->location)
        wf_pgwriter_put_point(w, alert->location->lon, alert->location->lat);
    else
        wf_pgwriter_put_null(w);
    s_put_opt_text(w, alert->district);
    s_put_opt_text(w, alert->beat);
    s_put_opt_text(w, alert->agency);
    wf_pgwriter_put_text(w, alert->title);
    wf_pgwriter_put_text(w, alert->message);
    wf_pgwriter_put_timestamp_us(w, alert->occurred_at_us);
    wf_pgwriter_put_timestamp_us(w, ingest_ts_us);
    wf_pgwriter_put_timestamp_us(w, alert->raised_at_us);
    if (ingest_ts_us > 0)
        wf_pgwriter_put_int64(w, alert->raised_at_us - ingest_ts_us);
    else
        wf_pgwriter_put_null(w);
    wf_pgwriter_put_text(w, s_dissemination_name(alert->dissemination));
    char *cap = NULL;
    size_t cap_len;
    if (alert_cap_render(&self->cap, alert, &cap, &cap_len) == WF_OK) {
        wf_pgwriter_put_text(w, cap);
    } else { /* the alert itself must not wait for its CAP form */
        wf_stats_add(self->svc->stats, "cap_failed", 1);
        wf_pgwriter_put_null(w);
    }
    free(cap);
    wf_pgwriter_put_int64(w, alert->match_count);
    wf_pgwriter_put_bool(w, alert->escalated);
    s_put_opt_text(w, alert->nibrs_category);
    if (alert->n_geofences) /* NULL, like hotlist_hits, when the rule names no geofence */
        wf_pgwriter_put_text_array(w, (const char *const *)alert->geofences, alert->n_geofences);
    else
        wf_pgwriter_put_null(w);
    char *hits = s_hotlist_hits_json(alert);
    wf_pgwriter_put_text(w, hits); /* NULL (no hits, or no memory for them) → SQL NULL */
    free(hits);
    wf_pgwriter_row_end(w);
    return WF_OK;
}

static int s_publish_alert(alert_service_t *self, const Wf__Alert *alert, int64_t ingest_ts_us)
{
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.type = WF__MESSAGE_TYPE__ALERT;
    envelope.body_case = WF__ENVELOPE__BODY_ALERT;
    envelope.alert = (Wf__Alert *)alert;
    envelope.ingest_ts_us = ingest_ts_us;
    char key[WF_CELL_KEY_LEN];
    bool located = alert->location != NULL;
    size_t key_len = wf_cell_key(key, sizeof key, located, located ? alert->location->lon : 0,
                                 located ? alert->location->lat : 0, alert->agency);
    return wf_transport_publish(self->transport, self->topic_alerts, key, key_len, &envelope);
}

/* Writes one dead letter row and publishes it. */
static int s_dead_letter(alert_service_t *self, const s_dead_t *dead)
{
    size_t kept = dead->raw_len < DEAD_RAW_MAX ? dead->raw_len : DEAD_RAW_MAX;
    char *hex = malloc(2 * kept + 1);
    if (!hex)
        return WF_ENOMEM;
    for (size_t i = 0; i < kept; i++)
        snprintf(hex + 2 * i, 3, "%02x", dead->raw[i]);
    hex[2 * kept] = '\0';
    wf_uuid_t id;
    const char *parts[] = {STAGE, dead->source, dead->position, hex};
    wf_id_derive(&id, "dead_letter", parts, 4);
    free(hex);
    int64_t now = wf_clock_now_us();

    wf_pgwriter_t *w = self->dead_letters;
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, id.bytes);
    wf_pgwriter_put_text(w, STAGE);
    wf_pgwriter_put_text(w, dead->source);
    wf_pgwriter_put_text(w, dead->position);
    wf_pgwriter_put_null(w); /* no line: bus messages have positions, not lines */
    wf_pgwriter_put_bytea(w, dead->raw, kept);
    wf_pgwriter_put_int64(w, (int64_t)dead->raw_len);
    wf_pgwriter_put_text(w, dead->code);
    wf_pgwriter_put_text(w, dead->reason);
    wf_pgwriter_put_text(w, dead->field);
    wf_pgwriter_put_timestamp_us(w, now);
    wf_pgwriter_row_end(w);
    wf_stats_add(self->svc->stats, "dead_letters", 1);

    Wf__DeadLetter letter = WF__DEAD_LETTER__INIT;
    letter.dead_letter_id = (ProtobufCBinaryData){WF_UUID_LEN, id.bytes};
    letter.stage = STAGE;
    letter.source = (char *)dead->source;
    letter.position = (char *)dead->position;
    letter.raw = (ProtobufCBinaryData){kept, (uint8_t *)dead->raw};
    letter.raw_length = dead->raw_len;
    letter.reason_code = (char *)dead->code;
    letter.reason = (char *)dead->reason;
    letter.field = (char *)(dead->field ? dead->field : "");
    letter.received_at_us = now;
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.type = WF__MESSAGE_TYPE__DEAD_LETTER;
    envelope.body_case = WF__ENVELOPE__BODY_DEAD_LETTER;
    envelope.dead_letter = &letter;
    return wf_transport_publish(self->transport, self->topic_dead, NULL, 0, &envelope);
}

/* Dead-letters a decoded envelope that cannot be evaluated; raw is its re-encoding. */
static int s_dead_envelope(alert_service_t *self, const wf_delivery_t *delivery, const char *code,
                           const char *field, const char *reason)
{
    const Wf__Envelope *envelope = delivery->envelope;
    size_t len = wf__envelope__get_packed_size(envelope);
    uint8_t *raw = malloc(len ? len : 1);
    if (!raw)
        return WF_ENOMEM;
    wf__envelope__pack(envelope, raw);
    /* a ZeroMQ offset names a frame of many envelopes; producer and sequence name this one */
    char position[192];
    snprintf(position, sizeof position, "%s/%d/%lld %s#%llu", delivery->topic,
             (int)delivery->partition, (long long)delivery->offset, envelope->producer_id,
             (unsigned long long)envelope->sequence);
    s_dead_t dead = {.source = delivery->topic,
                     .position = position,
                     .raw = raw,
                     .raw_len = len,
                     .code = code,
                     .reason = reason,
                     .field = field};
    int rc = s_dead_letter(self, &dead);
    free(raw);
    return rc;
}

/* pgwriter reject handler of the alerts writer: a row PostgreSQL refused as data becomes a
 * dead letter (the alerts writer flushes before the dead-letters writer, so it lands in the
 * same step). */
static void s_on_alert_refused(void *user, const char *row, size_t len, const char *sqlstate,
                               const char *message)
{
    alert_service_t *self = user;
    char position[64], reason[256];
    size_t id_len = strcspn(row, "\t");
    snprintf(position, sizeof position, "alerts/%.*s", (int)(id_len < len ? id_len : len), row);
    snprintf(reason, sizeof reason, "PostgreSQL refused the alert row: SQLSTATE %s: %s", sqlstate,
             message);
    s_dead_t dead = {.source = self->topic_alerts,
                     .position = position,
                     .raw = (const uint8_t *)row,
                     .raw_len = len,
                     .code = "pg_refused",
                     .reason = reason,
                     .field = NULL};
    int rc = s_dead_letter(self, &dead);
    if (rc != WF_OK && self->refused_rc == WF_OK)
        self->refused_rc = rc;
}

/* Persists and publishes one alert built by the engine. */
static int s_raise(alert_service_t *self, const Wf__Alert *alert, int64_t ingest_ts_us, int64_t now)
{
    int rc = s_append_alert(self, alert, ingest_ts_us);
    if (rc == WF_OK)
        rc = s_publish_alert(self, alert, ingest_ts_us);
    if (rc == WF_OK && self->webhook)
        rc = alert_webhook_hold(self->webhook, alert); /* sent once the batch is durable */
    if (rc)
        return rc;
    wf_stats_add(self->svc->stats, "alerts_raised", 1);
    s_count(self, alert->escalated ? "alerts_escalated" : "alerts_raised", alert->rule_id);
    s_record_latency(self->alert_latency, ingest_ts_us, now);
    return WF_OK;
}

/* Evaluates one subject and persists + publishes every alert it raises: the rule's ordinary
 * alert when the throttle lets it through, and an escalated one when this match completes the
 * rule's escalation count (whatever the throttle said). A replayed subject (state rebuild
 * after a rebalance) only advances the throttle and the counts: its alerts were raised already. */
static int s_evaluate(alert_service_t *self, alert_subject_t *subject, int64_t ingest_ts_us,
                      bool replay)
{
    int64_t now = wf_clock_now_us();
    const alert_outcome_t *outcomes;
    size_t n = alert_engine_eval(self->engine, subject, now, &outcomes);
    for (size_t i = 0; i < n && !replay; i++) {
        const alert_outcome_t *outcome = &outcomes[i];
        int rc = WF_OK;
        s_count(self, "rule_matches", outcome->rule->id);
        if (outcome->throttle.raise) {
            if (outcome->throttle.late)
                wf_stats_add(self->svc->stats, "alerts_late", 1);
            rc = s_raise(self, alert_engine_build(self->engine, outcome, subject, now),
                         ingest_ts_us, now);
        } else {
            wf_stats_add(self->svc->stats, "alerts_throttled", 1);
        }
        if (rc == WF_OK && outcome->escalate) {
            wf_stats_add(self->svc->stats, "alerts_escalated", 1);
            if (outcome->escalate_late)
                wf_stats_add(self->svc->stats, "alerts_late", 1);
            rc = s_raise(self, alert_engine_build_escalated(self->engine, outcome, subject, now),
                         ingest_ts_us, now);
        }
        if (rc)
            return rc;
    }
    return WF_OK;
}

static int s_handle(alert_service_t *self, const wf_delivery_t *delivery)
{
    const Wf__Envelope *envelope = delivery->envelope;
    alert_subject_t subject;
    alert_reject_t reject;
    int rc;
    if (envelope->body_case == WF__ENVELOPE__BODY_ENRICHED && envelope->enriched &&
        envelope->enriched->context_only) {
        /* a copy for the neighbouring cell's spatial state; the event itself comes once */
        wf_stats_add(self->svc->stats, "events_context_skipped", 1);
        return WF_OK;
    }
    if (delivery->replay) {
        wf_stats_add(self->svc->stats, "replayed", 1);
        if (envelope->body_case == WF__ENVELOPE__BODY_ENRICHED)
            rc = alert_engine_subject_from_enriched(self->engine, envelope->enriched, &subject,
                                                    &reject);
        else if (envelope->body_case == WF__ENVELOPE__BODY_SIGNAL)
            rc =
                alert_engine_subject_from_signal(self->engine, envelope->signal, &subject, &reject);
        else
            rc = WF_EINVAL;
        /* what cannot be evaluated was dead-lettered by whoever processed it first */
        return rc == WF_OK ? s_evaluate(self, &subject, envelope->ingest_ts_us, true) : WF_OK;
    }
    if (envelope->body_case == WF__ENVELOPE__BODY_ENRICHED) {
        wf_stats_add(self->svc->stats, "events_received", 1);
        s_record_latency(self->latency, envelope->ingest_ts_us, wf_clock_now_us());
        rc =
            alert_engine_subject_from_enriched(self->engine, envelope->enriched, &subject, &reject);
    } else if (envelope->body_case == WF__ENVELOPE__BODY_SIGNAL) {
        wf_stats_add(self->svc->stats, "signals_received", 1);
        rc = alert_engine_subject_from_signal(self->engine, envelope->signal, &subject, &reject);
    } else {
        return s_dead_envelope(self, delivery, "unexpected_body", "body",
                               "alert consumes enriched events and signals only");
    }
    if (rc != WF_OK)
        return s_dead_envelope(self, delivery, reject.code, reject.field, reject.message);
    return s_evaluate(self, &subject, envelope->ingest_ts_us, false);
}

/* Flushes a writer, retrying with backoff while PostGIS is unreachable. */
static int s_flush_writer(alert_service_t *self, wf_pgwriter_t *writer, const char *counter)
{
    int64_t pause = RETRY_MIN_US;
    while (wf_pgwriter_pending(writer) > 0) {
        uint64_t inserted = 0;
        int rc = wf_pgwriter_flush(writer, &inserted);
        if (rc == WF_OK) {
            wf_stats_add(self->svc->stats, counter, inserted);
            return WF_OK;
        }
        if (!wf_err_is_retriable(rc))
            return rc;
        wf_stats_add(self->svc->stats, "pg_retries", 1);
        if (wf_service_stopping())
            return WF_EINTR;
        wf_service_tick(self->svc); /* keep the stats file live: the outage must show */
        wf_clock_sleep_us(pause);
        pause = pause * 2 < self->retry_max_us ? pause * 2 : self->retry_max_us;
    }
    return WF_OK;
}

static void s_update_gauges(alert_service_t *self)
{
    const alert_throttle_t *throttle = alert_engine_throttle(self->engine);
    wf_stats_set(self->svc->stats, "throttle_entries", (int64_t)alert_throttle_size(throttle));
    wf_stats_set(self->svc->stats, "throttle_evicted_expired",
                 (int64_t)alert_throttle_evicted_expired(throttle));
    wf_stats_set(self->svc->stats, "throttle_evicted_cap",
                 (int64_t)alert_throttle_evicted_cap(throttle));
    if (self->webhook)
        alert_webhook_service_stats(self->webhook, self->svc->stats);
}

int alert_service_step(alert_service_t *self)
{
    const wf_delivery_t *deliveries = NULL;
    int n = wf_transport_recv(self->transport, &deliveries, self->batch_max, 100);
    if (n < 0)
        return n == WF_ETIMEDOUT || n == WF_EAGAIN ? WF_OK : n;
    const wf_transport_reject_t *rejects = NULL;
    size_t n_rejects = wf_transport_take_rejects(self->transport, &rejects);
    if (n == 0 && n_rejects == 0)
        return WF_OK;
    int rc = WF_OK;
    for (size_t i = 0; i < n_rejects && rc == WF_OK; i++) {
        s_dead_t dead = {.source = rejects[i].topic,
                         .position = rejects[i].position,
                         .raw = rejects[i].data,
                         .raw_len = rejects[i].len,
                         .code = "undecodable",
                         .reason = rejects[i].reason,
                         .field = NULL};
        rc = s_dead_letter(self, &dead);
    }
    for (int i = 0; i < n && rc == WF_OK; i++)
        rc = s_handle(self, &deliveries[i]);
    /* rows first: an alert a console receives is always one it can acknowledge. Alerts before
     * dead letters: rows the alerts table refuses become dead letters for the second flush */
    self->refused_rc = WF_OK;
    if (rc == WF_OK)
        rc = s_flush_writer(self, self->alerts, "alerts_inserted");
    if (rc == WF_OK)
        rc = self->refused_rc;
    if (rc == WF_OK)
        rc = s_flush_writer(self, self->dead_letters, "dead_letters_inserted");
    if (rc == WF_OK)
        rc = wf_transport_flush(self->transport, -1);
    if (rc == WF_OK)
        rc = wf_transport_ack(self->transport);
    if (self->webhook &&
        alert_webhook_release(self->webhook, rc == WF_OK, self->webhook_enqueue) != WF_OK)
        wf_log_error("out of memory queueing webhook deliveries (recorded as dropped)");
    s_update_gauges(self);
    return rc;
}

int alert_service_reload(alert_service_t *self)
{
    const char *path = wf_config_string(self->svc->config, "alert.rules");
    char errbuf[512];
    alert_rules_t *rules =
        alert_rules_service_load(wf_pgwriter_connection(self->alerts), path, errbuf, sizeof errbuf);
    if (!rules || alert_engine_set_rules(self->engine, &rules) != WF_OK) {
        wf_log_error("rules not reloaded, keeping the running rules error=\"%s\"",
                     rules ? "out of memory" : errbuf);
        alert_rules_destroy(&rules);
        return WF_EINVAL;
    }
    const alert_rules_t *loaded = alert_engine_rules(self->engine);
    wf_log_notice("rules reloaded path=%s rules=%zu geofences=%zu", path, alert_rules_count(loaded),
                  alert_geofences_count(alert_rules_geofences(loaded)));
    return WF_OK;
}

/* Kafka moved partitions: the throttle windows were the old assignment's; the transport
 * replays the new one's history to rebuild them. */
static void s_on_reassigned(void *user)
{
    alert_service_t *self = user;
    if (alert_engine_reset_throttle(self->engine) != WF_OK)
        wf_log_error("cannot reset the throttle (memory): windows of moved partitions remain");
}

static int s_open(alert_service_t *self, char *errbuf, size_t errlen)
{
    const wf_config_t *config = self->svc->config;
    const char *path = wf_config_string(config, "alert.rules");
    const char *conninfo = wf_config_string(config, "pg.conninfo");
    self->alerts = wf_pgwriter_new(conninfo, &s_alerts_spec, errbuf, errlen);
    if (!self->alerts)
        return WF_EIO;
    wf_pgwriter_set_reject_handler(self->alerts, s_on_alert_refused, self);
    /* the geofences a rule names are read beside the file, through the writer's connection */
    alert_rules_t *rules =
        alert_rules_service_load(wf_pgwriter_connection(self->alerts), path, errbuf, errlen);
    if (!rules)
        return WF_EINVAL;
    size_t n_rules = alert_rules_count(rules);
    size_t n_geofences = alert_geofences_count(alert_rules_geofences(rules));
    alert_engine_config_t engine_config = {
        .lateness_us = wf_config_duration_us(config, "alert.lateness"),
        .max_entries = (size_t)wf_config_int(config, "alert.max_throttle_entries"),
        .cell_m = wf_config_double(config, "alert.cell_m"),
    };
    self->cap = (alert_cap_config_t){
        .sender = wf_config_string(config, "alert.cap_sender"),
        .web = wf_config_string(config, "alert.console_url"),
        .radius_km = wf_config_double(config, "alert.cap_radius_m") / 1000.0,
    };
    self->engine = alert_engine_new(&rules, &engine_config);
    alert_rules_destroy(&rules); /* still ours only if the engine could not be built */
    if (!self->engine) {
        snprintf(errbuf, errlen, "out of memory building the rule engine");
        return WF_ENOMEM;
    }
    wf_log_notice("rules loaded path=%s rules=%zu geofences=%zu", path, n_rules, n_geofences);
    self->dead_letters = wf_pgwriter_new(conninfo, &s_dead_spec, errbuf, errlen);
    if (!self->dead_letters)
        return WF_EIO;
    int rc = alert_webhook_service_open(config, wf_pgwriter_connection(self->alerts), conninfo,
                                        &self->cap, &self->webhook, errbuf, errlen);
    if (rc != WF_OK)
        return rc;
    self->transport =
        wf_transport_new(config, self->svc->name, "alert", self->svc->stats, errbuf, errlen);
    if (!self->transport)
        return WF_EIO;
    wf_transport_set_state_rebuild(self->transport, alert_engine_max_window_us(self->engine),
                                   s_on_reassigned, self);
    rc = wf_transport_subscribe(self->transport, self->topic_enriched);
    if (rc == WF_OK)
        rc = wf_transport_subscribe(self->transport, self->topic_signals);
    if (rc != WF_OK)
        snprintf(errbuf, errlen, "cannot subscribe: %s", wf_strerror(rc));
    return rc;
}

alert_service_t *alert_service_new(wf_service_t *svc, char *errbuf, size_t errlen)
{
    alert_service_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    const wf_config_t *config = svc->config;
    self->svc = svc;
    self->topic_enriched = wf_config_string(config, "topics.enriched");
    self->topic_signals = wf_config_string(config, "topics.signals");
    self->topic_alerts = wf_config_string(config, "topics.alerts");
    self->topic_dead = wf_config_string(config, "topics.deadletters");
    self->batch_max = (size_t)wf_config_int(config, "transport.batch_max");
    self->retry_max_us = wf_config_duration_us(config, "pg.retry_max_backoff");
    if (self->retry_max_us < RETRY_MIN_US)
        self->retry_max_us = RETRY_MIN_US;
    self->latency = wf_stats_histogram(svc->stats, "latency_us");
    self->alert_latency = wf_stats_histogram(svc->stats, "alert_latency_us");
    self->webhook_enqueue = wf_stats_histogram(svc->stats, "webhook_enqueue_us");
    if (s_open(self, errbuf, errlen) != WF_OK)
        alert_service_destroy(&self);
    return self;
}

void alert_service_destroy(alert_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    alert_service_t *self = *self_p;
    alert_webhook_destroy(&self->webhook); /* its grace first: what is acknowledged may go out */
    wf_transport_destroy(&self->transport);
    wf_pgwriter_destroy(&self->dead_letters);
    wf_pgwriter_destroy(&self->alerts);
    alert_engine_destroy(&self->engine);
    free(self->ids);
    free(self);
    *self_p = NULL;
}
