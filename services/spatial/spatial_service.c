/* spatial_service.c — wf-spatial's glue: transport and PostGIS around the near-repeat detector.
 *
 * Per batch: receive enriched events, run each through the detector, append a `signals` row
 * and publish a NEAR_REPEAT signal for every event with related events, then make it durable in
 * this order — PostGIS flush (retried with backoff, never skipped), transport flush — and only
 * then acknowledge. A crash replays from the last acknowledgement; the detector ignores the
 * re-delivered events' second copies and the keyed writes absorb repeated rows. Messages that
 * are not enriched events, and rows PostGIS refuses as data, become dead letters.
 *
 * The detector's window lives in memory; at start it is refilled from the events wf-enrich
 * persisted (the last T + lateness of the checked kinds), so a restart does not leave the
 * detector blind to the burglaries of the past two weeks. A pair belongs to its later event
 * (spatial_nearrepeat.h); when the earlier one arrives last, the later event's signal is
 * published again, revised (signals_revised), and the row keeps the longer related list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>
#include <wf/log.h>
#include <wf/pgwriter.h>
#include <wf/stats.h>
#include <wf/transport.h>

#include "spatial.h"
#include "spatial_nearrepeat.h"
#include "spatial_signal.h"

#define S_STAGE               "spatial"
#define S_DEAD_LETTER_RAW     65536         /* raw bytes a dead letter keeps */
#define S_FUTURE_TOLERANCE_US WF_US_PER_DAY /* clock skew and time zones, not typos */
#define S_RETRY_START_US      (10 * 1000)   /* first pause before retrying PostGIS */

