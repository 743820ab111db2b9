-- What the hygiene report counts across contacts, kept by each sync pass
-- and by the app's own writes, so the report reads it without a scan.

CREATE TABLE index_shared (
	value_key TEXT   PRIMARY KEY,
	customers BIGINT NOT NULL,
	contacts  BIGINT NOT NULL
);
CREATE INDEX index_shared_customers ON index_shared (customers DESC, value_key, contacts);

CREATE TABLE index_unreachable (
	customer_id BIGINT PRIMARY KEY
);

-- Who has a phone or an email that is not a placeholder.
CREATE INDEX index_contacts_reach ON index_contacts (customer_id)
	WHERE NOT removed AND problem NOT LIKE 'placeholder-%' AND kind IN ('Phone', 'MobilePhone', 'Email');

-- Values and customers a feed page touched since the last summary, to
-- count again after the rows are checked (a value a contact held before
-- a change is only known when the page is written). During a backfill,
-- the summary is rebuilt whole instead: index_settings 'summary' = 'full'.
CREATE TABLE index_dirty (
	kind TEXT NOT NULL, -- value, customer
	key  TEXT NOT NULL,
	PRIMARY KEY (kind, key)
);
INSERT INTO index_settings (name, value) VALUES ('summary', 'full');
