"""Benchmark data for the stories stage, as storydiff records: ECB+ documents and NeuS/AllSides triplets.

Shared by ``bench/stories_events.py`` (scores, gate) and ``bench/stories_embeddings.py`` (embedding choices).
Texts are read from ``../shared/benchmarks`` and never copied into the repository. Analyses (spaCy) are cached in
``--cache`` (default ``~/.cache/storydiff-bench``), keyed by the article's text hash and the analysis stage version,
because parsing is the slow part and does not change between runs that tune the clustering.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from storydiff.model import Analysis, Article  # noqa: E402

BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
DEFAULT_ECB = BENCHMARKS / "ecbplus" / "docs.jsonl"
DEFAULT_NEUS = BENCHMARKS / "neus_allsides" / "val.jsonl"
DEFAULT_BASIL = BENCHMARKS / "basil" / "articles.jsonl"
DEFAULT_ALLSIDES = BENCHMARKS / "allsides_baly2020" / "articles.jsonl.gz"
DEFAULT_CACHE = Path(os.environ.get("STORYDIFF_BENCH_CACHE", Path.home() / ".cache" / "storydiff-bench"))

_NO_SPACE_BEFORE = re.compile(r" ([,.;:!?%)\]}]|'s\b|'re\b|'ve\b|'ll\b|'d\b|'m\b|n't\b|''|’ ?s\b)")
_NO_SPACE_AFTER = re.compile(r"([(\[{$]|``) ")


def detokenize(tokens_text: str) -> str:
    """ECB+ sentences are space-separated tokens ("Reid , 33 , who starred in `` American Pie ''"): join them as
    running text so spaCy sees ordinary prose."""
    text = _NO_SPACE_BEFORE.sub(r"\1", tokens_text)
    text = _NO_SPACE_AFTER.sub(r"\1", text)
    text = text.replace("``", "“").replace("''", "”").replace("’ s", "’s")
    text = re.sub(r"(\d) ?: (\d\d)\b", r"\1:\2", text)  # "4 : 59 PM"
    text = re.sub(r"(?<=\w) - (?=\w)", "-", text)  # "90 - day"
    return re.sub(r"\s+", " ", text).strip()


def _article(locator: str, text: str, title: str | None = None, outlet: str | None = None,
             published: str | None = None) -> Article:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Article(id=hashlib.sha256(locator.encode()).hexdigest()[:16], locator=locator, text=text,
                   text_hash=digest, raw_hash=digest, title=title, outlet=outlet, published=published,
                   language="en")


def load_ecbplus(path: Path | str = DEFAULT_ECB, topics: set[int] | None = None) -> tuple[list[Article], dict, dict]:
    """``(articles, gold subtopic by article id, topic by article id)``. The first sentence of an ECB+ document is
    its headline (when it has one): it is kept in the text and also given as the title."""
    articles, gold, topic_of = [], {}, {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if topics is not None and int(row["topic"]) not in topics:
                continue
            sentences = [detokenize(s["text"]) for s in sorted(row["sentences"], key=lambda s: s["index"])]
            sentences = [s for s in sentences if s]
            # ECB+'s newer documents open with their URL as a "sentence": that is metadata (and would tell the two
            # sub-topics apart by format alone), so it is taken out of the text
            url = None
            if sentences and sentences[0].startswith("http"):
                url = sentences.pop(0).replace(" ", "")
            text = "\n\n".join(sentences)
            art = _article(f"ecbplus:{row['doc_id']}", text, title=sentences[0] if sentences else None)
            art = replace(art, url=url)
            articles.append(art)
            gold[art.id] = row["subtopic"]
            topic_of[art.id] = int(row["topic"])
    return articles, gold, topic_of


def load_neus(path: Path | str = DEFAULT_NEUS, limit: int | None = None) -> tuple[list[Article], dict]:
    """``(articles, gold triplet id by article id)``: every article of every triplet, pooled."""
    articles, gold = [], {}
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            if limit is not None and n >= limit:
                break
            row = json.loads(line)
            for i, item in enumerate(row["articles"]):
                text = (item.get("text") or "").strip()
                if not text:
                    continue
                art = _article(f"neus:{row['id']}:{i}", text, title=(item.get("title") or "").strip() or None)
                articles.append(art)
                gold[art.id] = row["id"]
    return articles, gold


def load_basil(path: Path | str = DEFAULT_BASIL) -> tuple[list[Article], dict]:
    """``(articles, gold triplet id by article id)``: BASIL's visible articles (2010-2016), three outlets' reports of
    each event, with their title, outlet and publication date; paragraphs kept apart as the source numbers them."""
    articles, gold = [], {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            paragraphs: dict[int, list[str]] = {}
            for s in sorted(row["sentences"], key=lambda s: (s["para"], s["sent"])):
                paragraphs.setdefault(s["para"], []).append(s["text"].strip())
            text = "\n\n".join(" ".join(p) for _, p in sorted(paragraphs.items()))
            art = _article(f"basil:{row['article_id']}", text, title=(row.get("title") or "").strip() or None,
                           outlet=row.get("source"), published=row.get("date"))
            articles.append(art)
            gold[art.id] = row["triplet_uuid"]
    return articles, gold


def analyses_for(articles: list[Article], cache: Path | str = DEFAULT_CACHE) -> dict[str, Analysis]:
    """The analysis of every article (spaCy; from the cache when present). Returns ``{article id: Analysis}``."""
    from storydiff.analysis import VERSION, analyze_articles
    from storydiff.store.codec import analysis_from_json, to_json

    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[str, Analysis] = {}
    missing = []
    for art in articles:
        path = cache / f"an-{VERSION}-{art.id}-{art.text_hash[:16]}.json"
        if path.exists():
            out[art.id] = analysis_from_json(path.read_text("utf-8"))
        else:
            missing.append(art)
    if missing:
        print(f"analysing {len(missing)} articles (cached in {cache}) ...", file=sys.stderr)
        for an in analyze_articles(missing):
            art_hash = an.text_hash
            (cache / f"an-{VERSION}-{an.article_id}-{art_hash[:16]}.json").write_text(to_json(an), "utf-8")
            out[an.article_id] = an
    return out
