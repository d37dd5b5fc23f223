"""Events: articles that report one real-world happening, with the evidence that groups them.

Corpus work over compact records only (:class:`ArticleRecord`: the article's vector and distinctive words from the
embedding map, and its :class:`~.features.StoryFeatures` from the analysis records).

How a pair is scored (:func:`score_matrix`; weights in ``data/stories/en.json``): cosine of the title+lead vectors
+ overlap of distinctive words + overlap of named entities + shared checkable facts (tallies, large numbers,
measures), minus facts that disagree ("169-1" here, "266-0" there; "23 pirates" / "26 pirates"), plus or minus the
agreement of the two happening dates, minus a conflict of main people (each article's main person -- named in full,
in the lead, more than once -- goes unmentioned in the other: "Chargers receiver Vincent Jackson arrested" /
"Chargers lineman Jamal Williams arrested"). Two different votes of one parliament share words and names, but not
their tally or their date: that is what keeps them apart.

How events are formed: the corpus is cut into parts (:class:`EventParts`): the connected components of the graph of
pairs scoring at least ``event_threshold``, where a component over ``max_component`` articles is cut on stricter
pairs (``part_step`` higher at a time) until it fits. Average linkage cut at ``event_threshold`` runs on each part
(:func:`cluster_part`); an article it leaves alone then joins the cluster holding its best pair if that pair
reaches the cut (``attach_alone``). Every cluster that average linkage can form at that cut is connected by pairs
scoring at least the cut (a merge needs one pair at or above the mean), and so is every article attached, so for
components that fit this is exactly clustering the whole corpus at once. Parts are local (finding one reads a
bounded neighbourhood) and depend only on the graph, which is what makes an incremental update cost what its new
articles cost, and the result independent of order.
Members are sorted by article id before clustering, so the input order does not matter.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .features import DateMention, StoryFeatures, load_rules
from .rows import (ENTITIES, MEASURES, NUMBERS, PEOPLE, TALLIES, TERMS, THINGS, WORDS, RowBatch,
                   full_name_surnames, name_words)


@dataclass(frozen=True)
class ArticleRecord:
    """What clustering knows of one article. ``title``/``outlet``/``published`` are only for display."""

    article_id: str
    vector: np.ndarray
    terms: dict[str, float]
    features: StoryFeatures
    title: str | None = None
    #: the article's scoring row (:mod:`.rows`): read with the record from the store, or made when first scored
    row: object = field(default=None, compare=False, repr=False)

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


def _combine(w: dict, vec, lex, ent, numbers, tallies, has_l, has_r, same_measure, same_thing, lo, ro,
             similarity_only: bool, both: bool, people_conflict=None):
    """The pair score from its parts (arrays of one shape, or broadcasting to it): see the module docstring."""
    cap = w["max_shared"]
    score = w["vector"] * vec
    score += w["lexical"] * lex
    score += w["entities"] * ent
    if similarity_only:
        return score.astype(np.float32)
    similarity = score.astype(np.float32)
    score += w["shared_number"] * np.minimum(numbers, cap)
    score += w["shared_tally"] * (tallies > 0)
    score += w["tally_conflict"] * ((tallies == 0) & has_l & has_r)
    score += w["shared_measure"] * np.minimum(same_measure, cap)
    score += w["measure_conflict"] * np.minimum(np.clip(same_thing - same_measure, 0, None), cap)
    with np.errstate(invalid="ignore"):
        gap = np.abs(lo - ro)
        score += w["date_agree"] * (gap <= w["date_agree_days"])
        score += w["date_conflict"] * (gap > w["date_conflict_days"])
    if people_conflict is not None:
        score += w["people_conflict"] * people_conflict
    return (score.astype(np.float32), similarity) if both else score.astype(np.float32)


def score_matrix(left: Sequence[ArticleRecord], right: Sequence[ArticleRecord] | None = None,
                 rules: dict | None = None, *, similarity_only: bool = False, both: bool = False):
    """Pair scores of every article in ``left`` with every article in ``right`` (default: ``left``), vectorised.
    The score is symmetric and depends only on the two records. ``similarity_only``: the vector, word and name
    terms alone (what storylines link on: two events of one story differ in date and tally by nature);
    ``both``: the pair ``(score, similarity)``. :func:`score_pairs` scores chosen pairs the same way. Records or
    their :class:`~.rows.ScoringRow`."""
    rules = rules or load_rules()
    right = left if right is None else right
    if not left or not right:
        empty = np.zeros((len(left), len(right)), dtype=np.float32)
        return (empty, empty) if both else empty
    batch = RowBatch(list(left) + list(right))
    nl = len(left)

    def products(k, ones=False):
        m = batch.matrix(batch.keys(k), ones=ones)
        return np.asarray((m[:nl] @ m[nl:].T).todense(), dtype=np.float32)

    vec = batch.vectors[:nl] @ batch.vectors[nl:].T
    lex, ent = products(TERMS), products(ENTITIES)
    if similarity_only:
        return _combine(rules["score"], vec, lex, ent, *([None] * 8), True, False)
    numbers, tallies, measures, things = (products(k, True) for k in (NUMBERS, TALLIES, MEASURES, THINGS))
    has_tally = batch.counts[:, TALLIES] > 0
    w = rules["score"]
    conflict = None
    if w.get("people_conflict"):
        main, words = batch.keys(PEOPLE, floor=w["people_weight"]), batch.keys(WORDS)
        m_main, m_words = batch.matrices(main, words, ones=True)   # one vocabulary for both
        count = batch.count(main)
        absent_l = count[:nl, None] - np.asarray((m_main[:nl] @ m_words[nl:].T).todense(), dtype=np.float32)
        absent_r = count[None, nl:] - np.asarray((m_words[:nl] @ m_main[nl:].T).todense(), dtype=np.float32)
        conflict = (absent_l > 0.5) & (absent_r > 0.5)
    return _combine(w, vec, lex, ent, numbers, tallies, has_tally[:nl, None], has_tally[None, nl:], measures, things,
                    batch.when[:nl, None], batch.when[None, nl:], False, both, conflict)


#: Pairs scored at once by :func:`score_pairs` (bounds the memory of the gathered sparse rows).
PAIR_BLOCK = 10_000


def score_pairs(records: Sequence[ArticleRecord], first: Sequence[int], second: Sequence[int],
                rules: dict | None = None, *, both: bool = False):
    """The scores of the pairs ``(records[first[k]], records[second[k]])`` -- the same score as
    :func:`score_matrix`, computed for these pairs only, so that scoring the candidates of n articles costs
    O(n x candidates) rather than O(n x every candidate of a block). Records or their
    :class:`~.rows.ScoringRow` (what the stories stage reads to score candidates: no strings)."""
    rules = rules or load_rules()
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    scores = np.zeros(len(first), dtype=np.float32)
    similar = np.zeros(len(first), dtype=np.float32)
    if not len(first):
        return (scores, similar) if both else scores
    batch = RowBatch(records)
    matrices = {k: batch.matrix(batch.keys(k), ones=k not in (TERMS, ENTITIES))
                for k in (TERMS, ENTITIES, NUMBERS, TALLIES, MEASURES, THINGS)}
    w = rules["score"]
    people = bool(w.get("people_conflict"))
    if people:
        main, words = batch.keys(PEOPLE, floor=w["people_weight"]), batch.keys(WORDS)
        matrices["main"], matrices["words"] = batch.matrices(main, words, ones=True)   # one vocabulary for both
        main_count = batch.count(main)
    has_tally = batch.counts[:, TALLIES] > 0
    for start in range(0, len(first), PAIR_BLOCK):
        i, j = first[start:start + PAIR_BLOCK], second[start:start + PAIR_BLOCK]

        def dot(key, i=i, j=j):
            m = matrices[key]
            return np.asarray(m[i].multiply(m[j]).sum(axis=1), dtype=np.float32).ravel()

        def cross(left, right, i=i, j=j):
            a, b = matrices[left], matrices[right]
            return np.asarray(a[i].multiply(b[j]).sum(axis=1), dtype=np.float32).ravel()

        conflict = None
        if people:
            conflict = ((main_count[i] - cross("main", "words")) > 0.5) & ((main_count[j] - cross("words", "main")) > 0.5)
        vec = np.einsum("ij,ij->i", batch.vectors[i], batch.vectors[j])
        s, sim = _combine(w, vec, dot(TERMS), dot(ENTITIES), dot(NUMBERS), dot(TALLIES),
                          has_tally[i], has_tally[j], dot(MEASURES), dot(THINGS), batch.when[i], batch.when[j],
                          False, True, conflict)
        scores[start:start + PAIR_BLOCK] = s
        similar[start:start + PAIR_BLOCK] = sim
    return (scores, similar) if both else scores


def _evidence_parts(r: ArticleRecord, floor: float) -> tuple:
    """What :func:`pair_evidence` needs of one record, computed once per record rather than once per pair."""
    entities = {k: (w, n) for k, _, w, n in r.features.entities}
    measures = {m.rsplit(":", 1)[0]: m for m in r.features.measures}
    main = {surname for surname, weight in full_name_surnames(r.features) if weight >= floor}
    words = set(name_words(r.features))
    return entities, measures, main, words


def pair_evidence(a: ArticleRecord, b: ArticleRecord, score: float | None = None, rules: dict | None = None, *,
                  cache: dict | None = None) -> dict:
    """Why two articles score as they do: similarity, shared names, shared and conflicting facts, their dates.
    ``cache`` (a dict kept by the caller for one batch of pairs) holds each record's parts between calls."""
    rules = rules or load_rules()
    if score is None:
        score = float(score_matrix([a], [b], rules)[0, 0])
    floor = rules["score"]["people_weight"]
    if cache is None:
        cache = {}
    for r in (a, b):
        if r.article_id not in cache:
            cache[r.article_id] = _evidence_parts(r, floor)
    ea, ma, main_a, words_a = cache[a.article_id]
    eb, mb, main_b, words_b = cache[b.article_id]
    shared = sorted((k for k in ea.keys() & eb.keys() if not k.startswith("~")),
                    key=lambda k: (-min(ea[k][0], eb[k][0]), k))
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
    if rules["score"].get("people_conflict"):
        only_a, only_b = sorted(main_a - words_b), sorted(main_b - words_a)
        if only_a and only_b:
            conflicts.append(f"people {', '.join(only_a)} / {', '.join(only_b)}")
    terms = sorted(a.terms.keys() & b.terms.keys(), key=lambda t: (-a.terms[t] * b.terms[t], t))
    return {"score": round(float(score), 4), "similarity": round(float(a.vector @ b.vector), 4),
            "shared_names": [ea[k][1] for k in shared[:8]], "shared_words": terms[:8],
            "shared_facts": facts[:8], "conflicts": conflicts[:8], "dates": dates}


