"""Events: articles that report one real-world happening, with the evidence that groups them.

Corpus work over compact records only (:class:`ArticleRecord`: the article's vector and distinctive words from the
embedding map, and its :class:`~.features.StoryFeatures` from the analysis records).

How a pair is scored (:func:`score_matrix`; weights in ``data/stories/en.json``): cosine of the title+lead vectors
+ overlap of distinctive words + overlap of named entities + shared checkable facts (tallies, large numbers,
measures), minus facts that disagree ("169-1" here, "266-0" there; "23 pirates" / "26 pirates"), plus or minus the
agreement of the two happening dates. Two different votes of one parliament share words and names, but not their
tally or their date: that is what keeps them apart.

How events are formed (:func:`cluster_component`): average-linkage clustering cut at ``event_threshold``. Every
cluster that average linkage can form at that cut is connected by pairs scoring at least the cut (a merge needs
one pair at or above the mean), so clustering each connected component of the graph of such pairs on its own gives
the same events as clustering the whole corpus at once -- which is what makes an incremental update exact. Members
are sorted by article id before clustering, so the input order does not matter.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .features import DateMention, StoryFeatures, load_rules


@dataclass(frozen=True)
class ArticleRecord:
    """What clustering knows of one article. ``title``/``outlet``/``published`` are only for display."""

    article_id: str
    vector: np.ndarray
    terms: dict[str, float]
    features: StoryFeatures
    title: str | None = None

    @property
    def outlet(self) -> str | None:
        return self.features.outlet

    @property
    def published(self) -> str | None:
        return self.features.published


@dataclass(frozen=True)
class Decision:
    """A user decision, applied after every clustering (see :func:`apply_decisions`)."""

    id: int
    kind: str                 # merge | split | pin
    articles: tuple[str, ...]
    others: tuple[str, ...]
    note: str = ""
    created_at: str = ""

    @property
    def linked(self) -> tuple[str, ...]:
        return self.articles + self.others


@dataclass
class Event:
    """One happening: its articles (with how each joined), its dates and why its articles are grouped."""

    id: str
    members: list[tuple[str, str]]          # (article_id, how): clustered | merged | split | pinned
    record: dict = field(default_factory=dict)

    @property
    def article_ids(self) -> list[str]:
        return [a for a, _ in self.members]


def _ordinal(mention: DateMention | None) -> int | None:
    if mention is None or mention.granularity not in ("day", "week"):
        return None
    try:
        return date.fromisoformat(mention.value[:10]).toordinal()
    except ValueError:
        return None


def _sparse(rows: Sequence[dict[str, float]]):
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    data, indices, indptr = [], [], [0]
    for row in rows:
        for key, value in row.items():
            indices.append(vocab.setdefault(key, len(vocab)))
            data.append(value)
        indptr.append(len(indices))
    return csr_matrix((np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int64), indptr),
                      shape=(len(rows), max(1, len(vocab))))


def _dense_products(a_rows, b_rows) -> np.ndarray:
    """``A @ B.T`` for two lists of sparse {key: value} rows sharing one vocabulary."""
    both = _sparse(list(a_rows) + list(b_rows))
    a = both[: len(a_rows)]
    b = both[len(a_rows):]
    return np.asarray((a @ b.T).todense(), dtype=np.float32)


def _entity_rows(records: Sequence[ArticleRecord]) -> list[dict[str, float]]:
    rows = []
    for r in records:
        weights = r.features.entity_weights
        norm = float(np.sqrt(sum(w * w for w in weights.values()))) or 1.0
        rows.append({k: w / norm for k, w in weights.items()})
    return rows


def _measure_keys(features: StoryFeatures) -> dict[str, float]:
    return {m.rsplit(":", 1)[0]: 1.0 for m in features.measures}


def score_matrix(left: Sequence[ArticleRecord], right: Sequence[ArticleRecord] | None = None,
                 rules: dict | None = None, *, similarity_only: bool = False, both: bool = False):
    """Pair scores of every article in ``left`` with every article in ``right`` (default: ``left``), vectorised.
    The score is symmetric and depends only on the two records. ``similarity_only``: the vector, word and name
    terms alone (what storylines link on: two events of one story differ in date and tally by nature);
    ``both``: the pair ``(score, similarity)``."""
    rules = rules or load_rules()
    w = rules["score"]
    right = left if right is None else right
    if not left or not right:
        empty = np.zeros((len(left), len(right)), dtype=np.float32)
        return (empty, empty) if both else empty
    cap = w["max_shared"]
    score = w["vector"] * (np.vstack([r.vector for r in left]) @ np.vstack([r.vector for r in right]).T)
    score += w["lexical"] * _dense_products([r.terms for r in left], [r.terms for r in right])
    score += w["entities"] * _dense_products(_entity_rows(left), _entity_rows(right))
    if similarity_only:
        return score.astype(np.float32)
    similarity = score.astype(np.float32)

    def sets(records, attr):
        return [{v: 1.0 for v in getattr(r.features, attr)} for r in records]

    score += w["shared_number"] * np.minimum(_dense_products(sets(left, "numbers"), sets(right, "numbers")), cap)
    shared_tallies = _dense_products(sets(left, "tallies"), sets(right, "tallies"))
    has_l = np.array([bool(r.features.tallies) for r in left])[:, None]
    has_r = np.array([bool(r.features.tallies) for r in right])[None, :]
    score += w["shared_tally"] * (shared_tallies > 0)
    score += w["tally_conflict"] * ((shared_tallies == 0) & has_l & has_r)
    same_measure = _dense_products(sets(left, "measures"), sets(right, "measures"))
    same_thing = _dense_products([_measure_keys(r.features) for r in left], [_measure_keys(r.features) for r in right])
    score += w["shared_measure"] * np.minimum(same_measure, cap)
    score += w["measure_conflict"] * np.minimum(np.clip(same_thing - same_measure, 0, None), cap)
    lo = np.array([_ordinal(r.features.when) if r.features.when else np.nan for r in left], dtype=np.float64)
    ro = np.array([_ordinal(r.features.when) if r.features.when else np.nan for r in right], dtype=np.float64)
    with np.errstate(invalid="ignore"):
        gap = np.abs(lo[:, None] - ro[None, :])
        score += w["date_agree"] * (gap <= w["date_agree_days"])
        score += w["date_conflict"] * (gap > w["date_conflict_days"])
    return (score.astype(np.float32), similarity) if both else score.astype(np.float32)


def pair_evidence(a: ArticleRecord, b: ArticleRecord, score: float | None = None, rules: dict | None = None) -> dict:
    """Why two articles score as they do: similarity, shared names, shared and conflicting facts, their dates."""
    rules = rules or load_rules()
    if score is None:
        score = float(score_matrix([a], [b], rules)[0, 0])
    ea, eb = a.features.entity_weights, b.features.entity_weights
    names = {k: n for k, _, _, n in a.features.entities}
    shared = sorted((k for k in set(ea) & set(eb) if not k.startswith("~")),
                    key=lambda k: (-min(ea[k], eb[k]), k))
    ma = {m.rsplit(":", 1)[0]: m for m in a.features.measures}
    mb = {m.rsplit(":", 1)[0]: m for m in b.features.measures}
    facts = sorted(set(a.features.tallies) & set(b.features.tallies)) + sorted(
        set(a.features.numbers) & set(b.features.numbers)) + sorted(
        ma[k] for k in set(ma) & set(mb) if ma[k] == mb[k])
    conflicts = [f"{ma[k]} / {mb[k]}" for k in sorted(set(ma) & set(mb)) if ma[k] != mb[k]]
    if a.features.tallies and b.features.tallies and not set(a.features.tallies) & set(b.features.tallies):
        conflicts.append(f"tally {', '.join(a.features.tallies)} / {', '.join(b.features.tallies)}")
    dates = None
    if a.features.when and b.features.when:
        oa, ob = _ordinal(a.features.when), _ordinal(b.features.when)
        gap = abs(oa - ob) if oa is not None and ob is not None else None
        dates = {"a": a.features.when.value, "b": b.features.when.value, "days_apart": gap}
        if gap is not None and gap > rules["score"]["date_conflict_days"]:
            conflicts.append(f"dates {a.features.when.value} / {b.features.when.value}")
    terms = sorted(set(a.terms) & set(b.terms), key=lambda t: (-a.terms[t] * b.terms[t], t))
    return {"score": round(float(score), 4), "similarity": round(float(a.vector @ b.vector), 4),
            "shared_names": [names.get(k, k.lstrip("~")) for k in shared[:8]], "shared_words": terms[:8],
            "shared_facts": facts[:8], "conflicts": conflicts[:8], "dates": dates}


def find_edges(queries: Sequence[ArticleRecord], candidates: dict[str, Sequence[ArticleRecord]],
               min_score: float, rules: dict | None = None) -> list[tuple[str, str, float, dict]]:
    """Scored pairs ``(a, b, score, evidence)`` with ``a < b`` between each query and its candidates
    (``candidates[query id]``) whose score, or whose similarity alone, is at least ``min_score``."""
    rules = rules or load_rules()
    out: dict[tuple[str, str], tuple[str, str, float, dict]] = {}
    queries = [q for q in queries if candidates.get(q.article_id)]
    pool = sorted({c.article_id: c for q in queries for c in candidates[q.article_id]}.values(),
                  key=lambda r: r.article_id)
    column = {r.article_id: i for i, r in enumerate(pool)}
    for start in range(0, len(queries), 256):
        block = queries[start:start + 256]
        # one vectorised product per block of queries against every candidate of the block
        scores, similar = score_matrix(block, pool, rules, both=True)
        for row, query in enumerate(block):
            for cand in candidates[query.article_id]:
                if cand.article_id == query.article_id:
                    continue
                j = column[cand.article_id]
                s, sim = float(scores[row, j]), float(similar[row, j])
                if s < min_score and sim < min_score:
                    continue
                a, b = sorted((query.article_id, cand.article_id))
                if (a, b) not in out:
                    first, second = (query, cand) if query.article_id == a else (cand, query)
                    out[(a, b)] = (a, b, round(s, 4), pair_evidence(first, second, s, rules))
    return sorted(out.values(), key=lambda e: (e[0], e[1]))


def components(nodes: Iterable[str], neighbours) -> list[list[str]]:
    """Connected components (each sorted) reachable from ``nodes``; ``neighbours(ids) -> {id: set of ids}``."""
    seen: set[str] = set()
    out = []
    for start in sorted(set(nodes)):
        if start in seen:
            continue
        comp, frontier = {start}, {start}
        seen.add(start)
        while frontier:
            found = neighbours(sorted(frontier))
            frontier = set()
            for node, linked in found.items():
                for other in linked:
                    if other not in seen:
                        seen.add(other)
                        comp.add(other)
                        frontier.add(other)
        out.append(sorted(comp))
    return out


def cluster_component(records: Sequence[ArticleRecord], rules: dict | None = None,
                      edges: Sequence[tuple[str, str, float, object]] = ()) -> list[list[str]]:
    """Average-linkage clusters of one component, cut at the event threshold; sorted, deterministic.

    A component of more than ``max_component`` articles (a long, heavily covered story whose articles chain into
    one component) is first cut into the connected components of its stored pairs (``edges``) at a stricter
    score, raised by 0.05 until every part fits; average linkage then runs on each part. This bounds memory and
    time, and is an approximation of clustering the whole component (only used on large corpora)."""
    rules = rules or load_rules()
    records = sorted(records, key=lambda r: r.article_id)
    ids = [r.article_id for r in records]
    if len(records) == 1:
        return [ids]
    threshold = rules["event_threshold"]
    if len(records) <= rules["max_component"]:
        return _average_linkage(ids, score_matrix(records, rules=rules).astype(np.float64), threshold)
    by_id = {r.article_id: r for r in records}
    inside = set(ids)
    pairs = sorted((e[2], e[0], e[1]) for e in edges if e[0] in inside and e[1] in inside)
    out: list[list[str]] = []
    pending = [(ids, threshold)]
    while pending:
        group, cut = pending.pop()
        if len(group) <= rules["max_component"]:
            if len(group) == 1:
                out.append(group)
            else:
                part = [by_id[a] for a in group]
                out.extend(_average_linkage(group, score_matrix(part, rules=rules).astype(np.float64), threshold))
            continue
        cut += 0.05
        members = set(group)
        parent = {a: a for a in group}

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for score, a, b in pairs:
            if score >= cut and a in members and b in members:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
        parts: dict[str, list[str]] = defaultdict(list)
        for a in group:
            parts[find(a)].append(a)
        pending.extend((sorted(p), cut) for p in sorted(parts.values(), key=lambda p: min(p)))
    return sorted(out, key=lambda g: g[0])


def _average_linkage(ids: list[str], scores: np.ndarray, threshold: float) -> list[list[str]]:
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    top = float(scores.max()) + 1.0
    dist = top - scores
    np.fill_diagonal(dist, 0.0)
    dist = np.clip((dist + dist.T) / 2.0, 0.0, None)
    labels = fcluster(linkage(squareform(dist, checks=False), "average"), top - threshold, "distance")
    groups: dict[int, list[str]] = defaultdict(list)
    for aid, label in zip(ids, labels):
        groups[int(label)].append(aid)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def apply_decisions(clusters: list[list[str]], decisions: Sequence[Decision]) -> list[list[tuple[str, str]]]:
    """The clusters after the user's decisions, in the order they were made. ``merge`` joins the clusters holding
    any of its articles; ``split`` takes its articles out of any cluster that also holds the rest of the event they
    were split from; ``pin`` moves its article into the cluster holding most of the event it was pinned to.
    Returns clusters of ``(article_id, how)``."""
    how: dict[str, str] = {}
    groups = [set(c) for c in clusters]

    def holder(aid):
        for i, g in enumerate(groups):
            if aid in g:
                return i
        return None

    for d in sorted(decisions, key=lambda d: d.id):
        if d.kind == "merge":
            hit = sorted({i for a in d.linked if (i := holder(a)) is not None})
            if len(hit) > 1:
                merged = set().union(*(groups[i] for i in hit))
                groups = [g for i, g in enumerate(groups) if i not in hit] + [merged]
            for a in d.linked:
                if holder(a) is not None:
                    how[a] = "merged"
        elif d.kind == "split":
            moving = set(d.articles)
            rest = set(d.others)
            new_groups = []
            for g in groups:
                if g & moving and g & rest:
                    new_groups.append(g - moving)
                    new_groups.append(g & moving)
                    for a in g & moving:
                        how[a] = "split"
                else:
                    new_groups.append(g)
            groups = new_groups
        elif d.kind == "pin":
            counts = Counter(i for a in d.others if (i := holder(a)) is not None)
            for aid in d.articles:
                src = holder(aid)
                if not counts or src is None:
                    continue
                target = min(counts, key=lambda i: (-counts[i], min(groups[i])))
                if target != src:
                    groups[src].discard(aid)
                    groups[target].add(aid)
                how[aid] = "pinned"
    groups = [g for g in groups if g]
    return sorted(([(a, how.get(a, "clustered")) for a in sorted(g)] for g in groups), key=lambda g: g[0][0])


def event_id(article_ids: Iterable[str]) -> str:
    """An event's id: from its smallest article id (deterministic for a given membership)."""
    return "ev" + hashlib.sha256(min(article_ids).encode()).hexdigest()[:10]


