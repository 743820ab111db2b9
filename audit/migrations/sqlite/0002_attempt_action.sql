-- Every attempt has an action: 'update' (an edit, what every earlier attempt
-- was), 'create' (an add) or 'delete' (a removal). An undo of a removal is a
-- create that names the removal it re-creates in undoes_attempt_id; no
-- foreign key, as Prune deletes the older removal before its undo.

ALTER TABLE attempts ADD COLUMN action TEXT NOT NULL DEFAULT 'update'
    CHECK (action IN ('update', 'create', 'delete'));
ALTER TABLE attempts ADD COLUMN undoes_attempt_id INTEGER; -- NULL unless an undo
