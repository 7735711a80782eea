-- The console's query API (docs/console-api.md): indexes that keep its lookups cheap, and the
-- one time format every answer uses.

-- GET /api/v1/health counts each feed's events by ingested_at (last 5 and 60 minutes, last
-- one). events is partitioned by occurred_at, so a feed's recent rows may sit in any partition;
-- per partition this index turns each count into a short range scan and max() into one probe.
CREATE INDEX events_source_ingested_idx ON events (source, ingested_at);

-- Dead letters per feed in the last 24 hours (the total is an index-only count of this index).
CREATE INDEX dead_letters_source_received_idx ON dead_letters (source, received_at);

-- GET /api/v1/events/{id}: "the alerts that name it" (alerts.event_ids @> ARRAY[id]) and the
-- signals that list it as an earlier partner (related_event_ids @> ARRAY[id]).
CREATE INDEX alerts_event_ids_idx ON alerts USING gin (event_ids);
CREATE INDEX signals_related_idx ON signals USING gin (related_event_ids);

-- The lists page newest first on a key with a tie-breaker, (occurred_at, event_id) and
-- (raised_at, alert_id), so rows sharing a time are neither skipped nor repeated across pages.
-- These replace the single-column indexes (same leading column, so every other query keeps
-- its plan) rather than adding a second index to maintain on every write.
CREATE INDEX events_occurred_id_idx ON events (occurred_at, event_id);
DROP INDEX events_occurred_idx;
CREATE INDEX alerts_raised_id_idx ON alerts (raised_at, alert_id);
DROP INDEX alerts_raised_idx;

-- RFC 3339 in UTC with microseconds ("2017-06-01T00:00:00.000000Z"), as the live stream
-- writes times, so a client compares queried and streamed times as text. NULL stays NULL.
CREATE FUNCTION wf_rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
