"""The analysis stage as a whole: only new or changed articles, the same output in one process or a pool,
records stored with the stage name and version and read back unchanged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from storydiff import ingest
from storydiff.analysis import STAGE, VERSION, analyze
from storydiff.store import open_store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def seeds(tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(ROOT / "examples" / "seeds", folder)
    return folder


def test_only_new_or_changed_articles_are_analysed(tmp_path, seeds):
    store = open_store(tmp_path / "a.db")
    ingest([str(seeds)], store, workers=1)
    first = analyze(store, workers=1)
    assert (first.analyzed, first.already_done) == (5, 0)
    again = analyze(store, workers=1)
    assert (again.analyzed, again.already_done) == (0, 5)
    changed = next(seeds.glob("003_*.txt"))
    changed.write_text(changed.read_text("utf-8") + "\n\nOfficials said 12 more countries joined on Friday.\n",
                       "utf-8")
    ingest([str(seeds)], store, workers=1)
    third = analyze(store, workers=1)
    assert (third.analyzed, third.already_done) == (1, 4)
    for analysis in store.iter_analyses():
        assert (analysis.stage, analysis.version) == (STAGE, VERSION)
        article = store.get_article(analysis.article_id)
        assert analysis.text_hash == article.text_hash
    store.close()


def test_pool_and_single_process_give_identical_records(tmp_path, seeds):
    outputs = []
    for workers, chunk in ((1, 64), (2, 2)):
        store = open_store(tmp_path / f"w{workers}.db")
        ingest([str(seeds)], store, workers=1)
        analyze(store, workers=workers, chunk_size=chunk)
        outputs.append(sorted(store.iter_analyses(), key=lambda a: a.article_id))
        store.close()
    assert outputs[0] == outputs[1]


def test_records_survive_the_store_round_trip(tmp_path, seeds):
    from storydiff.analysis import analyze_articles

    store = open_store(tmp_path / "r.db")
    ingest([str(seeds)], store, workers=1)
    direct = {a.article_id: a for a in analyze_articles(list(store.iter_articles()))}
    analyze(store, workers=1)
    for stored in store.iter_analyses():
        assert stored == direct[stored.article_id]
    # flat tables for queries and export hold the same quotes and facts
    quotes = store.conn.execute("SELECT COUNT(*) FROM quotes").fetchone()[0]
    facts = store.conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0]
    assert quotes == sum(len(a.quotes) for a in direct.values())
    assert facts == sum(len(a.facts) for a in direct.values())
    store.close()


def test_analyze_command(tmp_path, seeds):
    from click.testing import CliRunner

    from storydiff.cli import main

    db = str(tmp_path / "c.db")
    runner = CliRunner()
    result = runner.invoke(main, ["--db", db, "ingest", str(seeds), "--analyze", "--quiet"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["--db", db, "analyze", "--json"])
    assert result.exit_code == 0 and '"analyzed": 0' in result.output
    result = runner.invoke(main, ["--db", db, "compare"])
    assert result.exit_code == 0 and "CONFLICTING" in result.output
    lines = result.output.splitlines()
    evidence = [(claim, ev) for claim, ev in zip(lines, lines[1:]) if ev.startswith("      evidence: ")]
    assert evidence
    for claim, ev in evidence:   # each claim's evidence on one line, cut around the claim's own words
        quoted = claim.rsplit('"', 2)[1] if claim.count('"') >= 2 else ""
        assert len(ev) <= len("      evidence: ") + 162
        assert not quoted or quoted.rstrip("…") in ev, (claim, ev)
    assert "1,000,000" in result.output   # counts read as numbers ("An estimated 1 million")


def test_group_first_command(tmp_path, seeds):
    """`ingest --analyze --group-first` groups before parsing and parses the articles of multi-article events;
    `analyze --group-first` then has nothing left to do, and `--group-first` without `--analyze` is refused."""
    import json as _json

    from click.testing import CliRunner

    from storydiff.cli import main
    from storydiff.store import open_store

    db = str(tmp_path / "g.db")
    runner = CliRunner()
    refused = runner.invoke(main, ["--db", db, "ingest", str(seeds), "--group-first", "--quiet"])
    assert refused.exit_code == 2 and "--analyze" in refused.output and not os.path.exists(db)
    result = runner.invoke(main, ["--db", db, "ingest", str(seeds), "--analyze", "--group-first", "--quiet"])
    assert result.exit_code == 0, result.output
    with open_store(db) as store:
        from storydiff.analysis import STAGE, VERSION

        pending = set(store.pending_analysis(STAGE, VERSION))
        members = store.event_members([eid for eid, *_ in store.get_events()])
        grouped = {a for m in members.values() if len(m) >= 2 for a, _ in m}
        total = store.count_articles()
    assert grouped and not (grouped & pending) and len(pending) < total
    result = runner.invoke(main, ["--db", db, "analyze", "--group-first", "--json"])
    assert result.exit_code == 0, result.output
    summary = _json.loads(result.output)
    assert (summary["rounds"], summary["analysed"], summary["alone"]) == (0, 0, len(pending))
    both = runner.invoke(main, ["--db", db, "analyze", "--group-first", "--grouped-only"])
    assert both.exit_code == 2
    assert runner.invoke(main, ["--db", db, "analyze", "--linked"]).exit_code == 2
    linked = runner.invoke(main, ["--db", db, "analyze", "--group-first", "--linked", "--json"])
    assert linked.exit_code == 0 and _json.loads(linked.output)["alone"] <= len(pending)


ODD_TEXTS = [
    "",
    "   ",
    "Y'all gonna go, ain't it?\n\n There is   a cat. Let's c'm on  \t",
    "gotta  run\n",
    "“We will not,” she said. But the vote — 169 to 1 — passed; something happened to everyone.",
]


#: the token attributes a stand-in in the pipeline must leave exactly as spaCy sets them
PARSE_ATTRS = ("TAG", "POS", "MORPH", "LEMMA", "DEP", "HEAD", "ENT_IOB", "ENT_TYPE", "ENT_KB_ID")


def _parsed_alike(reference, fast, texts, batch_size: int = 32) -> list:
    """Both pipelines over ``texts``; asserts every token's :data:`PARSE_ATTRS` are equal, returns the doc pairs."""
    import numpy as np
    from spacy.attrs import IDS

    attrs = [IDS[a] for a in PARSE_ATTRS]
    pairs = list(zip(reference.pipe(texts, batch_size=batch_size), fast.pipe(texts, batch_size=batch_size)))
    for a, b in pairs:
        assert np.array_equal(a.to_array(attrs), b.to_array(attrs)), a.text[:60]
    return pairs