def event_dates(records: Sequence[ArticleRecord]) -> dict:
    """When the event happened: each distinct happening date its articles give, with the articles and outlets
    that give it (the words and offset are the evidence). ``date`` is the one most outlets give (then most
    articles, then the earliest); ``disputed`` is true when articles give day dates more than a day apart."""
    by_value: dict[str, list] = defaultdict(list)
    for r in records:
        m = r.features.when
        if m is not None:
            by_value[m.value].append({"article": r.article_id, "outlet": r.outlet, "text": m.text, "start": m.start,
                                      "granularity": m.granularity})
    if not by_value:
        published = sorted(r.published for r in records if r.published)
        return {"date": None, "granularity": None, "dates": [], "disputed": False,
                "published": published[0] if published else None}
    ranked = sorted(by_value.items(), key=lambda kv: (-len({s["outlet"] for s in kv[1]}), -len(kv[1]), kv[0]))
    best = ranked[0][0]
    ordinals = [o for o in (_ordinal(DateMention(v, s[0]["granularity"], "", 0, 0)) for v, s in by_value.items())
                if o is not None]
    disputed = bool(ordinals) and max(ordinals) - min(ordinals) > 1
    published = sorted(r.published for r in records if r.published)
    return {"date": best, "granularity": by_value[best][0]["granularity"],
            "dates": [{"value": v, "sources": sorted(s, key=lambda x: x["article"])} for v, s in sorted(by_value.items())],
            "disputed": disputed, "published": published[0] if published else None}


