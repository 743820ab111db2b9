-- The app's instances on one PostgreSQL, each seen every few seconds: the
-- tenant's rate budget (ST_RATE_LIMIT) is split between the live ones.

CREATE TABLE app_instances (
	id         TEXT        PRIMARY KEY,
	host       TEXT        NOT NULL,
	started_at TIMESTAMPTZ NOT NULL,
	seen_at    TIMESTAMPTZ NOT NULL
);