def test_array_attribute_ruler_gives_spacys_output(seeds):
    """The column-wise attribute ruler sets exactly what spaCy's AttributeRuler sets, on every token."""
    import spacy

    from storydiff.analysis import MODEL
    from storydiff.analysis.pipeline import use_array_attribute_ruler

    reference = spacy.load(MODEL)
    fast = spacy.load(MODEL)
    assert use_array_attribute_ruler(fast)
    assert "attribute_ruler" not in fast.pipe_names and "attribute_ruler" in reference.pipe_names
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))] + ODD_TEXTS
    pairs = _parsed_alike(reference, fast, texts)
    for a, b in pairs:
        assert [str(t.morph) for t in a] == [str(t.morph) for t in b]
    assert sum(len(a) for a, _ in pairs) > 3000


def test_cached_lemmatizer_gives_spacys_lemmas(seeds):
    """Lemmas cached by form, part of speech and morphology are the ones spaCy's lemmatizer sets, token by token,
    also after a memory zone has dropped the strings added in it."""
    import spacy

    from storydiff.analysis import MODEL
    from storydiff.analysis.pipeline import CachedLemmatizer, use_cached_lemmatizer

    reference = spacy.load(MODEL)
    fast = spacy.load(MODEL)
    assert use_cached_lemmatizer(fast)
    assert isinstance(fast.get_pipe("storydiff_cached_lemmatizer"), CachedLemmatizer)
    assert "lemmatizer" in fast.disabled and "lemmatizer" not in fast.pipe_names
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))] + ODD_TEXTS + NER_EDGE_TEXTS + [
        "", "   ", "Running runners ran; the geese's feet were better than the best. Zxqvbl flibbertigibbets."]
    pairs = _parsed_alike(reference, fast, texts)
    assert sum(len(a) for a, _ in pairs) > 3000
    assert [t.lemma_ for t in pairs[-1][1]][:5] == ["run", "runner", "run", ";", "the"]
    for _ in range(2):  # the cache outlives a zone; the strings it hands out must be in the store each time
        with reference.memory_zone(), fast.memory_zone():
            for a, b in _parsed_alike(reference, fast, texts[-3:] + ["Quuxified blorps were glimmering."]):
                assert [t.lemma_ for t in a] == [t.lemma_ for t in b]
    blank = spacy.blank("en")
    assert not use_cached_lemmatizer(blank)  # no lemmatizer: pipeline unchanged


def test_numpy_matmul_gives_blis_output(seeds):
    """Layers whose matrix products go through numpy's BLAS annotate exactly as the stock (blis) pipeline does."""
    import spacy
    from thinc.api import NumpyOps

    from storydiff.analysis import MODEL
    from storydiff.analysis.pipeline import single_threaded_blas, use_numpy_matmul

    reference = spacy.load(MODEL)
    fast = spacy.load(MODEL)
    switched = use_numpy_matmul(fast)

    def layers(nlp):
        return [node for _, c in nlp.pipeline if getattr(c, "model", None) is not None and hasattr(c.model, "walk")
                for node in c.model.walk() if isinstance(node.ops, NumpyOps)]

    assert switched > 50 and not any(node.ops.use_blis for node in layers(fast))
    assert all(node.ops.use_blis for node in layers(reference))
    assert use_numpy_matmul(fast) == 0  # already switched
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))] + ODD_TEXTS
    with single_threaded_blas():
        pairs = _parsed_alike(reference, fast, texts)
    assert sum(len(a) for a, _ in pairs) > 3000


