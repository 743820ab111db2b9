-- Service locations and their contacts, from the feeds export/locations
-- and export/locations/contacts. A location's contact is a row of
-- index_contacts like a customer's, naming its location (location_id; 0
-- for a customer's own contact) and, as customer_id, the location's
-- customer: search, hygiene and bulk lists find both kinds alike. A
-- contact whose location the index does not hold yet waits in
-- index_waiting (location_id set) until a locations page brings it.

CREATE TABLE index_locations (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL,
	name        TEXT    NOT NULL,
	street      TEXT    NOT NULL,
	unit        TEXT    NOT NULL,
	city        TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	zip         TEXT    NOT NULL,
	active      INTEGER NOT NULL,
	modified_us INTEGER NOT NULL,
	search      TEXT    NOT NULL  -- name and address, normalised
) STRICT;
CREATE INDEX index_locations_customer ON index_locations (customer_id);

CREATE VIRTUAL TABLE index_locations_fts USING fts5(search, content='index_locations', content_rowid='id', tokenize='trigram');
CREATE TRIGGER index_locations_ai AFTER INSERT ON index_locations BEGIN
	INSERT INTO index_locations_fts (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_locations_ad AFTER DELETE ON index_locations BEGIN
	INSERT INTO index_locations_fts (index_locations_fts, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER index_locations_au AFTER UPDATE OF search ON index_locations BEGIN
	INSERT INTO index_locations_fts (index_locations_fts, rowid, search) VALUES ('delete', old.id, old.search);
	INSERT INTO index_locations_fts (rowid, search) VALUES (new.id, new.search);
END;

ALTER TABLE index_contacts ADD COLUMN location_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX index_contacts_location ON index_contacts (location_id) WHERE location_id <> 0;

ALTER TABLE index_waiting ADD COLUMN location_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX index_waiting_location ON index_waiting (location_id) WHERE location_id <> 0;

INSERT INTO index_feeds (feed) VALUES ('locations'), ('location-contacts');
