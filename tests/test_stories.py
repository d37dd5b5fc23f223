"""The stories stage: events, dates, storylines, order independence, incremental updates, user decisions, CLI, report."""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest

from storydiff.analysis import analyze_articles, corpus_key
from storydiff.ingest.prepare import prepare_record
from storydiff.model import RawRecord
from storydiff.report import build_report, json_schema, render_html
from storydiff.store.sqlite import SQLiteStore
from storydiff.stories import (StoriesError, list_events, list_storylines, load_records, merge_events, pin_article,
                               split_event, timeline, update_stories)
from storydiff.stories.events import (ArticleRecord, Decision, EventParts, apply_decisions, cluster_events, components,
                                     score_matrix, score_pairs)
from test_stories_corpus import corpus_articles

HOSTILE_TITLE = "Quake <script>alert(1)</script> & aftershocks"


@pytest.fixture(scope="module")
def corpus():
    """Articles, their analyses (spaCy runs once per module) and the gold event of each article."""
    articles, gold = corpus_articles()
    extra = prepare_record(RawRecord(
        locator="stories-test:quake-c", kind="text", raw_hash="quake-c",
        payload=f"title: {HOSTILE_TITLE}\noutlet: Morning Courier <b>\ndate: 2022-02-02\n\n"
                "A 6.8-magnitude earthquake shook the Valdera region on Tuesday and damaged hundreds of homes in "
                "Corvin, the regional emergency office said, adding that at least 14 people were injured and that "
                "rescue teams searched the rubble overnight.\n"))
    articles.append(extra)
    gold[extra.id] = "quake"
    analyses = {an.article_id: an for an in analyze_articles(articles)}
    return articles, analyses, gold


def add(store: SQLiteStore, corpus, ids=None) -> None:
    """Store articles with their analyses (as ingest + analyze would), without running spaCy again."""
    articles, analyses, _ = corpus
    chosen = [a for a in articles if ids is None or a.id in ids]
    run = store.begin_run("test", [])
    store.write_batch(run, chosen, {}, {}, [], [])
    keys = {(a.id, e.key): corpus_key(e.name, e.label) for a in chosen for e in analyses[a.id].entities}
    store.write_analyses([analyses[a.id] for a in chosen], keys)


def stored_again(store, ids) -> None:
    """Log ``ids`` as stored again (what the articles table's trigger writes when an article is), for the tests that
    make a stored vector stale by hand: the stories update looks at the logged articles only."""
    store.conn.executemany("INSERT INTO story_changes(article_id) VALUES (?)", [(a,) for a in ids])


def partition(store) -> set[frozenset[str]]:
    return {frozenset(a["id"] for a in e["articles"]) for e in list_events(store)}


def gold_partition(corpus, ids=None) -> set[frozenset[str]]:
    articles, _, gold = corpus
    groups: dict[str, set] = {}
    for a in articles:
        if ids is None or a.id in ids:
            groups.setdefault(gold[a.id], set()).add(a.id)
    return {frozenset(g) for g in groups.values()}


def ids_of(corpus, event: str) -> list[str]:
    return sorted(a.id for a in corpus[0] if corpus[2][a.id] == event)


@pytest.fixture
def stories_store(tmp_path, corpus):
    store = SQLiteStore(tmp_path / "stories.db")
    add(store, corpus)
    update_stories(store)
    yield store
    store.close()


def test_events_group_one_happening_and_keep_two_votes_apart(stories_store, corpus):
    # vote1 and vote2: the same assembly, harbour and speaker, similar words -- but different tallies and dates
    assert partition(stories_store) == gold_partition(corpus)


def test_every_grouping_records_why(stories_store, corpus):
    vote1 = next(e for e in list_events(stories_store) if e["articles"][0]["id"] in ids_of(corpus, "vote1"))
    names = {n["name"] for n in vote1["why"]["shared_names"]}
    assert {"Amara Voss", "Kestrel Harbour"} <= names
    assert any(f["value"] == "169-1" for f in vote1["why"]["shared_facts"])
    assert vote1["why"]["links"] and all({"similarity", "shared_names", "conflicts"} <= set(link["evidence"])
                                          for link in vote1["why"]["links"])
    # the pair across the two votes was scored (a storyline link), and its evidence names the conflict
    from storydiff.stories.events import pair_evidence

    links = stories_store.story_links(ids_of(corpus, "vote1"))
    across = [(a, b, s) for a, b, s in links if {a, b} & set(ids_of(corpus, "vote2"))]
    records = load_records(stories_store, ids_of(corpus, "vote1") + ids_of(corpus, "vote2"))
    assert across and any("tally 169-1 / 266-0" in pair_evidence(records[a], records[b], s)["conflicts"]
                          for a, b, s in across)
    # evidence is written out for the links an event shows, not stored for every pair
    assert {ev for *_, ev in stories_store.story_edges(ids_of(corpus, "vote1"))} == {""}


def test_events_are_dated_by_the_text_and_keep_disagreeing_dates(stories_store, corpus):
    events = {e["id"]: e for e in list_events(stories_store)}
    vote1 = next(e for e in events.values() if e["articles"][0]["id"] in ids_of(corpus, "vote1"))
    assert vote1["date"] == "2022-01-20"  # "on Thursday" in two outlets; published 2022-01-21
    assert vote1["disputed"] is True
    by_value = {d["value"]: d["sources"] for d in vote1["dates"]}
    assert set(by_value) == {"2022-01-18", "2022-01-20"}
    assert [s["outlet"] for s in by_value["2022-01-18"]] == ["The Observer Post"]
    assert by_value["2022-01-18"][0]["text"] == "Tuesday"
    quake = next(e for e in events.values() if e["articles"][0]["id"] in ids_of(corpus, "quake"))
    assert quake["date"] == "2022-02-01" and quake["disputed"] is False
    lone = [e for e in list_events(stories_store) if e["articles"][0]["id"] in ids_of(corpus, "lone")]
    assert lone[0]["date"] is None and lone[0]["published"] == "2022-02-15"
    placed = timeline(list_events(stories_store))
    assert [t["when"] for t in placed] == sorted(t["when"] for t in placed)
    assert {t["dated_by"] for t in placed} == {"text", "published"}


def test_storyline_links_the_two_votes_in_time_order(stories_store, corpus):
    lines = list_storylines(stories_store)
    assert len(lines) == 1
    events = {e["id"]: e for e in list_events(stories_store)}
    members = [set(a["id"] for a in events[e["id"]]["articles"]) for e in lines[0]["events"]]
    assert members == [set(ids_of(corpus, "vote1")), set(ids_of(corpus, "vote2"))]
    assert lines[0]["start"] == "2022-01-20" and lines[0]["end"] == "2022-03-10"
    assert "Amara Voss" in lines[0]["why"]["actors"]


def test_same_input_in_any_order_gives_the_same_events(tmp_path, corpus):
    articles, analyses, _ = corpus
    with SQLiteStore(tmp_path / "ref.db") as ref:
        add(ref, corpus)
        update_stories(ref)
        expected = {e["id"]: sorted(a["id"] for a in e["articles"]) for e in list_events(ref)}
        lines = [(sl["id"], [e["id"] for e in sl["events"]]) for sl in list_storylines(ref)]
        records = list(load_records(ref, [a.id for a in articles]).values())
    for seed in range(3):
        order = list(articles)
        random.Random(seed).shuffle(order)
        with SQLiteStore(tmp_path / f"shuffled{seed}.db") as store:
            # ingest and cluster in a shuffled order, in two batches
            half = len(order) // 2
            for batch in (order[:half], order[half:]):
                add(store, corpus, {a.id for a in batch})
                update_stories(store)
            got = {e["id"]: sorted(a["id"] for a in e["articles"]) for e in list_events(store)}
            assert [(sl["id"], [e["id"] for e in sl["events"]]) for sl in list_storylines(store)] == lines
        assert got == expected
        shuffled = list(records)
        random.Random(seed).shuffle(shuffled)
        assert {e.id: sorted(e.article_ids) for e in cluster_events(shuffled)} == expected


def test_incremental_add_touches_only_the_new_articles(tmp_path, corpus):
    articles = corpus[0]
    first = {a.id for a in articles if corpus[2][a.id] != "quake"}
    with SQLiteStore(tmp_path / "inc.db") as store:
        add(store, corpus, first)
        update_stories(store)
        before = {e["id"]: e for e in list_events(store)}
        add(store, corpus, {a.id for a in articles} - first)
        summary = update_stories(store)
        assert summary.embedded == 3 and summary.changed == 3
        assert summary.reclustered == 3  # the quake articles form their own component: nothing else is redone
        assert partition(store) == gold_partition(corpus)
        after = {e["id"]: e for e in list_events(store)}
        for eid, event in before.items():  # untouched events are exactly as they were
            assert after[eid] == event
        assert update_stories(store).changed == 0  # nothing new: nothing to do
        # everything clustered again comes out as stored: nothing is rewritten, no storyline regrouped
        lines = _storylines(store)
        again = update_stories(store, reconsider=[a.id for a in articles])
        assert again.reclustered == len(articles) and again.unchanged == again.events == len(after)
        assert store.unlinked_events() == [] and again.storylines == 0 and _storylines(store) == lines
    # the index file is reused, not rebuilt, by the next process
    with SQLiteStore(tmp_path / "inc.db") as store:
        assert update_stories(store).index_rebuilt is False


def test_user_decisions_survive_reclustering(tmp_path, corpus):
    vote1, vote2, quake = ids_of(corpus, "vote1"), ids_of(corpus, "vote2"), ids_of(corpus, "quake")
    with SQLiteStore(tmp_path / "dec.db") as store:
        add(store, corpus, set(vote1 + vote2 + quake[:2]))
        update_stories(store)
        event_of = store.events_of(vote1 + vote2 + quake)
        merged = merge_events(store, event_of[vote1[0]], event_of[vote2[0]], note="one campaign")
        assert set(a for a, _ in store.event_members([merged])[merged]) == set(vote1 + vote2)
        split = split_event(store, store.events_of(quake[:1])[quake[0]], [quake[1]])
        assert store.event_members([split])[split] == [(quake[1], "split")]
        pinned = pin_article(store, quake[0], merged)
        assert pinned == store.events_of([vote1[0]])[vote1[0]]
        decided = partition(store)
        # new articles arrive and the affected components are clustered again: the decisions still hold
        add(store, corpus, {a.id for a in corpus[0]} - set(vote1 + vote2 + quake[:2]))
        update_stories(store)
        now = partition(store)
        assert frozenset(vote1 + vote2 + [quake[0]]) in now
        assert not any(quake[1] in group and quake[0] in group for group in now)
        assert frozenset([quake[1]]) in decided
        hows = dict(a for members in store.event_members(store.events_of(vote1).values()).values() for a in members)
        assert hows[quake[0]] == "pinned" and hows[vote2[0]] == "merged"
        with pytest.raises(StoriesError):
            split_event(store, store.events_of(vote1)[vote1[0]], ["not-an-article"])
        with pytest.raises(StoriesError):
            merge_events(store, "ev-none", store.events_of(vote1)[vote1[0]])