#: texts where the recogniser's rules bite: entities at a document's end, across a sentence break, on whitespace
NER_EDGE_TEXTS = [
    "Emmanuel Macron",
    "Paris",
    "Xi",
    " \n ",
    "France.\nChina. United Nations General Assembly",
    "The vote in the National Assembly was 169 to 1 on January 20, 2022.\n\n  Jean-Yves Le Drian spoke.",
    "He met   Wang Yi \t and  the U.N.  in  New York City",
    "Beijing's embassy said the report by Human Rights Watch was \"lies\". It cost $5 million, or 3%.",
]


def test_batched_entity_recogniser_gives_spacys_entities(seeds):
    """Decoding a whole batch with numpy finds exactly the entities spaCy's recogniser finds, batch by batch."""
    import spacy

    from storydiff.analysis import MODEL
    from storydiff.analysis.pipeline import BatchedEntityRecognizer, use_batched_ner

    reference = spacy.load(MODEL)
    fast = spacy.load(MODEL)
    assert use_batched_ner(fast)
    assert "ner" not in fast.pipe_names and isinstance(fast.get_pipe(fast.pipe_names[-1]), BatchedEntityRecognizer)
    texts = [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))] + ODD_TEXTS + NER_EDGE_TEXTS
    entities = 0
    for batch_size in (1, 4, 32):
        for a, b in _parsed_alike(reference, fast, texts, batch_size):
            assert [(e.start, e.end, e.label_) for e in a.ents] == [(e.start, e.end, e.label_) for e in b.ents]
            entities += len(a.ents)
    assert entities > 300
    one = fast("Emmanuel Macron met Xi Jinping in Beijing.")  # a single document (the component's __call__)
    assert [e.label_ for e in one.ents] == ["PERSON", "PERSON", "GPE"]


def test_batched_entity_recogniser_leaves_preset_entities_to_spacy():
    """A document that already has entities goes through spaCy's own recogniser, which keeps them."""
    import spacy
    from spacy.tokens import Span

    from storydiff.analysis import MODEL
    from storydiff.analysis.pipeline import use_batched_ner

    def preset(nlp):
        doc = nlp.make_doc("The Xinjiang report angered Beijing and Paris.")
        doc.set_ents([Span(doc, 1, 3, label="WORK_OF_ART")], default="missing")
        for _, component in nlp.pipeline:
            doc = component(doc)
        return [(e.start, e.end, e.label_) for e in doc.ents]

    reference = spacy.load(MODEL)
    fast = spacy.load(MODEL)
    assert use_batched_ner(fast)
    assert preset(fast) == preset(reference)
    assert (1, 3, "WORK_OF_ART") in preset(fast)


def test_batched_entity_recogniser_refuses_what_it_does_not_reproduce():
    import spacy

    from storydiff.analysis.pipeline import use_batched_ner

    blank = spacy.blank("en")
    assert not use_batched_ner(blank)  # no recogniser
    beam = spacy.blank("en")
    beam.add_pipe("beam_ner", name="ner")  # a recogniser that keeps several candidates per step
    assert not use_batched_ner(beam)
    assert beam.pipe_names == ["ner"]


def test_array_attribute_ruler_refuses_patterns_it_does_not_implement():
    import spacy

    from storydiff.analysis.pipeline import use_array_attribute_ruler

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"ORTH": "x", "OP": "+"}]], {"LEMMA": "y"})
    assert not use_array_attribute_ruler(nlp)
    assert nlp.pipe_names == ["attribute_ruler"]


def test_memory_zones_free_strings_and_keep_records(seeds, monkeypatch):
    """Parsing in spaCy memory zones gives the same records as without, and the strings of zoned groups are freed."""
    from contextlib import nullcontext

    import spacy

    import storydiff.analysis as stage
    from storydiff.analysis import MODEL, analyze_articles
    from storydiff.analysis.pipeline import use_array_attribute_ruler
    from storydiff.ingest.prepare import prepare_record
    from storydiff.ingest.sources import iter_records

    articles = [prepare_record(r) for r in iter_records([str(seeds)])]
    articles = sorted((a for a in articles if hasattr(a, "text")), key=lambda a: a.id)
    assert len(articles) == 5

    def fresh():
        nlp = spacy.load(MODEL)
        use_array_attribute_ruler(nlp)
        return nlp, len(nlp.vocab.strings)

    monkeypatch.setattr(stage, "ZONE_ARTICLES", 2)
    zoned_nlp, zoned_before = fresh()
    stage._warmed.add(id(zoned_nlp))  # every group in a zone
    zoned = list(analyze_articles(articles, zoned_nlp))
    plain_nlp, plain_before = fresh()
    monkeypatch.setattr(stage, "_zone", lambda nlp: nullcontext())
    plain = list(analyze_articles(articles, plain_nlp))
    assert zoned == plain
    assert len(zoned_nlp.vocab.strings) == zoned_before
    assert len(plain_nlp.vocab.strings) > plain_before + 50  # what the zones freed
