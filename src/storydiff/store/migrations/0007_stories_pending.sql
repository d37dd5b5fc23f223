-- 0007: what an unfinished stories update still owes. The update marks the articles it changes (stories_pending)
-- and keeps their pairs as they were before it (stories_pending_links: the graph before, which finding the parts an
-- update affects needs) before it replaces any pair, and clears both once their events are written. An update that
-- was interrupted in between leaves them: the next one treats the marked articles as changed again and reads their
-- pairs before from here, so it re-clusters exactly what the interrupted one would have (an article whose vector or
-- features changed is never left in an event made from pairs it no longer has).
CREATE TABLE stories_pending (
    article_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TABLE stories_pending_links (
    a     TEXT NOT NULL,
    b     TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
