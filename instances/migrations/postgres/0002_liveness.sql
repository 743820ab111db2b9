-- Whether an instance is alive, at once: each holds a session advisory lock
-- on lock_key on a connection of its own, which PostgreSQL lets go of as
-- soon as the process dies (its connections close). 0: an instance of an
-- earlier version, which holds none.

ALTER TABLE app_instances ADD COLUMN lock_key BIGINT NOT NULL DEFAULT 0;
