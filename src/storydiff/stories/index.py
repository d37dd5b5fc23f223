"""The nearest-neighbour index over article vectors, for the candidate search of the stories stage.

The store holds the vectors; the index is a rebuildable cache kept in files beside the database (an SQLite store
``storydiff.db``: ``storydiff.db.vectors.usearch`` or ``storydiff.db.vectors.npz``, with a small ``.json`` stamp saying
which vectors it holds). On open it is loaded when that stamp matches the store (same number of vectors, same largest
key, same model, same kind) and rebuilt from the stored vectors otherwise, so a deleted or stale file costs one
rebuild, never a wrong answer. An in-memory store gets an in-memory index built from its vectors.

Up to ``EXACT_LIMIT`` vectors the search is exact: every query is compared with every vector in blocked matrix
products (numpy's BLAS), so the candidates -- and so the events -- do not depend on insertion order or timing. Above
it, usearch's HNSW graph: approximate, but a query costs about the same whatever the size of the store
(bench/STORIES.md measures how many candidates it misses). On 36,554 AllSides articles the exact search of every
article against every other took ~6 CPU s, where building the HNSW graph took 18 s (one thread, so that the graph
depends only on the order of the keys) and searching it ~45 CPU s (bench/README.md).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ..errors import MissingDependency

#: Up to this many vectors, search compares each query with every vector (exact, order-independent; about 1 s per
#: 1,000 queries at 50,000 x 256 on one core); above it, the HNSW graph.
EXACT_LIMIT = 50_000
#: Queries compared at once in the exact search, at most (a block of similarities is BLOCK x vectors floats) ...
BLOCK = 256
#: ... and fewer when the index is large, so that a block's similarities stay under this many bytes (256 queries
#: against 37,054 vectors held 38 MB, more than a +500 update's growth from the store but for the index itself;
#: 113 queries a block there cost ~3% more time in a measurement of the search alone)
BLOCK_BYTES = 16 * 2**20


def _usearch_index(dim: int):
    try:
        from usearch.index import Index
    except ImportError:
        raise MissingDependency("the stories stage needs usearch: pip install 'usearch>=2.16,<3'") from None
    return Index(ndim=dim, metric="cos", dtype="f32", connectivity=16, expansion_add=128, expansion_search=128)


def _unit_rows(vectors: np.ndarray, in_place: bool = False) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero), as float32: their dot products are cosines. ``in_place``:
    scale ``vectors`` itself (a float32 array the caller owns), not a copy."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if in_place:
        vectors[~(norms > 0).ravel()] = 0.0   # as the copy gives: zero where the norm is zero (or NaN)
        return np.divide(vectors, norms, out=vectors, where=norms > 0)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


class VectorIndex:
    """Article vectors by integer key (the store's ``story_vectors.vkey``): exact up to ``EXACT_LIMIT`` vectors,
    an HNSW graph above."""

    def __init__(self, dim: int, model: str, path: str | None = None) -> None:
        self.dim = dim
        self.model = model
        self.path = path
        #: the exact index: keys in ascending order and their unit vectors, row for row (None once a graph is used)
        self._keys: np.ndarray | None = np.empty(0, dtype=np.uint64)
        self._unit: np.ndarray | None = np.empty((0, dim), dtype=np.float32)
        self._graph = None  # usearch's HNSW index, above EXACT_LIMIT
        self.rebuilt = False
        #: threads a search uses (each query's answer is its own, so the results do not depend on it)
        self.threads = 1

    def __len__(self) -> int:
        return len(self._graph) if self._graph is not None else len(self._keys)

    @property
    def exact(self) -> bool:
        """Whether a search compares every vector (exact and order-independent; see ``EXACT_LIMIT``)."""
        return self._graph is None or len(self._graph) <= EXACT_LIMIT

    def _files(self) -> tuple[str, str, str]:
        """The data file of this kind of index, the stamp file, and the data file of the other kind."""
        assert self.path
        graph, table = self.path, self.path.removesuffix(".usearch") + ".npz"
        return (graph, self.path + ".json", table) if self._graph is not None else (table, self.path + ".json", graph)

    def _stamp(self, store) -> dict:
        count, top = store.story_index_state()
        return {"count": count, "top": top, "model": self.model, "dim": self.dim,
                "kind": "exact" if self._graph is None else "hnsw"}

    @classmethod
    def open(cls, store, dim: int, model: str) -> "VectorIndex":
        """The index for ``store``: loaded from its file when current, else rebuilt from the stored vectors."""
        index = cls(dim, model, store.stories_index_path())
        count, _ = store.story_index_state()
        if count > EXACT_LIMIT:
            index._graph = _usearch_index(dim)
            index._keys = index._unit = None
        if index.path and index._load(store, count):
            return index
        index.rebuild(store)
        return index

    def _load(self, store, count: int) -> bool:
        data, stamp_file, _ = self._files()
        if not (Path(data).exists() and Path(stamp_file).exists()):
            return False
        try:
            stamp = json.loads(Path(stamp_file).read_text("utf-8"))
        except (OSError, ValueError):
            return False
        if stamp != self._stamp(store):
            return False
        try:
            if self._graph is not None:
                self._graph.load(data)
                if len(self._graph) == count:
                    return True
                self._graph = _usearch_index(self.dim)
                return False
            with np.load(data, allow_pickle=False) as table:
                keys, unit = table["keys"], table["unit"]
        except (OSError, ValueError, KeyError):
            return False
        if keys.shape != (count,) or unit.shape != (count, self.dim):
            return False
        # as loaded (a copy here held the table twice while the index was opened)
        self._keys, self._unit = keys.astype(np.uint64, copy=False), unit.astype(np.float32, copy=False)
        return True

    def rebuild(self, store) -> None:
        """Fill the index from every stored vector (the one O(corpus) step; only when the file is missing/stale)."""
        keys, vectors = [], []
        if self._graph is not None:
            self._graph = _usearch_index(self.dim)
        else:
            self._keys = np.empty(0, dtype=np.uint64)
            self._unit = np.empty((0, self.dim), dtype=np.float32)
        for _, key, blob, _ in store.story_vectors():
            keys.append(key)
            vectors.append(np.frombuffer(blob, dtype=np.float32))
            if len(keys) >= 4096 and self._graph is not None:  # the exact index takes them all at once
                self._add(keys, vectors)
                keys, vectors = [], []
        self._add(keys, vectors)
        self.rebuilt = True

    def _add(self, keys: list[int], vectors: list[np.ndarray]) -> None:
        if not keys:
            return
        if self._graph is not None:
            # one thread: the HNSW graph then depends only on the order of the keys
            self._graph.add(np.asarray(keys, dtype=np.uint64), np.vstack(vectors).astype(np.float32), threads=1)
            return
        new_keys = np.asarray(keys, dtype=np.uint64)
        new_unit = _unit_rows(np.vstack(vectors).astype(np.float32, copy=False), in_place=True)
        if len(new_keys) and not np.all(new_keys[1:] > new_keys[:-1]):
            order = np.argsort(new_keys, kind="stable")
            new_keys, new_unit = new_keys[order], new_unit[order]
        if not len(self._keys):
            self._keys, self._unit = new_keys, new_unit
        elif new_keys[0] > self._keys[-1]:
            # keys are given out in increasing order: new ones go at the end (no sort, one copy of the table)
            self._keys = np.concatenate([self._keys, new_keys])
            self._unit = np.concatenate([self._unit, new_unit])
        else:
            all_keys = np.concatenate([self._keys, new_keys])
            order = np.argsort(all_keys, kind="stable")
            self._keys, self._unit = all_keys[order], np.concatenate([self._unit, new_unit])[order]
        del new_unit
        if len(self._keys) > EXACT_LIMIT:  # past the limit: the graph, built from the vectors in key order
            self._graph = _usearch_index(self.dim)
            for at in range(0, len(self._keys), 4096):
                self._graph.add(self._keys[at:at + 4096], self._unit[at:at + 4096], threads=1)
            self._keys = self._unit = None

    def update(self, added: dict[int, np.ndarray], removed: list[int]) -> None:
        """Remove the keys of replaced vectors and add new ones (sorted by key, so the result is reproducible)."""
        if self._graph is not None:
            for key in removed:
                if key in self._graph:
                    self._graph.remove(int(key))
        elif removed:
            keep = ~np.isin(self._keys, np.asarray(removed, dtype=np.uint64))
            self._keys, self._unit = self._keys[keep], self._unit[keep]
        order = sorted(added)
        self._add(order, [added[k] for k in order])

    def search(self, vectors: np.ndarray, count: int, min_similarity: float | None = None
               ) -> list[list[tuple[int, float]]]:
        """For each query vector, up to ``count`` ``(key, cosine similarity)`` pairs, most similar first (ties by
        key in the exact search). ``min_similarity``: the exact search may leave out what is under it (the caller
        filters anyway); the graph's answer is unchanged."""
        if len(self) == 0 or len(vectors) == 0:
            return [[] for _ in range(len(vectors))]
        count = min(count, len(self))
        if self._graph is None:
            return self._exact_search(np.asarray(vectors, dtype=np.float32), count, min_similarity)
        matches = self._graph.search(np.asarray(vectors, dtype=np.float32), count,
                                     exact=self.exact, threads=max(1, self.threads))
        keys = np.atleast_2d(matches.keys)
        dists = np.atleast_2d(matches.distances)
        # one query gives a Matches (no counts), several a BatchMatches
        counts = np.atleast_1d(matches.counts) if hasattr(matches, "counts") else np.array([keys.shape[1]])
        out = []
        for row in range(len(vectors)):
            n = int(counts[row])
            out.append([(int(k), float(1.0 - d)) for k, d in zip(keys[row, :n], dists[row, :n])])
        return out

    def _exact_search(self, vectors: np.ndarray, count: int, floor: float | None) -> list[list[tuple[int, float]]]:
        """Every query against every vector, ``BLOCK`` queries per matrix product; the ``count`` most similar of
        each, ties broken by key, so the answer does not depend on the order the vectors were added in."""
        keys, unit = self._keys, self._unit
        queries = _unit_rows(vectors)
        out: list[list[tuple[int, float]]] = []
        from ..analysis.pipeline import blas_threads

        block = max(1, min(BLOCK, BLOCK_BYTES // (4 * max(1, len(keys)))))
        with blas_threads(self.threads):
            for at in range(0, len(queries), block):
                sims = queries[at:at + block] @ unit.T
                for row in sims:
                    chosen = np.flatnonzero(row >= floor) if floor is not None else None
                    if chosen is None or len(chosen) > count:
                        # everything as similar as the count-th most similar (ties at the cut included)
                        cut = np.partition(row, len(row) - count)[len(row) - count]
                        chosen = np.flatnonzero(row >= cut)
                    order = np.lexsort((keys[chosen], -row[chosen]))[:count]
                    picked = chosen[order]
                    out.append(list(zip(keys[picked].tolist(), row[picked].astype(float).tolist())))
        return out

    def save(self, store) -> None:
        """Write the index and its stamp beside the database (nothing for an in-memory store)."""
        if not self.path:
            return
        data, stamp_file, other = self._files()
        stamp = self._stamp(store)
        Path(stamp_file).unlink(missing_ok=True)  # no stamp until the data it describes is whole
        if self._graph is not None:
            self._graph.save(data)
        else:
            with open(data + ".tmp", "wb") as fh:
                np.savez(fh, keys=self._keys, unit=self._unit)
            os.replace(data + ".tmp", data)
        Path(other).unlink(missing_ok=True)  # the file of the other kind is stale now
        Path(stamp_file).write_text(json.dumps(stamp), "utf-8")


__all__ = ["VectorIndex", "EXACT_LIMIT"]
