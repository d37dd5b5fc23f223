"""The loaded-language model: sentence -> probability that it is written in loaded (biased) language, word -> how
loaded the word is. Trained by ``scripts/train_loaded_language.py`` on BABE (expert sentence labels with the biased
words marked); this module only loads the small weights shipped in ``storydiff/data/framing/`` and applies them,
with numpy. Nothing is trained or downloaded at run time.

The sentence model is a logistic regression over three groups of features, all learned from the training data:

* the sentence's WordLlama embedding (``l2_supercat``, 256-d: the average of static token vectors, from the
  ``wordllama`` wheel), L2-normalised;
* five features of a **learned word lexicon**: for each word, how often annotators marked it biased (``b``) out of
  the sentences it occurs in (``n``), smoothed towards a score predicted from the word's own WordLlama vector, so
  that a word never seen in training still gets a score from the words it resembles:
  ``score(w) = (b + alpha * p_vec(w)) / (n + alpha)``. The features are the top score, the sum of the top three,
  the number of words over 0.3 and over 0.15, and the length in words / 30;
* the margin of a TF-IDF uni/bigram logistic regression (sublinear tf, l2-normalised, sklearn's defaults).

Why WordLlama here: measured on BABE by 5-fold cross-validation (bench/FRAMING.md), frozen MiniLM (384-d, numpy)
and WordLlama embeddings give the same macro-F1 with a linear head (0.731 vs 0.730), and MiniLM costs ~100 ms per
sentence here against ~0.01 ms; the lexical features are what add the most. A *fine-tuned* MiniLM does add
(:mod:`storydiff.framing.loaded_minilm`, opt-in with ``load_model(lang, "minilm")``): averaged with this model it
reaches the published fine-tuned-BERT level on BABE, at ~100 ms per sentence.

:func:`load_model` raises :class:`~storydiff.errors.MissingDependency` when wordllama is not installed.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, OrderedDict
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import MissingDependency

#: Word tokens the lexicon is keyed by (lower-cased): letters, then letters, digits, apostrophes and hyphens.
WORD_RE = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
#: sklearn's default token pattern, for the TF-IDF n-grams.
NGRAM_TOKEN_RE = re.compile(r"(?u)\b\w\w+\b")
#: Lexicon score thresholds of two of the sentence features.
LEX_HIGH, LEX_LOW = 0.3, 0.15
N_LEX_FEATURES = 5


def words(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, lower-cased word)`` for each word of ``text``."""
    return [(m.start(), m.end(), m.group(0).lower().replace("’", "'")) for m in WORD_RE.finditer(text)]


def ngram_terms(text: str) -> list[str]:
    tokens = NGRAM_TOKEN_RE.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def lexicon_features(scores: list[float], n_words: int) -> list[float]:
    """The five lexicon features of one sentence from the scores of its words."""
    top = sorted(scores, reverse=True) + [0.0, 0.0, 0.0]
    return [top[0], top[0] + top[1] + top[2], float(sum(s > LEX_HIGH for s in scores)),
            float(sum(s > LEX_LOW for s in scores)), n_words / 30.0]


