"""The stories stage: group articles into events and storylines, and put the events on a timeline.

``update_stories(store)`` brings the store's events up to date, incrementally:

1. **Per-article maps** (pure, like the analysis stage): every article without a current vector gets one
   (:mod:`.embed`: title + lead, wordllama by default) and its distinctive words; every analysed article without
   current features gets a :class:`~.features.StoryFeatures` record (names by corpus key, facts, happening dates).
2. **Candidate search**: for each new or changed article only, the vector index (:mod:`.index`) returns the
   stored articles within a cosine range, less those published more than ``candidate_window_days`` from it; two
   articles are a pair when either finds the other, and each pair is scored once (:func:`.events.score_pairs`;
   exactly the same score in any batch, so the pairs do not depend on chunks or workers); pairs at or above the
   storyline threshold are stored (their evidence is written out when an event shows them). Cost: the new articles
   times the index lookups.
3. **Events**: the corpus is cut into parts (:class:`.events.EventParts`: components of the pairs at or above the
   event threshold, cut on stricter pairs when larger than ``max_component``), and average linkage runs on each.
   Only the parts that can have changed are clustered again: those of the changed articles and of their
   neighbours, as they were before and are now, closed under their old events and the user's decisions (shown
   exact in ``EventParts``). Finding a part reads a bounded neighbourhood, so this costs what the new articles
   cost, not what the store holds. The user's decisions are applied; events are written with their dates and
   evidence. Everything else in the store is untouched.
4. **Storylines** (:func:`update_storylines`): the events reachable from the changed ones through storyline links
   are grouped again. The links found between events are kept in the store, so walking past an event that did not
   change reads its links instead of its articles.

``merge_events``, ``split_event`` and ``pin_article`` record a user decision and re-cluster what it touches; the
decisions are kept in the store and applied after every later clustering, so they survive it.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import multiprocessing
import os
import tempfile
import time
import zlib
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from sys import intern

import numpy as np

from ..errors import StorydiffError
from .embed import DEFAULT_EMBEDDER, article_terms, embed_articles, load_embedder
from .events import (ArticleRecord, Decision, Event, EventParts, affected_articles, cluster_events, cluster_unit,
                     decision_units, describe_event, edges_by_article, event_id, find_edges, published_day,
                     search_candidates, units_scores)
from .features import FEATURES_VERSION, NAMES_VERSION, StoryFeatures, load_rules, name_features, story_features
from .index import VectorIndex
from .rows import ScoringRow, decode_row, encode_row, row_of
from .storylines import EventLinks, _make_profile

BATCH = 256
#: Changed articles whose candidates are searched and scored at once (bounds the memory of a large update).
QUERY_CHUNK = 4096
#: Distinct candidates a pair-scoring task reads at most (a chunk with more is cut into more tasks).
TASK_CANDIDATES = 8192
#: Articles whose parts a clustering task takes at most (fewer when an update re-clusters few, so that each worker
#: has several): a task holds its articles' records and its events' profiles (a first run on the 37,554
#: AllSides articles on 2 workers: 4,096 -> 2,048 lowered the workers' peak from 484-487 to 413-414 MB at the
#: same CPU; 1,024 gave 387-390 MB for ~5% more CPU).
CLUSTER_CHUNK = 2048


class StoriesError(StorydiffError):
    """A stories command cannot be carried out (an unknown event or article, a split that leaves nothing)."""


@dataclass(frozen=True)
class StoriesSummary:
    """What one update did. ``waiting`` counts articles that have a vector but no analysis yet (run
    ``storydiff analyze``): they join events once analysed."""

    embedded: int
    featured: int
    changed: int
    reclustered: int
    events: int
    storylines: int
    waiting: int
    index_rebuilt: bool
    seconds: float
    #: events re-clustered that came out exactly as stored (left as they were, storyline and links included)
    unchanged: int = 0
    #: articles the update looked at from the store's log of changes; None: it scanned the whole store (the first
    #: update of a store, or with other settings than the last: another model, features version or names mode)
    looked_at: int | None = None


@dataclass(frozen=True)
class GroupFirstSummary:
    """What :func:`group_first` did: ``rounds`` of analysis (each followed by a stories update), ``analysed``
    articles parsed in all, ``alone``: articles still unanalysed because they are alone in their event, or their
    event holds one source only (nothing to compare them with; ``storydiff analyze`` parses them too), ``last``: the
    final stories update."""

    rounds: int
    analysed: int
    alone: int
    last: StoriesSummary
    seconds: float


def _vector_rows(articles, embedder: str) -> list[tuple[str, str, str, bytes, str]]:
    """The embedding map of a chunk of articles: ``(id, text_hash, model, float32 vector, distinctive words)``."""
    model = load_embedder(embedder)
    vectors = embed_articles(articles, model)
    return [(a.id, a.text_hash, model.name, v.astype(np.float32).tobytes(),
             json.dumps(article_terms(a), ensure_ascii=False, separators=(",", ":")))
            for a, v in zip(articles, vectors)]


def _with_rows(items, terms: dict[str, tuple[bytes, str]]):
    """``(features rows, scoring rows)`` of a features map's ``(article id, text_hash, version, features)``: the
    scoring row (:mod:`.rows`) made at once for each article whose vector and words are stored (``terms``), rather
    than read back and decoded after."""
    rows, scoring = [], []
    for aid, text_hash, version, feats in items:
        rows.append((aid, text_hash, version, feats.to_json()))
        if aid in terms:
            blob, words = terms[aid]
            record = ArticleRecord(aid, np.frombuffer(blob, dtype=np.float32), json.loads(words), feats)
            scoring.append((aid, encode_row(record).to_bytes()))
    return rows, scoring


def _feature_rows(chunk) -> tuple[list, list]:
    """The features map of a chunk of ``(analysis, corpus keys, (title, outlet, published, text_hash))`` (with the
    chunk's stored vectors and words): features rows and scoring rows."""
    items, terms = chunk
    return _with_rows(((an.article_id, text_hash, FEATURES_VERSION,
                        story_features(an, keys, outlet=outlet, published=published))
                       for an, keys, (_, outlet, published, text_hash) in items), terms)


def _name_rows(chunk) -> tuple[list, list]:
    """The names-only features map of a chunk of articles (grouping before the analysis), as :func:`_feature_rows`."""
    articles, terms = chunk
    return _with_rows(((a.id, a.text_hash, NAMES_VERSION, name_features(a)) for a in articles), terms)


def _read_articles(store, ids: list[str]) -> list:
    return list(store.iter_articles(ids))


def _stored_terms(store, ids: list[str]) -> dict[str, tuple[bytes, str]]:
    return {aid: (blob, terms) for aid, _, blob, terms in store.story_vectors(ids)}


def _read_named(store, ids: list[str]) -> tuple[list, dict]:
    """What the names-only features map needs: the articles, and their stored vectors and words."""
    return list(store.iter_articles(ids)), _stored_terms(store, ids)


def _read_analysed(store, ids: list[str]) -> tuple[list, dict]:
    """What the features map needs of each analysed article: ``(analysis, corpus keys, meta)``; and the chunk's
    stored vectors and words."""
    keys = store.entity_corpus_keys(ids)
    meta = store.article_meta(ids)
    return ([(an, keys.get(an.article_id, {}), meta[an.article_id]) for an in store.iter_analyses(ids)],
            _stored_terms(store, ids))


def _map_task(read, work, ids: list[str]):
    """A map's chunk in a worker that opened the store itself (:func:`_open_worker`)."""
    return work(read(_worker["store"], ids))


class _MapPool:
    """Runs the per-article maps of an update: ``run(chunks, read, work, write)`` is ``write(work(read(store,
    chunk)))`` for each chunk of article ids, in order. ``work`` is pure and runs in a pool of ``workers`` processes
    (started once, for the whole update, when there are at least two chunks in all); each worker reads its chunk
    from the store itself (opened by its URL; SQLite's write-ahead log lets it read while this process writes), so
    this process only writes, a few chunks behind what is read. A store with no URL to open again (in memory) is
    read here and the inputs handed over."""

    def __init__(self, store, workers: int, chunks: int) -> None:
        self._store = store
        self._workers = workers
        self._pool = None
        url = getattr(store, "url", None)
        self._url = url if url and not str(url).endswith(":memory:") else None
        if workers > 1 and chunks > 1:
            # the embedder's tokenizer may have used threads in this process: forked children must not
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            opened = {"initializer": _open_worker, "initargs": (self._url, {})} if self._url else {}
            self._pool = multiprocessing.get_context("fork").Pool(workers, **opened)

    def run(self, chunks, read, work, write) -> None:
        if self._pool is None:
            for chunk in chunks:
                write(work(read(self._store, chunk)))
            return
        in_flight: deque = deque()
        for chunk in chunks:
            if self._url is not None:
                in_flight.append(self._pool.apply_async(_map_task, (read, work, chunk)))
            else:
                in_flight.append(self._pool.apply_async(work, (read(self._store, chunk),)))
            if len(in_flight) >= 2 * self._workers:
                write(in_flight.popleft().get())
        while in_flight:
            write(in_flight.popleft().get())

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()


#: Articles below which an update scores and clusters in this process (a pool costs more than it saves).
POOL_QUERIES = 512

_worker: dict = {}


def _open_worker(url: str, rules: dict) -> None:
    from ..store import open_store

    _worker.update(store=open_store(url), rules=rules, cache={})


def _in_worker(fn, task):
    result, _worker["cache"] = fn(_worker["store"], _worker["rules"], _worker["cache"], task)
    return result


def _rows(store, ids: Iterable[str], cache: dict[str, ScoringRow]) -> dict[str, ScoringRow]:
    """The scoring rows of ``ids``: those of the last task (``cache``), the others read."""
    rows = {a: cache[a] for a in ids if a in cache}
    rows.update(load_rows(store, [a for a in ids if a not in rows]))
    return rows


def _score_task(store, rules: dict, cache: dict, cands: dict[str, list[str]]):
    """The pairs at or above the storyline edge threshold between each query and its candidates (article ids);
    and the scoring rows read, kept for the next task (queries in publication order share most candidates)."""
    rows = _rows(store, sorted(set(cands) | {c for found in cands.values() for c in found}), cache)
    queries = [rows[q] for q in cands if q in rows]
    found = {q: [rows[c] for c in cs if c in rows] for q, cs in cands.items()}
    return find_edges(queries, found, rules["storyline_edge_threshold"], rules), rows


class _PartsOf(dict):
    """``of(article) -> part`` from a mapping (what :func:`.events.cluster_unit` asks of :class:`EventParts`)."""

    def of(self, article_id: str) -> tuple[str, ...]:
        return self[article_id]


def _cluster_task(store, rules: dict, cache: dict, task):
    """The events of a batch of units, as ``(event_id, date, record_json, members)``, and their storyline profiles:
    ``task`` is ``(units, parts of their articles, decisions, ids present, ids changed)``. The parts are clustered
    from the articles' scoring rows; an event that comes out with the members of a stored one, no article changed
    and no decision touching it, is that event as stored (its record is made from the same records, pairs and
    decisions), returned with no date and record and not described again; the records are read for the others
    only."""
    units, parts, decisions, present, changed = task
    rows = _rows(store, present, cache)
    scores = units_scores(units, parts, rows, rules)
    clusters = []   # (event id, members, the decisions touching its unit)
    for unit in units:
        relevant = [d for d in decisions if set(d.linked) & set(unit)]
        clusters.extend((event_id(a for a, _ in members), members, relevant)
                        for members in cluster_unit(unit, parts, rows, decisions, rules, scores=scores))
    changed = set(changed)
    maybe = {eid: members for eid, members, relevant in clusters
             if not relevant and not any(a in changed for a, _ in members)}
    stored = store.event_members(sorted(maybe))
    same = {eid for eid, members in maybe.items() if stored.get(eid) == sorted(members)}
    need = sorted({a for eid, members, _ in clusters if eid not in same for a, _ in members})
    records = load_records(store, need, rows=False)
    by_article = edges_by_article(store.story_links(need))
    events, profiles = [], {}
    for eid, members, relevant in clusters:
        if eid in same:
            events.append((eid, None, None, members))
            continue
        ev = describe_event(members, records, by_article, relevant, rules)
        # as the store writes it (a JSON string is what the main process holds of each event until it is written)
        events.append((ev.id, ev.record.get("date"), json.dumps(ev.record, ensure_ascii=False), ev.members))
        # its storyline profile, made here from the records just read (the storyline pass reads it back)
        mine = [records[a] for a, _ in members if a in records]
        if mine:
            profiles[eid] = _make_profile(mine).to_bytes()
    return (events, profiles), rows


class _StoreWorkers:
    """The corpus steps of an update (pair scoring, clustering) as tasks ``fn(store, rules, cache, task) ->
    (result, cache)``: with more than one worker and at least ``POOL_QUERIES`` articles to handle, in a pool of
    processes that each open the store by its URL and read their records themselves; otherwise in this process.
    ``submit(fn, task, write)`` calls ``write(result)`` in the order tasks were submitted (a few tasks ahead of
    what is written). A pair scores the same in any batch and a unit is clustered from its own records, so the
    results are those of one process. Each process keeps the records of its last task."""

    def __init__(self, store, rules: dict, workers: int, size: int) -> None:
        self._store, self._rules, self.workers = store, rules, workers
        self._cache: dict[str, ArticleRecord] = {}
        self._pool = None
        self._in_flight: deque = deque()
        url = getattr(store, "url", None)
        if workers > 1 and size >= POOL_QUERIES and url and not str(url).endswith(":memory:"):
            self._pool = multiprocessing.get_context("fork").Pool(workers, initializer=_open_worker,
                                                                  initargs=(url, rules))

    @property
    def parallel(self) -> bool:
        return self._pool is not None

    def submit(self, fn, task, write) -> None:
        if self._pool is None:
            result, self._cache = fn(self._store, self._rules, self._cache, task)
            write(result)
            return
        self._in_flight.append((self._pool.apply_async(_in_worker, (fn, task)), write))
        while len(self._in_flight) > 2 * self.workers:
            self._write_next()

    def _write_next(self) -> None:
        pending, write = self._in_flight.popleft()
        write(pending.get())

    def drain(self) -> None:
        while self._in_flight:
            self._write_next()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.drain()
        finally:
            self._cache = {}
            if self._pool is not None:
                self._pool.terminate()
                self._pool.join()


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def load_records(store, ids: Iterable[str], *, rows: bool = True) -> dict[str, ArticleRecord]:
    """The clustering records of the given articles (those with both a vector and features). ``rows``: with their
    stored scoring rows (:mod:`.rows`; a record without one makes it when first scored)."""
    ids = list(ids)
    feats = store.story_features(ids)
    meta = store.article_meta(ids)
    stored = {aid: (vector, row) for aid, vector, row in store.story_rows(ids)} if rows else {}
    out = {}
    for aid, _, blob, terms in store.story_vectors(ids):
        if aid in feats:
            # words interned: they recur across articles, and a large update holds many records at once
            words = {intern(w): x for w, x in json.loads(terms).items()}
            vector = np.frombuffer(blob, dtype=np.float32).copy()
            row = decode_row(aid, *stored[aid]) if aid in stored else None
            out[aid] = ArticleRecord(aid, vector, words, StoryFeatures.from_json(feats[aid]),
                                     (meta.get(aid) or (None,))[0], row)
    return out


def load_rows(store, ids: Iterable[str]) -> dict[str, ScoringRow]:
    """The scoring rows (:mod:`.rows`) of the given articles that have a vector and features: what scoring their
    pairs reads (no strings; ~3 KB an article). Rows the store lacks are made from the records."""
    ids = list(ids)
    out = {aid: decode_row(aid, vector, row) for aid, vector, row in store.story_rows(ids)}
    missing = [a for a in ids if a not in out]
    if missing:
        out.update((aid, row_of(r)) for aid, r in load_records(store, missing, rows=False).items())
    return out


def _read_records(store, ids: list[str]) -> list[ArticleRecord]:
    return list(load_records(store, ids, rows=False).values())


def _row_blobs(records: list[ArticleRecord]) -> list[tuple[str, bytes]]:
    return [(r.article_id, encode_row(r).to_bytes()) for r in records]


def _decisions(store) -> list[Decision]:
    return [Decision(i, kind, tuple(a), tuple(o), note, created) for i, kind, a, o, note, created
            in store.story_decisions()]


def _stored_events(store, event_ids: Iterable[str]) -> dict[str, Event]:
    event_ids = sorted(set(event_ids))
    members = store.event_members(event_ids)
    return {eid: Event(eid, members.get(eid, []), json.loads(record))
            for eid, _, _, record in store.get_events(event_ids)}


def _links(store, threshold: float):
    """``links(ids) -> {id: [(other, score)]}`` over the store's pairs at or above ``threshold``."""
    def links(ids):
        out: dict[str, list[tuple[str, float]]] = {i: [] for i in ids}
        for a, b, s in store.story_links(ids, threshold):
            # interned: each row brings new strings for its two ids, and finding the parts around a +500 update of
            # the 37,054-article store reads 370,284 pairs of 8,704 articles (a peak of 381 MB, 353 interned)
            a, b = intern(a), intern(b)
            if a in out:
                out[a].append((b, s))
            if b in out:
                out[b].append((a, s))
        return out
    return links


def _links_before(links, changed: set[str], old_links: Sequence[tuple[str, str, float]]):
    """The pairs as they were before this update replaced those of the ``changed`` articles with ``old_links``."""
    old: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for a, b, s in old_links:
        old[a].append((b, s))
        old[b].append((a, s))

    def before(ids):
        now = links([i for i in ids if i not in changed])
        out = {}
        for i in ids:
            # the pairs' tuples shared with the graph now, not copied (370,284 pairs around a +500 update at 37k)
            kept = [] if i in changed else [pair for pair in now[i] if pair[0] not in changed]
            out[i] = kept + [(o, s) for o, s in old.get(i, ()) if i in changed or o in changed]
        return out
    return before


#: The garbage collector's thresholds during an update (see :func:`_fewer_collections`).
GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def _fewer_collections():
    """Collect garbage less often while an update builds and lets go of many records (and so in the worker
    processes it forks). The records hold no reference cycles, yet every ~700 allocations start a collection, and
    the full ones walk every object held: about a tenth of the CPU of a +1,000 update into the 36,554-article store
    (in one process: 35.6-36.2 CPU s, against 31.9-32.7 with these thresholds; bench/README.md). Cycles are still
    collected, after 100,000 allocations instead of 700."""
    old = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)


