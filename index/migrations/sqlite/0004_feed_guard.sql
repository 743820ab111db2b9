-- What keeps the index true to the feeds: each feed's high-water mark (the
-- newest modifiedOn of a row read from the feed itself, never of the app's
-- own writes), where a refused token restarts it; the rows refused as
-- poison, counted by reason; and contacts whose customer the index does not
-- hold yet, kept aside (not searchable) until it comes.

ALTER TABLE index_feeds ADD COLUMN high_water_us INTEGER NOT NULL DEFAULT 0;

CREATE TABLE index_refused (
	feed    TEXT    NOT NULL, -- customers, contacts
	reason  TEXT    NOT NULL, -- future, too-large, incomplete
	refused INTEGER NOT NULL,
	last_id INTEGER NOT NULL, -- the last row refused, for support
	last_us INTEGER NOT NULL,
	PRIMARY KEY (feed, reason)
) STRICT;

CREATE TABLE index_waiting (
	id          INTEGER PRIMARY KEY, -- the contact
	customer_id INTEGER NOT NULL,
	body        TEXT    NOT NULL,    -- JSON: the contact as the feed sent it
	modified_us INTEGER NOT NULL,
	since_us    INTEGER NOT NULL     -- when it was first kept aside
) STRICT;
CREATE INDEX index_waiting_customer ON index_waiting (customer_id);
