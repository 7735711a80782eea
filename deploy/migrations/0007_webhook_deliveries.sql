-- The outcome of every webhook delivery wf-alert attempted or gave up on (alert.webhook.urls):
-- one row per alert and endpoint each time the alert was handed to the webhook sender (a
-- replay after a crash can send an alert again; receivers drop the repeat by its
-- Idempotency-Key, and this table shows both). Written by wf-alert's webhook thread, never on
-- the alert path.
CREATE TABLE webhook_deliveries (
    delivery_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id         uuid        NOT NULL,  -- alerts.alert_id (not a foreign key: the alert row
                                            -- and its deliveries are written by two connections)
    endpoint         text        NOT NULL,  -- URL as configured, any password removed
    status           text        NOT NULL CHECK (status IN ('delivered', 'failed', 'dropped')),
    attempts         integer     NOT NULL,  -- HTTP requests made (0 when dropped)
    http_status      integer,               -- last HTTP status received, NULL if none
    last_error       text,                  -- why the last attempt failed, or why none was made
    first_attempt_at timestamptz,           -- NULL when dropped before any attempt
    finished_at      timestamptz NOT NULL
);
CREATE INDEX webhook_deliveries_alert_idx ON webhook_deliveries (alert_id);
CREATE INDEX webhook_deliveries_undelivered_idx ON webhook_deliveries (finished_at)
    WHERE status <> 'delivered';
