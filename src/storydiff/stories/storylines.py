"""Storylines: events that belong to one longer story -- the same actors and issue over weeks or months.

Two events are linked when articles of one have weak pairs (scored at or above ``storyline_edge_threshold``) with
articles of the other, their profiles (centroid vector, pooled distinctive words and names) score at or above
``storyline_threshold``, and they share an actor: a name weighing at least ``storyline_actor_weight`` in both
(what differs between the events -- the date, the tally -- is not counted against them here, unlike for events).
A storyline is a connected component of linked events, ordered by when each event happened.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from .events import ArticleRecord, Event, components
from .features import load_rules


_PROFILES: dict[tuple[str, ...], tuple] = {}


def _profile(records: Sequence[ArticleRecord]) -> tuple[np.ndarray, dict[str, float], dict[str, float], dict]:
    key = tuple(r.article_id for r in records)
    if key not in _PROFILES:
        if len(_PROFILES) > 50_000:
            _PROFILES.clear()
        _PROFILES[key] = _make_profile(records)
    return _PROFILES[key]


def _make_profile(records: Sequence[ArticleRecord]) -> tuple[np.ndarray, dict[str, float], dict[str, float], dict]:
    vector = np.mean([r.vector for r in records], axis=0)
    vector = vector / (np.linalg.norm(vector) or 1.0)
    terms: dict[str, float] = defaultdict(float)
    names: dict[str, float] = defaultdict(float)
    display = {}
    for r in records:
        for t, w in r.terms.items():
            terms[t] += w
        for k, _, w, n in r.features.entities:
            names[k] += w / len(records)
            display.setdefault(k, n)
    norm = float(np.sqrt(sum(w * w for w in terms.values()))) or 1.0
    return vector, {t: w / norm for t, w in terms.items()}, dict(names), display


def link_events(a: Sequence[ArticleRecord], b: Sequence[ArticleRecord], rules: dict | None = None) -> dict | None:
    """The link between two events (``{"score", "actors"}``), or ``None`` when they are not one storyline."""
    rules = rules or load_rules()
    va, ta, na, da = _profile(a)
    vb, tb, nb, _ = _profile(b)
    w = rules["score"]
    names_a = float(np.sqrt(sum(x * x for x in na.values()))) or 1.0
    names_b = float(np.sqrt(sum(x * x for x in nb.values()))) or 1.0
    score = (w["vector"] * float(va @ vb) + w["lexical"] * sum(x * tb.get(t, 0.0) for t, x in ta.items())
             + w["entities"] * sum(x * nb.get(k, 0.0) for k, x in na.items()) / (names_a * names_b))
    floor = rules["storyline_actor_weight"]
    actors = sorted((k for k in set(na) & set(nb) if na[k] >= floor and nb[k] >= floor and not k.startswith("~")),
                    key=lambda k: (-min(na[k], nb[k]), k))
    if score < rules["storyline_threshold"] or not actors:
        return None
    return {"score": round(score, 4), "actors": [da[k] for k in actors[:6]]}


def storyline_id(event_ids: Sequence[str]) -> str:
    return "sl" + hashlib.sha256(min(event_ids).encode()).hexdigest()[:10]


def _when(event: Event) -> str:
    return event.record.get("date") or event.record.get("published") or "9999"


def group_storylines(events: Sequence[Event], records: dict[str, ArticleRecord],
                     weak_edges: Sequence[tuple[str, str, float, object]], rules: dict | None = None
                     ) -> list[tuple[str, dict, list[str]]]:
    """Storylines of two or more events among ``events``, as ``(storyline_id, record, event ids in time order)``.
    ``weak_edges`` are scored article pairs; only pairs whose articles are in two different events count."""
    rules = rules or load_rules()
    event_of = {a: ev.id for ev in events for a in ev.article_ids}
    by_id = {ev.id: ev for ev in events}
    pairs = sorted({tuple(sorted((event_of[a], event_of[b]))) for a, b, *_ in weak_edges
                    if a in event_of and b in event_of and event_of[a] != event_of[b]})
    links: dict[tuple[str, str], dict] = {}
    adjacency: dict[str, set[str]] = defaultdict(set)
    for x, y in pairs:
        link = link_events([records[a] for a in by_id[x].article_ids], [records[a] for a in by_id[y].article_ids],
                           rules)
        if link:
            links[(x, y)] = link
            adjacency[x].add(y)
            adjacency[y].add(x)
    out = []
    for comp in components(adjacency, lambda ids: {i: adjacency[i] for i in ids}):
        if len(comp) < 2:
            continue
        ordered = sorted(comp, key=lambda e: (_when(by_id[e]), e))
        biggest = max(comp, key=lambda e: (len(by_id[e].members), e))
        actors: dict[str, int] = defaultdict(int)
        for (x, y), link in links.items():
            if x in comp:
                for name in link["actors"]:
                    actors[name] += 1
        record = {
            "title": by_id[biggest].record.get("title"),
            "events": [{"id": e, "title": by_id[e].record.get("title"), "date": by_id[e].record.get("date"),
                        "published": by_id[e].record.get("published"), "articles": len(by_id[e].members)}
                       for e in ordered],
            "start": _when(by_id[ordered[0]]), "end": _when(by_id[ordered[-1]]),
            "why": {"actors": [n for n, _ in sorted(actors.items(), key=lambda kv: (-kv[1], kv[0]))][:8],
                    "links": [{"a": x, "b": y, **link} for (x, y), link in sorted(links.items()) if x in comp][:20]},
        }
        out.append((storyline_id(comp), record, ordered))
    return sorted(out, key=lambda s: s[0])


__all__ = ["link_events", "group_storylines", "storyline_id"]
