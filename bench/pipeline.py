"""The whole pipeline (ingest, analysis, stories, comparison) at growing corpus sizes, with per-stage cost.

    python bench/pipeline.py [DATA] [--sizes 1000,4000,16000,all] [--workers 2] [--add 1000] [--parse-sample 100]

DATA defaults to ../shared/benchmarks/allsides_baly2020/articles.jsonl.gz (37,554 articles, text field
``content_original``). For each size N, a fresh store gets the first N articles; each stage runs through the library
exactly as the CLI runs it, and the script prints articles/s and the peak resident memory of the stage's processes
(the main process and, for pooled stages, its workers; measured in a child process per stage so peaks do not carry
over). In the same run it times spaCy parsing alone on --parse-sample of the articles and the analysis stage on the
same ones in one process, and prints the ratio. With --add K it then ingests and processes the next K articles into
the size-N store, so the cost of an increment on a large store can be compared with K articles alone.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "benchmarks" / "allsides_baly2020" / "articles.jsonl.gz"
MAP = ["text=content_original"]


def write_slice(src: str, dst: str, start: int, count: int | None) -> int:
    n = 0
    with gzip.open(src, "rb") as inp, gzip.open(dst, "wb", compresslevel=1) as out:
        for line in itertools.islice(inp, start, None if count is None else start + count):
            out.write(line)
            n += 1
    return n


def _stage(name: str, db: str, args: tuple, queue) -> None:
    """One stage in its own process, so its peak memory is its own."""
    from storydiff import ingest, open_store
    from storydiff.analysis import analyze
    from storydiff.compare import accounts_from, compare

    store = open_store(db)
    started = time.perf_counter()
    detail: dict = {}
    if name == "ingest":
        summary = ingest([args[0]], store, field_map=MAP, workers=args[1])
        detail = {"read": summary.read, "stored": summary.stored}
    elif name == "analysis":
        summary = analyze(store, workers=args[1])
        detail = {"analysed": summary.analyzed}
    elif name == "stories":
        from storydiff.stories import list_events, update_stories

        summary = update_stories(store)
        detail = {"events": len(list_events(store, min_articles=2)), "reclustered": summary.reclustered}
    elif name == "compare":
        from storydiff.stories import list_events

        rows = 0
        events = list_events(store, min_articles=2)
        links = store.duplicate_links()
        for event in events:
            rows += len(compare(accounts_from(store, [a["id"] for a in event["articles"]]), links).rows)
        detail = {"events_compared": len(events), "rows": rows}
    seconds = time.perf_counter() - started
    store.close()
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    queue.put({"stage": name, "seconds": round(seconds, 2), "peak_rss_mb": round(peak / 1024, 1), **detail})


def run_stage(name: str, db: str, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_stage, args=(name, db, args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def parse_ratio(data: str, sample: int) -> dict:
    sys.path.insert(0, str(HERE))
    from analysis_speed import load_articles

    from storydiff.analysis import analyze_articles, load_nlp

    articles = load_articles(data, sample)
    nlp = load_nlp()
    list(nlp.pipe([a.text for a in articles[:4]]))
    started = time.perf_counter()
    list(nlp.pipe([a.text for a in articles], batch_size=32))
    parse = time.perf_counter() - started
    started = time.perf_counter()
    list(analyze_articles(articles, nlp))
    analysis = time.perf_counter() - started
    return {"articles": len(articles), "parse_s": round(parse, 2), "analysis_s": round(analysis, 2),
            "ratio": round(analysis / parse, 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--sizes", default="1000,4000,16000,all")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--add", type=int, default=0)
    parser.add_argument("--parse-sample", type=int, default=100)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    report = {"data": args.data, "workers": args.workers, "sizes": []}
    for size_text in args.sizes.split(","):
        size = None if size_text == "all" else int(size_text)
        part = os.path.join(tmp.name, f"part-{size_text}.jsonl.gz")
        n = write_slice(args.data, part, 0, size)
        db = os.path.join(tmp.name, f"store-{size_text}.db")
        stages = []
        for stage in ("ingest", "analysis", "stories", "compare"):
            result = run_stage(stage, db, part, args.workers)
            result["articles_per_s"] = round(n / result["seconds"], 1) if result["seconds"] else None
            stages.append(result)
            print(json.dumps({"size": n, **result}), flush=True)
        entry = {"articles": n, "stages": stages, "total_s": round(sum(s["seconds"] for s in stages), 1)}
        if args.add and size is not None:
            extra = os.path.join(tmp.name, f"extra-{size_text}.jsonl.gz")
            k = write_slice(args.data, extra, size, args.add)
            added = [run_stage(stage, db, extra, args.workers) for stage in ("ingest", "analysis", "stories")]
            entry["increment"] = {"articles": k, "stages": added,
                                  "total_s": round(sum(s["seconds"] for s in added), 1)}
            print(json.dumps({"size": n, "increment": entry["increment"]}), flush=True)
        report["sizes"].append(entry)
    report["parse_vs_analysis"] = parse_ratio(args.data, args.parse_sample)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
