"""Scoring rows: what the pair score reads of an article, as numbers.

A pair score (:func:`.events.score_pairs`) reads an article's vector, distinctive words, entity weights, facts,
main people and happening date. Read as :class:`~.events.ArticleRecord` these are dicts and tuples of strings
decoded from JSON (~15 KB and ~200 microseconds an article), and every batch of pairs mapped each string to a
column of its sparse rows again. A :class:`ScoringRow` holds the same values as two flat arrays -- a stable 64-bit
hash of every word, name and fact, and its weight -- so that reading one is a few ``numpy.frombuffer`` calls, a
batch's sparse rows are built by sorting integers (``numpy.unique``), and a row costs ~3 KB.

The row is a pure function of the article's terms and features (:func:`encode_row`); the store keeps it beside them
(``story_rows``, dropped whenever either is written again), and an update fills in the rows it lacks. Columns are in
hash order, so a pair sums its shared keys in one order whatever else is scored with it: a pair scores exactly the
same in any batch, as before (the order is not the strings' order, so a score may differ from the one the string
columns gave in its last float32 bit).

Sections of a row, in this order (``SECTIONS``): the distinctive words (weighted), the entity keys (weighted,
L2-normalised), large numbers, tallies, measures, the things measured ("count:pirates"), the surnames of the people
named in full with the entity's weight (the main people are those weighing at least ``people_weight``), and every
word of every name (to tell whether an article mentions a person at all).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

SECTIONS = ("terms", "entities", "numbers", "tallies", "measures", "things", "people", "words")
TERMS, ENTITIES, NUMBERS, TALLIES, MEASURES, THINGS, PEOPLE, WORDS = range(len(SECTIONS))

_MAGIC = b"SR1\x00"
_HEADER = 4 + 4 * len(SECTIONS) + 4 + 8   # magic, counts (int32), padding, happening date (float64)


class ScoringRow:
    """One article's scoring inputs: ``vector`` (float32), ``counts`` per section, ``hashes`` (int64) and
    ``weights`` (float32) of every key, section after section, and ``when`` (the happening date's ordinal, or
    NaN)."""

    __slots__ = ("article_id", "vector", "counts", "hashes", "weights", "when")

    def __init__(self, article_id: str, vector: np.ndarray, counts: np.ndarray, hashes: np.ndarray,
                 weights: np.ndarray, when: float) -> None:
        self.article_id = article_id
        self.vector = vector
        self.counts = counts
        self.hashes = hashes
        self.weights = weights
        self.when = when

    def section(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        start = int(self.counts[:k].sum())
        end = start + int(self.counts[k])
        return self.hashes[start:end], self.weights[start:end]

    def to_bytes(self) -> bytes:
        head = np.asarray(self.counts, dtype=np.int32).tobytes() + b"\x00" * 4
        return (_MAGIC + head + np.float64(self.when).tobytes() + self.hashes.astype(np.int64).tobytes()
                + self.weights.astype(np.float32).tobytes())


#: ``{key: hash}`` for :func:`key_hash`, started again past ``_HASHES_LIMIT`` keys.
_HASHES: dict[str, int] = {}
_HASHES_LIMIT = 1_000_000


def key_hash(key: str) -> int:
    """A stable signed 64-bit hash of ``key`` (BLAKE2b; the same in every process and on every machine)."""
    h = _HASHES.get(key)
    if h is None:
        if len(_HASHES) > _HASHES_LIMIT:
            _HASHES.clear()
        h = _HASHES[key] = int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                                          "little", signed=True)
    return h


def _weighted(items: Iterable[tuple[str, float]]) -> dict[int, float]:
    out: dict[int, float] = {}
    for key, weight in items:
        h = key_hash(key)
        out[h] = out.get(h, 0.0) + weight   # two keys of one article with one hash (never seen) add up
    return out


def _keys(items: Iterable[str]) -> dict[int, float]:
    return dict.fromkeys(map(key_hash, items), 1.0)


def full_name_surnames(features) -> Iterator[tuple[str, float]]:
    """``(surname, weight)`` of every person the article names in full (a main person weighs at least the rules'
    ``people_weight``: named in the lead and more than once)."""
    for k, label, weight, _ in features.entities:
        if label == "PERSON" and not k.startswith("~") and len(k.split()) >= 2:
            yield k.split()[-1], weight


def name_words(features) -> Iterator[str]:
    """Every word of every name the article gives (to tell whether it mentions a person at all)."""
    for k, _, _, _ in features.entities:
        yield from k.lstrip("~").split()


def row_sections(record) -> list[dict[int, float]]:
    """The sections of ``record``'s row as ``{hash: weight}`` (see the module docstring)."""
    f = record.features
    entities = f.entity_weights
    norm = math.sqrt(sum(w * w for w in entities.values())) or 1.0
    people: dict[int, float] = {}
    for surname, weight in full_name_surnames(f):
        h = key_hash(surname)
        people[h] = max(people.get(h, weight), weight)   # a surname is a main person if any full name is
    return [
        _weighted(record.terms.items()),
        _weighted((k, w / norm) for k, w in entities.items()),
        _keys(f.numbers),
        _keys(f.tallies),
        _keys(f.measures),
        _keys(m.rsplit(":", 1)[0] for m in f.measures),
        people,
        _keys(name_words(f)),
    ]


