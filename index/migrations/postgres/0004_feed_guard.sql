-- What keeps the index true to the feeds: each feed's high-water mark (the
-- newest modifiedOn of a row read from the feed itself, never of the app's
-- own writes), where a refused token restarts it; the rows refused as
-- poison, counted by reason; and contacts whose customer the index does not
-- hold yet, kept aside (not searchable) until it comes.

ALTER TABLE index_feeds ADD COLUMN high_water_us BIGINT NOT NULL DEFAULT 0;

CREATE TABLE index_refused (
	feed    TEXT   NOT NULL,
	reason  TEXT   NOT NULL,
	refused BIGINT NOT NULL,
	last_id BIGINT NOT NULL,
	last_us BIGINT NOT NULL,
	PRIMARY KEY (feed, reason)
);

CREATE TABLE index_waiting (
	id          BIGINT PRIMARY KEY,
	customer_id BIGINT NOT NULL,
	body        TEXT   NOT NULL,
	modified_us BIGINT NOT NULL,
	since_us    BIGINT NOT NULL
);
CREATE INDEX index_waiting_customer ON index_waiting (customer_id);