def find_edges(queries: Sequence[ArticleRecord], candidates: dict[str, Sequence[ArticleRecord]],
               min_score: float, rules: dict | None = None) -> list[tuple[str, str, float]]:
    """Scored pairs ``(a, b, score)`` with ``a < b`` between each query and its candidates (``candidates[query
    id]``) whose score, or whose similarity alone, is at least ``min_score``. Each distinct pair is scored once
    (:func:`score_pairs`). Their evidence is written out only for the links an event shows (:func:`describe_event`):
    a dense corpus has tens of pairs per article, and an event shows a dozen."""
    rules = rules or load_rules()
    pool: dict[str, ArticleRecord] = {}
    for q in queries:
        for c in candidates.get(q.article_id, ()):
            if c.article_id != q.article_id:
                pool.setdefault(q.article_id, q)
                pool.setdefault(c.article_id, c)
    if not pool:
        return []
    records = sorted(pool.values(), key=lambda r: r.article_id)
    row = {r.article_id: i for i, r in enumerate(records)}
    # the pairs as numbers (rows in id order, lower first): a chunk of 4,096 queries has up to a million pairs,
    # which as a set of tuples of ids held ~100 MB
    n = len(records)
    codes = []
    for q in queries:
        if q.article_id not in row:
            continue
        at = row[q.article_id]
        others = np.fromiter((row[c.article_id] for c in candidates.get(q.article_id, ())), dtype=np.int64)
        others = others[others != at]
        codes.append(np.minimum(others, at) * n + np.maximum(others, at))
    codes = np.unique(np.concatenate(codes))
    first, second = codes // n, codes % n
    del codes
    scores, similar = score_pairs(records, first, second, rules, both=True)
    keep = np.flatnonzero((scores >= min_score) | (similar >= min_score))
    ids = [r.article_id for r in records]
    return [(ids[first[k]], ids[second[k]], round(float(scores[k]), 4)) for k in keep.tolist()]


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


