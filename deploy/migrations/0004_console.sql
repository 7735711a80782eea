-- The operator console: bearer tokens and the alert workflow (acknowledge / assign / close).

-- API tokens. Only a SHA-256 of the secret is stored: a leaked table grants nothing. The
-- record is shaped for scoping (role, agencies) so that enforcing it later needs no migration.
CREATE TABLE api_tokens (
    token_id      uuid        PRIMARY KEY,
    name          text        NOT NULL UNIQUE,      -- who holds it: "dispatch-desk-3", "j.smith"
    secret_sha256 bytea       NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    role          text        NOT NULL DEFAULT 'operator'
                  CHECK (role IN ('viewer', 'operator', 'supervisor', 'admin')),
    agencies      text[]      NOT NULL DEFAULT '{}', -- empty: every agency
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text        NOT NULL DEFAULT current_user,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    note          text
);

-- The workflow state of an alert, kept on the alert row for the queue, and every action
-- that changed it in alert_actions (who, when, what): the queue can be rebuilt from it.
ALTER TABLE alerts ADD COLUMN assigned_to text;
ALTER TABLE alerts ADD COLUMN state_changed_at timestamptz;
ALTER TABLE alerts ADD CONSTRAINT alerts_state_check
    CHECK (state IN ('new', 'acknowledged', 'assigned', 'closed'));
CREATE INDEX alerts_state_idx ON alerts (state, raised_at);

CREATE TABLE alert_actions (
    action_id   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id    uuid        NOT NULL REFERENCES alerts ON DELETE CASCADE,
    action      text        NOT NULL CHECK (action IN ('acknowledge', 'assign', 'close', 'reopen')),
    from_state  text        NOT NULL,
    to_state    text        NOT NULL,
    actor       text        NOT NULL,                -- api_tokens.name at the time
    token_id    uuid        REFERENCES api_tokens ON DELETE SET NULL,
    assignee    text,
    note        text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_actions_alert_idx ON alert_actions (alert_id, at);
