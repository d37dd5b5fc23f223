-- 0001: articles with provenance, full-text search, near-duplicate signatures, ingest runs and problems.
CREATE TABLE articles (
    rowid      INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,      -- sha256(locator)[:16]
    locator    TEXT NOT NULL UNIQUE,      -- where it was read from (file, line, record)
    raw_hash   TEXT NOT NULL,             -- hash of the input as read: unchanged input is skipped
    text_hash  TEXT NOT NULL,             -- hash of the normalised body: exact duplicates
    title      TEXT,
    url        TEXT,
    outlet     TEXT,
    published  TEXT,                      -- YYYY-MM-DD
    author     TEXT,
    language   TEXT,
    summary    TEXT,
    text       TEXT NOT NULL,             -- cleaned body; every later offset points into it
    words      INTEGER NOT NULL,
    captions   TEXT NOT NULL DEFAULT '[]',  -- JSON list
    removed    TEXT NOT NULL DEFAULT '[]',  -- JSON list of [kind, text]
    origins    TEXT NOT NULL DEFAULT '[]',  -- JSON list of [field, source, evidence]
    notes      TEXT NOT NULL DEFAULT '[]',  -- JSON list
    run_id     INTEGER,
    revision   INTEGER NOT NULL DEFAULT 1   -- bumped when the input at this locator changed
);
CREATE INDEX articles_text_hash ON articles(text_hash);
CREATE INDEX articles_outlet ON articles(outlet);
CREATE INDEX articles_published ON articles(published);

CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text, content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;
CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
END;
CREATE TRIGGER articles_au AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
END;

-- MinHash signatures and their LSH band keys: candidate search is an index lookup, so memory does not grow with
-- the store and a resumed run sees everything committed before it.
CREATE TABLE signatures (
    article_id TEXT PRIMARY KEY,
    minhash    BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE lsh_bands (
    key        INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
CREATE INDEX lsh_bands_article ON lsh_bands(article_id);

-- copies of one another, stored once per pair with a < b (order of ingestion does not matter)
CREATE TABLE duplicates (
    a          TEXT NOT NULL,
    b          TEXT NOT NULL,
    kind       TEXT NOT NULL,             -- exact | near
    similarity REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX duplicates_b ON duplicates(b);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    command     TEXT NOT NULL,
    inputs      TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL DEFAULT 'running',   -- running | ok | partial | interrupted
    counts      TEXT NOT NULL DEFAULT '{}'
);

-- inputs that could not be read, with the reason; cleared when the same locator is later stored
CREATE TABLE problems (
    locator TEXT NOT NULL,
    reason  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT '',
    run_id  INTEGER,
    PRIMARY KEY (locator, reason)
) WITHOUT ROWID;
