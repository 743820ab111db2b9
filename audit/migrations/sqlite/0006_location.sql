-- An attempt on a service location's contact names the location
-- (customer_id stays the location's customer, so a customer's History
-- shows its locations' contacts too); NULL for a customer's own contact.

ALTER TABLE attempts ADD COLUMN location_id INTEGER;
CREATE INDEX attempts_location ON attempts (location_id, started_at) WHERE location_id IS NOT NULL;
