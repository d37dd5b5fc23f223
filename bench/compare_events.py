"""How far the events of one store are from another's over the same articles (e.g. group-first against the full path).

    python bench/compare_events.py REFERENCE_STORE OTHER_STORE

Articles are matched by their text hash (two stores built from the same input in different folders give them
different ids). Prints B-cubed precision, recall, F1 and the adjusted Rand index of OTHER's events against
REFERENCE's (every event, single-article ones included), how many multi-article events are identical, and how many
articles each puts in multi-article events. Used for bench/README.md, "Group first, parse less", on the stores that
``python bench/pipeline.py --keep DIR`` keeps.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stories_events import scores  # noqa: E402


def events_by_text(path: str) -> tuple[dict[str, str], set[frozenset[str]]]:
    """``({text hash: event id}, {multi-article events as sets of text hashes})`` of the store at ``path``."""
    from storydiff import open_store
    from storydiff.stories import list_events

    with open_store(path) as store:
        hashes = {a.id: a.text_hash for a in store.iter_articles()}
        events = list_events(store)
    event_of = {hashes[a["id"]]: e["id"] for e in events for a in e["articles"]}
    multi = {frozenset(hashes[a["id"]] for a in e["articles"]) for e in events if len(e["articles"]) >= 2}
    return event_of, multi


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reference")
    parser.add_argument("other")
    args = parser.parse_args()
    ref, ref_multi = events_by_text(args.reference)
    other, other_multi = events_by_text(args.other)
    common = sorted(set(ref) & set(other))
    if not common:
        sys.exit("the two stores have no article text in common")
    result = {k: round(v, 3) for k, v in scores({a: other[a] for a in common}, {a: ref[a] for a in common}).items()}
    result.update({"articles": len(common), "multi_events_reference": len(ref_multi),
                   "multi_events_other": len(other_multi), "identical_multi_events": len(ref_multi & other_multi),
                   "articles_in_multi_reference": sum(map(len, ref_multi)),
                   "articles_in_multi_other": sum(map(len, other_multi))})
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
