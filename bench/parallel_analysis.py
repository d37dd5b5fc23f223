"""Speed-up of the analysis stage with 2 worker processes over 1, through ``storydiff.analysis.analyze``.

    python bench/parallel_analysis.py [DATA] [--limit N] [--repeat R] [--workers 1,2] [--chunk-size C]

DATA is a JSON Lines file (gzip or not; default ../shared/benchmarks/allsides_baly2020/articles.jsonl.gz, text field
``content_original``). The first --limit articles are ingested once into a temporary SQLite store; then, for each
repeat and each worker count (alternating, so that load from other programs falls on both), a copy of that store is
analysed by ``analyze(store, workers=W)`` in a fresh Python process, as ``storydiff analyze --workers W`` would run:
the time includes loading the spaCy model and starting the pool, and every analysis written to the store.

Prints every time, the fastest and the median per worker count, the speed-up of the fastest runs and of the
medians (goal: >= 1.7 with 2 workers on 2 cores), and checks that every run stored the same analyses (a digest of
the records).

Other programs on the machine distort the times, and more than their CPU share suggests: with the kernel's
autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) CPU time is shared between sessions, not
processes, so while another session keeps one core busy, 2 workers get about one core between them and the
speed-up drops to ~1 whatever the code does. So every run also records ``cpu_s`` (CPU time of this run's process
tree: the main process and its pool workers), ``main_cpu_s`` (the main process alone: reading, writing the store)
and ``others_cpu_s`` (CPU time the rest of the machine used meanwhile, from /proc/stat), and ``--quiet-wait S``
waits up to S seconds before each run for a moment when other programs use less than a tenth of a core.
Report the speed-up of runs with ``others_cpu_s`` near 0.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import itertools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "benchmarks" / "allsides_baly2020" / "articles.jsonl.gz"


def prepare_store(data: str, limit: int, folder: str) -> tuple[str, int, int]:
    """Ingest the first ``limit`` articles into ``folder/base.db``; returns (path, articles, words)."""
    from storydiff import ingest, open_store

    sample = os.path.join(folder, "sample.jsonl")
    opener = gzip.open if data.endswith(".gz") else open
    with opener(data, "rb") as src, open(sample, "wb") as dst:
        for line in itertools.islice(src, limit):
            dst.write(line)
    db = os.path.join(folder, "base.db")
    store = open_store(db)
    ingest([sample], store, field_map=["text=content_original"], workers=1)
    count = store.count_articles()
    words = sum(a.word_count for a in store.iter_articles())
    store.close()
    return db, count, words


def run_once(db: str, workers: int, chunk_size: int | None) -> dict:
    """One timed ``analyze`` over the store at ``db`` (called in a fresh process)."""
    from storydiff import open_store
    from storydiff.analysis import analyze

    store = open_store(db)
    kwargs = {"chunk_size": chunk_size} if chunk_size else {}
    started = time.perf_counter()
    summary = analyze(store, workers=workers, **kwargs)
    seconds = time.perf_counter() - started
    me = resource.getrusage(resource.RUSAGE_SELF)
    digest = hashlib.sha256()
    for record in sorted(store.iter_analyses(), key=lambda a: a.article_id):
        digest.update(repr(record).encode())
    store.close()
    return {"workers": workers, "seconds": seconds, "analyzed": summary.analyzed, "digest": digest.hexdigest()[:16],
            "main_cpu_s": me.ru_utime + me.ru_stime}


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, from /proc/stat)."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_quiet(limit: float, window: float = 2.0, threshold: float = 0.1) -> float:
    """Wait (at most ``limit`` s) until the machine used less than ``threshold`` cores over ``window`` s."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = machine_busy_s()
        time.sleep(window)
        if (machine_busy_s() - before) / window < threshold:
            break
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (the first is the base)")
    parser.add_argument("--chunk-size", type=int, default=None, help="analyze()'s chunk_size (default: its own)")
    parser.add_argument("--quiet-wait", type=float, default=0.0,
                        help="wait up to this many seconds before each run for other programs to go quiet")
    parser.add_argument("--run-one", nargs=2, metavar=("DB", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.run_one:
        print(json.dumps(run_once(args.run_one[0], int(args.run_one[1]), args.chunk_size)))
        return 0

    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        base, articles, words = prepare_store(args.data, args.limit, folder)
        times: dict[int, list[float]] = {w: [] for w in counts}
        runs = []
        digests = set()
        for rep in range(args.repeat):
            for w in (counts if rep % 2 == 0 else counts[::-1]):
                db = os.path.join(folder, f"run-{rep}-{w}.db")
                shutil.copyfile(base, db)
                argv = [sys.executable, __file__, "--run-one", db, str(w)]
                if args.chunk_size:
                    argv += ["--chunk-size", str(args.chunk_size)]
                waited = wait_quiet(args.quiet_wait) if args.quiet_wait else 0.0
                busy, ours = machine_busy_s(), children_cpu_s()
                out = subprocess.run(argv, capture_output=True, text=True, check=True)
                busy, ours = machine_busy_s() - busy, children_cpu_s() - ours
                result = json.loads(out.stdout.strip().splitlines()[-1])
                result.update(cpu_s=ours, others_cpu_s=max(0.0, busy - ours), waited_s=waited, repeat=rep + 1)
                times[w].append(result["seconds"])
                digests.add(result.pop("digest"))
                runs.append({k: round(v, 1) if isinstance(v, float) else v for k, v in result.items()})
                print(json.dumps(runs[-1]), file=sys.stderr, flush=True)
                for suffix in ("", "-wal", "-shm"):
                    if os.path.exists(db + suffix):
                        os.remove(db + suffix)
    first = counts[0]
    report = {
        "data": f"{args.data} (first {args.limit})", "articles": articles, "words": words, "cpus": os.cpu_count(),
        "chunk_size": args.chunk_size or "default", "repeat": args.repeat,
        "autogroup_scheduling": _read("/proc/sys/kernel/sched_autogroup_enabled"),
        "identical_output": len(digests) == 1, "runs": runs,
    }
    for w in counts:
        report[f"workers_{w}_s"] = [round(t, 1) for t in times[w]]
        report[f"workers_{w}_fastest_s"] = round(min(times[w]), 1)
        report[f"workers_{w}_median_s"] = round(statistics.median(times[w]), 1)
        if w != first:
            report[f"speedup_{w}_fastest"] = round(min(times[first]) / min(times[w]), 2)
            report[f"speedup_{w}_median"] = round(statistics.median(times[first]) / statistics.median(times[w]), 2)
    print(json.dumps(report, indent=1))
    return 0 if len(digests) == 1 else 1


def _read(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return None


if __name__ == "__main__":
    sys.exit(main())