static const wf_pgwriter_spec_t s_signals_spec = {
    .name = "signals",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS signals_stage (LIKE signals INCLUDING DEFAULTS)"
                 " ON COMMIT DELETE ROWS",
    .copy_sql = "COPY signals_stage (signal_id, signal_type, event_id, kind, occurred_at, geom,"
                " related_event_ids, related_count, radius_m, window_s, cell, district, beat,"
                " agency, created_at) FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql = "INSERT INTO signals (signal_id, signal_type, event_id, kind, occurred_at, geom,"
                 " related_event_ids, related_count, radius_m, window_s, cell, district, beat,"
                 " agency, created_at)"
                 " SELECT DISTINCT ON (signal_id) signal_id, signal_type, event_id, kind,"
                 " occurred_at, geom, related_event_ids, related_count, radius_m, window_s, cell,"
                 " district, beat, agency, created_at FROM signals_stage"
                 " ORDER BY signal_id, related_count DESC"
                 " ON CONFLICT (signal_id) DO UPDATE SET related_event_ids ="
                 " EXCLUDED.related_event_ids, related_count = EXCLUDED.related_count,"
                 " updated_at = EXCLUDED.created_at"
                 " WHERE signals.related_count < EXCLUDED.related_count",
};

static const wf_pgwriter_spec_t s_dead_letters_spec = {
    .name = "dead_letters",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS dead_letters_stage"
                 " (LIKE dead_letters INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
    .copy_sql = "COPY dead_letters_stage (dead_letter_id, stage, source, position, line, raw,"
                " raw_length, reason_code, reason, field, received_at) FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql = "INSERT INTO dead_letters (dead_letter_id, stage, source, position, line, raw,"
                 " raw_length, reason_code, reason, field, received_at)"
                 " SELECT dead_letter_id, stage, source, position, line, raw, raw_length,"
                 " reason_code, reason, field, received_at FROM dead_letters_stage"
                 " ON CONFLICT (dead_letter_id) DO NOTHING",
};

struct spatial_service_t {
    wf_service_t *svc;                   /* borrowed: configuration, stats, stop flag */
    wf_transport_t *transport;           /* enriched in; signals and dead letters out */
    wf_pgwriter_t *signals;              /* rows of `signals` */
    wf_pgwriter_t *dead_letters;         /* rows of `dead_letters` */
    spatial_nearrepeat_t *nearrepeat;    /* the detector */
    spatial_nearrepeat_config_t nr;      /* its configuration, to rebuild it on a reassignment */
    spatial_signal_t *signal;            /* reusable signal message */
    wf_histogram_t *latency;             /* ingest → batch flushed, µs */
    const char *topic_enriched;          /* borrowed from the configuration */
    const char *topic_signals;           /* borrowed from the configuration */
    const char *topic_deadletters;       /* borrowed from the configuration */
    size_t batch_max;                    /* deliveries per receive */
    int64_t retry_max_us;                /* longest pause between PostGIS retries */
    int deferred_rc;                     /* failure inside a callback, reported after it */
    spatial_nearrepeat_stats_t reported; /* detector counters already added to stats */
};

/* ---- dead letters ----------------------------------------------------------------------- */

/* Persists and publishes one dead letter; returns the publish result. */
static int s_dead_letter(spatial_service_t *self, const char *source, const char *position,
                         const uint8_t *raw, size_t raw_len, const char *reason_code,
                         const char *reason, const char *field)
{
    static const char digits[] = "0123456789abcdef";
    size_t kept = raw_len < S_DEAD_LETTER_RAW ? raw_len : S_DEAD_LETTER_RAW;
    char *hex = malloc(kept * 2 + 1); /* rare path: an allocation per dead letter is fine */
    if (!hex)
        return WF_ENOMEM;
    for (size_t i = 0; i < kept; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 15];
    }
    hex[kept * 2] = '\0';
    const char *parts[] = {S_STAGE, source, position, hex};
    wf_uuid_t id;
    wf_id_derive(&id, "dead_letter", parts, 4);
    free(hex);
    int64_t now = wf_clock_now_us();

    wf_pgwriter_row_begin(self->dead_letters);
    wf_pgwriter_put_uuid(self->dead_letters, id.bytes);
    wf_pgwriter_put_text(self->dead_letters, S_STAGE);
    wf_pgwriter_put_text(self->dead_letters, source);
    wf_pgwriter_put_text(self->dead_letters, position);
    wf_pgwriter_put_int64(self->dead_letters, 0);
    wf_pgwriter_put_bytea(self->dead_letters, raw, kept);
    wf_pgwriter_put_int64(self->dead_letters, (int64_t)raw_len);
    wf_pgwriter_put_text(self->dead_letters, reason_code);
    wf_pgwriter_put_text(self->dead_letters, reason);
    wf_pgwriter_put_text(self->dead_letters, field);
    wf_pgwriter_put_timestamp_us(self->dead_letters, now);
    wf_pgwriter_row_end(self->dead_letters);

    Wf__DeadLetter letter = WF__DEAD_LETTER__INIT;
    letter.dead_letter_id.data = id.bytes;
    letter.dead_letter_id.len = WF_UUID_LEN;
    letter.stage = (char *)S_STAGE;
    letter.source = (char *)source;
    letter.position = (char *)position;
    letter.raw.data = (uint8_t *)raw;
    letter.raw.len = kept;
    letter.raw_length = raw_len;
    letter.reason_code = (char *)reason_code;
    letter.reason = (char *)reason;
    letter.field = (char *)(field ? field : "");
    letter.received_at_us = now;
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.body_case = WF__ENVELOPE__BODY_DEAD_LETTER;
    envelope.dead_letter = &letter;
    wf_stats_add(self->svc->stats, "dead_letters", 1);
    return wf_transport_publish(self->transport, self->topic_deadletters, NULL, 0, &envelope);
}

/* A delivery that decoded but is not a usable enriched event. */
static int s_dead_letter_delivery(spatial_service_t *self, const wf_delivery_t *delivery,
                                  const char *reason_code, const char *field)
{
    char position[128];
    snprintf(position, sizeof position, "%s/%d/%lld", delivery->topic, (int)delivery->partition,
             (long long)delivery->offset);
    size_t len = wf__envelope__get_packed_size(delivery->envelope);
    uint8_t *raw = malloc(len ? len : 1);
    if (!raw)
        return WF_ENOMEM;
    wf__envelope__pack(delivery->envelope, raw);
    char reason[160];
    snprintf(reason, sizeof reason, "expected an enriched event (%s)", reason_code);
    int rc = s_dead_letter(self, delivery->topic, position, raw, len, reason_code, reason, field);
    free(raw);
    return rc;
}

/* pgwriter reject handler: a signal row PostgreSQL refused as data. */
static void s_on_refused_row(void *user, const char *row, size_t len, const char *sqlstate,
                             const char *message)
{
    spatial_service_t *self = user;
    char reason[600];
    snprintf(reason, sizeof reason, "PostgreSQL refused the signals row (%s): %s", sqlstate,
             message);
    int rc = s_dead_letter(self, "signals", "signals", (const uint8_t *)row, len, "pg_refused",
                           reason, NULL);
    if (rc != WF_OK && self->deferred_rc == WF_OK)
        self->deferred_rc = rc;
}

/* ---- one event -------------------------------------------------------------------------- */

static void s_append_signal_row(spatial_service_t *self, const Wf__SpatialSignal *signal,
                                int64_t now)
{
    wf_pgwriter_t *w = self->signals;
    size_t count;
    const uint8_t *const *related = spatial_signal_related_ids(self->signal, &count);
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, signal->signal_id.data);
    wf_pgwriter_put_text(w, "near_repeat");
    wf_pgwriter_put_uuid(w, signal->event_id.data);
    wf_pgwriter_put_text(w, signal->kind);
    wf_pgwriter_put_timestamp_us(w, signal->occurred_at_us);
    if (signal->location)
        wf_pgwriter_put_point(w, signal->location->lon, signal->location->lat);
    else
        wf_pgwriter_put_null(w);
    wf_pgwriter_put_uuid_array(w, related, count);
    wf_pgwriter_put_int64(w, signal->related_count);
    wf_pgwriter_put_double(w, signal->radius_m);
    wf_pgwriter_put_int64(w, signal->window_s);
    wf_pgwriter_put_text(w, signal->cell[0] ? signal->cell : NULL);
    wf_pgwriter_put_text(w, signal->district[0] ? signal->district : NULL);
    wf_pgwriter_put_text(w, signal->beat[0] ? signal->beat : NULL);
    wf_pgwriter_put_text(w, signal->agency);
    wf_pgwriter_put_timestamp_us(w, now);
    wf_pgwriter_row_end(w);
}

