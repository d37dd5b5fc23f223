-- 0004 (PostgreSQL): the order articles are listed in (publication date, unknown last, then id), as an index.
CREATE INDEX articles_listing ON articles((COALESCE(published, '9999')), id);