def encode_row(record) -> ScoringRow:
    """The :class:`ScoringRow` of an :class:`~.events.ArticleRecord` (a pure function of its terms and features)."""
    from .events import _ordinal

    sections = row_sections(record)
    counts = np.array([len(s) for s in sections], dtype=np.int32)
    hashes = np.fromiter((h for s in sections for h in s), dtype=np.int64, count=int(counts.sum()))
    weights = np.fromiter((w for s in sections for w in s.values()), dtype=np.float32, count=int(counts.sum()))
    when = _ordinal(record.features.when)
    return ScoringRow(record.article_id, np.asarray(record.vector, dtype=np.float32), counts, hashes, weights,
                      math.nan if when is None else float(when))


def decode_row(article_id: str, vector: bytes, blob: bytes) -> ScoringRow:
    """The :class:`ScoringRow` stored as ``blob`` (:meth:`ScoringRow.to_bytes`), with the article's vector."""
    if blob[:4] != _MAGIC:
        raise ValueError(f"not a scoring row (article {article_id})")
    counts = np.frombuffer(blob, dtype=np.int32, count=len(SECTIONS), offset=4)
    total = int(counts.sum())
    when = float(np.frombuffer(blob, dtype=np.float64, count=1, offset=_HEADER - 8)[0])
    hashes = np.frombuffer(blob, dtype=np.int64, count=total, offset=_HEADER)
    weights = np.frombuffer(blob, dtype=np.float32, count=total, offset=_HEADER + 8 * total)
    return ScoringRow(article_id, np.frombuffer(vector, dtype=np.float32), counts, hashes, weights, when)


def row_of(item) -> ScoringRow:
    """``item``'s scoring row: itself if it is one, else the one its record carries (read from the store with it)
    or makes once (:func:`encode_row`) and keeps."""
    if isinstance(item, ScoringRow):
        return item
    row = item.row
    if row is None:
        row = encode_row(item)
        object.__setattr__(item, "row", row)
    return row


class RowBatch:
    """The rows of a batch of articles, flattened: every key with its row, section and weight, so that the sparse
    matrix of any section is built with array operations (``matrix``)."""

    def __init__(self, items: Sequence) -> None:
        rows = [row_of(x) for x in items]
        self.n = len(rows)
        self.vectors = (np.vstack([r.vector for r in rows]).astype(np.float32, copy=False) if rows
                        else np.zeros((0, 1), dtype=np.float32))
        self.when = np.array([r.when for r in rows], dtype=np.float64)
        counts = (np.vstack([r.counts for r in rows]) if rows
                  else np.zeros((0, len(SECTIONS)), dtype=np.int32)).astype(np.int64)
        self.counts = counts
        self.hashes = np.concatenate([r.hashes for r in rows]) if rows else np.zeros(0, dtype=np.int64)
        self.weights = np.concatenate([r.weights for r in rows]) if rows else np.zeros(0, dtype=np.float32)
        self.section = np.repeat(np.tile(np.arange(len(SECTIONS), dtype=np.int8), self.n), counts.ravel())
        self.row = np.repeat(np.arange(self.n, dtype=np.int32), counts.sum(axis=1))

    def keys(self, k: int, *, floor: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(row, hash, weight)`` of section ``k`` (with ``floor``: only keys weighing at least that, one per hash
        and row, weighing 1)."""
        mask = self.section == k
        if floor is not None:
            mask &= self.weights >= floor
        row, h, w = self.row[mask], self.hashes[mask], self.weights[mask]
        if floor is not None and len(h):
            order = np.lexsort((h, row))
            row, h = row[order], h[order]
            keep = np.ones(len(h), dtype=bool)
            keep[1:] = (row[1:] != row[:-1]) | (h[1:] != h[:-1])
            row, h, w = row[keep], h[keep], np.ones(int(keep.sum()), dtype=np.float32)
        return row, h, w

    def matrices(self, *keys: tuple[np.ndarray, np.ndarray, np.ndarray], ones: bool = False) -> list:
        """The sparse matrices of ``keys`` (:meth:`keys`; one vocabulary for all of them): a row per article, a
        column per hash in ascending order, so a product of two rows sums their shared keys in one order whatever
        else the batch holds. A section at a time: its arrays, not the whole batch's, are sorted."""
        from scipy.sparse import csr_matrix

        vocab, columns = np.unique(np.concatenate([h for _, h, _ in keys]), return_inverse=True)
        out, at = [], 0
        for row, h, w in keys:
            cols = columns[at:at + len(h)].astype(np.int32 if len(vocab) < 2 ** 31 else np.int64)
            at += len(h)
            indptr = np.zeros(self.n + 1, dtype=np.int64)
            np.cumsum(np.bincount(row, minlength=self.n), out=indptr[1:])
            data = np.ones(len(h), dtype=np.float32) if ones else w.astype(np.float32, copy=False)
            matrix = csr_matrix((data, cols, indptr), shape=(self.n, max(1, len(vocab))))
            matrix.sort_indices()
            out.append(matrix)
        return out

    def matrix(self, keys: tuple[np.ndarray, np.ndarray, np.ndarray], *, ones: bool = False):
        """The sparse matrix of one section's ``keys`` (:meth:`matrices`)."""
        return self.matrices(keys, ones=ones)[0]

    def count(self, keys: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
        """How many keys each row has in ``keys``."""
        return np.bincount(keys[0], minlength=self.n).astype(np.float32)


__all__ = ["ScoringRow", "SECTIONS", "encode_row", "decode_row", "row_of", "row_sections", "key_hash", "RowBatch"]