/* Appends the signal's row and publishes it, stamped with the ingest time of the event that
 * caused it (what latency is measured from). */
static int s_emit(spatial_service_t *self, Wf__SpatialSignal *signal, int64_t ingest_ts_us,
                  int64_t now)
{
    s_append_signal_row(self, signal, now);
    Wf__Envelope out = WF__ENVELOPE__INIT;
    out.body_case = WF__ENVELOPE__BODY_SIGNAL;
    out.signal = signal;
    out.ingest_ts_us = ingest_ts_us;
    size_t key_len;
    const char *key = spatial_signal_key(self->signal, &key_len);
    int rc = wf_transport_publish(self->transport, self->topic_signals, key, key_len, &out);
    if (rc == WF_OK)
        wf_stats_add(self->svc->stats, "signals_published", 1);
    return rc;
}

/* Detects near repeats for one delivery; appends and publishes its signal if it has one, and
 * the revised signals of held events it turned out to precede. */
static int s_process(spatial_service_t *self, const wf_delivery_t *delivery, int64_t now)
{
    const Wf__Envelope *envelope = delivery->envelope;
    const Wf__EnrichedEvent *enriched =
        envelope->body_case == WF__ENVELOPE__BODY_ENRICHED ? envelope->enriched : NULL;
    const char *reason_code = "unexpected_message", *field = "body";
    spatial_nearrepeat_event_t event;
    bool readable =
        enriched && spatial_signal_read_event(enriched, now, &event, &reason_code, &field) == WF_OK;
    if (delivery->replay) {
        /* state rebuild after a rebalance: the window learns the event; its signals were
         * published by the copy that processed it first, unless it pairs with an event that
         * came live to this one (the detector says which) */
        wf_stats_add(self->svc->stats, "events_replayed", 1);
        if (!readable)
            return WF_OK; /* dead-lettered when it was first processed */
        /* handled live here before the rebalance, maybe without partitions owned now: its
         * pairs with events of those may never have been reported (wf/transport.h) */
        event.replay = !delivery->handled_here;
    } else {
        wf_stats_add(self->svc->stats, "events_received", 1);
        if (!readable)
            return s_dead_letter_delivery(self, delivery, reason_code, field);
        if (event.context_only) /* a neighbouring cell's event near our border (Kafka) */
            wf_stats_add(self->svc->stats, "events_context", 1);
    }

    spatial_nearrepeat_result_t result;
    int rc = spatial_nearrepeat_add(self->nearrepeat, &event, &result);
    if (rc != WF_OK) {
        wf_log_error("near-repeat detector out of memory held=%zu", (size_t)self->reported.held);
        return rc; /* not acknowledged: a restart replays the batch */
    }
    if (result.outcome != SPATIAL_NEARREPEAT_IGNORED && !delivery->replay)
        wf_stats_add(self->svc->stats, "events_considered", 1);

    if (result.related_count > 0 && result.publish) {
        rc = s_emit(self, spatial_signal_build(self->signal, enriched, &result),
                    envelope->ingest_ts_us, now);
        if (rc != WF_OK)
            return rc;
    }
    /* an earlier partner of held events arrived after them: their signals grow */
    for (size_t i = 0; i < result.revised_count; i++) {
        spatial_nearrepeat_revision_t revision;
        rc = spatial_nearrepeat_revision(self->nearrepeat, i, &revision);
        if (rc == WF_OK && revision.publish)
            rc = s_emit(self, spatial_signal_build_revision(self->signal, &revision),
                        envelope->ingest_ts_us, now);
        if (rc != WF_OK)
            return rc;
        wf_stats_add(self->svc->stats, "signals_revised", revision.publish ? 1 : 0);
    }
    return WF_OK;
}

