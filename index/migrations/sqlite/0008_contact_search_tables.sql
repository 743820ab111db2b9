-- A contact's full-text tables hold what search finds it by, and no more.
-- Search finds a contact by its value (four or more digits of a number,
-- an email address or its part: the trigram table, checked against the
-- value key) or by its memo (words: the words table, checked against the
-- memo's words; a word holding anything but a to z and digits, such as
-- "akesson-nunez", through the trigram table). Both tables held the
-- whole search text (the folded value key, a space, the folded memo):
-- the words table a number's ten digits as a word and its six prefixes,
-- nearly every one different, the trigram table the memo's trigrams,
-- which a query of digits or an address never keeps. At a million
-- contacts their rebuilds took 10.6 s and 10.0 s of the six tables'
-- 31.5 s (sqlite3 on a copy of the index), 4.7 s and 4.5 s without what
-- search never keeps; a query also spent candidates (at most 1000 a
-- table) on rows its check then dropped.
--
-- When the value key is made only of what fold keeps as it is (a to z,
-- digits, @ . _ + -: a number's digits, an ASCII address), the search
-- text is that key, then a space and the folded memo when there is one,
-- so the memo begins at the key's length plus two. Then the words table
-- holds the memo alone, and the trigram table the key alone, or the
-- whole text when the memo holds a word only the trigrams find. Any
-- other key (empty, accented, with a space) keeps the whole text in
-- both: more than needed, never less. A removed contact's text is
-- empty: so are both.
--
-- Each table reads its content through a view; its triggers write the
-- same expression on new and old. While a first backfill loads (see
-- 0006_deferred.sql), the old triggers' definitions wait in
-- index_deferred: they are dropped there and the new ones made at once,
-- and the rebuild at the end of the load rebuilds both tables from
-- their views like the others.

DROP TRIGGER IF EXISTS index_contacts_ai;
DROP TRIGGER IF EXISTS index_contacts_ad;
DROP TRIGGER IF EXISTS index_contacts_au;
DROP TRIGGER IF EXISTS index_contacts_words_ai;
DROP TRIGGER IF EXISTS index_contacts_words_ad;
DROP TRIGGER IF EXISTS index_contacts_words_au;
DELETE FROM index_deferred WHERE name IN ('index_contacts_ai', 'index_contacts_ad', 'index_contacts_au',
	'index_contacts_words_ai', 'index_contacts_words_ad', 'index_contacts_words_au');
DROP TABLE index_contacts_fts;
DROP TABLE index_contacts_words;

CREATE VIEW index_contacts_fts_text AS SELECT id, CASE
		WHEN search = '' THEN ''
		WHEN value_key <> '' AND value_key NOT GLOB '*[^a-z0-9@._+-]*' AND substr(search, length(value_key) + 2) NOT GLOB '*[^a-z0-9 ]*' THEN value_key
		ELSE search
	END AS search FROM index_contacts;
CREATE VIRTUAL TABLE index_contacts_fts USING fts5(search, content='index_contacts_fts_text', content_rowid='id', tokenize='trigram');
CREATE TRIGGER index_contacts_ai AFTER INSERT ON index_contacts BEGIN
	INSERT INTO index_contacts_fts (rowid, search) VALUES (new.id, CASE
		WHEN new.search = '' THEN ''
		WHEN new.value_key <> '' AND new.value_key NOT GLOB '*[^a-z0-9@._+-]*' AND substr(new.search, length(new.value_key) + 2) NOT GLOB '*[^a-z0-9 ]*' THEN new.value_key
		ELSE new.search
	END);
END;
CREATE TRIGGER index_contacts_ad AFTER DELETE ON index_contacts BEGIN
	INSERT INTO index_contacts_fts (index_contacts_fts, rowid, search) VALUES ('delete', old.id, CASE
		WHEN old.search = '' THEN ''
		WHEN old.value_key <> '' AND old.value_key NOT GLOB '*[^a-z0-9@._+-]*' AND substr(old.search, length(old.value_key) + 2) NOT GLOB '*[^a-z0-9 ]*' THEN old.value_key
		ELSE old.search
	END);
END;
CREATE TRIGGER index_contacts_au AFTER UPDATE OF search, value_key ON index_contacts BEGIN
	INSERT INTO index_contacts_fts (index_contacts_fts, rowid, search) VALUES ('delete', old.id, CASE
		WHEN old.search = '' THEN ''
		WHEN old.value_key <> '' AND old.value_key NOT GLOB '*[^a-z0-9@._+-]*' AND substr(old.search, length(old.value_key) + 2) NOT GLOB '*[^a-z0-9 ]*' THEN old.value_key
		ELSE old.search
	END);
	INSERT INTO index_contacts_fts (rowid, search) VALUES (new.id, CASE
		WHEN new.search = '' THEN ''
		WHEN new.value_key <> '' AND new.value_key NOT GLOB '*[^a-z0-9@._+-]*' AND substr(new.search, length(new.value_key) + 2) NOT GLOB '*[^a-z0-9 ]*' THEN new.value_key
		ELSE new.search
	END);
END;

CREATE VIEW index_contacts_words_text AS SELECT id, CASE
		WHEN search = '' THEN ''
		WHEN value_key <> '' AND value_key NOT GLOB '*[^a-z0-9@._+-]*' THEN substr(search, length(value_key) + 2)
		ELSE search
	END AS search FROM index_contacts;
CREATE VIRTUAL TABLE index_contacts_words USING fts5(search, content='index_contacts_words_text', content_rowid='id',
	tokenize="unicode61 remove_diacritics 0 categories 'L* Nd'", detail=none, prefix='3 4 5 6 7 8');
CREATE TRIGGER index_contacts_words_ai AFTER INSERT ON index_contacts BEGIN
	INSERT INTO index_contacts_words (rowid, search) VALUES (new.id, CASE
		WHEN new.search = '' THEN ''
		WHEN new.value_key <> '' AND new.value_key NOT GLOB '*[^a-z0-9@._+-]*' THEN substr(new.search, length(new.value_key) + 2)
		ELSE new.search
	END);
END;
CREATE TRIGGER index_contacts_words_ad AFTER DELETE ON index_contacts BEGIN
	INSERT INTO index_contacts_words (index_contacts_words, rowid, search) VALUES ('delete', old.id, CASE
		WHEN old.search = '' THEN ''
		WHEN old.value_key <> '' AND old.value_key NOT GLOB '*[^a-z0-9@._+-]*' THEN substr(old.search, length(old.value_key) + 2)
		ELSE old.search
	END);
END;
CREATE TRIGGER index_contacts_words_au AFTER UPDATE OF search, value_key ON index_contacts BEGIN
	INSERT INTO index_contacts_words (index_contacts_words, rowid, search) VALUES ('delete', old.id, CASE
		WHEN old.search = '' THEN ''
		WHEN old.value_key <> '' AND old.value_key NOT GLOB '*[^a-z0-9@._+-]*' THEN substr(old.search, length(old.value_key) + 2)
		ELSE old.search
	END);
	INSERT INTO index_contacts_words (rowid, search) VALUES (new.id, CASE
		WHEN new.search = '' THEN ''
		WHEN new.value_key <> '' AND new.value_key NOT GLOB '*[^a-z0-9@._+-]*' THEN substr(new.search, length(new.value_key) + 2)
		ELSE new.search
	END);
END;

INSERT INTO index_contacts_fts (index_contacts_fts) VALUES ('rebuild');
INSERT INTO index_contacts_words (index_contacts_words) VALUES ('rebuild');

-- Merged into one segment each by the next pass (see optimizeSearch).
INSERT INTO index_settings (name, value) VALUES ('optimize index_contacts_fts', ''), ('optimize index_contacts_words', '')
	ON CONFLICT (name) DO NOTHING;