def describe_event(members: list[tuple[str, str]], records: dict[str, ArticleRecord],
                   edges: Sequence[tuple[str, str, float, dict]], decisions: Sequence[Decision],
                   rules: dict | None = None) -> Event:
    """The event record: its articles by outlet, its dates with sources, and why (the evidence)."""
    ids = [a for a, _ in members]
    recs = [records[a] for a in ids]
    inside = set(ids)
    if isinstance(edges, dict):  # edges by article: only this event's are looked at
        internal = sorted({(e[0], e[1]): e for a in ids for e in edges.get(a, ())
                           if e[0] in inside and e[1] in inside}.values())
    else:
        internal = [e for e in edges if e[0] in inside and e[1] in inside]
    # the article most like the others names the event
    strength = Counter()
    for a, b, s, _ in internal:
        strength[a] += s
        strength[b] += s
    lead = min(ids, key=lambda a: (-strength[a], a))
    names = Counter()
    facts = Counter()
    for r in recs:
        names.update({n for k, _, _, n in r.features.entities if not k.startswith("~")})
        facts.update(set(r.features.tallies) | set(r.features.numbers) | set(r.features.measures))
    by_outlet: dict[str, list[str]] = defaultdict(list)
    for r in recs:
        by_outlet[r.outlet or "(unknown outlet)"].append(r.article_id)
    links = sorted(internal, key=lambda e: (-e[2], e[0], e[1]))
    applied = [d.id for d in decisions if set(d.linked) & inside]
    record = {
        "title": records[lead].title,
        "articles": [{"id": a, "title": records[a].title, "outlet": records[a].outlet,
                      "published": records[a].published, "how": h} for a, h in members],
        "outlets": {o: v for o, v in sorted(by_outlet.items())},
        **event_dates(recs),
        "why": {
            "mean_score": round(sum(e[2] for e in internal) / len(internal), 4) if internal else None,
            "shared_names": [{"name": n, "articles": c} for n, c in sorted(names.items(), key=lambda x: (-x[1], x[0]))
                             if c >= 2][:10],
            "shared_facts": [{"value": f, "articles": c} for f, c in sorted(facts.items(), key=lambda x: (-x[1], x[0]))
                             if c >= 2][:10],
            "links": [{"a": a, "b": b, "score": s, "evidence": ev} for a, b, s, ev in links[:12]],
            "decisions": applied,
        },
    }
    return Event(id=event_id(ids), members=members, record=record)