class EventParts:
    """The part of the corpus each article is clustered in: a bounded, local unit of the graph of pairs.

    The part of article x is its connected component in the graph of pairs scoring at least ``event_threshold``
    if that has at most ``max_component`` articles; else its component among pairs scoring at least
    ``event_threshold + part_step``, and so on up the ladder until it fits. Parts partition the corpus (components
    at a higher cut nest inside those at a lower one), depend only on the graph (not on the order of anything),
    and are found by breadth-first searches that stop after ``max_component + 1`` articles -- so finding the part
    of an article reads at most that many articles' pairs per rung, however large the corpus. Average linkage then
    runs on each part (:func:`cluster_part`).

    Why this is exact where it matters and local everywhere: average linkage cut at the threshold never joins two
    articles that are not connected by pairs at or above the cut (a merge needs one pair at or above the mean), so
    clustering each component on its own equals clustering the corpus. Only a component larger than
    ``max_component`` (a heavily covered subject whose articles chain together) is cut on stricter pairs first.

    ``links(ids) -> {id: [(other id, score), ...]}`` gives the pairs at or above ``event_threshold`` of each
    requested article (every requested id must be a key); results are cached for the life of the object, or, with
    ``forget``, until the article's part is found. ``threshold`` and ``limit`` replace ``event_threshold`` and
    ``max_component`` (storylines group events with the same ladder).

    ``forget``: once a part is found at some rung, its articles are known to lie in a component too big at every
    rung below it (the part lies inside the start's component there, which did not fit), so a later search at a
    lower rung stops on reaching them, and one at its rung or above never reaches them (components at a cut
    partition the graph, and those above nest inside); their pairs are not needed again and are let go. What is
    held is then the pairs of the articles whose part is not yet known, not those of the whole graph: what a first
    run, which finds the part of every article, needs (the same parts; :meth:`neighbours` reads a forgotten
    article's pairs again)."""

    def __init__(self, links, rules: dict | None = None, *, threshold: float | None = None,
                 limit: int | None = None, forget: bool = False) -> None:
        rules = rules or load_rules()
        self._links = links
        self._threshold = rules["event_threshold"] if threshold is None else threshold
        self._step = rules["part_step"]
        self._limit = rules["max_component"] if limit is None else limit
        self._forget = forget
        self._adjacency: dict[str, list[tuple[str, float]]] = {}
        self._too_big: dict[int, set[str]] = defaultdict(set)
        self._part: dict[str, tuple[str, ...]] = {}
        self._cut: dict[tuple[str, ...], float] = {}

    def neighbours(self, ids: Iterable[str]) -> dict[str, list[tuple[str, float]]]:
        """The pairs at or above the event threshold of each of ``ids``."""
        ids = list(ids)
        missing = sorted({i for i in ids if i not in self._adjacency})
        if missing:
            found = self._links(missing)
            for i in missing:
                self._adjacency[i] = sorted(found.get(i, ()))
        return {i: self._adjacency[i] for i in ids}

    def _component(self, start: str, cut: float, too_big: set[str]) -> tuple[set[str], bool]:
        """The component of ``start`` among pairs >= ``cut``, and whether it fits (searching stops once it does
        not, or once it reaches an article already known to be in a component too big at this cut)."""
        comp, frontier = {start}, [start]
        while frontier:
            found = self.neighbours(frontier)
            frontier = []
            for node in sorted(found):
                for other, score in found[node]:
                    if score < cut or other in comp:
                        continue
                    if other in too_big:
                        return comp, False
                    comp.add(other)
                    frontier.append(other)
                    if len(comp) > self._limit:
                        return comp, False
        return comp, True

    def of(self, article_id: str) -> tuple[str, ...]:
        """The part holding ``article_id`` (sorted article ids)."""
        if article_id in self._part:
            return self._part[article_id]
        rung = 0
        while True:
            too_big = self._too_big[rung]
            if article_id not in too_big:
                cut = round(self._threshold + rung * self._step, 6)
                comp, fits = self._component(article_id, cut, too_big)
                if fits:
                    part = tuple(sorted(comp))
                    for a in part:
                        self._part[a] = part
                    self._cut[part] = cut
                    if self._forget:
                        for below in range(rung):
                            self._too_big[below].update(part)
                        for a in part:
                            self._adjacency.pop(a, None)
                    return part
                too_big.update(comp)
            rung += 1


    def cut_of(self, article_id: str) -> float:
        """The cut at which the part of ``article_id`` is a component (``event_threshold`` unless it was cut)."""
        return self._cut[self.of(article_id)]


