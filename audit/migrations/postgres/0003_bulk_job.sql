-- An attempt made by a bulk job names it (bulk_jobs.id, in the same
-- database); NULL for a person's own edit. No foreign key: jobs and the
-- trail are pruned on their own schedules.

ALTER TABLE attempts ADD COLUMN bulk_job BIGINT;
CREATE INDEX attempts_bulk_job ON attempts (bulk_job) WHERE bulk_job IS NOT NULL;
