/* ingest_service.c — the glue of wf-ingest: sources → transport and PostGIS.
 *
 * For every --profile group it opens each file as an ingest_source (the pure chain reader →
 * parser → mapper) and handles its items: an accepted event is published on topics.normalized
 * keyed by its geographic cell (at once with --order file, or after all files, sorted by
 * occurred time, with --order time); a reject becomes a Wf__DeadLetter written to PostGIS
 * dead_letters through a pgwriter and published on topics.deadletters. Dead-letter ids are
 * derived from (stage, source, position, stored raw bytes), so replaying a file adds no row.
 *
 * Memory: with --order file the event arena is reset after every record; with --order time it
 * holds every accepted event of the run until they are published (replay tool, by design) while
 * the strings of rejected records are rolled back at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include <wf/cell.h>
#include <wf/clock.h>
#include <wf/err.h>
#include <wf/id.h>
#include <wf/log.h>
#include <wf/pgwriter.h>
#include <wf/transport.h>

#include "ingest.h"
#include "ingest_coords.h"
#include "ingest_source.h"

#define S_POLL_MS     100 /* longest wait for stdin before housekeeping */
#define S_COUNTER_LEN 160

static const wf_pgwriter_spec_t s_dead_letter_spec = {
    .name = "dead_letters",
    .stage_sql = "CREATE TEMP TABLE IF NOT EXISTS dead_letters_stage "
                 "(LIKE dead_letters INCLUDING DEFAULTS) ON COMMIT DELETE ROWS",
    .copy_sql = "COPY dead_letters_stage (dead_letter_id, stage, source, position, line, raw, "
                "raw_length, reason_code, reason, field, received_at) FROM STDIN",
    .prepare_sql = NULL,
    .merge_sql = "INSERT INTO dead_letters (dead_letter_id, stage, source, position, line, raw, "
                 "raw_length, reason_code, reason, field, received_at) "
                 "SELECT dead_letter_id, stage, source, position, line, raw, raw_length, "
                 "reason_code, reason, field, received_at FROM dead_letters_stage "
                 "ON CONFLICT (dead_letter_id) DO NOTHING",
};

static const char s_source_upsert[] =
    "INSERT INTO sources (source, agency, format, profile) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (source) DO UPDATE SET agency = EXCLUDED.agency, format = EXCLUDED.format, "
    "profile = EXCLUDED.profile, last_seen = now()";

/* One --profile group. */
typedef struct {
    const ingest_input_t *input;    /* borrowed from the options */
    ingest_profile_t *profile;      /* loaded from input->profile */
    ingest_map_t *map;              /* the profile's time/CRS/jurisdiction */
    char c_read[S_COUNTER_LEN];     /* records_read.<source> */
    char c_accepted[S_COUNTER_LEN]; /* accepted.<source> */
    char c_dead[S_COUNTER_LEN];     /* dead_letters.<source> */
} s_feed_t;

/* An accepted event waiting for --order time publication. */
typedef struct {
    Wf__NormalizedEvent *event; /* in the run arena */
    size_t seq;                 /* reading order: keeps the sort stable */
} s_pending_t;

struct ingest_service_t {
    wf_service_t *svc;                     /* borrowed: config, stats, tick */
    const ingest_options_t *options;       /* borrowed */
    s_feed_t *feeds;                       /* one per --profile group */
    size_t feed_count;                     /* entries in feeds */
    wf_transport_t *transport;             /* topics.normalized, topics.deadletters */
    wf_pgwriter_t *dead_letters;           /* PostGIS dead_letters */
    const char *topic_events;              /* topics.normalized */
    const char *topic_dead;                /* topics.deadletters */
    size_t max_record_bytes;               /* ingest.max_record_bytes */
    size_t raw_keep;                       /* ingest.dead_letter_raw_bytes */
    double bbox[4];                        /* jurisdiction.bbox */
    bool by_time;                          /* --order time */
    ingest_arena_t *arena;                 /* events (see the banner) */
    s_pending_t *pending;                  /* --order time: accepted events */
    size_t pending_count, pending_cap;     /* entries used, allocated */
    double tokens;                         /* --rate token bucket */
    int64_t refill_us;                     /* monotonic time of the last refill */
    size_t pg_batch_rows;                  /* pg.batch_rows */
    int64_t pg_interval_us;                /* pg.flush_interval */
    int64_t pg_max_backoff_us;             /* pg.retry_max_backoff */
    int64_t next_flush_us;                 /* monotonic time of the next periodic flush */
    uint64_t files, records, events, dead; /* for the summary */
};

