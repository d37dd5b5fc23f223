"""Exact and near-duplicate articles (a wire story republished by several outlets, the same page twice).

Exact copies share the hash of their normalised body. Near copies are found with MinHash (datasketch) over word
3-shingles and LSH banding: the band keys are plain integers kept by the store, so candidate search is an index lookup
whose cost does not grow with the store, and a resumed run sees everything stored before it. Candidates are kept when
their estimated Jaccard similarity reaches :data:`NEAR_DUPLICATE_JACCARD`.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np

from ..model import Article, DuplicateLink

NUM_PERM = 128
#: Estimated Jaccard similarity of word 3-shingles from which two articles count as copies of one another.
#: Measured on tests/data/inputs/dupes: a wire story with a new lead sentence and sign-off scores ~0.8; two
#: different outlets' stories of one event score below 0.1.
NEAR_DUPLICATE_JACCARD = 0.6
#: LSH banding: 32 bands of 4 rows put the 50%-detection point at Jaccard (1/32)^(1/4) = 0.42, well below the
#: threshold, so copies at 0.6 are found with probability 1 - (1 - 0.6^4)^32 > 0.98.
BANDS, ROWS = 32, 4
#: Texts with fewer shingles than this are only matched exactly (too short for a meaningful estimate).
MIN_SHINGLES = 20
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, size: int = 3) -> list[bytes]:
    words = " ".join(_WORD.findall(text.lower())).encode("utf-8").split()
    return list(map(b" ".join, zip(*(words[i:] for i in range(size))))) if size > 0 else []


@lru_cache(maxsize=1)
def _empty_minhash():
    """A MinHash with no value yet: copies of it share its permutations instead of drawing them again."""
    from datasketch import MinHash

    # crc32 instead of datasketch's default sha1: 3x faster, still deterministic across processes and machines
    return MinHash(num_perm=NUM_PERM, seed=1, hashfunc=zlib.crc32)


def signature(text: str) -> tuple[bytes, list[int]]:
    """MinHash signature (as bytes) and LSH band keys of ``text``. Empty keys when it is too short."""
    grams = shingles(text)
    mh = _empty_minhash().copy()
    if grams:
        mh.update_batch(grams)
    values = np.asarray(mh.hashvalues, dtype=np.uint64)
    if len(set(grams)) < MIN_SHINGLES:
        return values.tobytes(), []
    keys = []
    for band in range(BANDS):
        chunk = values[band * ROWS:(band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(chunk, digest_size=8, person=band.to_bytes(2, "little") * 8).digest()
        keys.append(int.from_bytes(digest, "little", signed=True))
    return values.tobytes(), keys


def similarity(sig_a: bytes, sig_b: bytes) -> float:
    """Estimated Jaccard similarity of two signatures."""
    a = np.frombuffer(sig_a, dtype=np.uint64)
    b = np.frombuffer(sig_b, dtype=np.uint64)
    return float(np.count_nonzero(a == b)) / len(a)


def link(x: str, y: str, kind: str, sim: float) -> DuplicateLink:
    a, b = sorted((x, y))
    return DuplicateLink(a, b, kind, round(sim, 3))


class BatchIndex:
    """The LSH index of the articles of the batch being written (not yet in the store)."""

    def __init__(self) -> None:
        self.by_key: dict[int, list[str]] = {}
        self.by_hash: dict[str, list[str]] = {}
        self.signatures: dict[str, bytes] = {}

    def add(self, article: Article, sig: bytes, keys: Sequence[int]) -> None:
        self.signatures[article.id] = sig
        self.by_hash.setdefault(article.text_hash, []).append(article.id)
        for key in keys:
            self.by_key.setdefault(key, []).append(article.id)

    def candidates(self, keys: Iterable[int]) -> set[str]:
        return {aid for key in keys for aid in self.by_key.get(key, ())}


def find_links(article: Article, sig: bytes, keys: Sequence[int], store, batch: BatchIndex) -> list[DuplicateLink]:
    """Duplicate links between ``article`` and everything stored or already in ``batch``."""
    out: dict[str, DuplicateLink] = {}
    for other in store.ids_with_text_hash(article.text_hash) + batch.by_hash.get(article.text_hash, []):
        if other != article.id:
            out[other] = link(article.id, other, "exact", 1.0)
    if keys:
        candidates: dict[str, tuple[bytes, str]] = {c.article_id: (c.signature, c.text_hash)
                                                   for c in store.lsh_candidates(keys)}
        for other in batch.candidates(keys):
            candidates[other] = (batch.signatures[other], "")
        for other, (other_sig, _) in candidates.items():
            if other == article.id or other in out:
                continue
            sim = similarity(sig, other_sig)
            if sim >= NEAR_DUPLICATE_JACCARD:
                out[other] = link(article.id, other, "near", sim)
    return sorted(out.values(), key=lambda ln: (ln.a, ln.b))


def duplicate_groups(links: Iterable[DuplicateLink], published: Mapping[str, str | None]) -> list[list[str]]:
    """Connected groups of copies, each ordered with its canonical member first (the earliest published, then the
    smallest id), so the result does not depend on the order articles were ingested in."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for ln in links:
        ra, rb = find(ln.a), find(ln.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)

    def order(aid: str) -> tuple[str, str]:
        return (published.get(aid) or "9999-99-99", aid)

    return sorted((sorted(members, key=order) for members in groups.values()), key=lambda g: order(g[0]))
