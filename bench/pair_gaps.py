"""How far apart in publication date the stored pairs and the events of a store are.

    python bench/pair_gaps.py STORE [--min-score 0.75]

STORE is a SQLite store that the stories stage has run on (for example one kept by ``bench/pipeline.py --keep``).
Printed: the stored article pairs at or above ``--min-score`` by the number of days between the two articles'
publication dates (pairs with an undated article apart), and the events of two or more articles by the days between
their first and last article. It is what the candidate window (``candidate_window_days`` in
``data/stories/en.json``) was chosen from: a pair of articles published months apart is not one happening.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections import Counter, defaultdict

from storydiff.stories.events import published_day

BINS = [(3, "<= 3 days"), (7, "4-7 days"), (30, "8-30 days"), (90, "31-90 days"), (180, "91-180 days"),
        (365, "181-365 days"), (None, "> 1 year")]


def _bin(gap: int) -> str:
    return next(label for top, label in BINS if top is None or gap <= top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store")
    parser.add_argument("--min-score", type=float, default=0.75)
    args = parser.parse_args()
    conn = sqlite3.connect(f"file:{args.store}?mode=ro", uri=True)
    day = {aid: published_day(published) for aid, published in conn.execute("SELECT id, published FROM articles")}
    pairs: Counter = Counter()
    for a, b in conn.execute("SELECT a, b FROM story_edges WHERE score >= ?", (args.min_score,)):
        da, db = day.get(a), day.get(b)
        pairs["an undated article" if da is None or db is None else _bin(abs(da - db))] += 1
    members: dict[str, list[str]] = defaultdict(list)
    for event, article in conn.execute("SELECT event_id, article_id FROM event_members"):
        members[event].append(article)
    events: Counter = Counter()
    articles: Counter = Counter()
    for ids in members.values():
        if len(ids) < 2:
            continue
        days = [day[a] for a in ids if day.get(a) is not None]
        label = "fewer than 2 dated" if len(days) < 2 else _bin(max(days) - min(days))
        events[label] += 1
        articles[label] += len(ids)
    total = sum(pairs.values())
    print(f"{args.store}: {len(day)} articles, {total} pairs scoring >= {args.min_score}, "
          f"{sum(events.values())} events of 2+ articles")
    order = [label for _, label in BINS]
    print(f"{'publication dates apart':<24} {'pairs':>9} {'share':>6} {'events (span)':>14} {'their articles':>15}")
    for label in [*order, "an undated article", "fewer than 2 dated"]:
        if pairs[label] or events[label]:
            print(f"{label:<24} {pairs[label]:>9} {pairs[label] / max(total, 1):>6.1%} {events[label]:>14} "
                  f"{articles[label]:>15}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