/* ---- set-up ------------------------------------------------------------------------------ */

/* A file extension that says the other format is a mistake worth stopping for. */
static bool s_format_clash(const ingest_profile_t *profile, const char *file)
{
    bool csv = strstr(file, ".csv") != NULL,
         ndjson = strstr(file, ".ndjson") != NULL || strstr(file, ".jsonl") != NULL;
    return profile->format == INGEST_FORMAT_CSV ? ndjson && !csv : csv && !ndjson;
}

static int s_load_feeds(ingest_service_t *self, char *errbuf, size_t errlen)
{
    const ingest_options_t *options = self->options;
    self->feeds = calloc(options->input_count, sizeof *self->feeds);
    if (!self->feeds)
        return WF_ENOMEM;
    for (size_t i = 0; i < options->input_count; i++) {
        s_feed_t *feed = &self->feeds[self->feed_count++];
        feed->input = &options->inputs[i];
        if (!(feed->profile = ingest_profile_load(feed->input->profile, errbuf, errlen)))
            return WF_EINVAL;
        char reason[256];
        if (!(feed->map = ingest_map_new(feed->profile, self->bbox, reason, sizeof reason))) {
            snprintf(errbuf, errlen, "%s: %s", feed->input->profile, reason);
            return WF_EINVAL;
        }
        for (size_t f = 0; f < feed->input->file_count; f++) {
            if (s_format_clash(feed->profile, feed->input->files[f])) {
                snprintf(errbuf, errlen, "%s is not %s, which profile %s reads",
                         feed->input->files[f],
                         feed->profile->format == INGEST_FORMAT_CSV ? "CSV" : "NDJSON",
                         feed->input->profile);
                return WF_EINVAL;
            }
            if (strcmp(feed->input->files[f], "-") == 0 && options->order == INGEST_ORDER_DEFAULT)
                self->by_time = false;
        }
        const char *source = feed->profile->source;
        snprintf(feed->c_read, sizeof feed->c_read, "records_read.%s", source);
        snprintf(feed->c_accepted, sizeof feed->c_accepted, "accepted.%s", source);
        snprintf(feed->c_dead, sizeof feed->c_dead, "dead_letters.%s", source);
    }
    return WF_OK;
}

/* Records each feed in the sources table (parameterised: nothing is spliced into SQL). */
static int s_upsert_sources(ingest_service_t *self, char *errbuf, size_t errlen)
{
    PGconn *conn = wf_pgwriter_connection(self->dead_letters);
    for (size_t i = 0; i < self->feed_count; i++) {
        const ingest_profile_t *profile = self->feeds[i].profile;
        const char *params[4] = {profile->source, profile->agency,
                                 profile->format == INGEST_FORMAT_CSV ? "csv" : "ndjson",
                                 profile->path};
        PGresult *res = PQexecParams(conn, s_source_upsert, 4, NULL, params, NULL, NULL, 0);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(errbuf, errlen, "cannot record source %s (is the schema migrated?): %s",
                     profile->source, PQresultErrorMessage(res));
        PQclear(res);
        if (!ok)
            return WF_EIO;
    }
    return WF_OK;
}

static void s_on_refused(void *user, const char *row, size_t len, const char *sqlstate,
                         const char *message)
{
    ingest_service_t *self = user;
    wf_stats_add(self->svc->stats, "dead_letters.refused", 1);
    wf_log_error("PostgreSQL refused a dead letter sqlstate=%s error=\"%s\" row=\"%.*s\"", sqlstate,
                 message, (int)(len > 200 ? 200 : len), row);
}

