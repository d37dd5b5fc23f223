"""Framing on AllSides stories (NeuS): five stories printed with the editor's "how coverage differed" paragraph
beside storydiff's framing output, for a human to judge. Nothing is scored.

Usage::

    python bench/framing_neus.py [STORIES] [--count 5] [--ids 5607,...] [--json OUT]

``STORIES`` is ``allsides_stories_2021-10-19.jsonl`` (default: the copy in ``../shared/benchmarks/neus_allsides/``
next to the repository): one row per story with the editor's ``roundup`` (a list of paragraphs; the last ones say
how coverage differed) and ``news``: up to three articles (``newsSource``, ``newsTitle``, ``newBody`` as a Python
literal list of paragraphs), keyed by the outlet's AllSides rating.

Which stories: those with three articles and a roundup of at least two paragraphs, ordered by id; then ``count``
stories evenly spaced over that list (the first, and every ``len // count``-th after it). The choice depends only on
the file. The AllSides rating is printed beside each outlet's name for the reader; storydiff never sees it (its
input is the outlet name, the title and the text).

For each story: the editor's paragraphs after the first (the first summarises the event), then per outlet the
own-voice loaded-language rate, the most loaded sentence and its loaded words, attribution verbs by class, hedges
and distancing, the three speakers with the most quoted words and their side, and the referents whose terms differ
most between the outlets.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from storydiff.analysis import analyze_doc, load_nlp  # noqa: E402
from storydiff.framing import frame_article, frame_outlets, framing_to_dict, referent_terms  # noqa: E402
from storydiff.model import Article  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "neus_allsides" / "allsides_stories_2021-10-19.jsonl"


def choose(rows: list[dict], count: int) -> list[dict]:
    eligible = sorted((r for r in rows if len(r.get("news") or {}) == 3 and len(r.get("roundup") or []) >= 2),
                      key=lambda r: int(r["id"]))
    step = max(len(eligible) // count, 1)
    return eligible[::step][:count]


def story_items(story: dict, nlp) -> tuple[list, dict]:
    items, ratings = [], {}
    for rating, news in sorted(story["news"].items()):
        body = news.get("newBody") or "[]"
        paragraphs = ast.literal_eval(body) if isinstance(body, str) else list(body)
        text = "\n\n".join(" ".join(p.split()) for p in paragraphs if p and p.strip())
        if not text:
            continue
        h = hashlib.sha256(text.encode()).hexdigest()
        article = Article(id=h[:16], locator=news.get("newsLink") or h, text=text, text_hash=h, raw_hash=h,
                          title=news.get("newsTitle"), outlet=news.get("newsSource"), language="en")
        doc = nlp(text)
        analysis = analyze_doc(doc, article)
        items.append((article.outlet, article.id, analysis, frame_article(article, analysis, doc)))
        ratings[article.outlet] = rating
    return items, ratings


def _wrap(text: str, indent: str = "    ") -> str:
    return textwrap.fill(" ".join(text.split()), 116, initial_indent=indent, subsequent_indent=indent)


def render(story: dict, items: list, ratings: dict, referents: int = 4) -> str:
    lines = [f"=== story {story['id']}: {story['issue']} ({story['date'][:10]})", "  editor:"]
    lines += [_wrap(p) for p in story["roundup"][1:]]
    outlets = frame_outlets(items)
    lines.append("  storydiff:")
    for outlet, f in outlets.items():
        lines.append(f"  - {outlet} [{ratings.get(outlet)}]: loaded {f.loaded_rate:.0%} of own-voice sentences "
                     f"(quoted {f.loaded_rate_quoted:.0%}); hedges {f.hedges}, distancing {f.distancing}")
        if f.top_loaded:
            top = f.top_loaded[0]
            lines.append(_wrap(f"most loaded ({top.score:.2f}): {top.sentence.text} "
                               f"[words: {', '.join(w.text for w in top.words) or '-'}]", "      "))
        verbs = ", ".join(f"{c} {n}" for c, n in f.attribution_classes)
        lines.append(f"      attribution: {verbs or '-'}; "
                     f"{'; '.join(f'{u.verb} x{u.count}' for u in f.attribution_verbs[:5]) or '-'}")
        if f.markers:
            lines.append("      markers: " + "; ".join(f"{m.cue} x{m.count}" for m in f.markers[:6]))
        voices = "; ".join(f"{v.speaker} ({v.side or 'no side'}) {v.quotes}q/{v.words}w" for v in f.voices[:3])
        lines.append(f"      voices: {voices or '-'}")
        if f.loaded_words:
            lines.append("      loaded words: " + ", ".join(f"{w} x{n}" if n > 1 else w for w, n in f.loaded_words[:10]))
    refs = referent_terms(items, limit=referents)
    if refs:
        lines.append("  terms for the same referent:")
        for r in refs:
            lines.append(f"    {r.label} (divergence {r.divergence:.2f}; {', '.join(r.basis)})")
            for outlet, uses in r.terms:
                lines.append(f"      {outlet}: " + ", ".join(f"{u.term}" + (f" x{u.count}" if u.count > 1 else "")
                                                         for u in uses[:5]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--ids", help="comma-separated story ids instead of the default choice")
    parser.add_argument("--json", type=Path, help="write the framing records of the chosen stories here")
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.data, encoding="utf-8")]
    if args.ids:
        wanted = set(args.ids.split(","))
        stories = [r for r in rows if str(r["id"]) in wanted]
    else:
        stories = choose(rows, args.count)
    nlp = load_nlp()
    dump = {}
    for story in stories:
        items, ratings = story_items(story, nlp)
        print(render(story, items, ratings))
        print()
        dump[story["id"]] = {"outlets": framing_to_dict(list(frame_outlets(items).values())),
                             "referents": framing_to_dict(referent_terms(items))}
    if args.json:
        args.json.write_text(json.dumps(dump, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
