-- 0003: the stories stage. Per-article vectors and compact features (pure maps of the article and its analysis),
-- the candidate graph with its evidence, the events and storylines clustered from it, and the user's decisions,
-- which are kept apart from the clustering so that they survive every re-clustering.
CREATE TABLE story_vectors (
    vkey       INTEGER PRIMARY KEY AUTOINCREMENT,  -- the key of this vector in the nearest-neighbour index
    article_id TEXT NOT NULL UNIQUE,
    text_hash  TEXT NOT NULL,          -- the article text it was computed from: a changed text is embedded again
    model      TEXT NOT NULL,          -- embedder name and settings: another model means new vectors
    vector     BLOB NOT NULL,          -- float32, L2-normalised
    terms      TEXT NOT NULL           -- JSON {word: weight}: the article's distinctive words (static IDF)
);

CREATE TABLE story_features (
    article_id TEXT PRIMARY KEY,
    text_hash  TEXT NOT NULL,
    version    TEXT NOT NULL,
    record     TEXT NOT NULL           -- StoryFeatures as JSON: entity keys, facts, happening dates with evidence
) WITHOUT ROWID;

-- scored pairs of articles (a < b) at or above the storyline threshold; the events use those above the event
-- threshold. evidence: JSON of why (similarity, shared names, shared and conflicting facts, dates)
CREATE TABLE story_edges (
    a        TEXT NOT NULL,
    b        TEXT NOT NULL,
    score    REAL NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX story_edges_b ON story_edges(b);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    storyline_id TEXT,
    date         TEXT,                 -- when it happened (from the articles' text), or NULL
    record       TEXT NOT NULL         -- JSON: title, dates with sources, why (evidence), decisions applied
) WITHOUT ROWID;
CREATE INDEX events_storyline ON events(storyline_id);

CREATE TABLE event_members (
    article_id TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL,
    how        TEXT NOT NULL DEFAULT 'clustered'   -- clustered | merged | split | pinned (by a user decision)
) WITHOUT ROWID;
CREATE INDEX event_members_event ON event_members(event_id);

CREATE TABLE storylines (
    id     TEXT PRIMARY KEY,
    record TEXT NOT NULL               -- JSON: title, events in time order, why they are linked
) WITHOUT ROWID;

-- what a user decided (merge, split, pin), in order; applied after every clustering
CREATE TABLE story_decisions (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,          -- merge | split | pin
    articles   TEXT NOT NULL,          -- JSON list: the articles the decision is about
    others     TEXT NOT NULL,          -- JSON list: merge: the other event's articles; split: the rest of the
                                       --   event; pin: the articles of the event pinned to
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