/* ---- one batch -------------------------------------------------------------------------- */

/* Adds what the detector counted since the last call to the service counters. */
static void s_report_detector(spatial_service_t *self)
{
    spatial_nearrepeat_stats_t now, *was = &self->reported;
    spatial_nearrepeat_stats(self->nearrepeat, &now);
    wf_stats_t *stats = self->svc->stats;
    wf_stats_set(stats, "nearrepeat_held", (int64_t)now.held);
    wf_stats_set(stats, "nearrepeat_bytes", (int64_t)now.bytes);
    wf_stats_add(stats, "nearrepeat_evicted", now.evicted - was->evicted);
    wf_stats_add(stats, "nearrepeat_evicted_cap", now.evicted_cap - was->evicted_cap);
    wf_stats_add(stats, "late_events", now.late - was->late);
    wf_stats_add(stats, "nearrepeat_duplicates", now.duplicates - was->duplicates);
    wf_stats_add(stats, "nearrepeat_stale", now.stale - was->stale);
    wf_stats_add(stats, "nearrepeat_replaced", now.replaced - was->replaced);
    wf_stats_add(stats, "nearrepeat_future", now.future - was->future);
    wf_stats_add(stats, "nearrepeat_unusable", now.unusable - was->unusable);
    wf_stats_add(stats, "nearrepeat_late_pairs", now.late_pairs - was->late_pairs);
    *was = now;
}

/* Flushes both writers, retrying with backoff while PostGIS is away. WF_EINTR on stop. */
static int s_flush_writers(spatial_service_t *self)
{
    int64_t pause = S_RETRY_START_US;
    for (;;) {
        uint64_t inserted = 0;
        int rc = wf_pgwriter_flush(self->signals, &inserted);
        wf_stats_add(self->svc->stats, "signals_inserted", inserted);
        if (rc == WF_OK)
            rc = wf_pgwriter_flush(self->dead_letters, NULL);
        if (rc == WF_OK || self->deferred_rc != WF_OK)
            return rc == WF_OK ? self->deferred_rc : rc;
        if (wf_service_stopping())
            return WF_EINTR; /* unacknowledged: the next start replays the batch */
        wf_stats_add(self->svc->stats, "pg_retries", 1);
        wf_clock_sleep_us(pause);
        wf_service_tick(self->svc);
        pause = pause * 2 < self->retry_max_us ? pause * 2 : self->retry_max_us;
    }
}

