-- 0008 (PostgreSQL): which articles the stories stage has yet to look at (see the SQLite migration). Every write of
-- storydiff holds the store's advisory write lock, so the log's sequence numbers are committed in order, and an
-- update that reads the latest one under that lock has seen every row up to it.
CREATE TABLE story_changes (
    seq        BIGSERIAL PRIMARY KEY,
    article_id TEXT COLLATE "C" NOT NULL
);

CREATE TABLE stories_state (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE FUNCTION storydiff_article_stored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO story_changes(article_id) VALUES (NEW.id);
    RETURN NULL;
END $$;

CREATE FUNCTION storydiff_article_analysed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO story_changes(article_id) VALUES (NEW.article_id);
    RETURN NULL;
END $$;

CREATE TRIGGER story_changes_articles AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION storydiff_article_stored();

CREATE TRIGGER story_changes_analyses AFTER INSERT ON analyses
    FOR EACH ROW EXECUTE FUNCTION storydiff_article_analysed();
