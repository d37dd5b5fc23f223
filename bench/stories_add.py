"""Add K articles to a copy of a kept store and time the stories update alone; then check it against a full pass.

    python bench/stories_add.py STORE [--add 1000] [--names] [--workers 1] [--refresh] [--no-check] [--check-events]

STORE is a store kept by ``bench/pipeline.py --keep`` (or any store of the first N AllSides articles): it is copied,
articles [N, N+K) of the corpus are ingested into the copy, and ``update_stories`` runs once (``--names``: on names,
as group first's first update does, without analysing the new articles). Printed: CPU seconds (this process and its
pool workers) and wall seconds of the update, with its summary.

The check (skipped with ``--no-check``): the storylines the incremental update left must be exactly those that a
full storyline pass over the same store gives (every event's links found again, every storyline regrouped), which is
what ``update_storylines`` promises. With ``--check-events`` also the events: every article is clustered again from
the stored pairs (``update_stories(reconsider=every article)``), and every event must come out exactly as the
incremental update left it (``unchanged == events``). A store from before migration 0005 runs that full pass once on opening the copy
(printed apart, not counted in the update), and a store from before migration 0008 (the log of changes) scans itself
once with an update before the articles are added (also apart). ``--refresh`` first clusters every article of the copy again with the
current code and rules (also apart): a store kept by older code holds events the current rules would not make, which
the events check would otherwise count as differences.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import DEFAULT_DATA, MAP, _cpu, copy_store, write_slice  # noqa: E402


def _storylines(store) -> list:
    from storydiff.stories import list_storylines

    return sorted((s["id"], [e["id"] for e in s["events"]], s["why"]) for s in list_storylines(store))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store")
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--add", type=int, default=1000)
    parser.add_argument("--names", action="store_true", help="update on names (group first) rather than analyses")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-check", action="store_true")
    parser.add_argument("--check-events", action="store_true", help="also cluster every article again (slow)")
    parser.add_argument("--refresh", action="store_true", help="first cluster the copy again with the current code")
    args = parser.parse_args()

    from storydiff import open_store
    from storydiff.ingest import ingest
    from storydiff.stories import update_stories, update_storylines

    tmp = tempfile.TemporaryDirectory(prefix="storydiff-add-")
    db = os.path.join(tmp.name, "store.db")
    copy_store(args.store, db)
    out: dict = {"store": args.store}
    with open_store(db) as store:
        start = store.count_articles()
        cpu, wall = _cpu(), time.perf_counter()
        if args.refresh:
            refreshed = update_stories(store, reconsider=store.story_ready_ids(), workers=args.workers,
                                       regroup_storylines=False)
            out["refresh"] = {"events": refreshed.events, "unchanged": refreshed.unchanged}
        caught_up = update_storylines(store)  # a store from before kept links: its one full pass, counted apart
        # a store from before the log of changes (migration 0008), or last updated with other settings: its one
        # scan of the whole store (nothing else to do in a store the kept run left up to date), counted apart too
        settled = update_stories(store, unanalysed="names" if args.names else "wait", workers=args.workers)
        out["catch_up"] = {"storylines": caught_up, "scanned": settled.looked_at is None,
                           "changed": settled.changed, "cpu_s": round(_cpu() - cpu, 1),
                           "wall_s": round(time.perf_counter() - wall, 1)}
        extra = os.path.join(tmp.name, "extra.jsonl.gz")
        out["added"] = write_slice(args.data, extra, start, args.add)
        ingest([extra], store, field_map=MAP, workers=1)
        cpu, wall = _cpu(), time.perf_counter()
        summary = update_stories(store, unanalysed="names" if args.names else "wait", workers=args.workers)
        out["update"] = {"cpu_s": round(_cpu() - cpu, 1), "wall_s": round(time.perf_counter() - wall, 1),
                         "summary": summary.__dict__}
        print(json.dumps(out), flush=True)
        if not args.no_check:
            incremental = _storylines(store)
            store.conn.execute("UPDATE events SET linked = 0")
            store.conn.execute("DELETE FROM event_links")
            store.conn.commit()
            update_storylines(store)
            full = _storylines(store)
            out["check"] = {"storylines": len(full), "incremental_equals_full_pass": incremental == full}
            if args.check_events:
                ids = store.story_ready_ids()
                cpu, wall = _cpu(), time.perf_counter()
                again = update_stories(store, reconsider=ids, workers=args.workers, regroup_storylines=False)
                out["check"].update(reclustered=again.reclustered, events=again.events, unchanged=again.unchanged,
                                    events_equal=again.unchanged == again.events, cpu_s=round(_cpu() - cpu, 1),
                                    wall_s=round(time.perf_counter() - wall, 1))
            print(json.dumps(out["check"]), flush=True)
    ok = out.get("check", {})
    return 0 if args.no_check or (ok["incremental_equals_full_pass"] and ok.get("events_equal", True)) else 1


if __name__ == "__main__":
    sys.exit(main())
