"""The nearest-neighbour index over article vectors (usearch), for the candidate search of the stories stage.

The store holds the vectors; the index is a rebuildable cache kept in a file beside the database
(``storydiff.db.vectors.usearch``, with a small ``.json`` saying which vectors it holds). On open it is loaded when
that stamp matches the store (same number of vectors, same largest key, same model) and rebuilt from the stored
vectors otherwise, so a deleted or stale file costs one rebuild, never a wrong answer. An in-memory store gets an
in-memory index built from its vectors.

Search is exact (usearch's brute-force SIMD scan) while the index holds at most ``EXACT_LIMIT`` vectors, so the
candidates -- and so the events -- do not depend on insertion order; above it, HNSW search, which is approximate
(bench/STORIES.md measures how many candidates it misses).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import MissingDependency

#: Up to this many vectors, search scans them all (exact, order-independent; ~1 ms per query at 20k x 256).
EXACT_LIMIT = 20_000


def _usearch_index(dim: int):
    try:
        from usearch.index import Index
    except ImportError:
        raise MissingDependency("the stories stage needs usearch: pip install 'usearch>=2.16,<3'") from None
    return Index(ndim=dim, metric="cos", dtype="f32", connectivity=16, expansion_add=128, expansion_search=128)


class VectorIndex:
    """Article vectors by integer key (the store's ``story_vectors.vkey``)."""

    def __init__(self, dim: int, model: str, path: str | None = None) -> None:
        self.dim = dim
        self.model = model
        self.path = path
        self._index = _usearch_index(dim)
        self.rebuilt = False
        #: threads a search uses (each query's answer is its own, so the results do not depend on it)
        self.threads = 1

    def __len__(self) -> int:
        return len(self._index)

    @property
    def exact(self) -> bool:
        """Whether a search scans every vector (exact and order-independent; see ``EXACT_LIMIT``)."""
        return len(self._index) <= EXACT_LIMIT

    @classmethod
    def open(cls, store, dim: int, model: str) -> "VectorIndex":
        """The index for ``store``: loaded from its file when current, else rebuilt from the stored vectors."""
        index = cls(dim, model, store.stories_index_path())
        count, top = store.story_index_state()
        if index.path and Path(index.path).exists() and Path(index.path + ".json").exists():
            try:
                stamp = json.loads(Path(index.path + ".json").read_text("utf-8"))
            except (OSError, ValueError):
                stamp = {}
            if stamp == {"count": count, "top": top, "model": model, "dim": dim}:
                index._index.load(index.path)
                if len(index._index) == count:
                    return index
                index._index = _usearch_index(dim)
        index.rebuild(store)
        return index

    def rebuild(self, store) -> None:
        """Fill the index from every stored vector (the one O(corpus) step; only when the file is missing/stale)."""
        self._index = _usearch_index(self.dim)
        keys, vectors = [], []
        for _, key, blob, _ in store.story_vectors():
            keys.append(key)
            vectors.append(np.frombuffer(blob, dtype=np.float32))
            if len(keys) >= 4096:
                self._add(keys, vectors)
                keys, vectors = [], []
        self._add(keys, vectors)
        self.rebuilt = True

    def _add(self, keys: list[int], vectors: list[np.ndarray]) -> None:
        if keys:
            # one thread: the HNSW graph (used above EXACT_LIMIT) then depends only on the order of the keys
            self._index.add(np.asarray(keys, dtype=np.uint64), np.vstack(vectors).astype(np.float32), threads=1)

    def update(self, added: dict[int, np.ndarray], removed: list[int]) -> None:
        """Remove the keys of replaced vectors and add new ones (sorted by key, so the result is reproducible)."""
        for key in removed:
            if key in self._index:
                self._index.remove(int(key))
        order = sorted(added)
        self._add(order, [added[k] for k in order])

    def search(self, vectors: np.ndarray, count: int) -> list[list[tuple[int, float]]]:
        """For each query vector, up to ``count`` ``(key, cosine similarity)`` pairs, most similar first."""
        if len(self._index) == 0 or len(vectors) == 0:
            return [[] for _ in range(len(vectors))]
        count = min(count, len(self._index))
        matches = self._index.search(np.asarray(vectors, dtype=np.float32), count,
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

    def save(self, store) -> None:
        """Write the index and its stamp beside the database (nothing for an in-memory store)."""
        if not self.path:
            return
        count, top = store.story_index_state()
        self._index.save(self.path)
        Path(self.path + ".json").write_text(json.dumps({"count": count, "top": top, "model": self.model,
                                                         "dim": self.dim}), "utf-8")


__all__ = ["VectorIndex", "EXACT_LIMIT"]
