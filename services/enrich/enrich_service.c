/* enrich_service.c — wf-enrich's glue: boundaries from PostGIS, events in and out.
 *
 * At start the boundary set is read from PostGIS into the area index (enrich_areas), and the
 * NIBRS tables and hot lists into enrich_reference (refreshed between batches). Then each
 * step receives a batch of NormalizedEvents, assigns district and beat (enrich_event), the
 * NIBRS offense and hot-list hits (enrich_nibrs, enrich_hotlist), appends the events to the
 * COPY writer of the events table, publishes EnrichedEvents, commits the writer and
 * acknowledges the batch. Nothing is acknowledged before it is durable, so a crash
 * or a PostGIS outage means replay, never loss; replays are absorbed by the events table's key.
 * Records enrich cannot accept become dead letters (PostGIS and topics.deadletters).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <wf/cell.h>
#include <wf/clock.h>
#include <wf/err.h>
#include <wf/log.h>
#include <wf/pgwriter.h>
#include <wf/transport.h>

#include "enrich.h"
#include "enrich_areas.h"
#include "enrich_event.h"
#include "enrich_reference.h"

#define S_EVENT_COLUMNS                                                                            \
    "event_id, occurred_at, reported_at, ingested_at, enriched_at, agency, source, "               \
    "source_record_id, revision, incident_number, kind, offense_code, offense_text, "              \
    "location_type, priority, address, geom, district, beat, area_method, boundary_set, "          \
    "source_district, source_beat, dissemination, source_position, attributes, nibrs_code, "       \
    "nibrs_category, crime_against, hotlist_hits"

static const wf_pgwriter_spec_t s_events_spec = {
    .name = "events",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS events_stage ("
                 "event_id uuid, occurred_at timestamptz, reported_at timestamptz, "
                 "ingested_at timestamptz, enriched_at timestamptz, agency text, source text, "
                 "source_record_id text, revision text, incident_number text, kind text, "
                 "offense_code text, offense_text text, location_type text, priority smallint, "
                 "address text, geom geometry(Point, 4326), district text, beat text, "
                 "area_method text, boundary_set text, source_district text, source_beat text, "
                 "dissemination text, source_position text, attributes jsonb, nibrs_code text, "
                 "nibrs_category text, crime_against text, hotlist_hits jsonb"
                 ") ON COMMIT DELETE ROWS",
    .copy_sql = "COPY events_stage (" S_EVENT_COLUMNS ") FROM STDIN",
    .prepare_sql = "SELECT wf_ensure_event_partitions("
                   "ARRAY(SELECT DISTINCT occurred_at FROM events_stage))",
    .merge_sql = "INSERT INTO events (" S_EVENT_COLUMNS ") SELECT " S_EVENT_COLUMNS
                 " FROM events_stage ON CONFLICT DO NOTHING",
};

#define S_DEAD_LETTER_COLUMNS                                                                      \
    "dead_letter_id, stage, source, position, line, raw, raw_length, reason_code, reason, "        \
    "field, received_at"

static const wf_pgwriter_spec_t s_dead_letters_spec = {
    .name = "dead_letters",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS dead_letters_stage ("
                 "dead_letter_id uuid, stage text, source text, position text, line bigint, "
                 "raw bytea, raw_length bigint, reason_code text, reason text, field text, "
                 "received_at timestamptz) ON COMMIT DELETE ROWS",
    .copy_sql = "COPY dead_letters_stage (" S_DEAD_LETTER_COLUMNS ") FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql =
        "INSERT INTO dead_letters (" S_DEAD_LETTER_COLUMNS ") SELECT " S_DEAD_LETTER_COLUMNS
        " FROM dead_letters_stage ON CONFLICT DO NOTHING",
};

/* Counter per area method, indexed by Wf__AreaMethod. */
static const char *const s_area_counters[] = {
    "area.unspecified", "area.point_in_polygon", "area.boundary_tie",
    "area.nearest",     "area.source_reported",  "area.not_found",
};

