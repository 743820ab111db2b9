-- SQLite's 0008 feeds its contacts' words table the memo's words only.
-- PostgreSQL has no words tables (its search reads pg_trgm indexes): the
-- version is kept in step with SQLite's and changes nothing here.
SELECT 1;