def cluster_events(records: Sequence[ArticleRecord], decisions: Sequence[Decision] = (), *,
                   rules: dict | None = None) -> list[Event]:
    """Every event of ``records`` in one pass (no store): candidate search, scored pairs, components, clustering,
    decisions. The store-backed :func:`storydiff.stories.update_stories` does the same work incrementally."""
    from .index import VectorIndex

    rules = rules or load_rules()
    ordered = sorted(records, key=lambda r: r.article_id)
    if not ordered:
        return []
    index = VectorIndex(len(ordered[0].vector), "memory")
    index.update({i: r.vector for i, r in enumerate(ordered)}, [])
    cands = candidate_map(ordered, index, lambda keys: {k: ordered[k] for k in keys}, rules)
    edges = find_edges(ordered, cands, rules["storyline_edge_threshold"], rules)
    return events_from_edges(ordered, edges, decisions, rules)


def candidate_map(queries: Sequence[ArticleRecord], index, resolve, rules: dict) -> dict[str, list[ArticleRecord]]:
    """For each query, every record whose vector has cosine >= ``candidate_min_cosine`` with it (a range query,
    so the relation is symmetric and an incremental update finds the same pairs as a full run): the index is asked
    for ``candidates`` neighbours, and again for four times as many while the last one is still in range, up to
    ``max_candidates``. ``resolve(index keys) -> {key: ArticleRecord}`` (keys it cannot resolve are skipped)."""
    floor = rules["candidate_min_cosine"]
    hits_of: dict[str, list[tuple[int, float]]] = {}
    pending = list(queries)
    count = rules["candidates"]
    while pending:
        found = index.search(np.vstack([q.vector for q in pending]), count + 1)
        again = []
        for q, hits in zip(pending, found):
            if hits and len(hits) == min(count + 1, len(index)) and hits[-1][1] >= floor \
                    and count < rules["max_candidates"]:
                again.append(q)
            else:
                hits_of[q.article_id] = [(k, sim) for k, sim in hits if sim >= floor]
        pending = again
        count *= 4
    resolved = resolve(sorted({k for hits in hits_of.values() for k, _ in hits}))
    return {aid: [resolved[k] for k, _ in hits if k in resolved] for aid, hits in hits_of.items()}


