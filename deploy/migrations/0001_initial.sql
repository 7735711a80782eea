-- 0001_initial.sql — the walking skeleton's schema.
--
-- Applied by `wf-admin migrate` (never by hand), in one transaction, recorded in
-- schema_migrations. Every table a service writes is keyed by a deterministic id so replays and
-- restarts cannot duplicate rows (writers use INSERT … ON CONFLICT DO NOTHING).

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE agencies (
    agency      text PRIMARY KEY,          -- agency code as in events.agency ("CPD")
    name        text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sources (
    source      text PRIMARY KEY,          -- feed name from the mapping profile
    agency      text NOT NULL,
    format      text NOT NULL,             -- csv, ndjson …
    profile     text,                      -- profile file the feed was last read with
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now()
);

-- Incident events, one row per (agency, source record, revision), partitioned by the month the
-- incident occurred so retention can drop whole months. Partitions are created on demand by
-- wf_ensure_event_partitions(), which the events writer calls for every batch.
CREATE TABLE events (
    event_id          uuid        NOT NULL,   -- UUIDv5(agency, source_record_id, revision)
    occurred_at       timestamptz NOT NULL,
    reported_at       timestamptz,
    ingested_at       timestamptz NOT NULL,
    enriched_at       timestamptz NOT NULL,
    agency            text        NOT NULL,
    source            text        NOT NULL,
    source_record_id  text        NOT NULL,
    revision          text        NOT NULL DEFAULT '',
    incident_number   text,
    kind              text        NOT NULL,   -- Watchfloor kind, e.g. burglary.residential
    offense_code      text,                   -- the agency's own code, verbatim
    offense_text      text,
    location_type     text,
    priority          smallint,
    address           text,
    geom              geometry(Point, 4326),  -- NULL when the source gave no coordinates
    district          text,                   -- assigned by enrich
    beat              text,
    area_method       text        NOT NULL,   -- point_in_polygon, boundary_tie, nearest …
    boundary_set      text,
    source_district   text,                   -- as the source recorded them
    source_beat       text,
    dissemination     text        NOT NULL,
    source_position   text,                   -- file:line the record came from
    attributes        jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- unmapped source fields
    PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE INDEX events_geom_idx ON events USING gist (geom);
CREATE INDEX events_occurred_idx ON events (occurred_at);
CREATE INDEX events_kind_idx ON events (kind, occurred_at);
CREATE INDEX events_record_idx ON events (agency, source_record_id);

CREATE FUNCTION wf_ensure_event_partitions(months timestamptz[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    m     timestamptz;
    first timestamp;
    part  text;
BEGIN
    FOREACH m IN ARRAY months LOOP
        first := date_trunc('month', m AT TIME ZONE 'UTC');
        part := 'events_' || to_char(first, 'YYYY_MM');
        IF to_regclass(part) IS NULL THEN
            -- serialise creators; re-check under the lock
            PERFORM pg_advisory_xact_lock(hashtext('wf_ensure_event_partitions'));
            IF to_regclass(part) IS NULL THEN
                EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                               part, first AT TIME ZONE 'UTC',
                               (first + interval '1 month') AT TIME ZONE 'UTC');
            END IF;
        END IF;
    END LOOP;
END;
$$;

-- Records a stage could not accept, with everything needed to fix the cause and replay them.
CREATE TABLE dead_letters (
    dead_letter_id  uuid PRIMARY KEY,         -- UUIDv5(stage, source, position, raw)
    stage           text        NOT NULL,     -- ingest, enrich …
    source          text        NOT NULL,     -- feed name or topic
    position        text,                     -- file:line or topic/partition/offset
    line            bigint,
    raw             bytea,                    -- raw bytes, possibly truncated (see raw_length)
    raw_length      bigint,
    reason_code     text        NOT NULL,     -- stable code: bad_time, bad_coordinates …
    reason          text        NOT NULL,     -- human explanation
    field           text,
    received_at     timestamptz NOT NULL
);
CREATE INDEX dead_letters_source_idx ON dead_letters (source, reason_code);

-- Administrative areas. A boundary set is one dated edition (beats were redrawn in Dec 2012).
CREATE TABLE boundary_sets (
    boundary_set    text PRIMARY KEY,         -- e.g. "chicago-2012-12"
    jurisdiction    text        NOT NULL,
    effective_from  date,
    description     text,
    origin          text,                     -- where the polygons came from
    loaded_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE boundaries (
    boundary_set  text NOT NULL REFERENCES boundary_sets ON DELETE CASCADE,
    layer         text NOT NULL CHECK (layer IN ('jurisdiction', 'district', 'beat')),
    code          text NOT NULL,              -- zero-padded as agencies write it ("007", "0713")
    name          text,
    parent_code   text,                       -- a beat's district
    geom          geometry(MultiPolygon, 4326) NOT NULL,
    properties    jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (boundary_set, layer, code)
);
CREATE INDEX boundaries_geom_idx ON boundaries USING gist (geom);

-- Spatial signals (near-repeat links …) as published by spatial.
CREATE TABLE signals (
    signal_id          uuid PRIMARY KEY,      -- UUIDv5(type, event_id)
    signal_type        text        NOT NULL,
    event_id           uuid        NOT NULL,
    kind               text,
    occurred_at        timestamptz,
    geom               geometry(Point, 4326),
    related_event_ids  uuid[]      NOT NULL,
    related_count      integer     NOT NULL,
    radius_m           double precision,
    window_s           bigint,
    cell               text,
    district           text,
    beat               text,
    agency             text,
    created_at         timestamptz NOT NULL
);
CREATE INDEX signals_event_idx ON signals (event_id);

-- Alerts raised by rules. One row per (rule, dedupe key, throttle window).
CREATE TABLE alerts (
    alert_id       uuid PRIMARY KEY,          -- UUIDv5(rule_id, dedupe_key, window_start)
    rule_id        text        NOT NULL,
    severity       text        NOT NULL,
    dedupe_key     text        NOT NULL,
    window_start   timestamptz NOT NULL,
    event_ids      uuid[]      NOT NULL,      -- triggering event first
    signal_id      uuid,
    kind           text,
    geom           geometry(Point, 4326),
    district       text,
    beat           text,
    agency         text,
    title          text,
    message        text,
    occurred_at    timestamptz,
    ingested_at    timestamptz,
    raised_at      timestamptz NOT NULL,
    latency_us     bigint,                    -- ingest → alert raised
    dissemination  text        NOT NULL,
    state          text        NOT NULL DEFAULT 'new'
);
CREATE UNIQUE INDEX alerts_dedupe_idx ON alerts (rule_id, dedupe_key, window_start);
CREATE INDEX alerts_raised_idx ON alerts (raised_at);