struct enrich_service_t {
    wf_service_t *svc;             /* borrowed: configuration and counters */
    const char *topic_in;          /* topics.normalized (borrowed from the configuration) */
    const char *topic_out;         /* topics.enriched */
    const char *topic_dead;        /* topics.deadletters */
    double tolerance_m;            /* enrich.snap_tolerance_m */
    double context_m;              /* copies to neighbouring cells within this (Kafka), or 0 */
    bool persist;                  /* enrich.persist: false only for benchmarks */
    int64_t retry_max_us;          /* pg.retry_max_backoff */
    size_t batch_max;              /* transport.batch_max */
    char boundary_set[128];        /* the set in use, copied into every EnrichedEvent */
    enrich_areas_t *areas;         /* district and beat index */
    wf_pgwriter_t *events;         /* events table writer; its connection loads boundaries */
    wf_pgwriter_t *dead_letters;   /* dead_letters table writer */
    wf_transport_t *transport;     /* in: topics.normalized; out: enriched, deadletters */
    wf_histogram_t *latency;       /* latency_us: ingest → published here */
    enrich_json_buf_t json;        /* attributes JSON, reused per event */
    enrich_json_buf_t hits_json;   /* hotlist_hits JSON, reused per event */
    enrich_reference_t *reference; /* NIBRS tables and hot lists, kept current */
    enrich_hotlist_fields_t hotlist_fields; /* enrich.hotlist.*_fields (borrowed) */
    enrich_hotlist_hits_t hits;             /* hot-list hits of the current event */
    uint64_t refused; /* event rows PostgreSQL refused during the current flush */
};

/* ---- start-up: boundaries ---------------------------------------------------------------- */

static const char s_load_hint[] =
    "load one per layer with `wf-admin load-boundaries --set NAME --jurisdiction J "
    "--effective-from YYYY-MM-DD --layer district|beat --code-field F … FILE.geojson[.xz]` "
    "(see wf-admin --help)";

/* The configured boundary set, or the one with the latest effective_from. */
static int s_choose_boundary_set(enrich_service_t *self, PGconn *conn, char *errbuf, size_t errlen)
{
    const char *configured = wf_config_string(self->svc->config, "enrich.boundary_set");
    if (configured && *configured) {
        snprintf(self->boundary_set, sizeof self->boundary_set, "%s", configured);
        return WF_OK;
    }
    PGresult *res = PQexec(conn, "SELECT boundary_set FROM boundary_sets "
                                 "ORDER BY effective_from DESC NULLS LAST, loaded_at DESC LIMIT 1");
    int rc = WF_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errlen, "reading boundary_sets: %s", PQresultErrorMessage(res));
        rc = WF_EIO;
    } else if (PQntuples(res) == 0) {
        snprintf(errbuf, errlen, "no boundary set in PostGIS: %s", s_load_hint);
        rc = WF_ENOTFOUND;
    } else {
        snprintf(self->boundary_set, sizeof self->boundary_set, "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    errbuf[strcspn(errbuf, "\n")] = '\0';
    return rc;
}

/* Adds every row of the result (layer, code, parent_code, WKB; binary format) to the index. */
static int s_add_boundaries(enrich_service_t *self, PGresult *res, char *errbuf, size_t errlen)
{
    for (int i = 0; i < PQntuples(res); i++) {
        enrich_layer_t layer;
        if (enrich_areas_layer_parse(PQgetvalue(res, i, 0), &layer) != WF_OK)
            continue; /* "jurisdiction": not assigned by enrich */
        const char *code = PQgetvalue(res, i, 1);
        const char *parent = PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2);
        char why[256] = "";
        int rc = enrich_areas_add(self->areas, layer, code, parent,
                                  (const uint8_t *)PQgetvalue(res, i, 3),
                                  (size_t)PQgetlength(res, i, 3), why, sizeof why);
        if (rc != WF_OK) {
            snprintf(errbuf, errlen, "boundary set %s, %s %s: %s", self->boundary_set,
                     PQgetvalue(res, i, 0), code, why);
            return rc;
        }
    }
    return WF_OK;
}