def update_stories(store, *, embedder: str = DEFAULT_EMBEDDER, rules: dict | None = None,
                   reconsider: Iterable[str] = (), on_progress: Callable[[str, int, int], None] | None = None,
                   unanalysed: str = "wait", regroup_storylines: bool = True, workers: int = 1) -> StoriesSummary:
    """Bring events and storylines up to date with the store (see the module docstring). ``reconsider`` names
    articles whose events are clustered again even if nothing about them changed (after a user decision).

    ``unanalysed``: what happens to articles the analysis stage has not seen. ``wait`` (default): they join events
    once analysed. ``names``: they are grouped now on features made without the analysis
    (:func:`.features.name_features`), and their features are made again from the analysis once they have one --
    so a large corpus can be grouped first and only the articles of multi-article events analysed
    (:func:`articles_to_analyze`).

    ``regroup_storylines=False`` leaves the storylines for a later :func:`update_storylines` (or update): the
    events written are marked in the store, so nothing is missed (group first regroups once, at the end).

    ``workers``: processes for the per-article maps (embedding, distinctive words, features), threads for the
    index search, and processes for scoring the candidate pairs and clustering the parts (each reads its records
    from the store; the results are those of one process); finding the affected parts and the storylines run in
    this process."""
    if unanalysed not in ("wait", "names"):
        raise ValueError(f"unanalysed must be 'wait' or 'names', not {unanalysed!r}")
    with _fewer_collections():
        return _update_stories(store, embedder, rules, reconsider, on_progress, unanalysed, regroup_storylines,
                               workers)


