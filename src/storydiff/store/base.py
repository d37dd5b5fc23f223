"""The store interface. The store layer is the only code that speaks SQL; every backend implements this protocol.

A backend knows nothing of NLP: it keeps records (:mod:`storydiff.model`), opaque signature blobs and integer band
keys, and answers questions about them. ``write_batch`` is atomic: a batch is stored whole or not at all, which is
what makes an interrupted ingest resumable without duplicates or loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ..model import Analysis, Article, ArticleRow, DuplicateLink, Problem


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored article that shares an LSH band with a new one."""

    article_id: str
    signature: bytes
    text_hash: str


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    started_at: str
    finished_at: str | None
    command: str
    inputs: tuple[str, ...]
    status: str
    counts: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class SearchHit:
    row: ArticleRow
    snippet: str  # with the matched words between \x02 and \x03 (render layers mark them up after escaping)
    score: float


@runtime_checkable
class Store(Protocol):
    """What storydiff needs from a database."""

    url: str

    def close(self) -> None: ...

    # --- ingest runs
    def begin_run(self, command: str, inputs: Sequence[str]) -> int: ...

    def finish_run(self, run_id: int, status: str, counts: Mapping[str, int]) -> None: ...

    def runs(self) -> list[Run]: ...

    # --- writing
    def known_raw_hashes(self, locators: Sequence[str]) -> dict[str, str]: ...

    def lsh_candidates(self, keys: Sequence[int]) -> list[Candidate]: ...

    def ids_with_text_hash(self, text_hash: str) -> list[str]: ...

    def write_batch(self, run_id: int, articles: Sequence[Article], signatures: Mapping[str, bytes],
                    band_keys: Mapping[str, Sequence[int]], links: Sequence[DuplicateLink],
                    problems: Sequence[Problem]) -> None: ...

    # --- analysis records
    def pending_analysis(self, stage: str, version: str) -> list[str]: ...

    def write_analyses(self, analyses: Sequence[Analysis], corpus_keys: Mapping[tuple[str, str], str]) -> None: ...

    def get_analysis(self, article_id: str) -> Analysis | None: ...

    def iter_analyses(self, ids: Iterable[str] | None = None) -> Iterator[Analysis]: ...

    def entity_rows(self) -> Iterator[tuple[str, str, str, str, list[str], str | None, str]]: ...

    def count_analyses(self) -> int: ...

    # --- reading
    def count_articles(self) -> int: ...

    def list_articles(self, limit: int | None = None, offset: int = 0, outlet: str | None = None
                      ) -> list[ArticleRow]: ...

    def get_article(self, article_id: str) -> Article | None: ...

    def iter_articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]: ...

    def search(self, query: str, limit: int = 20) -> list[SearchHit]: ...

    def duplicate_links(self) -> list[DuplicateLink]: ...

    def problems(self) -> list[Problem]: ...