static int s_load_boundaries(enrich_service_t *self, char *errbuf, size_t errlen)
{
    PGconn *conn = wf_pgwriter_connection(self->events);
    int rc = s_choose_boundary_set(self, conn, errbuf, errlen);
    if (rc != WF_OK)
        return rc;
    const char *params[1] = {self->boundary_set};
    PGresult *res = PQexecParams(conn,
                                 "SELECT layer, code, parent_code, ST_AsBinary(geom) "
                                 "FROM boundaries WHERE boundary_set = $1",
                                 1, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errlen, "reading boundaries: %s", PQresultErrorMessage(res));
        errbuf[strcspn(errbuf, "\n")] = '\0';
        PQclear(res);
        return WF_EIO;
    }
    rc = s_add_boundaries(self, res, errbuf, errlen);
    PQclear(res);
    if (rc != WF_OK)
        return rc;
    size_t districts = enrich_areas_count(self->areas, ENRICH_LAYER_DISTRICT);
    size_t beats = enrich_areas_count(self->areas, ENRICH_LAYER_BEAT);
    if (districts + beats == 0) {
        snprintf(errbuf, errlen, "boundary set '%s' has no district or beat boundaries: %s",
                 self->boundary_set, s_load_hint);
        return WF_ENOTFOUND;
    }
    rc = enrich_areas_build(self->areas, self->tolerance_m, errbuf, errlen);
    if (rc == WF_OK)
        wf_log_notice("boundaries loaded boundary_set=%s districts=%zu beats=%zu",
                      self->boundary_set, districts, beats);
    return rc;
}

/* ---- dead letters ------------------------------------------------------------------------ */

static void s_dead_letter(enrich_service_t *self, const enrich_dead_letter_in_t *in,
                          int64_t ingest_ts_us)
{
    Wf__DeadLetter dead_letter = WF__DEAD_LETTER__INIT;
    wf_uuid_t id;
    if (enrich_event_dead_letter(&dead_letter, &id, in) != WF_OK) {
        wf_log_error("out of memory building a dead letter position=%s reason=%s", in->position,
                     in->reason_code);
        abort(); /* acknowledging would lose the record; a restart replays it */
    }
    wf_pgwriter_t *w = self->dead_letters;
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, id.bytes);
    wf_pgwriter_put_text(w, dead_letter.stage);
    wf_pgwriter_put_text(w, dead_letter.source);
    wf_pgwriter_put_text(w, dead_letter.position);
    wf_pgwriter_put_null(w); /* line: enrich's input has none */
    wf_pgwriter_put_bytea(w, in->raw, in->raw_len);
    wf_pgwriter_put_int64(w, (int64_t)in->raw_len);
    wf_pgwriter_put_text(w, dead_letter.reason_code);
    wf_pgwriter_put_text(w, dead_letter.reason);
    wf_pgwriter_put_text(w, *dead_letter.field ? dead_letter.field : NULL);
    wf_pgwriter_put_timestamp_us(w, dead_letter.received_at_us);
    wf_pgwriter_row_end(w);

    Wf__Envelope out = WF__ENVELOPE__INIT;
    out.type = WF__MESSAGE_TYPE__DEAD_LETTER;
    out.ingest_ts_us = ingest_ts_us;
    out.body_case = WF__ENVELOPE__BODY_DEAD_LETTER;
    out.dead_letter = &dead_letter;
    int rc = wf_transport_publish(self->transport, self->topic_dead, NULL, 0, &out);
    if (rc != WF_OK && rc != WF_EINTR)
        wf_log_warn("dead letter not published (it is in PostGIS) error=%s", wf_strerror(rc));
    wf_stats_add(self->svc->stats, "dead_letters", 1);
}

