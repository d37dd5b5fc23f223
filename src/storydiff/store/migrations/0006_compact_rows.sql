-- 0006: what the stories stage reads most, kept as numbers. story_rows: an article's scoring row (stories/rows.py):
-- what a pair score reads of it -- its words, names and facts as stable 64-bit hashes with their weights -- so that
-- scoring candidates reads a few arrays per article instead of decoding its terms and features from JSON. A row
-- is made from the article's story_vectors terms and story_features record; writing either again deletes it, and
-- the next update makes it again. event_profiles: an event's storyline profile (stories/storylines.py, Profile:
-- centroid, pooled words and names), written with the event by the update that describes it and dropped with it,
-- so that the storyline pass reads one row per event it compares instead of the records of all its articles.
-- And a covering index for walking the pairs by their second article.
CREATE TABLE story_rows (
    article_id TEXT PRIMARY KEY,
    row        BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE event_profiles (
    event_id TEXT PRIMARY KEY,
    profile  BLOB NOT NULL
) WITHOUT ROWID;

-- the clustering walks the pairs of articles by either end: by b, answered from this index alone (the index on b
-- it replaces sent every row found back to the table for its score)
DROP INDEX story_edges_b;
CREATE INDEX story_edges_b_cover ON story_edges(b, a, score);
