"""Try settings of the event grouping on the visible tuning data, and report them on the held-apart parts.

Usage::

    python bench/stories_tune.py [--set KEY=VALUE ...] [--grid FILE] [--neus-train-limit 600] [--embedder NAME]

Each setting is a set of overrides of ``data/stories/en.json`` (``score.lexical=1.2``, ``event_threshold=0.8``;
dotted keys reach into ``score``). For each, the real clustering (:func:`storydiff.stories.events.cluster_events`)
runs on records built once, and B-cubed F1 / ARI are printed for:

* **ECB+ train** topics (pooled) -- tuning;
* **ECB+ dev** topics 2, 5, 12, 18, 21, 23, 34, 35 (pooled; from ``split.tsv``) -- a check on topics not tuned on;
* **NeuS train** (the first ``--neus-train-limit`` triplets) -- tuning;
* **NeuS val** -- reported, not tuned on.

ECB+ topics 36-45 are held out by the benchmark and are not in the file; NeuS test is never read.
``--grid FILE``: one setting per line (space-separated ``KEY=VALUE``; ``#`` comments); the first line with no
overrides is the current settings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stories_data import DEFAULT_ECB, DEFAULT_NEUS, load_ecbplus, load_neus  # noqa: E402
from stories_events import build_records, scores  # noqa: E402

ECB_DEV = {2, 5, 12, 18, 21, 23, 34, 35}
NEUS_TRAIN = DEFAULT_NEUS.parent / "train.jsonl"


def apply(rules: dict, overrides: dict[str, str]) -> dict:
    """``rules`` with dotted ``KEY=VALUE`` overrides (values parsed as JSON)."""
    from storydiff.stories.features import with_overrides

    return with_overrides(rules, {key: json.loads(value) for key, value in overrides.items()})


def evaluate(records, gold, rules) -> dict[str, float]:
    from storydiff.stories.events import cluster_events

    pred = {a: ev.id for ev in cluster_events(records, rules=rules) for a in ev.article_ids}
    return scores(pred, gold)


def main() -> int:
    from storydiff.stories.features import load_rules

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", default=[], help="KEY=VALUE override (repeatable)")
    parser.add_argument("--grid", default=None, help="file of settings, one per line")
    parser.add_argument("--neus-train-limit", type=int, default=600)
    parser.add_argument("--no-val", action="store_true", help="skip NeuS val")
    parser.add_argument("--embedder", default="wordllama", choices=["wordllama", "wordllama-plain", "minilm", "minilm-static"])
    args = parser.parse_args()
    settings = [dict(kv.split("=", 1) for kv in args.set)]
    if args.grid:
        settings = []
        for line in Path(args.grid).read_text("utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            settings.append(dict(kv.split("=", 1) for kv in line.split()) if line else {})
    articles, gold, topic_of = load_ecbplus(DEFAULT_ECB)
    ecb, _ = build_records(articles, args.embedder)
    sets = {
        "ECB+ train": ([r for r in ecb if topic_of[r.article_id] not in ECB_DEV], gold),
        "ECB+ dev": ([r for r in ecb if topic_of[r.article_id] in ECB_DEV], gold),
    }
    articles, ngold = load_neus(NEUS_TRAIN, args.neus_train_limit)
    sets["NeuS train"] = (build_records(articles, args.embedder)[0], ngold)
    if not args.no_val:
        articles, vgold = load_neus(DEFAULT_NEUS)
        sets["NeuS val"] = (build_records(articles, args.embedder)[0], vgold)
    print("setting | " + " | ".join(f"{name} F1 / ARI" for name in sets) + " | s")
    base = load_rules(embedder=args.embedder)
    for overrides in settings:
        rules = apply(base, overrides)
        started = time.perf_counter()
        cells = []
        for records, g in sets.values():
            s = evaluate(records, g, rules)
            cells.append(f"{s['bcubed_f1']:.3f} / {s['ari']:.3f}")
        label = " ".join(f"{k}={v}" for k, v in overrides.items()) or "(current)"
        print(f"{label} | " + " | ".join(cells) + f" | {time.perf_counter() - started:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