ingest_service_t *ingest_service_new(wf_service_t *svc, const ingest_options_t *options,
                                     char *errbuf, size_t errlen)
{
    const wf_config_t *config = svc->config;
    ingest_service_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    self->svc = svc;
    self->options = options;
    self->topic_events = wf_config_string(config, "topics.normalized");
    self->topic_dead = wf_config_string(config, "topics.deadletters");
    self->max_record_bytes = (size_t)wf_config_int(config, "ingest.max_record_bytes");
    self->raw_keep = (size_t)wf_config_int(config, "ingest.dead_letter_raw_bytes");
    self->pg_batch_rows = (size_t)wf_config_int(config, "pg.batch_rows");
    self->pg_interval_us = wf_config_duration_us(config, "pg.flush_interval");
    self->pg_max_backoff_us = wf_config_duration_us(config, "pg.retry_max_backoff");
    self->by_time = options->order != INGEST_ORDER_FILE;
    self->refill_us = wf_clock_mono_us();
    const char *const *items;
    size_t count = wf_config_list(config, "jurisdiction.bbox", &items);
    int rc = ingest_coords_parse_bbox(items, count, self->bbox, errbuf, errlen);
    if (rc || (rc = s_load_feeds(self, errbuf, errlen)))
        goto fail;
    if (!(self->arena = ingest_arena_new(0))) {
        snprintf(errbuf, errlen, "out of memory");
        goto fail;
    }
    if (!(self->dead_letters = wf_pgwriter_new(wf_config_string(config, "pg.conninfo"),
                                               &s_dead_letter_spec, errbuf, errlen)))
        goto fail;
    wf_pgwriter_set_reject_handler(self->dead_letters, s_on_refused, self);
    if (s_upsert_sources(self, errbuf, errlen) != WF_OK)
        goto fail;
    if (!(self->transport =
              wf_transport_new(config, "ingest", "ingest", svc->stats, errbuf, errlen)))
        goto fail;
    return self;
fail:
    ingest_service_destroy(&self);
    return NULL;
}

void ingest_service_destroy(ingest_service_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ingest_service_t *self = *self_p;
    wf_transport_destroy(&self->transport);
    wf_pgwriter_destroy(&self->dead_letters);
    ingest_arena_destroy(&self->arena);
    free(self->pending);
    for (size_t i = 0; i < self->feed_count; i++) {
        ingest_map_destroy(&self->feeds[i].map);
        ingest_profile_destroy(&self->feeds[i].profile);
    }
    free(self->feeds);
    free(self);
    *self_p = NULL;
}

/* ---- output ------------------------------------------------------------------------------ */

static void s_count(ingest_service_t *self, const char *name, uint64_t n)
{
    wf_stats_add(self->svc->stats, name, n);
}

/* The raw bytes as they enter the dead-letter id: themselves when they are clean UTF-8 text,
 * else "\x" and hex (so that NUL bytes hash too). NULL when out of memory. */
static char *s_id_text(const uint8_t *raw, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    bool text = ingest_utf8_valid_prefix((const char *)raw, len) == len &&
                !(len >= 2 && raw[0] == '\\' && raw[1] == 'x');
    char *out = malloc(text ? len + 1 : 2 * len + 3);
    if (!out)
        return NULL;
    if (text) {
        memcpy(out, raw, len);
        out[len] = '\0';
        return out;
    }
    memcpy(out, "\\x", 2);
    for (size_t i = 0; i < len; i++) {
        out[2 + 2 * i] = hex[raw[i] >> 4];
        out[3 + 2 * i] = hex[raw[i] & 15];
    }
    out[2 + 2 * len] = '\0';
    return out;
}

/* Appends one dead_letters row (COPY column order of s_dead_letter_spec). */
static void s_persist_dead_letter(wf_pgwriter_t *w, const Wf__DeadLetter *letter)
{
    wf_pgwriter_row_begin(w);
    wf_pgwriter_put_uuid(w, letter->dead_letter_id.data);
    wf_pgwriter_put_text(w, letter->stage);
    wf_pgwriter_put_text(w, letter->source);
    wf_pgwriter_put_text(w, letter->position);
    wf_pgwriter_put_int64(w, letter->line);
    wf_pgwriter_put_bytea(w, letter->raw.data, letter->raw.len);
    wf_pgwriter_put_int64(w, (int64_t)letter->raw_length);
    wf_pgwriter_put_text(w, letter->reason_code);
    wf_pgwriter_put_text(w, letter->reason);
    wf_pgwriter_put_text(w, letter->field[0] ? letter->field : NULL);
    wf_pgwriter_put_timestamp_us(w, letter->received_at_us);
    wf_pgwriter_row_end(w);
}

