-- The first backfill loads without what only the hygiene report and search
-- read: the hygiene partial indexes and the full-text tables' triggers (see
-- index/load.go). Their definitions, as this schema made them, wait here
-- while it loads and are made again (the full-text tables rebuilt) once
-- every feed has been read to its end. A later migration that changes one
-- of them must allow for its being absent (IF EXISTS) and for its
-- definition waiting here.

CREATE TABLE index_deferred (
	name       TEXT PRIMARY KEY, -- the index or trigger
	definition TEXT NOT NULL     -- its CREATE statement
) STRICT;
