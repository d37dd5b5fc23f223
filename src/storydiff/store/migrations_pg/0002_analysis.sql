-- 0002 (PostgreSQL): per-article analysis records and their flat copies (see the SQLite migration of this number).
-- "end" is a reserved word in PostgreSQL, so those columns are quoted.
CREATE TABLE analyses (
    article_id TEXT COLLATE "C" PRIMARY KEY,
    text_hash  TEXT COLLATE "C" NOT NULL,
    stage      TEXT COLLATE "C" NOT NULL,
    version    TEXT COLLATE "C" NOT NULL,
    created_at TEXT NOT NULL,
    record     TEXT NOT NULL
);

CREATE TABLE entities (
    article_id TEXT COLLATE "C" NOT NULL,
    key        TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    label      TEXT COLLATE "C" NOT NULL,
    corpus_key TEXT COLLATE "C" NOT NULL,
    acronym    TEXT COLLATE "C",
    mentions   INTEGER NOT NULL,
    forms      TEXT NOT NULL,
    PRIMARY KEY (article_id, key)
);
CREATE INDEX entities_corpus_key ON entities(corpus_key);

CREATE TABLE quotes (
    article_id     TEXT COLLATE "C" NOT NULL,
    idx            INTEGER NOT NULL,
    kind           TEXT COLLATE "C" NOT NULL,
    speaker        TEXT COLLATE "C",
    speaker_entity TEXT COLLATE "C",
    speaker_name   TEXT COLLATE "C",
    resolution     TEXT COLLATE "C" NOT NULL,
    cue            TEXT COLLATE "C",
    content        TEXT COLLATE "C" NOT NULL,
    start          INTEGER NOT NULL,
    "end"          INTEGER NOT NULL,
    PRIMARY KEY (article_id, idx)
);
CREATE INDEX quotes_speaker ON quotes(speaker_name);

CREATE TABLE facts (
    article_id  TEXT COLLATE "C" NOT NULL,
    idx         INTEGER NOT NULL,
    kind        TEXT COLLATE "C" NOT NULL,
    value       TEXT COLLATE "C",
    qualifier   TEXT COLLATE "C",
    counted     TEXT COLLATE "C",
    predicate   TEXT COLLATE "C",
    granularity TEXT COLLATE "C",
    text        TEXT COLLATE "C" NOT NULL,
    start       INTEGER NOT NULL,
    "end"       INTEGER NOT NULL,
    PRIMARY KEY (article_id, idx)
);
CREATE INDEX facts_kind ON facts(kind, value);
