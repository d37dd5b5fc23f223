"""Where the parse time goes: CPU seconds per spaCy component, stock pipeline vs storydiff's ``load_nlp()``.

    python bench/parse_components.py [DATA] [--limit 80] [--rounds 2]

Runs every component of the pipeline in turn over the same --limit articles (default: the first 80 AllSides
articles), in one process, and prints the CPU seconds (``time.process_time``, so other programs on the machine do not
count) each component took, for spaCy's stock ``en_core_web_sm``, for it with the attribute ruler applied
column-wise (``ruler``), with the layers' matrix products done by numpy's OpenBLAS instead of blis as well
(``numpy``), with the entity recogniser's decoding done for a whole batch with numpy as well (``batched_ner``), and
for the pipeline the analysis stage uses (``storydiff.analysis.load_nlp``: all that, and the lemmatizer caching every
lemma; ``storydiff.analysis.pipeline``). The rounds alternate; the first round of each pays for filling the lemmatizer's cache, later rounds show the steady state that a
long-running worker sees. BLAS runs on one thread, as in the analysis stage. It also checks every pipeline gives the
same annotations as the stock one, article by article.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def components(nlp, texts: list[str]) -> tuple[dict[str, float], list]:
    docs = [nlp.make_doc(t) for t in texts]
    out = {}
    for name, proc in nlp.pipeline:
        started = time.process_time()
        docs = list(proc.pipe(docs, batch_size=32)) if hasattr(proc, "pipe") else [proc(d) for d in docs]
        out[name] = round(time.process_time() - started, 2)
    return out, docs


def main() -> int:
    from analysis_speed import DEFAULT_DATA, load_articles

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=80)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import numpy as np
    import spacy
    from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, POS, TAG

    from storydiff.analysis import MODEL, load_nlp
    from storydiff.analysis.pipeline import (single_threaded_blas, use_array_attribute_ruler, use_batched_ner,
                                             use_numpy_matmul)

    texts = [a.text for a in load_articles(args.data, args.limit)]
    ruler, numpy_ops, batched = spacy.load(MODEL), spacy.load(MODEL), spacy.load(MODEL)
    for nlp in (ruler, numpy_ops, batched):
        use_array_attribute_ruler(nlp)
    for nlp in (numpy_ops, batched):
        use_numpy_matmul(nlp)
    use_batched_ner(batched)
    pipelines = {"stock": spacy.load(MODEL), "ruler": ruler, "numpy": numpy_ops, "batched_ner": batched,
                 "storydiff": load_nlp()}
    rows = []
    last = {}
    for round_no in range(1, args.rounds + 1):
        for label, nlp in pipelines.items():
            with single_threaded_blas():
                times, docs = components(nlp, texts)
            last[label] = docs
            rows.append({"round": round_no, "pipeline": label, "total_cpu_s": round(sum(times.values()), 2), **times})
            print(json.dumps(rows[-1]), flush=True)
    attrs = [TAG, POS, MORPH, LEMMA, DEP, HEAD, ENT_IOB, ENT_TYPE]
    differ = {label: sum(not np.array_equal(a.to_array(attrs), b.to_array(attrs))
                         for a, b in zip(last["stock"], docs)) for label, docs in last.items() if label != "stock"}
    tokens = sum(len(d) for d in last["stock"])
    print(json.dumps({"articles": len(texts), "tokens": tokens, "articles_annotated_differently": differ}))
    return 0 if not any(differ.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
