"""PostgreSQL backend: a shared store for many users and processes, behind the same :class:`Store` protocol.

Selected by a ``postgresql://`` (or ``postgres://``) URL; needs ``psycopg`` 3 (``pip install 'storydiff[postgres]'``).
It keeps the same tables, columns and answers as :class:`~storydiff.store.sqlite.SQLiteStore`:

- versioned migrations from ``migrations_pg/`` with the same numbers as SQLite's, the version kept in a
  ``schema_version`` table (SQLite uses ``PRAGMA user_version``);
- full-text search over title and text with a generated ``tsvector`` column (the ``simple`` configuration: no
  stemming and no stop words, like FTS5's ``unicode61`` tokenizer; accents are not folded), queried with
  ``websearch_to_tsquery`` (never a syntax error, whatever the user types; with an unbalanced quote every word is
  searched, as SQLite's fallback does) and snippets from ``ts_headline`` with the
  matched words between ``\\x02`` and ``\\x03``, as SQLite's ``snippet()`` gives them;
- every write that SQLite does under ``BEGIN IMMEDIATE`` runs in one transaction holding a transaction-level advisory
  lock, so writers are serialised exactly as SQLite serialises them: a batch is stored whole or not at all, and two
  concurrent ingests cannot store an article twice;
- sorted text columns use the ``"C"`` collation and nullable sort keys say ``NULLS FIRST/LAST`` so that every listing
  comes back in SQLite's order whatever the database's locale.

Differences: :meth:`search` reports ``-ts_rank_cd`` as the score (lower is better, as with SQLite's ``bm25``, but
the values differ) and does not accept FTS5's own syntax (``NEAR``, ``title:``, ``word*``) - it takes web-search syntax
(``"a phrase"``, ``or``, ``-word``) instead; :meth:`stories_index_path` is ``None`` (there is no local file beside a
server database, so the stories stage rebuilds its nearest-neighbour index from ``story_vectors`` in memory each run,
as it does for an in-memory SQLite store).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources

from ..errors import StoreError
from ..model import Analysis, Article, ArticleRow, DuplicateLink, FieldOrigin, Problem, Removal
from .base import Candidate, Run, SearchHit
from .codec import analysis_from_json, to_json
from .sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from .sqlite import _now

try:  # optional: only this backend needs it
    import psycopg
except ImportError:  # pragma: no cover - exercised only without the extra
    psycopg = None  # type: ignore[assignment]

_ROW_COLUMNS = "id, locator, title, outlet, published, url, author, language, words"
#: the advisory lock every write transaction holds (SQLite's database write lock)
_WRITE_LOCK = 0x5703D1FF
_HEADLINE = ("StartSel=\x02, StopSel=\x03, MaxWords=24, MinWords=8, ShortWord=0, MaxFragments=1, "
             'FragmentDelimiter=" … "')
_cursor_names = itertools.count(1)


def migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` for every PostgreSQL migration file, in order (the same numbers as SQLite's)."""
    folder = resources.files("storydiff.store") / "migrations_pg"
    out = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            out.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text("utf-8")))
    return sorted(out)


SCHEMA_VERSION = max(v for v, _, _ in migrations())
assert SCHEMA_VERSION == SQLITE_SCHEMA_VERSION, "the SQLite and PostgreSQL migrations must keep the same versions"


def redact(url: str) -> str:
    """The URL without its password (for messages)."""
    return re.sub(r"(://[^:/@]+):[^@/]*@", r"\1:***@", url)


