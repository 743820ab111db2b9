-- Bulk jobs: a list applied to many contacts. A job is first a draft (the
-- preview of an uploaded list, matched against the tenant index), then,
-- once its owner confirms it, runs a row at a time until done or
-- cancelled. Its rows and their states are the durable record a restart
-- resumes from. Times are microseconds since the Unix epoch, UTC.

CREATE TABLE bulk_jobs (
	id             INTEGER PRIMARY KEY,
	owner_email    TEXT    NOT NULL,
	owner_name     TEXT    NOT NULL,
	created_us     INTEGER NOT NULL,
	file_name      TEXT    NOT NULL,
	action         TEXT    NOT NULL CHECK (action IN ('preferences', 'remove')),
	flags          TEXT    NOT NULL, -- JSON: flag name -> wanted value (preferences)
	state          TEXT    NOT NULL CHECK (state IN ('draft', 'running', 'paused', 'cancelled', 'done')),
	lines          INTEGER NOT NULL, -- lines in the list
	contacts       INTEGER NOT NULL, -- contacts matched: the job's rows
	started_us     INTEGER NOT NULL DEFAULT 0,
	finished_us    INTEGER NOT NULL DEFAULT 0,
	state_by       TEXT    NOT NULL DEFAULT '', -- who last paused, resumed or cancelled it
	lease_owner    TEXT    NOT NULL DEFAULT '', -- the worker running it now
	lease_until_us INTEGER NOT NULL DEFAULT 0,
	problem        TEXT    NOT NULL DEFAULT ''  -- why it waits (ServiceTitan down, the trail unavailable)
) STRICT;
CREATE INDEX bulk_jobs_state ON bulk_jobs (state, created_us);

-- The list's lines as read and matched.
CREATE TABLE bulk_lines (
	job_id      INTEGER NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
	line        INTEGER NOT NULL,
	text        TEXT    NOT NULL,
	value       TEXT    NOT NULL, -- the phone number (10 digits) or email looked for
	customer_id INTEGER NOT NULL, -- as given; 0 when not
	contact_id  INTEGER NOT NULL, -- as given; 0 when not
	status      TEXT    NOT NULL CHECK (status IN ('matched', 'unmatched', 'invalid', 'duplicate')),
	why         TEXT    NOT NULL,
	matches     INTEGER NOT NULL, -- contacts it matched
	customers   INTEGER NOT NULL, -- customers those belong to
	PRIMARY KEY (job_id, line)
) STRICT;

-- One row per contact matched: what the preview saw, then how the job
-- left it.
CREATE TABLE bulk_rows (
	job_id        INTEGER NOT NULL REFERENCES bulk_jobs (id) ON DELETE CASCADE,
	seq           INTEGER NOT NULL, -- the order rows are worked in
	line          INTEGER NOT NULL, -- the first line that matched it
	customer_id   INTEGER NOT NULL,
	contact_id    INTEGER NOT NULL,
	customer_name TEXT    NOT NULL,
	kind          TEXT    NOT NULL, -- the contact's type
	value         TEXT    NOT NULL, -- the contact's value, as the index held it
	planned       TEXT    NOT NULL CHECK (planned IN ('change', 'unchanged')), -- as the index saw it
	before_text   TEXT    NOT NULL, -- the flags (or contact) as the index held them
	after_text    TEXT    NOT NULL, -- what they would become
	state         TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'changed', 'unchanged', 'skipped', 'failed', 'cancelled')),
	tries         INTEGER NOT NULL DEFAULT 0,
	audit_id      INTEGER NOT NULL DEFAULT 0, -- the attempt that settled it
	message       TEXT    NOT NULL DEFAULT '',
	done_us       INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (job_id, seq)
) STRICT;
CREATE INDEX bulk_rows_state ON bulk_rows (job_id, state, seq);
CREATE INDEX bulk_rows_done ON bulk_rows (job_id, done_us);