def affected_articles(changed: set[str], also: set[str], parts_now: EventParts, parts_before: EventParts,
                      expand=lambda ids: set()) -> set[str]:
    """Every article whose part can differ between the graph before (``parts_before``) and after (``parts_now``)
    a change of the pairs of the ``changed`` articles, plus ``also``, closed under ``expand(ids) -> more ids``
    (the store adds decision partners and old event members) and under parts before and after.

    Why this is enough: a part P (a component at cut c that fits) that no changed article has a pair into at or
    above c, before or after, is still a component at c; it stays a part unless a larger component at a lower cut
    shrank to fit -- which needs a changed article in it, so one of that article's old neighbours above that cut
    is in it, and that neighbour's part now is taken. So every article whose part changed is in the parts taken,
    and the new parts of those lie inside them. Cost: the neighbours of the changed articles times the parts they
    hit, each bounded by ``max_component``."""
    todo = set(changed) | set(also)
    # a part can only change if a changed article has a pair into it at or above the cut it is a component at:
    # a pair of 0.8 into a part of a densely covered subject, cut at 0.95, leaves it as it was
    for finder in (parts_now, parts_before):
        for linked in finder.neighbours(sorted(changed)).values():
            for other, score in linked:
                if other in todo:  # taken already: the closure below adds both its parts
                    continue
                for parts in (parts_now, parts_before):
                    if score >= parts.cut_of(other):
                        todo.update(parts.of(other))
    scope: set[str] = set()
    while todo:
        scope |= todo
        grown: set[str] = set()
        for a in sorted(todo):
            grown.update(parts_now.of(a))
            grown.update(parts_before.of(a))
        grown |= expand(todo | grown)
        todo = grown - scope
    return scope


