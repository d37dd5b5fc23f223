"""Cost of the analysis stage against spaCy parsing alone, on the same texts, in the same run.

    python bench/analysis_speed.py [DATA] [--limit N] [--repeat R]

DATA is a JSON Lines file (gzip or not) of articles (default: ../shared/benchmarks/allsides_baly2020/articles.jsonl.gz,
the first --limit articles, text field ``content_original`` or ``text``). Both runs use one process and the same
spaCy pipeline with the same batch size; each is repeated --repeat times, alternating, and the fastest run of each
is compared. Prints tokens/s and articles/s for both and the ratio analysis/parse (goal: <= 1.3).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "benchmarks" / "allsides_baly2020" / "articles.jsonl.gz"


def load_articles(path: str, limit: int, start: int = 0):
    """Articles [start, start + limit) of a JSON Lines file (counted from 0; lines that are not articles skipped)."""
    from storydiff.ingest.prepare import prepare_record
    from storydiff.ingest.sources import json_to_record
    from storydiff.model import Article

    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rb") as handle:
        for i, line in enumerate(itertools.islice(handle, start, start + limit), start):
            obj = json.loads(line)
            record = json_to_record(obj, f"{path}#L{i + 1}", {"text": "content_original"} if "content_original" in obj
                                    else {}, "bench")
            article = prepare_record(record)
            if isinstance(article, Article):
                out.append(article)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from storydiff.analysis import analyze_articles, load_nlp

    articles = load_articles(args.data, args.limit)
    nlp = load_nlp()
    texts = [a.text for a in articles]
    list(nlp.pipe(texts[:8]))  # warm up
    parse_times, analysis_times = [], []
    tokens = 0
    digest = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        tokens = sum(len(doc) for doc in nlp.pipe(texts, batch_size=args.batch_size))
        parse_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        analyses = list(analyze_articles(articles, nlp, batch_size=args.batch_size))
        analysis_times.append(time.perf_counter() - started)
        digest = hashlib.sha256(repr(analyses).encode()).hexdigest()[:12]
    parse, analysis = min(parse_times), min(analysis_times)
    result = {
        "data": args.data, "articles": len(articles), "tokens": tokens, "repeat": args.repeat,
        "parse_s": round(parse, 2), "analysis_s": round(analysis, 2),
        "parse_tokens_per_s": round(tokens / parse), "analysis_tokens_per_s": round(tokens / analysis),
        "parse_articles_per_s": round(len(articles) / parse, 2),
        "analysis_articles_per_s": round(len(articles) / analysis, 2),
        "ratio_analysis_to_parse": round(analysis / parse, 3),
        "quotes": sum(len(a.quotes) for a in analyses), "facts": sum(len(a.facts) for a in analyses),
        "entities": sum(len(a.entities) for a in analyses), "output_digest": digest,
    }
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
