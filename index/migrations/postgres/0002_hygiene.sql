-- Contact hygiene: each contact's problem (a placeholder, a value the
-- edit form would refuse), found by the app's rules after the row is
-- written; "checked" says the rules have seen the row as it is now.

ALTER TABLE index_contacts ADD COLUMN problem TEXT NOT NULL DEFAULT '';
ALTER TABLE index_contacts ADD COLUMN checked BOOLEAN NOT NULL DEFAULT FALSE;

CREATE INDEX index_contacts_unchecked ON index_contacts (id) WHERE NOT checked;
CREATE INDEX index_contacts_problem ON index_contacts (problem, value_key, id) WHERE problem <> '' AND NOT removed;
CREATE INDEX index_contacts_shared ON index_contacts (value_key, customer_id) WHERE NOT removed AND problem = '';

CREATE TABLE index_settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
