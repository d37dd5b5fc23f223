-- 0006: the stories stage's scoring rows (stories/rows.py): what a pair score reads of an article -- its words,
-- names and facts as stable 64-bit hashes with their weights -- so that scoring candidates reads a few arrays per
-- article instead of decoding its terms and features from JSON. A row is made from the article's story_vectors
-- terms and story_features record; writing either again deletes it, and the next update makes it again.
CREATE TABLE story_rows (
    article_id TEXT PRIMARY KEY,
    row        BLOB NOT NULL
) WITHOUT ROWID;
