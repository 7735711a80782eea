-- 0005_nibrs_hotlists.sql — NIBRS classification and hot lists for wf-enrich.
--
-- The NIBRS reference tables are loaded by `wf-admin nibrs load` (the FBI offense table and
-- Watchfloor's kind → NIBRS crosswalk, data/reference/) and `wf-admin nibrs agency-codes`
-- (a department's own offense codes → NIBRS); hot lists by `wf-admin hotlist import`. wf-enrich
-- reads them at start and whenever reference_versions says they changed (enrich.reference_poll).

-- The FBI's NIBRS offense codes (data/reference/nibrs_offense_type.csv.xz).
CREATE TABLE nibrs_offense_types (
    code           text PRIMARY KEY,          -- OFFENSE_CODE: "220", "09A", "23*"
    name           text NOT NULL,             -- OFFENSE_NAME
    category       text NOT NULL,             -- OFFENSE_CATEGORY_NAME
    crime_against  text NOT NULL,             -- Person | Property | Society | Not a Crime
    offense_group  text,                      -- A | B | NULL (90I Runaway has none)
    fbi_id         integer,                   -- OFFENSE_TYPE_ID, the FBI's internal id
    loaded_at      timestamptz NOT NULL DEFAULT now()
);

-- Watchfloor kind → NIBRS offense (data/reference/watchfloor_kind_nibrs.csv). A kind with a NULL
-- code has no NIBRS equivalent, on purpose.
CREATE TABLE nibrs_kind_map (
    kind        text PRIMARY KEY,             -- "burglary.residential"
    nibrs_code  text REFERENCES nibrs_offense_types (code),
    notes       text
);

-- A department's own offense code → NIBRS offense, ahead of the kind crosswalk.
CREATE TABLE nibrs_agency_codes (
    agency        text NOT NULL,              -- as events.agency
    offense_code  text NOT NULL,              -- as events.offense_code, verbatim
    nibrs_code    text NOT NULL REFERENCES nibrs_offense_types (code),
    notes         text,
    PRIMARY KEY (agency, offense_code)
);

-- Hot lists: plates and persons of interest. One list is one named file the operators import
-- (stolen vehicles, wanted persons …); an entry is unique per list by its normalised value.
CREATE TABLE hotlists (
    list_name    text NOT NULL,               -- "stolen-vehicles"
    entry_type   text NOT NULL CHECK (entry_type IN ('plate', 'person')),
    value        text NOT NULL,               -- as the list wrote it ("abc-1234")
    value_norm   text NOT NULL CHECK (value_norm <> ''),  -- normalised (wf/hotlist.h): "ABC1234"
    entry_id     text,                        -- the list's own id (case number, NCIC number)
    agency       text,                        -- agency that owns the entry (whom to call)
    reason       text,
    added_at     timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,                 -- NULL: until removed; expired entries never match
    PRIMARY KEY (list_name, entry_type, value_norm)
);
CREATE INDEX hotlists_value_idx ON hotlists (entry_type, value_norm);
CREATE INDEX hotlists_expires_idx ON hotlists (expires_at) WHERE expires_at IS NOT NULL;

-- One version counter per reference table group, bumped by a statement trigger on every change
-- (wf-admin or psql alike). wf-enrich polls these two rows and reloads what moved; the trigger
-- also sends NOTIFY wf_reference for tools that prefer to listen.
CREATE TABLE reference_versions (
    name        text PRIMARY KEY,             -- nibrs | hotlists
    version     bigint NOT NULL DEFAULT 0,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO reference_versions (name) VALUES ('nibrs'), ('hotlists');

CREATE FUNCTION wf_bump_reference_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE reference_versions SET version = version + 1, changed_at = now()
     WHERE name = TG_ARGV[0];
    PERFORM pg_notify('wf_reference', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE TRIGGER nibrs_offense_types_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON nibrs_offense_types FOR EACH STATEMENT EXECUTE FUNCTION wf_bump_reference_version('nibrs');
CREATE TRIGGER nibrs_kind_map_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON nibrs_kind_map FOR EACH STATEMENT EXECUTE FUNCTION wf_bump_reference_version('nibrs');
CREATE TRIGGER nibrs_agency_codes_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON nibrs_agency_codes FOR EACH STATEMENT EXECUTE FUNCTION wf_bump_reference_version('nibrs');
CREATE TRIGGER hotlists_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON hotlists FOR EACH STATEMENT EXECUTE FUNCTION wf_bump_reference_version('hotlists');

-- What enrich found (NULL when the kind has no NIBRS equivalent / the event hit no list).
ALTER TABLE events
    ADD COLUMN nibrs_code      text,          -- "220"
    ADD COLUMN nibrs_category  text,          -- "Burglary/Breaking & Entering"
    ADD COLUMN crime_against   text,          -- Person | Property | Society | Not a Crime
    ADD COLUMN hotlist_hits    jsonb;         -- [{list, entry_type, entry_value, observed, field,
                                              --   substitutions, entry_id}, …]
CREATE INDEX events_nibrs_category_idx ON events (nibrs_category, occurred_at);
CREATE INDEX events_hotlist_hits_idx ON events (occurred_at) WHERE hotlist_hits IS NOT NULL;
