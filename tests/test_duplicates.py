"""Copies of one article: exact and near duplicates, independent of the order of ingestion."""

from __future__ import annotations

import pytest

from conftest import INPUTS, SEEDS, id_of
from storydiff import build_report, ingest
from storydiff.ingest.dedup import NEAR_DUPLICATE_JACCARD, duplicate_groups
from storydiff.store.sqlite import SQLiteStore

DUPES = INPUTS / "dupes"
A, A_COPY, B = DUPES / "wire_a.txt", DUPES / "wire_a_copy.txt", DUPES / "wire_b.txt"
UNRELATED = [INPUTS / "plain/council.txt", INPUTS / "plain/strike_with_header.txt", INPUTS / "plain/flood.txt"]
FILES = [A, A_COPY, B, *UNRELATED]


def links_of(store) -> dict[frozenset, tuple[str, float]]:
    return {frozenset((ln.a, ln.b)): (ln.kind, ln.similarity) for ln in store.duplicate_links()}


def groups_of(store) -> list[list[str]]:
    return duplicate_groups(store.duplicate_links(), {r.id: r.published for r in store.list_articles()})


@pytest.fixture(scope="module")
def forward(tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("fwd") / "store.db")
    summary = ingest([str(p) for p in FILES], store, workers=1)  # one batch: copies found within it
    yield store, summary
    store.close()


@pytest.fixture(scope="module")
def backward(tmp_path_factory):
    store = SQLiteStore(tmp_path_factory.mktemp("bwd") / "store.db")
    for path in reversed(FILES):  # one run per file: copies found against the store
        ingest([str(path)], store, workers=1)
    yield store
    store.close()


def test_exact_copy(forward):
    store, summary = forward
    kind, sim = links_of(store)[frozenset((id_of(A), id_of(A_COPY)))]
    assert (kind, sim) == ("exact", 1.0)


@pytest.mark.parametrize("other", [A, A_COPY], ids=["wire_a", "wire_a_copy"])
def test_near_copy(forward, other):
    store, _ = forward
    kind, sim = links_of(store)[frozenset((id_of(other), id_of(B)))]
    assert kind == "near"
    assert NEAR_DUPLICATE_JACCARD <= sim < 1.0
    assert sim >= 0.6


def test_unrelated_articles_are_not_linked(forward):
    store, summary = forward
    linked = {aid for pair in links_of(store) for aid in pair}
    assert linked == {id_of(A), id_of(A_COPY), id_of(B)}
    assert not linked & {id_of(p) for p in UNRELATED}
    assert len(links_of(store)) == 3
    assert summary.duplicates == 2  # the copy and the near copy each found an earlier one


def test_links_are_stored_once_with_a_before_b(forward):
    store, _ = forward
    links = store.duplicate_links()
    assert all(ln.a < ln.b for ln in links)
    assert len({(ln.a, ln.b) for ln in links}) == len(links)


def test_reverse_order_gives_the_same_links(forward, backward):
    assert links_of(backward) == links_of(forward[0])


def test_reverse_order_gives_the_same_groups_and_canonical(forward, backward):
    groups = groups_of(forward[0])
    assert groups == groups_of(backward)
    assert len(groups) == 1 and sorted(groups[0]) == sorted([id_of(A), id_of(A_COPY), id_of(B)])
    report_fwd, report_bwd = build_report(forward[0]), build_report(backward)
    assert [g["canonical"] for g in report_fwd["duplicate_groups"]] == \
           [g["canonical"] for g in report_bwd["duplicate_groups"]] == [groups[0][0]]
    dup_of = {a["id"]: a["duplicate_of"] for a in report_fwd["articles"]}
    assert dup_of == {a["id"]: a["duplicate_of"] for a in report_bwd["articles"]}
    assert sorted(k for k, v in dup_of.items() if v) == sorted(set(groups[0]) - {groups[0][0]})


def test_canonical_is_the_earliest_published():
    from storydiff.model import DuplicateLink

    links = [DuplicateLink("a1", "b2", "near", 0.8), DuplicateLink("b2", "c3", "exact", 1.0)]
    groups = duplicate_groups(links, {"a1": "2024-03-09", "b2": None, "c3": "2024-03-08"})
    assert groups == [["c3", "a1", "b2"]]
    assert duplicate_groups(list(reversed(links)), {"a1": "2024-03-09", "b2": None, "c3": "2024-03-08"}) == groups


def test_seeds_have_no_duplicates(store):
    summary = ingest([str(SEEDS)], store, workers=1)
    assert summary.stored == 5
    assert summary.duplicates == 0
    assert store.duplicate_links() == []
