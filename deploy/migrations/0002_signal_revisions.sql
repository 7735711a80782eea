-- A near-repeat signal is revised when an earlier partner of its event arrives after it (a
-- late report, a backlog drained after a crash): the row keeps its id and first created_at and
-- takes the longer related list; updated_at says when it last grew.
ALTER TABLE signals ADD COLUMN updated_at timestamptz;
