-- 0005 (PostgreSQL): the links found between events, which events have had theirs found, and which storylines
-- lost an event since they were grouped (see the SQLite migration for why).
ALTER TABLE events ADD COLUMN linked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE storylines ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;
CREATE INDEX events_unlinked ON events(linked, id) WHERE linked <> 1;
CREATE INDEX storylines_stale ON storylines(id) WHERE stale = 1;

CREATE TABLE event_links (
    a      TEXT COLLATE "C" NOT NULL,
    b      TEXT COLLATE "C" NOT NULL,
    score  DOUBLE PRECISION NOT NULL,
    actors TEXT NOT NULL,
    PRIMARY KEY (a, b)
);
CREATE INDEX event_links_b ON event_links(b);
