-- 0006 (PostgreSQL): the stories stage's scoring rows (see the SQLite migration).
CREATE TABLE story_rows (
    article_id TEXT COLLATE "C" PRIMARY KEY,
    row        BYTEA NOT NULL
);
