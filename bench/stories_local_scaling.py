"""Exploration (not in the library): local scaling of the event pair score, measured on the visible tuning data.

Usage::

    python bench/stories_local_scaling.py [--k 5,10] [--alpha 0,0.6,0.8,1.0] [--centre median|VALUE]
                                          [--neus-train-limit 600]

The pair score ``s(a, b)`` of :mod:`storydiff.stories.events` becomes

    s'(a, b) = s(a, b) - alpha * ((d(a) + d(b)) / 2 - centre)

where ``d(x)`` is the mean of the ``k`` highest scores ``x`` has with any other article of the set (how crowded
its neighbourhood is: a report among many on one subject, or a lone one), and ``centre`` is the median of ``d``
over the set (``--centre median``) or a fixed value. A pair in a crowded neighbourhood must score higher to be
one event; a pair of lone articles may score lower (the idea of CSLS, cross-domain similarity local scaling).

The real clustering (:func:`storydiff.stories.events.cluster_events`: candidates, parts, average linkage,
attach-alone) runs with the library's two scoring functions wrapped for this process. Both ``d`` and the median
depend on the whole set, so this score is not one the store's incremental update can give exactly (an update
would change the densities of old articles and the centre of all): that is why it is measured here and not
built in (bench/STORIES.md, "Local scaling"). Sets as in ``bench/stories_tune.py`` (ECB+ train and NeuS train
tuned on; ECB+ dev and NeuS val checks), plus every ECB+ topic clustered on its own (a small corpus about one
story, macro-averaged).

Two variants, both made to see whether a form the store could keep exactly would do: ``--form penalty`` only ever
lowers a score (``max(0, mean density - centre)``: a pair below the stored-pair threshold is never lifted above the
event cut, so the pairs the store keeps would still be all that clustering needs), and ``--clip X`` makes the
densities from scores raised to at least ``X`` (a neighbour below the stored-pair threshold counts as that
threshold: the densities could then be read from the stored pairs alone). ``--mix`` adds two sets that pool a
benchmark of long articles with one of short ones (ECB+ train + NeuS train, ECB+ dev + NeuS val), with the F1 of
each benchmark's articles inside the mixed clustering in brackets: one corpus, one centre, two scales of score.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stories_data import DEFAULT_ECB, DEFAULT_NEUS, load_ecbplus, load_neus  # noqa: E402
from stories_events import build_records, scores  # noqa: E402
from stories_tune import ECB_DEV, NEUS_TRAIN  # noqa: E402


class LocalScaling:
    """Wraps ``score_matrix`` / ``score_pairs`` of the events module with the adjustment above, for one set at a
    time (:meth:`fit`); ``alpha = 0`` leaves every score as it is."""

    def __init__(self, events_module, k: int, alpha: float, centre: str, form: str = "both",
                 clip: float | None = None) -> None:
        self.events, self.k, self.alpha, self.centre_rule = events_module, k, alpha, centre
        self.form, self.clip = form, clip
        self.raw_matrix, self.raw_pairs = events_module.score_matrix, events_module.score_pairs
        self.density: dict[str, float] = {}
        self.centre = 0.0

    def fit(self, records, rules) -> float:
        s = np.array(self.raw_matrix(records, rules=rules), dtype=np.float64)
        if self.clip is not None:
            s = np.maximum(s, self.clip)
        np.fill_diagonal(s, -np.inf)
        k = min(self.k, len(records) - 1)
        top = -np.sort(-s, axis=1)[:, :k] if k > 0 else np.zeros((len(records), 1))
        d = top.mean(axis=1)
        self.density = {r.article_id: float(v) for r, v in zip(records, d)}
        median = float(np.median(d))
        self.centre = median if self.centre_rule == "median" else float(self.centre_rule)
        return median

    def _penalty(self, left_ids, right_ids, outer: bool):
        a = np.array([self.density[i] for i in left_ids])
        b = np.array([self.density[i] for i in right_ids])
        mean = (a[:, None] + b[None, :]) / 2 if outer else (a + b) / 2
        excess = mean - self.centre
        if self.form == "penalty":
            excess = np.maximum(excess, 0.0)
        return (self.alpha * excess).astype(np.float32)

    def score_matrix(self, left, right=None, rules=None, **kw):
        out = self.raw_matrix(left, right, rules, **kw)
        if kw.get("similarity_only") or not self.alpha:
            return out
        pen = self._penalty([r.article_id for r in left], [r.article_id for r in (left if right is None else right)],
                            True)
        return (out[0] - pen, out[1]) if kw.get("both") else out - pen

    def score_pairs(self, records, first, second, rules=None, *, both=False):
        out = self.raw_pairs(records, first, second, rules, both=both)
        if not self.alpha or not len(first):
            return out
        ids = [r.article_id for r in records]
        pen = self._penalty([ids[i] for i in first], [ids[j] for j in second], False)
        return (out[0] - pen, out[1]) if both else out - pen

    def __enter__(self):
        self.events.score_matrix, self.events.score_pairs = self.score_matrix, self.score_pairs
        return self

    def __exit__(self, *exc) -> None:
        self.events.score_matrix, self.events.score_pairs = self.raw_matrix, self.raw_pairs


def main() -> int:
    import storydiff.stories.events as events
    from storydiff.stories.features import load_rules

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--k", default="5,10", help="comma-separated neighbourhood sizes")
    parser.add_argument("--alpha", default="0,0.6,0.8,1.0", help="comma-separated weights (0: the library's score)")
    parser.add_argument("--centre", default="median", help="'median' (of the set's densities) or a number")
    parser.add_argument("--neus-train-limit", type=int, default=600)
    parser.add_argument("--form", choices=("both", "penalty"), default="both",
                        help="'both': lower crowded pairs and lift lone ones; 'penalty': only lower")
    parser.add_argument("--clip", type=float, default=None, help="densities from scores raised to at least this")
    parser.add_argument("--mix", action="store_true", help="also cluster ECB+ and NeuS pooled into one corpus")
    args = parser.parse_args()

    articles, gold, topic_of = load_ecbplus(DEFAULT_ECB)
    ecb, _ = build_records(articles)
    sets = {"ECB+ train": [r for r in ecb if topic_of[r.article_id] not in ECB_DEV],
            "ECB+ dev": [r for r in ecb if topic_of[r.article_id] in ECB_DEV]}
    golds = {"ECB+ train": gold, "ECB+ dev": gold}
    for name, path, limit in (("NeuS train", NEUS_TRAIN, args.neus_train_limit), ("NeuS val", DEFAULT_NEUS, None)):
        arts, g = load_neus(path, limit)
        sets[name], golds[name] = build_records(arts)[0], g
    parts: dict[str, dict[str, str]] = {}
    if args.mix:
        for name, (long, short) in {"mix train": ("ECB+ train", "NeuS train"),
                                    "mix val": ("ECB+ dev", "NeuS val")}.items():
            sets[name] = sets[long] + sets[short]
            golds[name] = {**{a: ("ECB+", golds[long][a]) for a in (r.article_id for r in sets[long])},
                           **{a: ("NeuS", golds[short][a]) for a in (r.article_id for r in sets[short])}}
            parts[name] = {a: g[0] for a, g in golds[name].items()}
    topics = sorted(set(topic_of.values()))
    rules = load_rules()
    print("k | alpha | " + " | ".join(f"{n} F1 / ARI" for n in sets) + " | ECB+ topics alone F1 (macro) | medians | s")
    for k in (int(x) for x in args.k.split(",")):
        for alpha in (float(x) for x in args.alpha.split(",")):
            started = time.perf_counter()
            cells, medians = [], []
            with LocalScaling(events, k, alpha, args.centre, args.form, args.clip) as scaling:
                for name, records in sets.items():
                    medians.append(scaling.fit(records, rules))
                    pred = {a: ev.id for ev in events.cluster_events(records, rules=rules) for a in ev.article_ids}
                    s = scores(pred, golds[name])
                    cells.append(f"{s['bcubed_f1']:.3f} / {s['ari']:.3f}")
                    if name in parts:  # each benchmark's articles as clustered in the mixed corpus
                        for bench_name in ("ECB+", "NeuS"):
                            mine = {a: g for a, g in golds[name].items() if parts[name][a] == bench_name}
                            f1 = scores({a: pred[a] for a in mine}, mine)["bcubed_f1"]
                            cells[-1] += f" [{bench_name} {f1:.3f}]"
                alone = []
                for t in topics:
                    records = [r for r in ecb if topic_of[r.article_id] == t]
                    scaling.fit(records, rules)
                    pred = {a: ev.id for ev in events.cluster_events(records, rules=rules) for a in ev.article_ids}
                    alone.append(scores(pred, {r.article_id: gold[r.article_id] for r in records})["bcubed_f1"])
            print(f"{k} | {alpha:g} | " + " | ".join(cells) + f" | {sum(alone) / len(alone):.3f} | "
                  + " ".join(f"{m:.3f}" for m in medians) + f" | {time.perf_counter() - started:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