class PostgresStore:
    """A store in a PostgreSQL database. ``url`` is a libpq URL: ``postgresql://user:pass@host:port/dbname``."""

    def __init__(self, url: str) -> None:
        self.url = url
        if psycopg is None:
            raise StoreError("the PostgreSQL backend needs psycopg: pip install 'storydiff[postgres]'")
        self._lock = threading.RLock()
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as err:
            raise StoreError(f"cannot open PostgreSQL store {redact(url)}: {str(err).strip()}") from None
        try:
            self.migrate()
        except psycopg.Error as err:
            self.conn.close()
            raise StoreError(f"cannot open PostgreSQL store {redact(url)}: {str(err).strip()} "
                             "(is it a storydiff database?)") from None
        except BaseException:
            self.conn.close()
            raise

    # --- schema
    def schema_version(self) -> int:
        row = self.conn.execute(
            "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 ELSE "
            "(SELECT COALESCE(MAX(version), 0) FROM schema_version) END").fetchone()
        return int(row[0])

    def migrate(self) -> int:
        """Apply every migration newer than the database, each in its own transaction. Returns the version.

        Concurrent openers take the write lock, so a fresh database is migrated once."""
        for version, name, sql in migrations():
            with self._write():
                self.conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                current = self.schema_version()
                if current > SCHEMA_VERSION:
                    raise StoreError(f"store {redact(self.url)} has schema {current}, newer than this storydiff "
                                     f"({SCHEMA_VERSION}): upgrade storydiff")
                if version <= current:
                    continue
                try:
                    self.conn.execute(sql)
                except psycopg.Error as err:
                    raise StoreError(f"migration {name} failed: {str(err).strip()}") from None
                self.conn.execute("DELETE FROM schema_version")
                self.conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (version,))
        return self.schema_version()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self):
        """One transaction holding the store's write lock (released at commit or rollback)."""
        with self._lock, self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield self.conn

    def _q(self, sql: str, args: Sequence | None = None) -> list[tuple]:
        with self._lock:
            return self.conn.execute(sql, args).fetchall()

    def _stream(self, sql: str, args: Sequence | None = None) -> Iterator[tuple]:
        """Rows of a large result through a server-side cursor (other queries may run while it is read)."""
        with self._lock:
            cur = self.conn.cursor(name=f"storydiff_{next(_cursor_names)}", withhold=True)
            cur.itersize = 2000
            cur.execute(sql, args)
        try:
            while True:
                with self._lock:
                    rows = cur.fetchmany(cur.itersize)
                if not rows:
                    break
                yield from rows
        finally:
            with self._lock:
                if not self.conn.closed:
                    cur.close()

    # --- runs
    def begin_run(self, command: str, inputs: Sequence[str]) -> int:
        return int(self._q("INSERT INTO runs(started_at, command, inputs) VALUES (%s, %s, %s) RETURNING id",
                           (_now(), command, json.dumps(list(inputs))))[0][0])

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int]) -> None:
        with self._lock:
            self.conn.execute("UPDATE runs SET finished_at=%s, status=%s, counts=%s WHERE id=%s",
                              (_now(), status, json.dumps(dict(counts)), run_id))

    def runs(self) -> list[Run]:
        rows = self._q("SELECT id, started_at, finished_at, command, inputs, status, counts FROM runs ORDER BY id")
        return [Run(int(r[0]), r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], json.loads(r[6])) for r in rows]

    # --- writing
    def known_raw_hashes(self, locators: Sequence[str]) -> dict[str, str]:
        if not locators:
            return {}
        return dict(self._q("SELECT locator, raw_hash FROM articles WHERE locator = ANY(%s) ORDER BY locator",
                            (list(locators),)))

    def lsh_candidates(self, keys: Sequence[int]) -> list[Candidate]:
        if not keys:
            return []
        rows = self._q(
            "SELECT DISTINCT s.article_id, s.minhash, a.text_hash FROM lsh_bands b "
            "JOIN signatures s ON s.article_id = b.article_id JOIN articles a ON a.id = b.article_id "
            "WHERE b.key = ANY(%s::bigint[])", ([int(k) for k in keys],))
        return [Candidate(r[0], bytes(r[1]), r[2]) for r in rows]

    def ids_with_text_hash(self, text_hash: str) -> list[str]:
        return [r[0] for r in self._q("SELECT id FROM articles WHERE text_hash=%s ORDER BY id", (text_hash,))]

    def write_batch(self, run_id: int, articles: Sequence[Article], signatures: Mapping[str, bytes],
                    band_keys: Mapping[str, Sequence[int]], links: Sequence[DuplicateLink],
                    problems: Sequence[Problem]) -> None:
        """Store a batch atomically (one transaction). An article whose locator is already stored replaces the old
        version (its signature, bands and duplicate links go with it)."""
        with self._write() as conn:
            for art in articles:
                old = conn.execute("SELECT revision FROM articles WHERE id=%s", (art.id,)).fetchone()
                if old:
                    self._forget(art.id)
                conn.execute(
                    "INSERT INTO articles(id, locator, raw_hash, text_hash, title, url, outlet, published, author, "
                    "language, summary, text, words, captions, removed, origins, notes, run_id, revision) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    (art.id, art.locator, art.raw_hash, art.text_hash, art.title, art.url, art.outlet, art.published,
                     art.author, art.language, art.summary, art.text, art.word_count,
                     json.dumps(list(art.captions), ensure_ascii=False),
                     json.dumps([[r.kind, r.text] for r in art.removed], ensure_ascii=False),
                     json.dumps([[o.field, o.source, o.evidence] for o in art.origins], ensure_ascii=False),
                     json.dumps(list(art.notes), ensure_ascii=False), run_id, (old[0] + 1) if old else 1))
                conn.execute("DELETE FROM problems WHERE locator=%s", (art.locator,))
            cur = conn.cursor()
            cur.executemany("INSERT INTO signatures(article_id, minhash) VALUES (%s, %s) ON CONFLICT (article_id) "
                            "DO UPDATE SET minhash = EXCLUDED.minhash", list(signatures.items()))
            cur.executemany("INSERT INTO lsh_bands(key, article_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            [(int(k), aid) for aid, keys in band_keys.items() for k in keys])
            cur.executemany("INSERT INTO duplicates(a, b, kind, similarity) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT (a, b) DO UPDATE SET kind = EXCLUDED.kind, similarity = EXCLUDED.similarity",
                            [(ln.a, ln.b, ln.kind, ln.similarity) for ln in links])
            cur.executemany("INSERT INTO problems(locator, reason, detail, run_id) VALUES (%s, %s, %s, %s) "
                            "ON CONFLICT (locator, reason) DO UPDATE SET detail = EXCLUDED.detail, "
                            "run_id = EXCLUDED.run_id", [(p.locator, p.reason, p.detail, run_id) for p in problems])

    def _forget(self, article_id: str) -> None:
        self._forget_analysis(article_id)
        for sql in ("DELETE FROM articles WHERE id=%s", "DELETE FROM signatures WHERE article_id=%s",
                    "DELETE FROM lsh_bands WHERE article_id=%s", "DELETE FROM duplicates WHERE a=%s OR b=%s"):
            self.conn.execute(sql, (article_id,) * sql.count("%s"))

    # --- analysis records
    def _forget_analysis(self, article_id: str) -> None:
        for table in ("analyses", "entities", "quotes", "facts"):
            self.conn.execute(f"DELETE FROM {table} WHERE article_id=%s", (article_id,))

    def pending_analysis(self, stage: str, version: str) -> list[str]:
        """Ids of articles with no analysis by ``stage``/``version`` for their current text (new or changed)."""
        return [r[0] for r in self._q(
            "SELECT a.id FROM articles a LEFT JOIN analyses n ON n.article_id = a.id "
            "WHERE n.article_id IS NULL OR n.text_hash != a.text_hash OR n.stage != %s OR n.version != %s "
            "ORDER BY a.rowid", (stage, version))]

    def write_analyses(self, analyses: Sequence[Analysis], corpus_keys: Mapping[tuple[str, str], str]) -> None:
        """Store analysis records atomically, replacing earlier ones of the same articles."""
        now = _now()
        with self._write() as conn:
            cur = conn.cursor()
            for an in analyses:
                self._forget_analysis(an.article_id)
                conn.execute("INSERT INTO analyses(article_id, text_hash, stage, version, created_at, record) "
                             "VALUES (%s,%s,%s,%s,%s,%s)", (an.article_id, an.text_hash, an.stage, an.version, now,
                                                            to_json(an)))
                cur.executemany(
                    "INSERT INTO entities(article_id, key, name, label, corpus_key, acronym, mentions, forms) "
                    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                    [(an.article_id, e.key, e.name, e.label, corpus_keys.get((an.article_id, e.key), ""), e.acronym,
                      len(e.mentions), json.dumps(list(e.forms), ensure_ascii=False)) for e in an.entities])
                names = {e.key: e.name for e in an.entities}
                cur.executemany(
                    "INSERT INTO quotes(article_id, idx, kind, speaker, speaker_entity, speaker_name, resolution, "
                    'cue, content, start, "end") VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)',
                    [(an.article_id, i, q.kind, q.speaker.text if q.speaker else None, q.speaker_entity,
                      names.get(q.speaker_entity), q.resolution, q.cue.text if q.cue else None,
                      " … ".join(c.text for c in q.content), q.content[0].start if q.content else q.sentence.start,
                      q.content[-1].end if q.content else q.sentence.end) for i, q in enumerate(an.quotes)])
                cur.executemany(
                    "INSERT INTO facts(article_id, idx, kind, value, qualifier, counted, predicate, granularity, "
                    'text, start, "end") VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)',
                    [(an.article_id, i, f.kind, f.value, f.qualifier, f.counted, f.predicate, f.granularity,
                      f.span.text, f.span.start, f.span.end) for i, f in enumerate(an.facts)])

    def get_analysis(self, article_id: str) -> Analysis | None:
        rows = self._q("SELECT record FROM analyses WHERE article_id=%s", (article_id,))
        return analysis_from_json(rows[0][0]) if rows else None

    def iter_analyses(self, ids: Iterable[str] | None = None) -> Iterator[Analysis]:
        if ids is None:
            for (record,) in self._stream("SELECT record FROM analyses ORDER BY article_id"):
                yield analysis_from_json(record)
            return
        for chunk in _chunks(list(ids), 500):
            for (record,) in self._q("SELECT record FROM analyses WHERE article_id = ANY(%s) ORDER BY article_id",
                                     (chunk,)):
                yield analysis_from_json(record)

    def entity_rows(self) -> Iterator[tuple[str, str, str, str, list[str], str | None, str]]:
        """``(corpus_key, name, label, article_id, forms, outlet, entity key)`` for every entity of every article."""
        for r in self._stream(
                "SELECT e.corpus_key, e.name, e.label, e.article_id, e.forms, a.outlet, e.key FROM entities e "
                "JOIN articles a ON a.id = e.article_id ORDER BY e.corpus_key, e.article_id, e.key"):
            yield r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]

    def count_analyses(self) -> int:
        return int(self._q("SELECT COUNT(*) FROM analyses")[0][0])

    # --- reading
    def count_articles(self) -> int:
        return int(self._q("SELECT COUNT(*) FROM articles")[0][0])

    def list_articles(self, limit: int | None = None, offset: int = 0, outlet: str | None = None
                      ) -> list[ArticleRow]:
        sql = f"SELECT {_ROW_COLUMNS} FROM articles"
        args: list = []
        if outlet is not None:
            sql += " WHERE outlet = %s"
            args.append(outlet)
        sql += " ORDER BY COALESCE(published, '9999'), id LIMIT %s OFFSET %s"
        args += [None if limit is None or limit < 0 else int(limit), int(offset)]
        return [ArticleRow(*r) for r in self._q(sql, args)]

    def get_article(self, article_id: str) -> Article | None:
        return next(self.iter_articles([article_id]), None)

    def iter_articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]:
        cols = ("id, locator, text, text_hash, raw_hash, title, url, outlet, published, author, language, summary, "
                "captions, removed, origins, notes")
        if ids is None:
            rows: Iterable = self._stream(f"SELECT {cols} FROM articles ORDER BY COALESCE(published, '9999'), id")
        else:
            wanted = list(ids)
            rows = []
            for chunk in _chunks(wanted, 500):
                rows.extend(self._q(f"SELECT {cols} FROM articles WHERE id = ANY(%s)", (chunk,)))
            order = {aid: i for i, aid in enumerate(wanted)}
            rows.sort(key=lambda r: order[r[0]])
        for r in rows:
            yield Article(
                id=r[0], locator=r[1], text=r[2], text_hash=r[3], raw_hash=r[4], title=r[5], url=r[6], outlet=r[7],
                published=r[8], author=r[9], language=r[10], summary=r[11], captions=tuple(json.loads(r[12])),
                removed=tuple(Removal(k, t) for k, t in json.loads(r[13])),
                origins=tuple(FieldOrigin(f, s, e) for f, s, e in json.loads(r[14])), notes=tuple(json.loads(r[15])))

    def query_problem(self, query: str) -> str | None:
        """Always ``None``: web-search syntax reads any query."""
        return None

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Full-text search over title and text (web-search syntax: words, ``"a phrase"``, ``or``, ``-word``; no
        query is a syntax error). The snippet comes from the text, matched words between ``\\x02`` and ``\\x03``."""
        cols = ", ".join("a." + c.strip() for c in _ROW_COLUMNS.split(","))
        # an unbalanced quote is not a phrase to the end: like SQLite's fallback, search every word
        parse = "plainto_tsquery" if query.count('"') % 2 else "websearch_to_tsquery"
        rows = self._q(
            f"SELECT {cols}, ts_headline('simple'::regconfig, a.text, h.q, %s), h.rank FROM ("
            "  SELECT a.rowid, q.q, ts_rank_cd(a.fts, q.q) AS rank "
            f"  FROM articles a, {parse}('simple'::regconfig, %s) AS q(q) WHERE a.fts @@ q.q "
            "  ORDER BY rank DESC, a.id LIMIT %s) h JOIN articles a ON a.rowid = h.rowid ORDER BY h.rank DESC, a.id",
            (_HEADLINE, query, int(limit)))
        return [SearchHit(ArticleRow(*r[:9]), r[9] or "", -float(r[10])) for r in rows]

    def duplicate_links(self, ids: Iterable[str] | None = None) -> list[DuplicateLink]:
        """Every copy found (``ids`` given: those between two of the given articles), by article ids."""
        if ids is None:
            return [DuplicateLink(*r) for r in self._q("SELECT a, b, kind, similarity FROM duplicates ORDER BY a, b")]
        wanted = set(ids)
        found = []
        for chunk in _chunks(sorted(wanted), 500):  # a link between two given articles has its ``a`` among them
            found.extend(r for r in self._q("SELECT a, b, kind, similarity FROM duplicates WHERE a = ANY(%s)", (chunk,))
                         if r[1] in wanted)
        return [DuplicateLink(*r) for r in sorted(found)]

    def problems(self) -> list[Problem]:
        return [Problem(*r) for r in self._q("SELECT locator, reason, detail FROM problems ORDER BY locator, reason")]

    # --- web (read-only queries for the web app; each answers from an index)
    def outlet_counts(self) -> list[tuple[str | None, int]]:
        return [(r[0], int(r[1])) for r in self._q(
            "SELECT outlet, COUNT(*) FROM articles GROUP BY outlet ORDER BY COUNT(*) DESC, outlet NULLS FIRST")]

    def count_by_outlet(self, outlet: str | None) -> int:
        if outlet is None:
            return self.count_articles()
        return int(self._q("SELECT COUNT(*) FROM articles WHERE outlet=%s", (outlet,))[0][0])

    def entity_articles(self, corpus_key: str, limit: int = 200) -> list[tuple[str, str, str, list[str], str | None,
                                                                               str | None, str | None]]:
        """``(article_id, name, label, forms, outlet, title, published)`` for articles naming the entity."""
        rows = self._q(
            "SELECT e.article_id, e.name, e.label, e.forms, a.outlet, a.title, a.published FROM entities e "
            "JOIN articles a ON a.id = e.article_id WHERE e.corpus_key=%s ORDER BY a.published DESC NULLS LAST, a.id "
            "LIMIT %s", (corpus_key, int(limit)))
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]

    def quotes_by_entity(self, corpus_key: str, limit: int = 200) -> list[tuple]:
        """Quotes whose speaker resolves to the entity: ``(article_id, outlet, kind, cue, content, start, end)``."""
        return self._q(
            'SELECT q.article_id, a.outlet, q.kind, q.cue, q.content, q.start, q."end" FROM entities e '
            "JOIN quotes q ON q.article_id = e.article_id AND q.speaker_entity = e.key "
            "JOIN articles a ON a.id = e.article_id WHERE e.corpus_key=%s "
            "ORDER BY a.published DESC NULLS LAST, q.article_id, q.idx LIMIT %s", (corpus_key, int(limit)))

    def top_entities(self, limit: int = 100, outlet: str | None = None) -> list[tuple[str, str, str, int]]:
        """``(corpus_key, name, label, articles)``, most widely named first."""
        where, args = ("JOIN articles a ON a.id = e.article_id WHERE a.outlet=%s", [outlet]) if outlet else ("", [])
        return [(r[0], r[1], r[2], int(r[3])) for r in self._q(
            f"SELECT e.corpus_key, MAX(e.name), MAX(e.label), COUNT(DISTINCT e.article_id) AS n FROM entities e "
            f"{where} GROUP BY e.corpus_key ORDER BY n DESC, e.corpus_key LIMIT %s", args + [int(limit)])]

    def speakers_of_outlet(self, outlet: str, limit: int = 50) -> list[tuple[str, int, int]]:
        """``(speaker name, quotes, words)`` for quotes in the outlet's articles."""
        return [(r[0], int(r[1]), int(r[2])) for r in self._q(
            "SELECT COALESCE(q.speaker_name, q.speaker, '(unattributed)'), COUNT(*), "
            "SUM(LENGTH(q.content) - LENGTH(REPLACE(q.content, ' ', '')) + 1) AS words FROM articles a "
            "JOIN quotes q ON q.article_id = a.id WHERE a.outlet=%s GROUP BY 1 ORDER BY words DESC, 1 LIMIT %s",
            (outlet, int(limit)))]

    def cues_of_outlet(self, outlet: str, limit: int = 30) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in self._q(
            "SELECT LOWER(q.cue), COUNT(*) FROM articles a JOIN quotes q ON q.article_id = a.id "
            "WHERE a.outlet=%s AND q.cue IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s", (outlet, int(limit)))]

    # --- stories
    def stories_index_path(self) -> str | None:
        """``None``: a server database has no local file to keep the index beside, so it is rebuilt in memory."""
        return None

    def pending_story_vectors(self, model: str, ids: Iterable[str] | None = None) -> list[str]:
        """Ids of articles with no vector by ``model`` for their current text (of ``ids`` only, when given)."""
        return self._among(
            "SELECT a.id FROM articles a LEFT JOIN story_vectors v ON v.article_id = a.id "
            "WHERE (v.article_id IS NULL OR v.text_hash != a.text_hash OR v.model != %s)", (model,), "a.id", ids)

    def _among(self, sql: str, args: Sequence, column: str, ids: Iterable[str] | None) -> list[str]:
        """The first column of ``sql`` (a SELECT ending in its WHERE clause), sorted; with ``ids``, only the rows
        whose ``column`` is one of them."""
        if ids is None:
            return [r[0] for r in self._q(f"{sql} ORDER BY {column}", args)]
        out: list[str] = []
        for chunk in _chunks(sorted(set(ids)), 5000):
            out.extend(r[0] for r in self._q(f"{sql} AND {column} = ANY(%s)", [*args, chunk]))
        return sorted(out)

    def write_story_vectors(self, rows: Sequence[tuple[str, str, str, bytes, str]]
                            ) -> dict[str, tuple[int, int | None]]:
        """Store ``(article_id, text_hash, model, vector, terms_json)`` rows, replacing older ones. Returns
        ``{article_id: (new index key, replaced index key or None)}``."""
        out: dict[str, tuple[int, int | None]] = {}
        with self._write() as conn:
            for article_id, text_hash, model, vector, terms in rows:
                old = conn.execute("DELETE FROM story_vectors WHERE article_id=%s RETURNING vkey",
                                   (article_id,)).fetchone()
                if old:
                    conn.execute("DELETE FROM story_rows WHERE article_id=%s", (article_id,))
                new = conn.execute("INSERT INTO story_vectors(article_id, text_hash, model, vector, terms) "
                                   "VALUES (%s,%s,%s,%s,%s) RETURNING vkey",
                                   (article_id, text_hash, model, bytes(vector), terms)).fetchone()
                out[article_id] = (int(new[0]), int(old[0]) if old else None)
        return out

    def story_vectors(self, ids: Iterable[str] | None = None, *, keys: Iterable[int] | None = None
                      ) -> Iterator[tuple[str, int, bytes, str]]:
        """``(article_id, index key, vector, terms_json)`` for the given articles, index keys, or all (by key)."""
        cols = "SELECT article_id, vkey, vector, terms FROM story_vectors"
        if ids is None and keys is None:
            for r in self._stream(f"{cols} ORDER BY vkey"):
                yield r[0], int(r[1]), bytes(r[2]), r[3]
            return
        if ids is not None:
            where, values = "article_id = ANY(%s) ORDER BY article_id", list(ids)
        else:
            where, values = "vkey = ANY(%s::bigint[]) ORDER BY vkey", [int(k) for k in keys]
        for chunk in _chunks(values, 500):
            for r in self._q(f"{cols} WHERE {where}", (chunk,)):
                yield r[0], int(r[1]), bytes(r[2]), r[3]

    def story_key_published(self, keys: Iterable[int]) -> dict[int, str | None]:
        """``{index key: published}`` as the article's stories features give it (what the candidate window of the
        stories stage compares), read without loading the records; keys with no features are left out."""
        out: dict[int, str | None] = {}
        for chunk in _chunks([int(k) for k in keys], 500):
            out.update((int(k), p) for k, p in self._q(
                "SELECT v.vkey, (f.record::json)->>'published' FROM story_vectors v JOIN story_features f "
                "ON f.article_id = v.article_id WHERE v.vkey = ANY(%s::bigint[])", (chunk,)))
        return out

    def story_index_state(self) -> tuple[int, int]:
        """``(number of stored vectors, largest index key)``: what an index file must hold to be current."""
        count, top = self._q("SELECT COUNT(*), COALESCE(MAX(vkey), 0) FROM story_vectors")[0]
        return int(count), int(top)

    def pending_story_features(self, version: str, ids: Iterable[str] | None = None) -> list[str]:
        """Ids of analysed articles with no stories features of ``version`` for their current text (of ``ids``
        only, when given)."""
        return self._among(
            "SELECT a.id FROM articles a JOIN analyses n ON n.article_id = a.id AND n.text_hash = a.text_hash "
            "LEFT JOIN story_features f ON f.article_id = a.id "
            "WHERE (f.article_id IS NULL OR f.text_hash != a.text_hash OR f.version != %s)", (version,), "a.id", ids)

    def pending_name_features(self, version: str, ids: Iterable[str] | None = None) -> list[str]:
        """Ids of articles with no analysis of their current text and no stories features of ``version`` for it
        (what ``name_features`` makes features for, until the article is analysed; of ``ids`` only, when given)."""
        return self._among(
            "SELECT a.id FROM articles a LEFT JOIN analyses n ON n.article_id = a.id AND n.text_hash = a.text_hash "
            "LEFT JOIN story_features f ON f.article_id = a.id WHERE n.article_id IS NULL "
            "AND (f.article_id IS NULL OR f.text_hash != a.text_hash OR f.version != %s)", (version,), "a.id", ids)

    def entity_corpus_keys(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """``{article_id: {entity key: corpus key}}`` from the entities table."""
        out: dict[str, dict[str, str]] = {}
        for chunk in _chunks(list(ids), 500):
            for aid, key, corpus_key in self._q(
                    "SELECT article_id, key, corpus_key FROM entities WHERE article_id = ANY(%s) "
                    "ORDER BY article_id, key", (chunk,)):
                out.setdefault(aid, {})[key] = corpus_key
        return out

    def write_story_features(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Store ``(article_id, text_hash, version, record_json)`` rows, replacing older ones."""
        with self._write() as conn:
            conn.cursor().executemany(
                "INSERT INTO story_features(article_id, text_hash, version, record) VALUES (%s,%s,%s,%s) "
                "ON CONFLICT (article_id) DO UPDATE SET text_hash = EXCLUDED.text_hash, version = EXCLUDED.version, "
                "record = EXCLUDED.record", list(rows))
            conn.execute("DELETE FROM story_rows WHERE article_id = ANY(%s)", ([r[0] for r in rows],))

    def write_story_rows(self, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store ``(article_id, scoring_row)`` rows (stories/rows.py), replacing older ones."""
        with self._write() as conn:
            conn.cursor().executemany(
                "INSERT INTO story_rows(article_id, row) VALUES (%s,%s) "
                "ON CONFLICT (article_id) DO UPDATE SET row = EXCLUDED.row", [(a, bytes(r)) for a, r in rows])

    def story_rows(self, ids: Iterable[str]) -> Iterator[tuple[str, bytes, bytes]]:
        """``(article_id, vector, scoring_row)`` for the given articles that have a scoring row."""
        for chunk in _chunks(list(ids), 500):
            for aid, vector, row in self._q(
                    "SELECT r.article_id, v.vector, r.row FROM story_rows r JOIN story_vectors v "
                    "ON v.article_id = r.article_id WHERE r.article_id = ANY(%s) ORDER BY r.article_id", (chunk,)):
                yield aid, bytes(vector), bytes(row)

    def story_rows_missing(self, ids: Iterable[str] | None = None) -> list[str]:
        """Articles with a vector and features but no scoring row, by id (of ``ids`` only, when given)."""
        return self._among(
            "SELECT v.article_id FROM story_vectors v JOIN story_features f ON f.article_id = v.article_id "
            "WHERE NOT EXISTS (SELECT 1 FROM story_rows r WHERE r.article_id = v.article_id)", (), "v.article_id", ids)

    def story_changes(self) -> tuple[int, list[str]]:
        """``(latest change, [article id, ...])``: the log of articles stored or analysed since the stories stage
        last took it (migration 0008), up to its latest row, each article once, by id. Read under the write lock:
        no write is then half done, so every row up to the latest is committed."""
        with self._write() as conn:
            top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM story_changes").fetchone()[0]
            ids = [r[0] for r in conn.execute(
                "SELECT DISTINCT article_id FROM story_changes WHERE seq <= %s ORDER BY article_id", (top,))]
        return int(top), ids

    def take_story_changes(self, upto: int, state: str) -> None:
        """Drop the log's rows up to ``upto`` (what an update read with :meth:`story_changes` and has now dealt
        with) and store ``state``, the settings the rest of the log is relative to, in one transaction."""
        with self._write() as conn:
            conn.execute("DELETE FROM story_changes WHERE seq <= %s", (int(upto),))
            conn.execute("INSERT INTO stories_state(name, value) VALUES ('changes', %s) "
                         "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value", (state,))

    def story_changes_state(self) -> str | None:
        """The settings stored by the last :meth:`take_story_changes` (None: the log was never taken)."""
        rows = self._q("SELECT value FROM stories_state WHERE name = 'changes'")
        return rows[0][0] if rows else None

    def mark_stories_pending(self, ids: Iterable[str], links: Iterable[tuple[str, str, float]] = ()) -> None:
        """Mark articles whose events the stories update is about to redo, with their pairs as they were before it
        (``(a, b, score)``), before it replaces any pair; kept until :meth:`clear_stories_pending`."""
        with self._write() as conn:
            cur = conn.cursor()
            cur.executemany("INSERT INTO stories_pending(article_id) VALUES (%s) ON CONFLICT DO NOTHING",
                            [(a,) for a in ids])
            cur.executemany("INSERT INTO stories_pending_links(a, b, score) VALUES (%s,%s,%s) ON CONFLICT DO NOTHING",
                            [(a, b, float(s)) for a, b, s in links])

    def stories_pending(self) -> tuple[list[str], list[tuple[str, str, float]]]:
        """What an interrupted stories update left: the articles it marked (by id) and their pairs before it."""
        ids = [r[0] for r in self._q("SELECT article_id FROM stories_pending ORDER BY article_id")]
        links = [(a, b, float(s)) for a, b, s in self._q("SELECT a, b, score FROM stories_pending_links ORDER BY a, b")]
        return ids, links

    def clear_stories_pending(self) -> None:
        """Drop the marks and kept pairs (the update has written the events of every marked article)."""
        with self._write() as conn:
            conn.execute("DELETE FROM stories_pending")
            conn.execute("DELETE FROM stories_pending_links")

    def story_features(self, ids: Iterable[str]) -> dict[str, str]:
        """``{article_id: record_json}`` for the given articles that have features."""
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids), 500):
            out.update(self._q("SELECT article_id, record FROM story_features WHERE article_id = ANY(%s) "
                               "ORDER BY article_id", (chunk,)))
        return out

    def story_ready_ids(self, ids: Iterable[str] | None = None) -> list[str]:
        """Articles that have both a vector and features (what the stories stage clusters), by id (of ``ids``
        only, when given)."""
        return self._among("SELECT v.article_id FROM story_vectors v JOIN story_features f "
                           "ON f.article_id = v.article_id WHERE TRUE", (), "v.article_id", ids)

    def count_story_ready(self) -> int:
        """How many articles :meth:`story_ready_ids` gives."""
        return int(self._q("SELECT COUNT(*) FROM story_vectors v JOIN story_features f "
                           "ON f.article_id = v.article_id")[0][0])

    def story_edges(self, ids: Iterable[str], min_score: float = float("-inf")) -> list[tuple[str, str, float, str]]:
        """``(a, b, score, evidence_json)`` for every stored edge touching the given articles."""
        seen: dict[tuple[str, str], tuple[str, str, float, str]] = {}
        for chunk in _chunks(list(ids), 400):
            for row in self._q(
                    "SELECT a, b, score, evidence FROM story_edges WHERE (a = ANY(%s) OR b = ANY(%s)) "
                    "AND score >= %s", (chunk, chunk, float(min_score))):
                seen[(row[0], row[1])] = (row[0], row[1], float(row[2]), row[3])
        return sorted(seen.values())

    def story_links(self, ids: Iterable[str], min_score: float = float("-inf")) -> list[tuple[str, str, float]]:
        """``(a, b, score)`` for every stored edge touching the given articles (:meth:`story_edges` without the
        evidence: what the clustering walks)."""
        seen: dict[tuple[str, str], tuple[str, str, float]] = {}
        for chunk in _chunks(list(ids), 400):
            for row in self._q(
                    "SELECT a, b, score FROM story_edges WHERE (a = ANY(%s) OR b = ANY(%s)) AND score >= %s",
                    (chunk, chunk, float(min_score))):
                seen[(row[0], row[1])] = (row[0], row[1], float(row[2]))
        return sorted(seen.values())

    def replace_story_edges(self, ids: Sequence[str], edges: Sequence[tuple[str, str, float, str]]) -> None:
        """Delete every edge touching ``ids`` and store ``edges`` (``a < b``) in one transaction."""
        with self._write() as conn:
            for chunk in _chunks(list(ids), 400):
                conn.execute("DELETE FROM story_edges WHERE a = ANY(%s) OR b = ANY(%s)", (chunk, chunk))
            conn.cursor().executemany(
                "INSERT INTO story_edges(a, b, score, evidence) VALUES (%s,%s,%s,%s) ON CONFLICT (a, b) "
                "DO UPDATE SET score = EXCLUDED.score, evidence = EXCLUDED.evidence", list(edges))

    def events_of(self, ids: Iterable[str]) -> dict[str, str]:
        """``{article_id: event_id}`` for the given articles that belong to an event."""
        out: dict[str, str] = {}
        for chunk in _chunks(list(ids), 500):
            out.update(self._q("SELECT article_id, event_id FROM event_members WHERE article_id = ANY(%s) "
                               "ORDER BY article_id", (chunk,)))
        return out

    def event_members(self, event_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """``{event_id: [(article_id, how), ...]}`` (members sorted by article id)."""
        out: dict[str, list[tuple[str, str]]] = {}
        for chunk in _chunks(list(event_ids), 500):
            for eid, aid, how in self._q(
                    "SELECT event_id, article_id, how FROM event_members WHERE event_id = ANY(%s) "
                    "ORDER BY event_id, article_id", (chunk,)):
                out.setdefault(eid, []).append((aid, how))
        return out

    def replace_events(self, ids: Sequence[str],
                       events: Sequence[tuple[str, str | None, str, Sequence[tuple[str, str]]]], *,
                       profiles: Mapping[str, bytes] | None = None) -> None:
        """Drop the events of the articles ``ids`` (all their members, and their storyline profiles) and store
        ``events`` as ``(event_id, date, record_json, [(article_id, how), ...])``, with the ``profiles`` given, in
        one transaction."""
        with self._write() as conn:
            old: set[str] = set()
            for chunk in _chunks(list(ids), 500):
                old.update(r[0] for r in conn.execute(
                    "SELECT DISTINCT event_id FROM event_members WHERE article_id = ANY(%s)", (chunk,)))
            old.update(e[0] for e in events)
            for chunk in _chunks(sorted(old), 500):
                conn.execute("UPDATE storylines SET stale = 1 WHERE id IN (SELECT storyline_id FROM events "
                             "WHERE id = ANY(%s) AND storyline_id IS NOT NULL)", (chunk,))
                conn.execute("UPDATE events SET linked = 2 WHERE linked = 1 AND id IN (SELECT b FROM event_links "
                             "WHERE a = ANY(%s) UNION SELECT a FROM event_links WHERE b = ANY(%s))", (chunk, chunk))
                conn.execute("DELETE FROM event_links WHERE a = ANY(%s) OR b = ANY(%s)", (chunk, chunk))
                conn.execute("DELETE FROM event_members WHERE event_id = ANY(%s)", (chunk,))
                conn.execute("DELETE FROM event_profiles WHERE event_id = ANY(%s)", (chunk,))
                conn.execute("DELETE FROM events WHERE id = ANY(%s)", (chunk,))
            for chunk in _chunks(list(ids), 500):
                conn.execute("DELETE FROM event_members WHERE article_id = ANY(%s)", (chunk,))
            cur = conn.cursor()
            for event_id, date, record, members in events:
                conn.execute("INSERT INTO events(id, storyline_id, date, record) VALUES (%s, NULL, %s, %s)",
                             (event_id, date, record))
                cur.executemany("INSERT INTO event_members(article_id, event_id, how) VALUES (%s,%s,%s) "
                                "ON CONFLICT (article_id) DO UPDATE SET event_id = EXCLUDED.event_id, "
                                "how = EXCLUDED.how", [(aid, event_id, how) for aid, how in members])
            written = {e[0] for e in events}
            for chunk in _chunks(sorted(e for e in (profiles or {}) if e in written), 500):
                cur.executemany("INSERT INTO event_profiles(event_id, profile) VALUES (%s,%s) ON CONFLICT (event_id) "
                                "DO UPDATE SET profile = EXCLUDED.profile", [(e, bytes(profiles[e])) for e in chunk])

    def event_profiles(self, event_ids: Iterable[str]) -> dict[str, bytes]:
        """``{event_id: profile}`` for the given events that have a stored storyline profile."""
        out: dict[str, bytes] = {}
        for chunk in _chunks(list(event_ids), 500):
            out.update((e, bytes(p)) for e, p in self._q(
                "SELECT event_id, profile FROM event_profiles WHERE event_id = ANY(%s)", (chunk,)))
        return out

    def write_event_profiles(self, rows: Iterable[tuple[str, bytes]]) -> None:
        """Store ``(event_id, profile)`` rows for events that exist (replacing older ones)."""
        with self._write() as conn:
            conn.cursor().executemany(
                "INSERT INTO event_profiles(event_id, profile) SELECT %s, %s WHERE EXISTS "
                "(SELECT 1 FROM events WHERE id = %s) ON CONFLICT (event_id) DO UPDATE SET profile = EXCLUDED.profile",
                [(e, bytes(p), e) for e, p in rows])

    def get_events(self, event_ids: Iterable[str] | None = None) -> list[tuple[str, str | None, str | None, str]]:
        """``(event_id, storyline_id, date, record_json)`` for the given events, or all (by date, then id)."""
        sql = "SELECT id, storyline_id, date, record FROM events"
        if event_ids is None:
            return self._q(sql + " ORDER BY COALESCE(date, '9999'), id")
        out = []
        for chunk in _chunks(list(event_ids), 500):
            out.extend(self._q(sql + " WHERE id = ANY(%s)", (chunk,)))
        return sorted(out, key=lambda r: r[0])

    def replace_storylines(self, drop: Sequence[str], storylines: Sequence[tuple[str, str, Sequence[str]]], *,
                           links: Sequence[tuple[str, str, float, str]] = (), linked: Sequence[str] = ()) -> None:
        """Delete the storylines ``drop`` (their events keep no storyline) and store ``(storyline_id, record_json,
        event ids)``; store the event ``links`` found (``(a, b, score, actors_json)``, ``a < b``) and mark the
        events ``linked`` as having theirs stored -- in one transaction."""
        with self._write() as conn:
            if links:
                conn.cursor().executemany(
                    "INSERT INTO event_links(a, b, score, actors) VALUES (%s,%s,%s,%s) ON CONFLICT (a, b) DO UPDATE "
                    "SET score = EXCLUDED.score, actors = EXCLUDED.actors", list(links))
            for chunk in _chunks(sorted(set(linked)), 500):
                conn.execute("UPDATE events SET linked = 1 WHERE id = ANY(%s)", (chunk,))
            for chunk in _chunks(sorted(set(drop) | {s[0] for s in storylines}), 500):
                conn.execute("UPDATE events SET storyline_id = NULL WHERE storyline_id = ANY(%s)", (chunk,))
                conn.execute("DELETE FROM storylines WHERE id = ANY(%s)", (chunk,))
            cur = conn.cursor()
            for storyline_id, record, members in storylines:
                conn.execute("INSERT INTO storylines(id, record) VALUES (%s, %s)", (storyline_id, record))
                cur.executemany("UPDATE events SET storyline_id = %s WHERE id = %s",
                                [(storyline_id, eid) for eid in members])

    def get_storylines(self) -> list[tuple[str, str]]:
        """``(storyline_id, record_json)`` for every storyline."""
        return self._q("SELECT id, record FROM storylines ORDER BY id")

    def unlinked_events(self) -> list[str]:
        """Events written since the last storyline pass (their links to other events are not stored yet)."""
        return [r[0] for r in self._q("SELECT id FROM events WHERE linked = 0 ORDER BY id")]

    def touched_events(self) -> list[str]:
        """Events linked to an event replaced since the last storyline pass."""
        return [r[0] for r in self._q("SELECT id FROM events WHERE linked = 2 ORDER BY id")]

    def stale_storylines(self) -> list[str]:
        """Storylines that lost one of their events since they were grouped."""
        return [r[0] for r in self._q("SELECT id FROM storylines WHERE stale = 1 ORDER BY id")]

    def event_links(self, event_ids: Iterable[str]) -> list[tuple[str, str, float, str]]:
        """``(a, b, score, actors_json)`` for every stored link between events touching the given ones."""
        seen: dict[tuple[str, str], tuple[str, str, float, str]] = {}
        for chunk in _chunks(list(event_ids), 500):
            for row in self._q("SELECT a, b, score, actors FROM event_links WHERE a = ANY(%s) OR b = ANY(%s)",
                               (chunk, chunk)):
                seen[(row[0], row[1])] = tuple(row)
        return sorted(seen.values())

    def add_story_decision(self, kind: str, articles: Sequence[str], others: Sequence[str], note: str = "") -> int:
        """Record a user decision (merge, split, pin); returns its id."""
        return int(self._q("INSERT INTO story_decisions(kind, articles, others, note, created_at) "
                           "VALUES (%s,%s,%s,%s,%s) RETURNING id",
                           (kind, json.dumps(sorted(articles)), json.dumps(sorted(others)), note, _now()))[0][0])

    def story_decisions(self) -> list[tuple[int, str, list[str], list[str], str, str]]:
        """``(id, kind, articles, others, note, created_at)`` for every decision, in the order they were made."""
        return [(int(r[0]), r[1], json.loads(r[2]), json.loads(r[3]), r[4], r[5]) for r in self._q(
            "SELECT id, kind, articles, others, note, created_at FROM story_decisions ORDER BY id")]

    def article_meta(self, ids: Iterable[str]) -> dict[str, tuple[str | None, str | None, str | None, str]]:
        """``{article_id: (title, outlet, published, text_hash)}`` without the body text."""
        out: dict[str, tuple] = {}
        for chunk in _chunks(list(ids), 500):
            for r in self._q("SELECT id, title, outlet, published, text_hash FROM articles WHERE id = ANY(%s) "
                             "ORDER BY id",
                             (chunk,)):
                out[r[0]] = (r[1], r[2], r[3], r[4])
        return out

    # --- export
    def iter_entity_rows(self) -> Iterator[dict]:
        """Every entity of every analysed article as a flat row (see :meth:`SQLiteStore.iter_entity_rows`)."""
        for r in self._stream("SELECT article_id, key, name, label, corpus_key, acronym, mentions, forms "
                              "FROM entities ORDER BY article_id, key"):
            yield {"article_id": r[0], "key": r[1], "name": r[2], "label": r[3], "corpus_key": r[4],
                   "acronym": r[5], "mentions": r[6], "forms": json.loads(r[7])}

    def iter_quote_rows(self) -> Iterator[dict]:
        """Every quote as a flat row (see :meth:`SQLiteStore.iter_quote_rows`)."""
        cols = ("article_id", "idx", "kind", "speaker", "speaker_entity", "speaker_name", "resolution", "cue",
                "content", "start", "end")
        for r in self._stream(f"SELECT {', '.join(_quoted(c) for c in cols)} FROM quotes ORDER BY article_id, idx"):
            yield dict(zip(cols, r))

    def iter_fact_rows(self) -> Iterator[dict]:
        """Every fact as a flat row (see :meth:`SQLiteStore.iter_fact_rows`)."""
        cols = ("article_id", "idx", "kind", "value", "qualifier", "counted", "predicate", "granularity", "text",
                "start", "end")
        for r in self._stream(f"SELECT {', '.join(_quoted(c) for c in cols)} FROM facts ORDER BY article_id, idx"):
            yield dict(zip(cols, r))


def _quoted(column: str) -> str:
    return f'"{column}"' if column == "end" else column


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
