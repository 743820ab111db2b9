-- Contact hygiene: each contact's problem (a placeholder, a value the
-- edit form would refuse), found by the app's rules after the row is
-- written; "checked" says the rules have seen the row as it is now.

ALTER TABLE index_contacts ADD COLUMN problem TEXT NOT NULL DEFAULT ''; -- '', placeholder-phone, placeholder-email, invalid
ALTER TABLE index_contacts ADD COLUMN checked INTEGER NOT NULL DEFAULT 0;

CREATE INDEX index_contacts_unchecked ON index_contacts (id) WHERE checked = 0;
CREATE INDEX index_contacts_problem ON index_contacts (problem, value_key, id) WHERE problem <> '' AND removed = 0;
-- One value on several customers.
CREATE INDEX index_contacts_shared ON index_contacts (value_key, customer_id) WHERE removed = 0 AND problem = '';

-- Settings the rows were last checked under.
CREATE TABLE index_settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) STRICT;
