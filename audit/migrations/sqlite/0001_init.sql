-- The audit trail of contact save attempts (SQLite).
-- Times are UTC text in one fixed-width format, "2006-01-02T15:04:05.000000Z",
-- so that text order is time order.

CREATE TABLE attempts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after Prune
    started_at        TEXT    NOT NULL,
    actor_email       TEXT    NOT NULL,                  -- as given
    actor_email_lower TEXT    NOT NULL,                  -- for case-insensitive lookups
    actor_name        TEXT    NOT NULL DEFAULT '',
    tenant_id         INTEGER NOT NULL,
    customer_id       INTEGER NOT NULL,
    contact_id        INTEGER NOT NULL,
    outcome           TEXT    NOT NULL DEFAULT 'unknown'
        CHECK (outcome IN ('unknown', 'saved', 'rejected', 'conflict', 'not_found', 'failed')),
    messages          TEXT    NOT NULL DEFAULT '[]',      -- JSON array of strings
    trace_id          TEXT    NOT NULL DEFAULT '',
    request_id        TEXT    NOT NULL DEFAULT '',
    completed_at      TEXT                                -- NULL while the outcome is unknown
) STRICT;

CREATE INDEX attempts_started_at ON attempts (started_at, id);
CREATE INDEX attempts_actor      ON attempts (actor_email_lower, started_at);
CREATE INDEX attempts_customer   ON attempts (customer_id, started_at);
CREATE INDEX attempts_contact    ON attempts (contact_id, started_at);

CREATE TABLE changes (
    attempt_id   INTEGER NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,                        -- 0-based order within the attempt
    field        TEXT    NOT NULL,                        -- API path, e.g. preferences.jobRemindersEnabled
    before_value TEXT    NOT NULL,
    after_value  TEXT    NOT NULL,
    PRIMARY KEY (attempt_id, position)
) STRICT;
