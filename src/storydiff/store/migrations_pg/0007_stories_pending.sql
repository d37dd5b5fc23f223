-- 0007 (PostgreSQL): what an unfinished stories update still owes (see the SQLite migration).
CREATE TABLE stories_pending (
    article_id TEXT COLLATE "C" PRIMARY KEY
);

CREATE TABLE stories_pending_links (
    a     TEXT COLLATE "C" NOT NULL,
    b     TEXT COLLATE "C" NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (a, b)
);
