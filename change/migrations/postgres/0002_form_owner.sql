-- Which instance works on a form (the instance list's id; '' for an
-- earlier version), so that a post waiting for it stops waiting when that
-- instance has died.

ALTER TABLE change_forms ADD COLUMN owner TEXT NOT NULL DEFAULT '';
