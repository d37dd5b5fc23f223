"""How the stories stage grows with the corpus: cluster the first 1k, 4k, 16k and all 37,554 AllSides articles.

Usage::

    python bench/stories_scaling.py [DATA] [--sizes 1000,4000,16000,all] [--add 500] [--workers 2] [--order date|last]
                                    [--embedder wordllama|wordllama-plain|...]

``DATA`` defaults to ``../shared/benchmarks/allsides_baly2020/articles.jsonl.gz`` (text field
``content_original``). Each size runs in a fresh process (so its peak memory is its own) on a fresh SQLite store:

1. the first N articles go through the real ingest map (``prepare_record``) and are written with ``write_batch``
   (not timed: that is the ingest stage, see bench/README.md), in a process of their own (since 2026-12-07: the
   memory of reading and preparing them used to stay in the measuring process and counted in its peak);
2. **no spaCy**: the analysis stage is too slow for 37k articles on 2 cores, so each article's
   :class:`StoryFeatures` is computed by :func:`storydiff.stories.features.name_features` -- capitalised word
   runs as names (weighted like entities: count and lead), no facts, no happening dates -- and written with
   ``write_story_features`` (before 2026-12-06 by a stand-in of this script's own, which did not normalise the
   names as corpus keys);
3. timed: ``update_stories`` on the whole store (wordllama title+lead vectors, distinctive words, usearch index,
   candidate search, scored pairs, average linkage per part, storylines) -- the real code path;
4. timed: ``--add`` more articles are stored with their features and ``update_stories`` runs again: the cost of
   adding articles to a store of N.

``--order date`` takes the first N articles *published* (the undated spread evenly among them) instead of the first
N of the file: the file is in no order of time, so its first N span all eight years at every N and a larger N is a
denser sample of the same years (an article has more look-alikes, so more pairs, the larger N is); a store that
grows as news comes in grows in time instead, at the density of the news, which is where the candidate window
bounds an article's pairs.

``--order last`` holds the added articles fixed: every size adds the same last ``--add`` articles published, to a
store of the N published just before them, so a larger N reaches further back in time and the news around the
added articles is the same at every size. With ``--order date`` a larger N adds later articles, and the corpus'
later years are denser (more reports of each happening), so the cost of ``--add`` there mixes the size of the store
with the density of the news it lands in; ``last`` measures the size alone.

Printed per size: wall and CPU seconds and peak RSS of step 3 (VmHWM reset before it), wall and CPU seconds of
step 4 and how many articles it clustered again ("redone"), events found, the largest event, storylines, and the
1-minute load average at the end (the machine is shared: wall time is noisy, CPU time less so).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stories_data import DEFAULT_ALLSIDES  # noqa: E402

def _prepare(args):
    from storydiff.ingest.prepare import prepare_record
    from storydiff.ingest.sources import json_to_record
    from storydiff.model import Article

    path, number, line = args
    obj = json.loads(line)
    record = json_to_record(obj, f"{path}#L{number}", {"text": "content_original"}, "bench")
    article = prepare_record(record)
    return article if isinstance(article, Article) else None


def _date_key(line: str) -> str:
    value = str(json.loads(line).get("date") or "")
    return value[:10] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10]) else "9999"


def load(path: str, limit: int | None, workers: int, order: str = "file"):
    """The first ``limit`` articles of the file, in its order or (``order="date"``) in order of publication (the
    undated spread evenly among them): the way a store grows as news comes in; ``order="last"``: the last ``limit``
    in order of publication (in that order)."""
    import multiprocessing

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        if order in ("date", "last"):
            keyed = [(_date_key(line), i + 1, line) for i, line in enumerate(handle)]
            dated = sorted(k for k in keyed if k[0] != "9999")
            undated = [k for k in keyed if k[0] == "9999"]
            # the undated spread evenly through the dated (in file order), as they would come in with the rest
            ranked = sorted([(n, 0, k) for n, k in enumerate(dated)]
                            + [((m + 0.5) * len(dated) / len(undated), 1, k) for m, k in enumerate(undated)])
            ranked = ranked[-limit:] if order == "last" and limit else ranked[:limit]
            lines = [(path, number, line) for _, _, (_, number, line) in ranked]
        else:
            lines = [(path, i + 1, line) for i, line in enumerate(itertools.islice(handle, limit))]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return [a for a in pool.map(_prepare, lines, chunksize=64) if a is not None]


def _hwm_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _reset_hwm() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _put(store, batch) -> None:
    from storydiff.stories.features import NAMES_VERSION, name_features

    for i in range(0, len(batch), 512):
        chunk = batch[i:i + 512]
        store.write_batch(store.begin_run("bench", []), chunk, {}, {}, [], [])
        store.write_story_features([(a.id, a.text_hash, NAMES_VERSION, name_features(a).to_json()) for a in chunk])


def _build(path: str, size: int | None, add: int, workers: int, order: str, db: str, extra_file: str) -> None:
    """Write the first ``size`` articles to the store ``db`` and pickle the ``add`` after them to ``extra_file``
    (in its own process, so that the memory of reading and preparing them is not counted in the update's peak)."""
    import pickle

    from storydiff.store.sqlite import SQLiteStore

    articles = load(path, None if size is None else size + add, workers, order)
    base, extra = (articles[:-add], articles[-add:]) if add else (articles, [])
    store = SQLiteStore(db)
    _put(store, base)
    store.close()
    with open(extra_file, "wb") as handle:
        pickle.dump(extra, handle)


def run_size(path: str, size: int | None, add: int, workers: int, order: str = "file",
             embedder: str = "wordllama") -> dict:
    import multiprocessing
    import pickle

    from storydiff.store.sqlite import SQLiteStore
    from storydiff.stories import update_stories

    with tempfile.TemporaryDirectory() as tmp:
        db, extra_file = str(Path(tmp) / "scale.db"), str(Path(tmp) / "extra.pickle")
        builder = multiprocessing.get_context("spawn").Process(
            target=_build, args=(path, size, add, workers, order, db, extra_file))
        builder.start()
        builder.join()
        if builder.exitcode != 0:
            raise RuntimeError(f"building the store of {size or 'all'} articles failed ({builder.exitcode})")
        store = SQLiteStore(db)
        base = store.count_articles()
        _reset_hwm()
        started, cpu = time.perf_counter(), time.process_time()
        first = update_stories(store, embedder=embedder)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        peak = _hwm_mb()
        with open(extra_file, "rb") as handle:
            extra = pickle.load(handle)
        _put(store, extra)
        started, cpu = time.perf_counter(), time.process_time()
        second = update_stories(store, embedder=embedder)
        add_seconds, add_cpu = time.perf_counter() - started, time.process_time() - cpu
        sizes = [n for (n,) in store.conn.execute(
            "SELECT COUNT(*) FROM event_members GROUP BY event_id")]
        store.close()
    return {"articles": base, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": peak,
            "per_1k_s": 1000 * seconds / base, "load": os.getloadavg()[0],
            "events": first.events, "multi_article_events": sum(1 for n in sizes if n >= 2),
            "largest_event": max(sizes) if sizes else 0, "storylines": first.storylines,
            "added": len(extra), "add_seconds": add_seconds, "add_cpu_seconds": add_cpu,
            "add_reclustered": second.reclustered}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_ALLSIDES))
    parser.add_argument("--sizes", default="1000,4000,16000,all")
    parser.add_argument("--add", type=int, default=500, help="articles added after the first clustering")
    parser.add_argument("--workers", type=int, default=2, help="processes for the (untimed) ingest map")
    parser.add_argument("--order", default="file", choices=["file", "date", "last"],
                        help="the first N of the file (default), the first N published (undated spread among them), "
                             "or the N published just before the last --add (every size adds the same articles)")
    parser.add_argument("--embedder", default="wordllama", help="the article embedder (storydiff.stories.embed)")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one size, print JSON
    args = parser.parse_args()
    if args.one is not None:
        size = None if args.one == "all" else int(args.one)
        print(json.dumps(run_size(args.data, size, args.add, args.workers, args.order, args.embedder)))
        return 0
    print(f"{'articles':>9} {'update s':>9} {'cpu s':>7} {'s/1k':>6} {'peak MB':>8} {'events':>7} {'2+ art.':>7} "
          f"{'largest':>7} {'stories':>7} {'+added':>6} {'add s':>6} {'add cpu':>7} {'redone':>6} {'load':>5}",
          flush=True)
    for size in args.sizes.split(","):
        out = subprocess.run([sys.executable, __file__, args.data, "--one", size, "--add", str(args.add),
                              "--workers", str(args.workers), "--order", args.order, "--embedder", args.embedder],
                             capture_output=True, text=True,
                             env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['articles']:>9} {r['seconds']:>9.1f} {r['cpu_seconds']:>7.1f} {r['per_1k_s']:>6.2f} "
              f"{r['peak_rss_mb']:>8.0f} {r['events']:>7} {r['multi_article_events']:>7} {r['largest_event']:>7} "
              f"{r['storylines']:>7} {r['added']:>6} {r['add_seconds']:>6.1f} {r['add_cpu_seconds']:>7.1f} "
              f"{r['add_reclustered']:>6} {r['load']:>5.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
