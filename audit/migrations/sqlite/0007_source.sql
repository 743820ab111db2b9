-- Where a change was made: 'app' (an attempt made through this app, every
-- earlier row) or 'servicetitan' (a change made in ServiceTitan itself,
-- which the tenant index saw in the export feeds). A change made in
-- ServiceTitan is stored once, whichever instance's sync pass (or save's
-- read) sees it, however often the feed repeats its row: by its contact,
-- ServiceTitan's modifiedOn (started_at) and what it did.

ALTER TABLE attempts ADD COLUMN source TEXT NOT NULL DEFAULT 'app'
    CHECK (source IN ('app', 'servicetitan'));
CREATE UNIQUE INDEX attempts_external ON attempts (contact_id, started_at, action) WHERE source = 'servicetitan';
CREATE INDEX attempts_source ON attempts (source, started_at);