/* Writes item's reject to PostGIS (through the batching writer) and publishes it. */
static int s_dead_letter(ingest_service_t *self, const s_feed_t *feed, const ingest_item_t *item)
{
    const char *source = feed->profile->source;
    size_t keep = item->raw_len < self->raw_keep ? item->raw_len : self->raw_keep;
    char *raw_text = s_id_text((const uint8_t *)item->raw, keep);
    if (!raw_text)
        return WF_ENOMEM;
    const char *parts[] = {"ingest", source, item->position, raw_text};
    wf_uuid_t id;
    wf_id_derive(&id, "dead_letter", parts, 4);
    free(raw_text);

    /* protobuf-c fields are char *; nothing is written through them */
    Wf__DeadLetter letter = WF__DEAD_LETTER__INIT;
    letter.dead_letter_id.data = id.bytes;
    letter.dead_letter_id.len = WF_UUID_LEN;
    letter.stage = (char *)"ingest";
    letter.source = (char *)source;
    letter.position = (char *)item->position;
    letter.line = item->line;
    letter.raw.data = (uint8_t *)item->raw;
    letter.raw.len = keep;
    letter.raw_length = item->raw_length;
    letter.reason_code = (char *)item->reject.code;
    letter.reason = (char *)item->reject.message;
    letter.field = (char *)item->reject.field;
    letter.received_at_us = wf_clock_now_us();
    s_persist_dead_letter(self->dead_letters, &letter);

    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.type = WF__MESSAGE_TYPE__DEAD_LETTER;
    envelope.body_case = WF__ENVELOPE__BODY_DEAD_LETTER;
    envelope.dead_letter = &letter;
    envelope.ingest_ts_us = letter.received_at_us;
    int rc =
        wf_transport_publish(self->transport, self->topic_dead, source, strlen(source), &envelope);
    char counter[S_COUNTER_LEN];
    snprintf(counter, sizeof counter, "dead_letters.%s", item->reject.code);
    s_count(self, counter, 1);
    s_count(self, "dead_letters", 1);
    s_count(self, feed->c_dead, 1);
    self->dead++;
    return rc;
}

/* Periodic work: the stats tick, and pushing out what waits in the transport and the writer. */
static int s_housekeeping(ingest_service_t *self);

/* --rate: a token bucket holding at most 5 ms worth of events (small bursts keep the
 * downstream batches, and so the latency, small). */
static int s_rate_wait(ingest_service_t *self)
{
    double rate = self->options->rate;
    if (rate <= 0)
        return WF_OK;
    double burst = rate / 200 > 1 ? rate / 200 : 1;
    for (;;) {
        int64_t now = wf_clock_mono_us();
        self->tokens += (double)(now - self->refill_us) * rate / 1e6;
        if (self->tokens > burst)
            self->tokens = burst;
        self->refill_us = now;
        if (self->tokens >= 1) {
            self->tokens -= 1;
            return WF_OK;
        }
        if (wf_service_stopping())
            return WF_EINTR;
        int rc = s_housekeeping(self);
        if (rc)
            return rc;
        /* about to idle: what is queued goes out now rather than at the next housekeeping */
        rc = wf_transport_flush(self->transport, 0);
        if (rc != WF_OK && rc != WF_ETIMEDOUT)
            return rc;
        int64_t wait = (int64_t)((1 - self->tokens) * 1e6 / rate) + 1;
        wf_clock_sleep_us(wait < 100000 ? wait : 100000);
    }
}

static int s_publish_event(ingest_service_t *self, Wf__NormalizedEvent *event)
{
    int rc = s_rate_wait(self);
    if (rc)
        return rc;
    Wf__Envelope envelope = WF__ENVELOPE__INIT;
    envelope.type = WF__MESSAGE_TYPE__NORMALIZED_EVENT;
    envelope.body_case = WF__ENVELOPE__BODY_EVENT;
    envelope.event = event;
    envelope.ingest_ts_us = wf_clock_now_us(); /* latency is measured from publication */
    char key[WF_CELL_KEY_LEN];
    bool located = event->location != NULL;
    size_t len = wf_cell_key(key, sizeof key, located, located ? event->location->lon : 0,
                             located ? event->location->lat : 0, event->agency);
    rc = wf_transport_publish(self->transport, self->topic_events, key, len, &envelope);
    if (rc == WF_OK) {
        s_count(self, "events_published", 1);
        self->events++;
    }
    return rc;
}

