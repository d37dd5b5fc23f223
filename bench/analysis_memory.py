"""Memory of one analysis process as it parses more and more articles, with and without spaCy memory zones.

    python bench/analysis_memory.py [DATA] [--limit 400] [--step 50] [--mode zone|plain]

Runs ``storydiff.analysis.analyze_articles`` in this process over the first --limit articles (default: AllSides) and
prints, after every --step articles, the resident memory, the number of strings in spaCy's StringStore and the CPU
seconds so far, then a digest of all records (the two modes must print the same digest). ``--mode plain`` turns the
memory zones off. Run each mode in its own process.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def rss_mb() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 // 2**20


def main() -> int:
    from analysis_speed import DEFAULT_DATA, load_articles

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=400)
    parser.add_argument("--step", type=int, default=50)
    parser.add_argument("--mode", choices=["zone", "plain"], default="zone")
    args = parser.parse_args()

    import storydiff.analysis as stage

    if args.mode == "plain":
        stage._zone = lambda nlp: nullcontext()
    articles = load_articles(args.data, args.limit)
    nlp = stage.load_nlp()
    started = time.process_time()
    records = []
    for analysis in stage.analyze_articles(articles, nlp):
        records.append(analysis)
        if len(records) % args.step == 0:
            print(json.dumps({"mode": args.mode, "articles": len(records), "rss_mb": rss_mb(),
                              "strings": len(nlp.vocab.strings),
                              "cpu_s": round(time.process_time() - started, 1)}), flush=True)
    print(json.dumps({"mode": args.mode, "articles": len(records), "rss_mb": rss_mb(),
                      "cpu_s": round(time.process_time() - started, 1),
                      "digest": hashlib.sha256(repr(records).encode()).hexdigest()[:12]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