/* Dead-letters a decoded envelope: its re-encoded bytes are the raw record. */
static void s_dead_letter_envelope(enrich_service_t *self, const wf_delivery_t *delivery,
                                   const char *reason_code, const char *reason, const char *field)
{
    size_t len = wf__envelope__get_packed_size(delivery->envelope);
    uint8_t *raw = malloc(len ? len : 1);
    if (!raw) {
        wf_log_error("out of memory dead-lettering reason=%s", reason_code);
        abort();
    }
    wf__envelope__pack(delivery->envelope, raw);
    /* topic/partition/offset, plus producer and sequence: a ZeroMQ offset counts frames, so
     * only the sequence tells the envelopes of one frame apart */
    char position[256];
    snprintf(position, sizeof position, "%s/%d/%lld %s#%llu", delivery->topic,
             (int)delivery->partition, (long long)delivery->offset, delivery->envelope->producer_id,
             (unsigned long long)delivery->envelope->sequence);
    enrich_dead_letter_in_t in = {
        delivery->topic, position, raw, len, false, reason_code, reason, field, wf_clock_now_us()};
    s_dead_letter(self, &in, delivery->envelope->ingest_ts_us);
    free(raw);
}

static void s_dead_letter_rejects(enrich_service_t *self)
{
    const wf_transport_reject_t *rejects = NULL;
    size_t n = wf_transport_take_rejects(self->transport, &rejects);
    for (size_t i = 0; i < n; i++) {
        enrich_dead_letter_in_t in = {rejects[i].topic,
                                      rejects[i].position,
                                      rejects[i].data,
                                      rejects[i].len,
                                      false,
                                      "undecodable",
                                      rejects[i].reason,
                                      NULL,
                                      wf_clock_now_us()};
        s_dead_letter(self, &in, 0);
    }
}

/* pgwriter callback: PostgreSQL refused an event row as data; it becomes a dead letter. */
static void s_on_refused_event(void *user, const char *row, size_t len, const char *sqlstate,
                               const char *message)
{
    enrich_service_t *self = user;
    char position[64], reason[512];
    /* the row starts with the event id (36 characters) */
    snprintf(position, sizeof position, "events row %.36s", row);
    snprintf(reason, sizeof reason, "PostgreSQL refused the row (SQLSTATE %s): %s", sqlstate,
             message);
    enrich_dead_letter_in_t in = {
        self->topic_in, position, (const uint8_t *)row, len, true, "refused_by_database",
        reason,         NULL,     wf_clock_now_us()};
    s_dead_letter(self, &in, 0);
    self->refused++;
}

/* ---- the event path ---------------------------------------------------------------------- */

static void s_put_optional(wf_pgwriter_t *w, const char *text)
{
    wf_pgwriter_put_text(w, text && *text ? text : NULL);
}

/* Appends one events row, in S_EVENT_COLUMNS order. */
static void s_put_event(enrich_service_t *self, const Wf__EnrichedEvent *enriched,
                        int64_t ingest_ts_us)
{
    const Wf__NormalizedEvent *e = enriched->event;
    wf_pgwriter_t *w = self->events;
    if (enrich_event_attributes_json(e, &self->json) != WF_OK) {
        wf_log_error("out of memory encoding attributes");
        abort(); /* as the COPY buffer does: no consistent way to keep the row */
    }
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, e->event_id.data);
    wf_pgwriter_put_timestamp_us(w, e->occurred_at_us);
    wf_pgwriter_put_timestamp_us(w, e->reported_at_us);
    /* ingested_at is required; an envelope without it (never from ingest) gets enrich's time */
    wf_pgwriter_put_timestamp_us(w, ingest_ts_us ? ingest_ts_us : enriched->enriched_at_us);
    wf_pgwriter_put_timestamp_us(w, enriched->enriched_at_us);
    wf_pgwriter_put_text(w, e->agency);
    wf_pgwriter_put_text(w, e->source);
    wf_pgwriter_put_text(w, e->source_record_id);
    wf_pgwriter_put_text(w, e->revision);
    s_put_optional(w, e->incident_number);
    wf_pgwriter_put_text(w, e->kind);
    s_put_optional(w, e->offense_code);
    s_put_optional(w, e->offense_text);
    s_put_optional(w, e->location_type);
    if (e->priority)
        wf_pgwriter_put_int64(w, e->priority);
    else
        wf_pgwriter_put_null(w);
    s_put_optional(w, e->address);
    if (e->location)
        wf_pgwriter_put_point(w, e->location->lon, e->location->lat);
    else
        wf_pgwriter_put_null(w);
    s_put_optional(w, enriched->district);
    s_put_optional(w, enriched->beat);
    wf_pgwriter_put_text(w, enrich_event_method_name(enriched->area_method));
    wf_pgwriter_put_text(w, enriched->boundary_version);
    s_put_optional(w, e->source_district);
    s_put_optional(w, e->source_beat);
    wf_pgwriter_put_text(w, enrich_event_dissemination_name(e->dissemination));
    s_put_optional(w, e->source_position);
    wf_pgwriter_put_textn(w, self->json.text, self->json.len);
    s_put_optional(w, enriched->nibrs_code);
    s_put_optional(w, enriched->nibrs_category);
    s_put_optional(w, enriched->crime_against);
    if (self->hits.count == 0)
        wf_pgwriter_put_null(w);
    else if (enrich_hotlist_hits_json(&self->hits, &self->hits_json) == WF_OK)
        wf_pgwriter_put_textn(w, self->hits_json.text, self->hits_json.len);
    else {
        wf_log_error("out of memory encoding hot-list hits");
        abort();
    }
    wf_pgwriter_row_end(w);
}

