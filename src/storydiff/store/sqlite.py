"""SQLite backend: one file, WAL journal, versioned migrations, FTS5 full-text search."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
        out: dict[str, str] = {}
        for chunk in _chunks(list(locators), 500):
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT locator, raw_hash FROM articles WHERE locator IN ({marks})",
                                         chunk).fetchall())
        return out

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
        """Ids of articles with no analysis by ``stage``/``version`` for their current text (new or changed)."""
        return [r[0] for r in self.conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN analyses n ON n.article_id = a.id "
            "WHERE n.article_id IS NULL OR n.text_hash != a.text_hash OR n.stage != ? OR n.version != ? "
            "ORDER BY a.rowid", (stage, version))]

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

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Full-text search (FTS5 syntax; a plain phrase is quoted so punctuation cannot break the query)."""
        def run(q: str):
            return self.conn.execute(
                f"SELECT {', '.join('a.' + c.strip() for c in _ROW_COLUMNS.split(','))}, "
                "snippet(articles_fts, 1, char(2), char(3), ' … ', 24), bm25(articles_fts) "
                "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
                "WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts) LIMIT ?", (q, limit)).fetchall()
        try:
            rows = run(query)
        except sqlite3.OperationalError:
            rows = run(" ".join('"' + w.replace('"', '""') + '"' for w in query.split()))
        return [SearchHit(ArticleRow(*r[:9]), r[9] or "", float(r[10])) for r in rows]

    def duplicate_links(self) -> list[DuplicateLink]:
        return [DuplicateLink(*r) for r in self.conn.execute(
            "SELECT a, b, kind, similarity FROM duplicates ORDER BY a, b")]

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
