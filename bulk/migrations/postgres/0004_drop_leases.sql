-- A job's run is a unique River job, queued in the transaction that starts
-- or resumes it and rescued by River after a crash: the hand-made lease
-- and the sweep that read it are gone.
ALTER TABLE bulk_jobs DROP COLUMN lease_owner;
ALTER TABLE bulk_jobs DROP COLUMN lease_until_us;