static int s_batch(spatial_service_t *self, const wf_delivery_t *deliveries, size_t count)
{
    const wf_transport_reject_t *rejects;
    size_t nrejects = wf_transport_take_rejects(self->transport, &rejects);
    int rc = WF_OK;
    for (size_t i = 0; i < nrejects && rc == WF_OK; i++)
        rc = s_dead_letter(self, rejects[i].topic, rejects[i].position, rejects[i].data,
                           rejects[i].len, "undecodable", rejects[i].reason, NULL);
    int64_t now = wf_clock_now_us();
    for (size_t i = 0; i < count && rc == WF_OK; i++)
        rc = s_process(self, &deliveries[i], now);
    s_report_detector(self);
    if (rc != WF_OK || (count == 0 && nrejects == 0))
        return rc;
    /* rows first: an alert may name a signal, and must never name one that is not stored */
    if ((rc = s_flush_writers(self)) != WF_OK)
        return rc;
    if ((rc = wf_transport_flush(self->transport, -1)) != WF_OK)
        return rc;
    now = wf_clock_now_us();
    for (size_t i = 0; i < count; i++)
        if (deliveries[i].envelope->ingest_ts_us > 0)
            wf_histogram_record(self->latency, now - deliveries[i].envelope->ingest_ts_us);
    return wf_transport_ack(self->transport);
}

int spatial_service_run(spatial_service_t *self)
{
    int rc = WF_OK;
    while (rc == WF_OK && !wf_service_stopping()) {
        wf_service_tick(self->svc);
        const wf_delivery_t *deliveries;
        int n = wf_transport_recv(self->transport, &deliveries, self->batch_max, 100);
        if (n < 0 && wf_err_is_retriable(n)) {
            wf_clock_sleep_us(S_RETRY_START_US);
            continue;
        }
        rc = n < 0 ? n : s_batch(self, deliveries, (size_t)n);
    }
    if (rc == WF_EINTR)
        return WF_OK; /* stopped while blocked; what was not acknowledged is replayed */
    if (rc != WF_OK)
        wf_log_error("spatial stops on a failure error=\"%s\"", wf_strerror(rc));
    return rc;
}

/* ---- construction ----------------------------------------------------------------------- */

/* The held window as the events table has it: every located revision of a checked kind within
 * T + lateness of the newest plausible occurrence time. Kinds arrive as one comma-joined
 * parameter (a configured list item cannot contain a comma). */
static const char s_warm_sql[] =
    "WITH newest AS (SELECT max(occurred_at) AS t FROM events"
    " WHERE kind = ANY (string_to_array($1, ','))"
    " AND occurred_at <= now() + make_interval(secs => $4::double precision))"
    " SELECT e.event_id::text, e.agency, e.source_record_id, e.kind,"
    " (extract(epoch FROM e.occurred_at) * 1000000)::bigint,"
    " coalesce((extract(epoch FROM e.reported_at) * 1000000)::bigint, 0),"
    " ST_X(e.geom), ST_Y(e.geom), coalesce(e.district, ''), coalesce(e.beat, ''),"
    " CASE e.dissemination WHEN 'public' THEN 1 WHEN 'law_enforcement' THEN 2"
    " WHEN 'agency_only' THEN 3 WHEN 'restricted' THEN 4 ELSE 0 END"
    " FROM events e, newest WHERE e.kind = ANY (string_to_array($1, ','))"
    " AND e.geom IS NOT NULL AND e.occurred_at <= newest.t"
    " AND e.occurred_at >= newest.t - make_interval(secs => $2::double precision)"
    " ORDER BY e.occurred_at DESC LIMIT $3::bigint";

/* Feeds one row of s_warm_sql to the detector (no signal: these were checked when they came). */
static void s_warm_row(spatial_service_t *self, const PGresult *res, int64_t now)
{
    wf_uuid_t id;
    if (wf_uuid_parse(PQgetvalue(res, 0, 0), &id) != WF_OK)
        return;
    spatial_nearrepeat_event_t event = {
        .event_id = id.bytes,
        .agency = PQgetvalue(res, 0, 1),
        .source_record_id = PQgetvalue(res, 0, 2),
        .kind = PQgetvalue(res, 0, 3),
        .occurred_us = strtoll(PQgetvalue(res, 0, 4), NULL, 10),
        .reported_us = strtoll(PQgetvalue(res, 0, 5), NULL, 10),
        .has_location = true,
        .lon = strtod(PQgetvalue(res, 0, 6), NULL),
        .lat = strtod(PQgetvalue(res, 0, 7), NULL),
        .arrived_us = now,
        .district = PQgetvalue(res, 0, 8),
        .beat = PQgetvalue(res, 0, 9),
        .dissemination = atoi(PQgetvalue(res, 0, 10)),
        .replay = true, /* its signals were published when it came */
    };
    spatial_nearrepeat_result_t ignored;
    spatial_nearrepeat_add(self->nearrepeat, &event, &ignored);
}