def events_from_edges(records: Sequence[ArticleRecord], edges: Sequence[tuple[str, str, float, dict]],
                      decisions: Sequence[Decision], rules: dict) -> list[Event]:
    """Events of ``records`` given every scored pair among them."""
    by_id = {r.article_id: r for r in records}
    adjacency: dict[str, set[str]] = defaultdict(set)
    for a, b, s, _ in edges:
        if s >= rules["event_threshold"]:
            adjacency[a].add(b)
            adjacency[b].add(a)
    for d in decisions:
        linked = [a for a in d.linked if a in by_id]
        for a in linked:
            adjacency[a].update(x for x in linked if x != a)
    comps = components(by_id, lambda ids: {i: adjacency.get(i, set()) for i in ids})
    by_article = edges_by_article(edges)
    out = []
    for comp in comps:
        clusters = cluster_component([by_id[a] for a in comp], rules, edges)
        relevant = [d for d in decisions if set(d.linked) & set(comp)]
        for members in apply_decisions(clusters, relevant):
            out.append(describe_event(members, by_id, by_article, relevant, rules))
    return sorted(out, key=lambda e: e.id)


def edges_by_article(edges: Sequence[tuple]) -> dict[str, list[tuple]]:
    """Every edge under both of its articles."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for e in edges:
        out[e[0]].append(e)
        out[e[1]].append(e)
    return out


def edge_json(evidence: dict) -> str:
    return json.dumps(evidence, ensure_ascii=False, separators=(",", ":"))


__all__ = ["ArticleRecord", "Decision", "Event", "score_matrix", "pair_evidence", "find_edges", "components",
           "cluster_component", "apply_decisions", "event_id", "event_dates", "describe_event", "cluster_events",
           "candidate_map", "events_from_edges", "edge_json"]
