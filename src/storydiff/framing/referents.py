"""What each outlet calls the same thing: referents discovered by aligning noun phrases across articles.

No list of contested terms. The noun phrases of every article (``ArticleFraming.mentions``) are linked when:

* ``equated`` -- the text equates them (apposition, "the camps were vocational training centers", "describes the
  camps as ..."), inside one article;
* ``head`` -- they have the same head lemma and the same named arguments ("detention camps" / "internment camps";
  "the Chinese government" and "the French government" stay apart). A phrase without named arguments joins the
  phrases of its head that have some only when those all share one argument set;
* ``arguments`` -- they have the same two or more named arguments, whatever their head ("China's persecution of its
  Uyghur minority" / "China's treatment of Uyghurs" / "Chinese atrocities on the Uyghur population"): the same
  relation between the same parties, named differently;
* ``similar`` -- same named arguments and head words whose WordLlama vectors are close (cosine >= 0.35:
  "Xinjiang region" / "Xinjiang province");
* ``slot`` -- they fill the same slot in different articles ("passed a resolution" / "passed a motion"), when neither
  names an entity.

Names of arguments are compared after folding spelling variants (the analysis stage's corpus key) and NORP words
onto their GPE (:class:`~storydiff.framing.sides.SideResolver`: "Chinese" -> China). A referent is reported when at
least ``min_outlets`` outlets mention it with at least two different terms in all; they are ranked by how
differently the outlets name it (``divergence``), then by how many outlets mention it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from itertools import combinations

from .outlets import Item, _sorted_items, outlet_order
from .records import Evidence, Referent, TermUse
from .sides import SideResolver

HEAD_SIMILARITY = 0.35
#: Slots that align phrases: the object or the passive subject of a verb ("passed a resolution / a motion").
SLOT_RELATIONS = ("dobj", "nsubjpass")


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _divergence(distributions: list[dict]) -> float:
    """1 - the mean histogram intersection of every pair of distributions."""
    overlaps = [sum(min(p, b.get(t, 0.0)) for t, p in a.items()) for a, b in combinations(distributions, 2)]
    return 1.0 - sum(overlaps) / len(overlaps) if overlaps else 0.0


def referent_terms(items: Iterable[Item], *, min_outlets: int = 2, limit: int = 20, examples: int = 2,
                   sides: SideResolver | None = None) -> list[Referent]:
    """Referents several outlets mention, with the terms each outlet uses for them (see the module docstring).

    ``items`` are ``(outlet, article_id, Analysis, ArticleFraming)`` for the articles of one event or storyline;
    articles framed without a parse contribute nothing (they have no mentions).
    """
    from ..analysis import corpus_key

    items = _sorted_items(items)
    sides = sides or SideResolver(f for _, _, _, f in items)
    nodes = []  # (outlet, article_id, mention, args key)
    offsets: dict[str, int] = {}
    for outlet, article_id, _, f in items:
        offsets[article_id] = len(nodes)
        for m in f.mentions:
            args = frozenset((sides.side(name) or name) if label in ("GPE", "NORP") else corpus_key(name, label)
                             for _, name, label in m.args)
            nodes.append((outlet, article_id, m, args))
    uf = _UnionFind(len(nodes))
    basis: dict[tuple[int, int], str] = {}

    def link(a: int, b: int, why: str) -> None:
        if uf.find(a) != uf.find(b):
            basis[(a, b)] = why
            uf.union(a, b)

    # strong evidence first: same head with the same arguments, the same two or more arguments
    by_head: dict[str, dict[frozenset, list[int]]] = defaultdict(lambda: defaultdict(list))
    for idx, (_, _, m, args) in enumerate(nodes):
        if m.entity is None:
            by_head[m.head][args].append(idx)
    for head in sorted(by_head):
        groups = by_head[head]
        for args, members in groups.items():
            for idx in members[1:]:
                link(members[0], idx, "head")
        with_args = [a for a in groups if a]
        if frozenset() in groups and len(with_args) == 1:
            link(groups[frozenset()][0], groups[with_args[0]][0], "head")
    by_args: dict[frozenset, list[int]] = defaultdict(list)
    for idx, (_, _, m, args) in enumerate(nodes):
        if len(args) >= 2 and m.entity is None:
            by_args[args].append(idx)
    for members in by_args.values():
        for idx in members[1:]:
            link(members[0], idx, "arguments")

    # weak evidence: it may attach a lone phrase to a group, or join two groups that two articles link, but never
    # chain groups together on one sentence's say-so ("genocide" = "just one act" must not pull in every "act")
    weak: list[tuple[int, int, str]] = []
    for _, article_id, _, f in items:
        base = offsets[article_id]
        for i, m in enumerate(f.mentions):
            weak.extend((base + i, base + j, "equated") for j in m.same_as if j > i)
    single: dict[frozenset, dict[str, int]] = defaultdict(dict)
    for idx, (_, _, m, args) in enumerate(nodes):
        if len(args) == 1 and m.entity is None:
            single[args].setdefault(m.head, idx)
    pairs = [(args, h1, h2) for args, heads in single.items() for h1, h2 in combinations(sorted(heads), 2)]
    if pairs:
        from .loaded import _unit, load_vectors

        words = sorted({h for _, h1, h2 in pairs for h in (h1, h2)})
        vec = dict(zip(words, _unit(load_vectors().mean_vectors([" " + w for w in words]))))
        weak.extend((single[args][h1], single[args][h2], "similar") for args, h1, h2 in pairs
                    if float(vec[h1] @ vec[h2]) >= HEAD_SIMILARITY)
    by_slot: dict[str, list[int]] = defaultdict(list)
    for idx, (_, _, m, args) in enumerate(nodes):
        if m.slot is not None and m.entity is None and not args and m.slot.split(":")[-1] in SLOT_RELATIONS:
            by_slot[m.slot].append(idx)
    for slot in sorted(by_slot):
        members = by_slot[slot]
        heads = {nodes[i][2].head for i in members}
        if len({nodes[i][1] for i in members}) >= 2 and len(heads) == 2:
            weak.extend((members[0], idx, "slot") for idx in members[1:] if nodes[idx][2].head != nodes[members[0]][2].head)
    size = Counter(uf.find(i) for i in range(len(nodes)))
    between: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
    for a, b, why in weak:
        ra, rb = uf.find(a), uf.find(b)
        if ra != rb:
            between[(min(ra, rb), max(ra, rb))].append((a, b, why))
    for (ra, rb) in sorted(between):
        edges = between[(ra, rb)]
        ra, rb = uf.find(ra), uf.find(rb)
        if ra == rb:
            continue
        articles = {nodes[a][1] for a, b, _ in edges} | {nodes[b][1] for a, b, _ in edges}
        if min(size[ra], size[rb]) <= 1 or len(articles) >= 2:
            merged = size[ra] + size[rb]
            link(edges[0][0], edges[0][1], edges[0][2])
            size[uf.find(ra)] = merged

    components: dict[int, list[int]] = defaultdict(list)
    for idx in range(len(nodes)):
        components[uf.find(idx)].append(idx)
    why_by_root: dict[int, set] = defaultdict(set)
    for (a, _), why in basis.items():
        why_by_root[uf.find(a)].add(why)
    order = outlet_order(items)
    out = []
    for root, members in components.items():
        outlets = {nodes[i][0] for i in members}
        terms = {nodes[i][2].term for i in members}
        if len(outlets) < min_outlets or len(terms) < 2:
            continue
        per_outlet: dict[str, list[int]] = defaultdict(list)
        for i in members:
            per_outlet[nodes[i][0]].append(i)
        table = []
        distributions, head_distributions = [], []
        for outlet in (o for o in order if o in per_outlet):
            uses: dict[str, dict] = {}
            for i in per_outlet[outlet]:
                _, article_id, m, _ = nodes[i]
                u = uses.setdefault(m.term, {"count": 0, "quoted": 0, "examples": []})
                u["count"] += 1
                u["quoted"] += int(m.quoted)
                if len(u["examples"]) < examples:
                    u["examples"].append(Evidence(article_id, m.sentence))
            ranked = sorted(uses.items(), key=lambda x: (-x[1]["count"], x[0]))
            table.append((outlet, tuple(TermUse(t, u["count"], u["quoted"], tuple(u["examples"])) for t, u in ranked)))
            total = sum(u["count"] for u in uses.values())
            distributions.append({t: u["count"] / total for t, u in uses.items()})
            heads: Counter = Counter()
            for i in per_outlet[outlet]:
                heads[nodes[i][2].head] += 1 / total
            head_distributions.append(heads)
        divergence = round((_divergence(distributions) + _divergence(head_distributions)) / 2, 4)
        counts = Counter(nodes[i][2].term for i in members)
        label = sorted(counts, key=lambda t: (-counts[t], len(t), t))[0]
        out.append(Referent(label, tuple(sorted(why_by_root[root])), tuple(o for o, _ in table), tuple(table),
                            divergence))
    out.sort(key=lambda r: (-r.divergence * len(r.outlets), -len(r.outlets),
                            -sum(u.count for _, uses in r.terms for u in uses), r.label))
    return out[:limit]


__all__ = ["referent_terms", "HEAD_SIMILARITY"]