/* Refills the window from PostGIS, streaming rows (single-row mode) so that a full window never
 * sits in memory twice. Best effort: on failure the detector starts empty, and says so. */
static void s_warm_start(spatial_service_t *self, const wf_config_t *config)
{
    PGconn *conn = wf_pgwriter_connection(self->signals);
    const char *const *kinds;
    size_t nkinds = wf_config_list(config, "spatial.near_repeat.kinds", &kinds);
    char kind_list[1024] = "", span[32], limit[32], future[32];
    for (size_t i = 0, at = 0; i < nkinds && at < sizeof kind_list; i++)
        at +=
            (size_t)snprintf(kind_list + at, sizeof kind_list - at, "%s%s", i ? "," : "", kinds[i]);
    int64_t span_us = wf_config_duration_us(config, "spatial.near_repeat.window") +
                      wf_config_duration_us(config, "spatial.near_repeat.lateness");
    snprintf(span, sizeof span, "%lld", (long long)(span_us / WF_US_PER_SEC));
    snprintf(limit, sizeof limit, "%lld",
             (long long)wf_config_int(config, "spatial.near_repeat.max_events"));
    snprintf(future, sizeof future, "%lld", (long long)(S_FUTURE_TOLERANCE_US / WF_US_PER_SEC));
    const char *params[] = {kind_list, span, limit, future};
    if (!conn || !PQsendQueryParams(conn, s_warm_sql, 4, NULL, params, NULL, NULL, 0) ||
        !PQsetSingleRowMode(conn)) {
        wf_log_warn("near-repeat window starts empty: cannot query events error=\"%s\"",
                    conn ? PQerrorMessage(conn) : "no connection");
        return;
    }
    int64_t now = wf_clock_now_us();
    uint64_t rows = 0;
    char failure[256] = "";
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        if (PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
            s_warm_row(self, res, now);
            rows++;
        } else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(failure, sizeof failure, "%s", PQresultErrorMessage(res));
            failure[strcspn(failure, "\n")] = '\0';
        }
        PQclear(res);
    }
    /* The refill runs newest first, so every pair in it looks late; none of them is a pair the
     * stream lost (they were checked when they came), so they stay out of the counter. */
    spatial_nearrepeat_stats_t refilled;
    spatial_nearrepeat_stats(self->nearrepeat, &refilled);
    self->reported.late_pairs = refilled.late_pairs;
    s_report_detector(self);
    wf_stats_add(self->svc->stats, "nearrepeat_warm_rows", rows);
    if (failure[0])
        wf_log_warn("near-repeat window incomplete: events query failed rows=%llu error=\"%s\"",
                    (unsigned long long)rows, failure);
    else
        wf_log_notice("near-repeat window refilled from events rows=%llu held=%llu",
                      (unsigned long long)rows, (unsigned long long)self->reported.held);
}

