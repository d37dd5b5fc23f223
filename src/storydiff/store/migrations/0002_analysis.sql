-- 0002: per-article analysis records (entities, quotes, facts, marked terms) with the stage and version that made them.
CREATE TABLE analyses (
    article_id TEXT PRIMARY KEY,
    text_hash  TEXT NOT NULL,         -- the article text it was computed from: a changed text is analysed again
    stage      TEXT NOT NULL,
    version    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    record     TEXT NOT NULL          -- the whole Analysis as JSON (offsets into articles.text)
) WITHOUT ROWID;

-- flat copies of the records, for queries across the corpus and for export
CREATE TABLE entities (
    article_id TEXT NOT NULL,
    key        TEXT NOT NULL,         -- e1, e2 ... within the article
    name       TEXT NOT NULL,
    label      TEXT NOT NULL,
    corpus_key TEXT NOT NULL,         -- shared by spelling variants of one name across articles
    acronym    TEXT,
    mentions   INTEGER NOT NULL,
    forms      TEXT NOT NULL,         -- JSON list of surface forms
    PRIMARY KEY (article_id, key)
) WITHOUT ROWID;
CREATE INDEX entities_corpus_key ON entities(corpus_key);

CREATE TABLE quotes (
    article_id     TEXT NOT NULL,
    idx            INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    speaker        TEXT,
    speaker_entity TEXT,
    speaker_name   TEXT,
    resolution     TEXT NOT NULL,
    cue            TEXT,
    content        TEXT NOT NULL,
    start          INTEGER NOT NULL,
    end            INTEGER NOT NULL,
    PRIMARY KEY (article_id, idx)
) WITHOUT ROWID;
CREATE INDEX quotes_speaker ON quotes(speaker_name);

CREATE TABLE facts (
    article_id  TEXT NOT NULL,
    idx         INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    value       TEXT,
    qualifier   TEXT,
    counted     TEXT,
    predicate   TEXT,
    granularity TEXT,
    text        TEXT NOT NULL,
    start       INTEGER NOT NULL,
    end         INTEGER NOT NULL,
    PRIMARY KEY (article_id, idx)
) WITHOUT ROWID;
CREATE INDEX facts_kind ON facts(kind, value);
