-- What the hygiene report counts across contacts, kept by each sync pass
-- and by the app's own writes, so the report reads it without a scan:
-- values held by two customers or more (placeholders and wrong values
-- left out), and active customers no phone or email reaches.

CREATE TABLE index_shared (
	value_key TEXT    PRIMARY KEY,
	customers INTEGER NOT NULL,
	contacts  INTEGER NOT NULL
) STRICT;
CREATE INDEX index_shared_customers ON index_shared (customers DESC, value_key);

CREATE TABLE index_unreachable (
	customer_id INTEGER PRIMARY KEY
) STRICT;

DROP INDEX index_contacts_reach;
CREATE INDEX index_contacts_reach ON index_contacts (customer_id)
	WHERE removed = 0 AND problem NOT LIKE 'placeholder-%' AND kind IN ('Phone', 'MobilePhone', 'Email');
