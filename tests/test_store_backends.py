"""The store tests on every backend: SQLite and PostgreSQL (a real throwaway server, see ``pg_server.py``).

Each check runs against both backends through ``open_store(url)``; the cross-backend tests then ingest, analyse and
cluster the same inputs into both and require every read method to give the same answers.
"""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from conftest import INPUTS, SEEDS, dump_connection, locator_of
from pg_server import pg_server, pg_url  # noqa: F401  (fixtures)

from storydiff import StoreError, ingest, open_store
from storydiff.model import Article, Problem
from storydiff.store.sqlite import SCHEMA_VERSION, SQLiteStore, migrations

DUMP_TABLES = ("articles", "signatures", "lsh_bands", "duplicates", "problems")
BOOKKEEPING = ("rowid", "run_id")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """Where a fresh store of each backend lives: a SQLite file path, or a new database on the test server."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def any_store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


def is_pg(store) -> bool:
    return not isinstance(store, SQLiteStore)


def query(store, sql: str, args=()) -> list[tuple]:
    """Run ``sql`` (``?`` placeholders) on either backend."""
    if is_pg(store):
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r)
                for r in store.conn.execute(sql.replace("?", "%s"), args).fetchall()]
    return store.conn.execute(sql, args).fetchall()


def dump(store, *, bookkeeping: bool = False) -> dict[str, list[tuple]]:
    """Every row of the compared tables, sorted, as plain tuples, on either backend (same columns on both)."""
    if not is_pg(store):
        out = dump_connection(store.conn, bookkeeping=bookkeeping)
        return out
    out = {}
    for table in DUMP_TABLES:
        columns = [r[0] for r in store.conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name=%s AND table_schema=current_schema() "
            "ORDER BY ordinal_position", (table,)) if r[0] != "fts"]
        if not bookkeeping:
            columns = [c for c in columns if c not in BOOKKEEPING]
        quoted = ", ".join(f'"{c}"' for c in columns)
        out[table] = sorted(query(store, f"SELECT {quoted} FROM {table}"), key=repr)
    return out


def set_schema_version(url: str, version: int) -> None:
    if url.startswith("postgresql://"):
        import psycopg
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("UPDATE schema_version SET version=%s", (version,))
    else:
        conn = sqlite3.connect(url)
        conn.execute(f"PRAGMA user_version={version}")
        conn.close()


# --- schema and URLs

def test_both_backends_have_the_same_migration_versions():
    from storydiff.store.postgres import SCHEMA_VERSION as PG_VERSION
    from storydiff.store.postgres import migrations as pg_migrations
    assert [v for v, _, _ in pg_migrations()] == [v for v, _, _ in migrations()]
    assert PG_VERSION == SCHEMA_VERSION


def test_fresh_store_is_at_the_current_schema(any_store):
    assert any_store.schema_version() == SCHEMA_VERSION


def test_open_store_selects_the_backend(store_url):
    from storydiff.store.postgres import PostgresStore
    with open_store(store_url) as s:
        assert isinstance(s, PostgresStore if store_url.startswith("postgresql://") else SQLiteStore)
        assert s.url.endswith(store_url)


def test_postgres_url_without_a_server_is_a_store_error():
    with pytest.raises(StoreError, match="PostgreSQL"):
        open_store("postgresql://nobody@127.0.0.1:1/nothing")


def test_reopening_does_not_rerun_migrations(store_url):
    with open_store(store_url) as first:
        ingest([str(INPUTS / "plain/council.txt")], first, workers=1)
        before = dump(first)
    with open_store(store_url) as again:
        assert again.schema_version() == SCHEMA_VERSION
        assert again.migrate() == SCHEMA_VERSION
        assert dump(again) == before


def test_newer_store_is_refused(store_url):
    open_store(store_url).close()
    set_schema_version(store_url, SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="newer"):
        open_store(store_url)


# --- ingest

def test_reingesting_changes_nothing(any_store):
    store = any_store
    paths = [str(INPUTS), str(SEEDS)]
    first = ingest(paths, store, workers=1)
    assert first.stored == 29 and first.duplicates > 0 and first.problems
    before, before_full = dump(store), dump(store, bookkeeping=True)
    again = ingest(paths, store, workers=1)
    assert (again.stored, again.updated, again.duplicates) == (0, 0, 0)
    assert again.unchanged == again.read == first.read
    assert again.problems == first.problems
    assert dump(store) == before
    after_full = dump(store, bookkeeping=True)
    for table in ("articles", "signatures", "lsh_bands", "duplicates"):
        assert after_full[table] == before_full[table], table
    assert len(store.runs()) == 2


def test_same_input_twice_in_one_run_is_stored_once(any_store):
    path = str(INPUTS / "plain/council.txt")
    summary = ingest([path, path], any_store, workers=1)
    assert (summary.stored, summary.unchanged) == (1, 1)
    assert any_store.count_articles() == 1


def test_changed_content_updates_the_article(any_store, tmp_path):
    store = any_store
    path = tmp_path / "story.txt"
    original = (INPUTS / "plain/council.txt").read_text("utf-8")
    path.write_text(original, "utf-8")
    ingest([str(path)], store, workers=1)
    [before] = list(store.iter_articles())
    path.write_text(original.replace("Mayor Alan Pike", "Mayor Zebedee Quillfeather"), "utf-8")
    summary = ingest([str(path)], store, workers=1)
    assert (summary.stored, summary.updated, summary.unchanged) == (0, 1, 0)
    [after] = list(store.iter_articles())
    assert after.id == before.id and after.locator == locator_of(path)
    assert "Zebedee Quillfeather" in after.text and "Alan Pike" not in after.text
    assert query(store, "SELECT revision FROM articles WHERE id=?", (after.id,)) == [(2,)]
    assert [h.row.id for h in store.search("Quillfeather")] == [after.id]  # the full-text index follows
    assert store.search("Pike") == []
    assert query(store, "SELECT COUNT(*) FROM signatures") == [(1,)]


def test_update_replaces_duplicate_links(any_store, tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    text = (INPUTS / "plain/council.txt").read_text("utf-8")
    a.write_text(text, "utf-8")
    b.write_text(text, "utf-8")
    ingest([str(a), str(b)], any_store, workers=1)
    assert [link.kind for link in any_store.duplicate_links()] == ["exact"]
    (link,) = any_store.duplicate_links()
    assert any_store.duplicate_links([link.a, link.b, "elsewhere"]) == [link]   # only links between the given ids
    assert any_store.duplicate_links([link.a]) == any_store.duplicate_links([]) == []
    b.write_text((INPUTS / "plain/flood.txt").read_text("utf-8"), "utf-8")
    assert ingest([str(a), str(b)], any_store, workers=1).updated == 1
    assert any_store.duplicate_links() == []


def test_a_problem_is_cleared_when_the_input_is_stored(any_store, tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps({"title": "No body here"}) + "\n", "utf-8")
    ingest([str(path)], any_store, workers=1)
    assert [p.locator for p in any_store.problems()] == [locator_of(path, "L1")]
    body = (INPUTS / "plain/council.txt").read_text("utf-8")
    path.write_text(json.dumps({"title": "Now with a body", "text": body}) + "\n", "utf-8")
    assert ingest([str(path)], any_store, workers=1).stored == 1
    assert any_store.problems() == []


def test_write_batch_is_atomic(any_store):
    store = any_store
    run = store.begin_run("test", [])
    article = next(iter(_seed_articles()))
    with pytest.raises(Exception, match="(?i)null"):
        store.write_batch(run, [article], {article.id: b"sig"}, {article.id: [1, 2]}, [],
                          [Problem(None, "boom", "")])  # type: ignore[arg-type]
    assert store.count_articles() == 0
    assert query(store, "SELECT COUNT(*) FROM signatures") == [(0,)]
    store.write_batch(run, [article], {article.id: b"sig"}, {article.id: [1, 2]}, [], [])
    assert store.count_articles() == 1 and store.lsh_candidates([2])[0].signature == b"sig"


def _seed_articles() -> list[Article]:
    with SQLiteStore(":memory:") as mem:
        ingest([str(SEEDS)], mem, workers=1)
        return list(mem.iter_articles())


def test_concurrent_ingests_store_each_article_once(store_url):
    open_store(store_url).close()  # migrated before the race
    paths = [str(INPUTS), str(SEEDS)]
    errors: list[BaseException] = []

    def work():
        try:
            with open_store(store_url) as s:
                ingest(paths, s, workers=1, batch_size=4)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    with open_store(store_url) as s:
        assert s.count_articles() == 29
        ids = [r.id for r in s.list_articles()]
        assert len(ids) == len(set(ids)) == 29
        assert query(s, "SELECT COUNT(*) FROM signatures") == [(29,)]


# --- full-text search

def test_search_finds_a_word_with_a_marked_snippet(any_store):
    ingest([str(INPUTS / "html/article.html"), str(INPUTS / "plain/council.txt")], any_store, workers=1)
    [hit] = any_store.search("corroded")
    assert hit.row.title == "Kestrel Bridge reopens to traffic after two-year rebuild"
    assert "\x02corroded\x03" in hit.snippet
    assert [h.row.title for h in any_store.search("Kestrel")][0] == hit.row.title  # the title is searched too
    assert any_store.search("nonexistentword") == []


@pytest.mark.parametrize("text", ['"unbalanced', "24/7 AND (", "NEAR(", "title:", "'", "*", "council -", "^"])
def test_search_with_punctuation_does_not_crash(any_store, text):
    ingest([str(INPUTS / "plain/council.txt")], any_store, workers=1)
    assert isinstance(any_store.search(text), list)


def test_search_with_punctuation_still_finds(any_store):
    ingest([str(INPUTS / "plain/council.txt")], any_store, workers=1)
    assert len(any_store.search('council"')) == 1
    assert len(any_store.search('"Norhaven council')) == 1


# --- the same answers from both backends

@pytest.fixture(scope="module")
def both(tmp_path_factory, pg_server):  # noqa: F811
    """A SQLite and a PostgreSQL store holding the same ingested, analysed and clustered inputs."""
    from storydiff.analysis import analyze
    from storydiff.stories import update_stories

    name = pg_server.create_database()
    stores = [open_store(str(tmp_path_factory.mktemp("lite") / "s.db")), open_store(pg_server.url(name))]
    for s in stores:
        ingest([str(INPUTS), str(SEEDS)], s, workers=1)
        analyze(s, workers=1)
        update_stories(s)
    yield stores
    for s in stores:
        s.close()
    pg_server.drop_database(name)


def test_both_backends_store_the_same_rows(both):
    lite, pg = both
    assert dump(lite) == dump(pg)


def test_analyses_round_trip_on_both_backends(both):
    from storydiff.analysis import STAGE, VERSION
    lite, pg = both
    assert lite.count_analyses() == pg.count_analyses() == lite.count_articles() == 29
    assert pg.pending_analysis(STAGE, VERSION) == lite.pending_analysis(STAGE, VERSION) == []
    assert list(pg.iter_analyses()) == list(lite.iter_analyses())
    ids = [r.id for r in lite.list_articles()]
    assert [pg.get_analysis(i) for i in ids] == [lite.get_analysis(i) for i in ids]
    assert sorted(pg.iter_analyses(ids[:5]), key=lambda a: a.article_id) == sorted(
        lite.iter_analyses(ids[:5]), key=lambda a: a.article_id)
    assert any(a.entities and a.quotes for a in pg.iter_analyses())
    assert list(pg.entity_rows()) == list(lite.entity_rows())
    assert list(pg.iter_entity_rows()) == list(lite.iter_entity_rows())
    assert list(pg.iter_quote_rows()) == list(lite.iter_quote_rows())
    assert list(pg.iter_fact_rows()) == list(lite.iter_fact_rows())
    assert pg.entity_corpus_keys(ids) == lite.entity_corpus_keys(ids)


def test_reading_methods_agree(both):
    lite, pg = both
    ids = [r.id for r in lite.list_articles()]
    assert pg.list_articles() == lite.list_articles()
    assert pg.list_articles(limit=5, offset=3) == lite.list_articles(limit=5, offset=3)
    assert list(pg.iter_articles()) == list(lite.iter_articles())
    assert list(pg.iter_articles(ids[::-1])) == list(lite.iter_articles(ids[::-1]))
    assert pg.get_article(ids[0]) == lite.get_article(ids[0]) and pg.get_article("nope") is None
    assert pg.duplicate_links() == lite.duplicate_links()
    assert pg.problems() == lite.problems()
    assert pg.article_meta(ids) == lite.article_meta(ids)
    assert pg.known_raw_hashes([a.locator for a in lite.iter_articles()]) == lite.known_raw_hashes(
        [a.locator for a in lite.iter_articles()])
    art = lite.get_article(ids[0])
    assert pg.ids_with_text_hash(art.text_hash) == lite.ids_with_text_hash(art.text_hash)
    # the web app's queries
    assert pg.outlet_counts() == lite.outlet_counts()
    for outlet, _ in lite.outlet_counts():
        assert pg.count_by_outlet(outlet) == lite.count_by_outlet(outlet)
        assert pg.list_articles(outlet=outlet) == lite.list_articles(outlet=outlet)
        if outlet:
            assert sorted(pg.speakers_of_outlet(outlet)) == sorted(lite.speakers_of_outlet(outlet))
            assert sorted(pg.cues_of_outlet(outlet)) == sorted(lite.cues_of_outlet(outlet))
    top = lite.top_entities()
    assert pg.top_entities() == top and top
    for key, *_ in top[:10]:
        assert pg.entity_articles(key) == lite.entity_articles(key)
        assert pg.quotes_by_entity(key) == lite.quotes_by_entity(key)


def test_stories_agree(both):
    from storydiff.stories import list_events, list_storylines
    lite, pg = both
    assert pg.story_ready_ids() == lite.story_ready_ids() and lite.story_ready_ids()
    assert pg.story_index_state()[0] == lite.story_index_state()[0]
    assert list_events(pg) == list_events(lite) and list_events(lite)
    assert list_storylines(pg) == list_storylines(lite)
    ids = lite.story_ready_ids()
    assert pg.story_edges(ids) == lite.story_edges(ids)
    assert pg.story_links(ids, 0.75) == lite.story_links(ids, 0.75)
    assert pg.events_of(ids) == lite.events_of(ids)
    events = [e[0] for e in lite.get_events()]
    assert pg.get_events() == lite.get_events()
    assert pg.event_members(events) == lite.event_members(events)
    assert pg.story_features(ids) == lite.story_features(ids)
    assert [(a, v, t) for a, _, v, t in pg.story_vectors(ids)] == [(a, v, t) for a, _, v, t in lite.story_vectors(ids)]
    published = {a: json.loads(r)["published"] for a, r in lite.story_features(ids).items()}
    for store in (lite, pg):
        keys = {k: a for a, k, _, _ in store.story_vectors(ids)}
        assert {keys[k]: p for k, p in store.story_key_published(keys).items()} == published
    assert any(published.values())
    assert pg.stories_index_path() is None


def test_story_decisions_and_vectors_on_both(any_store):
    store = any_store
    ingest([str(SEEDS)], store, workers=1)
    ids = [r.id for r in store.list_articles()]
    text_hash = store.article_meta([ids[0]])[ids[0]][3]
    first = store.write_story_vectors([(ids[0], "old", "m", b"\x00" * 8, "{}")])
    again = store.write_story_vectors([(ids[0], text_hash, "m", b"\x01" * 8, "{}")])
    assert again[ids[0]][1] == first[ids[0]][0] and again[ids[0]][0] > first[ids[0]][0]
    assert list(store.story_vectors(keys=[again[ids[0]][0]])) == [(ids[0], again[ids[0]][0], b"\x01" * 8, "{}")]
    assert store.story_index_state() == (1, again[ids[0]][0])
    assert set(store.pending_story_vectors("m")) == set(ids[1:])
    # the candidate window reads each key's publication date from its stories features, without the records
    key = again[ids[0]][0]
    assert store.story_key_published([key]) == {}  # no features yet: left out
    store.write_story_features([(ids[0], text_hash, "v", json.dumps({"published": "2021-03-04", "entities": []}))])
    assert store.story_key_published([key, key + 99]) == {key: "2021-03-04"}
    store.write_story_features([(ids[0], text_hash, "v", json.dumps({"published": None}))])
    assert store.story_key_published([key]) == {key: None}
    d1 = store.add_story_decision("merge", [ids[1], ids[0]], [ids[2]], "same meeting")
    d2 = store.add_story_decision("pin", [ids[3]], [])
    assert d2 > d1
    assert [(k, a, o, n) for _, k, a, o, n, _ in store.story_decisions()] == [
        ("merge", sorted([ids[0], ids[1]]), [ids[2]], "same meeting"), ("pin", [ids[3]], [], "")]
    store.replace_events([], [("ev1", "2024-01-01", "{}", [(ids[0], "clustered"), (ids[1], "pinned")])])
    store.replace_storylines([], [("sl1", "{}", ["ev1"])])
    assert store.get_events() == [("ev1", "sl1", "2024-01-01", "{}")]
    store.replace_events([ids[0]], [])
    assert store.get_events() == [] and store.events_of(ids) == {}
    assert store.get_storylines() == [("sl1", "{}")]
    store.replace_story_edges([], [(ids[0], ids[1], 0.5, "{}"), (ids[1], ids[2], 0.2, "{}")])
    assert store.story_edges([ids[1]], min_score=0.3) == [(ids[0], ids[1], 0.5, "{}")]
    assert store.story_links([ids[1]], min_score=0.3) == [(ids[0], ids[1], 0.5)]
    store.replace_story_edges([ids[1]], [])
    assert store.story_edges(ids) == []


def test_story_rows_follow_the_terms_and_features_they_are_made_from(any_store):
    # a scoring row is kept until the terms (story_vectors) or features it was made from are written again
    store = any_store
    ingest([str(SEEDS)], store, workers=1)
    ids = sorted(r.id for r in store.list_articles())[:3]
    hashes = {a: m[3] for a, m in store.article_meta(ids).items()}
    store.write_story_vectors([(a, hashes[a], "m", bytes([n]) * 8, "{}") for n, a in enumerate(ids)])
    assert store.story_rows_missing() == []                      # no features yet: nothing to score
    store.write_story_features([(a, hashes[a], "v", "{}") for a in ids[:2]])
    assert store.story_rows_missing() == ids[:2]
    store.write_story_rows([(a, b"row-" + a.encode()) for a in ids[:2]])
    assert store.story_rows_missing() == []
    assert sorted(store.story_rows(ids)) == [(a, bytes([n]) * 8, b"row-" + a.encode()) for n, a in enumerate(ids[:2])]
    store.write_story_features([(ids[0], hashes[ids[0]], "v2", "{}")])      # features written again
    store.write_story_vectors([(ids[1], hashes[ids[1]], "m2", b"\x09" * 8, "{}")])   # vector and terms again
    assert store.story_rows_missing() == ids[:2]
    assert list(store.story_rows(ids)) == []


def test_event_profiles_are_written_and_dropped_with_their_events(any_store):
    store = any_store
    ingest([str(SEEDS)], store, workers=1)
    ids = sorted(r.id for r in store.list_articles())[:3]
    store.replace_events([], [("ev1", None, "{}", [(ids[0], "clustered")]),
                              ("ev2", None, "{}", [(ids[1], "clustered")])],
                         profiles={"ev1": b"p1", "ev2": b"p2", "ev9": b"not an event written"})
    assert store.event_profiles(["ev1", "ev2", "ev9"]) == {"ev1": b"p1", "ev2": b"p2"}
    store.write_event_profiles([("ev2", b"p2 again"), ("ev8", b"no such event")])
    assert store.event_profiles(["ev2", "ev8"]) == {"ev2": b"p2 again"}
    # ev1 replaced (its article re-clustered into ev3, written without a profile): its profile goes with it
    store.replace_events([ids[0]], [("ev3", None, "{}", [(ids[0], "clustered"), (ids[2], "clustered")])])
    assert store.event_profiles(["ev1", "ev2", "ev3"]) == {"ev2": b"p2 again"}


def test_stories_pending_marks_keep_the_first_pairs_until_cleared(any_store):
    """What an interrupted stories update leaves: its marked articles and their pairs before it; marking again keeps
    the pairs first kept (the graph before the first, interrupted, update)."""
    store = any_store
    assert store.stories_pending() == ([], [])
    store.mark_stories_pending(["b", "a"], [("a", "b", 0.91), ("a", "c", 0.8)])
    store.mark_stories_pending(["a", "d"], [("a", "b", 0.5), ("b", "d", 0.77)])
    assert store.stories_pending() == (["a", "b", "d"], [("a", "b", 0.91), ("a", "c", 0.8), ("b", "d", 0.77)])
    store.clear_stories_pending()
    assert store.stories_pending() == ([], [])


def test_export_agrees(both, tmp_path):
    from storydiff.export import export_store
    lite, pg = both
    export_store(lite, str(tmp_path / "lite"), ["jsonl"])
    export_store(pg, str(tmp_path / "pg"), ["jsonl"])
    names = sorted(p.name for p in (tmp_path / "lite").glob("*.jsonl"))
    assert names == sorted(p.name for p in (tmp_path / "pg").glob("*.jsonl"))
    for name in names:
        if name in ("runs.jsonl", "analyses.jsonl", "story_decisions.jsonl"):  # timestamps of when they ran
            continue
        assert (tmp_path / "pg" / name).read_text("utf-8") == (tmp_path / "lite" / name).read_text("utf-8"), name


def test_cli_on_a_postgres_store(cli, pg_url):  # noqa: F811
    assert cli("ingest", str(INPUTS / "html/article.html"), "--workers", "1", "--quiet", db=pg_url).exit_code == 0
    result = cli("search", "corroded", db=pg_url)
    assert result.exit_code == 0 and "[corroded]" in result.stdout
    result = cli("articles", db=pg_url)
    assert result.exit_code == 0 and "Kestrel Bridge" in result.stdout


def test_web_app_on_both_backends(both):
    httpx = pytest.importorskip("httpx")
    pytest.importorskip("fastapi")
    import asyncio

    from storydiff.web import create_app
    lite, pg = both

    def get(app, path):
        async def run():
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
                return await client.get(path)
        return asyncio.run(run())

    apps = [create_app(lite.path), create_app(pg.url)]
    for path in ["/", "/articles", "/search?q=genocide", "/compare", "/outlets/RFA", "/entities/NAME%3Auigur"]:
        assert [get(app, path).status_code for app in apps] == [200, 200], path
    for path in ["/api/overview", "/api/articles", "/api/outlets/RFA", "/api/entities/NAME:uigur", "/api/compare"]:
        answers = [get(app, path).json() for app in apps]
        for answer in answers:  # ties in count order are in no defined order on either backend
            for key in ("cues", "speakers"):
                if isinstance(answer, dict) and key in answer:
                    answer[key] = sorted(answer[key], key=lambda x: json.dumps(x, sort_keys=True))
        assert answers[0] == answers[1], path
    hits = [get(app, "/api/search?q=genocide").json() for app in apps]
    assert hits[1]["hits"]
    assert {h["id"] for h in hits[0]["hits"]} == {h["id"] for h in hits[1]["hits"]}


def test_group_first_then_analyse_only_the_grouped(any_store):
    """Articles grouped on their names before any parse; only those of multi-article events are then analysed,
    and their features are made again from the analysis (both backends answer the new query alike)."""
    from storydiff.analysis import analyze
    from storydiff.stories import articles_to_analyze, update_stories
    from storydiff.stories.features import FEATURES_VERSION, NAMES_VERSION

    store = any_store
    ingest([str(SEEDS)], store, workers=1)
    ids = sorted(a.id for a in store.iter_articles())
    assert store.pending_name_features(NAMES_VERSION) == ids
    assert update_stories(store).waiting == len(ids)                  # by default they wait for the analysis
    summary = update_stories(store, unanalysed="names")
    assert summary.waiting == 0 and summary.featured == len(ids)
    assert store.pending_name_features(NAMES_VERSION) == [] and store.story_ready_ids() == ids
    assert all(json.loads(r)["version"] == NAMES_VERSION for r in store.story_features(ids).values())
    grouped = articles_to_analyze(store)
    members = store.event_members(sorted(set(store.events_of(ids).values())))
    assert grouped == sorted(a for m in members.values() if len(m) >= 2 for a, _ in m) and grouped
    assert analyze(store, workers=1, only=grouped).analyzed == len(grouped)
    assert store.pending_story_features(FEATURES_VERSION) == grouped
    update_stories(store, unanalysed="names")
    versions = {a: json.loads(r)["version"] for a, r in store.story_features(ids).items()}
    assert {a for a, v in versions.items() if v == FEATURES_VERSION} == set(grouped)
    assert {a for a, v in versions.items() if v == NAMES_VERSION} == set(ids) - set(grouped)
    assert store.pending_name_features(NAMES_VERSION) == []


def test_pending_features_follow_a_changed_text(any_store, tmp_path):
    """An article whose text changed after it was analysed and grouped: its old analysis and features no longer
    count, so it waits for names features again (not for analysis features); the others are not pending."""
    import shutil

    from storydiff.analysis import analyze
    from storydiff.stories import update_stories
    from storydiff.stories.features import FEATURES_VERSION, NAMES_VERSION

    store = any_store
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    ingest([str(corpus)], store, workers=1)
    analyze(store, workers=1)
    update_stories(store)
    assert store.pending_story_features(FEATURES_VERSION) == [] and store.pending_name_features(NAMES_VERSION) == []
    path = sorted(corpus.glob("*.txt"))[0]
    path.write_text(path.read_text("utf-8") + "\n\nA closing paragraph added to the article afterwards.\n", "utf-8")
    ingest([str(corpus)], store, workers=1)
    changed = [a.id for a in store.iter_articles() if a.locator.startswith(str(path))]
    assert len(changed) == 1
    assert store.pending_name_features(NAMES_VERSION) == changed
    assert store.pending_story_features(FEATURES_VERSION) == []
    analyze(store, workers=1)
    assert store.pending_story_features(FEATURES_VERSION) == changed
    assert store.pending_name_features(NAMES_VERSION) == []


def test_the_log_of_changes_names_what_was_stored_or_analysed(any_store, tmp_path):
    """Storing an article (new, or a new version) and analysing it log it, whatever wrote it; an update takes the
    log up to what it read, so what is logged after stays for the next; the scans restricted to some ids answer as
    the whole-store scans do for those ids."""
    import shutil

    from storydiff.analysis import analyze
    from storydiff.stories.features import FEATURES_VERSION, NAMES_VERSION

    store = any_store
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    assert store.story_changes() == (0, []) and store.story_changes_state() is None
    ingest([str(corpus)], store, workers=1)
    ids = sorted(a.id for a in store.iter_articles())
    upto, logged = store.story_changes()
    assert logged == ids and upto > 0
    store.take_story_changes(upto, "settings-1")
    assert store.story_changes() == (0, []) and store.story_changes_state() == "settings-1"
    analyze(store, workers=1)
    upto, logged = store.story_changes()
    assert logged == ids
    path = sorted(corpus.glob("*.txt"))[0]
    path.write_text(path.read_text("utf-8") + "\n\nA closing paragraph added to the article afterwards.\n", "utf-8")
    ingest([str(corpus)], store, workers=1)                       # logged after what was read: kept
    changed = [a.id for a in store.iter_articles() if a.locator.startswith(str(path))]
    store.take_story_changes(upto, "settings-2")
    later, logged = store.story_changes()
    assert logged == changed and later > upto and store.story_changes_state() == "settings-2"
    # the restricted scans
    probe = [changed[0], ids[-1], "no-such-article"]
    for scan, arg in ((store.pending_story_vectors, "m"), (store.pending_name_features, NAMES_VERSION),
                      (store.pending_story_features, FEATURES_VERSION)):
        assert scan(arg, probe) == [a for a in scan(arg) if a in probe]
    assert store.pending_name_features(NAMES_VERSION, probe) == changed
    hashes = {a: m[3] for a, m in store.article_meta(ids).items()}
    store.write_story_vectors([(a, hashes[a], "m", b"\x00" * 8, "{}") for a in ids[:3]])
    store.write_story_features([(a, hashes[a], "v", "{}") for a in ids[1:4]])
    assert store.story_ready_ids() == ids[1:3] and store.count_story_ready() == 2
    assert store.story_ready_ids([ids[0], ids[2], ids[3]]) == [ids[2]] and store.story_ready_ids([]) == []
    assert store.story_rows_missing([ids[1], ids[3]]) == [ids[1]]
