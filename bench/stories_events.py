"""Event grouping on real labelled data: ECB+ sub-topics, NeuS/AllSides triplets and BASIL triplets.

Usage::

    python bench/stories_events.py [--ecb PATH] [--neus PATH] [--embedder wordllama|minilm|minilm-static] [--lead N|full]
                                   [--topics 1,3,...] [--neus-limit N] [--json OUT] [--set KEY=VALUE ...]
                                   [--features analysis|names] [--basil PATH|none] [--errors]

What is scored
--------------
* **ECB+** (``--ecb``, default ``../shared/benchmarks/ecbplus/docs.jsonl``: the train and dev topics; topics 36-45
  are held out and never read). Gold events are the ``subtopic`` field: each topic holds two different real
  happenings of the same kind (two celebrities entering rehab, two earthquakes), which is exactly what the stories
  stage must not merge. All visible documents are clustered together (pooled) and scored; then each topic is
  scored on the same pooled clustering restricted to its documents (per topic, macro-averaged). The URL line that
  opens ECB+'s newer documents is metadata, not text, and is removed (it would tell the sub-topics apart by format).
* **NeuS/AllSides** (``--neus``, default ``../shared/benchmarks/neus_allsides/val.jsonl``): every article of every
  triplet pooled; each triplet is one event. These articles carry no date and no outlet.
* **BASIL** (``--basil``, default ``../shared/benchmarks/basil/articles.jsonl``: the visible 2010-2016 part; the
  later years are held out and never read): 70 events, each reported by three outlets (New York Times, Fox News,
  HuffPost), all pooled. Not tuned on: a check on full articles with their outlet and publication date (so the
  candidate window and the date terms take part, as in a user's store).
* **Metrics**: B-cubed precision, recall and F1 (per article: the share of its predicted cluster that is in its gold
  cluster, and of its gold cluster that is in its predicted cluster, averaged) and the adjusted Rand index.
* **Pipeline**: the real one -- spaCy analysis (cached, see ``bench/stories_data.py``), :func:`story_features`
  with corpus keys from :func:`storydiff.analysis.corpus_key`, the embedder's title+lead vector and the article's
  distinctive words, then :func:`storydiff.stories.events.cluster_events` (usearch candidates, scored pairs,
  average linkage per part).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stories_data import (DEFAULT_BASIL, DEFAULT_CACHE, DEFAULT_ECB, DEFAULT_NEUS, analyses_for,  # noqa: E402
                          load_basil, load_ecbplus, load_neus)

#: The CI-sized subset the quality gate scores (python bench/gate.py stories): ECB+ topics (train and dev) and
#: the first NeuS validation triplets.
GATE_TOPICS = {1, 3, 4, 7, 8, 12, 19, 20, 23, 24, 25, 27, 30, 33, 35}
GATE_NEUS = 120


def bcubed(pred: dict[str, object], gold: dict[str, object]) -> tuple[float, float, float]:
    """B-cubed precision, recall, F1 of a clustering ``pred`` against ``gold`` (both: item -> cluster label)."""
    by_pred, by_gold = defaultdict(set), defaultdict(set)
    for item in pred:
        by_pred[pred[item]].add(item)
        by_gold[gold[item]].add(item)
    p = r = 0.0
    for item in pred:
        overlap = len(by_pred[pred[item]] & by_gold[gold[item]])
        p += overlap / len(by_pred[pred[item]])
        r += overlap / len(by_gold[gold[item]])
    p, r = p / len(pred), r / len(pred)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def adjusted_rand(pred: dict, gold: dict) -> float:
    """Adjusted Rand index (Hubert and Arabie 1985), as sklearn.metrics.adjusted_rand_score computes it."""
    from collections import Counter
    from math import comb

    items = list(pred)
    pairs = lambda counts: sum(comb(n, 2) for n in counts)  # noqa: E731
    index = pairs(Counter((pred[i], gold[i]) for i in items).values())
    a = pairs(Counter(pred[i] for i in items).values())
    b = pairs(Counter(gold[i] for i in items).values())
    expected = a * b / comb(len(items), 2) if len(items) > 1 else 0.0
    maximum = (a + b) / 2
    return 1.0 if maximum == expected else (index - expected) / (maximum - expected)


def scores(pred: dict, gold: dict) -> dict[str, float]:
    p, r, f = bcubed(pred, gold)
    return {"bcubed_p": p, "bcubed_r": r, "bcubed_f1": f, "ari": adjusted_rand(pred, gold)}


#: Where the articles' StoryFeatures come from: ``analysis`` (the spaCy analysis stage, as the tool does) or
#: ``names`` (no spaCy: :func:`storydiff.stories.features.name_features` -- capitalised word runs as names, no
#: facts, no dates), to measure what the analysis adds to the grouping (``--features``).
FEATURES = {"source": "analysis"}


def build_records(articles, embedder: str = "wordllama", lead: int | None = 80, cache=DEFAULT_CACHE):
    """ArticleRecords for benchmark articles, through the same maps the store-backed stage uses."""
    from storydiff.analysis import corpus_key
    from storydiff.stories.embed import article_terms, embed_articles, load_embedder
    from storydiff.stories.events import ArticleRecord
    from storydiff.stories.features import story_features

    cheap = FEATURES["source"] == "names"
    if cheap:
        from storydiff.stories.features import name_features
    else:
        analyses = analyses_for(articles, cache)
    started = time.perf_counter()
    vectors = embed_articles(articles, load_embedder(embedder), lead)
    embed_seconds = time.perf_counter() - started
    records = []
    for art, vec in zip(articles, vectors):
        if cheap:
            feats = name_features(art)
        else:
            an = analyses[art.id]
            keys = {e.key: corpus_key(e.name, e.label) for e in an.entities}
            feats = story_features(an, keys, outlet=art.outlet, published=art.published)
        records.append(ArticleRecord(art.id, vec, article_terms(art), feats, art.title))
    return records, embed_seconds


#: Rule overrides (``--set KEY=VALUE``), applied to ``data/stories/en.json`` for every clustering of this run.
OVERRIDES: dict[str, str] = {}


def cluster(records, embedder: str = "wordllama") -> dict[str, str]:
    """The real clustering, with the embedder's own settings (``embedder_settings``) and this run's overrides."""
    from stories_tune import apply
    from storydiff.stories.events import cluster_events
    from storydiff.stories.features import load_rules

    rules = apply(load_rules(embedder=embedder), OVERRIDES)
    return {aid: ev.id for ev in cluster_events(records, rules=rules) for aid in ev.article_ids}


def errors(pred: dict[str, str], gold: dict[str, str], records) -> dict:
    """What the clustering got wrong, by kind: predicted events holding articles of two or more gold events (wrong
    merges) and gold events spread over two or more predicted ones (splits); the B-cubed figures if every wrong merge
    were cut along the gold events (what the merges cost) and if every split were joined (what the splits cost); and
    how many articles of the wrong merges carry no date at all (no happening date in the text, no publication
    date), which neither the candidate window nor the date terms can tell apart."""
    by_pred: dict[str, list[str]] = defaultdict(list)
    by_gold: dict[str, list[str]] = defaultdict(list)
    for a, p in pred.items():
        by_pred[p].append(a)
        by_gold[gold[a]].append(a)
    merged = [m for m in by_pred.values() if len({gold[a] for a in m}) > 1]
    split = [m for m in by_gold.values() if len({pred[a] for a in m}) > 1]
    in_merge = {a for m in merged for a in m}
    in_split = {a for m in split for a in m}
    undated = {r.article_id for r in records if r.features.when is None and not r.features.published}
    return {"wrong_merges": len(merged), "articles_in_wrong_merges": len(in_merge),
            "undated_in_wrong_merges": len(in_merge & undated),
            "undated": len(undated & set(pred)), "splits": len(split), "articles_in_splits": len(in_split),
            "if_merges_cut": scores({a: (p, gold[a]) if a in in_merge else (p,) for a, p in pred.items()}, gold),
            "if_splits_joined": scores({a: ("gold", gold[a]) if a in in_split else (p,) for a, p in pred.items()},
                                       gold)}


def _fmt_errors(e: dict) -> str:
    return (f"  errors: {e['wrong_merges']} wrong merges ({e['articles_in_wrong_merges']} articles, "
            f"{e['undated_in_wrong_merges']} of them undated; {e['undated']} undated in all), {e['splits']} split "
            f"gold events ({e['articles_in_splits']} articles); B3 F1 with the merges cut "
            f"{e['if_merges_cut']['bcubed_f1']:.3f}, with the splits joined {e['if_splits_joined']['bcubed_f1']:.3f}")


def run_ecb(path, topics=None, embedder="wordllama", lead=80) -> dict:
    articles, gold, topic_of = load_ecbplus(path, topics)
    records, embed_s = build_records(articles, embedder, lead)
    started = time.perf_counter()
    pred = cluster(records, embedder)
    seconds = time.perf_counter() - started
    pooled = scores(pred, gold)
    per_topic = {}
    for topic in sorted(set(topic_of.values())):
        ids = [a for a in pred if topic_of[a] == topic]
        per_topic[topic] = scores({a: pred[a] for a in ids}, gold)
    macro = {k: sum(s[k] for s in per_topic.values()) / len(per_topic) for k in pooled}
    return {"articles": len(articles), "gold_events": len(set(gold.values())),
            "predicted_events": len(set(pred.values())), "pooled": pooled, "per_topic_macro": macro,
            "per_topic": per_topic, "embed_seconds": embed_s, "cluster_seconds": seconds,
            "errors": errors(pred, gold, records)}


def run_pooled(articles, gold, embedder="wordllama", lead=80) -> dict:
    """Every article clustered together and scored against its gold event (NeuS, BASIL)."""
    records, embed_s = build_records(articles, embedder, lead)
    started = time.perf_counter()
    pred = cluster(records, embedder)
    seconds = time.perf_counter() - started
    return {"articles": len(articles), "gold_events": len(set(gold.values())),
            "predicted_events": len(set(pred.values())), "pooled": scores(pred, gold), "embed_seconds": embed_s,
            "cluster_seconds": seconds, "errors": errors(pred, gold, records)}


def run_neus(path, limit=None, embedder="wordllama", lead=80) -> dict:
    return run_pooled(*load_neus(path, limit), embedder, lead)


def run_basil(path, embedder="wordllama", lead=80) -> dict:
    return run_pooled(*load_basil(path), embedder, lead)


def gate() -> dict[str, float]:
    """CI-sized scores for bench/gate.py: ECB+ on GATE_TOPICS (pooled) and the first GATE_NEUS NeuS triplets."""
    ecb = run_ecb(DEFAULT_ECB, GATE_TOPICS)
    neus = run_neus(DEFAULT_NEUS, GATE_NEUS)
    return {"ecb_subset_bcubed_f1": ecb["pooled"]["bcubed_f1"], "ecb_subset_ari": ecb["pooled"]["ari"],
            "ecb_subset_topic_bcubed_f1": ecb["per_topic_macro"]["bcubed_f1"],
            "neus_subset_bcubed_f1": neus["pooled"]["bcubed_f1"], "neus_subset_ari": neus["pooled"]["ari"]}


def _fmt(name: str, s: dict) -> str:
    return (f"{name:28s} B3 P {s['bcubed_p']:.3f}  R {s['bcubed_r']:.3f}  F1 {s['bcubed_f1']:.3f}  "
            f"ARI {s['ari']:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ecb", default=str(DEFAULT_ECB))
    parser.add_argument("--neus", default=str(DEFAULT_NEUS))
    parser.add_argument("--embedder", default="wordllama", choices=["wordllama", "wordllama-plain", "minilm", "minilm-static"])
    parser.add_argument("--lead", default="80", help="words of the body embedded after the title, or 'full'")
    parser.add_argument("--topics", default=None, help="comma-separated ECB+ topics (default: all in the file)")
    parser.add_argument("--neus-limit", type=int, default=None)
    parser.add_argument("--basil", default=str(DEFAULT_BASIL), help="BASIL articles.jsonl, or 'none' to skip it")
    parser.add_argument("--per-topic", action="store_true", help="print every ECB+ topic")
    parser.add_argument("--errors", action="store_true",
                        help="print what the errors are: wrong merges, splits, and the scores without each")
    parser.add_argument("--json", default=None, help="write all figures to this file")
    parser.add_argument("--features", default="analysis", choices=["analysis", "names"],
                        help="story features from the spaCy analysis (default) or from capitalised names only")
    parser.add_argument("--set", action="append", default=[],
                        help="override a setting of data/stories/en.json, e.g. score.entities=0.1 (repeatable)")
    args = parser.parse_args()
    OVERRIDES.update(kv.split("=", 1) for kv in args.set)
    FEATURES["source"] = args.features
    lead = None if args.lead == "full" else int(args.lead)
    topics = {int(t) for t in args.topics.split(",")} if args.topics else None
    print(f"embedder {args.embedder}, lead {args.lead}, features from {args.features}")
    ecb = run_ecb(args.ecb, topics, args.embedder, lead)
    print(f"ECB+: {ecb['articles']} documents, {ecb['gold_events']} gold events, {ecb['predicted_events']} predicted "
          f"(embed {ecb['embed_seconds']:.1f} s, cluster {ecb['cluster_seconds']:.1f} s)")
    print(_fmt("  pooled", ecb["pooled"]))
    print(_fmt("  per topic (macro)", ecb["per_topic_macro"]))
    if args.errors:
        print(_fmt_errors(ecb["errors"]))
    if args.per_topic:
        for topic, s in ecb["per_topic"].items():
            print(_fmt(f"    topic {topic}", s))
    neus = run_neus(args.neus, args.neus_limit, args.embedder, lead)
    print(f"NeuS: {neus['articles']} articles, {neus['gold_events']} gold events, {neus['predicted_events']} predicted "
          f"(embed {neus['embed_seconds']:.1f} s, cluster {neus['cluster_seconds']:.1f} s)")
    print(_fmt("  pooled", neus["pooled"]))
    if args.errors:
        print(_fmt_errors(neus["errors"]))
    figures = {"ecb": ecb, "neus": neus}
    if args.basil != "none":
        basil = figures["basil"] = run_basil(args.basil, args.embedder, lead)
        print(f"BASIL: {basil['articles']} articles, {basil['gold_events']} gold events, {basil['predicted_events']} "
              f"predicted (embed {basil['embed_seconds']:.1f} s, cluster {basil['cluster_seconds']:.1f} s)")
        print(_fmt("  pooled", basil["pooled"]))
        if args.errors:
            print(_fmt_errors(basil["errors"]))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1, default=str), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