class WordVectors:
    """WordLlama ``l2_supercat`` 256-d static token vectors from the ``wordllama`` wheel (never downloads)."""

    def __init__(self, dim: int = 256) -> None:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError:
            raise MissingDependency("the loaded-language model needs: pip install 'wordllama>=0.4,<0.5'") from None
        # the wheel ships its weights and tokenizer; plain WordLlama.load() looks under tokenizer/ and then tries
        # to download, so point it at the package folder and forbid downloads
        model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=dim)
        self.table = model.embedding
        # a private copy of the tokenizer without padding: sentences are pooled here, one gather for all of them
        self.tokenizer = type(model.tokenizer).from_str(model.tokenizer.to_str())
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.dim = dim
        self.name = f"wordllama-l2_supercat-{dim}"

    def mean_vectors(self, texts: list[str]) -> np.ndarray:
        """Average token vector of each text (WordLlama's own pooling), not normalised."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # encode_batch_fast (tokenizers >= 0.21) skips the offsets we do not need: half the time
        encode = getattr(self.tokenizer, "encode_batch_fast", self.tokenizer.encode_batch)
        ids = [enc.ids for enc in encode(list(texts), add_special_tokens=False)]
        lengths = np.array([len(x) for x in ids])
        filled = np.flatnonzero(lengths)
        if len(filled):
            flat = np.clip(np.concatenate([ids[i] for i in filled]), 0, len(self.table) - 1)
            starts = np.r_[0, np.cumsum(lengths[filled])[:-1]]
            out[filled] = np.add.reduceat(self.table[flat], starts, axis=0) / lengths[filled, None]
        return out


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class LoadedLanguageModel:
    """The trained weights and the functions that apply them. Build with :func:`load_model` (or from the arrays the
    training script produces, which is how cross-validation scores a fold)."""

    def __init__(self, weights: dict[str, np.ndarray], meta: dict, vectors: WordVectors) -> None:
        self.meta = meta
        self.vectors = vectors
        self.name = meta.get("name", "loaded-language")
        self.threshold = float(meta.get("threshold", 0.5))
        self.word_threshold = float(meta.get("word_threshold", 0.3))
        self.alpha = float(meta["alpha"])
        w = weights
        self._lex = {word: (int(b), int(n)) for word, b, n in zip(_split(w["lex_words"]), w["lex_biased"],
                                                                  w["lex_seen"])}
        self._wv_coef, self._wv_b = w["wv_coef"].astype(np.float32), float(w["wv_intercept"])
        self._ng = {t: (float(i), float(i) * float(c))
                    for t, i, c in zip(_split(w["ng_terms"]), w["ng_idf"].tolist(), w["ng_coef"].tolist())}
        self._ng_b = float(w["ng_intercept"])
        self._mu, self._sd = w["mu"].astype(np.float32), w["sd"].astype(np.float32)
        self._coef, self._b = w["coef"].astype(np.float32), float(w["intercept"])
        self._cache: OrderedDict[str, float] = OrderedDict()

    # --- words --------------------------------------------------------------------------------------------------

    def word_scores(self, tokens: list[str]) -> np.ndarray:
        """The lexicon score (0..1) of each lower-cased word: how likely annotators mark it as biased."""
        missing = sorted({t for t in tokens if t not in self._cache})
        if missing:
            vec = _unit(self.vectors.mean_vectors([" " + t for t in missing]))
            p_vec = _sigmoid(vec @ self._wv_coef + self._wv_b)
            for t, p in zip(missing, p_vec):
                b, n = self._lex.get(t, (0, 0))
                self._cache[t] = (b + self.alpha * float(p)) / (n + self.alpha)
            while len(self._cache) > 200_000:
                self._cache.popitem(last=False)
        return np.array([self._cache[t] for t in tokens], dtype=np.float32)

    # --- sentences ----------------------------------------------------------------------------------------------

    def _ngram_margin(self, text: str) -> float:
        """The TF-IDF model's margin: sublinear tf times idf, l2-normalised over known terms, dot the weights."""
        counts = Counter(t for t in ngram_terms(text) if t in self._ng)
        if not counts:
            return self._ng_b
        norm2 = dot = 0.0
        for term, c in counts.items():
            idf, weighted = self._ng[term]
            tf = 1.0 + math.log(c)
            norm2 += (tf * idf) ** 2
            dot += tf * weighted
        return self._ng_b + dot / math.sqrt(norm2)

    def features(self, texts: list[str], word_lists: list[list[str]] | None = None) -> np.ndarray:
        """The feature matrix of ``texts`` (``word_lists``: their lower-cased words, when already split)."""
        if word_lists is None:
            word_lists = [[w for _, _, w in words(t)] for t in texts]
        emb = _unit(self.vectors.mean_vectors(texts))
        flat = [w for ws in word_lists for w in ws]
        scores = self.word_scores(flat).tolist() if flat else []
        lex, k = [], 0
        for ws in word_lists:
            lex.append(lexicon_features(scores[k:k + len(ws)], len(ws)))
            k += len(ws)
        ng = [[self._ngram_margin(t)] for t in texts]
        return np.hstack([emb, np.array(lex, dtype=np.float32).reshape(len(texts), N_LEX_FEATURES),
                          np.array(ng, dtype=np.float32).reshape(len(texts), 1)])

    def score_sentences(self, texts: list[str], word_lists: list[list[str]] | None = None) -> np.ndarray:
        """P(loaded) of each sentence, in order."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        x = (self.features(texts, word_lists) - self._mu) / self._sd
        return _sigmoid(x @ self._coef + self._b).astype(np.float32)


def _split(packed: np.ndarray) -> list[str]:
    """Strings stored as one newline-joined UTF-8 byte array (keeps the weights file small and pickle-free)."""
    text = bytes(packed.astype(np.uint8)).decode("utf-8")
    return text.split("\n") if text else []


def pack_strings(items: list[str]) -> np.ndarray:
    """The inverse of :func:`_split`, used by the training script."""
    return np.frombuffer("\n".join(items).encode("utf-8"), dtype=np.uint8).copy()


def weights_folder():
    return resources.files("storydiff") / "data" / "framing"


@lru_cache(maxsize=None)
def load_vectors() -> WordVectors:
    return WordVectors()


#: Environment variable that picks the model :func:`load_model` gives when no ``kind`` is passed.
MODEL_ENV = "STORYDIFF_LOADED_MODEL"
#: ``wordllama``: this module's model (the default); ``minilm``: it averaged with the fine-tuned MiniLM
#: (:mod:`storydiff.framing.loaded_minilm`, optional wheel, ~100x slower per article, +0.034 BABE macro-F1: bench/FRAMING.md).
MODEL_KINDS = ("wordllama", "minilm")


def load_model(lang: str = "en", kind: str | None = None):
    """The packaged loaded-language model for ``lang`` (loaded once per process), or ``None`` when none is shipped
    for that language (no language's model is applied to another's text).

    ``kind`` is one of :data:`MODEL_KINDS`; by default the environment variable ``STORYDIFF_LOADED_MODEL``, else
    ``wordllama``. ``minilm`` gives a :class:`~storydiff.framing.loaded_minilm.MiniLMLoadedModel` where MiniLM
    weights are shipped for ``lang`` (else the ``wordllama`` model) and raises
    :class:`~storydiff.errors.MissingDependency` when the MiniLM wheel is not installed. Raises ``ValueError`` for an
    unknown kind."""
    import os

    kind = kind or os.environ.get(MODEL_ENV) or "wordllama"
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown loaded-language model {kind!r} (from {MODEL_ENV} or kind=); known: "
                         f"{', '.join(MODEL_KINDS)}")
    return _load_model(lang, kind)


@lru_cache(maxsize=None)
def _load_model(lang: str, kind: str):
    base = _load_wordllama_model(lang)
    if kind == "wordllama" or base is None:
        return base
    from .loaded_minilm import MiniLMLoadedModel, load_scorer

    scorer = load_scorer(weights_folder(), lang)
    return base if scorer is None else MiniLMLoadedModel(base, scorer)


@lru_cache(maxsize=None)
def _load_wordllama_model(lang: str) -> LoadedLanguageModel | None:
    folder = weights_folder()
    npz, meta = folder / f"loaded_{lang}.npz", folder / f"loaded_{lang}.json"
    if not npz.is_file() or not meta.is_file():
        return None
    with npz.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
        weights = {k: data[k] for k in data.files}
    return LoadedLanguageModel(weights, json.loads(meta.read_text("utf-8")), load_vectors())


__all__ = ["LoadedLanguageModel", "WordVectors", "load_model", "load_vectors", "MODEL_ENV", "MODEL_KINDS", "words",
           "ngram_terms", "lexicon_features", "pack_strings", "WORD_RE"]
