-- Service locations and their contacts, from the feeds export/locations
-- and export/locations/contacts. A location's contact is a row of
-- index_contacts like a customer's, naming its location (location_id; 0
-- for a customer's own contact) and, as customer_id, the location's
-- customer: search, hygiene and bulk lists find both kinds alike. A
-- contact whose location the index does not hold yet waits in
-- index_waiting (location_id set) until a locations page brings it.

CREATE TABLE index_locations (
	id          BIGINT  PRIMARY KEY,
	customer_id BIGINT  NOT NULL,
	name        TEXT    NOT NULL,
	street      TEXT    NOT NULL,
	unit        TEXT    NOT NULL,
	city        TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	zip         TEXT    NOT NULL,
	active      BOOLEAN NOT NULL,
	modified_us BIGINT  NOT NULL,
	search      TEXT    NOT NULL
);
CREATE INDEX index_locations_customer ON index_locations (customer_id);
CREATE INDEX index_locations_search ON index_locations USING gin (search gin_trgm_ops);

ALTER TABLE index_contacts ADD COLUMN location_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX index_contacts_location ON index_contacts (location_id) WHERE location_id <> 0;

ALTER TABLE index_waiting ADD COLUMN location_id BIGINT NOT NULL DEFAULT 0;
CREATE INDEX index_waiting_location ON index_waiting (location_id) WHERE location_id <> 0;

INSERT INTO index_feeds (feed) VALUES ('locations'), ('location-contacts');
