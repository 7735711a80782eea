-- Each alert's OASIS CAP 1.2 document as wf-alert rendered it (valid against the CAP 1.2
-- schema), for consoles and gateways that take CAP; NULL if it could not be rendered.
ALTER TABLE alerts ADD COLUMN cap text;