def part_scores(parts: Sequence[Sequence[ArticleRecord]], rules: dict | None = None) -> list[np.ndarray | None]:
    """The pair scores inside each part (records sorted by article id, as :func:`cluster_part` orders them), every
    part's pairs scored in one :func:`score_pairs` call: a part is mostly a few articles, and scoring each as its own
    matrix cost more in building its sparse rows than in the products (clustering the parts around 1,000 new
    articles: 4.4 CPU s part by part, 2.1 at once). A pair scores the same in any batch, so a part's matrix does not
    depend on the parts scored with it. ``None`` for a part of fewer than two records."""
    rules = rules or load_rules()
    ordered = [sorted(p, key=lambda r: r.article_id) for p in parts]
    pool: list[ArticleRecord] = []
    first: list[np.ndarray] = []
    second: list[np.ndarray] = []
    for part in ordered:
        if len(part) >= 2:
            i, j = np.triu_indices(len(part))
            first.append(i + len(pool))
            second.append(j + len(pool))
            pool.extend(part)
    if not pool:
        return [None] * len(parts)
    scores = score_pairs(pool, np.concatenate(first), np.concatenate(second), rules).astype(np.float64)
    out: list[np.ndarray | None] = []
    at = 0
    for part in ordered:
        n = len(part)
        if n < 2:
            out.append(None)
            continue
        i, j = np.triu_indices(n)
        matrix = np.empty((n, n), dtype=np.float64)
        matrix[i, j] = scores[at:at + len(i)]
        matrix[j, i] = matrix[i, j]
        out.append(matrix)
        at += len(i)
    return out


