-- A row on a service location's contact names the location (its id, and
-- its name as the preview showed it): the job writes the location's
-- contact, and the preview and the result say "location" and name it.
-- 0 and '' for a customer's own contact.

ALTER TABLE bulk_rows ADD COLUMN location_id BIGINT NOT NULL DEFAULT 0;
ALTER TABLE bulk_rows ADD COLUMN location_name TEXT NOT NULL DEFAULT '';
