"""The SQLite store: migrations, idempotent re-ingest, updates in place, full-text search, store URLs."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import INPUTS, SEEDS, dump, locator_of
from storydiff import StoreError, ingest, open_store
from storydiff.store.sqlite import SCHEMA_VERSION, SQLiteStore, migrations


def table_names(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger', 'index')")}


def test_fresh_store_is_at_the_current_schema(store):
    assert store.schema_version() == SCHEMA_VERSION == max(v for v, _, _ in migrations())
    assert {"articles", "articles_fts", "signatures", "lsh_bands", "duplicates", "runs", "problems"} <= table_names(
        store.conn)


def test_reopening_does_not_rerun_migrations(tmp_path):
    path = tmp_path / "s.db"
    with SQLiteStore(path) as first:
        ingest([str(INPUTS / "plain/council.txt")], first, workers=1)
        before = dump(first)
        schema = table_names(first.conn)
    with SQLiteStore(path) as again:  # would fail with "table articles already exists" if re-run
        assert again.schema_version() == SCHEMA_VERSION
        assert again.migrate() == SCHEMA_VERSION
        assert table_names(again.conn) == schema
        assert dump(again) == before


def test_newer_store_is_refused(tmp_path):
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(path)


def test_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="storydiff database"):
        open_store(path)


@pytest.mark.parametrize("url, message", [
    ("postgresql://user@localhost/news", "PostgreSQL"),
    ("postgres://localhost/news", "PostgreSQL"),
    ("mysql://localhost/news", "unknown store URL"),
])
def test_open_store_rejects_other_urls(url, message):
    with pytest.raises(StoreError, match=message):
        open_store(url)


def test_open_store_sqlite_url(tmp_path):
    path = tmp_path / "x.db"
    store = open_store(f"sqlite:///{path}")
    try:
        assert isinstance(store, SQLiteStore) and store.schema_version() == SCHEMA_VERSION
    finally:
        store.close()
    assert path.exists()


def test_cli_reports_a_bad_store_url(cli):
    result = cli("--db", "postgresql://x/y", "articles", raw=True)
    assert result.exit_code == 1
    assert "PostgreSQL" in result.output


def test_reingesting_changes_nothing(store):
    paths = [str(INPUTS), str(SEEDS)]
    first = ingest(paths, store, workers=1)
    assert first.stored == 29 and first.duplicates > 0 and first.problems
    before, before_full = dump(store), dump(store, bookkeeping=True)
    again = ingest(paths, store, workers=1)
    assert (again.stored, again.updated, again.duplicates) == (0, 0, 0)
    assert again.unchanged == again.read == first.read
    assert again.problems == first.problems
    assert dump(store) == before
    # not even rewritten: the articles keep the run that stored them (a problem seen again is stamped with the
    # latest run that saw it, so only the problems' run_id may move)
    after_full = dump(store, bookkeeping=True)
    for table in ("articles", "signatures", "lsh_bands", "duplicates"):
        assert after_full[table] == before_full[table], table
    assert len(store.runs()) == 2


def test_same_input_twice_in_one_run_is_stored_once(store):
    path = str(INPUTS / "plain/council.txt")
    summary = ingest([path, path], store, workers=1)
    assert (summary.stored, summary.unchanged) == (1, 1)
    assert store.count_articles() == 1


def test_changed_content_updates_the_article(store, tmp_path):
    path = tmp_path / "story.txt"
    original = (INPUTS / "plain/council.txt").read_text("utf-8")
    path.write_text(original, "utf-8")
    ingest([str(path)], store, workers=1)
    [before] = list(store.iter_articles())
    changed = original.replace("Mayor Alan Pike", "Mayor Zebedee Quillfeather")
    assert changed != original
    path.write_text(changed, "utf-8")
    summary = ingest([str(path)], store, workers=1)
    assert (summary.stored, summary.updated, summary.unchanged) == (0, 1, 0)
    [after] = list(store.iter_articles())
    assert after.id == before.id and after.locator == locator_of(path)
    assert "Zebedee Quillfeather" in after.text and "Alan Pike" not in after.text
    assert after.raw_hash != before.raw_hash
    assert store.conn.execute("SELECT revision FROM articles WHERE id=?", (after.id,)).fetchone()[0] == 2
    # the full-text index follows the update
    assert [h.row.id for h in store.search("Quillfeather")] == [after.id]
    assert store.search("Pike") == []
    assert store.conn.execute("SELECT COUNT(*) FROM signatures").fetchone()[0] == 1


def test_update_replaces_duplicate_links(store, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    text = (INPUTS / "plain/council.txt").read_text("utf-8")
    a.write_text(text, "utf-8")
    b.write_text(text, "utf-8")
    ingest([str(a), str(b)], store, workers=1)
    assert [link.kind for link in store.duplicate_links()] == ["exact"]
    b.write_text((INPUTS / "plain/flood.txt").read_text("utf-8"), "utf-8")
    summary = ingest([str(a), str(b)], store, workers=1)
    assert summary.updated == 1
    assert store.duplicate_links() == []


def test_search_finds_a_word_with_a_marked_snippet(store):
    ingest([str(INPUTS / "html/article.html"), str(INPUTS / "plain/council.txt")], store, workers=1)
    hits = store.search("corroded")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.row.title == "Kestrel Bridge reopens to traffic after two-year rebuild"
    assert "\x02corroded\x03" in hit.snippet
    # the title is searched too
    assert [h.row.title for h in store.search("Kestrel")][0] == hit.row.title
    assert store.search("nonexistentword") == []


@pytest.mark.parametrize("query", ['"unbalanced', "24/7 AND (", "NEAR(", "title:", "'", "*", "council -", "^", "AND",
                                   "NEAR/3"])
def test_search_with_punctuation_does_not_crash(store, query):
    ingest([str(INPUTS / "plain/council.txt")], store, workers=1)
    assert isinstance(store.search(query), list)


def test_search_with_punctuation_still_finds(store):
    ingest([str(INPUTS / "plain/council.txt")], store, workers=1)
    assert len(store.search('council"')) == 1  # not FTS5 syntax: searched as plain words
    assert len(store.search('"Norhaven council')) == 1
    # and says why, so that a user can fix the query; a valid expression has no problem
    assert "syntax error" in store.query_problem('council NEAR/5 vote')
    assert store.query_problem('NEAR(council vote, 5)') is None and store.query_problem("council") is None


def test_search_command(cli):
    assert cli("ingest", str(INPUTS / "html/article.html"), "--workers", "1", "--quiet").exit_code == 0
    result = cli("search", "corroded")
    assert result.exit_code == 0
    assert "[corroded]" in result.stdout
    assert cli("search", '"unbalanced').exit_code == 0
    noted = cli("search", "corroded NEAR/5 bridge")
    assert noted.exit_code == 0 and "[corroded]" in noted.stdout
    assert "searched for its words instead" in noted.stderr and "NEAR(a b, 5)" in noted.stderr
    assert "note:" not in cli("search", "NEAR(corroded bridge, 20)").stderr
