-- 0006 (PostgreSQL): the stories stage's scoring rows and event profiles (see the SQLite migration).
CREATE TABLE story_rows (
    article_id TEXT COLLATE "C" PRIMARY KEY,
    row        BYTEA NOT NULL
);

CREATE TABLE event_profiles (
    event_id TEXT COLLATE "C" PRIMARY KEY,
    profile  BYTEA NOT NULL
);
