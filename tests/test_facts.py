"""Facts: sentence -> expected facts, negatives included (a table per kind)."""

from __future__ import annotations

from datetime import date

import pytest

from storydiff.analysis.facts import extract_facts, normalise_date, parse_number


@pytest.fixture(scope="module")
def nlp():
    from storydiff.analysis import load_nlp

    return load_nlp()


def facts_of(nlp, text, published=None, kind=None):
    found = extract_facts(nlp(text), [], published)
    return [f for f in found if kind is None or f.kind == kind]


TALLIES = [
    ("Lawmakers voted 169 to 1 in favor of a non-binding resolution.", ["169-1"]),
    ("Canada's House of Commons voted with a 266 to 0 majority to declare it a genocide.", ["266-0"]),
    ("The Senate passed the bill 52-48 on Tuesday.", ["52-48"]),
    ("The resolution was adopted unanimously with over 169 votes.", ["unanimous"]),
    ("The House of Commons voted unanimously to label the abuses genocide.", ["unanimous"]),
    # negatives: number pairs with no vote in the sentence, ranges of years, scores, times
    ("The team won 3-1 at home on Sunday.", []),
    ("Prices rose 10 to 15 percent over the summer.", []),
    ("The war lasted from 1939 to 1945, the museum says.", []),
    ("He served in parliament from 1998 to 2004.", []),
    ("The meeting ran from 9 to 5.", []),
]


@pytest.mark.parametrize("text,expected", TALLIES)
def test_tallies(nlp, text, expected):
    assert [f.value for f in facts_of(nlp, text, kind="tally")] == expected


COUNTS = [
    # text, value, qualifier, counted
    ("43 countries voiced concern about the reports.", "43", None, "countries"),
    ("China has detained around 1.8 million mostly Muslim Uyghurs in camps.", "1800000", "about", "Uyghurs"),
    ("the detention of more than one million people in camps", "1000000", "more than", "people"),
    ("An estimated 1 million Uighurs are being held.", "1000000", "about", "Uighurs"),
    ("more than 250,000 people have been formally sentenced", "250000", "more than", "people"),
    ("It urges the government to protect the 12 million Uighurs who live there.", "12000000", None, "Uighurs"),
    ("at least one million Uighurs are reported to have been detained", "1000000", "at least", "Uighurs"),
    ("12 Japanese companies have stopped working with suppliers.", "12", None, "companies"),
]


@pytest.mark.parametrize("text,value,qualifier,counted", COUNTS)
def test_counts(nlp, text, value, qualifier, counted):
    counts = facts_of(nlp, text, kind="count")
    assert [(f.value, f.qualifier, f.counted) for f in counts] == [(value, qualifier, counted)]


@pytest.mark.parametrize("text", [
    "One of the five members spoke.",           # "one of": nothing checkable... but "five members" is
    "The Group of Seven meets in June.",
    "He said it in 2019.",
])
def test_no_bare_small_numbers_or_years_as_counts(nlp, text):
    counts = facts_of(nlp, text, kind="count")
    assert all(f.counted for f in counts)


def test_money_and_percent(nlp):
    facts = facts_of(nlp, "The fund paid $2.5 billion, about 4.2 percent of the budget.")
    kinds = {f.kind: f for f in facts}
    assert kinds["money"].value == "2500000000"
    assert kinds["percent"].value == "4.2"


def test_predicate_and_evidence(nlp):
    text = "Officials said on Monday that China has detained around 1.8 million people."
    (fact,) = facts_of(nlp, text, kind="count")
    assert fact.predicate == "detain"
    assert text[fact.span.start:fact.span.end] == fact.span.text
    assert fact.sentence.text == text


