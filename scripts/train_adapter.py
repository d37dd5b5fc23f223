"""Train the linear adapter of the ``wordllama`` article vectors on the visible training parts of the benchmarks.

    python scripts/train_adapter.py [--lam 0.03,0.1,0.3] [--tau 0.05] [--steps 300] [--out PATH] [--threads 1]

What it learns: a 256 x 256 matrix ``W``; an article's vector becomes ``normalise(v @ W)``, where ``v`` is the
WordLlama vector of its title and lead (``storydiff.stories.embed``). Trained so that reports of one happening are
each other's nearest neighbours among reports of other happenings of the same subject: a supervised contrastive
loss (every other report of the same event is a positive, every other article of the batch a negative, temperature
``tau``) plus ``lam x ||W - I||^2``, which keeps the map near the identity -- the pretrained vectors' general sense
of words -- so that it does not learn the training stories by heart. Batches are whole events drawn at random.
Numpy only (the gradient is written out below); Adam, a fixed seed.

Data: the **training** parts only. NeuS train (``../shared/benchmarks/neus_allsides/train.jsonl``: 2,452 triplets,
three outlets' short reports of one event) and the ECB+ training topics (every visible topic but the dev topics of
``bench/stories_tune.py``; each topic holds two happenings of one kind). NeuS val, the ECB+ dev topics and BASIL
are never read here: they are what the benchmark reports on (``python bench/stories_events.py``).

How ``lam`` is chosen: each value is trained on NeuS train less its last 452 triplets plus the ECB+ training topics
less the last five, and scored on what was left out (the share of articles whose nearest neighbour is in their own
event, averaged over the two sets); the best value is trained again on all of the training data and written, with
the settings and the held-out figures, to ``--out`` (default: the file the ``wordllama`` embedder loads).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
DEFAULT_OUT = ROOT / "src" / "storydiff" / "data" / "stories" / "wordllama_adapter.npz"


def _normalise(z):
    import numpy as np

    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)


def nearest_in_event(x, labels, w=None) -> float:
    """The share of articles whose nearest other article (cosine) is in the same event."""
    import numpy as np

    z = _normalise(x @ w if w is not None else x)
    s = z @ z.T
    np.fill_diagonal(s, -np.inf)
    return float((labels[s.argmax(axis=1)] == labels).mean())


def train(sets, *, lam: float, tau: float, steps: int, lr: float = 3e-3, batch: int = 2400, seed: int = 0,
          log=print):
    """``W`` for ``sets`` (a list of ``(vectors, event labels)``): see the module docstring."""
    import numpy as np

    dim = sets[0][0].shape[1]
    eye = np.eye(dim, dtype=np.float32)
    w = eye.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    rng = np.random.default_rng(seed)
    events = []
    for _, labels in sets:
        members: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            members.setdefault(label, []).append(i)
        events.append([np.array(ids) for _, ids in sorted(members.items())])
    for step in range(1, steps + 1):
        grad = 2 * lam * (w - eye)
        loss = lam * float(((w - eye) ** 2).sum())
        for (vectors, labels), groups in zip(sets, events):
            take = max(1, int(len(groups) * min(1.0, batch / len(vectors))))
            idx = np.concatenate([groups[k] for k in sorted(rng.choice(len(groups), take, replace=False))])
            x, y = vectors[idx], labels[idx]
            raw = x @ w
            norms = np.linalg.norm(raw, axis=1, keepdims=True)
            z = raw / norms
            logits = z @ z.T / tau
            np.fill_diagonal(logits, -1e9)
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            positive = (y[:, None] == y[None, :]).astype(np.float32)
            np.fill_diagonal(positive, 0.0)
            count = positive.sum(axis=1, keepdims=True)
            anchors = count[:, 0] > 0
            target = np.where(count > 0, positive / np.maximum(count, 1.0), 0.0)
            n = max(1, int(anchors.sum()))
            loss += float(-(target * np.log(p + 1e-12)).sum() / n)
            g = (p - target) * anchors[:, None] / n / tau          # d loss / d (z z^T)
            dz = (g + g.T) @ z
            draw = (dz - z * (dz * z).sum(axis=1, keepdims=True)) / norms
            grad += x.T @ draw
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        w -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
        if step % 100 == 0:
            log(f"    step {step}: loss {loss:.4f}")
    return w.astype(np.float32)


def _embedded(articles, gold):
    import numpy as np

    from storydiff.stories.embed import WordLlamaEmbedder, embed_articles

    vectors = embed_articles(articles, WordLlamaEmbedder(adapter=None))
    return vectors.astype(np.float32), np.array([str(gold[a.id]) for a in articles])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lam", default="0.03,0.1,0.3", help="comma-separated values of the pull to the identity")
    parser.add_argument("--tau", type=float, default=0.05, help="temperature of the contrastive loss")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (1: the same result on any machine)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np

    from stories_data import DEFAULT_ECB, load_ecbplus, load_neus
    from stories_tune import ECB_DEV, NEUS_TRAIN

    started = time.perf_counter()
    neus_articles, neus_gold = load_neus(NEUS_TRAIN)
    ecb_articles, ecb_gold, topic_of = load_ecbplus(DEFAULT_ECB)
    ecb_articles = [a for a in ecb_articles if topic_of[a.id] not in ECB_DEV]
    neus = _embedded(neus_articles, neus_gold)
    ecb = _embedded(ecb_articles, ecb_gold)
    train_topics = sorted({topic_of[a.id] for a in ecb_articles})
    held_topics = set(train_topics[-5:])
    triplets = sorted(set(neus[1]), key=lambda t: int(t.rsplit("-", 1)[-1]))
    held_triplets = set(triplets[-452:])
    neus_held = np.array([t in held_triplets for t in neus[1]])
    ecb_held = np.array([topic_of[a.id] in held_topics for a in ecb_articles])
    fit = [(neus[0][~neus_held], neus[1][~neus_held]), (ecb[0][~ecb_held], ecb[1][~ecb_held])]
    held = [(neus[0][neus_held], neus[1][neus_held]), (ecb[0][ecb_held], ecb[1][ecb_held])]
    print(f"NeuS train {len(neus[1])} articles ({len(triplets)} triplets), ECB+ train topics {len(ecb[1])} documents "
          f"({len(train_topics)} topics); held out for choosing lam: {int(neus_held.sum())} + {int(ecb_held.sum())}")
    base = [nearest_in_event(x, y) for x, y in held]
    print(f"  identity: held-out nearest in event NeuS {base[0]:.3f}, ECB+ {base[1]:.3f}")
    trials = {}
    for lam in (float(x) for x in args.lam.split(",")):
        w = train(fit, lam=lam, tau=args.tau, steps=args.steps)
        got = [nearest_in_event(x, y, w) for x, y in held]
        trials[lam] = got
        print(f"  lam {lam:g}: held-out nearest in event NeuS {got[0]:.3f}, ECB+ {got[1]:.3f}", flush=True)
    best = max(trials, key=lambda lam: (sum(trials[lam]), -lam))
    print(f"chosen lam {best:g}; training on all of the training data ...")
    w = train([neus, ecb], lam=best, tau=args.tau, steps=args.steps)
    meta = {"lam": best, "tau": args.tau, "steps": args.steps, "lr": 3e-3, "batch": 2400, "seed": 0,
            "trained_on": ["neus_allsides/train.jsonl (all 2,452 triplets)",
                           f"ecbplus/docs.jsonl topics {','.join(map(str, train_topics))}"],
            "held_out_nearest_in_event": {str(k): {"neus": v[0], "ecb": v[1]} for k, v in trials.items()},
            "identity_nearest_in_event": {"neus": base[0], "ecb": base[1]},
            "script": "scripts/train_adapter.py"}
    weights = w.astype(np.float16)
    meta["sha256"] = hashlib.sha256(weights.tobytes()).hexdigest()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, weights=weights, meta=np.array(json.dumps(meta, sort_keys=True)))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes, sha256 {meta['sha256'][:12]}) in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