/* Commits pending dead letters, retrying with backoff while PostGIS is unreachable: reading
 * waits meanwhile (backpressure), nothing is dropped. */
static int s_flush_dead_letters(ingest_service_t *self)
{
    int64_t backoff = 50 * 1000;
    while (wf_pgwriter_pending(self->dead_letters) > 0) {
        uint64_t inserted = 0;
        int rc = wf_pgwriter_flush(self->dead_letters, &inserted);
        if (rc == WF_OK) {
            s_count(self, "dead_letters.inserted", inserted);
            return WF_OK;
        }
        if (rc != WF_EIO)
            return rc;
        if (wf_service_stopping())
            return WF_EINTR;
        wf_service_tick(self->svc);
        wf_clock_sleep_us(backoff);
        backoff = backoff * 2 < self->pg_max_backoff_us ? backoff * 2 : self->pg_max_backoff_us;
    }
    return WF_OK;
}

static int s_housekeeping(ingest_service_t *self)
{
    wf_service_tick(self->svc);
    int64_t now = wf_clock_mono_us();
    if (now < self->next_flush_us && wf_pgwriter_pending(self->dead_letters) < self->pg_batch_rows)
        return WF_OK;
    self->next_flush_us = now + self->pg_interval_us;
    int rc = wf_transport_flush(self->transport, 0);
    if (rc != WF_OK && rc != WF_ETIMEDOUT) /* timed out: still queued, still going */
        return rc;
    return s_flush_dead_letters(self);
}

/* ---- input ------------------------------------------------------------------------------- */

/* --order time: keeps an accepted event for the sorted publication. */
static int s_pend(ingest_service_t *self, Wf__NormalizedEvent *event)
{
    if (self->pending_count == self->pending_cap) {
        size_t cap = self->pending_cap ? self->pending_cap * 2 : 4096;
        s_pending_t *grown = realloc(self->pending, cap * sizeof *grown);
        if (!grown)
            return WF_ENOMEM;
        self->pending = grown;
        self->pending_cap = cap;
    }
    self->pending[self->pending_count] = (s_pending_t){event, self->pending_count};
    self->pending_count++;
    return WF_OK;
}

static int s_handle(ingest_service_t *self, const s_feed_t *feed, const ingest_item_t *item)
{
    if (item->line > 0) { /* file-level items (empty file, unreadable) are not records */
        s_count(self, "records_read", 1);
        s_count(self, feed->c_read, 1);
        self->records++;
    }
    if (!item->event)
        return s_dead_letter(self, feed, item);
    s_count(self, feed->c_accepted, 1);
    if (self->by_time)
        return s_pend(self, item->event);
    int rc = s_publish_event(self, item->event);
    ingest_arena_reset(self->arena); /* the transport does not keep the envelope */
    return rc;
}

/* A file that cannot even be opened is one dead letter: it must not vanish either. */
static int s_unreadable(ingest_service_t *self, const s_feed_t *feed, const char *path,
                        const char *reason)
{
    ingest_item_t item;
    memset(&item, 0, sizeof item);
    const char *slash = strrchr(path, '/');
    snprintf(item.position, sizeof item.position, "%s:0", slash ? slash + 1 : path);
    item.raw = "";
    ingest_reject_set(&item.reject, INGEST_R_READ_ERROR, NULL, "cannot open: %s", reason);
    wf_log_error("cannot open input file=%s error=\"%s\"", path, reason);
    return s_dead_letter(self, feed, &item);
}

