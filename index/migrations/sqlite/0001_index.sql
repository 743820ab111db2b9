-- The tenant index: a local copy of ServiceTitan's customers and contacts,
-- kept from the Data Export feeds and the app's own writes, for search.
-- Times are microseconds since the Unix epoch, UTC.

CREATE TABLE index_customers (
	id          INTEGER PRIMARY KEY,
	name        TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	street      TEXT    NOT NULL,
	unit        TEXT    NOT NULL,
	city        TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	zip         TEXT    NOT NULL,
	active      INTEGER NOT NULL,
	modified_us INTEGER NOT NULL,
	search      TEXT    NOT NULL  -- name and address, normalised (lower case, no accents)
) STRICT;

CREATE TABLE index_contacts (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL,
	kind        TEXT    NOT NULL,
	value       TEXT    NOT NULL,
	value_key   TEXT    NOT NULL,  -- the digits of a number, an email in lower case
	memo        TEXT    NOT NULL,
	do_not_text INTEGER,           -- NULL: no phone settings
	preferences TEXT,              -- JSON; NULL when the contact has none
	created_us  INTEGER NOT NULL,
	modified_us INTEGER NOT NULL,
	removed     INTEGER NOT NULL DEFAULT 0, -- the feed said active:false: kept so an older row cannot bring it back
	search      TEXT    NOT NULL   -- value forms and memo, normalised; empty when removed
) STRICT;

CREATE INDEX index_contacts_customer ON index_contacts (customer_id);
CREATE INDEX index_contacts_value_key ON index_contacts (value_key);

-- Substring search (any 3+ characters) over the normalised text.
CREATE VIRTUAL TABLE index_customers_fts USING fts5(search, content='index_customers', content_rowid='id', tokenize='trigram');
CREATE VIRTUAL TABLE index_contacts_fts USING fts5(search, content='index_contacts', content_rowid='id', tokenize='trigram');

CREATE TRIGGER index_customers_ai AFTER INSERT ON index_customers BEGIN
	INSERT INTO index_customers_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_customers_ad AFTER DELETE ON index_customers BEGIN
	INSERT INTO index_customers_fts (index_customers_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER index_customers_au AFTER UPDATE OF search ON index_customers BEGIN
	INSERT INTO index_customers_fts (index_customers_fts, rowid, search) VALUES ('delete', old.id, old.search);
	INSERT INTO index_customers_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_contacts_ai AFTER INSERT ON index_contacts BEGIN
	INSERT INTO index_contacts_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_contacts_ad AFTER DELETE ON index_contacts BEGIN
	INSERT INTO index_contacts_fts (index_contacts_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER index_contacts_au AFTER UPDATE OF search ON index_contacts BEGIN
	INSERT INTO index_contacts_fts (index_contacts_fts, rowid, search) VALUES ('delete', old.id, old.search);
	INSERT INTO index_contacts_fts (rowid, search) VALUES (new.id, new.search);
END;

-- Where each feed goes on from, and how its last reads went.
CREATE TABLE index_feeds (
	feed            TEXT    PRIMARY KEY, -- customers, contacts
	continue_from   TEXT    NOT NULL DEFAULT '',
	backfilled      INTEGER NOT NULL DEFAULT 0,
	rows_read       INTEGER NOT NULL DEFAULT 0,
	last_success_us INTEGER NOT NULL DEFAULT 0,
	last_error      TEXT    NOT NULL DEFAULT '',
	last_error_us   INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO index_feeds (feed) VALUES ('customers'), ('contacts');

-- How many customers the tenant has (active or not), as ServiceTitan last
-- said: the backfill's progress is measured against it.
CREATE TABLE index_totals (
	name  TEXT    PRIMARY KEY,
	value INTEGER NOT NULL,
	at_us INTEGER NOT NULL
) STRICT;
