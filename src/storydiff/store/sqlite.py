"""SQLite backend: one file, WAL journal, versioned migrations, FTS5 full-text search."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from ..errors import StoreError
from ..model import Analysis, Article, ArticleRow, DuplicateLink, FieldOrigin, Problem, Removal
from .base import Candidate, Run, SearchHit
from .codec import analysis_from_json, to_json

_ROW_COLUMNS = "id, locator, title, outlet, published, url, author, language, words"


def migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` for every migration file, in order. File names start with the version number."""
    folder = resources.files("storydiff.store") / "migrations"
    out = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            out.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text("utf-8")))
    return sorted(out)


SCHEMA_VERSION = max(v for v, _, _ in migrations())


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SQLiteStore:
    """The default store. ``path`` is a file path or ``:memory:``."""

    def __init__(self, path: str | Path = "storydiff.db") -> None:
        self.url = f"sqlite:///{path}"
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=10000")
            self.migrate()
        except sqlite3.DatabaseError as err:
            raise StoreError(f"cannot open store {self.path}: {err} (is it a storydiff database?)") from None

    # --- schema
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> int:
        """Apply every migration newer than the database, each in its own transaction. Returns the version."""
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise StoreError(f"store {self.path} has schema {current}, newer than this storydiff ({SCHEMA_VERSION}):"
                             " upgrade storydiff")
        for version, name, sql in migrations():
            if version <= current:
                continue
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                for statement in _split_sql(sql):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version={version}")
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as err:
                self.conn.execute("ROLLBACK")
                raise StoreError(f"migration {name} failed: {err}") from None
        return self.schema_version()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- runs
    def begin_run(self, command: str, inputs: Sequence[str]) -> int:
        cur = self.conn.execute("INSERT INTO runs(started_at, command, inputs) VALUES (?, ?, ?)",
                                (_now(), command, json.dumps(list(inputs))))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int]) -> None:
        self.conn.execute("UPDATE runs SET finished_at=?, status=?, counts=? WHERE id=?",
                          (_now(), status, json.dumps(dict(counts)), run_id))

    def runs(self) -> list[Run]:
        rows = self.conn.execute("SELECT id, started_at, finished_at, command, inputs, status, counts FROM runs "
                                 "ORDER BY id").fetchall()
        return [Run(r[0], r[1], r[2], r[3], tuple(json.loads(r[4])), r[5], json.loads(r[6])) for r in rows]

    # --- writing
    def known_raw_hashes(self, locators: Sequence[str]) -> dict[str, str]:
        return self._lookup("articles", "locator", "raw_hash", locators)

    def lsh_candidates(self, keys: Sequence[int]) -> list[Candidate]:
        if not keys:
            return []
        marks = ",".join("?" * len(keys))
        rows = self.conn.execute(
            f"SELECT DISTINCT s.article_id, s.minhash, a.text_hash FROM lsh_bands b "
            f"JOIN signatures s ON s.article_id = b.article_id JOIN articles a ON a.id = b.article_id "
            f"WHERE b.key IN ({marks})", list(keys)).fetchall()
        return [Candidate(r[0], r[1], r[2]) for r in rows]

    def ids_with_text_hash(self, text_hash: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM articles WHERE text_hash=? ORDER BY id",
                                                (text_hash,))]

    def write_batch(self, run_id: int, articles: Sequence[Article], signatures: Mapping[str, bytes],
                    band_keys: Mapping[str, Sequence[int]], links: Sequence[DuplicateLink],
                    problems: Sequence[Problem]) -> None:
        """Store a batch atomically. An article whose locator is already stored replaces the old version (its
        signature, bands and duplicate links go with it)."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for art in articles:
                old = conn.execute("SELECT revision FROM articles WHERE id=?", (art.id,)).fetchone()
                if old:
                    self._forget(art.id)
                conn.execute(
                    "INSERT INTO articles(id, locator, raw_hash, text_hash, title, url, outlet, published, author, "
                    "language, summary, text, words, captions, removed, origins, notes, run_id, revision) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (art.id, art.locator, art.raw_hash, art.text_hash, art.title, art.url, art.outlet, art.published,
                     art.author, art.language, art.summary, art.text, art.word_count,
                     json.dumps(list(art.captions), ensure_ascii=False),
                     json.dumps([[r.kind, r.text] for r in art.removed], ensure_ascii=False),
                     json.dumps([[o.field, o.source, o.evidence] for o in art.origins], ensure_ascii=False),
                     json.dumps(list(art.notes), ensure_ascii=False), run_id, (old[0] + 1) if old else 1))
                conn.execute("DELETE FROM problems WHERE locator=?", (art.locator,))
            conn.executemany("INSERT OR REPLACE INTO signatures(article_id, minhash) VALUES (?, ?)",
                             list(signatures.items()))
            conn.executemany("INSERT OR IGNORE INTO lsh_bands(key, article_id) VALUES (?, ?)",
                             [(k, aid) for aid, keys in band_keys.items() for k in keys])
            conn.executemany("INSERT OR REPLACE INTO duplicates(a, b, kind, similarity) VALUES (?, ?, ?, ?)",
                             [(ln.a, ln.b, ln.kind, ln.similarity) for ln in links])
            conn.executemany("INSERT OR REPLACE INTO problems(locator, reason, detail, run_id) VALUES (?, ?, ?, ?)",
                             [(p.locator, p.reason, p.detail, run_id) for p in problems])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _lookup(self, table: str, key: str, value: str, keys: Iterable) -> dict:
        """``{key: value}`` of the rows of ``table`` whose ``key`` is one of ``keys`` (asked 500 at a time; names
        come from this module, never from input)."""
        out: dict = {}
        for chunk in _chunks(list(keys), 500):
            out.update(self.conn.execute(f"SELECT {key}, {value} FROM {table} WHERE {key} IN "
                                         f"({','.join('?' * len(chunk))})", chunk).fetchall())
        return out

    @contextmanager
    def _immediate(self):
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on any error)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _forget(self, article_id: str) -> None:
        self._forget_analysis(article_id)
        for sql in ("DELETE FROM articles WHERE id=?", "DELETE FROM signatures WHERE article_id=?",
                    "DELETE FROM lsh_bands WHERE article_id=?", "DELETE FROM duplicates WHERE a=? OR b=?"):
            self.conn.execute(sql, (article_id,) * sql.count("?"))

    # --- analysis records
    def _forget_analysis(self, article_id: str) -> None:
        for table in ("analyses", "entities", "quotes", "facts"):
            self.conn.execute(f"DELETE FROM {table} WHERE article_id=?", (article_id,))

    def pending_analysis(self, stage: str, version: str) -> list[str]:
        """Ids of articles with no analysis by ``stage``/``version`` for their current text (new or changed), in the
        order they were stored. The two tables are read once each and matched here: a join looked each article up in
        the analyses' large rows (2.5-3.8 s on 36,554 articles, against ~0.5 s)."""
        done = {aid: (text_hash, st, ver) for aid, text_hash, st, ver in self.conn.execute(
            "SELECT article_id, text_hash, stage, version FROM analyses")}
        return [aid for aid, text_hash in self.conn.execute("SELECT id, text_hash FROM articles ORDER BY rowid")
                if done.get(aid) != (text_hash, stage, version)]

    def write_analyses(self, analyses: Sequence[Analysis], corpus_keys: Mapping[tuple[str, str], str]) -> None:
        """Store analysis records atomically, replacing earlier ones of the same articles. ``corpus_keys`` maps
        ``(article_id, entity key)`` to the entity's corpus-wide key."""
        conn = self.conn
        now = _now()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for an in analyses:
                self._forget_analysis(an.article_id)
                conn.execute("INSERT INTO analyses(article_id, text_hash, stage, version, created_at, record) "
                             "VALUES (?,?,?,?,?,?)", (an.article_id, an.text_hash, an.stage, an.version, now,
                                                      to_json(an)))
                conn.executemany(
                    "INSERT INTO entities(article_id, key, name, label, corpus_key, acronym, mentions, forms) "
                    "VALUES (?,?,?,?,?,?,?,?)",
                    [(an.article_id, e.key, e.name, e.label, corpus_keys.get((an.article_id, e.key), ""), e.acronym,
                      len(e.mentions), json.dumps(list(e.forms), ensure_ascii=False)) for e in an.entities])
                names = {e.key: e.name for e in an.entities}
                conn.executemany(
                    "INSERT INTO quotes(article_id, idx, kind, speaker, speaker_entity, speaker_name, resolution, "
                    "cue, content, start, end) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [(an.article_id, i, q.kind, q.speaker.text if q.speaker else None, q.speaker_entity,
                      names.get(q.speaker_entity), q.resolution, q.cue.text if q.cue else None,
                      " … ".join(c.text for c in q.content), q.content[0].start if q.content else q.sentence.start,
                      q.content[-1].end if q.content else q.sentence.end) for i, q in enumerate(an.quotes)])
                conn.executemany(
                    "INSERT INTO facts(article_id, idx, kind, value, qualifier, counted, predicate, granularity, "
                    "text, start, end) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [(an.article_id, i, f.kind, f.value, f.qualifier, f.counted, f.predicate, f.granularity,
                      f.span.text, f.span.start, f.span.end) for i, f in enumerate(an.facts)])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def get_analysis(self, article_id: str) -> Analysis | None:
        row = self.conn.execute("SELECT record FROM analyses WHERE article_id=?", (article_id,)).fetchone()
        return analysis_from_json(row[0]) if row else None

    def iter_analyses(self, ids: Iterable[str] | None = None) -> Iterator[Analysis]:
        if ids is None:
            for (record,) in self.conn.execute("SELECT record FROM analyses ORDER BY article_id"):
                yield analysis_from_json(record)
            return
        for chunk in _chunks(list(ids), 500):
            rows = self.conn.execute(f"SELECT record FROM analyses WHERE article_id IN ({','.join('?' * len(chunk))})",
                                     chunk).fetchall()
            for (record,) in rows:
                yield analysis_from_json(record)

    def entity_rows(self) -> Iterator[tuple[str, str, str, str, list[str], str | None, str]]:
        """``(corpus_key, name, label, article_id, forms, outlet, entity key)`` for every entity of every article."""
        for r in self.conn.execute(
                "SELECT e.corpus_key, e.name, e.label, e.article_id, e.forms, a.outlet, e.key FROM entities e "
                "JOIN articles a ON a.id = e.article_id ORDER BY e.corpus_key, e.article_id, e.key"):
            yield r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6]

    def count_analyses(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM analyses").fetchone()[0]

    # --- reading
    def count_articles(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def list_articles(self, limit: int | None = None, offset: int = 0, outlet: str | None = None
                      ) -> list[ArticleRow]:
        sql = f"SELECT {_ROW_COLUMNS} FROM articles"
        args: list = []
        if outlet is not None:
            sql += " WHERE outlet = ?"
            args.append(outlet)
        sql += " ORDER BY COALESCE(published, '9999'), id LIMIT ? OFFSET ?"
        args += [-1 if limit is None else limit, offset]
        return [ArticleRow(*r) for r in self.conn.execute(sql, args)]

    def get_article(self, article_id: str) -> Article | None:
        return next(self.iter_articles([article_id]), None)

    def iter_articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]:
        cols = ("id, locator, text, text_hash, raw_hash, title, url, outlet, published, author, language, summary, "
                "captions, removed, origins, notes")
        if ids is None:
            cursor = self.conn.execute(f"SELECT {cols} FROM articles ORDER BY COALESCE(published, '9999'), id")
            rows: Iterable = cursor
        else:
            wanted = list(ids)
            rows = []
            for chunk in _chunks(wanted, 500):
                rows.extend(self.conn.execute(
                    f"SELECT {cols} FROM articles WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
            order = {aid: i for i, aid in enumerate(wanted)}
            rows.sort(key=lambda r: order[r[0]])
        for r in rows:
            yield Article(
                id=r[0], locator=r[1], text=r[2], text_hash=r[3], raw_hash=r[4], title=r[5], url=r[6], outlet=r[7],
                published=r[8], author=r[9], language=r[10], summary=r[11], captions=tuple(json.loads(r[12])),
                removed=tuple(Removal(k, t) for k, t in json.loads(r[13])),
                origins=tuple(FieldOrigin(f, s, e) for f, s, e in json.loads(r[14])), notes=tuple(json.loads(r[15])))

    def query_problem(self, query: str) -> str | None:
        """Why ``query`` is not FTS5 syntax (then :meth:`search` looks for its words instead), or ``None``."""
        try:
            self.conn.execute("SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT 1", (query,)).fetchall()
        except sqlite3.OperationalError as err:
            return str(err)
        return None

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Full-text search (FTS5 syntax; a query that is not, such as a plain phrase with punctuation, searches
        for its words: :meth:`query_problem` says why)."""
        def run(q: str):
            return self.conn.execute(
                f"SELECT {', '.join('a.' + c.strip() for c in _ROW_COLUMNS.split(','))}, "
                "snippet(articles_fts, 1, char(2), char(3), ' … ', 24), bm25(articles_fts) "
                "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
                "WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts) LIMIT ?", (q, limit)).fetchall()
        try:
            rows = run(query)
        except sqlite3.OperationalError:
            # every word, as a phrase of its own; operator words of a broken expression ("a NEAR/5 b") are dropped
            words = [w for w in query.split() if not re.fullmatch(r"AND|OR|NOT|NEAR(?:/\d+)?", w)]
            rows = run(" ".join('"' + w.replace('"', '""') + '"' for w in words)) if words else []
        return [SearchHit(ArticleRow(*r[:9]), r[9] or "", float(r[10])) for r in rows]

    def duplicate_links(self, ids: Iterable[str] | None = None) -> list[DuplicateLink]:
        """Every copy found (``ids`` given: those between two of the given articles), by article ids."""
        if ids is None:
            return [DuplicateLink(*r) for r in self.conn.execute(
                "SELECT a, b, kind, similarity FROM duplicates ORDER BY a, b")]
        wanted = set(ids)
        found = []
        for chunk in _chunks(sorted(wanted), 500):  # a link between two given articles has its ``a`` among them
            found.extend(r for r in self.conn.execute(
                f"SELECT a, b, kind, similarity FROM duplicates WHERE a IN ({','.join('?' * len(chunk))})", chunk)
                if r[1] in wanted)
        return [DuplicateLink(*r) for r in sorted(found)]

    def problems(self) -> list[Problem]:
        return [Problem(*r) for r in self.conn.execute(
            "SELECT locator, reason, detail FROM problems ORDER BY locator, reason")]

    # --- web (read-only queries for the web app; each answers from an index)
    def outlet_counts(self) -> list[tuple[str | None, int]]:
        return self.conn.execute("SELECT outlet, COUNT(*) FROM articles GROUP BY outlet ORDER BY COUNT(*) DESC, "
                                 "outlet").fetchall()

    def count_by_outlet(self, outlet: str | None) -> int:
        if outlet is None:
            return self.count_articles()
        return self.conn.execute("SELECT COUNT(*) FROM articles WHERE outlet=?", (outlet,)).fetchone()[0]

    def entity_articles(self, corpus_key: str, limit: int = 200) -> list[tuple[str, str, str, list[str], str | None,
                                                                               str | None, str | None]]:
        """``(article_id, name, label, forms, outlet, title, published)`` for articles naming the entity."""
        rows = self.conn.execute(
            "SELECT e.article_id, e.name, e.label, e.forms, a.outlet, a.title, a.published FROM entities e "
            "JOIN articles a ON a.id = e.article_id WHERE e.corpus_key=? ORDER BY a.published DESC, a.id LIMIT ?",
            (corpus_key, limit)).fetchall()
        return [(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]

    def quotes_by_entity(self, corpus_key: str, limit: int = 200) -> list[tuple]:
        """Quotes whose speaker resolves to the entity: ``(article_id, outlet, kind, cue, content, start, end)``."""
        return self.conn.execute(
            "SELECT q.article_id, a.outlet, q.kind, q.cue, q.content, q.start, q.end FROM entities e "
            "JOIN quotes q ON q.article_id = e.article_id AND q.speaker_entity = e.key "
            "JOIN articles a ON a.id = e.article_id WHERE e.corpus_key=? ORDER BY a.published DESC, q.article_id, "
            "q.idx LIMIT ?", (corpus_key, limit)).fetchall()

    def top_entities(self, limit: int = 100, outlet: str | None = None) -> list[tuple[str, str, str, int]]:
        """``(corpus_key, name, label, articles)``, most widely named first."""
        where, args = ("JOIN articles a ON a.id = e.article_id WHERE a.outlet=?", [outlet]) if outlet else ("", [])
        return self.conn.execute(
            f"SELECT e.corpus_key, MAX(e.name), MAX(e.label), COUNT(DISTINCT e.article_id) AS n FROM entities e {where} "
            "GROUP BY e.corpus_key ORDER BY n DESC, e.corpus_key LIMIT ?", args + [limit]).fetchall()

    def speakers_of_outlet(self, outlet: str, limit: int = 50) -> list[tuple[str, int, int]]:
        """``(speaker name, quotes, words)`` for quotes in the outlet's articles."""
        return self.conn.execute(
            "SELECT COALESCE(q.speaker_name, q.speaker, '(unattributed)'), COUNT(*), "
            "SUM(LENGTH(q.content) - LENGTH(REPLACE(q.content, ' ', '')) + 1) AS words FROM articles a "
            "JOIN quotes q ON q.article_id = a.id WHERE a.outlet=? GROUP BY 1 ORDER BY words DESC LIMIT ?",
            (outlet, limit)).fetchall()

    def cues_of_outlet(self, outlet: str, limit: int = 30) -> list[tuple[str, int]]:
        return self.conn.execute(
            "SELECT LOWER(q.cue), COUNT(*) FROM articles a JOIN quotes q ON q.article_id = a.id "
            "WHERE a.outlet=? AND q.cue IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT ?", (outlet, limit)).fetchall()

    # --- stories
    def stories_index_path(self) -> str | None:
        """Where the stories stage may keep its rebuildable nearest-neighbour index (``None``: in memory only)."""
        return None if self.path == ":memory:" else self.path + ".vectors.usearch"

    def pending_story_vectors(self, model: str, ids: Iterable[str] | None = None) -> list[str]:
        """Ids of articles with no vector by ``model`` for their current text (of ``ids`` only, when given)."""
        return self._among(
            "SELECT a.id FROM articles a LEFT JOIN story_vectors v ON v.article_id = a.id "
            "WHERE (v.article_id IS NULL OR v.text_hash != a.text_hash OR v.model != ?)", (model,), "a.id", ids)

    def _among(self, sql: str, args: Sequence, column: str, ids: Iterable[str] | None) -> list[str]:
        """The first column of ``sql`` (a SELECT ending in its WHERE clause), sorted; with ``ids``, only the rows
        whose ``column`` is one of them (asked 500 at a time)."""
        if ids is None:
            return [r[0] for r in self.conn.execute(f"{sql} ORDER BY {column}", args)]
        out: list[str] = []
        for chunk in _chunks(sorted(set(ids)), 500):
            out.extend(r[0] for r in self.conn.execute(
                f"{sql} AND {column} IN ({','.join('?' * len(chunk))})", [*args, *chunk]))
        return sorted(out)

    def write_story_vectors(self, rows: Sequence[tuple[str, str, str, bytes, str]]) -> dict[str, tuple[int, int | None]]:
        """Store ``(article_id, text_hash, model, vector, terms_json)`` rows, replacing older ones. Returns
        ``{article_id: (new index key, replaced index key or None)}``."""
        out: dict[str, tuple[int, int | None]] = {}
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for article_id, text_hash, model, vector, terms in rows:
                old = conn.execute("SELECT vkey FROM story_vectors WHERE article_id=?", (article_id,)).fetchone()
                if old:
                    conn.execute("DELETE FROM story_vectors WHERE article_id=?", (article_id,))
                    conn.execute("DELETE FROM story_rows WHERE article_id=?", (article_id,))
                cur = conn.execute("INSERT INTO story_vectors(article_id, text_hash, model, vector, terms) "
                                   "VALUES (?,?,?,?,?)", (article_id, text_hash, model, vector, terms))
                out[article_id] = (int(cur.lastrowid), old[0] if old else None)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return out

    def story_vectors(self, ids: Iterable[str] | None = None, *, keys: Iterable[int] | None = None
                      ) -> Iterator[tuple[str, int, bytes, str]]:
        """``(article_id, index key, vector, terms_json)`` for the given articles, index keys, or all (by key)."""
        cols = "SELECT article_id, vkey, vector, terms FROM story_vectors"
        if ids is None and keys is None:
            yield from self.conn.execute(f"{cols} ORDER BY vkey")
            return
        column, values = ("article_id", list(ids)) if ids is not None else ("vkey", [int(k) for k in keys])
        for chunk in _chunks(values, 500):
            yield from self.conn.execute(f"{cols} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk)

    def story_key_published(self, keys: Iterable[int]) -> dict[int, str | None]:
        """``{index key: published}`` as the article's stories features give it (what the candidate window of the
        stories stage compares), read without loading the records; keys with no features are left out."""
        out: dict[int, str | None] = {}
        for chunk in _chunks([int(k) for k in keys], 500):
            out.update(self.conn.execute(
                "SELECT v.vkey, json_extract(f.record, '$.published') FROM story_vectors v JOIN story_features f "
                f"ON f.article_id = v.article_id WHERE v.vkey IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return out

    def story_index_state(self) -> tuple[int, int]:
        """``(number of stored vectors, largest index key)``: what an index file must hold to be current."""
        count, top = self.conn.execute("SELECT COUNT(*), COALESCE(MAX(vkey), 0) FROM story_vectors").fetchone()
        return int(count), int(top)

    def pending_story_features(self, version: str, ids: Iterable[str] | None = None) -> list[str]:
        """Ids of analysed articles with no stories features of ``version`` for their current text (of ``ids`` only,
        when given). Over the whole store the three tables are read once each and matched here (as
        :meth:`pending_analysis`): a join looked each article up in the analyses' large rows (~0.85 s a call on
        36,554 articles, against ~0.2 s); for a few ids the join answers by key."""
        if ids is not None:
            return self._among(
                "SELECT a.id FROM articles a JOIN analyses n ON n.article_id = a.id AND n.text_hash = a.text_hash "
                "LEFT JOIN story_features f ON f.article_id = a.id "
                "WHERE (f.article_id IS NULL OR f.text_hash != a.text_hash OR f.version != ?)", (version,), "a.id", ids)
        current, analysed, featured = self._story_hashes()
        return sorted(aid for aid in analysed if featured.get(aid) != (current[aid], version))

    def pending_name_features(self, version: str, ids: Iterable[str] | None = None) -> list[str]:
        """Ids of articles with no analysis of their current text and no stories features of ``version`` for it
        (what ``name_features`` makes features for, until the article is analysed; of ``ids`` only, when given)."""
        if ids is not None:
            return self._among(
                "SELECT a.id FROM articles a LEFT JOIN analyses n ON n.article_id = a.id AND n.text_hash = a.text_hash "
                "LEFT JOIN story_features f ON f.article_id = a.id WHERE n.article_id IS NULL "
                "AND (f.article_id IS NULL OR f.text_hash != a.text_hash OR f.version != ?)", (version,), "a.id", ids)
        current, analysed, featured = self._story_hashes()
        return sorted(aid for aid, text_hash in current.items()
                      if aid not in analysed and featured.get(aid) != (text_hash, version))

    def _story_hashes(self) -> tuple[dict[str, str], set[str], dict[str, tuple[str, str]]]:
        """``({article id: text hash}, {ids analysed for their current text}, {id: (features' text hash,
        version)})``."""
        current = dict(self.conn.execute("SELECT id, text_hash FROM articles"))
        analysed = {aid for aid, text_hash in self.conn.execute("SELECT article_id, text_hash FROM analyses")
                    if current.get(aid) == text_hash}
        featured = {aid: (text_hash, version) for aid, text_hash, version in self.conn.execute(
            "SELECT article_id, text_hash, version FROM story_features")}
        return current, analysed, featured

    def entity_corpus_keys(self, ids: Iterable[str]) -> dict[str, dict[str, str]]:
        """``{article_id: {entity key: corpus key}}`` from the entities table."""
        out: dict[str, dict[str, str]] = {}
        for chunk in _chunks(list(ids), 500):
            for aid, key, corpus_key in self.conn.execute(
                    f"SELECT article_id, key, corpus_key FROM entities WHERE article_id IN "
                    f"({','.join('?' * len(chunk))})", chunk):
                out.setdefault(aid, {})[key] = corpus_key
        return out

    def write_story_features(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """Store ``(article_id, text_hash, version, record_json)`` rows, replacing older ones (and the scoring
        rows made from the older ones)."""
        rows = list(rows)
        with self._immediate() as conn:
            conn.executemany("INSERT OR REPLACE INTO story_features(article_id, text_hash, version, record) "
                             "VALUES (?,?,?,?)", rows)
            conn.executemany("DELETE FROM story_rows WHERE article_id=?", [(r[0],) for r in rows])

    def write_story_rows(self, rows: Sequence[tuple[str, bytes]]) -> None:
        """Store ``(article_id, scoring_row)`` rows (stories/rows.py), replacing older ones."""
        with self._immediate() as conn:
            conn.executemany("INSERT OR REPLACE INTO story_rows(article_id, row) VALUES (?,?)", list(rows))

    def story_rows(self, ids: Iterable[str]) -> Iterator[tuple[str, bytes, bytes]]:
        """``(article_id, vector, scoring_row)`` for the given articles that have a scoring row."""
        for chunk in _chunks(list(ids), 500):
            yield from self.conn.execute(
                "SELECT r.article_id, v.vector, r.row FROM story_rows r JOIN story_vectors v "
                f"ON v.article_id = r.article_id WHERE r.article_id IN ({','.join('?' * len(chunk))})", chunk)

    def story_rows_missing(self, ids: Iterable[str] | None = None) -> list[str]:
        """Articles with a vector and features but no scoring row (made, or written again, since the last
        update), by id (of ``ids`` only, when given)."""
        return self._among(
            "SELECT v.article_id FROM story_vectors v JOIN story_features f ON f.article_id = v.article_id "
            "WHERE NOT EXISTS (SELECT 1 FROM story_rows r WHERE r.article_id = v.article_id)", (), "v.article_id", ids)

    def story_changes(self) -> tuple[int, list[str]]:
        """``(latest change, [article id, ...])``: the log of articles stored or analysed since the stories stage
        last took it (migration 0008), up to its latest row, each article once, by id."""
        rows = self.conn.execute("SELECT seq, article_id FROM story_changes").fetchall()   # one read, one snapshot
        return max((seq for seq, _ in rows), default=0), sorted({aid for _, aid in rows})

    def take_story_changes(self, upto: int, state: str) -> None:
        """Drop the log's rows up to ``upto`` (what an update read with :meth:`story_changes` and has now dealt
        with) and store ``state``, the settings the rest of the log is relative to, in one transaction."""
        with self._immediate() as conn:
            conn.execute("DELETE FROM story_changes WHERE seq <= ?", (int(upto),))
            conn.execute("INSERT OR REPLACE INTO stories_state(name, value) VALUES ('changes', ?)", (state,))

    def story_changes_state(self) -> str | None:
        """The settings stored by the last :meth:`take_story_changes` (None: the log was never taken)."""
        row = self.conn.execute("SELECT value FROM stories_state WHERE name = 'changes'").fetchone()
        return row[0] if row else None

    def mark_stories_pending(self, ids: Iterable[str], links: Iterable[tuple[str, str, float]] = ()) -> None:
        """Mark articles whose events the stories update is about to redo, with their pairs as they were before it
        (``(a, b, score)``), before it replaces any pair; kept until :meth:`clear_stories_pending` (marks and pairs
        already kept stay: they are what an interrupted update left)."""
        with self._immediate() as conn:
            conn.executemany("INSERT OR IGNORE INTO stories_pending(article_id) VALUES (?)", [(a,) for a in ids])
            conn.executemany("INSERT OR IGNORE INTO stories_pending_links(a, b, score) VALUES (?,?,?)",
                             [(a, b, float(s)) for a, b, s in links])

    def stories_pending(self) -> tuple[list[str], list[tuple[str, str, float]]]:
        """What an interrupted stories update left: the articles it marked (by id) and their pairs before it."""
        ids = [r[0] for r in self.conn.execute("SELECT article_id FROM stories_pending ORDER BY article_id")]
        links = [tuple(r) for r in self.conn.execute("SELECT a, b, score FROM stories_pending_links ORDER BY a, b")]
        return ids, links

    def clear_stories_pending(self) -> None:
        """Drop the marks and kept pairs (the update has written the events of every marked article)."""
        with self._immediate() as conn:
            conn.execute("DELETE FROM stories_pending")
            conn.execute("DELETE FROM stories_pending_links")

    def story_features(self, ids: Iterable[str]) -> dict[str, str]:
        """``{article_id: record_json}`` for the given articles that have features."""
        return self._lookup("story_features", "article_id", "record", ids)

    def story_ready_ids(self, ids: Iterable[str] | None = None) -> list[str]:
        """Articles that have both a vector and features (what the stories stage clusters), by id (of ``ids``
        only, when given)."""
        return self._among("SELECT v.article_id FROM story_vectors v JOIN story_features f "
                           "ON f.article_id = v.article_id WHERE 1", (), "v.article_id", ids)

    def count_story_ready(self) -> int:
        """How many articles :meth:`story_ready_ids` gives."""
        return self.conn.execute("SELECT COUNT(*) FROM story_vectors v JOIN story_features f "
                                 "ON f.article_id = v.article_id").fetchone()[0]

    def story_edges(self, ids: Iterable[str], min_score: float = float("-inf")) -> list[tuple[str, str, float, str]]:
        """``(a, b, score, evidence_json)`` for every stored edge touching the given articles."""
        seen: dict[tuple[str, str], tuple[str, str, float, str]] = {}
        for chunk in _chunks(list(ids), 400):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                    f"SELECT a, b, score, evidence FROM story_edges WHERE a IN ({marks}) AND score >= ? UNION "
                    f"SELECT a, b, score, evidence FROM story_edges WHERE b IN ({marks}) AND score >= ?",
                    chunk + [min_score] + chunk + [min_score]):
                seen[(row[0], row[1])] = row
        return sorted(seen.values())

    def story_links(self, ids: Iterable[str], min_score: float = float("-inf")) -> list[tuple[str, str, float]]:
        """``(a, b, score)`` for every stored edge touching the given articles (:meth:`story_edges` without the
        evidence: what the clustering walks)."""
        seen: dict[tuple[str, str], tuple[str, str, float]] = {}
        for chunk in _chunks(list(ids), 400):
            marks = ",".join("?" * len(chunk))
            # UNION ALL: an edge with both ends in the chunk comes twice and is kept once here (no sort in SQLite);
            # the side by b is answered from the covering index (b, a, score) alone (migration 0006)
            for row in self.conn.execute(
                    f"SELECT a, b, score FROM story_edges WHERE a IN ({marks}) AND score >= ? UNION ALL "
                    f"SELECT a, b, score FROM story_edges WHERE b IN ({marks}) AND score >= ?",
                    chunk + [min_score] + chunk + [min_score]):
                seen[(row[0], row[1])] = row
        return sorted(seen.values())

    def replace_story_edges(self, ids: Sequence[str], edges: Sequence[tuple[str, str, float, str]]) -> None:
        """Delete every edge touching ``ids`` and store ``edges`` (``a < b``) in one transaction."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for chunk in _chunks(list(ids), 400):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"DELETE FROM story_edges WHERE a IN ({marks}) OR b IN ({marks})", chunk + chunk)
            conn.executemany("INSERT OR REPLACE INTO story_edges(a, b, score, evidence) VALUES (?,?,?,?)",
                             list(edges))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def events_of(self, ids: Iterable[str]) -> dict[str, str]:
        """``{article_id: event_id}`` for the given articles that belong to an event."""
        return self._lookup("event_members", "article_id", "event_id", ids)

    def event_members(self, event_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]:
        """``{event_id: [(article_id, how), ...]}`` (members sorted by article id)."""
        out: dict[str, list[tuple[str, str]]] = {}
        for chunk in _chunks(list(event_ids), 500):
            for eid, aid, how in self.conn.execute(
                    f"SELECT event_id, article_id, how FROM event_members WHERE event_id IN "
                    f"({','.join('?' * len(chunk))}) ORDER BY event_id, article_id", chunk):
                out.setdefault(eid, []).append((aid, how))
        return out

    def replace_events(self, ids: Sequence[str],
                       events: Sequence[tuple[str, str | None, str, Sequence[tuple[str, str]]]], *,
                       profiles: Mapping[str, bytes] | None = None) -> None:
        """Drop the events of the articles ``ids`` (all their members, and their storyline profiles) and store
        ``events`` as ``(event_id, date, record_json, [(article_id, how), ...])``, with the ``profiles`` given
        (``{event_id: profile}``, any mapping; those of events not written are ignored), in one transaction."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            old: set[str] = set()
            for chunk in _chunks(list(ids), 500):
                old.update(r[0] for r in conn.execute(
                    f"SELECT DISTINCT event_id FROM event_members WHERE article_id IN ({','.join('?' * len(chunk))})",
                    chunk))
            old.update(e[0] for e in events)
            for chunk in _chunks(sorted(old), 500):
                marks = ",".join("?" * len(chunk))
                # the storylines of the events dropped are regrouped by the next storyline pass, and the links
                # found for those events are found again for the events that replace them
                conn.execute(f"UPDATE storylines SET stale = 1 WHERE id IN (SELECT storyline_id FROM events "
                             f"WHERE id IN ({marks}) AND storyline_id IS NOT NULL)", chunk)
                conn.execute(f"UPDATE events SET linked = 2 WHERE linked = 1 AND id IN (SELECT b FROM event_links "
                             f"WHERE a IN ({marks}) UNION SELECT a FROM event_links WHERE b IN ({marks}))",
                             chunk + chunk)
                conn.execute(f"DELETE FROM event_links WHERE a IN ({marks}) OR b IN ({marks})", chunk + chunk)
                conn.execute(f"DELETE FROM event_members WHERE event_id IN ({marks})", chunk)
                conn.execute(f"DELETE FROM event_profiles WHERE event_id IN ({marks})", chunk)
                conn.execute(f"DELETE FROM events WHERE id IN ({marks})", chunk)
            for chunk in _chunks(list(ids), 500):
                conn.execute(f"DELETE FROM event_members WHERE article_id IN ({','.join('?' * len(chunk))})", chunk)
            for event_id, date, record, members in events:
                conn.execute("INSERT INTO events(id, storyline_id, date, record) VALUES (?, NULL, ?, ?)",
                             (event_id, date, record))
                conn.executemany("INSERT OR REPLACE INTO event_members(article_id, event_id, how) VALUES (?,?,?)",
                                 [(aid, event_id, how) for aid, how in members])
            written = {e[0] for e in events}
            # read from ``profiles`` 500 at a time (the stories update passes a mapping kept in a temporary file)
            for chunk in _chunks(sorted(e for e in (profiles or {}) if e in written), 500):
                conn.executemany("INSERT OR REPLACE INTO event_profiles(event_id, profile) VALUES (?,?)",
                                 [(e, profiles[e]) for e in chunk])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def event_profiles(self, event_ids: Iterable[str]) -> dict[str, bytes]:
        """``{event_id: profile}`` for the given events that have a stored storyline profile."""
        return self._lookup("event_profiles", "event_id", "profile", event_ids)

    def write_event_profiles(self, rows: Iterable[tuple[str, bytes]]) -> None:
        """Store ``(event_id, profile)`` rows for events that exist (replacing older ones)."""
        with self._immediate() as conn:
            conn.executemany("INSERT OR REPLACE INTO event_profiles(event_id, profile) SELECT ?, ? "
                             "WHERE EXISTS (SELECT 1 FROM events WHERE id = ?)", [(e, p, e) for e, p in rows])

    def get_events(self, event_ids: Iterable[str] | None = None) -> list[tuple[str, str | None, str | None, str]]:
        """``(event_id, storyline_id, date, record_json)`` for the given events, or all (by date, then id)."""
        sql = "SELECT id, storyline_id, date, record FROM events"
        if event_ids is None:
            return self.conn.execute(sql + " ORDER BY COALESCE(date, '9999'), id").fetchall()
        out = []
        for chunk in _chunks(list(event_ids), 500):
            out.extend(self.conn.execute(sql + f" WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall())
        return sorted(out, key=lambda r: r[0])

    def replace_storylines(self, drop: Sequence[str], storylines: Sequence[tuple[str, str, Sequence[str]]], *,
                           links: Sequence[tuple[str, str, float, str]] = (), linked: Sequence[str] = ()) -> None:
        """Delete the storylines ``drop`` (their events keep no storyline) and store ``(storyline_id, record_json,
        event ids)``; store the event ``links`` found (``(a, b, score, actors_json)``, ``a < b``) and mark the
        events ``linked`` as having theirs stored -- in one transaction."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO event_links(a, b, score, actors) VALUES (?,?,?,?)", list(links))
            for chunk in _chunks(sorted(set(linked)), 500):
                conn.execute(f"UPDATE events SET linked = 1 WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            for chunk in _chunks(sorted(set(drop) | {s[0] for s in storylines}), 500):
                marks = ",".join("?" * len(chunk))
                conn.execute(f"UPDATE events SET storyline_id = NULL WHERE storyline_id IN ({marks})", chunk)
                conn.execute(f"DELETE FROM storylines WHERE id IN ({marks})", chunk)
            for storyline_id, record, members in storylines:
                conn.execute("INSERT INTO storylines(id, record) VALUES (?, ?)", (storyline_id, record))
                conn.executemany("UPDATE events SET storyline_id = ? WHERE id = ?",
                                 [(storyline_id, eid) for eid in members])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def get_storylines(self) -> list[tuple[str, str]]:
        """``(storyline_id, record_json)`` for every storyline."""
        return self.conn.execute("SELECT id, record FROM storylines ORDER BY id").fetchall()

    def unlinked_events(self) -> list[str]:
        """Events written since the last storyline pass (their links to other events are not stored yet)."""
        return [r[0] for r in self.conn.execute("SELECT id FROM events WHERE linked = 0 ORDER BY id")]

    def touched_events(self) -> list[str]:
        """Events linked to an event replaced since the last storyline pass."""
        return [r[0] for r in self.conn.execute("SELECT id FROM events WHERE linked = 2 ORDER BY id")]

    def stale_storylines(self) -> list[str]:
        """Storylines that lost one of their events since they were grouped."""
        return [r[0] for r in self.conn.execute("SELECT id FROM storylines WHERE stale = 1 ORDER BY id")]

    def event_links(self, event_ids: Iterable[str]) -> list[tuple[str, str, float, str]]:
        """``(a, b, score, actors_json)`` for every stored link between events touching the given ones."""
        seen: dict[tuple[str, str], tuple[str, str, float, str]] = {}
        for chunk in _chunks(list(event_ids), 400):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                    f"SELECT a, b, score, actors FROM event_links WHERE a IN ({marks}) UNION "
                    f"SELECT a, b, score, actors FROM event_links WHERE b IN ({marks})", chunk + chunk):
                seen[(row[0], row[1])] = row
        return sorted(seen.values())

    def add_story_decision(self, kind: str, articles: Sequence[str], others: Sequence[str], note: str = "") -> int:
        """Record a user decision (merge, split, pin); returns its id."""
        cur = self.conn.execute("INSERT INTO story_decisions(kind, articles, others, note, created_at) "
                                "VALUES (?,?,?,?,?)", (kind, json.dumps(sorted(articles)),
                                                       json.dumps(sorted(others)), note, _now()))
        return int(cur.lastrowid)

    def story_decisions(self) -> list[tuple[int, str, list[str], list[str], str, str]]:
        """``(id, kind, articles, others, note, created_at)`` for every decision, in the order they were made."""
        return [(r[0], r[1], json.loads(r[2]), json.loads(r[3]), r[4], r[5]) for r in self.conn.execute(
            "SELECT id, kind, articles, others, note, created_at FROM story_decisions ORDER BY id")]

    def article_meta(self, ids: Iterable[str]) -> dict[str, tuple[str | None, str | None, str | None, str]]:
        """``{article_id: (title, outlet, published, text_hash)}`` without the body text."""
        out: dict[str, tuple] = {}
        for chunk in _chunks(list(ids), 500):
            for r in self.conn.execute(f"SELECT id, title, outlet, published, text_hash FROM articles WHERE id IN "
                                       f"({','.join('?' * len(chunk))})", chunk):
                out[r[0]] = (r[1], r[2], r[3], r[4])
        return out


    # --- export
    def iter_entity_rows(self) -> Iterator[dict]:
        """Every entity of every analysed article as a flat row: ``article_id, key, name, label, corpus_key,
        acronym, mentions`` (how many) and ``forms`` (list of surface forms), by article and key."""
        for r in self.conn.execute("SELECT article_id, key, name, label, corpus_key, acronym, mentions, forms "
                                   "FROM entities ORDER BY article_id, key"):
            yield {"article_id": r[0], "key": r[1], "name": r[2], "label": r[3], "corpus_key": r[4],
                   "acronym": r[5], "mentions": r[6], "forms": json.loads(r[7])}

    def iter_quote_rows(self) -> Iterator[dict]:
        """Every quote as a flat row: ``article_id, idx, kind, speaker, speaker_entity, speaker_name, resolution,
        cue, content, start, end`` (offsets into the article text), by article and position."""
        cols = ("article_id", "idx", "kind", "speaker", "speaker_entity", "speaker_name", "resolution", "cue",
                "content", "start", "end")
        for r in self.conn.execute(f"SELECT {', '.join(cols)} FROM quotes ORDER BY article_id, idx"):
            yield dict(zip(cols, r))

    def iter_fact_rows(self) -> Iterator[dict]:
        """Every fact as a flat row: ``article_id, idx, kind, value, qualifier, counted, predicate, granularity,
        text, start, end`` (offsets into the article text), by article and position."""
        cols = ("article_id", "idx", "kind", "value", "qualifier", "counted", "predicate", "granularity", "text",
                "start", "end")
        for r in self.conn.execute(f"SELECT {', '.join(cols)} FROM facts ORDER BY article_id, idx"):
            yield dict(zip(cols, r))


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements (trigger bodies contain semicolons, so complete_statement decides)."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not current.strip():
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
