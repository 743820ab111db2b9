-- The tenant index: a local copy of ServiceTitan's customers and contacts,
-- kept from the Data Export feeds and the app's own writes, for search.
-- Times are microseconds since the Unix epoch, UTC.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE index_customers (
	id          BIGINT  PRIMARY KEY,
	name        TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	street      TEXT    NOT NULL,
	unit        TEXT    NOT NULL,
	city        TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	zip         TEXT    NOT NULL,
	active      BOOLEAN NOT NULL,
	modified_us BIGINT  NOT NULL,
	search      TEXT    NOT NULL
);

CREATE TABLE index_contacts (
	id          BIGINT  PRIMARY KEY,
	customer_id BIGINT  NOT NULL,
	kind        TEXT    NOT NULL,
	value       TEXT    NOT NULL,
	value_key   TEXT    NOT NULL,
	memo        TEXT    NOT NULL,
	do_not_text BOOLEAN,
	preferences TEXT,
	created_us  BIGINT  NOT NULL,
	modified_us BIGINT  NOT NULL,
	removed     BOOLEAN NOT NULL DEFAULT FALSE,
	search      TEXT    NOT NULL
);

CREATE INDEX index_contacts_customer ON index_contacts (customer_id);
CREATE INDEX index_contacts_value_key ON index_contacts (value_key);
CREATE INDEX index_customers_search ON index_customers USING gin (search gin_trgm_ops);
CREATE INDEX index_contacts_search ON index_contacts USING gin (search gin_trgm_ops);

CREATE TABLE index_feeds (
	feed            TEXT   PRIMARY KEY,
	continue_from   TEXT   NOT NULL DEFAULT '',
	backfilled      BOOLEAN NOT NULL DEFAULT FALSE,
	rows_read       BIGINT NOT NULL DEFAULT 0,
	last_success_us BIGINT NOT NULL DEFAULT 0,
	last_error      TEXT   NOT NULL DEFAULT '',
	last_error_us   BIGINT NOT NULL DEFAULT 0
);
INSERT INTO index_feeds (feed) VALUES ('customers'), ('contacts');

CREATE TABLE index_totals (
	name  TEXT   PRIMARY KEY,
	value BIGINT NOT NULL,
	at_us BIGINT NOT NULL
);