@pytest.mark.parametrize("decisions, expected", [
    ([], [["a", "b"], ["c"]]),
    ([Decision(1, "merge", ("a",), ("c",))], [["a", "b", "c"]]),
    ([Decision(1, "split", ("b",), ("a",))], [["a"], ["b"], ["c"]]),
    ([Decision(1, "pin", ("c",), ("a", "b"))], [["a", "b", "c"]]),
    ([Decision(1, "merge", ("a",), ("c",)), Decision(2, "split", ("c",), ("a", "b"))], [["a", "b"], ["c"]]),
])
def test_apply_decisions_table(decisions, expected):
    got = apply_decisions([["a", "b"], ["c"]], decisions)
    assert [[a for a, _ in g] for g in got] == expected


def test_report_lists_events_by_outlet_escaped(stories_store, corpus):
    data = build_report(stories_store)
    import jsonschema

    jsonschema.validate(data, json_schema())
    assert data["schema_version"] == "1.3"
    quake = next(e for e in data["events"] if e["articles"][0]["id"] in ids_of(corpus, "quake"))
    assert "Morning Courier <b>" in quake["outlets"]
    assert {t["event"] for t in data["timeline"]} == {e["id"] for e in data["events"]}
    html = render_html(data)
    assert 'id="stories"' in html and f'id="event-{quake["id"]}"' in html
    assert "<script>alert(1)" not in html and "Morning Courier <b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # an event's summary counts its outlets, and its articles of unknown outlet apart
    n = len(quake["outlets"])
    assert f'{len(quake["articles"])} articles from {n} outlet{"s" if n != 1 else ""}</span>' in html
    data["events"][0]["outlets"] = {"Outlet A": ["x"], "(unknown outlet)": ["y", "z"]}
    data["events"][0]["articles"] = [{"id": a} for a in "xyz"]
    assert "3 articles from 1 outlet, 2 of unknown outlet</span>" in render_html(data)


def test_cli_lists_updates_and_corrects(cli, tmp_path, corpus):
    db = tmp_path / "cli.db"
    with SQLiteStore(db) as store:
        add(store, corpus)
    result = cli("stories", "--update", db=db)
    assert result.exit_code == 0, result.output
    assert "storyline" in result.stdout and "The Observer Post" in result.stdout
    listed = json.loads(cli("stories", "--json", db=db).stdout)
    assert {"events", "storylines", "timeline"} <= set(listed)
    vote1 = next(e for e in listed["events"] if e["articles"][0]["id"] in ids_of(corpus, "vote1"))
    vote2 = next(e for e in listed["events"] if e["articles"][0]["id"] in ids_of(corpus, "vote2"))
    result = cli("stories", "merge", vote1["id"], vote2["id"], db=db)
    assert result.exit_code == 0 and re.search(r"merged into ev[0-9a-f]{10}", result.stdout)
    merged = result.stdout.split()[-1]
    lone = ids_of(corpus, "lone")[0]
    result = cli("stories", "pin", lone, merged, db=db)
    assert result.exit_code == 0 and result.stdout.strip().endswith(merged)
    result = cli("stories", "split", merged, "--articles", lone, db=db)
    assert result.exit_code == 0
    result = cli("stories", "merge", "ev0000000000", merged, db=db)
    assert result.exit_code == 1 and "no event" in result.stderr
    summary = json.loads(cli("stories", "--workers", "2", "update", "--json", db=db).stdout)
    assert summary["changed"] == 0 and summary["unchanged"] == 0


def test_oversized_components_are_split_on_stronger_pairs_first(stories_store, corpus):
    from storydiff.stories.features import load_rules

    records = list(load_records(stories_store, [a.id for a in corpus[0]]).values())
    rules = {**load_rules(), "max_component": 2}
    events = cluster_events(records, rules=rules)
    ids = sorted(a for e in events for a in e.article_ids)
    assert ids == sorted(r.article_id for r in records)  # still a partition of every article
    assert len(events) >= 4


def _ladder_parts(nodes, edges, threshold, step, limit):
    """The definition of EventParts, computed the slow, obvious way: components at rising cuts."""
    out = {}
    pending = [(sorted(nodes), 0)]
    while pending:
        group, rung = pending.pop()
        cut = round(threshold + rung * step, 6)
        inside = set(group)

        def linked(ids, cut=cut, inside=inside):
            return {i: {b for a, b, s in edges if a == i and s >= cut and b in inside}
                    | {a for a, b, s in edges if b == i and s >= cut and a in inside} for i in ids}

        comps = components(group, linked)
        if rung == 0 or len(group) > limit:
            for comp in comps:
                if len(comp) <= limit:
                    out.update({a: tuple(comp) for a in comp})
                else:
                    pending.append((comp, rung + 1))
        else:
            out.update({a: tuple(group) for a in group})
    return out


