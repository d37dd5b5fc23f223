"""Canonical entities within an article: short forms, acronyms, spelling variants, same-surname conflicts."""

from __future__ import annotations

import pytest

from storydiff.analysis.entities import clean_name, entity_key, extract_entities, surname_words


@pytest.fixture(scope="module")
def nlp():
    from storydiff.analysis import load_nlp

    return load_nlp()


def by_name(entities):
    return {e.name: e for e in entities}


def test_surname_resolves_to_full_name(nlp):
    text = ("Boris Vallaud, spokesperson for the Socialist Party, welcomed the vote. "
            "Vallaud said the fight would continue.")
    ents = by_name(extract_entities(nlp(text)))
    assert "Boris Vallaud" in ents
    assert "Vallaud" not in ents
    assert set(ents["Boris Vallaud"].forms) == {"Boris Vallaud", "Vallaud"}
    assert len(ents["Boris Vallaud"].mentions) == 2


def test_acronym_defined_in_text(nlp):
    text = ("The executive director of Human Rights Watch (HRW) will speak. "
            "HRW has published several reports on the camps.")
    ents = by_name(extract_entities(nlp(text)))
    hrw = ents["Human Rights Watch"]
    assert hrw.acronym == "HRW"
    assert "HRW" in hrw.forms and "HRW" not in ents


def test_spelling_variants_grouped_with_evidence(nlp):
    text = ("The Uyghur Forced Labor Prevention Act bans imports. Activists said the Uighur community "
            "welcomed it, and Uyghur groups called for more.")
    keys = {entity_key("Uyghur"), entity_key("Uighur")}
    assert len(keys) == 1
    for e in extract_entities(nlp(text)):
        if e.name in ("Uyghur", "Uighur"):
            assert {"Uyghur", "Uighur"} <= set(e.forms)
            assert any("variant" in reason for _, reason in e.variants)


def test_two_full_names_sharing_a_surname_are_distinct_and_linked(nlp):
    text = ("French Foreign Minister Jean-Yves Le Drian denounced the surveillance on Monday. "
            "However, French Foreign Minister Jean-Claude Le Drian pointed out that the camps violate rights.")
    ents = by_name(extract_entities(nlp(text)))
    a, b = ents["Jean-Yves Le Drian"], ents["Jean-Claude Le Drian"]
    assert a.key != b.key
    assert b.key in {k for k, _ in a.related}
    reason = dict(a.related)[b.key]
    assert "Le Drian" in reason and "different full name" in reason


@pytest.mark.parametrize("a,b,same", [
    ("Uyghur", "Uighur", True),
    ("Muammar Gaddafi", "Muammar Gadhafi", True),
    ("Austria", "Australia", False),
    ("Zhang Jun", "Shang Jun", False),
    ("Jean-Yves Le Drian", "Jean-Claude Le Drian", False),
])
def test_entity_key_variants(a, b, same):
    assert (entity_key(a) == entity_key(b)) is same


@pytest.mark.parametrize("raw,clean", [
    ("the Chinese Embassy", "Chinese Embassy"),
    ("Emmanuel Macron’s", "Emmanuel Macron"),
    ("France's", "France"),
    ("Human Rights Watch", "Human Rights Watch"),
])
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean


def test_mentions_are_offsets_into_the_text(nlp):
    text = "Zhang Jun denied the accusations. Zhang added that lies are still lies."
    for e in extract_entities(nlp(text)):
        for m in e.mentions:
            assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("name, surname", [
    ("Jean-Yves Le Drian", "Le Drian"),          # a capitalised particle belongs to the surname
    ("Nicolas de Rivière", "de Rivière"),        # so does a lower-case one
    ("Hans van der Berg", "van der Berg"),
    ("Boris Vallaud", "Vallaud"),                # negatives: a plain surname, a single name
    ("Dilnur", "Dilnur"),
    ("Le Pen", "Le Pen"),                        # a name that is all surname stays whole
])
def test_surname_words(name, surname):
    assert " ".join(surname_words(name.split())) == surname