/* NIBRS classification and hot-list hits of one event, counted. */
static void s_classify(enrich_service_t *self, Wf__EnrichedEvent *enriched)
{
    static const char *const basis_counters[] = {"nibrs.unclassified", "nibrs.by_agency_code",
                                                 "nibrs.by_kind"};
    const Wf__NormalizedEvent *e = enriched->event;
    enrich_nibrs_basis_t basis;
    const enrich_nibrs_offense_t *offense = enrich_nibrs_classify(
        enrich_reference_nibrs(self->reference), e->agency, e->offense_code, e->kind, &basis);
    wf_stats_add(self->svc->stats, basis_counters[basis], 1);
    if (offense) {
        enriched->nibrs_code = offense->code;
        enriched->nibrs_category = offense->category;
        enriched->crime_against = offense->crime_against;
    }
    if (enrich_hotlist_check(enrich_reference_hotlist(self->reference), e, &self->hotlist_fields,
                             wf_clock_now_us(), &self->hits) != WF_OK) {
        wf_log_error("out of memory matching hot lists");
        abort(); /* acknowledging would lose the hits; a restart replays the batch */
    }
    enriched->n_hotlist_hits = self->hits.count;
    enriched->hotlist_hits = self->hits.hits;
    if (self->hits.count) {
        wf_stats_add(self->svc->stats, "hotlist.events_hit", 1);
        wf_stats_add(self->svc->stats, "hotlist.hits", self->hits.count);
    }
}

/* Publishes context copies of a located event to the cells whose border it is within
 * context_m of: their partitions' spatial consumer (maybe another copy than ours) needs it to
 * pair events across the border (spatial_nearrepeat.h, "Context"). */
static int s_publish_context(enrich_service_t *self, Wf__Envelope *out)
{
    const Wf__Point *at = out->enriched->event->location;
    char keys[3][WF_CELL_KEY_LEN];
    size_t lens[3];
    size_t n = wf_cell_neighbour_keys(at->lon, at->lat, self->context_m, keys, lens);
    out->enriched->context_only = true;
    int rc = WF_OK;
    for (size_t i = 0; i < n && rc == WF_OK; i++)
        if ((rc = wf_transport_publish(self->transport, self->topic_out, keys[i], lens[i], out)) ==
            WF_OK)
            wf_stats_add(self->svc->stats, "events_context_published", 1);
    out->enriched->context_only = false;
    return rc;
}