def cluster_part(records: Sequence[ArticleRecord], rules: dict | None = None, *,
                 scores: np.ndarray | None = None) -> list[list[str]]:
    """Average-linkage clusters of one part (:class:`EventParts`), cut at the event threshold; sorted,
    deterministic (records are sorted by article id first). ``scores``: the part's :func:`part_scores`, when they
    were computed with other parts'."""
    rules = rules or load_rules()
    records = sorted(records, key=lambda r: r.article_id)
    ids = [r.article_id for r in records]
    if len(records) <= 1:
        return [ids] if ids else []
    if scores is None:
        scores = part_scores([records], rules)[0]
    clusters = _average_linkage(ids, scores, rules["event_threshold"])
    if rules.get("attach_alone"):
        clusters = _attach_alone(ids, scores, clusters, rules["event_threshold"])
    return clusters


def _attach_alone(ids: list[str], scores: np.ndarray, clusters: list[list[str]], threshold: float
                  ) -> list[list[str]]:
    """Articles that average linkage left alone join the cluster (of two or more) holding their best pair, when that
    pair scores at least ``threshold``: a report tied strongly to one account of a happening but loosely to the rest
    (a follow-up, a short brief, an opinion piece on it). Each is placed against the clusters as average linkage left
    them (never against another article placed this way), so the result does not depend on any order; ties go to
    the lowest article id."""
    groups = [c for c in clusters if len(c) >= 2]
    alone = [c[0] for c in clusters if len(c) == 1]
    if not groups or not alone:
        return clusters
    pos = {a: i for i, a in enumerate(ids)}
    members = sorted(a for g in groups for a in g)
    owner = {a: k for k, g in enumerate(groups) for a in g}
    block = scores[np.ix_([pos[a] for a in alone], [pos[b] for b in members])]
    best = block.argmax(axis=1)  # the first maximum: members are sorted, so ties go to the lowest id
    out = [list(g) for g in groups]
    for row, a in enumerate(alone):
        if block[row, best[row]] >= threshold:
            out[owner[members[best[row]]]].append(a)
        else:
            out.append([a])
    return sorted((sorted(g) for g in out), key=lambda g: g[0])


