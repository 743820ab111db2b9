-- A row whose number had texted STOP (phoneSettings.doNotText) when the
-- preview matched it: a removal's preview counts and marks them, since the
-- opt-out goes with the removed contact.

ALTER TABLE bulk_rows ADD COLUMN texted_stop INTEGER NOT NULL DEFAULT 0; -- 1: texted STOP