static int s_build_detector(spatial_service_t *self, const wf_config_t *config, char *errbuf,
                            size_t errlen)
{
    spatial_nearrepeat_config_t nr = {0};
    nr.kind_count = wf_config_list(config, "spatial.near_repeat.kinds", &nr.kinds);
    nr.distance_m = wf_config_double(config, "spatial.near_repeat.distance_m");
    nr.window_us = wf_config_duration_us(config, "spatial.near_repeat.window");
    nr.lateness_us = wf_config_duration_us(config, "spatial.near_repeat.lateness");
    nr.max_events = (size_t)wf_config_int(config, "spatial.near_repeat.max_events");
    nr.future_tolerance_us = S_FUTURE_TOLERANCE_US;
    spatial_signal_config_t sc = {
        .radius_m = nr.distance_m,
        .window_us = nr.window_us,
        .cell_m = wf_config_double(config, "spatial.cell_m"),
        .max_related = (size_t)wf_config_int(config, "spatial.near_repeat.max_related"),
    };
    if (nr.kind_count == 0) {
        snprintf(errbuf, errlen, "spatial.near_repeat.kinds is empty: nothing to detect");
        return WF_EINVAL;
    }
    self->nr = nr;
    self->nearrepeat = spatial_nearrepeat_new(&nr);
    self->signal = spatial_signal_new(&sc);
    if (!self->nearrepeat || !self->signal) {
        snprintf(errbuf, errlen, "cannot create the near-repeat detector (memory)");
        return WF_ENOMEM;
    }
    wf_log_notice("near-repeat detection kinds=%s distance_m=%g window=%s lateness=%s "
                  "max_events=%zu max_related=%zu cell_m=%g",
                  wf_config_text(config, "spatial.near_repeat.kinds"), nr.distance_m,
                  wf_config_text(config, "spatial.near_repeat.window"),
                  wf_config_text(config, "spatial.near_repeat.lateness"), nr.max_events,
                  sc.max_related, sc.cell_m);
    return WF_OK;
}

/* Kafka moved partitions: the held window was the old assignment's; the transport replays the
 * new one's history into a fresh detector. */
static void s_on_reassigned(void *user)
{
    spatial_service_t *self = user;
    spatial_nearrepeat_t *fresh = spatial_nearrepeat_new(&self->nr);
    if (!fresh) {
        wf_log_error("cannot rebuild the near-repeat window (memory): keeping the old one");
        return;
    }
    s_report_detector(self);
    spatial_nearrepeat_destroy(&self->nearrepeat);
    self->nearrepeat = fresh;
    memset(&self->reported, 0, sizeof self->reported);
}

spatial_service_t *spatial_service_new(wf_service_t *svc, char *errbuf, size_t errlen)
{
    const wf_config_t *config = svc->config;
    spatial_service_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->svc = svc;
    self->topic_enriched = wf_config_string(config, "topics.enriched");
    self->topic_signals = wf_config_string(config, "topics.signals");
    self->topic_deadletters = wf_config_string(config, "topics.deadletters");
    self->batch_max = (size_t)wf_config_int(config, "transport.batch_max");
    self->retry_max_us = wf_config_duration_us(config, "pg.retry_max_backoff");
    self->latency = wf_stats_histogram(svc->stats, "latency_us");
    if (s_build_detector(self, config, errbuf, errlen) != WF_OK)
        goto fail;
    const char *conninfo = wf_config_string(config, "pg.conninfo");
    if (!(self->signals = wf_pgwriter_new(conninfo, &s_signals_spec, errbuf, errlen)) ||
        !(self->dead_letters = wf_pgwriter_new(conninfo, &s_dead_letters_spec, errbuf, errlen)))
        goto fail;
    wf_pgwriter_set_reject_handler(self->signals, s_on_refused_row, self);
    self->transport = wf_transport_new(config, S_STAGE, S_STAGE, svc->stats, errbuf, errlen);
    if (!self->transport)
        goto fail;
    /* Kafka rebuilds the window of the partitions this copy owns by replaying them; ZeroMQ has
     * one copy and no history, so the window comes from the events table */
    wf_transport_set_state_rebuild(self->transport, self->nr.window_us + self->nr.lateness_us,
                                   s_on_reassigned, self);
    if (strcmp(wf_transport_backend(self->transport), "zmq") == 0)
        s_warm_start(self, config);
    int rc = wf_transport_subscribe(self->transport, self->topic_enriched);
    if (rc != WF_OK) {
        snprintf(errbuf, errlen, "cannot subscribe to %s: %s", self->topic_enriched,
                 wf_strerror(rc));
        goto fail;
    }
    return self;
fail:
    spatial_service_destroy(&self);
    return NULL;
}

void spatial_service_destroy(spatial_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    spatial_service_t *self = *self_p;
    wf_transport_destroy(&self->transport);
    wf_pgwriter_destroy(&self->dead_letters);
    wf_pgwriter_destroy(&self->signals);
    spatial_signal_destroy(&self->signal);
    spatial_nearrepeat_destroy(&self->nearrepeat);
    free(self);
    *self_p = NULL;
}
