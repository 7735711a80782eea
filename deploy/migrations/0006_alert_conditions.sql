-- Alert rule conditions and escalation (wf-alert, deploy/rules.yaml).
--
-- Geofences: named polygons a rule can test an event's point against ("geofences: [school-*]").
-- Imported by `wf-admin geofence import FILE.geojson --name-property P`, which merges features
-- that share a name into one MultiPolygon; wf-alert reads them at start and on SIGHUP.
CREATE TABLE geofences (
    name        text PRIMARY KEY,
    description text,
    agency      text,                          -- agency the geofence belongs to, if any
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    properties  jsonb,                         -- the first feature's GeoJSON properties
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX geofences_geom_idx ON geofences USING gist (geom);

-- What matched, carried by each alert.
ALTER TABLE alerts
    ADD COLUMN match_count    integer,                        -- matches in the escalation window
    ADD COLUMN escalated      boolean NOT NULL DEFAULT false, -- raised by the rule's escalation
    ADD COLUMN nibrs_category text,
    ADD COLUMN geofences      text[],                         -- geofences the rule matched
    ADD COLUMN hotlist_hits   jsonb;                          -- [{list, entry_value, …}]

-- An escalated alert shares rule, dedupe key and possibly window start with the ordinary alert
-- of the same situation; both must be kept.
DROP INDEX alerts_dedupe_idx;
CREATE UNIQUE INDEX alerts_dedupe_idx ON alerts (rule_id, dedupe_key, window_start, escalated);
