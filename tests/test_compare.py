"""Cross-outlet comparison: fact rows and their status, names, quotes across outlets, omissions, even-handedness."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from storydiff.analysis import analyze_articles
from storydiff.compare import Account, align_facts, compare, match_quotes
from storydiff.ingest.prepare import prepare_record
from storydiff.model import RawRecord

ROOT = Path(__file__).resolve().parent.parent


def article(text: str, name: str, published: str | None = "2024-03-15"):
    header = f"date: {published}\n\n" if published else ""
    return prepare_record(RawRecord(locator=f"test:{name}", kind="text", payload=header + text, raw_hash=name))


def accounts(specs: list[tuple[str, str, str]]) -> list[Account]:
    """(name, outlet, text) -> analysed accounts."""
    arts = [article(text, name) for name, _, text in specs]
    analyses = list(analyze_articles(arts))
    return [Account(a.id, outlet, a.published, an) for a, (_, outlet, _), an in zip(arts, specs, analyses)]


FILLER = (" The debate lasted most of the afternoon and several members spoke before the vote. "
          "Observers said the outcome had been expected for weeks.")

VOTE_A = ("Lawmakers in Norhaven voted 52 to 3 on Tuesday to approve the harbour expansion bill, officials said."
          + FILLER)
VOTE_B = ("The Norhaven council approved the harbour expansion bill unanimously on Tuesday, the mayor's office said."
          + FILLER)
VOTE_C = ("Norhaven lawmakers voted 52 to 3 to approve the harbour expansion bill on Tuesday." + FILLER)
OTHER_VOTE = ("In Port Calder, the assembly voted 30 to 12 to reject a separate fishing quota bill in March."
              + FILLER)


@pytest.fixture(scope="module")
def vote_accounts():
    return accounts([("a", "Outlet A", VOTE_A), ("b", "Outlet B", VOTE_B), ("c", "Outlet C", VOTE_C),
                     ("d", "Outlet D", OTHER_VOTE)])


def rows_of(rows, kind):
    return [r for r in rows if r.kind == kind]


def test_tally_conflict_and_corroboration(vote_accounts):
    rows = rows_of(align_facts(vote_accounts), "tally")
    harbour = [r for r in rows if {c.outlet for c in r.claims} >= {"Outlet A", "Outlet B"}]
    assert len(harbour) == 1
    row = harbour[0]
    assert row.status == "conflicting"  # 52-3 against "unanimously"
    assert {c.value for c in row.claims} == {"52-3", "unanimous"}
    for claim in row.claims:  # every claim carries its evidence sentence
        assert claim.text in claim.evidence.text


def test_a_different_vote_is_not_aligned(vote_accounts):
    rows = rows_of(align_facts(vote_accounts), "tally")
    port = [r for r in rows if any(c.outlet == "Outlet D" for c in r.claims)]
    assert len(port) == 1 and [c.outlet for c in port[0].claims] == ["Outlet D"]
    assert port[0].status == "single-source"


def test_copies_count_as_one_source():
    accs = accounts([("a", "Outlet A", VOTE_C), ("b", "Outlet A", VOTE_C.replace("Tuesday", "Tuesday evening"))])
    rows = rows_of(align_facts(accs), "tally")
    assert rows and all(r.status != "corroborated" for r in rows)  # one outlet twice is one source


@pytest.mark.parametrize("a,b,status", [
    ("around 1.8 million people", "more than one million people", "differing-estimates"),
    ("1,800 people", "1,800 people", "corroborated"),
    ("1,800 people", "2,500 people", "conflicting"),
    ("at least 40 people", "fewer than 20 people", "conflicting"),
])
def test_count_statuses(a, b, status):
    template = "Police in Millbridge said {} were detained after the protest at the harbour on Friday." + FILLER
    accs = accounts([("x", "Outlet X", template.format(a)), ("y", "Outlet Y", template.format(b))])
    rows = [r for r in rows_of(align_facts(accs), "count") if len(r.claims) == 2]
    assert [r.status for r in rows] == [status]


def test_same_surname_different_first_names_is_a_name_conflict_and_variants_are_not():
    accs = accounts([
        ("x", "Outlet X", "Foreign Minister Jean-Yves Le Drian condemned the camps in Uyghur areas on Monday." + FILLER),
        ("y", "Outlet Y", "Foreign Minister Jean-Claude Le Drian condemned the camps in Uighur areas on Monday." + FILLER),
    ])
    rows = rows_of(align_facts(accs), "name")
    statuses = {r.status for r in rows}
    conflict = [r for r in rows if r.status == "conflicting"]
    assert conflict and {c.value for c in conflict[0].claims} == {"Jean-Yves Le Drian", "Jean-Claude Le Drian"}
    assert conflict[0].question == "name of the person surnamed 'Le Drian'"
    assert not any(r.status == "conflicting" and any("Uy" in (c.value or "") or "Ui" in (c.value or "")
                                                     for c in r.claims) for r in rows)
    assert statuses <= {"conflicting", "variants"}


@pytest.mark.parametrize("clause, question", [
    ("The Norhaven harbour summit was on March {}", "date — norhaven"),  # 'be' says nothing: not in the label
    ("Norhaven held the harbour summit on March {}", "date of 'hold' — norhaven"),
])
def test_row_label_leaves_out_light_verbs(clause, question):
    accs = accounts([(n, f"Outlet {n}", clause.format(day) + ", officials in Norhaven said." + FILLER)
                     for n, day in (("x", 12), ("y", 14))])
    rows = [r for r in rows_of(align_facts(accs), "date") if len(r.claims) == 2]
    assert [(r.status, r.question) for r in rows] == [("conflicting", question)]


def test_internal_inconsistency_inside_one_article():
    accs = accounts([("x", "Outlet X", "French Foreign Minister Jean-Yves Le Drian spoke on Monday. Later, French "
                                       "Foreign Minister Jean-Claude Le Drian said the camps must close." + FILLER),
                     ("y", "Outlet Y", VOTE_A)])
    rows = [r for r in align_facts(accs) if r.internal]
    assert rows and rows[0].kind == "name" and rows[0].status == "conflicting"


def test_quotes_across_outlets_with_diff_and_attribution_flags():
    a = ('“We strongly oppose this interference in our internal affairs and we will respond firmly,” the embassy '
         'said in a statement on Thursday.' + FILLER)
    b = ('The foreign ministry said it strongly opposed this interference in its internal affairs and would respond '
         'firmly.' + FILLER)
    accs = accounts([("x", "Outlet X", a), ("y", "Outlet Y", b)])
    matches = match_quotes(accs)
    assert len(matches) == 1
    m = matches[0]
    assert {q.outlet for q in m.quotes} == {"Outlet X", "Outlet Y"}
    assert any(op[0] in ("insert", "delete") for op in m.diff)
    assert any("paraphrased" in f for f in m.flags)


def _rename(obj, mapping):
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False)
    for old, new in mapping.items():
        text = text.replace(old, new)
    return json.loads(text)


def _as_json(result):
    return json.loads(json.dumps(dataclasses.asdict(result), sort_keys=True, ensure_ascii=False))


@pytest.mark.parametrize("corpus", ["seeds", "votes"])
def test_renaming_outlets_swaps_names_and_changes_nothing_else(corpus):
    """Even-handed by construction: the output depends on what articles say, not on who they are."""
    if corpus == "seeds":
        from storydiff.ingest.sources import iter_records

        arts = [prepare_record(r) for r in iter_records([str(ROOT / "examples" / "seeds")])]
    else:
        texts = [VOTE_A, VOTE_B, VOTE_C, OTHER_VOTE, VOTE_A.replace("officials said", "a spokesman said")]
        arts = [article(t, f"v{i}") for i, t in enumerate(texts)]
    analyses = list(analyze_articles(arts))
    names = ["Outlet Alpha", "Outlet Bravo", "Outlet Charlie", "Outlet Delta", "Outlet Echo"]
    first = [Account(a.id, n, a.published, an) for a, n, an in zip(arts, names, analyses)]
    swapped_names = list(reversed(names))
    second = [Account(a.id, n, a.published, an) for a, n, an in zip(arts, swapped_names, analyses)]
    mapping = {old: f"@@{i}@@" for i, old in enumerate(names)}
    back = {f"@@{i}@@": new for i, new in enumerate(swapped_names)}
    expected = _rename(_rename(_as_json(compare(first)), mapping), back)
    result = compare(second)
    assert _as_json(result) == expected
    if corpus == "votes":
        assert result.omissions and any(r.status == "corroborated" for r in result.rows)