/* Enriches, stores and publishes one delivery. Returns 0 or WF_EINTR (stop while blocked). */
static int s_process(enrich_service_t *self, const wf_delivery_t *delivery)
{
    Wf__Envelope *in = delivery->envelope;
    wf_stats_add(self->svc->stats, "events_received", 1);
    if (in->body_case != WF__ENVELOPE__BODY_EVENT || !in->event) {
        s_dead_letter_envelope(self, delivery, "unexpected_message",
                               "not a NormalizedEvent envelope", "body");
        return WF_OK;
    }
    Wf__NormalizedEvent *event = in->event;
    enrich_event_reject_t reject;
    if (enrich_event_check(event, &reject) != WF_OK) {
        s_dead_letter_envelope(self, delivery, reject.reason_code, reject.reason, reject.field);
        return WF_OK;
    }
    enrich_assignment_t assignment;
    enrich_event_assign(self->areas, event, self->tolerance_m, &assignment);
    wf_stats_add(self->svc->stats, s_area_counters[assignment.method], 1);

    Wf__EnrichedEvent enriched = WF__ENRICHED_EVENT__INIT;
    enrich_event_enriched(&enriched, event, &assignment, self->boundary_set, wf_clock_now_us());
    s_classify(self, &enriched);
    if (self->persist)
        s_put_event(self, &enriched, in->ingest_ts_us);

    Wf__Envelope out = WF__ENVELOPE__INIT;
    out.type = WF__MESSAGE_TYPE__ENRICHED_EVENT;
    out.ingest_ts_us = in->ingest_ts_us;
    out.body_case = WF__ENVELOPE__BODY_ENRICHED;
    out.enriched = &enriched;
    char key[WF_CELL_KEY_LEN];
    size_t key_len = wf_cell_key(key, sizeof key, event->location != NULL,
                                 event->location ? event->location->lon : 0,
                                 event->location ? event->location->lat : 0, event->agency);
    int rc = wf_transport_publish(self->transport, self->topic_out, key, key_len, &out);
    if (rc != WF_OK)
        return rc;
    wf_stats_add(self->svc->stats, "events_published", 1);
    if (self->context_m > 0 && event->location && (rc = s_publish_context(self, &out)) != WF_OK)
        return rc;
    if (in->ingest_ts_us > 0)
        wf_histogram_record(self->latency, wf_clock_now_us() - in->ingest_ts_us);
    return WF_OK;
}

/* Flushes writer until it commits; a PostGIS outage is waited out with doubling pauses.
 * Returns 0, WF_EINTR (stop requested while waiting) or a non-retriable error. */
static int s_flush_retrying(enrich_service_t *self, wf_pgwriter_t *writer, uint64_t *inserted)
{
    int64_t pause_us = 50 * 1000;
    for (;;) {
        int rc = wf_pgwriter_flush(writer, inserted);
        if (rc != WF_EIO)
            return rc;
        if (wf_service_stopping())
            return WF_EINTR;
        wf_service_tick(self->svc); /* keep the stats file current during the outage */
        wf_clock_sleep_us(pause_us);
        pause_us = pause_us * 2 > self->retry_max_us ? self->retry_max_us : pause_us * 2;
    }
}

/* Makes the batch durable (events, dead letters), publishes it, then acknowledges it. Rows
 * first: nothing downstream (a signal, an alert) may name an event that is not stored. */
static int s_commit(enrich_service_t *self)
{
    int rc;
    size_t pending = wf_pgwriter_pending(self->events);
    if (pending > 0) {
        uint64_t inserted = 0;
        self->refused = 0;
        rc = s_flush_retrying(self, self->events, &inserted);
        if (rc != WF_OK)
            return rc;
        wf_stats_add(self->svc->stats, "events_persisted", inserted);
        uint64_t seen = inserted + self->refused;
        wf_stats_add(self->svc->stats, "events_duplicate", pending > seen ? pending - seen : 0);
    }
    if (wf_pgwriter_pending(self->dead_letters) > 0) {
        rc = s_flush_retrying(self, self->dead_letters, NULL);
        if (rc != WF_OK)
            return rc;
    }
    while ((rc = wf_transport_flush(self->transport, -1)) != WF_OK) {
        if (!wf_err_is_retriable(rc) || wf_service_stopping())
            return rc;
        wf_clock_sleep_us(100 * 1000);
    }
    return wf_transport_ack(self->transport);
}

