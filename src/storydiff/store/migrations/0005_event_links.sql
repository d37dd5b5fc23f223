-- 0005: what the storyline pass keeps between updates, so that an update regroups the storylines around the events
-- it changed without reading the articles of every event it walks past: the links found between events (an
-- event's profile scored against those of the events its articles have pairs into, stories/storylines.py), which
-- events have had theirs found, and which storylines lost an event since they were grouped. Both marks are written
-- in the transactions that change them, so a pass that was interrupted, or put off (group first runs it once at
-- the end), is picked up by the next one. A store migrated from 0004 has every event unlinked: its next update
-- regroups all storylines once.
-- linked: 0 its links are not found yet; 1 they are in event_links; 2 they are, but an event it was linked to
-- was replaced (the next pass regroups around it: the graph before the change, as for event parts)
ALTER TABLE events ADD COLUMN linked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE storylines ADD COLUMN stale INTEGER NOT NULL DEFAULT 0;   -- 1: one of its events was replaced
CREATE INDEX events_unlinked ON events(linked, id) WHERE linked <> 1;
CREATE INDEX storylines_stale ON storylines(id) WHERE stale = 1;

-- links between two events (a < b) that are one storyline; actors: JSON list of the shared actors' names
CREATE TABLE event_links (
    a      TEXT NOT NULL,
    b      TEXT NOT NULL,
    score  REAL NOT NULL,
    actors TEXT NOT NULL,
    PRIMARY KEY (a, b)
) WITHOUT ROWID;
CREATE INDEX event_links_b ON event_links(b);
