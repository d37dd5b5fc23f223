"""The whole pipeline (ingest, analysis, stories, comparison) at growing corpus sizes, with per-stage cost.

    python bench/pipeline.py [DATA] [--sizes 1000,4000,16000,all] [--workers 2] [--add 1000] [--parse-sample 100]
    python bench/pipeline.py --incremental --keep DIR --stages ingest,analysis      # grow one store, keep a copy per size
    python bench/pipeline.py --from-stores DIR --stages stories,compare --add 1000  # later stages on the kept stores
    python bench/pipeline.py --incremental --start-from DIR/store-16000.db --sizes 36554 --add 1000  # the rest
    python bench/pipeline.py --sizes 4000 --stages ingest,group,analysis-grouped,compare   # group first, parse less

DATA defaults to ../shared/benchmarks/allsides_baly2020/articles.jsonl.gz (37,554 articles, text field
``content_original``). For each size N, a fresh store gets the first N articles; each stage runs through the library
exactly as the CLI runs it, and the script prints articles/s, wall and CPU seconds (the stage's process and its pool
workers) and the peak resident memory of the stage's processes (measured in a child process per stage so peaks do
not carry over), and how much CPU other programs used meanwhile (the machine is shared; CPU seconds do not depend on
that, wall seconds do). In the same run it times spaCy parsing alone on --parse-sample of the articles and the
analysis stage on the same ones in one process, and prints the ratio. With --add K it then ingests and processes the
next K articles into the size-N store (group first when --stages has ``group``), so the cost of an increment on a
large store can be compared with K articles alone.

--incremental grows one store instead: size N adds articles [previous N, N) to the store of the previous size, so
each stage's figures are for that increment on a store of the previous size (the whole corpus is analysed once, not
once per size). --keep DIR copies the store after each size to DIR/store-N.db; --from-stores DIR runs --stages on
copies of those stores (stories and comparison from scratch on each size, then --add on top).

Group first (stages ``group`` and ``analysis-grouped`` in place of ``analysis`` and ``stories``): every article is
grouped on its names before any parse (``update_stories(unanalysed="names")``), then only the articles of events of
two or more articles are analysed (``articles_to_analyze``), regrouped on their analysis, and so on until none is
left; articles alone in their event are never parsed (except, with --linked, those with a pair at the event
threshold: ``group_first(linked=True)``). The stories updates between rounds count in that stage; as in
``group_first``, storylines are regrouped once, at its end. ``per_round`` lists, for each round, the articles parsed,
the analysis' wall and CPU seconds and the stories update's wall and CPU seconds; ``storylines_s`` the final pass.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import multiprocessing
import os
import resource
import shutil
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


def copy_store(src: str, dst: str) -> None:
    """Copy a store with the stories stage's vector index beside it (a store copied without it makes the next
    update rebuild the index, a cost a real increment does not pay)."""
    shutil.copyfile(src, dst)
    for suffix in (".vectors.usearch", ".vectors.npz", ".vectors.usearch.json"):
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)
        elif os.path.exists(dst + suffix):
            os.remove(dst + suffix)


def _exit_with_parent() -> None:
    """Stop this stage process (and so its pool) when the script that started it is gone."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(2)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the pool workers of a stage)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _stage(name: str, db: str, args: tuple, queue) -> None:
    """One stage in its own process, so its peak memory is its own."""
    _exit_with_parent()
    from storydiff import ingest, open_store
    from storydiff.analysis import analyze

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

        summary = update_stories(store, workers=args[1], embedder=_embedder())
        detail = {"events": len(list_events(store, min_articles=2)), "reclustered": summary.reclustered}
    elif name == "group":
        # group-first: every article grouped on its names before any parse (update_stories(unanalysed="names"))
        from storydiff.stories import list_events, update_stories

        # as group_first: storylines are regrouped once, at the end of analysis-grouped
        summary = update_stories(store, unanalysed="names", regroup_storylines=False, workers=args[1],
                                 embedder=_embedder())
        detail = {"events": len(list_events(store, min_articles=2)), "reclustered": summary.reclustered}
    elif name == "analysis-grouped":
        # then analyse only the articles of multi-article events, regroup them on their analysis, and repeat until
        # no unanalysed article is in a multi-article event; the stories updates between rounds are counted here
        from storydiff.stories import articles_to_analyze, list_events, update_stories, update_storylines

        analysed = rounds = 0
        stories_cpu = 0.0
        per_round = []  # [articles parsed, analysis wall s, analysis CPU s, stories wall s, stories CPU s]
        linked = os.environ.get("STORYDIFF_BENCH_LINKED", "0") == "1"  # set by --linked
        while todo := articles_to_analyze(store, linked=linked):
            cpu, wall = _cpu(), time.perf_counter()
            done = analyze(store, workers=args[1], only=todo).analyzed
            analysed += done
            cpu_mid, wall_mid = _cpu(), time.perf_counter()
            update_stories(store, unanalysed="names", regroup_storylines=False, workers=args[1], embedder=_embedder())
            stories_cpu += _cpu() - cpu_mid
            per_round.append([done, round(wall_mid - wall, 1), round(cpu_mid - cpu, 1),
                              round(time.perf_counter() - wall_mid, 1), round(_cpu() - cpu_mid, 1)])
            rounds += 1
        cpu, wall = _cpu(), time.perf_counter()
        update_storylines(store)  # once, at the end, as group_first does
        stories_cpu += _cpu() - cpu
        detail = {"analysed": analysed, "rounds": rounds, "linked": linked, "stories_cpu_s": round(stories_cpu, 1),
                  "events": len(list_events(store, min_articles=2)), "per_round": per_round,
                  "storylines_s": round(time.perf_counter() - wall, 1), "storylines_cpu_s": round(_cpu() - cpu, 1)}
    elif name == "compare":
        # every event of two or more articles compared, as `storydiff export` does (compare_groups on the workers)
        from storydiff.compare import compare_groups
        from storydiff.stories import list_events

        rows = compared = 0
        groups = [(e["id"], [a["id"] for a in e["articles"]]) for e in list_events(store, min_articles=2)]
        for _, result in compare_groups(store, groups, workers=args[1]):
            rows += len(result.rows)
            compared += 1
        detail = {"events_compared": compared, "rows": rows}
    seconds = time.perf_counter() - started
    store.close()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = max(me.ru_maxrss, kids.ru_maxrss)
    cpu = _cpu()
    queue.put({"stage": name, "seconds": round(seconds, 2), "cpu_s": round(cpu, 1), "peak_rss_mb": round(peak / 1024, 1),
               **detail})