@pytest.mark.parametrize("forget", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_event_parts_match_the_ladder_definition_from_any_start(seed, forget):
    rng = random.Random(seed)
    nodes = [f"a{i:02d}" for i in range(40)]
    edges = set()
    for _ in range(90):
        a, b = sorted(rng.sample(nodes, 2))
        edges.add((a, b, round(rng.uniform(0.75, 1.2), 2)))
    expected = _ladder_parts(nodes, edges, 0.75, 0.05, 6)
    rules = {"event_threshold": 0.75, "part_step": 0.05, "max_component": 6}

    read = []

    def links(ids):
        read.extend(ids)
        return {i: [(b, s) for a, b, s in edges if a == i] + [(a, s) for a, b, s in edges if b == i] for i in ids}

    order = list(nodes)
    rng.shuffle(order)
    parts = EventParts(links, rules, forget=forget)
    got = {}
    for a in order:
        got[a] = parts.of(a)
        if forget:   # the pairs of every article whose part is known are let go, and never read again
            assert not set(parts._adjacency) & set().union(*got.values())
    assert got == expected
    assert all(len(p) <= 6 for p in got.values())
    assert max(len(p) for p in got.values()) > 1  # the graph is not cut down to single articles
    assert len(read) == len(set(read))


def test_score_pairs_equals_score_matrix(stories_store, corpus):
    records = sorted(load_records(stories_store, [a.id for a in corpus[0]]).values(), key=lambda r: r.article_id)
    full, similar = score_matrix(records, rules=None, both=True)
    first, second = zip(*[(i, j) for i in range(len(records)) for j in range(len(records))])
    got, got_similar = score_pairs(records, first, second, both=True)
    assert np.allclose(got.reshape(full.shape), full, atol=1e-5)
    assert np.allclose(got_similar.reshape(full.shape), similar, atol=1e-5)
    assert full.max() > 0.75 > full.min()  # pairs on both sides of the event threshold


def test_part_scores_are_each_parts_own_whatever_is_scored_with_it(stories_store, corpus):
    # clustering scores the parts of a batch in one call: a part's matrix equals its score_matrix, and is exactly
    # the same scored alone or with other parts (so events do not depend on how parts are batched)
    from storydiff.stories.events import part_scores

    records = sorted(load_records(stories_store, [a.id for a in corpus[0]]).values(), key=lambda r: r.article_id)
    assert len(records) == 9
    parts = [records[0:4], records[4:5], records[5:9], []]
    together = part_scores(parts)
    assert together[1] is None and together[3] is None and part_scores([]) == []
    for part, matrix in zip(parts, together):
        if len(part) < 2:
            continue
        assert np.array_equal(matrix, matrix.T)
        assert np.allclose(matrix, score_matrix(part), atol=1e-5)
        assert np.array_equal(part_scores([part])[0], matrix)
        assert np.array_equal(part_scores([list(reversed(part))])[0], matrix)   # records sorted by id first


def test_a_pair_scores_exactly_the_same_in_any_batch():
    # what chunked and parallel candidate scoring rely on: the score of (a, b) does not depend on the other records
    # scored with them (sparse products sum the shared keys in one order); records sharing many words and names
    from storydiff.stories.events import ArticleRecord
    from storydiff.stories.features import StoryFeatures

    rng = np.random.default_rng(7)
    words = [f"word{i}" for i in range(150)]
    records = []
    for n in range(40):
        vector = rng.standard_normal(16).astype(np.float32)
        terms = {w: float(rng.random()) for w in rng.choice(words, 90, replace=False)}
        names = tuple((f"name {w}", "PERSON", float(rng.random() * 3), w) for w in rng.choice(words, 30, replace=False))
        records.append(ArticleRecord(f"a{n:02d}", vector / np.linalg.norm(vector), terms,
                                     StoryFeatures(article_id=f"a{n:02d}", outlet=None, published=None,
                                                   entities=tuple(sorted(names)))))
    n = len(records)
    first, second = zip(*[(i, j) for i in range(n) for j in range(i + 1, n)])
    whole, whole_similar = score_pairs(records, first, second, both=True)
    for seed in range(3):
        rng = random.Random(seed)
        for k in rng.sample(range(len(first)), 12):
            a, b = records[first[k]], records[second[k]]
            batch = rng.sample([r for r in records if r not in (a, b)], rng.randint(0, n - 2)) + [b, a]
            rng.shuffle(batch)
            got, similar = score_pairs(batch, [batch.index(a)], [batch.index(b)], both=True)
            assert got[0] == whole[k] and similar[0] == whole_similar[k]


@pytest.mark.parametrize("seed", range(3))
def test_incremental_updates_with_cut_components_equal_one_full_clustering(tmp_path, corpus, seed, monkeypatch):
    # a tiny max_component makes the parts cut on stricter pairs: incremental updates in any order and batch
    # sizes must still give what clustering everything at once gives (candidates searched 2 queries at a time)
    import storydiff.stories
    from storydiff.stories.features import load_rules

    monkeypatch.setattr(storydiff.stories, "QUERY_CHUNK", 2)

    rules = {**load_rules(), "max_component": 2}
    articles = list(corpus[0])
    random.Random(seed).shuffle(articles)
    with SQLiteStore(tmp_path / "cut.db") as store:
        done = 0
        for size in (1, 3, 2, len(articles)):
            batch = articles[done:done + size]
            if batch:
                add(store, corpus, {a.id for a in batch})
                update_stories(store, rules=rules)
            done += size
        got = partition(store)
        records = list(load_records(store, [a.id for a in articles]).values())
    expected = {frozenset(e.article_ids) for e in cluster_events(records, rules=rules)}
    assert got == expected
    assert len(expected) > len(gold_partition(corpus))  # the cut did split something


def _record(aid, people, words="court ruling appeal judge"):
    from storydiff.stories.features import StoryFeatures

    entities = tuple(sorted((name.lower(), "PERSON", weight, name) for name, weight in people))
    vector = np.ones(4, dtype=np.float32) / 2.0
    return ArticleRecord(aid, vector, {w: 0.5 for w in words.split()}, StoryFeatures(aid, None, None, entities))


@pytest.mark.parametrize("first, second, conflict", [
    ([("Vincent Jackson", 4.0)], [("Jamal Williams", 4.0)], True),       # two main people, neither in the other
    ([("Vincent Jackson", 4.0)], [("Vincent Jackson", 4.0)], False),     # the same main person
    ([("Vincent Jackson", 4.0)], [("Jamal Williams", 4.0), ("Jackson", 1.0)], False),  # the other names him too
    ([("Vincent Jackson", 1.0)], [("Jamal Williams", 4.0)], False),      # a passing mention is not a main person
    ([], [("Jamal Williams", 4.0)], False),
])
def test_main_people_conflict_table(first, second, conflict):
    from storydiff.stories.events import pair_evidence
    from storydiff.stories.features import load_rules

    rules = load_rules()
    a, b = _record("a", first), _record("b", second)
    without = {**rules, "score": {**rules["score"], "people_conflict": 0.0}}
    drop = float(score_matrix([a], [b], without)[0, 0] - score_matrix([a], [b], rules)[0, 0])
    assert drop == pytest.approx(-rules["score"]["people_conflict"] if conflict else 0.0, abs=1e-5)
    assert float(score_pairs([a, b], [0], [1], rules)[0]) == pytest.approx(float(score_matrix([a], [b], rules)[0, 0]),
                                                                           abs=1e-5)
    assert any(c.startswith("people ") for c in pair_evidence(a, b, rules=rules)["conflicts"]) is conflict


def _graph_links(edges):
    adjacency: dict[str, list] = {}
    for a, b, s in edges:
        adjacency.setdefault(a, []).append((b, s))
        adjacency.setdefault(b, []).append((a, s))
    return lambda ids: {i: adjacency.get(i, []) for i in ids}


@pytest.mark.parametrize("seed", range(20))
def test_affected_articles_hold_every_part_that_changes(seed):
    # a random graph, then some articles added and some re-scored: outside the affected set every part is as it
    # was, and the parts of the affected articles lie inside it (what makes the incremental update exact)
    from storydiff.stories.events import affected_articles

    rng = random.Random(seed)
    rules = {"event_threshold": 0.75, "part_step": 0.05, "max_component": 5}
    old_nodes = [f"o{i:02d}" for i in range(45)]
    new_nodes = [f"n{i}" for i in range(rng.randint(1, 4))]
    rescored = set(rng.sample(old_nodes, rng.randint(0, 3)))

    def random_edges(nodes, count, among):
        out = {}
        for _ in range(count):
            a, b = rng.choice(nodes), rng.choice(among)
            if a != b:
                out[tuple(sorted((a, b)))] = round(rng.uniform(0.75, 1.1), 2)
        return out

    before = random_edges(old_nodes, 80, old_nodes)
    after = {k: v for k, v in before.items() if not set(k) & rescored}
    after.update(random_edges(sorted(rescored) + new_nodes, 4 * (len(rescored) + len(new_nodes)), old_nodes + new_nodes))
    changed = rescored | set(new_nodes)
    links_before = _graph_links([(a, b, s) for (a, b), s in before.items()])
    links_after = _graph_links([(a, b, s) for (a, b), s in after.items()])
    scope = affected_articles(changed, set(), EventParts(links_after, rules), EventParts(links_before, rules))
    fresh_before, fresh_after = EventParts(links_before, rules), EventParts(links_after, rules)
    for a in old_nodes:
        if a not in scope:
            assert fresh_before.of(a) == fresh_after.of(a)
    for a in scope:
        assert set(fresh_after.of(a)) <= scope
    assert changed <= scope


def test_static_embedder_loads_a_distilled_folder_and_names_the_script_when_missing(tmp_path, monkeypatch):
    pytest.importorskip("model2vec", reason="optional: pip install 'storydiff[static]'")
    from model2vec import StaticModel
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    from storydiff.errors import MissingDependency
    from storydiff.stories.embed import StaticMiniLMEmbedder, load_embedder

    words = ["[UNK]", "vote", "parliament", "genocide", "quake", "rubble", "rescue"]
    tokenizer = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = Whitespace()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(words), 8)).astype(np.float32)
    StaticModel(vectors=vectors, tokenizer=tokenizer, normalize=True).save_pretrained(tmp_path / "tiny")
    embedder = StaticMiniLMEmbedder(tmp_path / "tiny")
    assert embedder.dim == 8 and embedder.name == "minilm-static-tiny"
    out = embedder.embed(["parliament vote", "vote parliament", "quake rubble rescue", "unknownword"])
    assert out.shape == (4, 8) and out.dtype == np.float32
    assert np.linalg.norm(out[:3], axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    assert out[0] == pytest.approx(out[1], abs=1e-6)          # a bag of tokens: order does not matter
    mean = vectors[[2, 1]].mean(axis=0)
    assert out[0] == pytest.approx(mean / np.linalg.norm(mean), abs=1e-5)
    assert float(out[0] @ out[2]) < 0.999
    assert embedder.embed([]).shape == (0, 8)
    with pytest.raises(MissingDependency, match="distill_static.py"):
        StaticMiniLMEmbedder(tmp_path / "nothing-here")
    monkeypatch.setenv("STORYDIFF_STATIC_MODEL", str(tmp_path / "tiny"))
    load_embedder.cache_clear()
    try:
        assert load_embedder("minilm-static").name == "minilm-static-tiny"
    finally:
        load_embedder.cache_clear()


def test_wordllama_adapter_is_the_shipped_map_trained_on_training_parts_only_and_names_its_vectors(tmp_path):
    from storydiff.stories.embed import ADAPTER_FILE, WordLlamaEmbedder, load_adapter, load_embedder

    weights, meta = load_adapter()
    assert weights.shape == (256, 256) and weights.dtype == np.float32
    # near the identity (the pull towards it is what keeps the pretrained sense of words) but not the identity
    assert 0.01 < float(np.abs(weights - np.eye(256)).max()) < 0.5
    # trained on the training parts only: NeuS val, the ECB+ dev topics and BASIL are what the benchmark reports on
    assert meta["script"] == "scripts/train_adapter.py" and len(meta["trained_on"]) == 2
    assert any("neus_allsides/train.jsonl" in t for t in meta["trained_on"])
    assert not any("val" in t or "basil" in t for t in meta["trained_on"])
    ecb_topics = {int(t) for t in meta["trained_on"][1].rsplit(" ", 1)[1].split(",")}
    assert ecb_topics and not ecb_topics & {2, 5, 12, 18, 21, 23, 34, 35} and max(ecb_topics) < 36

    adapted, plain = load_embedder("wordllama"), load_embedder("wordllama-plain")
    assert adapted.name == f"wordllama-l2_supercat-256+adapter-{meta['sha256'][:12]}"
    assert plain.name == "wordllama-l2_supercat-256"      # stored vectors of one are made again under the other
    texts = ["Parliament votes 169 to 1 to call it genocide", "Lawmakers back the genocide resolution",
             "An earthquake hits the coast; rescuers search the rubble"]
    a, p = adapted.embed(texts), plain.embed(texts)
    assert np.linalg.norm(a, axis=1) == pytest.approx([1, 1, 1], abs=1e-5)
    expected = p @ weights
    assert a == pytest.approx(expected / np.linalg.norm(expected, axis=1, keepdims=True), abs=1e-5)
    assert not np.allclose(a, p, atol=1e-3)
    assert float(a[0] @ a[1]) > float(a[0] @ a[2])      # still a sense of which texts are alike
    assert adapted.embed([]).shape == (0, 256)
    np.savez(tmp_path / "bad.npz", weights=np.eye(128, dtype=np.float16), meta=np.array(json.dumps({"sha256": "x"})))
    with pytest.raises(ValueError, match="128"):
        WordLlamaEmbedder(adapter=tmp_path / "bad.npz")
    from storydiff.errors import MissingDependency

    with pytest.raises(MissingDependency, match="train_adapter.py"):
        WordLlamaEmbedder(adapter=tmp_path / "missing.npz")
    assert ADAPTER_FILE.is_file() and ADAPTER_FILE.stat().st_size < 200_000


def test_each_embedder_gets_its_own_settings_and_a_misspelt_one_is_refused():
    from storydiff.stories.features import load_rules, with_overrides

    base = load_rules()
    for name, settings in base["embedder_settings"].items():
        rules = load_rules(embedder=name)
        assert settings, name
        for key, value in settings.items():
            section, _, leaf = key.rpartition(".")
            assert (rules[section] if section else rules)[leaf] == value
    static = load_rules(embedder="minilm-static")
    assert static["score"]["vector"] != base["score"]["vector"]
    assert static["score"]["lexical"] == base["score"]["lexical"]      # only the named settings differ
    assert load_rules(embedder="wordllama") == base                   # the default embedder's are the top level
    before = json.dumps(base, sort_keys=True)
    changed = with_overrides(base, {"score.vector": 0.5, "event_threshold": 0.9})
    assert changed["score"]["vector"] == 0.5 and changed["event_threshold"] == 0.9
    assert json.dumps(base, sort_keys=True) == before                  # the shared rules are not changed
    with pytest.raises(KeyError, match="score.vectro"):
        with_overrides(base, {"score.vectro": 0.5})


@pytest.mark.parametrize("text, names, absent", [
    ("Jean-Yves Le Drian met Wang Yi in Paris. Le Drian said so.", {"Jean-Yves Le Drian", "Wang Yi", "Le Drian"},
     set()),
    # a full stop ends a name: "United Nations. The United Nations" is two mentions of one name, not one long name
    ("The United Nations met. The United Nations voted.", {"United Nations"}, {"United Nations United Nations"}),
    # connectors join; a sentence-initial stopword and a weekday are not names; "U.S." is one word
    ("The Bank of England and the U.S. Treasury spoke on Tuesday.", {"Bank of England", "U.S. Treasury"},
     {"The", "Tuesday"}),
    # a name mentioned once, after the lead, is not kept; two-letter words alone never are
    (" ".join(["word"] * 90) + " Ostrava hosted it. Ok.", set(), {"Ostrava", "Ok"}),
    ("", set(), set()),
])
def test_name_features_without_the_analysis(text, names, absent):
    from storydiff.model import Article
    from storydiff.stories.features import NAMES_VERSION, name_features

    article = Article(id="n1", locator="n1", text=text, text_hash="h", raw_hash="h", language="en",
                      outlet="Daily", published="2022-01-02")
    feats = name_features(article)
    keys = {k for k, *_ in feats.entities}
    as_keys = lambda found: {corpus_key(n, "NAME").split(":", 1)[1] for n in found}  # noqa: E731
    assert as_keys(names) <= keys and not (as_keys(absent) & keys), keys
    assert feats.version == NAMES_VERSION and not (feats.tallies or feats.numbers or feats.dates)
    assert all(label == "NAME" and w > 0 for _, label, w, _ in feats.entities)
    assert (feats.outlet, feats.published) == ("Daily", "2022-01-02")


def test_group_first_analyses_only_the_grouped_and_ends_in_the_same_events(tmp_path, corpus):
    """Grouping on names before any parse, then analysing only the articles of multi-article events (repeated
    until none is left) gives the events the full path gives, on the test corpus, with the singletons unparsed."""
    from storydiff.stories import articles_to_analyze

    articles, analyses, _ = corpus
    with SQLiteStore(tmp_path / "full.db") as store:
        add(store, corpus)
        update_stories(store)
        full = partition(store)
    with SQLiteStore(tmp_path / "first.db") as store:
        store.write_batch(store.begin_run("test", []), articles, {}, {}, [], [])
        update_stories(store, unanalysed="names")
        analysed: set[str] = set()
        for _ in range(5):
            todo = articles_to_analyze(store)
            if not todo:
                break
            keys = {(a, e.key): corpus_key(e.name, e.label) for a in todo for e in analyses[a].entities}
            store.write_analyses([analyses[a] for a in todo], keys)   # what analyze(store, only=todo) stores
            analysed |= set(todo)
            update_stories(store, unanalysed="names")
        assert articles_to_analyze(store) == []
        first = partition(store)
        assert analysed == {a for group in first if len(group) >= 2 for a in group}
        assert analysed < {a.id for a in articles}                     # some articles were never parsed
    assert first == full


def test_group_first_runs_the_rounds_itself_and_resumes(tmp_path, corpus):
    """``group_first`` (what `storydiff analyze --group-first` runs) does the rounds above with the real analysis
    stage: the same events as the full path, only the grouped articles parsed, and a second call has nothing to do."""
    from storydiff.analysis import STAGE, VERSION
    from storydiff.stories import group_first

    articles, _, _ = corpus
    with SQLiteStore(tmp_path / "full.db") as store:
        add(store, corpus)
        update_stories(store)
        full = partition(store)
    steps: list[str] = []
    with SQLiteStore(tmp_path / "first.db") as store:
        store.write_batch(store.begin_run("test", []), articles, {}, {}, [], [])
        summary = group_first(store, workers=1, on_progress=lambda step, done, total: steps.append(step))
        first = partition(store)
        unparsed = set(store.pending_analysis(STAGE, VERSION))
        again = group_first(store, workers=1)
        assert partition(store) == first
    assert first == full
    assert summary.rounds >= 1 and summary.analysed == len(articles) - len(unparsed) > 0
    assert summary.alone == len(unparsed) > 0
    assert all(len(group) == 1 for group in first if group & unparsed)     # only articles alone stay unparsed
    assert "analyse 1" in steps and "embed" in steps
    assert (again.rounds, again.analysed, again.alone) == (0, 0, len(unparsed))


def test_articles_to_analyze_skips_events_of_one_source(tmp_path, corpus):
    """An event whose articles all come from one outlet, or from outlets that republished one article (a copy
    found at ingest), has one source: nothing to compare, so its articles are not asked for; one more outlet is."""
    from storydiff.stories import articles_to_analyze

    articles, _, _ = corpus
    with SQLiteStore(tmp_path / "s.db") as store:
        store.write_batch(store.begin_run("test", []), articles, {}, {}, [], [])
        update_stories(store, unanalysed="names")
        grouped = articles_to_analyze(store)
        members = store.event_members(sorted(set(store.events_of(grouped).values())))
        event, chosen = max(((e, [a for a, _ in m]) for e, m in members.items()), key=lambda x: (len(x[1]), x[0]))
        assert len(chosen) >= 3 and set(chosen) <= set(grouped)
        outlets = dict(store.conn.execute("SELECT id, outlet FROM articles"))

        def set_outlets(mapping):
            store.conn.executemany("UPDATE articles SET outlet = ? WHERE id = ?", [(o, a) for a, o in mapping.items()])
            store.conn.commit()

        set_outlets({a: "One Outlet" for a in chosen})
        assert articles_to_analyze(store) == sorted(set(grouped) - set(chosen))
        set_outlets({chosen[0]: "Another Outlet"})                     # a second source
        assert articles_to_analyze(store) == grouped
        store.conn.execute("INSERT INTO duplicates (a, b, kind, similarity) VALUES (?, ?, 'near', 0.9)",
                           tuple(sorted(chosen[:2])))                  # ... that republished the first's article
        store.conn.commit()
        assert articles_to_analyze(store) == sorted(set(grouped) - set(chosen))
        set_outlets({a: outlets[a] for a in chosen})
        assert articles_to_analyze(store) == grouped


def test_group_first_leaves_an_event_of_one_source_unparsed_and_reports_it(tmp_path, corpus):
    """When every report of a happening comes from one outlet, group first groups them but parses none (there is no
    other account to compare); the report still lists the event with its articles, and the other events as before."""
    import dataclasses

    from storydiff.analysis import STAGE, VERSION
    from storydiff.stories import group_first

    articles, _, _ = corpus
    ids = frozenset(ids_of(corpus, "quake"))  # the two reports of the earthquake, apart from the rest on names alone
    one = [dataclasses.replace(a, outlet="One Outlet") if a.id in ids else a for a in articles]
    with SQLiteStore(tmp_path / "one.db") as store:
        store.write_batch(store.begin_run("test", []), one, {}, {}, [], [])
        group_first(store, workers=1)
        unparsed = set(store.pending_analysis(STAGE, VERSION))
        events = {frozenset(a["id"] for a in e["articles"]): e for e in list_events(store)}
        data = build_report(store)
        html = render_html(data)
    assert ids <= unparsed                                             # grouped, never parsed
    held = [group for group in events if group & ids]
    assert len(held) == 1 and held[0] == ids
    parsed = {a.id for a in articles} - unparsed
    assert parsed and all(len(group) >= 2 for group in events if group & parsed)
    import jsonschema

    jsonschema.validate(data, json_schema())
    listed = {frozenset(a["id"] for a in e["articles"]): e for e in data["events"]}
    assert ids in listed and list(listed[ids]["outlets"]) == ["One Outlet"]
    assert f'id="event-{listed[ids]["id"]}"' in html


def test_articles_to_analyze_linked_adds_singletons_with_a_pair_at_the_cut(tmp_path, corpus):
    """``linked=True`` also selects unanalysed articles alone in their event that have a stored pair at or above the
    event threshold; a pair below it, or ``linked=False``, does not."""
    from storydiff.stories import articles_to_analyze

    articles, _, _ = corpus
    with SQLiteStore(tmp_path / "l.db") as store:
        store.write_batch(store.begin_run("test", []), articles, {}, {}, [], [])
        update_stories(store, unanalysed="names")
        grouped = articles_to_analyze(store)
        alone = sorted({a.id for a in articles} - set(grouped))
        assert alone and grouped
        from storydiff.stories.features import load_rules

        cut = load_rules()["event_threshold"]
        store.replace_story_edges(alone, [tuple(sorted((alone[0], grouped[0]))) + (cut - 0.2, "{}")])
        assert articles_to_analyze(store, linked=True) == grouped
        store.replace_story_edges(alone, [tuple(sorted((alone[0], grouped[0]))) + (cut + 0.01, "{}")])
        assert articles_to_analyze(store) == grouped
        assert articles_to_analyze(store, linked=True) == sorted(grouped + [alone[0]])


@pytest.mark.parametrize("scores, expected", [
    # a, b form a cluster; c's best pair (with b) reaches the cut: c joins them
    ({("a", "b"): 0.9, ("b", "c"): 0.8, ("a", "c"): 0.1}, [["a", "b", "c"]]),
    # c's best pair is below the cut: c stays alone
    ({("a", "b"): 0.9, ("b", "c"): 0.7, ("a", "c"): 0.1}, [["a", "b"], ["c"]]),
    # two clusters; c's best pair is with d (0.8 against 0.76): c joins d's cluster
    ({("a", "b"): 0.9, ("d", "e"): 0.9, ("a", "c"): 0.76, ("c", "d"): 0.8}, [["a", "b"], ["c", "d", "e"]]),
    # a tie between the clusters goes to the lowest article id
    ({("a", "b"): 0.9, ("d", "e"): 0.9, ("a", "c"): 0.8, ("c", "e"): 0.8}, [["a", "b", "c"], ["d", "e"]]),
    # alone articles are never joined to each other, only to clusters average linkage formed
    ({("a", "b"): 0.2}, [["a"], ["b"]]),
])
def test_attach_alone(scores, expected):
    """An article average linkage leaves alone joins the cluster holding its best pair if that pair reaches the cut."""
    from storydiff.stories.events import _attach_alone, _average_linkage

    ids = sorted({x for pair in scores for x in pair})
    matrix = np.full((len(ids), len(ids)), -1.0)
    for (x, y), s in scores.items():
        matrix[ids.index(x), ids.index(y)] = matrix[ids.index(y), ids.index(x)] = s
    clusters = _average_linkage(ids, matrix, 0.75)
    assert _attach_alone(ids, matrix, clusters, 0.75) == expected


def _storylines(store) -> list:
    return sorted((sl["id"], [e["id"] for e in sl["events"]], sl["why"]) for sl in list_storylines(store))


def test_storylines_put_off_or_interrupted_are_caught_up(tmp_path, corpus, monkeypatch):
    """Events written without a storyline pass are marked in the store: the next pass (or update) regroups around
    them, so a pass put off (group first) or interrupted gives the storylines of an uninterrupted run."""
    import storydiff.stories
    from storydiff.stories import update_storylines

    with SQLiteStore(tmp_path / "ref.db") as ref:
        add(ref, corpus)
        update_stories(ref)
        expected = _storylines(ref)
        assert ref.unlinked_events() == [] and ref.stale_storylines() == []
    assert len(expected) == 1
    with SQLiteStore(tmp_path / "later.db") as store:
        add(store, corpus)
        assert update_stories(store, regroup_storylines=False).storylines == 0
        assert _storylines(store) == [] and len(store.unlinked_events()) == len(list_events(store))
        assert update_storylines(store) == 1
        assert _storylines(store) == expected
        assert store.unlinked_events() == [] and update_storylines(store) == 0   # nothing left to do

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    vote2 = set(ids_of(corpus, "vote2"))
    with SQLiteStore(tmp_path / "crash.db") as store:
        add(store, corpus, {a.id for a in corpus[0]} - vote2)
        update_stories(store)
        assert _storylines(store) == []                       # one vote: no storyline yet
        add(store, corpus, vote2)
        monkeypatch.setattr(storydiff.stories, "update_storylines", crash)
        with pytest.raises(KeyboardInterrupt):                # events written, storyline pass cut short
            update_stories(store)
        monkeypatch.undo()
        assert update_stories(store).changed == 0             # nothing new for the events, but the pass runs
        assert _storylines(store) == expected


def test_replaced_events_mark_their_storyline_and_drop_their_links(stories_store, corpus):
    """Replacing an event marks the storyline it was in as stale and drops the links kept for it; the next pass
    regroups it and keeps the links again."""
    from storydiff.stories import update_storylines

    store = stories_store
    expected = _storylines(store)
    (line_id, line_events, _), = expected
    kept = store.event_links(line_events)
    assert [(a, b) for a, b, _, _ in kept] == [tuple(sorted(line_events))]
    assert json.loads(kept[0][3]) and kept[0][2] >= 0.6                    # the shared actors, the link score
    vote2 = ids_of(corpus, "vote2")
    old = store.event_members([store.events_of(vote2)[vote2[0]]])
    store.replace_events(vote2, [(eid, None, "{}", members) for eid, members in old.items()])
    assert store.stale_storylines() == [line_id] and store.event_links(line_events) == []
    assert store.unlinked_events() == sorted(old)
    assert store.touched_events() == sorted(set(line_events) - set(old))   # the event it was linked to
    assert update_storylines(store) == 1
    assert store.touched_events() == []
    assert store.stale_storylines() == [] and store.event_links(line_events) == kept


def _linked_records(spec):
    """Events of two articles each, and their records: ``spec`` is ``{event: actor}``."""
    from storydiff.stories.events import Event
    from storydiff.stories.features import StoryFeatures

    events, records = {}, {}
    for e, actor in spec.items():
        events[e] = Event(e, [(f"{e}1", "clustered"), (f"{e}2", "clustered")])
        for a in events[e].article_ids:
            entities = ((actor.lower(), "PERSON", 4.0, actor),)
            records[a] = ArticleRecord(a, np.ones(4, dtype=np.float32) / 2.0, {"harbour": 0.5, "vote": 0.5},
                                       StoryFeatures(a, None, None, entities))
    return events, records


@pytest.mark.parametrize("chunk, kept, batch", [(1, 1, 1), (2, 3, 2), (2048, 8192, 512)])
@pytest.mark.parametrize("fresh", [set(), {"E"}, {"A", "C"}, {"A", "B", "C", "D", "E", "F"}])
def test_event_links_read_from_an_earlier_pass_equal_links_found_again(fresh, chunk, kept, batch, monkeypatch):
    """The links of events kept from an earlier pass, read back, with those of the fresh events found now (a chunk
    of them at a time, keeping only some profiles between chunks, making them a batch at a time), give every event
    the links finding them all again gives -- whatever the order events are asked for in."""
    import storydiff.stories.storylines
    from storydiff.stories.storylines import EventLinks

    monkeypatch.setattr(storydiff.stories.storylines, "PRIME_CHUNK", chunk)
    monkeypatch.setattr(storydiff.stories.storylines, "PROFILES_KEPT", kept)
    monkeypatch.setattr(storydiff.stories.storylines, "PROFILE_BATCH", batch)

    # A-B-C-D share an actor (linked along the article pairs); E shares none with its candidate D (no link); F has
    # no pair with anything
    events, records = _linked_records({"A": "Amara Voss", "B": "Amara Voss", "C": "Amara Voss", "D": "Amara Voss",
                                       "E": "Jon Pell", "F": "Amara Voss"})
    pairs = [("A1", "B2", 0.8), ("B1", "C1", 0.9), ("C2", "D1", 0.8), ("D2", "E1", 0.9)]
    event_of = {a: e for e, ev in events.items() for a in ev.article_ids}

    def make(**kwargs):
        return EventLinks(lambda ids: {e: events[e] for e in ids if e in events},
                          lambda ids: {a: event_of[a] for a in ids if a in event_of},
                          lambda ids: sorted(p for p in pairs if p[0] in ids or p[1] in ids),
                          lambda ids: {a: records[a] for a in ids if a in records}, **kwargs)

    scratch = make()
    expected = {e: sorted(x for x, _ in found) for e, found in scratch(sorted(events)).items()}
    assert expected == {"A": ["B"], "B": ["A", "C"], "C": ["B", "D"], "D": ["C"], "E": [], "F": []}
    links = [(x, y, score, actors) for (x, y), (score, actors) in sorted(scratch.found.items())]
    earlier = [row for row in links if row[0] not in fresh and row[1] not in fresh]   # what a pass before kept
    for seed in range(3):
        order = sorted(events)
        random.Random(seed).shuffle(order)
        cached = make(stored=lambda ids: [r for r in earlier if r[0] in ids or r[1] in ids], fresh=fresh)
        got = {}
        for e in order:
            got.update({k: sorted(x for x, _ in v) for k, v in cached([e]).items()})
        assert got == expected
        assert cached.new_links() == [row for row in links if row[0] in fresh or row[1] in fresh]
    # the profiles made from records are handed to keep(); read back by a later pass (profiles=), they give the
    # same links without reading any article record
    kept_profiles: dict = {}
    first = make(keep=lambda rows: kept_profiles.update(rows))
    first(sorted(events))
    assert sorted(kept_profiles) == ["A", "B", "C", "D", "E"]    # F has no pair: never compared

    def no_records(ids):
        raise AssertionError(f"records read for {sorted(ids)}")

    again = EventLinks(lambda ids: {e: events[e] for e in ids if e in events},
                       lambda ids: {a: event_of[a] for a in ids if a in event_of},
                       lambda ids: sorted(p for p in pairs if p[0] in ids or p[1] in ids), no_records,
                       profiles=lambda ids: {e: kept_profiles[e] for e in ids if e in kept_profiles})
    assert {e: sorted(x for x, _ in found) for e, found in again(sorted(events)).items()} == expected
    assert again.found == scratch.found


def test_an_event_profile_read_back_links_as_the_records_do(tmp_path, votes):
    # Profile.to_bytes / from_bytes keep every value: a link scored on profiles read back is exactly the one
    # scored on the records (same score, same actors in the same order), and a profile from elsewhere is refused
    from storydiff.stories.storylines import Profile, _make_profile, link_events, link_profiles

    articles, _, gold = votes
    with SQLiteStore(tmp_path / "votes.db") as store:
        add(store, votes)
        update_stories(store)
        records = load_records(store, [a.id for a in articles], rows=False)
    by_vote: dict[str, list] = {}
    for a in sorted(records):
        by_vote.setdefault(gold[a], []).append(records[a])
    events = [by_vote[v] for v in sorted(by_vote)]
    for a, b in zip(events, events[1:]):
        pa, pb = (Profile.from_bytes(_make_profile(x).to_bytes()) for x in (a, b))
        assert Profile.from_bytes(pa.to_bytes()).to_bytes() == pa.to_bytes()
        direct = link_events(a, b)
        assert direct is not None and link_profiles(pa, pb) == direct
        assert "Amara Voss" in direct["actors"]
    with pytest.raises(ValueError):
        Profile.from_bytes(b"EP1\x00" + bytes(40))


@pytest.mark.parametrize("a, b, expected", [
    ({1: 0.5, 2: 0.25}, {2: 2.0, 3: 1.0}, 0.5),      # one shared key
    ({1: 0.5}, {2: 1.0}, 0.0),                        # none shared
    ({}, {2: 1.0}, 0.0),                              # one side empty
    ({5: 0.1, 9: 0.2, -4: 0.3}, {-4: 1.0, 9: 1.0, 100: 7.0}, 0.5),   # negative hashes, several shared
    ({2: 1.0, 3: 1.0}, {3: 1.0}, 1.0),                # the larger side first
])
def test_shared_dot_table(a, b, expected):
    from storydiff.stories.storylines import _shared_dot

    def arrays(d):
        keys = sorted(d)
        return np.array(keys, dtype=np.int64), np.array([d[k] for k in keys], dtype=np.float64)

    assert _shared_dot(*arrays(a), *arrays(b)) == pytest.approx(expected)
    assert _shared_dot(*arrays(b), *arrays(a)) == pytest.approx(expected)


def test_a_store_without_kept_links_is_regrouped_once(stories_store):
    """A store from before links were kept (migrated: every event unlinked, storylines as the old code left them)
    is regrouped in full by the next pass: storylines whose events now group differently are replaced, not left
    beside the new ones."""
    from storydiff.stories import update_storylines

    store = stories_store
    expected = _storylines(store)
    (line_id, line_events, _), = expected
    # what an older pass could leave: the same events under another storyline id
    store.replace_storylines([line_id], [("sl-older", json.dumps({"events": [{"id": e} for e in line_events]}),
                                          line_events)])
    store.conn.execute("UPDATE events SET linked = 0")
    store.conn.execute("DELETE FROM event_links")
    store.conn.commit()
    assert update_storylines(store) == 1
    assert _storylines(store) == expected
    assert {sl for _, sl, _, _ in store.get_events()} == {line_id, None}


VOTES = [  # what was voted on, who proposed it, what it changes
    ("the sale of Kestrel Harbour", "Tomas Elwyn", "The Brightwater Shipping Company had offered 40 million crowns."),
    ("dredging the northern channel", "Ilse Marrow", "Sand banks have closed the channel to large tankers."),
    ("fishing quotas in the bay", "Paul Dunmore", "Trawler crews say cod stocks have fallen for five years."),
    ("port tariffs for cargo ships", "Greta Halvorsen", "Container lines threatened to move to Lanford."),
    ("subsidies for the island ferries", "Oskar Fenn", "Islanders complained about cancelled winter crossings."),
    ("repairs to the old lighthouse", "Maren Quist", "Storms cracked the lamp room of the 1820 tower."),
    ("the pay of dock workers", "Henrik Sollie", "Crane operators went on strike twice this spring."),
    ("new customs rules at the port", "Lena Varga", "Inspectors will scan every refrigerated container."),
]


@pytest.fixture(scope="module")
def votes():
    """Eight votes of one assembly on harbour matters, weeks apart, each reported by two outlets: eight events
    of one subject, which storylines link (and a small ``max_storyline`` cuts)."""
    articles, gold = [], {}
    for n, (subject, proposer, detail) in enumerate(VOTES):
        day = f"2022-{1 + n:02d}-{10 + n:02d}"
        tally = f"{150 + 7 * n} to {n + 1}"
        for outlet, title, text in (
                ("Daily Ledger", f"Assembly backs {proposer}'s plan on {subject}",
                 (f"The Norhaven Assembly voted {tally} on Thursday to adopt {proposer}'s resolution on {subject}, "
                  f"Speaker Amara Voss said. {detail}")),
                ("Morning Courier", f"{proposer} wins vote on {subject}",
                 (f"Lawmakers in Norhaven adopted a resolution on {subject} by {tally} on Thursday. {detail} "
                  f"The measure, proposed by {proposer}, was announced by Speaker Amara Voss."))):
            payload = f"title: {title}\noutlet: {outlet}\ndate: {day}\n\n{text}\n"
            art = prepare_record(RawRecord(locator=f"votes:{n}:{outlet}", kind="text", payload=payload,
                                           raw_hash=f"votes-{n}-{outlet}"))
            articles.append(art)
            gold[art.id] = f"vote{n}"
    analyses = {an.article_id: an for an in analyze_articles(articles)}
    return articles, analyses, gold


@pytest.mark.parametrize("seed", range(3))
def test_incremental_storylines_with_cut_parts_equal_one_full_pass(tmp_path, votes, seed):
    """Storylines updated batch by batch (events replaced as their articles arrive, parts cut on stricter links
    because ``max_storyline`` is small) end as grouping everything at once does."""
    from storydiff.stories.features import load_rules

    # every pair of articles a candidate, any shared name an actor: the eight events form one connected group, which
    # max_storyline cuts on stricter links
    rules = {**load_rules(), "max_storyline": 5, "part_step": 0.02, "storyline_edge_threshold": -1.0,
             "storyline_actor_weight": 0.5}
    with SQLiteStore(tmp_path / "ref.db") as ref:
        add(ref, votes)
        update_stories(ref, rules=rules)
        expected = _storylines(ref)
        assert len(list_events(ref)) == len(VOTES)
    assert len(expected) >= 2 and max(len(events) for _, events, _ in expected) <= 5   # the cut did cut
    articles = list(votes[0])
    random.Random(seed).shuffle(articles)
    with SQLiteStore(tmp_path / "inc.db") as store:
        done = 0
        for size in (3, 1, 5, 2, 4, len(articles)):
            batch = articles[done:done + size]
            if batch:
                add(store, votes, {a.id for a in batch})
                update_stories(store, rules=rules)
            done += size
        assert _storylines(store) == expected


def test_storylines_regroup_around_the_links_of_a_replaced_event(tmp_path, monkeypatch):
    """An event that leaves takes its links with it, and the group it joined can then fit at a lower cut: the events
    it was linked to are regrouped (``touched_events``), even when it was in no storyline and what replaces it links
    to nothing. Event scores come from a table here, so the graph is exactly the one drawn."""
    import storydiff.stories
    import storydiff.stories.storylines as lines
    from storydiff.stories import update_storylines
    from storydiff.stories.features import load_rules

    # A-B 0.9, B-C 0.7, C-D 0.7: one group of four, over max_storyline (3): cut at 0.8 -> storyline {A, B};
    # once D has gone, {A, B, C} fits at the base cut (0.6)
    table = {("a", "b"): 0.9, ("b", "c"): 0.7, ("c", "d"): 0.7}
    monkeypatch.setattr(storydiff.stories, "load_records", lambda store, ids, **kw: {a: a for a in ids})
    monkeypatch.setattr(lines, "_make_profile", lambda records: tuple(sorted(records)))
    monkeypatch.setattr(lines, "link_profiles", lambda pa, pb, rules=None: (
        {"score": table[(pa[0], pb[0])], "actors": ["Amara Voss"]} if (pa[0], pb[0]) in table else None))
    rules = {**load_rules(), "max_storyline": 3, "part_step": 0.1, "storyline_threshold": 0.6,
             "storyline_edge_threshold": 0.0}

    def event(aid, eid=None):
        return (eid or f"ev-{aid}", None, json.dumps({"title": aid}), [(aid, "clustered")])

    def grouped(store):
        return sorted(tuple(sorted(e["title"] for e in sl["events"])) for sl in list_storylines(store))

    with SQLiteStore(tmp_path / "s.db") as store:
        store.replace_events([], [event(a) for a in "abcd"])
        store.replace_story_edges([], [(x, y, 0.5, "{}") for x, y in table])
        update_storylines(store, rules=rules)
        assert grouped(store) == [("a", "b")]
        # d is re-clustered into an event of its own with no pairs left (its text changed, say)
        store.replace_story_edges(["d"], [])
        store.replace_events(["d"], [event("d", "ev-d2")])
        assert store.touched_events() == ["ev-c"]
        update_storylines(store, rules=rules)
        assert grouped(store) == [("a", "b", "c")]


def test_per_article_maps_in_a_pool_give_what_one_process_gives(tmp_path, corpus, monkeypatch):
    """With ``workers=2`` the embedding, words and features maps run in worker processes (chunks of 2 articles here,
    so there are several): the stored vectors, words, features, events and storylines are the same as in one."""
    import storydiff.stories

    monkeypatch.setattr(storydiff.stories, "BATCH", 2)
    real = storydiff.stories._MapPool.__enter__
    monkeypatch.setattr(storydiff.stories._MapPool, "__enter__", lambda self: started.append(self._pool) or real(self))
    articles = corpus[0]
    half = {a.id for a in articles[: len(articles) // 2]}
    out = []
    pools = {}
    for workers in (1, 2):
        pools[workers] = started = []
        with SQLiteStore(tmp_path / f"w{workers}.db") as store:
            add(store, corpus, half)                                       # analysed: features from the analysis
            store.write_batch(store.begin_run("test", []), [a for a in articles if a.id not in half], {}, {}, [], [])
            summary = update_stories(store, unanalysed="names", workers=workers)   # the rest: names only
            ids = sorted(a.id for a in articles)
            out.append((list(store.story_vectors(ids)), store.story_features(ids), partition(store),
                        _storylines(store), summary.embedded, summary.featured))
    assert out[0] == out[1]
    assert out[0][4] == len(articles) and out[0][5] == len(articles)
    assert all(p is None for p in pools[1]) and pools[2][0] is not None      # one process, then a pool


def test_an_event_whose_article_changed_is_rewritten_even_if_it_looks_the_same(stories_store, corpus, monkeypatch):
    """The links kept for an event come from its articles' vectors, words and names: an event with an article whose
    vector was made again is rewritten (and its links found again), even when it comes out with the same members and
    record; the other events re-clustered with it are left as they were, and are not even described again."""
    import storydiff.stories

    store = stories_store
    vote1 = ids_of(corpus, "vote1")
    event = store.events_of(vote1[:1])[vote1[0]]
    described = []
    real = storydiff.stories.describe_event
    def counted(members, *args, **kwargs):
        described.append(sorted(m for m, _ in members))
        return real(members, *args, **kwargs)

    monkeypatch.setattr(storydiff.stories, "describe_event", counted)
    blob = next(v for a, _, v, _ in store.story_vectors(vote1[:1]))
    store.write_story_vectors([(vote1[0], "an older text", "wordllama", blob, "{}")])   # embedded again next update
    stored_again(store, vote1[:1])
    summary = update_stories(store, reconsider=ids_of(corpus, "quake"), regroup_storylines=False)
    assert summary.changed == 1 and summary.embedded == 1
    assert store.unlinked_events() == [event]                 # rewritten, its links to be found again
    assert summary.unchanged == summary.events - 1 >= 1       # the quake's event came out as stored: left alone
    assert described == [sorted(vote1)]                       # only the event with a changed article is described


@pytest.mark.parametrize("a, b, window, expected", [
    ("2020-01-01", "2020-06-29", 180, True),           # 180 days apart: in
    ("2020-01-01", "2020-06-30", 180, False),          # 181: out
    ("2020-06-30T23:59:00+02:00", "2020-01-01", 180, False),  # a time of day does not matter; either order
    ("2020-01-01", None, 180, True),                   # undated: never ruled out
    ("not a date", "1999-01-01", 180, True),           # unreadable: as undated
    ("2020-01-01", "2030-01-01", None, True),          # no window
])
def test_candidate_window_table(a, b, window, expected):
    from storydiff.stories.events import in_window

    assert in_window(a, b, {"candidate_window_days": window}) is expected
    assert in_window(b, a, {"candidate_window_days": window}) is expected


def _dated(aid, published):
    from storydiff.stories.features import StoryFeatures

    vector = np.ones(4, dtype=np.float32) / 2.0
    return ArticleRecord(aid, vector, {w: 0.5 for w in ("harbour", "assembly", "vote", "resolution")},
                         StoryFeatures(aid, None, published))


@pytest.mark.parametrize("dates, window, expected", [
    (["2020-01-01", "2020-01-10", "2021-06-01"], 180, [["a", "b"], ["c"]]),   # c came out 17 months later
    (["2020-01-01", "2020-01-10", None], 180, [["a", "b", "c"]]),             # c has no date: not ruled out
    (["2020-01-01", "2020-01-10", "2021-06-01"], None, [["a", "b", "c"]]),    # no window: one event
])
def test_articles_published_far_apart_are_not_paired(dates, window, expected):
    from storydiff.stories.features import load_rules

    rules = {**load_rules(), "candidate_window_days": window}
    records = [_dated(aid, d) for aid, d in zip("abc", dates)]
    assert sorted(sorted(e.article_ids) for e in cluster_events(records, rules=rules)) == expected


def test_the_store_rules_out_pairs_outside_the_window_as_clustering_in_memory_does(tmp_path, corpus):
    import dataclasses

    articles, analyses, gold = corpus
    quake = ids_of(corpus, "quake")
    late = quake[0]
    moved = [dataclasses.replace(a, published="2024-05-05") if a.id == late else a for a in articles]
    with SQLiteStore(tmp_path / "window.db") as store:
        add(store, (moved, analyses, gold))
        update_stories(store)
        got = partition(store)
        records = list(load_records(store, [a.id for a in articles]).values())
    assert frozenset([late]) in got and frozenset(quake) not in got
    assert frozenset(set(quake) - {late}) in got
    assert got == {frozenset(e.article_ids) for e in cluster_events(records)}


def test_pairs_do_not_depend_on_how_the_queries_are_chunked(tmp_path, corpus, monkeypatch):
    # with one candidate per article the search relation is not symmetric (a finds b, b finds c): a pair is one
    # where either article finds the other, whichever chunk each query is in
    import storydiff.stories
    from storydiff.stories.features import load_rules

    rules = {**load_rules(), "candidates": 1, "max_candidates": 1, "candidate_min_cosine": -1.0}
    edges = {}
    scored: dict[int, int] = {}
    real_split = storydiff.stories._split_by_candidate

    def counted(cands, *args, **kwargs):   # every pair handed to the scoring, once per chunk
        scored[chunk] = scored.get(chunk, 0) + sum(len(found) for found in cands.values())
        return real_split(cands, *args, **kwargs)
    monkeypatch.setattr(storydiff.stories, "_split_by_candidate", counted)
    for chunk in (4096, 2, 1):
        monkeypatch.setattr(storydiff.stories, "QUERY_CHUNK", chunk)
        with SQLiteStore(tmp_path / f"chunk-{chunk}.db") as store:
            add(store, corpus, {a.id for a in corpus[0]})
            update_stories(store, rules={**rules, "storyline_edge_threshold": -10.0})
            edges[chunk] = sorted((a, b) for a, b, _ in store.story_links(sorted(a.id for a in corpus[0]), -10.0))
            records = load_records(store, [a.id for a in corpus[0]])
    # what each article finds: its nearest other article (the one candidate besides itself)
    ids = sorted(records)
    vectors = np.vstack([records[a].vector for a in ids])
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    nearest = {ids[i]: ids[int(np.argmax(sims[i]))] for i in range(len(ids))}
    union = sorted({tuple(sorted((a, b))) for a, b in nearest.items()})
    assert any(nearest[b] != a for a, b in nearest.items())  # someone is found without finding back
    assert edges[4096] == edges[2] == edges[1] == union
    assert scored == {4096: len(union), 2: len(union), 1: len(union)}   # each pair scored once, in any chunking


def test_pairs_scored_in_a_pool_are_those_of_one_process(tmp_path, corpus, monkeypatch):
    # two workers, each opening the store and scoring part of every chunk: the same pairs, scores and events
    import storydiff.stories

    monkeypatch.setattr(storydiff.stories, "POOL_QUERIES", 1)
    monkeypatch.setattr(storydiff.stories, "QUERY_CHUNK", 5)
    ids = sorted(a.id for a in corpus[0])
    got = {}
    for workers in (1, 2):
        with SQLiteStore(tmp_path / f"pool-{workers}.db") as store:
            add(store, corpus, set(ids))
            update_stories(store, workers=workers)
            got[workers] = (sorted(store.story_links(ids, -10.0)), partition(store))
    assert got[1][0] and got[1] == got[2]


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_pairs_cut_by_candidate_keep_every_pair_once(parts):
    from storydiff.stories import _split_by_candidate

    rng = random.Random(parts)
    ids = [f"a{n:03d}" for n in range(60)]
    cands = {q: rng.sample([c for c in ids if c != q], rng.randint(0, 12)) for q in ids[:20]}
    tasks = _split_by_candidate(cands, parts)
    pairs = [(q, c) for task in tasks for q, found in task.items() for c in found]
    assert sorted(pairs) == sorted((q, c) for q, found in cands.items() for c in found)  # each pair once
    assert len(tasks) == parts and all(tasks)
    # a candidate is read by one task only (what the cut is for), whatever query found it
    owner = {c: k for k, task in enumerate(tasks) for found in task.values() for c in found}
    assert all(owner[c] == k for k, task in enumerate(tasks) for found in task.values() for c in found)
    assert _split_by_candidate(cands, parts) == tasks
    assert _split_by_candidate({}, parts) == []


@pytest.mark.parametrize("parts, limit, expected", [(1, 100, 6), (2, 100, 6), (2, 150, 4), (3, 1000, 3), (1, None, 1)])
def test_pairs_cut_into_tasks_of_bounded_candidates(parts, limit, expected):
    """A chunk whose candidates are spread over the store (undated articles) is cut into more tasks, so a task reads
    about ``limit`` rows at most; every pair is still scored once."""
    from storydiff.stories import _split_by_candidate

    rng = random.Random(7)
    ids = [f"a{n:04d}" for n in range(600)]
    cands = {q: rng.sample(ids, 40) for q in ids[:50]}
    assert len({c for found in cands.values() for c in found}) > 550
    tasks = _split_by_candidate(cands, parts, limit)
    assert len(tasks) == expected
    pairs = [(q, c) for task in tasks for q, found in task.items() for c in found]
    assert sorted(pairs) == sorted((q, c) for q, found in cands.items() for c in found)
    if limit:
        assert max(len({c for found in task.values() for c in found}) for task in tasks) <= 1.3 * limit

def test_an_update_restores_the_garbage_collector_thresholds(tmp_path, corpus):
    import gc

    before = gc.get_threshold()
    with SQLiteStore(tmp_path / "gc.db") as store:
        add(store, corpus, {a.id for a in corpus[0][:4]})
        update_stories(store)
    assert gc.get_threshold() == before


def test_per_article_maps_read_their_own_inputs_in_a_pool(tmp_path, corpus, monkeypatch):
    """With workers, each worker reads its chunk (articles, analyses) from the store by its URL: vectors, words and
    features come out exactly as in one process, for the name-only features too; a store in memory is read here."""
    import storydiff.stories

    monkeypatch.setattr(storydiff.stories, "BATCH", 2)          # several chunks, so the pool starts
    articles, _, _ = corpus
    ids = sorted(a.id for a in articles)
    got = {}
    for name, workers in (("one", 1), ("pool", 2), (":memory:", 2)):
        path = name if name == ":memory:" else tmp_path / f"{name}.db"
        with SQLiteStore(path) as store:
            add(store, corpus, set(ids[: len(ids) // 2]))       # half analysed: features from the analysis
            store.write_batch(store.begin_run("test", []), [a for a in articles if a.id not in ids[: len(ids) // 2]],
                              {}, {}, [], [])                    # the rest grouped on names
            update_stories(store, workers=workers, unanalysed="names")
            vectors = [(a, blob, terms) for a, _, blob, terms in store.story_vectors(ids)]
            got[name] = (sorted(vectors), store.story_features(ids), partition(store))
    assert len(got["one"][1]) == len(ids) and got["one"] == got["pool"] == got[":memory:"]


# --- the nearest-neighbour index


def _brute_force(vectors: dict[int, np.ndarray], query: np.ndarray, count: int) -> list[int]:
    """The ``count`` keys most similar to ``query`` by cosine, ties by key: what the exact search must answer."""
    keys = sorted(vectors)
    unit = np.vstack([vectors[k] / np.linalg.norm(vectors[k]) for k in keys])
    sims = unit @ (query / np.linalg.norm(query))
    return [keys[i] for i in np.lexsort((np.array(keys), -sims))[:count]]


def test_exact_index_answers_as_brute_force_in_any_insertion_order(tmp_path):
    from storydiff.stories.index import VectorIndex

    rng = np.random.default_rng(7)
    vectors = {int(k): rng.normal(size=16).astype(np.float32) for k in rng.choice(10_000, 300, replace=False)}
    twins = sorted(vectors)[:4]
    for k in twins[1:]:  # identical vectors: their order (and which of them make the cut) is decided by key
        vectors[k] = vectors[twins[0]].copy()
    answers = []
    for seed in range(3):
        order = list(vectors)
        random.Random(seed).shuffle(order)
        index = VectorIndex(16, "test")
        for at in range(0, len(order), 70):  # added in several updates, in a different order each time
            index.update({k: vectors[k] for k in order[at:at + 70]}, [])
        assert index.exact and len(index) == len(vectors)
        queries = twins + sorted(vectors)[-3:]
        found = index.search(np.vstack([vectors[k] for k in queries]), 5)
        answers.append([[k for k, _ in hits] for hits in found])
        assert answers[-1][0][:4] == twins and abs(found[0][0][1] - 1.0) < 1e-5
        for hits, q in zip(answers[-1], queries):
            assert hits == _brute_force(vectors, vectors[q], 5)
    assert answers[0] == answers[1] == answers[2]
    # a floor may leave out what is under it, never what is over it
    floor = sorted(s for _, s in index.search(vectors[twins[0]][None], 50)[0])[25]
    kept = index.search(vectors[twins[0]][None], 50, min_similarity=floor)[0]
    assert [k for k, s in index.search(vectors[twins[0]][None], 50)[0] if s >= floor] == [k for k, _ in kept]
    # removing a key takes it out of every answer
    index.update({}, [twins[0]])
    assert twins[0] not in {k for k, _ in index.search(vectors[twins[1]][None], 10)[0]} and len(index) == 299


def test_index_past_the_exact_limit_uses_the_graph_and_finds_near_neighbours(monkeypatch):
    from storydiff.stories import index as index_module

    monkeypatch.setattr(index_module, "EXACT_LIMIT", 100)
    rng = np.random.default_rng(3)
    vectors = {k: rng.normal(size=16).astype(np.float32) for k in range(250)}
    index = index_module.VectorIndex(16, "test")
    index.update({k: vectors[k] for k in range(80)}, [])
    assert index._graph is None and index.exact
    index.update({k: vectors[k] for k in range(80, 250)}, [])
    assert index._graph is not None and not index.exact and len(index) == 250
    hits = index.search(np.vstack([vectors[k] for k in range(0, 250, 25)]), 3)
    assert [h[0][0] for h in hits] == list(range(0, 250, 25))  # each vector finds itself first


def test_index_file_is_reused_when_current_and_rebuilt_when_stale(tmp_path, corpus):
    from storydiff.stories.index import VectorIndex

    with SQLiteStore(tmp_path / "idx.db") as store:
        add(store, corpus)
        update_stories(store)
        dim = len(np.frombuffer(next(store.story_vectors())[2], dtype=np.float32))
        model = store.conn.execute("SELECT model FROM story_vectors LIMIT 1").fetchone()[0]
        first = VectorIndex.open(store, dim, model)
        assert not first.rebuilt and first.exact and len(first) == len(corpus[0])
        query = np.frombuffer(next(store.story_vectors())[2], dtype=np.float32)[None]
        expected = first.search(query, 5)
        (tmp_path / "idx.db.vectors.usearch.json").write_text('{"count": 1}', "utf-8")  # a stamp that does not match
        again = VectorIndex.open(store, dim, model)
        assert again.rebuilt and again.search(query, 5) == expected
        (tmp_path / "idx.db.vectors.npz").write_bytes(b"not an array")  # a broken file costs a rebuild, no error
        again.save(store)
        (tmp_path / "idx.db.vectors.npz").write_bytes(b"not an array")
        assert VectorIndex.open(store, dim, model).rebuilt


@pytest.mark.parametrize("titles, expected", [
    ({"a": "Vote in parliament", "b": "Another title", "c": None}, "Vote in parliament"),  # the best-linked names it
    ({"a": None, "b": "Another title", "c": "Third title"}, "Another title"),  # untitled: the best-linked with a title
    ({"a": "", "b": None, "c": "Third title"}, "Third title"),                # an empty title is no title
    ({"a": None, "b": None, "c": None}, None),                                 # none has one: no title
])
def test_event_title_comes_from_the_best_linked_article_with_a_title(titles, expected):
    from dataclasses import replace

    from storydiff.stories.events import describe_event

    records = {aid: replace(_record(aid, []), title=title) for aid, title in titles.items()}
    edges = [("a", "b", 0.9), ("a", "c", 0.85), ("b", "c", 0.8)]   # strength: a 1.75, b 1.7, c 1.65
    event = describe_event([(aid, "clustered") for aid in sorted(titles)], records, edges, [])
    assert event.record["title"] == expected
    assert [x["title"] for x in event.record["articles"]] == [titles[a] for a in sorted(titles)]


@pytest.mark.parametrize("titles, expected", [
    ({"ev1": "Small event", "ev2": "Large event"}, "Large event"),   # the largest event names the storyline
    ({"ev1": "Small event", "ev2": None}, "Small event"),           # unless it has no title
    ({"ev1": None, "ev2": None}, None),
])
def test_storyline_title_comes_from_the_largest_event_with_a_title(titles, expected):
    from storydiff.stories.events import Event
    from storydiff.stories.storylines import describe_storyline

    sizes = {"ev1": 2, "ev2": 3}
    by_id = {e: Event(e, [(f"{e}-{n}", "clustered") for n in range(sizes[e])], {"title": t, "date": "2021-10-2" + e[-1]})
             for e, t in titles.items()}
    _, record, ordered = describe_storyline(["ev1", "ev2"], by_id, {("ev1", "ev2"): (0.7, '["A"]')})
    assert record["title"] == expected
    assert ordered == ["ev1", "ev2"]


def test_scoring_rows_are_stored_by_the_update_and_score_as_the_records(stories_store, corpus):
    # the update stores every article's scoring row; read back (load_rows, or with the records) it is byte for byte
    # the row made from the record, and pairs score exactly as from records that make their rows themselves
    from storydiff.stories import load_rows
    from storydiff.stories.rows import encode_row

    ids = [a.id for a in corpus[0]]
    assert stories_store.story_rows_missing() == []
    records = sorted(load_records(stories_store, ids).values(), key=lambda r: r.article_id)
    rows = load_rows(stories_store, ids)
    assert all(r.row is not None for r in records) and sorted(rows) == [r.article_id for r in records]
    for r in records:
        assert rows[r.article_id].to_bytes() == r.row.to_bytes() == encode_row(r).to_bytes()
    bare = sorted(load_records(stories_store, ids, rows=False).values(), key=lambda r: r.article_id)
    assert all(r.row is None for r in bare)
    n = len(records)
    first, second = zip(*[(i, j) for i in range(n) for j in range(i + 1, n)])
    from_rows = score_pairs([rows[r.article_id] for r in records], first, second, both=True)
    from_records = score_pairs(bare, first, second, both=True)
    assert all(np.array_equal(a, b) for a, b in zip(from_rows, from_records))
    assert from_rows[0].max() > 0.75 > from_rows[0].min()


def test_scoring_row_sections_table():
    import datetime

    # what each section of a row holds (rows.SECTIONS), with its negatives
    from storydiff.stories.features import DateMention, StoryFeatures
    from storydiff.stories.rows import PEOPLE, SECTIONS, decode_row, encode_row, key_hash, row_sections

    entities = (("vincent jackson", "PERSON", 4.0, "Vincent Jackson"), ("~jackson", "PERSON", 2.0, "Jackson"),
                ("jamal jackson", "PERSON", 1.0, "Jamal Jackson"), ("chargers", "ORG", 3.0, "Chargers"),
                ("madonna", "PERSON", 5.0, "Madonna"))
    when = DateMention("2009-01-12", "day", "on Monday", 10, 0)
    features = StoryFeatures("a", None, None, entities, tallies=("169-1",), numbers=("count:2000",),
                             measures=("count:pirates:23", "count:pirates:26"), dates=(when,), when=when)
    record = ArticleRecord("a", np.ones(4, dtype=np.float32) / 2, {"arrested": 0.8, "receiver": 0.6}, features)
    got = dict(zip(SECTIONS, row_sections(record)))
    h = key_hash
    assert got["terms"] == {h("arrested"): 0.8, h("receiver"): 0.6}
    norm = (4.0 ** 2 + 2.0 ** 2 + 1.0 ** 2 + 3.0 ** 2 + 5.0 ** 2) ** 0.5
    assert got["entities"] == pytest.approx({h(k): w / norm for k, _, w, _ in entities})
    assert got["tallies"] == {h("169-1"): 1.0} and got["numbers"] == {h("count:2000"): 1.0}
    assert got["measures"] == {h("count:pirates:23"): 1.0, h("count:pirates:26"): 1.0}
    assert got["things"] == {h("count:pirates"): 1.0}                  # two counts of one thing: one key
    # people: surnames of persons named in full, at the heaviest weight of any full name with that surname;
    # not a surname alone ("~jackson"), not a single name ("madonna"), not an organisation
    assert got["people"] == {h("jackson"): 4.0}
    assert got["words"] == {h(w): 1.0 for w in ("vincent", "jackson", "jamal", "chargers", "madonna")}
    row = encode_row(record)
    assert row.when == datetime.date(2009, 1, 12).toordinal()
    again = decode_row("a", record.vector.tobytes(), row.to_bytes())
    assert again.to_bytes() == row.to_bytes() and list(again.counts) == [len(got[s]) for s in SECTIONS]
    assert np.array_equal(again.section(PEOPLE)[0], [h("jackson")])
    undated = encode_row(ArticleRecord("b", record.vector, {}, StoryFeatures("b", None, None)))
    assert np.isnan(undated.when) and int(undated.counts.sum()) == 0
    with pytest.raises(ValueError):
        decode_row("a", record.vector.tobytes(), b"not a row")
    # a stable hash (the same in every process): not Python's salted hash()
    assert h("earthquake") == -8238502197779647374


def test_scoring_rows_are_made_by_the_features_maps_and_filled_in_after(tmp_path, corpus, monkeypatch):
    # a new article's row is made where its features are (nothing is read back for it); an article whose vector and
    # words were made again while its features stayed gets its row made again from its stored record
    import storydiff.stories

    filled = []
    real = storydiff.stories._row_blobs
    monkeypatch.setattr(storydiff.stories, "_row_blobs", lambda records: filled.extend(r.article_id for r in records)
                        or real(records))
    with SQLiteStore(tmp_path / "rows.db") as store:
        add(store, corpus)
        update_stories(store)
        ids = sorted(a.id for a in corpus[0])
        assert filled == [] and store.story_rows_missing() == []
        before = {a: row for a, _, row in store.story_rows(ids)}
        blob = next(v for a, _, v, _ in store.story_vectors(ids[:1]))
        store.write_story_vectors([(ids[0], "an older text", "wordllama", blob, "{}")])
        stored_again(store, ids[:1])
        assert store.story_rows_missing() == ids[:1]
        update_stories(store)
        assert filled == ids[:1] and store.story_rows_missing() == []
        assert {a: row for a, _, row in store.story_rows(ids)} == before      # the same text: the same row


def test_a_store_from_before_scoring_rows_and_profiles_is_caught_up(stories_store):
    """A store migrated from before 0006 has no scoring rows and no event profiles: its next update makes the rows,
    finds the same events, and its storyline pass (run again over every event) makes the profiles it lacks, keeps
    them, and gives the same storylines; the pass after reads them back."""
    from storydiff.stories import update_storylines

    store = stories_store
    events, lines = partition(store), _storylines(store)
    ids = sorted(a for e in events for a in e)
    store.conn.execute("DELETE FROM story_rows")
    store.conn.execute("DELETE FROM event_profiles")
    store.conn.execute("UPDATE events SET linked = 0")     # as a store from before kept links was migrated
    store.conn.execute("DELETE FROM event_links")
    store.conn.execute("DELETE FROM stories_state")     # nor the log of changes (0008): the next update scans all
    store.conn.commit()
    assert store.story_rows_missing() == ids
    update_stories(store)
    assert store.story_rows_missing() == [] and partition(store) == events and _storylines(store) == lines
    event_ids = [e for e, _, _, _ in store.get_events()]
    kept = store.event_profiles(event_ids)
    assert kept and set(kept) <= set(event_ids)
    store.conn.execute("UPDATE events SET linked = 0")
    store.conn.execute("DELETE FROM event_links")
    store.conn.commit()
    assert update_storylines(store) == len(lines) and _storylines(store) == lines
    assert store.event_profiles(event_ids) == kept


def test_profiles_wait_in_a_temporary_file_and_are_written_from_it(tmp_path):
    """The profiles an update makes are held in a temporary file (offsets only in memory) and the store writes them
    from that mapping as from a dict."""
    from storydiff.stories import _Spill

    spill = _Spill()
    spill.update({"ev2": b"two", "ev1": b"\x00one"})
    spill.update({"ev3": b"", "ev2": b"two again"})
    assert len(spill) == 3 and sorted(spill) == ["ev1", "ev2", "ev3"]
    assert dict(spill.items()) == {"ev1": b"\x00one", "ev2": b"two again", "ev3": b""}
    with SQLiteStore(tmp_path / "s.db") as store:
        store.replace_events([], [("ev1", None, "{}", [("a1", "auto")]), ("ev2", None, "{}", [("a2", "auto")])],
                             profiles=spill)
        assert store.event_profiles(["ev1", "ev2", "ev3"]) == {"ev1": b"\x00one", "ev2": b"two again"}
    spill.close()
    assert len(spill) == 0


@pytest.mark.parametrize("where", ["events", "pairs"])
def test_an_update_interrupted_after_its_pairs_is_finished_by_the_next(tmp_path, corpus, monkeypatch, where):
    """Articles already in events whose vectors change (another embedder) get new pairs; an update interrupted after
    replacing some of their pairs -- in the pair scoring, or while writing the events -- leaves them marked, and the
    next update re-clusters them: the store ends as an uninterrupted run leaves it."""
    import storydiff.stories as stories

    def state(store):
        return (sorted(store.story_links([a.id for a in corpus[0]], -10.0)),
                sorted(json.dumps(e, sort_keys=True) for e in list_events(store)), _storylines(store))

    with SQLiteStore(tmp_path / "ref.db") as ref:
        add(ref, corpus)
        update_stories(ref, embedder="wordllama-plain")
        before = state(ref)
        update_stories(ref, embedder="wordllama")
        expected = state(ref)
    assert before != expected   # the other vectors change the pairs' scores
    with SQLiteStore(tmp_path / "cut.db") as store:
        add(store, corpus)
        update_stories(store, embedder="wordllama-plain")

        def crash(*args, **kwargs):
            raise KeyboardInterrupt
        if where == "events":
            monkeypatch.setattr(store, "replace_events", crash)
        else:
            real = store.replace_story_edges
            calls = []

            def some_then_crash(ids, edges):
                calls.append(1)
                if len(calls) > 2:    # the old pairs dropped, one chunk of new ones written
                    raise KeyboardInterrupt
                return real(ids, edges)
            monkeypatch.setattr(store, "replace_story_edges", some_then_crash)
            monkeypatch.setattr(stories, "QUERY_CHUNK", 8)
        with pytest.raises(KeyboardInterrupt):
            update_stories(store, embedder="wordllama")
        monkeypatch.undo()
        marked, kept = store.stories_pending()
        assert marked == sorted(a.id for a in corpus[0]) and kept   # every article: its vector changed
        assert update_stories(store, embedder="wordllama").changed == len(marked)
        assert state(store) == expected
        assert store.stories_pending() == ([], [])


def _spy_looks(store, monkeypatch) -> list:
    """Record the ``ids`` each call of ``pending_story_vectors`` is given (None: the whole store)."""
    seen = []
    real = store.pending_story_vectors

    def spy(model, ids=None):
        seen.append(None if ids is None else sorted(ids))
        return real(model, ids)
    monkeypatch.setattr(store, "pending_story_vectors", spy)
    return seen


def _log(store) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT article_id FROM story_changes ORDER BY seq")]


def test_an_update_looks_only_at_the_articles_logged_since_the_last(tmp_path, corpus, monkeypatch):
    """Storing or analysing an article logs it; an update looks at the logged articles only (no scan of the
    store), empties the log, and ends exactly where a scan of the whole store ends."""
    articles = corpus[0]
    first = {a.id for a in articles if corpus[2][a.id] != "quake"}
    quake = sorted({a.id for a in articles} - first)
    results = {}
    for name, scan in (("logged", False), ("scanned", True)):
        with SQLiteStore(tmp_path / f"{name}.db") as store:
            add(store, corpus, first)
            update_stories(store)
            assert _log(store) == []
            add(store, corpus, set(quake))
            assert sorted(set(_log(store))) == quake and len(_log(store)) == 2 * len(quake)  # stored, analysed
            if scan:
                store.conn.execute("DELETE FROM stories_state")   # as a store from before the log
            seen = _spy_looks(store, monkeypatch)
            summary = update_stories(store)
            monkeypatch.undo()
            assert seen == [None if scan else quake] and summary.looked_at == (None if scan else len(quake))
            assert (summary.embedded, summary.featured, summary.changed, summary.waiting) == (3, 3, 3, 0)
            assert _log(store) == [] and store.story_changes_state() is not None
            results[name] = (sorted(json.dumps(e, sort_keys=True) for e in list_events(store)), _storylines(store))
            seen = _spy_looks(store, monkeypatch)
            again = update_stories(store)
            assert again.changed == 0 and again.looked_at == 0 and seen == [[]]   # nothing logged: nothing looked at
            monkeypatch.undo()
    assert results["logged"] == results["scanned"]


def test_other_settings_scan_the_store_once_and_an_interrupted_update_keeps_its_log(tmp_path, corpus, monkeypatch):
    """The log is relative to the settings of the update that last took it: grouping unanalysed articles on their
    names (or another model) scans the store once; the next update with the same settings reads the log again. An
    update interrupted before its events are written leaves the log for the next, which ends as one would have."""
    articles = corpus[0]
    first = {a.id for a in articles if corpus[2][a.id] != "quake"}
    quake = sorted({a.id for a in articles} - first)
    with SQLiteStore(tmp_path / "s.db") as store:
        add(store, corpus, first)
        update_stories(store)
        seen = _spy_looks(store, monkeypatch)
        update_stories(store, unanalysed="names")
        update_stories(store, unanalysed="names")
        update_stories(store)
        monkeypatch.undo()
        assert seen == [None, [], None]
        add(store, corpus, set(quake))

        def crash(*args, **kwargs):
            raise KeyboardInterrupt
        monkeypatch.setattr(store, "replace_events", crash)
        with pytest.raises(KeyboardInterrupt):
            update_stories(store)
        monkeypatch.undo()
        assert sorted(set(_log(store))) == quake
        seen = _spy_looks(store, monkeypatch)
        summary = update_stories(store)
        assert seen == [quake] and summary.changed == len(quake) and _log(store) == []
        assert partition(store) == gold_partition(corpus)
