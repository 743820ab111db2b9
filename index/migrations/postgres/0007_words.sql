-- SQLite's 0007 adds full-text tables of words beside its trigram tables.
-- PostgreSQL's search reads its trigram (pg_trgm) indexes as before: the
-- version is kept in step with SQLite's and changes nothing here.
SELECT 1;
