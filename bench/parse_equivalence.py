"""The analysis records of spaCy's pipeline against those of storydiff's faster one, on the same articles.

    python bench/parse_equivalence.py [DATA] [--start 20000] [--limit 300]

Analyses articles [--start, --start + --limit) of DATA (default: ../shared/benchmarks/allsides_baly2020, counted from
0) twice in one process, through ``storydiff.analysis.analyze_articles``: with spaCy's ``en_core_web_sm`` as shipped
but for the column-wise attribute ruler (``reference``: blis products, spaCy's lemmatizer and entity recogniser),
and with the pipeline of ``storydiff.analysis.load_nlp`` (numpy products, the cached lemmatizer, the batched entity
recogniser). Prints the CPU seconds of
each and how many articles got a different record (entities, quotes, facts, terms, sentences); exits 1 if any did.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> int:
    from analysis_speed import DEFAULT_DATA, load_articles

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    parser.add_argument("--start", type=int, default=20000)
    parser.add_argument("--limit", type=int, default=300)
    args = parser.parse_args()

    import spacy

    from storydiff.analysis import MODEL, analyze_articles, load_nlp
    from storydiff.analysis.pipeline import use_array_attribute_ruler

    articles = load_articles(args.data, args.limit, args.start)
    reference = spacy.load(MODEL)
    use_array_attribute_ruler(reference)
    runs = {}
    for label, nlp in (("reference", reference), ("storydiff", load_nlp())):
        started = time.process_time()
        runs[label] = list(analyze_articles(articles, nlp))
        runs[label + "_cpu_s"] = round(time.process_time() - started, 1)
    differ = [a.article_id for a, b in zip(runs["reference"], runs["storydiff"]) if a != b]
    print(json.dumps({"articles": len(articles), "start": args.start, "reference_cpu_s": runs["reference_cpu_s"],
                      "storydiff_cpu_s": runs["storydiff_cpu_s"], "records_differ": len(differ),
                      "first_differing": differ[:5]}))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