def decision_units(parts: Iterable[Sequence[str]], decisions: Sequence[Decision]) -> list[list[str]]:
    """Parts joined by the user's decisions (a decision's articles are clustered, and the decision applied,
    together); each unit is a sorted list of article ids, units sorted by their first id."""
    parts = [tuple(p) for p in parts]
    owner = {a: i for i, p in enumerate(parts) for a in p}
    parent = list(range(len(parts)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for d in decisions:
        linked = sorted({owner[a] for a in d.linked if a in owner})
        for other in linked[1:]:
            ra, rb = find(linked[0]), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    units: dict[int, list[str]] = defaultdict(list)
    for i, p in enumerate(parts):
        units[find(i)].extend(p)
    return sorted((sorted(u) for u in units.values()), key=lambda u: u[0])


def cluster_unit(unit: Sequence[str], parts: EventParts, records: dict[str, ArticleRecord],
                 decisions: Sequence[Decision], rules: dict, *, scores: dict | None = None
                 ) -> list[list[tuple[str, str]]]:
    """The clusters of one unit (its parts clustered, then the decisions that touch it applied). ``scores``: the
    parts' matrices by part (:func:`units_scores`), when they were computed for many units at once."""
    inside = set(unit)
    seen: set[tuple[str, ...]] = set()
    clusters: list[list[str]] = []
    for a in unit:
        part = parts.of(a)
        if part not in seen:
            seen.add(part)
            clusters.extend(cluster_part([records[x] for x in part if x in records], rules,
                                         scores=None if scores is None else scores.get(part)))
    relevant = [d for d in decisions if set(d.linked) & inside]
    return apply_decisions([c for c in clusters if c], relevant)


def units_scores(units: Iterable[Sequence[str]], parts, records: dict[str, ArticleRecord], rules: dict
                 ) -> dict[tuple[str, ...], np.ndarray | None]:
    """:func:`part_scores` of every part of ``units`` at once, by part (for :func:`cluster_unit`)."""
    distinct = sorted({parts.of(a) for unit in units for a in unit})
    matrices = part_scores([[records[x] for x in part if x in records] for part in distinct], rules)
    return dict(zip(distinct, matrices))


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
                   edges: Sequence[tuple[str, str, float]] | dict, decisions: Sequence[Decision],
                   rules: dict | None = None) -> Event:
    """The event record: its articles by outlet, its dates with sources, and why (the evidence: its strongest
    links with what :func:`pair_evidence` finds in each pair). ``edges``: the scored pairs ``(a, b, score)``, or
    those pairs by article (:func:`edges_by_article`)."""
    rules = rules or load_rules()
    ids = [a for a, _ in members]
    recs = [records[a] for a in ids]
    inside = set(ids)
    if isinstance(edges, dict):  # edges by article: only this event's are looked at
        internal = sorted({(e[0], e[1]): e for a in ids for e in edges.get(a, ())
                           if e[0] in inside and e[1] in inside}.values())
    else:
        internal = [e for e in edges if e[0] in inside and e[1] in inside]
    # the article most like the others names the event (the most like them of those that have a title: a text
    # read without metadata has none, and an event of such articles is still named when one of them has one)
    strength = Counter()
    for a, b, s, *_ in internal:
        strength[a] += s
        strength[b] += s
    namer = min(ids, key=lambda a: (not records[a].title, -strength[a], a))
    names = Counter()
    facts = Counter()
    for r in recs:
        names.update({n for k, _, _, n in r.features.entities if not k.startswith("~")})
        facts.update(set(r.features.tallies) | set(r.features.numbers) | set(r.features.measures))
    by_outlet: dict[str, list[str]] = defaultdict(list)
    for r in recs:
        by_outlet[r.outlet or "(unknown outlet)"].append(r.article_id)
    links = sorted(((e[0], e[1], e[2]) for e in internal), key=lambda e: (-e[2], e[0], e[1]))
    cache: dict = {}
    applied = [d.id for d in decisions if set(d.linked) & inside]
    record = {
        "title": records[namer].title,
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
            "links": [{"a": a, "b": b, "score": s,
                       "evidence": pair_evidence(records[a], records[b], s, rules, cache=cache)}
                      for a, b, s in links[:12]],
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


def published_day(published: str | None) -> int | None:
    """The day (proleptic ordinal) of a publication date (``YYYY-MM-DD...``), or ``None`` when there is none or it
    cannot be read."""
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return None


def in_window(a: str | None, b: str | None, rules: dict) -> bool:
    """Whether two publication dates are close enough for the articles to be candidates (``candidate_window_days``;
    an undated article, or no window, is never ruled out)."""
    window = rules.get("candidate_window_days")
    if window is None:
        return True
    da, db = published_day(a), published_day(b)
    return da is None or db is None or abs(da - db) <= window


def search_candidates(ids: Sequence[str], vectors: Sequence[np.ndarray], index, rules: dict
                      ) -> dict[str, list[tuple[int, float]]]:
    """For each query (``ids[k]``, ``vectors[k]``), the index keys with cosine >= ``candidate_min_cosine`` and their
    similarity (the query's own key among them): the index is asked for ``candidates`` neighbours, and again for
    four times as many while the last one is still in range, up to ``max_candidates``."""
    floor = rules["candidate_min_cosine"]
    hits_of: dict[str, list[tuple[int, float]]] = {}
    pending = list(range(len(ids)))
    # an exact index scans every vector whatever the count: one search with the largest count then costs least
    exact = getattr(index, "exact", False)
    count = rules["max_candidates"] if exact else rules["candidates"]
    while pending:
        found = index.search(np.vstack([vectors[k] for k in pending]), count + 1, floor if exact else None)
        again = []
        for k, hits in zip(pending, found):
            if hits and len(hits) == min(count + 1, len(index)) and hits[-1][1] >= floor \
                    and count < rules["max_candidates"]:
                again.append(k)
            else:
                hits_of[ids[k]] = [(key, sim) for key, sim in hits if sim >= floor]
        pending = again
        count *= 4
    return hits_of


def candidate_map(queries: Sequence[ArticleRecord], index, resolve, rules: dict, dates=None
                  ) -> dict[str, list[ArticleRecord]]:
    """For each query, every record whose vector has cosine >= ``candidate_min_cosine`` with it (a range query,
    so the relation is symmetric and an incremental update finds the same pairs as a full run): the index is asked
    for ``candidates`` neighbours, and again for four times as many while the last one is still in range, up to
    ``max_candidates``. ``resolve(index keys) -> {key: ArticleRecord}`` (keys it cannot resolve are skipped).

    Records published more than ``candidate_window_days`` from the query are left out (:func:`in_window`, a
    symmetric relation too): reports of one happening come out within days of it, so a pair months apart is at most
    a storyline, which links events through the pairs of the events between them. ``dates(index keys) ->
    {key: published}`` lets the store rule them out before their records are read; without it, the records'
    own dates are used."""
    hits_of = search_candidates([q.article_id for q in queries], [q.vector for q in queries], index, rules)
    window = rules.get("candidate_window_days")
    if window is None:
        resolved = resolve(sorted({k for hits in hits_of.values() for k, _ in hits}))
        return {aid: [resolved[k] for k, _ in hits if k in resolved] for aid, hits in hits_of.items()}
    # each date read once (a query has up to max_candidates hits); what in_window says, pair by pair
    day_of = {q.article_id: published_day(q.published) for q in queries}

    def near(aid: str, day: int | None) -> bool:
        mine = day_of[aid]
        return mine is None or day is None or abs(mine - day) <= window

    if dates is not None:
        keys = sorted({k for hits in hits_of.values() for k, _ in hits})
        days = {k: published_day(p) for k, p in dates(keys).items()}
        hits_of = {aid: [(k, sim) for k, sim in hits if near(aid, days.get(k))] for aid, hits in hits_of.items()}
    resolved = resolve(sorted({k for hits in hits_of.values() for k, _ in hits}))
    days = {k: published_day(r.published) for k, r in resolved.items()}
    return {aid: [resolved[k] for k, _ in hits if k in resolved and near(aid, days[k])]
            for aid, hits in hits_of.items()}


def events_from_edges(records: Sequence[ArticleRecord], edges: Sequence[tuple[str, str, float]],
                      decisions: Sequence[Decision], rules: dict) -> list[Event]:
    """Events of ``records`` given every scored pair ``(a, b, score)`` among them."""
    by_id = {r.article_id: r for r in records}
    adjacency: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for a, b, s, *_ in edges:
        if s >= rules["event_threshold"] and a in by_id and b in by_id:
            adjacency[a].append((b, s))
            adjacency[b].append((a, s))
    parts = EventParts(lambda ids: {i: adjacency.get(i, []) for i in ids}, rules)
    by_article = edges_by_article(edges)
    out = []
    units = decision_units({parts.of(a) for a in sorted(by_id)}, decisions)
    scores = units_scores(units, parts, by_id, rules)
    for unit in units:
        relevant = [d for d in decisions if set(d.linked) & set(unit)]
        for members in cluster_unit(unit, parts, by_id, decisions, rules, scores=scores):
            out.append(describe_event(members, by_id, by_article, relevant, rules))
    return sorted(out, key=lambda e: e.id)


def edges_by_article(edges: Sequence[tuple]) -> dict[str, list[tuple]]:
    """Every edge under both of its articles."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for e in edges:
        out[e[0]].append(e)
        out[e[1]].append(e)
    return out


__all__ = ["ArticleRecord", "Decision", "Event", "score_matrix", "score_pairs", "pair_evidence", "find_edges",
           "components", "EventParts", "affected_articles", "cluster_part", "part_scores", "decision_units",
           "cluster_unit", "units_scores",
           "apply_decisions", "event_id", "event_dates", "describe_event", "cluster_events", "candidate_map",
           "search_candidates",
           "in_window", "published_day",
           "events_from_edges"]
