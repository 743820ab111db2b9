-- Form posts shared by every instance on one PostgreSQL: the first post of
-- a form claims it and does the work; every other post, on any instance,
-- waits for its outcome. Keys are SHA-256 hashes of the form's nonce and
-- whose it is: the table holds no session token and no email.

CREATE TABLE change_forms (
	key        TEXT        PRIMARY KEY,
	state      TEXT        NOT NULL, -- working, done (saved or no change), released (not saved: free again)
	outcome    TEXT,                 -- JSON, once finished
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX change_forms_expires ON change_forms (expires_at);
