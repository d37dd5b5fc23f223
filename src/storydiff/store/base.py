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

    # --- stories
    def stories_index_path(self) -> str | None: ...

    def pending_story_vectors(self, model: str) -> list[str]: ...

    def write_story_vectors(self, rows: Sequence[tuple[str, str, str, bytes, str]]
                            ) -> dict[str, tuple[int, int | None]]: ...

    def story_vectors(self, ids: Iterable[str] | None = None, *, keys: Iterable[int] | None = None
                      ) -> Iterator[tuple[str, int, bytes, str]]: ...

    def story_index_state(self) -> tuple[int, int]: ...

    def pending_story_features(self, version: str) -> list[str]: ...

    def pending_name_features(self, version: str) -> list[str]: ...

    def entity_corpus_keys(self, ids: Iterable[str]) -> dict[str, dict[str, str]]: ...

    def write_story_features(self, rows: Sequence[tuple[str, str, str, str]]) -> None: ...

    def story_features(self, ids: Iterable[str]) -> dict[str, str]: ...

    def story_ready_ids(self) -> list[str]: ...

    def story_edges(self, ids: Iterable[str], min_score: float = float("-inf")
                    ) -> list[tuple[str, str, float, str]]: ...

    def story_links(self, ids: Iterable[str], min_score: float = float("-inf")
                    ) -> list[tuple[str, str, float]]: ...

    def replace_story_edges(self, ids: Sequence[str], edges: Sequence[tuple[str, str, float, str]]) -> None: ...

    def events_of(self, ids: Iterable[str]) -> dict[str, str]: ...

    def event_members(self, event_ids: Iterable[str]) -> dict[str, list[tuple[str, str]]]: ...

    def replace_events(self, ids: Sequence[str],
                       events: Sequence[tuple[str, str | None, str, Sequence[tuple[str, str]]]]) -> None: ...

    def get_events(self, event_ids: Iterable[str] | None = None
                   ) -> list[tuple[str, str | None, str | None, str]]: ...

    def replace_storylines(self, drop: Sequence[str], storylines: Sequence[tuple[str, str, Sequence[str]]]
                           ) -> None: ...

    def get_storylines(self) -> list[tuple[str, str]]: ...

    def add_story_decision(self, kind: str, articles: Sequence[str], others: Sequence[str], note: str = "") -> int: ...

    def story_decisions(self) -> list[tuple[int, str, list[str], list[str], str, str]]: ...

    def article_meta(self, ids: Iterable[str]) -> dict[str, tuple[str | None, str | None, str | None, str]]: ...

    # --- export
    def iter_entity_rows(self) -> Iterator[dict]: ...

    def iter_quote_rows(self) -> Iterator[dict]: ...

    def iter_fact_rows(self) -> Iterator[dict]: ...