static int s_read_file(ingest_service_t *self, const s_feed_t *feed, const char *path)
{
    char err[512];
    ingest_source_t *source =
        ingest_source_new(feed->profile, feed->map, path, self->max_record_bytes, err, sizeof err);
    self->files++;
    if (!source)
        return s_unreadable(self, feed, path, err);
    uint64_t records = self->records, events = self->events, dead = self->dead;
    ingest_item_t item;
    int rc = WF_OK;
    while (!wf_service_stopping()) {
        ingest_arena_mark_t mark = ingest_arena_mark(self->arena);
        rc = ingest_source_next(source, self->arena, wf_clock_now_us(), S_POLL_MS, &item);
        if (rc == 1 && !item.event) /* a rejected row's strings: release them at once */
            ingest_arena_rollback(self->arena, mark);
        if (rc == 1)
            rc = s_handle(self, feed, &item);
        else if (rc == 0)
            break;
        else if (rc != WF_EAGAIN) /* nothing arrived on stdin yet: housekeeping only */
            break;
        if (rc == WF_EAGAIN || rc == WF_OK)
            rc = s_housekeeping(self);
        if (rc)
            break;
    }
    wf_log_info("file read file=%s source=%s records=%" PRIu64 " published=%" PRIu64
                " dead_letters=%" PRIu64,
                path, feed->profile->source, self->records - records, self->events - events,
                self->dead - dead);
    ingest_source_destroy(&source);
    return rc;
}

/* --order time: by occurred time, reading order among equal times. */
static int s_by_time(const void *a, const void *b)
{
    const s_pending_t *x = a, *y = b;
    int64_t tx = x->event->occurred_at_us, ty = y->event->occurred_at_us;
    if (tx != ty)
        return tx < ty ? -1 : 1;
    /* spatial orders simultaneous events by event id: publish them in that order too, so
     * that "earlier" means the same thing to both and a same-time pair is reported */
    const ProtobufCBinaryData *ix = &x->event->event_id, *iy = &y->event->event_id;
    size_t common = ix->len < iy->len ? ix->len : iy->len;
    int by_id = common ? memcmp(ix->data, iy->data, common) : 0;
    if (by_id || ix->len != iy->len)
        return by_id ? by_id : (ix->len < iy->len ? -1 : 1);
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int s_publish_sorted(ingest_service_t *self)
{
    qsort(self->pending, self->pending_count, sizeof *self->pending, s_by_time);
    for (size_t i = 0; i < self->pending_count; i++) {
        if (wf_service_stopping()) {
            wf_log_notice("stopped before publishing every event unpublished=%zu",
                          self->pending_count - i);
            return WF_EINTR;
        }
        int rc = s_publish_event(self, self->pending[i].event);
        if (!rc)
            rc = s_housekeeping(self);
        if (rc)
            return rc;
    }
    return WF_OK;
}

int ingest_service_run(ingest_service_t *self)
{
    int64_t started = wf_clock_mono_us();
    int rc = WF_OK;
    for (size_t i = 0; i < self->feed_count && !rc; i++)
        for (size_t f = 0; f < self->feeds[i].input->file_count && !rc; f++)
            rc = s_read_file(self, &self->feeds[i], self->feeds[i].input->files[f]);
    if (!rc && self->by_time && !wf_service_stopping())
        rc = s_publish_sorted(self);
    /* last flushes; when stopping, one attempt each (the transport keeps its shutdown grace) */
    int flushed = wf_transport_flush(self->transport, wf_service_stopping() ? 0 : -1);
    int written = s_flush_dead_letters(self);
    if (wf_pgwriter_pending(self->dead_letters) > 0)
        wf_log_warn("dead letters not written to PostGIS (published only) count=%zu",
                    wf_pgwriter_pending(self->dead_letters));
    bool stopped = wf_service_stopping() || rc == WF_EINTR;
    if (!rc && !stopped)
        rc = flushed != WF_OK ? flushed : written;
    double seconds = (double)(wf_clock_mono_us() - started) / 1e6;
    wf_log_notice("ingest %s files=%" PRIu64 " records=%" PRIu64 " events=%" PRIu64
                  " dead_letters=%" PRIu64 " seconds=%.3f rate=%.0f/s",
                  stopped ? "stopped"
                  : rc    ? "failed"
                          : "done",
                  self->files, self->records, self->events, self->dead, seconds,
                  seconds > 0 ? (double)self->records / seconds : 0.0);
    return stopped ? WF_OK : rc;
}
