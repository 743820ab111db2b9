-- The undo (or restore) of a removal is found by the removal it names: a
-- removal restored already says so instead of being re-created twice, and
-- the History marks it.

CREATE INDEX attempts_undoes ON attempts (undoes_attempt_id) WHERE undoes_attempt_id IS NOT NULL;