int enrich_service_step(enrich_service_t *self)
{
    const wf_delivery_t *deliveries = NULL;
    enrich_reference_refresh(self->reference); /* between batches: hits borrow from the lists */
    int n = wf_transport_recv(self->transport, &deliveries, self->batch_max, 100);
    if (n < 0)
        return n == WF_EINTR ? WF_OK : n;
    s_dead_letter_rejects(self);
    for (int i = 0; i < n; i++) {
        int rc = s_process(self, &deliveries[i]);
        if (rc == WF_EINTR)
            return WF_OK; /* stopping: the unacknowledged batch is replayed after restart */
        if (rc != WF_OK)
            return rc;
    }
    if (n == 0 && wf_pgwriter_pending(self->dead_letters) == 0)
        return WF_OK;
    int rc = s_commit(self);
    return rc == WF_EINTR ? WF_OK : rc;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

enrich_service_t *enrich_service_new(wf_service_t *svc, char *errbuf, size_t errlen)
{
    enrich_service_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    const wf_config_t *config = svc->config;
    self->svc = svc;
    self->topic_in = wf_config_string(config, "topics.normalized");
    self->topic_out = wf_config_string(config, "topics.enriched");
    self->topic_dead = wf_config_string(config, "topics.deadletters");
    self->tolerance_m = wf_config_double(config, "enrich.snap_tolerance_m");
    self->persist = wf_config_bool(config, "enrich.persist");
    self->retry_max_us = wf_config_duration_us(config, "pg.retry_max_backoff");
    self->batch_max = (size_t)wf_config_int(config, "transport.batch_max");
    self->latency = wf_stats_histogram(svc->stats, "latency_us");
    const char *conninfo = wf_config_string(config, "pg.conninfo");

    self->areas = enrich_areas_new();
    if (!self->areas) {
        snprintf(errbuf, errlen, "cannot create the area index (GEOS)");
        goto fail;
    }
    self->events = wf_pgwriter_new(conninfo, &s_events_spec, errbuf, errlen);
    if (!self->events || s_load_boundaries(self, errbuf, errlen) != WF_OK)
        goto fail;
    wf_pgwriter_set_reject_handler(self->events, s_on_refused_event, self);
    self->reference = enrich_reference_new(config, svc->stats, errbuf, errlen);
    if (!self->reference)
        goto fail;
    self->hotlist_fields.plate_field_count =
        wf_config_list(config, "enrich.hotlist.plate_fields", &self->hotlist_fields.plate_fields);
    self->hotlist_fields.person_field_count =
        wf_config_list(config, "enrich.hotlist.person_fields", &self->hotlist_fields.person_fields);
    self->dead_letters = wf_pgwriter_new(conninfo, &s_dead_letters_spec, errbuf, errlen);
    if (!self->dead_letters)
        goto fail;
    self->transport = wf_transport_new(config, "enrich", svc->name, svc->stats, errbuf, errlen);
    /* one consumer (ZeroMQ) sees every cell; Kafka spreads cells over spatial's copies */
    if (self->transport && strcmp(wf_transport_backend(self->transport), "kafka") == 0)
        self->context_m = wf_config_double(config, "spatial.near_repeat.distance_m");
    if (self->context_m > 4000)
        wf_log_warn("spatial.near_repeat.distance_m=%.0f exceeds half a partition cell (4 km): "
                    "pairs across more than one cell border are missed with several spatial copies",
                    self->context_m);
    if (!self->transport)
        goto fail;
    int rc = wf_transport_subscribe(self->transport, self->topic_in);
    if (rc != WF_OK) {
        snprintf(errbuf, errlen, "subscribing to %s: %s", self->topic_in, wf_strerror(rc));
        goto fail;
    }
    if (!self->persist)
        wf_log_warn("enrich.persist is false: events are published but not stored (benchmark)");
    return self;
fail:
    enrich_service_destroy(&self);
    return NULL;
}

void enrich_service_destroy(enrich_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    enrich_service_t *self = *self_p;
    wf_transport_destroy(&self->transport);
    wf_pgwriter_destroy(&self->dead_letters);
    wf_pgwriter_destroy(&self->events);
    enrich_areas_destroy(&self->areas);
    enrich_json_buf_fini(&self->json);
    enrich_json_buf_fini(&self->hits_json);
    enrich_hotlist_hits_fini(&self->hits);
    enrich_reference_destroy(&self->reference);
    free(self);
    *self_p = NULL;
}
