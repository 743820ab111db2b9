-- Search by the start of words. A name, a street or a memo word is found
-- where it begins a word; the trigram tables find any three characters,
-- so a name's query walked the long lists of common trigrams ("and",
-- "son") and read the rows to check the words after. These tables hold
-- each row's words (its search text cut as index/normalize.go's words
-- cuts it: runs of letters and digits) and only which rows hold them
-- (detail=none), so a query word is one prefix query ("anderson"*). The
-- trigram tables stay: they find a number's or an email's part, and a
-- name's pieces when a name is typed with a slip.
--
-- Kept by triggers like the trigram tables'; a first backfill loads
-- without them and rebuilds these tables too (index/load.go). On an index
-- that already holds rows, they are built here, once (some 30 s at a
-- million contacts).

CREATE VIRTUAL TABLE index_customers_words USING fts5(search, content='index_customers', content_rowid='id',
	tokenize="unicode61 remove_diacritics 0 categories 'L* Nd'", detail=none, prefix='3 4 5 6 7 8');
CREATE VIRTUAL TABLE index_contacts_words USING fts5(search, content='index_contacts', content_rowid='id',
	tokenize="unicode61 remove_diacritics 0 categories 'L* Nd'", detail=none, prefix='3 4 5 6 7 8');
CREATE VIRTUAL TABLE index_locations_words USING fts5(search, content='index_locations', content_rowid='id',
	tokenize="unicode61 remove_diacritics 0 categories 'L* Nd'", detail=none, prefix='3 4 5 6 7 8');

CREATE TRIGGER index_customers_words_ai AFTER INSERT ON index_customers BEGIN
	INSERT INTO index_customers_words (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_customers_words_ad AFTER DELETE ON index_customers BEGIN
	INSERT INTO index_customers_words (index_customers_words, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER index_customers_words_au AFTER UPDATE OF search ON index_customers BEGIN
	INSERT INTO index_customers_words (index_customers_words, rowid, search) VALUES ('delete', old.id, old.search);
	INSERT INTO index_customers_words (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_contacts_words_ai AFTER INSERT ON index_contacts BEGIN
	INSERT INTO index_contacts_words (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_contacts_words_ad AFTER DELETE ON index_contacts BEGIN
	INSERT INTO index_contacts_words (index_contacts_words, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER index_contacts_words_au AFTER UPDATE OF search ON index_contacts BEGIN
	INSERT INTO index_contacts_words (index_contacts_words, rowid, search) VALUES ('delete', old.id, old.search);
	INSERT INTO index_contacts_words (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_locations_words_ai AFTER INSERT ON index_locations BEGIN
	INSERT INTO index_locations_words (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER index_locations_words_ad AFTER DELETE ON index_locations BEGIN
	INSERT INTO index_locations_words (index_locations_words, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER index_locations_words_au AFTER UPDATE OF search ON index_locations BEGIN
	INSERT INTO index_locations_words (index_locations_words, rowid, search) VALUES ('delete', old.id, old.search);
	INSERT INTO index_locations_words (rowid, search) VALUES (new.id, new.search);
END;

INSERT INTO index_customers_words (index_customers_words) VALUES ('rebuild');
INSERT INTO index_contacts_words (index_contacts_words) VALUES ('rebuild');
INSERT INTO index_locations_words (index_locations_words) VALUES ('rebuild');

-- Merged into one segment each by the next pass (see optimizeSearch).
INSERT INTO index_settings (name, value) VALUES ('optimize index_customers_words', ''), ('optimize index_contacts_words', ''),
	('optimize index_locations_words', '') ON CONFLICT (name) DO NOTHING;