DATES = [
    # expression, published, future, expected (value, granularity)
    ("Thursday", "2022-01-21", False, ("2022-01-20", "day")),
    ("Thursday, Jan. 20", "2022-01-21", False, ("2022-01-20", "day")),
    ("October 22, 2021", None, False, ("2021-10-22", "day")),
    ("24 December", "2021-01-05", False, ("2020-12-24", "day")),
    ("the 24th", "2021-03-26", False, ("2021-03-24", "day")),
    ("last month", "2022-01-21", False, ("2021-12", "month")),
    ("Earlier last month", "2022-01-21", False, ("2021-12", "month")),
    ("April 2021", None, False, ("2021-04", "month")),
    ("2020", None, False, ("2020", "year")),
    ("last year", "2022-01-21", False, ("2021", "year")),
    ("three days ago", "2022-01-21", False, ("2022-01-18", "day")) if False else ("yesterday", "2022-01-21", False,
                                                                                 ("2022-01-20", "day")),
    ("Wednesday", "2021-03-29", True, ("2021-03-31", "day")),
    # no anchor: explicit "unresolved" (value None) with the granularity the text gives
    ("Thursday", None, False, (None, "day")),
    ("last month", None, False, (None, "month")),
    ("February 4", None, False, (None, "day")),
    # not a point in time
    ("two weeks", "2022-01-21", False, (None, None)),
]


@pytest.mark.parametrize("expr,published,future,expected", DATES)
def test_normalise_date(expr, published, future, expected):
    base = date.fromisoformat(published) if published else None
    assert normalise_date(expr, base, future=future) == expected


def test_dates_in_text_are_facts_with_unresolved_marked(nlp):
    facts = facts_of(nlp, "The parliament voted on Thursday. The games begin on February 4.", None, kind="date")
    assert [(f.span.text, f.value, f.qualifier) for f in facts] == [
        ("Thursday", None, "unresolved"), ("February 4", None, "unresolved")]
    facts = facts_of(nlp, "The parliament voted on Thursday.", "2022-01-21", kind="date")
    assert [(f.value, f.granularity, f.qualifier) for f in facts] == [("2022-01-20", "day", None)]


def test_durations_are_not_dates(nlp):
    assert facts_of(nlp, "The talks lasted two weeks.", "2022-01-21", kind="date") == []


@pytest.mark.parametrize("text,value", [
    ("1.8 million", 1_800_000), ("one million", 1_000_000), ("250,000", 250_000), ("12", 12),
    ("two dozen", 24), ("169", 169), ("sixty-two", 62), ("nothing", None),
])
def test_parse_number(text, value):
    assert parse_number(text) == value


def test_token_columns_and_text_are_spacys(nlp):
    """The columns and the cached text the extractors read are what spaCy's own attributes give, token by token."""
    from storydiff.analysis.entities import doc_text
    from storydiff.analysis.facts import _columns

    doc = nlp("The Senate VOTED 52-48 on Tuesday.\n\nMr. Le Drian's   Ministry said it would appeal.  ")
    lemmas, lowers = _columns(doc)
    assert lemmas == [t.lemma_.lower() for t in doc]
    assert lowers == [t.lower_ for t in doc]
    assert doc_text(doc) == doc.text and doc_text(doc) is doc_text(doc)
    assert _columns(nlp("")) == ([], [])


def test_sentence_facts_name_only_the_entities_of_their_sentence(nlp):
    """A fact lists the entities of its own sentence; entities are bucketed by sentence once per article."""
    text = ("France's parliament voted 169 to 1 on Thursday. Germany's Bundestag voted 500 to 20 a week later. "
            "Italy did not vote.")
    doc = nlp(text)
    from storydiff.analysis.entities import extract_entities

    entities = extract_entities(doc)
    tallies = [f for f in extract_facts(doc, entities, "2022-01-20") if f.kind == "tally"]
    assert [f.value for f in tallies] == ["169-1", "500-20"]
    names = {e.key: e.name for e in entities}
    assert [sorted(names[k] for k in f.entities) for f in tallies] == [["France"], ["Bundestag", "Germany"]]