def _update_stories(store, embedder, rules, reconsider, on_progress, unanalysed, regroup_storylines, workers
                    ) -> StoriesSummary:
    started = time.perf_counter()
    rules = rules or load_rules(embedder=embedder)
    model = load_embedder(embedder)
    threshold = rules["event_threshold"]
    changed: set[str] = set()

    # 1. per-article maps (in a pool of ``workers`` processes when there is more than one chunk)
    added: dict[int, np.ndarray] = {}
    removed: list[int] = []
    # what to look at: the articles stored or analysed since the last update (the store's log of changes), or, when
    # the log is relative to other settings (another model or features version, the other ``unanalysed`` mode, or
    # a store from before the log), every article once. Read before anything else, so that all it names was
    # stored before the scans below; what is stored from here on is the next update's
    state = json.dumps({"model": model.name, "features": FEATURES_VERSION,
                        "names": NAMES_VERSION if unanalysed == "names" else None}, sort_keys=True)
    upto, logged = store.story_changes()
    look = logged if store.story_changes_state() == state else None
    del logged
    pending = store.pending_story_vectors(model.name, look)
    written = 0
    # the index is opened before new vectors are stored, so that a current index file is updated rather than
    # rebuilt; an update that stores no vector opens it only if it has articles to search for (an update with
    # nothing to do reads no index: loading and saving it is the one cost that grows with the store)
    index = _open_index(store, model, workers) if pending else None

    def write_vectors(rows):
        nonlocal written
        for (aid, (key, old)), row in zip(store.write_story_vectors(rows).items(), rows):
            added[key] = np.frombuffer(row[3], dtype=np.float32).copy()
            if old is not None:
                removed.append(old)
            changed.add(aid)
        written += len(rows)
        if on_progress:
            on_progress("embed", written, len(pending))

    def write_features(result):
        rows, scoring = result
        store.write_story_features(rows)
        store.write_story_rows(scoring)
        changed.update(r[0] for r in rows)

    named = store.pending_name_features(NAMES_VERSION, look) if unanalysed == "names" else []
    pending_features = store.pending_story_features(FEATURES_VERSION, look)
    with _MapPool(store, workers, sum(-(-len(x) // BATCH) for x in (pending, pending_features, named))) as pool:
        pool.run(list(_chunks(pending, BATCH)), _read_articles, partial(_vector_rows, embedder=embedder),
                 write_vectors)
        pool.run(list(_chunks(pending_features, BATCH)), _read_analysed, _feature_rows, write_features)
        pool.run(list(_chunks(named, BATCH)), _read_named, _name_rows, write_features)
    # the scoring rows of the articles whose terms or features were written (or of a store made before them)
    rowless = store.story_rows_missing(look)
    with _MapPool(store, workers, -(-len(rowless) // BATCH)) as pool:
        pool.run(list(_chunks(rowless, BATCH)), _read_records, _row_blobs, store.write_story_rows)
    ready = set(store.story_ready_ids(look))     # of the articles looked at
    clustered = store.events_of(sorted(ready))
    changed = (changed & ready) | (ready - set(clustered))
    looked_at = None if look is None else len(look)
    del ready, clustered, look
    # what an interrupted update left: articles whose pairs it began to replace and whose events it did not write
    marked, kept_links = store.stories_pending()
    changed |= set(store.story_ready_ids(marked))
    waiting = store.count_articles() - store.count_story_ready()

    # 2. candidate search for the changed articles only
    query_ids = sorted(changed)
    if index is None and query_ids:
        index = _open_index(store, model, workers)
    if index is not None:
        index.update(added, removed)
    added.clear()   # the index holds them now (37,554 vectors: ~40 MB held for the rest of the update)
    removed.clear()
    decisions = _decisions(store)
    # the graph before this update, around the changes: for the articles an interrupted update marked, their pairs
    # as it kept them before replacing any (it may have written new ones since)
    marked_set = set(marked)
    old_links = [link for link in store.story_links(query_ids, threshold)
                 if link[0] not in marked_set and link[1] not in marked_set] + list(kept_links)
    del kept_links
    if query_ids:
        # in chunks of queries, so that memory holds one chunk's records, candidates and pairs, whatever the size
        # of the update or of the corpus. Two articles are a pair when either finds the other (the search is capped
        # at max_candidates and approximate above index.EXACT_LIMIT, so one may find the other and not be found back);
        # a pair of two queries is scored once, in the chunk of whichever finds the other first, so the pairs do
        # not depend on how the queries are cut into chunks
        # marked, with their pairs before, until their events are written: an update interrupted from here on is
        # finished by the next one (it treats them as changed and reads their pairs before from the marks)
        store.mark_stories_pending(query_ids, old_links)
        store.replace_story_edges(query_ids, [])
        # chunks in publication order: a chunk's candidates (within candidate_window_days of its articles) are then
        # mostly in it and in the chunk before, whose records are kept instead of being read again (the edges do
        # not depend on the order or on the chunks: every pair scores the same in any batch)
        meta = store.article_meta(query_ids)
        in_order = sorted(query_ids, key=lambda a: ((meta.get(a) or (None,) * 3)[2] or "", a))
        del meta   # titles and hashes too: ~15 MB for the 37,554 queries of a first run, not held through the search
        position = {a: n for n, a in enumerate(in_order)}
        window = rules.get("candidate_window_days")
        # for a query, the queries before it that found it (their pair is scored already, under them): as positions
        # in ``in_order``, kept for the chunk of the query found as two arrays (found, finder) per earlier chunk --
        # 8 bytes a pair, where sets of ids took ~34 MB for the 483,274 such pairs of a first run over 37,554
        # articles (the first chunk is undated: its queries find candidates across the whole store)
        found_by: dict[int, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
        def write_edges(edges):
            # no evidence stored: an event writes out the evidence of the links it shows (describe_event)
            store.replace_story_edges([], [(a, b, s, "") for a, b, s in edges])

        with _StoreWorkers(store, rules, workers, len(query_ids)) as pool:
            for n, chunk in enumerate(_chunks(in_order, QUERY_CHUNK)):
                own = {aid: (key, np.frombuffer(blob, dtype=np.float32)) for aid, key, blob, _
                       in store.story_vectors(chunk)}
                ids = [a for a in chunk if a in own]
                hits_of = _hit_keys(ids, [own[a][1] for a in ids], index, rules)
                keys = np.unique(np.concatenate([*hits_of.values(), np.array([own[a][0] for a in ids], dtype=np.int64)]
                                                )).tolist()
                # only articles with features are scored (a key with no published row has none)
                day = {k: published_day(p) for k, p in store.story_key_published(keys).items()}
                aid_of = {key: aid for aid, key, _, _ in store.story_vectors(keys=[k for k in keys if k in day])}
                cands: dict[str, list[str]] = {}
                found_before: dict[int, set[int]] = defaultdict(set)   # this chunk's: position -> finders' positions
                for found_pos, finder_pos in found_by.pop(n, ()):
                    for f, q in zip(found_pos.tolist(), finder_pos.tolist()):
                        found_before[f].add(q)
                later_found: list[int] = []
                later_finder: list[int] = []
                for q in ids:
                    if own[q][0] not in day:
                        continue
                    mine = day[own[q][0]]
                    found = [aid_of[k] for k in hits_of[q].tolist() if k in aid_of and aid_of[k] != q
                             and (window is None or mine is None or day[k] is None or abs(mine - day[k]) <= window)]
                    at = position[q]
                    before = found_before.pop(at, ())
                    cands[q] = [c for c in found if position.get(c, -1) not in before]
                    for c in found:
                        later = position.get(c, -1)
                        if later > at:
                            if later // QUERY_CHUNK == n:
                                found_before[later].add(at)
                            else:
                                later_found.append(later)
                                later_finder.append(at)
                if later_found:
                    found_arr = np.asarray(later_found, dtype=np.int32)
                    finder_arr = np.asarray(later_finder, dtype=np.int32)
                    target = found_arr // QUERY_CHUNK
                    for k in np.unique(target).tolist():
                        mask = target == k
                        found_by[k].append((found_arr[mask], finder_arr[mask]))
                del found_before, later_found, later_finder
                for task in _split_by_candidate(cands, pool.workers if pool.parallel else 1, TASK_CANDIDATES):
                    pool.submit(_score_task, task, write_edges)
                del own, hits_of, day, aid_of, cands
                if on_progress:
                    on_progress("pairs", min((n + 1) * QUERY_CHUNK, len(query_ids)), len(query_ids))
        del found_by, in_order, position
    # the index (the vectors of the whole store) is saved and let go: nothing after the search reads it
    rebuilt = index is not None and index.rebuilt
    if index is not None:
        index.save(store)
    del index

    # 3. events of the parts whose membership can have changed (affected_articles): those, before and after, that a
    # changed article has a pair into at or above their cut, closed under old events and user decisions
    links_now = _links(store, threshold)
    # every article changed (a first run, or other settings): every part is taken, so the graph before is not
    # needed, and a part's pairs can be let go once it is found (the whole graph is not held at once)
    everything = bool(changed) and len(changed) >= store.count_story_ready()
    parts_now = EventParts(links_now, rules, forget=everything)
    # the graph before reads the pairs of unchanged articles through parts_now's cache (the same pairs, read once)
    parts_before = EventParts(_links_before(parts_now.neighbours, changed, old_links), rules)
    decision_links: dict[str, set[str]] = defaultdict(set)
    for d in decisions:
        for a in d.linked:
            decision_links[a].update(d.linked)
    old_events: set[str] = set()

    def expand(ids):
        """Decision partners and the members of the old events of ``ids`` (an event spans whole parts)."""
        grown = {x for a in ids for x in decision_links.get(a, ())}
        fresh = set(store.events_of(sorted(ids)).values()) - old_events
        old_events.update(fresh)
        for members in store.event_members(sorted(fresh)).values():
            grown.update(a for a, _ in members)
        return grown

    if everything:
        scope, todo = set(changed), set(changed)
        while todo:
            todo = expand(todo) - scope
            scope |= todo
    else:
        scope = affected_articles(changed, set(store.story_ready_ids(reconsider)), parts_now, parts_before, expand)
    del parts_before, old_links   # the graph before is not needed again
    present = store.story_ready_ids(scope)
    present_set = set(present)
    new_events: list[tuple] = []     # (event_id, date, record_json or None, members)
    # units (parts joined by user decisions) in batches of about CLUSTER_CHUNK articles (fewer with workers, so each
    # has several): memory holds one batch's records and pair evidence, and the events found (small), not the
    # records of everything re-clustered
    units = decision_units({parts_now.of(a) for a in present}, decisions)
    profiles = _Spill()   # written with the events at the end: held in a temporary file until then

    def collect(result):
        events, made = result
        new_events.extend(events)
        profiles.update(made)

    with _StoreWorkers(store, rules, workers, len(present)) as pool:
        size = min(CLUSTER_CHUNK, max(256, -(-len(present) // (4 * pool.workers)))) if pool.parallel else CLUSTER_CHUNK
        for batch in _unit_batches(units, size):
            ids = sorted({a for unit in batch for a in unit} & present_set)
            parts = _PartsOf((a, parts_now.of(a)) for unit in batch for a in unit)
            relevant = [d for d in decisions if set(d.linked) & {a for unit in batch for a in unit}]
            pool.submit(_cluster_task, (batch, parts, relevant, ids, sorted(changed.intersection(ids))),
                        collect)
    # the pairs read to find the parts (7,831 articles' for a +1,000 update of the 37,554 AllSides articles) are not
    # needed again: let them go before the storyline pass
    del parts_now, links_now, units
    # an event that comes out exactly as stored (same id, members and record) with no article changed (its links to
    # other events come from its articles' vectors, words and names) is left alone: its storyline and the links
    # kept for it stay valid, so the storyline pass has nothing to redo for it. Those with the members of a stored
    # event, no article changed and no decision touching them come back from the tasks with no record (not
    # described again: the same records, pairs and decisions make the same record)
    same = {ev[0] for ev in new_events if ev[2] is None}
    rows = [ev for ev in new_events if ev[0] not in same]
    stored = {eid: (date, record) for eid, _, date, record in store.get_events(sorted({r[0] for r in rows}))}
    stored_members = store.event_members(sorted(stored))
    same |= {r[0] for r in rows if stored.get(r[0]) == (r[1], r[2]) and stored_members.get(r[0]) == sorted(r[3])
             and not any(a in changed for a, _ in r[3])}
    left = {a for ev in new_events if ev[0] in same for a, _ in ev[3]}
    store.replace_events(sorted(scope - left), [r for r in rows if r[0] not in same], profiles=profiles)
    if query_ids or marked:
        store.clear_stories_pending()   # every marked article's event is written
    store.take_story_changes(upto, state)   # and so is that of every article the log named up to ``upto``
    # what the tasks gave is written: let it go before the storyline pass
    profiles.close()
    summary = dict(embedded=len(pending), featured=len(pending_features) + len(named), changed=len(changed),
                   reclustered=len(present), events=len(new_events), waiting=waiting, index_rebuilt=rebuilt,
                   unchanged=len(same), looked_at=looked_at)
    # what is left of the update (ids of every article in a first run) is let go before the storyline pass
    new_events.clear()
    rows.clear()
    del scope, present, present_set, left, same, stored, stored_members, query_ids, pending_features, named
    changed.clear()
    pending.clear()

    # 4. storylines reachable from the new events (and the rest of the storylines they were in)
    storylines = update_storylines(store, rules=rules) if regroup_storylines else 0
    return StoriesSummary(**summary, storylines=storylines, seconds=time.perf_counter() - started)


class _Spill(Mapping):
    """``{key: bytes}`` kept in an anonymous temporary file, with only the offsets in memory: the event profiles an
    update makes (~5.6 KB an event) wait there until they are written with the events (from scratch on the 37,554
    AllSides articles: 23,935 profiles, ~135 MB that the main process held until the end of the clustering)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="storydiff-profiles-")
        self._at: dict[str, tuple[int, int]] = {}

    def update(self, items: Mapping[str, bytes]) -> None:
        handle = self._file
        handle.seek(0, os.SEEK_END)
        for key, value in items.items():
            self._at[key] = (handle.tell(), len(value))
            handle.write(value)

    def __getitem__(self, key: str) -> bytes:
        offset, size = self._at[key]
        self._file.seek(offset)
        return self._file.read(size)

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)

    def close(self) -> None:
        self._at.clear()
        self._file.close()


def _open_index(store, model, workers: int) -> VectorIndex:
    index = VectorIndex.open(store, model.dim, model.name)
    index.threads = workers
    return index


#: Queries searched at once by :func:`_hit_keys`.
SEARCH_BLOCK = 512


def _hit_keys(ids: list[str], vectors: list[np.ndarray], index, rules: dict) -> dict[str, np.ndarray]:
    """:func:`.events.search_candidates` for each query, as an array of the index keys found (similarities left
    out): searched ``SEARCH_BLOCK`` queries at a time (each query's answer is its own), so that a chunk's hits are
    held as 8 bytes each rather than a tuple of two Python numbers (4,096 queries with 256 hits each: ~8 MB
    instead of ~70 MB)."""
    out: dict[str, np.ndarray] = {}
    for at in range(0, len(ids), SEARCH_BLOCK):
        found = search_candidates(ids[at:at + SEARCH_BLOCK], vectors[at:at + SEARCH_BLOCK], index, rules)
        out.update((q, np.fromiter((k for k, _ in hits), dtype=np.int64, count=len(hits)))
                   for q, hits in found.items())
    return out


def _split_by_candidate(cands: dict[str, list[str]], parts: int, limit: int | None = None
                        ) -> list[dict[str, list[str]]]:
    """The pairs ``{query: [candidate, ...]}`` of one chunk in ``parts`` tasks, cut by candidate (a stable hash of its
    id), not by query: a chunk's queries were published close together and share most of their candidates, so
    cutting by query had each worker read most of the same records (the pair scoring of a +1,000 update into the
    36,554-article store on 2 workers: 15.2 CPU s, against 12.6 cut by candidate). Each task reads its share of the
    candidates and the queries it pairs them with; a pair is in exactly one task, and scores the same in any (the
    edges do not depend on the cut). ``limit``: more tasks (a multiple of ``parts``) where the chunk has more than
    ``limit`` distinct candidates per task, so that a task's rows stay bounded whatever the chunk (a chunk of undated
    articles finds its candidates across the whole store: 4,096 of them found ~34,500 in the 37,554 AllSides
    articles)."""
    if limit:
        distinct = len({c for found in cands.values() for c in found})
        parts = max(1, parts) * max(1, -(-distinct // (limit * max(1, parts))))
    if parts <= 1:
        return [cands] if cands else []
    tasks: list[dict[str, list[str]]] = [{} for _ in range(parts)]
    for q, found in cands.items():
        for c in found:
            tasks[zlib.crc32(c.encode()) % parts].setdefault(q, []).append(c)
    return [t for t in tasks if t]


def _unit_batches(units: list[list[str]], size: int) -> Iterator[list[list[str]]]:
    """Consecutive units grouped into batches of about ``size`` articles (a unit is never split)."""
    batch: list[list[str]] = []
    count = 0
    for unit in units:
        batch.append(unit)
        count += len(unit)
        if count >= size:
            yield batch
            batch, count = [], 0
    if batch:
        yield batch


def update_storylines(store, *, embedder: str = DEFAULT_EMBEDDER, rules: dict | None = None) -> int:
    """Regroup the storylines that can have changed since the last pass: those around the events written since
    (``store.unlinked_events()``) and the events linked to them now, around the events that were linked to an
    event replaced since (``store.touched_events()``: the graph before), and the storylines that lost an event
    (``store.stale_storylines()``), closed under storyline membership (before) and parts (after) -- the same
    argument as for event parts (:func:`.events.affected_articles`). The links of the events written since are
    found and kept (``event_links``), so the next pass reads them instead of reading those events' articles again.
    ``update_stories`` runs this at its end; a pass that was put off (``update_stories(regroup_storylines=False)``)
    or interrupted is caught up by the next one. Returns how many storylines were written."""
    from . import storylines as _storylines

    rules = rules or load_rules(embedder=embedder)
    fresh = set(store.unlinked_events())
    touched = set(store.touched_events())     # linked to an event replaced: their part can have grown
    wanted = set(store.stale_storylines())
    if not fresh and not touched and not wanted:
        return 0

    links = EventLinks(lambda ids: _stored_events(store, ids), store.events_of,
                       lambda ids: store.story_links(ids, rules["storyline_edge_threshold"]),
                       lambda ids: load_records(store, ids, rows=False), rules, stored=store.event_links,
                       fresh=fresh, profiles=store.event_profiles, keep=store.write_event_profiles)
    # a part's links are let go once it is found (nothing here asks for them again)
    parts = EventParts(links, rules, threshold=rules["storyline_threshold"], limit=rules["max_storyline"],
                       forget=True)
    stored_lines: dict[str, list[str]] = {}

    def storyline_members(line_ids):
        missing = set(line_ids) - set(stored_lines)
        if missing:
            for sid, record in store.get_storylines():
                if sid in missing:
                    stored_lines[sid] = [e["id"] for e in json.loads(record)["events"]]
        return {e for sid in line_ids for e in stored_lines.get(sid, ())}

    scope: set[str] = set()
    todo = fresh | touched | storyline_members(wanted)
    for linked in links(sorted(fresh)).values():
        todo.update(o for o, _ in linked)
    while todo:
        scope |= todo
        lines = {sl for _, sl, _, _ in store.get_events(sorted(todo)) if sl}
        wanted |= lines
        grown = storyline_members(lines)
        for e in sorted(todo):
            grown.update(parts.of(e))
        todo = grown - scope
    groups = {parts.of(e) for e in scope}
    by_id = {e: links.event(e) for g in groups if len(g) >= 2 for e in g}
    grouped = [_storylines.describe_storyline(g, by_id, links.found) for g in sorted(groups) if len(g) >= 2]
    store.replace_storylines(sorted(wanted), [(sid, json.dumps(rec, ensure_ascii=False), members)
                                              for sid, rec, members in grouped],
                             links=links.new_links(), linked=sorted(fresh | touched))
    return len(grouped)


# --- reading


@dataclass(frozen=True)
class _Member:
    """An event's article as :func:`storydiff.compare.sources` needs it."""

    article_id: str
    outlet: str | None


def articles_to_analyze(store, *, linked: bool = False, rules: dict | None = None) -> list[str]:
    """Articles in events of two or more sources that have no analysis of their current text: after grouping with
    ``update_stories(store, unanalysed="names")``, what the comparisons need analysed. A source is what the
    comparison counts as one (:func:`storydiff.compare.sources`: one outlet, with the copies of its articles that
    others republished): an article alone in its event, or an event whose articles all come from one source, has no
    other account to be compared with. Analyse them, update the stories again (their features are then made from
    the analysis, which can regroup them), and repeat until this is empty.

    ``linked``: also the unanalysed articles alone in their event that have a pair scoring at or above the event
    threshold (``rules``, default the stories rules) with another article: the clustering kept them apart on their
    names alone, and what the analysis adds (entity labels, surnames, facts, dates) can join them."""
    from ..analysis import STAGE, VERSION

    from ..compare import sources

    pending = store.pending_analysis(STAGE, VERSION)
    event_of = store.events_of(pending) if pending else {}
    members = {e: [a for a, _ in m] for e, m in store.event_members(sorted(set(event_of.values()))).items()
               if len(m) >= 2}
    ids = sorted({a for m in members.values() for a in m})
    outlets = {a: meta[1] for a, meta in store.article_meta(ids).items()}
    source_of = sources([_Member(a, outlets.get(a)) for a in ids], store.duplicate_links(ids))
    several = {e for e, m in members.items() if len({source_of[a] for a in m}) >= 2}
    wanted = {a for a, e in event_of.items() if e in several}
    if linked:
        alone = {a for a, e in event_of.items() if e not in members}
        threshold = (rules or load_rules())["event_threshold"]
        for a, b, _ in store.story_links(sorted(alone), threshold):
            wanted.update(x for x in (a, b) if x in alone)
    return sorted(wanted)


def group_first(store, *, workers: int | None = None, embedder: str = DEFAULT_EMBEDDER, rules: dict | None = None,
                linked: bool = False, on_progress: Callable[[str, int, int], None] | None = None) -> GroupFirstSummary:
    """Group the store's articles before parsing them, and parse only what the comparisons need: articles the
    analysis has not seen are grouped on their names (``update_stories(unanalysed="names")``), the articles of
    events of two or more sources (outlets; copies of one article count once) are analysed
    (:func:`articles_to_analyze`), the stories are updated again (their features now come from the analysis, which
    can regroup them and bring new articles into such events), and so on until no unanalysed article is in an event
    of several sources. Articles alone in their event, or in an event of one source, are never parsed, except
    (``linked=True``) those alone with a pair at the event threshold that the clustering on names kept apart
    (:func:`articles_to_analyze`): events closer to the full path's, for more parsing (bench/README.md: at 4k
    articles 60% parsed instead of 46%; on the whole AllSides corpus over 75% instead of 45%). Interrupted, it
    resumes where it stopped (both stages only do what is not done yet).

    ``on_progress(step, done, total)``: ``step`` is ``"embed"``/``"pairs"`` during a stories update and
    ``"analyse N"`` during round N's analysis."""
    from ..analysis import STAGE, VERSION, analyze

    started = time.perf_counter()
    rules = rules or load_rules(embedder=embedder)
    rounds = analysed = 0
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    # storylines once, at the end: the rounds between only need the events
    last = update_stories(store, embedder=embedder, rules=rules, unanalysed="names", on_progress=on_progress,
                          regroup_storylines=False, workers=workers)
    while todo := articles_to_analyze(store, linked=linked, rules=rules):
        rounds += 1
        step = f"analyse {rounds}"
        report = (lambda done, total, step=step: on_progress(step, done, total)) if on_progress else None
        done = analyze(store, workers=workers, only=todo, on_progress=report).analyzed
        if not done:  # every article asked for failed to be analysed: stop rather than loop
            raise StoriesError(f"{len(todo)} articles could not be analysed (first: {todo[0]}); "
                               "run `storydiff analyze` to see why")
        analysed += done
        last = update_stories(store, embedder=embedder, rules=rules, unanalysed="names", on_progress=on_progress,
                              regroup_storylines=False, workers=workers)
    last = dataclasses.replace(last, storylines=update_storylines(store, rules=rules))
    alone = len(store.pending_analysis(STAGE, VERSION))
    return GroupFirstSummary(rounds=rounds, analysed=analysed, alone=alone, last=last,
                             seconds=time.perf_counter() - started)


def list_events(store, *, min_articles: int = 1) -> list[dict]:
    """Every event (``id``, ``storyline``, and its record: title, articles by outlet, dates, why), in time order
    (events with no date in their text last, by publication date)."""
    out = []
    for eid, storyline, _, record in store.get_events():
        rec = json.loads(record)
        if len(rec.get("articles", [])) >= min_articles:
            out.append({"id": eid, "storyline": storyline, **rec})
    out.sort(key=lambda e: (e.get("date") or "~" + (e.get("published") or "9999"), e["id"]))
    return out


def list_storylines(store) -> list[dict]:
    """Every storyline of two or more events (``id`` and its record: events in time order, actors, links)."""
    return [{"id": sid, **json.loads(record)} for sid, record in store.get_storylines()]


def timeline(events: Sequence[dict]) -> list[dict]:
    """Events placed in time: by the date their text gives (``dated_by: "text"``), else by the earliest
    publication date (``dated_by: "published"``), else undated; disputed dates keep every value with sources."""
    out = []
    for e in events:
        if e.get("date"):
            when, how = e["date"], "text"
        elif e.get("published"):
            when, how = e["published"], "published"
        else:
            when, how = None, "undated"
        out.append({"event": e["id"], "when": when, "dated_by": how, "granularity": e.get("granularity"),
                    "disputed": bool(e.get("disputed")), "dates": e.get("dates", []), "title": e.get("title"),
                    "storyline": e.get("storyline"), "articles": len(e.get("articles", []))})
    out.sort(key=lambda t: (t["when"] is None, t["when"] or "", t["event"]))
    return out


# --- user decisions


def _members(store, event_id: str) -> list[str]:
    members = store.event_members([event_id]).get(event_id)
    if not members:
        raise StoriesError(f"no event {event_id!r} (see `storydiff stories`)")
    return [a for a, _ in members]


def merge_events(store, first: str, second: str, *, note: str = "", embedder: str = DEFAULT_EMBEDDER) -> str:
    """Record that two events are one and re-cluster; returns the id of the merged event."""
    a, b = _members(store, first), _members(store, second)
    if first == second:
        raise StoriesError("cannot merge an event with itself")
    store.add_story_decision("merge", a, b, note)
    update_stories(store, embedder=embedder, reconsider=a + b)
    return store.events_of([a[0]])[a[0]]


def split_event(store, event: str, article_ids: Sequence[str], *, note: str = "",
                embedder: str = DEFAULT_EMBEDDER) -> str:
    """Record that ``article_ids`` are a different happening from the rest of ``event`` and re-cluster; returns the
    id of the event they now form."""
    members = _members(store, event)
    moving = sorted(set(article_ids))
    unknown = [a for a in moving if a not in members]
    if unknown:
        raise StoriesError(f"not in event {event}: {', '.join(unknown)}")
    rest = [a for a in members if a not in moving]
    if not moving or not rest:
        raise StoriesError("a split needs some of the event's articles, not none or all")
    store.add_story_decision("split", moving, rest, note)
    update_stories(store, embedder=embedder, reconsider=members)
    return store.events_of([moving[0]])[moving[0]]


def pin_article(store, article_id: str, event: str, *, note: str = "", embedder: str = DEFAULT_EMBEDDER) -> str:
    """Record that ``article_id`` belongs to ``event`` and re-cluster; returns the id of its event now."""
    members = [a for a in _members(store, event) if a != article_id]
    if not store.article_meta([article_id]):
        raise StoriesError(f"no article {article_id!r}")
    if not members:
        raise StoriesError(f"event {event} has no other article to pin to")
    current = store.events_of([article_id])
    store.add_story_decision("pin", [article_id], members, note)
    reconsider = [article_id] + members + (_members(store, current[article_id]) if current else [])
    update_stories(store, embedder=embedder, reconsider=reconsider)
    return store.events_of([article_id])[article_id]


__all__ = ["update_stories", "StoriesSummary", "StoriesError", "list_events", "list_storylines", "timeline",
           "merge_events", "split_event", "pin_article", "load_records", "load_rows", "cluster_events", "ArticleRecord",
           "Decision", "Event", "story_features", "StoryFeatures", "articles_to_analyze", "name_features",
           "group_first", "GroupFirstSummary", "update_storylines"]
