"""Train the loaded-language model on BABE and write its weights into the package.

    python scripts/train_loaded_language.py [DATA] [--out src/storydiff/data/framing] [--lang en]

``DATA`` is BABE's SG2 file as JSON Lines (default ``../shared/benchmarks/babe/sg2.jsonl`` next to the repository):
one sentence per row with ``text``, ``label_bias`` (``Biased`` / ``Non-biased``; the one ``No agreement`` row is
skipped) and ``biased_words`` (a Python-literal list of the words annotators marked). The row's outlet and
leaning fields are never read: the model must not learn which outlet wrote a sentence.

Writes ``loaded_<lang>.npz`` (numpy arrays only; strings packed as UTF-8 bytes, no pickles) and
``loaded_<lang>.json`` (settings, thresholds, the training data's sha256 and size). Deterministic: fixed seeds,
fixed fold assignment, lbfgs solvers; running it twice gives byte-identical weights. Needs scikit-learn (training
only; the runtime reads the weights with numpy): ``pip install scikit-learn``.

What the model is: see :mod:`storydiff.framing.loaded`. Training features for the final classifier are computed
out-of-fold (the lexicon and the n-gram model that score a training sentence never saw it), so the classifier learns
how much to trust them on unseen text rather than on memorised sentences.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from storydiff.framing.loaded import (  # noqa: E402
    N_LEX_FEATURES, LoadedLanguageModel, _unit, lexicon_features, load_vectors, pack_strings, words)

DEFAULT_DATA = ROOT.parent / "shared" / "benchmarks" / "babe" / "sg2.jsonl"
SEED = 0
#: Smoothing of the word lexicon towards the word-vector prediction (in pseudo-sentences).
ALPHA = 2.0
#: Inverse regularisation strengths, chosen by 5-fold CV on the visible data (bench/FRAMING.md).
C_FINAL, C_NGRAM, C_WORDVEC = 0.01, 10.0, 1.0
INNER_FOLDS = 5


def read_babe(path: Path) -> list[dict]:
    """Rows with a Biased / Non-biased label: ``{"text", "label" (1 = biased), "biased": set of lower-case words}``."""
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if r.get("label_bias") not in ("Biased", "Non-biased"):
                continue
            marked = ast.literal_eval(r.get("biased_words") or "[]")
            rows.append({"text": r["text"], "label": int(r["label_bias"] == "Biased"),
                         "biased": {w.lower().replace("’", "'") for w in marked}})
    return rows


def _folds(labels: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    from sklearn.model_selection import StratifiedKFold

    return [te for _, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(labels, labels)]


class _Lexicon:
    """Counts and the word-vector model learned from a set of training rows."""

    def __init__(self, rows: list[dict], tokens: list[list[str]]) -> None:
        from sklearn.linear_model import LogisticRegression

        self.b, self.n = Counter(), Counter()
        for r, toks in zip(rows, tokens):
            for w in set(toks):
                self.n[w] += 1
                if w in r["biased"]:
                    self.b[w] += 1
        vocab = sorted(self.n)
        vec = _unit(load_vectors().mean_vectors([" " + w for w in vocab]))
        pos = np.array([self.b[w] for w in vocab], dtype=float)
        neg = np.array([self.n[w] - self.b[w] for w in vocab], dtype=float)
        x = np.vstack([vec, vec])
        y = np.r_[np.ones(len(vocab)), np.zeros(len(vocab))]
        weight = np.r_[pos, neg]
        keep = weight > 0
        clf = LogisticRegression(C=C_WORDVEC, max_iter=5000).fit(x[keep], y[keep], sample_weight=weight[keep])
        self.vocab = vocab
        self.wv_coef, self.wv_intercept = clf.coef_[0].astype(np.float32), float(clf.intercept_[0])

    def scores(self, tokens: list[str]) -> np.ndarray:
        uniq = sorted(set(tokens))
        if not uniq:
            return np.zeros(0)
        vec = _unit(load_vectors().mean_vectors([" " + w for w in uniq]))
        p = 1.0 / (1.0 + np.exp(-(vec @ self.wv_coef + self.wv_intercept)))
        table = {w: (self.b[w] + ALPHA * float(pw)) / (self.n[w] + ALPHA) for w, pw in zip(uniq, p)}
        return np.array([table[w] for w in tokens])

    def features(self, tokens: list[list[str]]) -> np.ndarray:
        flat = [w for t in tokens for w in t]
        s = self.scores(flat)
        out, k = [], 0
        for t in tokens:
            out.append(lexicon_features(list(s[k:k + len(t)]), len(t)))
            k += len(t)
        return np.array(out, dtype=np.float32).reshape(len(tokens), N_LEX_FEATURES)


def _ngram_model(texts: list[str], labels: np.ndarray):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts)
    clf = LogisticRegression(C=C_NGRAM, max_iter=5000).fit(tf.transform(texts), labels)
    return tf, clf


def fit(rows: list[dict], seed: int = SEED) -> tuple[dict[str, np.ndarray], dict]:
    """Weights and settings of a model trained on ``rows`` (from :func:`read_babe`)."""
    from sklearn.linear_model import LogisticRegression

    texts = [r["text"] for r in rows]
    labels = np.array([r["label"] for r in rows])
    tokens = [[w for _, _, w in words(t)] for t in texts]
    emb = _unit(load_vectors().mean_vectors(texts))

    # out-of-fold lexicon and n-gram features for the training rows
    lex_oof = np.zeros((len(rows), N_LEX_FEATURES), dtype=np.float32)
    ng_oof = np.zeros((len(rows), 1), dtype=np.float32)
    word_oof: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for held in _folds(labels, INNER_FOLDS, seed + 1):
        train = np.setdiff1d(np.arange(len(rows)), held)
        lexicon = _Lexicon([rows[i] for i in train], [tokens[i] for i in train])
        lex_oof[held] = lexicon.features([tokens[i] for i in held])
        flat = lexicon.scores([w for i in held for w in tokens[i]])
        k = 0
        for i in held:
            word_oof[i] = flat[k:k + len(tokens[i])]
            k += len(tokens[i])
        tf, clf = _ngram_model([texts[i] for i in train], labels[train])
        ng_oof[held, 0] = clf.decision_function(tf.transform([texts[i] for i in held]))

    x = np.hstack([emb, lex_oof, ng_oof])
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    final = LogisticRegression(C=C_FINAL, max_iter=10000).fit((x - mu) / sd, labels)

    # the word threshold with the best word-level F1 on the out-of-fold scores
    best = (0.0, 0.3)
    for th in np.arange(0.10, 0.61, 0.02):
        tp = fp = fn = 0
        for r, toks, s in zip(rows, tokens, word_oof):
            predicted = {w for w, v in zip(toks, s) if v >= th}
            tp += len(predicted & r["biased"])
            fp += len(predicted - r["biased"])
            fn += len(r["biased"] - predicted)
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        if f1 > best[0] + 1e-9:
            best = (f1, round(float(th), 2))

    lexicon = _Lexicon(rows, tokens)
    tf, clf = _ngram_model(texts, labels)
    terms = tf.get_feature_names_out().tolist()
    weights = {
        "lex_words": pack_strings(lexicon.vocab),
        "lex_biased": np.array([lexicon.b[w] for w in lexicon.vocab], dtype=np.int32),
        "lex_seen": np.array([lexicon.n[w] for w in lexicon.vocab], dtype=np.int32),
        "wv_coef": lexicon.wv_coef.astype(np.float32),
        "wv_intercept": np.array(lexicon.wv_intercept, dtype=np.float64),
        "ng_terms": pack_strings(terms),
        "ng_idf": tf.idf_.astype(np.float32),
        "ng_coef": clf.coef_[0].astype(np.float32),
        "ng_intercept": np.array(clf.intercept_[0], dtype=np.float64),
        "mu": mu.astype(np.float32),
        "sd": sd.astype(np.float32),
        "coef": final.coef_[0].astype(np.float32),
        "intercept": np.array(final.intercept_[0], dtype=np.float64),
    }
    meta = {"alpha": ALPHA, "threshold": 0.5, "word_threshold": best[1], "word_f1_oof": round(best[0], 4),
            "embedding": load_vectors().name, "features": ["embedding:256", "lexicon:5", "ngram-margin:1"],
            "C": {"final": C_FINAL, "ngram": C_NGRAM, "wordvec": C_WORDVEC}, "seed": seed,
            "training_rows": len(rows)}
    return weights, meta


def build(weights: dict[str, np.ndarray], meta: dict) -> LoadedLanguageModel:
    """A model object straight from :func:`fit`'s output (no files)."""
    return LoadedLanguageModel(weights, meta, load_vectors())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "src" / "storydiff" / "data" / "framing")
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    rows = read_babe(args.data)
    weights, meta = fit(rows)
    digest = hashlib.sha256(args.data.read_bytes()).hexdigest()
    meta.update({"name": f"babe-{meta['embedding']}-lr-{digest[:8]}", "training_data": args.data.name,
                 "training_sha256": digest, "script": "scripts/train_loaded_language.py"})
    args.out.mkdir(parents=True, exist_ok=True)
    npz = args.out / f"loaded_{args.lang}.npz"
    # savez_compressed writes zip timestamps of 1980 (fixed), so identical arrays give identical bytes
    np.savez_compressed(npz, **weights)
    (args.out / f"loaded_{args.lang}.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{len(rows)} sentences; word threshold {meta['word_threshold']} (OOF word F1 {meta['word_f1_oof']}); "
          f"wrote {npz} ({npz.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
