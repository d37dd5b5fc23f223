"""Ingest throughput and memory on a large real corpus.

    python bench/ingest_allsides.py [DATA] [--limit N] [--workers W] [--db PATH]

DATA defaults to ../shared/benchmarks/allsides_baly2020/articles.jsonl.gz (37,554 articles; its text field is
``content_original``, so the run passes ``--map text=content_original``). Prints articles/s and the peak resident
memory of the main process and of the worker processes, and, with --limit, the store size. The store is created
fresh in a temporary folder unless --db is given.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "benchmarks" / "allsides_baly2020" / "articles.jsonl.gz"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=None, help="only the first N lines (written to a temp file)")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--db", default=None)
    parser.add_argument("--map", action="append", default=["text=content_original"])
    args = parser.parse_args()

    from storydiff import ingest, open_store

    tmp = tempfile.TemporaryDirectory()
    data = args.data
    if args.limit:
        data = os.path.join(tmp.name, "sample.jsonl.gz")
        with gzip.open(args.data, "rb") as src, gzip.open(data, "wb", compresslevel=1) as dst:
            for line in itertools.islice(src, args.limit):
                dst.write(line)
    db = args.db or os.path.join(tmp.name, "bench.db")
    store = open_store(db)
    started = time.perf_counter()
    summary = ingest([data], store, field_map=args.map, workers=args.workers)
    seconds = time.perf_counter() - started
    store.close()
    main_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {
        "data": data if not args.limit else f"{args.data} (first {args.limit})",
        "workers": args.workers or os.cpu_count(),
        "read": summary.read, "stored": summary.stored, "duplicates": summary.duplicates,
        "skipped": summary.skipped, "seconds": round(seconds, 1),
        "articles_per_s": round(summary.read / seconds, 1) if seconds else None,
        "peak_rss_main_mb": round(main_rss, 1), "peak_rss_worker_mb": round(child_rss, 1),
        "db_mb": round(os.path.getsize(db) / 2**20, 1),
        "skip_reasons": {},
    }
    for p in summary.problems:
        result["skip_reasons"][p.reason] = result["skip_reasons"].get(p.reason, 0) + 1
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