def _embedder() -> str:
    """The stories stage's embedder in a spawned stage process (``--embedder``, passed through the environment)."""
    return os.environ.get("STORYDIFF_BENCH_EMBEDDER", "wordllama")


def machine_busy_s() -> float:
    """CPU seconds every process on the machine has used since boot (/proc/stat; 0 where there is none)."""
    try:
        with open("/proc/stat") as handle:
            fields = [int(x) for x in handle.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_stage(name: str, db: str, *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    busy = machine_busy_s()
    proc = ctx.Process(target=_stage, args=(name, db, args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    result["others_cpu_s"] = round(max(0.0, machine_busy_s() - busy - result["cpu_s"]), 1)
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


def run_size(label: str, n: int, db: str, part: str, stages: list[str], workers: int) -> list[dict]:
    out = []
    for stage in stages:
        result = run_stage(stage, db, part, workers)
        result["articles_per_s"] = round(n / result["seconds"], 1) if result["seconds"] else None
        out.append(result)
        print(json.dumps({"size": label, "articles": n, **result}), flush=True)
    return out


def run_increment(args, tmp: str, db: str, start: int, label: str, stages: list[str]) -> dict:
    extra = os.path.join(tmp, f"extra-{label}.jsonl.gz")
    k = write_slice(args.data, extra, start, args.add)
    # the increment goes the way the store was built: group first if its stages did
    steps = ("ingest", "group", "analysis-grouped") if "group" in stages else ("ingest", "analysis", "stories")
    added = [run_stage(stage, db, extra, args.workers) for stage in steps]
    increment = {"articles": k, "stages": added, "total_s": round(sum(s["seconds"] for s in added), 1),
                 "cpu_s": round(sum(s["cpu_s"] for s in added), 1)}
    print(json.dumps({"size": label, "increment": increment}), flush=True)
    return increment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--sizes", default="1000,4000,16000,all")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--add", type=int, default=0)
    parser.add_argument("--parse-sample", type=int, default=100, help="0: skip the parse-vs-analysis ratio")
    parser.add_argument("--stages", default="ingest,analysis,stories,compare")
    parser.add_argument("--incremental", action="store_true", help="grow one store through the sizes")
    parser.add_argument("--keep", help="copy each size's store to this folder (store-N.db)")
    parser.add_argument("--from-stores", help="run --stages on copies of the stores kept in this folder")
    parser.add_argument("--start-from", help="with --incremental: grow a copy of this kept store (its articles must be "
                        "the first ones of DATA) instead of an empty one")
    parser.add_argument("--embedder", default="wordllama", help="the stories stage's article embedder")
    parser.add_argument("--linked", action="store_true",
                        help="group first: also analyse the articles alone in their event that have a pair at the "
                             "event threshold (articles_to_analyze(linked=True), group_first(linked=True))")
    args = parser.parse_args()
    os.environ["STORYDIFF_BENCH_LINKED"] = "1" if args.linked else "0"  # read by the spawned stage processes
    os.environ["STORYDIFF_BENCH_EMBEDDER"] = args.embedder
    stages = args.stages.split(",")
    tmp = tempfile.TemporaryDirectory()
    report = {"data": args.data, "workers": args.workers, "incremental": args.incremental, "sizes": []}
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    done = 0
    shared_db = os.path.join(tmp.name, "store-incremental.db")
    if args.start_from:
        if not args.incremental:
            parser.error("--start-from needs --incremental")
        copy_store(args.start_from, shared_db)
        from storydiff import open_store

        with open_store(shared_db) as store:
            done = store.count_articles()
        print(f"starting from {args.start_from}: {done} articles", file=sys.stderr)
    for size_text in args.sizes.split(","):
        size = None if size_text == "all" else int(size_text)
        db = shared_db if args.incremental else os.path.join(tmp.name, f"store-{size_text}.db")
        if args.from_stores:
            kept = os.path.join(args.from_stores, f"store-{size_text}.db")
            if not os.path.exists(kept):
                print(f"no kept store {kept}: skipped", file=sys.stderr)
                continue
            copy_store(kept, db)
            from storydiff import open_store

            with open_store(db) as store:
                n = store.count_articles()
            part = ""
        else:
            start = done if args.incremental else 0
            part = os.path.join(tmp.name, f"part-{size_text}.jsonl.gz")
            n = write_slice(args.data, part, start, None if size is None else size - start)
        results = run_size(size_text, n, db, part, stages, args.workers)
        entry = {"size": size_text, "articles": n, "stages": results,
                 "total_s": round(sum(s["seconds"] for s in results), 1),
                 "cpu_s": round(sum(s["cpu_s"] for s in results), 1)}
        done = (done + n) if args.incremental and not args.from_stores else n
        if args.keep:
            copy_store(db, os.path.join(args.keep, f"store-{size_text}.db"))
        if args.add and size is not None:
            copy = os.path.join(tmp.name, f"store-{size_text}-plus.db")
            copy_store(db, copy)
            entry["increment"] = run_increment(args, tmp.name, copy, size, size_text, stages)
            os.remove(copy)
        report["sizes"].append(entry)
    if args.parse_sample:
        report["parse_vs_analysis"] = parse_ratio(args.data, args.parse_sample)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
