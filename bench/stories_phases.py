"""Time one stories update on a copy of a store, phase by phase, with a digest of what it wrote.

    python bench/stories_phases.py STORE [--workers 2] [--embedder wordllama] [--from-scratch] [--runs 1] [--keep OUT]

STORE is a store whose pending stories work is what to time: for "+1,000 into the full store", the full store with
its stories done and 1,000 more articles ingested and analysed (bench/README.md). Each run copies it (with its
vector index) into a temporary folder and runs ``update_stories(workers=W)`` there. ``--from-scratch`` first deletes
the copy's pairs, events (with their profiles), storylines, event links and stories settings (vectors and features are kept), so that every article is
searched, scored and clustered again: the stories stage's first run, without the embedding and feature maps.

Printed per run: wall and CPU seconds (this process and its finished pool workers) of each phase -- the per-article
maps, the candidate search and pair scoring, finding the affected parts, clustering and writing the events, the
storylines -- the main process's resident size (VmRSS, and VmHWM since the update started) after each, the pool
workers' peak, the summary, and a digest (sha256) of the pairs, events, members, storylines and event links the
update left: two versions of the code that must give the same result give the same digest. The phases are marked
by wrapping library functions (``VectorIndex.update``/``save``, ``affected_articles``, ``update_storylines``), so the
update itself runs unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import _cpu, copy_store  # noqa: E402
from stories_scaling import _reset_hwm  # noqa: E402

#: What the digest covers, each read in a fixed order.
DIGEST = [("edges", "SELECT a, b, score FROM story_edges ORDER BY a, b"),
          ("members", "SELECT event_id, article_id, how FROM event_members ORDER BY event_id, article_id"),
          ("events", "SELECT id, date, record FROM events ORDER BY id"),
          ("storylines", "SELECT * FROM storylines ORDER BY 1"),
          ("links", "SELECT * FROM event_links ORDER BY 1, 2")]


def _memory() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) >> 10
    return out


def digest(path: str) -> dict[str, str]:
    """``{table: "rows sha256[:12]"}`` of what the stories stage wrote."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for name, query in DIGEST:
            h, n = hashlib.sha256(), 0
            for row in conn.execute(query):
                h.update(repr(row).encode())
                n += 1
            out[name] = f"{n} {h.hexdigest()[:12]}"
        return out
    finally:
        conn.close()


def run_once(store_path: str, workers: int, embedder: str, from_scratch: bool, folder: str) -> dict:
    import storydiff.stories as stories
    from storydiff import open_store
    from storydiff.stories.index import VectorIndex

    db = os.path.join(folder, "store.db")
    copy_store(store_path, db)
    if from_scratch:
        conn = sqlite3.connect(db)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        # stories_state (since schema 8): without it the update scans the whole store, as a first run does,
        # instead of looking only at the articles logged since the last update
        for table in ("story_edges", "event_members", "events", "storylines", "event_links", "event_profiles",
                      "stories_state"):
            if table in tables:   # event_profiles: since schema 6
                conn.execute(f"DELETE FROM {table}")
        conn.commit()
        conn.close()
    marks: list[tuple[str, float, float, dict]] = []

    def mark(name: str) -> None:
        marks.append((name, time.perf_counter(), _cpu(), _memory()))

    def wrap(owner, attr: str, before: str | None = None, after: str | None = None):
        original = getattr(owner, attr)

        def wrapped(*args, **kwargs):
            if before:
                mark(before)
            result = original(*args, **kwargs)
            if after:
                mark(after)
            return result

        setattr(owner, attr, wrapped)
        return original

    originals = [(VectorIndex, "update", wrap(VectorIndex, "update", before="maps")),
                 (VectorIndex, "save", wrap(VectorIndex, "save", after="candidates and pairs")),
                 (stories, "affected_articles", wrap(stories, "affected_articles", after="affected parts")),
                 (stories, "update_storylines", wrap(stories, "update_storylines", before="clustering and writing",
                                                     after="storylines"))]
    try:
        _reset_hwm()   # VmHWM from here
        with open_store(db) as store:
            mark("start")
            summary = stories.update_stories(store, workers=workers, embedder=embedder)
            mark("end")
    finally:
        for owner, attr, original in originals:
            setattr(owner, attr, original)
    phases = []
    for (_, t0, c0, _), (name, t1, c1, memory) in zip(marks, marks[1:]):
        if name != "end":
            phases.append({"phase": name, "wall_s": round(t1 - t0, 2), "cpu_s": round(c1 - c0, 2), **memory})
    return {"wall_s": round(marks[-1][1] - marks[0][1], 2), "cpu_s": round(marks[-1][2] - marks[0][2], 2),
            "main_peak_mb": marks[-1][3]["VmHWM"],
            "workers_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10,
            "phases": phases, "summary": {k: v for k, v in summary.__dict__.items() if k != "seconds"},
            "digest": digest(db)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--embedder", default="wordllama")
    parser.add_argument("--from-scratch", action="store_true", help="delete the copy's pairs, events and storylines")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--tmp", default=None, help="folder for the copies (default: the system's temporary folder)")
    parser.add_argument("--keep", default=None, help="keep the updated copy of the last run at this path (to compare "
                        "two versions' output row by row)")
    args = parser.parse_args()
    if not os.path.isfile(args.store):
        parser.error(f"no store at {args.store}")
    for n in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="storydiff-phases-", dir=args.tmp) as folder:
            result = run_once(args.store, args.workers, args.embedder, args.from_scratch, folder)
            if args.keep and n == args.runs - 1:
                shutil.copyfile(os.path.join(folder, "store.db"), args.keep)
        for p in result["phases"]:
            print(f"  {p['phase']:24s} wall {p['wall_s']:7.2f}  cpu {p['cpu_s']:7.2f}  "
                  f"rss {p['VmRSS']:5d} MB  hwm {p['VmHWM']:5d} MB", file=sys.stderr)
        print(json.dumps({"run": n + 1, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
