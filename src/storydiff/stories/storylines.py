"""Storylines: events that belong to one longer story -- the same actors and issue over weeks or months.

Two events are linked when articles of one have weak pairs (scored at or above ``storyline_edge_threshold``) with
articles of the other, their profiles (centroid vector, pooled distinctive words and names) score at or above
``storyline_threshold``, and they share an actor: a name weighing at least ``storyline_actor_weight`` in both
(what differs between the events -- the date, the tally -- is not counted against them here, unlike for events).
A storyline is a connected component of linked events, ordered by when each event happened; a component of more
than ``max_storyline`` events (a subject covered without pause) is cut on stricter links first, as events are
(:class:`~.events.EventParts`), so that an update regroups a bounded neighbourhood of the events it changed.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from .events import ArticleRecord, Event
from .features import load_rules
from .rows import key_hash


#: Fresh events whose links are found at once when a storyline pass starts (bounds the pairs and the partners'
#: profiles held in memory; 2,048 before 2026-12-07 evening, when profiles were made from records: now that they are
#: read back from the store, smaller chunks cost no measurable time and hold less).
PRIME_CHUNK = 512
#: Event profiles kept between chunks of fresh events (see :meth:`EventLinks._forget_profiles`; was 8,192).
PROFILES_KEPT = 2048
#: Events whose articles' records are read at once to make their profiles.
PROFILE_BATCH = 512


class Profile:
    """An event's profile: the centroid of its articles' vectors, their pooled distinctive words (L2-normalised) and
    their names by mean weight -- each as sorted arrays of the stable hashes of the words and names
    (:func:`.rows.key_hash`) with their weights -- the norm of the names, and the names that can be an actor (not
    a surname standing alone, "~..."), heaviest first, with their keys and display names. Made from the records
    (:func:`_make_profile`) or read back from the bytes the store keeps (:meth:`to_bytes` / :meth:`from_bytes`:
    the same values, as views on the bytes, ~5 KB an event): what :func:`link_profiles` compares."""

    __slots__ = ("vector", "term_h", "term_w", "name_h", "name_w", "names_norm", "actor_h", "actor_w",
                 "_lengths", "_strings", "_keys", "_strong")

    def __init__(self, vector, term_h, term_w, name_h, name_w, names_norm: float, actor_h, actor_w,
                 lengths, strings: bytes) -> None:
        self.vector, self.term_h, self.term_w, self.name_h, self.name_w = vector, term_h, term_w, name_h, name_w
        self.names_norm, self.actor_h, self.actor_w = names_norm, actor_h, actor_w
        self._lengths, self._strings = lengths, strings   # UTF-8 byte lengths of key, display, key, display ...
        self._keys: dict[int, tuple[str, str]] = {}
        self._strong: dict[float, dict[int, float]] = {}

    def strong(self, floor: float) -> dict[int, float]:
        """``{hash: weight}`` of the names that weigh at least ``floor`` and can be an actor (the actors it can
        share): the first of the actors, heaviest first."""
        if floor not in self._strong:
            m = int(np.count_nonzero(self.actor_w >= floor))
            self._strong[floor] = dict(zip(self.actor_h[:m].tolist(), self.actor_w[:m].tolist()))
        return self._strong[floor]

    def keys(self, count: int) -> dict[int, tuple[str, str]]:
        """``{hash: (key, display name)}`` of the ``count`` heaviest actors (decoded when first asked for)."""
        if len(self._keys) < count:
            ends = np.cumsum(self._lengths[: 2 * count]).tolist()
            starts = [0] + ends[:-1]
            text = [self._strings[a:b].decode("utf-8") for a, b in zip(starts, ends)]
            self._keys = dict(zip(self.actor_h[:count].tolist(), zip(text[0::2], text[1::2])))
        return self._keys

    def to_bytes(self) -> bytes:
        head = np.array([len(self.term_h), len(self.name_h), len(self.vector), len(self.actor_h)], dtype=np.int32)
        return b"".join([_PROFILE_MAGIC, head.tobytes(), np.float64(self.names_norm).tobytes(),
                         np.asarray(self.vector, dtype=np.float32).tobytes(),
                         *(np.asarray(a, dtype=t).tobytes() for a, t in (
                             (self.term_h, np.int64), (self.term_w, np.float64), (self.name_h, np.int64),
                             (self.name_w, np.float64), (self.actor_h, np.int64), (self.actor_w, np.float64),
                             (self._lengths, np.int32))),
                         self._strings])

    @classmethod
    def from_bytes(cls, blob: bytes) -> Profile:
        if blob[:4] != _PROFILE_MAGIC:
            raise ValueError("not an event profile")
        n_terms, n_names, dim, n_actors = (int(x) for x in np.frombuffer(blob, dtype=np.int32, count=4, offset=4))
        at = 20

        def take(dtype, n):
            nonlocal at
            out = np.frombuffer(blob, dtype=dtype, count=n, offset=at)
            at += out.nbytes
            return out

        names_norm = float(take(np.float64, 1)[0])
        vector = take(np.float32, dim)
        parts = [take(t, n) for t, n in ((np.int64, n_terms), (np.float64, n_terms), (np.int64, n_names),
                                         (np.float64, n_names), (np.int64, n_actors), (np.float64, n_actors),
                                         (np.int32, 2 * n_actors))]
        return cls(vector, parts[0], parts[1], parts[2], parts[3], names_norm, parts[4], parts[5], parts[6],
                   blob[at:])


_PROFILE_MAGIC = b"EP2\x00"


def _hashed(weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """``weights`` as (hashes, weights) sorted by hash."""
    h = np.fromiter(map(key_hash, weights), dtype=np.int64, count=len(weights))
    w = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
    order = np.argsort(h, kind="stable")
    return h[order], w[order]


def _make_profile(records: Sequence[ArticleRecord]) -> Profile:
    """An event's :class:`Profile`, from its articles' records."""
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
    names = dict(names)
    names_norm = float(np.sqrt(sum(x * x for x in names.values()))) or 1.0
    term_h, term_w = _hashed({t: w / norm for t, w in terms.items()})
    name_h, name_w = _hashed(names)
    actors = sorted(((-x, key_hash(k), k) for k, x in names.items() if not k.startswith("~")))
    strings = [s.encode("utf-8") for _, _, k in actors for s in (k, display[k])]
    return Profile(np.asarray(vector, dtype=np.float32), term_h, term_w, name_h, name_w, names_norm,
                   np.array([h for _, h, _ in actors], dtype=np.int64),
                   np.array([-x for x, _, _ in actors], dtype=np.float64),
                   np.array([len(b) for b in strings], dtype=np.int32), b"".join(strings))


def _shared_dot(ha: np.ndarray, wa: np.ndarray, hb: np.ndarray, wb: np.ndarray) -> float:
    """The dot product of two sparse vectors given as hashes sorted ascending with their weights; ``math.fsum`` is
    exact, so the result does not depend on the order of the shared keys."""
    if len(ha) > len(hb):
        ha, wa, hb, wb = hb, wb, ha, wa
    if not len(ha):
        return 0.0
    at = np.minimum(np.searchsorted(hb, ha), len(hb) - 1)
    hit = hb[at] == ha
    return math.fsum((wa[hit] * wb[at[hit]]).tolist())


def link_events(a: Sequence[ArticleRecord], b: Sequence[ArticleRecord], rules: dict | None = None) -> dict | None:
    """The link between two events (``{"score", "actors"}``), or ``None`` when they are not one storyline."""
    return link_profiles(_make_profile(a), _make_profile(b), rules)


def link_profiles(pa: Profile, pb: Profile, rules: dict | None = None) -> dict | None:
    """:func:`link_events` on two event profiles (``_make_profile``): what the storylines compare."""
    rules = rules or load_rules()
    w = rules["score"]
    floor = rules["storyline_actor_weight"]
    sa, sb = pa.strong(floor), pb.strong(floor)
    shared = sa.keys() & sb.keys()
    if not shared:  # checked first: it is cheap, and most candidate pairs of events fail it
        return None
    lexical = _shared_dot(pa.term_h, pa.term_w, pb.term_h, pb.term_w)
    named = _shared_dot(pa.name_h, pa.name_w, pb.name_h, pb.name_w)
    score = (w["vector"] * float(pa.vector @ pb.vector) + w["lexical"] * lexical
             + w["entities"] * named / (pa.names_norm * pb.names_norm))
    if score < rules["storyline_threshold"]:
        return None
    keys = pa.keys(len(sa))
    actors = sorted(shared, key=lambda h: (-min(sa[h], sb[h]), keys[h][0]))
    return {"score": round(score, 4), "actors": [keys[h][1] for h in actors[:6]]}


#: What a storyline reads of its events' records (:func:`describe_storyline`, :func:`_when`).
STORYLINE_FIELDS = ("title", "date", "published")


def storyline_id(event_ids: Sequence[str]) -> str:
    return "sl" + hashlib.sha256(min(event_ids).encode()).hexdigest()[:10]


def _when(event: Event) -> str:
    return event.record.get("date") or event.record.get("published") or "9999"


def describe_storyline(event_ids: Sequence[str], by_id: dict[str, Event],
                       links: dict[tuple[str, str], tuple[float, str]]) -> tuple[str, dict, list[str]]:
    """``(storyline_id, record, event ids in time order)`` of one storyline; ``links`` holds the links found
    between events (``(x, y)`` with ``x < y``: ``(score, actors as JSON)``, as the store keeps them), of which those
    inside the storyline are its evidence."""
    ordered = sorted(event_ids, key=lambda e: (_when(by_id[e]), e))
    inside = set(event_ids)
    # named by its largest event that has a title
    namer = max(event_ids, key=lambda e: (bool(by_id[e].record.get("title")), len(by_id[e].members), e))
    if len(links) > len(inside) ** 2:  # look up the pairs inside rather than scan every link found
        own = sorted(((x, y), links[(x, y)]) for x in inside for y in inside if x < y and (x, y) in links)
    else:
        own = sorted((xy, link) for xy, link in links.items() if xy[0] in inside and xy[1] in inside)
    # the actors are held as JSON until a storyline shows them
    own = [(xy, {"score": score, "actors": json.loads(actors)}) for xy, (score, actors) in own]
    actors: dict[str, int] = defaultdict(int)
    for _, link in own:
        for name in link["actors"]:
            actors[name] += 1
    record = {
        "title": by_id[namer].record.get("title"),
        "events": [{"id": e, "title": by_id[e].record.get("title"), "date": by_id[e].record.get("date"),
                    "published": by_id[e].record.get("published"), "articles": len(by_id[e].members)}
                   for e in ordered],
        "start": _when(by_id[ordered[0]]), "end": _when(by_id[ordered[-1]]),
        "why": {"actors": [n for n, _ in sorted(actors.items(), key=lambda kv: (-kv[1], kv[0]))][:8],
                "links": [{"a": x, "b": y, **link} for (x, y), link in own][:20]},
    }
    return storyline_id(event_ids), record, ordered


class EventLinks:
    """The links between events (``links(event ids) -> {event id: [(other event id, link score)]}``, for
    :class:`~.events.EventParts`): two events are candidates when a stored article pair at or above
    ``storyline_edge_threshold`` joins them, and linked when :func:`link_events` says so. ``events(ids)`` gives
    :class:`Event` objects, ``event_of(article ids)`` the event of each article, ``pairs(article ids)`` the stored
    pairs ``(a, b, score)`` touching them, ``records(article ids)`` their :class:`ArticleRecord` (each may leave
    out what it does not know). Links found are kept in ``found`` (the storylines' evidence), as ``(score, actors
    as JSON)``: a first pass finds every link of the store (90,379 for the 37,554 AllSides articles), and a tuple and
    a string hold one in less than half the memory of the dict and list :func:`link_profiles` gives.

    With ``stored(event ids) -> [(a, b, score, actors_json)]`` (the links an earlier pass kept), only the links of
    the ``fresh`` events (written since) are found -- all of them at the first call, so that a kept event's links
    to fresh ones are known whenever it is asked for -- and every other event's links are read, not found again:
    walking past an event costs one lookup instead of reading its articles. :meth:`new_links` gives what to keep."""

    def __init__(self, events, event_of, pairs, records, rules: dict | None = None, *, stored=None,
                 fresh: Iterable[str] = (), profiles=None, keep=None) -> None:
        self._events, self._event_of, self._pairs, self._records = events, event_of, pairs, records
        # profiles(event ids) -> {event id: bytes}: the profiles kept with the events (Profile.to_bytes); those
        # made here from records instead are handed to keep([(event id, bytes)]), a batch at a time
        self._stored_profiles, self._keep = profiles, keep
        self._stored = stored
        self._fresh = set(fresh)
        self._fresh_links: dict[str, list[tuple[str, float]]] | None = None
        # a kept event's links to fresh events (not stored yet)
        self._to_fresh: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self.rules = rules or load_rules()
        self.known: dict[str, Event] = {}
        self.found: dict[tuple[str, str], tuple[float, str]] = {}
        self._checked: dict[tuple[str, str], tuple[float, str] | None] = {}
        # an event's profile (centroid, words, names), not its articles' records: what memory holds per event
        self._profiles: dict[str, tuple | None] = {}
        # when each event's profile was last used (the chunk of fresh events being linked): _forget_profiles
        self._used: dict[str, int] = {}
        self._generation = 0

    def _remember(self, event_ids: Iterable[str]) -> None:
        """Read the events not known yet, and keep what a storyline shows of each (:func:`describe_storyline`), not
        its record's evidence: after a first run every event is fresh, and their full records were held to the end
        of the pass."""
        missing = [e for e in event_ids if e not in self.known]
        # a batch at a time: a first pass remembers every event of the store, and their full records (with their
        # evidence) are what is read
        for i in range(0, len(missing), PROFILE_BATCH):
            for e, ev in self._events(missing[i:i + PROFILE_BATCH]).items():
                self.known[e] = Event(ev.id, ev.members, {k: ev.record.get(k) for k in STORYLINE_FIELDS})

    def event(self, event_id: str) -> Event:
        self._remember([event_id])
        return self.known[event_id]

    def _forget_profiles(self) -> None:
        """Keep the ``PROFILES_KEPT`` profiles used last: the next chunk of fresh events (in time order) needs mostly
        the partners of the chunks just before it, published around the same time. Memory then holds a bounded
        number of profiles rather than one per event of the store (all are fresh after a first run); a profile let
        go and needed again is made again, the same."""
        if len(self._profiles) > PROFILES_KEPT:
            recent = sorted(self._profiles, key=lambda e: (-self._used.get(e, -1), e))[:PROFILES_KEPT]
            self._profiles = {e: self._profiles[e] for e in recent}

    def _in_time_order(self, event_ids: list[str]) -> list[str]:
        """``event_ids`` by when their first article was published (then by id): an event's partners are published
        around it (the candidate window), so chunks of events in this order share most of them."""
        self._remember(event_ids)
        return sorted(event_ids, key=lambda e: (self.known[e].record.get("published") or "" if e in self.known
                                                else "", e))

    def _load_profiles(self, event_ids: Iterable[str]) -> None:
        """Profiles of the events not yet profiled: those kept with the events read back, the others made from one
        read of their articles' records (then let go), a batch of ``PROFILE_BATCH`` events at a time: the records
        are what a profile is made from, not what is kept."""
        missing = sorted({e for e in event_ids if e not in self._profiles})
        if not missing:
            return
        if self._stored_profiles is not None:
            for i in range(0, len(missing), PROFILE_BATCH):
                for e, blob in self._stored_profiles(missing[i:i + PROFILE_BATCH]).items():
                    try:
                        self._profiles[e] = Profile.from_bytes(blob)
                    except ValueError:   # kept by another version of the format: made again below, and kept
                        pass
            missing = [e for e in missing if e not in self._profiles]
        self._remember(missing)
        for i in range(0, len(missing), PROFILE_BATCH):
            batch = missing[i:i + PROFILE_BATCH]
            records = self._records(sorted({a for e in batch for a in self.event(e).article_ids}))
            made = []
            for e in batch:
                mine = [records[a] for a in self.event(e).article_ids if a in records]
                self._profiles[e] = _make_profile(mine) if mine else None
                if self._keep is not None and isinstance(self._profiles[e], Profile):
                    made.append((e, self._profiles[e].to_bytes()))
            del records
            if made:
                self._keep(made)

    def __call__(self, event_ids: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
        if self._stored is None:
            return self._find(event_ids)
        if self._fresh_links is None:
            # in chunks, so that the pairs read at once stay bounded (a store migrated from before kept links has
            # every event fresh); a link between two chunks is found once and given to both
            self._fresh_links = {}
            fresh = self._in_time_order(sorted(self._fresh))
            for i in range(0, len(fresh), PRIME_CHUNK):
                self._fresh_links.update(self._find(fresh[i:i + PRIME_CHUNK]))
                self._generation += 1
                self._forget_profiles()
            self._profiles, self._checked = {}, {}   # only finding links needs them, and nothing is found after
            for (x, y), link in self.found.items():
                for here, there in ((x, y), (y, x)):
                    if here not in self._fresh:
                        self._to_fresh[here].append((there, link[0]))
        out = {e: list(self._fresh_links[e]) if e in self._fresh else list(self._to_fresh.get(e, ()))
               for e in event_ids}
        for x, y, score, actors in self._stored([e for e in event_ids if e not in self._fresh]):
            self.found[(x, y)] = (score, actors)   # JSON: decoded if a storyline shows it
            for here, there in ((x, y), (y, x)):
                if here in out:
                    out[here].append((there, score))
        return out

    def new_links(self) -> list[tuple[str, str, float, str]]:
        """The links found for the fresh events, as ``(a, b, score, actors_json)`` (what ``stored`` reads)."""
        self([])
        return [(x, y, score, actors) for (x, y), (score, actors) in sorted(self.found.items())
                if x in self._fresh or y in self._fresh]

    def _find(self, event_ids: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
        """The links of ``event_ids``, found from their articles' pairs and the events' profiles."""
        self._remember(event_ids)
        articles = sorted({a for e in event_ids if e in self.known for a in self.known[e].article_ids})
        pairs = self._pairs(articles)
        partners = sorted({x for a, b, _ in pairs for x in (a, b)})
        owner = self._event_of(partners)
        out: dict[str, list[tuple[str, float]]] = {e: [] for e in event_ids}
        candidates = sorted({tuple(sorted((owner[a], owner[b]))) for a, b, _ in pairs
                             if a in owner and b in owner and owner[a] != owner[b]
                             and (owner[a] in out or owner[b] in out)})
        self._load_profiles(e for pair in candidates if pair not in self._checked for e in pair)
        for pair in candidates:
            for e in pair:
                self._used[e] = self._generation
        for x, y in candidates:
            if (x, y) not in self._checked:
                px, py = self._profiles[x], self._profiles[y]
                link = link_profiles(px, py, self.rules) if px and py else None
                if link:
                    link = self.found[(x, y)] = (link["score"], json.dumps(link["actors"], ensure_ascii=False))
                self._checked[(x, y)] = link
            link = self._checked[(x, y)]
            if link:
                for here, there in ((x, y), (y, x)):
                    if here in out:
                        out[here].append((there, link[0]))
        return out


def group_storylines(events: Sequence[Event], records: dict[str, ArticleRecord],
                     weak_edges: Sequence[tuple[str, str, float, object]], rules: dict | None = None
                     ) -> list[tuple[str, dict, list[str]]]:
    """Storylines of two or more events among ``events``, as ``(storyline_id, record, event ids in time order)``.
    ``weak_edges`` are scored article pairs; only pairs whose articles are in two different events count. A
    connected group of linked events larger than ``max_storyline`` is cut on stricter links first (the ladder of
    :class:`~.events.EventParts`), which keeps the regrouping after an update local."""
    from .events import EventParts

    rules = rules or load_rules()
    by_id = {ev.id: ev for ev in events}
    event_of = {a: ev.id for ev in events for a in ev.article_ids}
    by_article: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for a, b, s, *_ in weak_edges:
        by_article[a].append((a, b, s))
        by_article[b].append((a, b, s))
    links = EventLinks(lambda ids: {e: by_id[e] for e in ids if e in by_id},
                       lambda ids: {a: event_of[a] for a in ids if a in event_of},
                       lambda ids: sorted({e for a in ids for e in by_article.get(a, ())}),
                       lambda ids: {a: records[a] for a in ids if a in records}, rules)
    parts = EventParts(links, rules, threshold=rules["storyline_threshold"], limit=rules["max_storyline"])
    groups = {parts.of(e) for e in sorted(by_id)}
    return sorted((describe_storyline(g, by_id, links.found) for g in groups if len(g) >= 2), key=lambda s: s[0])


__all__ = ["EventLinks", "Profile", "describe_storyline", "group_storylines", "link_events", "link_profiles",
           "storyline_id"]
