-- Whether the search index was still loading when a draft was previewed:
-- its lines may have matched nothing that should, so it starts only once
-- its owner confirms those lines are skipped.
ALTER TABLE bulk_jobs ADD COLUMN index_loading BOOLEAN NOT NULL DEFAULT false;
