-- 0008: which articles the stories stage has yet to look at, so that an update reads those rather than scanning
-- every article, vector and features row of the store to find them (at 37,554 articles those scans cost ~0.5 CPU s
-- an update, whatever it added). story_changes: one row each time an article is stored (new, or a new version: its
-- old row is deleted and a new one inserted) or analysed, written by triggers in the same transaction, so nothing
-- that writes articles or analyses can bypass it. The stories update reads the log up to its latest row, and deletes
-- those rows once the events of what they name are written (an interrupted update leaves them for the next one).
-- stories_state: what the log is relative to -- the embedding model, the features' versions and whether unanalysed
-- articles are grouped on their names. An update whose settings differ from those stored (or a store migrated from
-- 0007, which has none) scans the whole store once, as before, and stores its settings.
CREATE TABLE story_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL
);

CREATE TABLE stories_state (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER story_changes_articles AFTER INSERT ON articles BEGIN
    INSERT INTO story_changes(article_id) VALUES (new.id);
END;

CREATE TRIGGER story_changes_analyses AFTER INSERT ON analyses BEGIN
    INSERT INTO story_changes(article_id) VALUES (new.article_id);
END;
