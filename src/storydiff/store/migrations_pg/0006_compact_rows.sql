-- 0006 (PostgreSQL): the stories stage's scoring rows and event profiles (see the SQLite migration).
CREATE TABLE story_rows (
    article_id TEXT COLLATE "C" PRIMARY KEY,
    row        BYTEA NOT NULL
);

CREATE TABLE event_profiles (
    event_id TEXT COLLATE "C" PRIMARY KEY,
    profile  BYTEA NOT NULL
);

-- the clustering walks the pairs of articles by either end: by b, answered from this index alone (the index on b
-- it replaces sent every row found back to the table for its score)
DROP INDEX story_edges_b;
CREATE INDEX story_edges_b_cover ON story_edges(b, a, score);
