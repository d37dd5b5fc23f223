"""Framing on BASIL: lexical-bias words found by the framing analysis, and annotated quotes found with the right
speaker.

Usage::

    python bench/framing_basil.py [ARTICLES] [--limit N] [--json OUT]

``ARTICLES`` is BASIL's ``articles.jsonl`` (default ``../shared/benchmarks/basil/articles.jsonl`` next to the
repository): 210 articles (70 events x NYT, Fox News, HuffPost) with phrase-level annotations whose offsets are into
one sentence. Each article's text is rebuilt from its sentences as ``bench/quotes_polnear.py`` does (sentences of a
paragraph joined by a space, paragraphs by a blank line), parsed once with the analysis stage's spaCy pipeline, and
run through ``storydiff.analysis.analyze_doc`` (the map ``analyze_articles`` applies) and
``storydiff.framing.frame_article`` with the same parse.

What is scored
--------------
* **Lexical bias** (annotations with ``bias == "lex"``; 319 in the file, 79 of them inside quotes). Predicted spans
  are the framing output's loaded words plus its hedge and distancing markers. Two views:

  - *span*: precision = predicted spans overlapping a gold lexical-bias span / predicted spans; recall = gold spans
    overlapped by a prediction / gold spans;
  - *word*: the ``\\w+`` words inside gold spans vs inside predicted spans, micro P/R/F1.

  Rows: all predictions; only predictions in sentences the model scores as loaded; own voice only (outside quoted
  content, against the gold spans with ``quote == "no"``).
* **Sentence level**: the ROC AUC of the sentence model's loaded score for sentences that hold a gold lexical-bias
  span against those that hold none -- the sentence model (trained on BABE) judged on other annotators' data.
* **Article level**: Spearman correlation between the number of gold lexical-bias spans per 100 words and the share
  of own-voice sentences scored loaded, over articles.
* **Quote speakers** (annotations with ``quote == "yes"`` and a named speaker, not ``other_*``): found when a quote's
  content overlaps the annotated span; right speaker when that quote's speaker (its entity's name, else the speaker
  text) matches the annotated name (``bench/quotes_polnear.py``'s ``names_match``: equal after folding, or the same
  surname). Recall over all named annotations.

BASIL annotates the bias its annotators judged relevant to the main event and entities, not every loaded word, so
precision here is a lower bound. ``gate()`` scores every 7th article (30 articles spread over the 70 events: the
first events alone quote mostly groups, "Tea_Party", which no speaker name matches).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from quotes_polnear import basil_text, names_match  # noqa: E402

from storydiff.analysis import analyze_doc, load_nlp  # noqa: E402
from storydiff.framing import frame_article  # noqa: E402
from storydiff.model import Article  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "basil" / "articles.jsonl"
GATE_ARTICLES = 30
_WORD = re.compile(r"\w+")


def _words(text: str, start: int, end: int) -> set[int]:
    return {start + m.start() for m in _WORD.finditer(text[start:end])}


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


def _spearman(x: list[float], y: list[float]) -> float:
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2
            i = j + 1
        return r

    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """The probability that a positive scores above a negative (ties count half): the ROC AUC, by ranks."""
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum, i = 0.0, 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        rank_sum += sum(1 for k in range(i, j + 1) if labels[order[k]]) * ((i + j) / 2 + 1)
        i = j + 1
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def run(path: Path, limit: int | None = None, log=print, every: int = 1) -> dict:
    rows = [json.loads(line) for line in open(path, encoding="utf-8")][::every][:limit]
    nlp = load_nlp()
    texts = [basil_text(r) for r in rows]
    started = time.perf_counter()
    docs = list(nlp.pipe([t for t, _ in texts], batch_size=16))
    parse_s = time.perf_counter() - started
    views = {"all": [0, 0, 0, 0, 0, 0, 0], "in_loaded_sentences": [0] * 7, "own_voice": [0] * 7}
    # per view: pred spans, pred spans correct, gold spans, gold spans found, word tp, word fp, word fn
    named = found = right = 0
    frame_s = frame_cpu = 0.0
    n_words = 0
    gold_density, predicted_rate = [], []
    by_source: dict[str, list[float]] = {}
    sentence_scores, sentence_gold = [], []  # every sentence: the model's loaded score; holds a gold lexical span
    for row, (text, offsets), doc in zip(rows, texts, docs):
        h = hashlib.sha256(text.encode()).hexdigest()
        article = Article(id=row["article_id"], locator=row["article_id"], text=text, text_hash=h, raw_hash=h,
                          language="en")
        analysis = analyze_doc(doc, article)
        t, c = time.perf_counter(), time.process_time()
        framing = frame_article(article, analysis, doc)
        frame_s += time.perf_counter() - t
        frame_cpu += time.process_time() - c
        n_words += article.word_count
        gold_lex, gold_quotes = [], []
        for ann in row["phrase_level_annotations"]:
            k = ann.get("sentence_index")
            if k is None or k >= len(offsets):
                continue
            span = (offsets[k] + ann["start"], offsets[k] + ann["end"])
            if ann.get("bias") == "lex":
                gold_lex.append((span, ann.get("quote") == "yes"))
            if ann.get("quote") == "yes":
                gold_quotes.append((span, ann.get("speaker") or ""))
        loaded_sentences = {i for i, s in enumerate(framing.sentences) if s.score >= 0.5}
        sentence_spans = [(s.span.start, s.span.end) for s in framing.sentences]
        for sent, span in zip(framing.sentences, sentence_spans):
            sentence_scores.append(sent.score)
            sentence_gold.append(any(_overlaps(span, [g[0]]) for g in gold_lex))
        predicted = []  # (span, in a loaded sentence, quoted)
        for w in framing.loaded_words:
            predicted.append(((w.span.start, w.span.end), w.sentence in loaded_sentences, w.quoted))
        for m in framing.markers:
            if m.kind in ("hedge", "distancing"):
                inside = any(s <= m.span.start < e and i in loaded_sentences for i, (s, e) in enumerate(sentence_spans))
                predicted.append(((m.span.start, m.span.end), inside, m.quoted))
        for name, counts in views.items():
            if name == "all":
                pred, gold = [p[0] for p in predicted], [g[0] for g in gold_lex]
            elif name == "in_loaded_sentences":
                pred, gold = [p[0] for p in predicted if p[1]], [g[0] for g in gold_lex]
            else:
                pred, gold = [p[0] for p in predicted if not p[2]], [g[0] for g in gold_lex if not g[1]]
            counts[0] += len(pred)
            counts[1] += sum(_overlaps(p, gold) for p in pred)
            counts[2] += len(gold)
            counts[3] += sum(_overlaps(g, pred) for g in gold)
            gw = set().union(*[_words(text, s, e) for s, e in gold]) if gold else set()
            pw = set().union(*[_words(text, s, e) for s, e in pred]) if pred else set()
            counts[4] += len(gw & pw)
            counts[5] += len(pw - gw)
            counts[6] += len(gw - pw)
        names = {e.key: e.name for e in analysis.entities}
        for span, speaker in gold_quotes:
            if not speaker or speaker.startswith("other"):
                continue
            named += 1
            hits = [q for q in analysis.quotes if _overlaps(span, [(c.start, c.end) for c in q.content])]
            found += bool(hits)
            for q in hits:
                who = names.get(q.speaker_entity) if q.speaker_entity else (q.speaker.text if q.speaker else "")
                if who and names_match(speaker, who):
                    right += 1
                    break
        own = [s for s in framing.sentences if s.quoted < 0.5]
        rate = sum(s.score >= 0.5 for s in own) / len(own) if own else 0.0
        words = max(len(text.split()), 1)
        gold_density.append(100 * len(gold_lex) / words)
        predicted_rate.append(rate)
        src = by_source.setdefault(row["source"], [0, 0.0, 0.0, 0])
        src[0] += 1
        src[1] += rate
        src[2] += 100 * len(gold_lex) / words
        src[3] += words
    out = {"articles": len(rows), "parse_seconds": round(parse_s, 1),
           "frame_ms_per_article": round(1000 * frame_s / max(len(rows), 1), 2),
           "frame_cpu_ms_per_900_words": round(1000 * frame_cpu / max(n_words, 1) * 900, 2),
           "words_per_article": round(n_words / max(len(rows), 1))}
    for name, (pn, pc, gn, gf, tp, fp, fn) in views.items():
        p, r = pc / max(pn, 1), gf / max(gn, 1)
        wp, wr = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        out[name] = {"predicted_spans": pn, "gold_spans": gn, "span_precision": p, "span_recall": r,
                     "span_f1": 2 * p * r / max(p + r, 1e-9), "word_precision": wp, "word_recall": wr,
                     "word_f1": 2 * wp * wr / max(wp + wr, 1e-9)}
    out["article_spearman_gold_density_vs_loaded_rate"] = _spearman(gold_density, predicted_rate)
    out["by_source"] = {s: {"articles": v[0], "mean_loaded_rate": v[1] / v[0], "gold_lex_per_100_words": v[2] / v[0]}
                        for s, v in sorted(by_source.items())}
    out["sentences"] = {"sentences": len(sentence_gold), "with_lexical_bias": sum(sentence_gold),
                        "roc_auc": roc_auc(sentence_scores, sentence_gold)}
    out["quotes"] = {"named_speaker_spans": named, "found": found / max(named, 1),
                     "speaker_recall": right / max(named, 1)}
    return out


def gate() -> dict[str, float]:
    r = run(DEFAULT_DATA, GATE_ARTICLES, log=lambda *_: None, every=7)
    return {"basil_every7_lex_span_recall": r["all"]["span_recall"],
            "basil_every7_lex_span_precision": r["all"]["span_precision"],
            "basil_every7_quote_speaker_recall": r["quotes"]["speaker_recall"],
            "basil_every7_sentence_auc": r["sentences"]["roc_auc"]}


def gate_minilm() -> dict[str, float]:
    """The same 30 articles with the opt-in MiniLM loaded-language model (``STORYDIFF_LOADED_MODEL=minilm``): its
    sentence scores judged on BASIL, data it was not trained on. Raises MissingDependency without the MiniLM wheel."""
    import os

    from storydiff.framing.loaded import MODEL_ENV, load_model

    load_model("en", "minilm")  # fails early, before any parsing, when the wheel is missing
    before = os.environ.get(MODEL_ENV)
    os.environ[MODEL_ENV] = "minilm"
    try:
        r = run(DEFAULT_DATA, GATE_ARTICLES, log=lambda *_: None, every=7)
    finally:
        if before is None:
            del os.environ[MODEL_ENV]
        else:
            os.environ[MODEL_ENV] = before
    return {"basil_every7_minilm_sentence_auc": r["sentences"]["roc_auc"],
            "basil_every7_minilm_loaded_span_recall": r["in_loaded_sentences"]["span_recall"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--every", type=int, default=1, help="every N-th article only")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    r = run(args.data, args.limit, every=args.every)
    print(f"BASIL {args.data.name}: {r['articles']} articles, {r['words_per_article']} words each (parse "
          f"{r['parse_seconds']} s; framing {r['frame_ms_per_article']} ms per article wall, "
          f"{r['frame_cpu_ms_per_900_words']} ms CPU per 900 words)")
    print(f"{'lexical bias':22s} {'pred':>6s} {'gold':>6s} {'span P':>7s} {'span R':>7s} {'span F1':>7s} "
          f"{'word P':>7s} {'word R':>7s} {'word F1':>7s}")
    for name in ("all", "in_loaded_sentences", "own_voice"):
        v = r[name]
        print(f"{name:22s} {v['predicted_spans']:6d} {v['gold_spans']:6d} {v['span_precision']:7.3f} "
              f"{v['span_recall']:7.3f} {v['span_f1']:7.3f} {v['word_precision']:7.3f} {v['word_recall']:7.3f} "
              f"{v['word_f1']:7.3f}")
    print(f"article level: Spearman(gold lexical spans per 100 words, own-voice loaded rate) = "
          f"{r['article_spearman_gold_density_vs_loaded_rate']:.3f}")
    for source, v in r["by_source"].items():
        print(f"  {source:4s} {v['articles']:3d} articles: mean loaded rate {v['mean_loaded_rate']:.3f}, "
              f"gold lexical spans per 100 words {v['gold_lex_per_100_words']:.3f}")
    v = r["sentences"]
    print(f"sentences: {v['sentences']}, {v['with_lexical_bias']} holding a lexical-bias span; ROC AUC of the "
          f"sentence loaded score for them: {v['roc_auc']:.3f}")
    q = r["quotes"]
    print(f"quotes: {q['named_speaker_spans']} annotated with a named speaker; found {q['found']:.3f}, "
          f"with the right speaker {q['speaker_recall']:.3f}")
    if args.json:
        args.json.write_text(json.dumps(r, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
