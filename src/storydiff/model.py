"""The nouns of storydiff, as small frozen dataclasses.

This module imports nothing else from the package: every other module may import it, and records built from these
classes are what crosses a stage boundary (between processes, machines, the store and the report). Text positions are
character offsets into ``Article.text`` (the cleaned body), never parser objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Metadata fields an article can carry. Each one records where its value came from (see :class:`FieldOrigin`).
METADATA_FIELDS = ("title", "url", "outlet", "published", "author", "language", "summary")


@dataclass(frozen=True, slots=True)
class FieldOrigin:
    """Where one metadata value came from, so that a reader can judge it.

    ``source`` is ``"given"`` (supplied by the input: a header block, a sidecar file, a JSON field, feed fields),
    ``"page"`` (read from the page's own markup by trafilatura/htmldate), or ``"inferred:<how>"`` (worked out from
    the text or the URL, e.g. ``inferred:url``, ``inferred:sign-off``, ``inferred:dateline``). ``evidence`` quotes
    what the value was read from (a header line, the URL, the sentence of a sign-off).
    """

    field: str
    source: str
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Removal:
    """A piece of the input that was taken out of the body text, and why (``kind``: chrome, share-prompt, ...)."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One article-sized unit read from an input, before cleaning.

    ``locator`` identifies it stably (file path plus line, record offset or feed entry id) and is the article's
    identity: reading the same input again yields the same locators. ``payload`` is ``bytes`` when the encoding is not
    yet known (plain files) and ``str`` otherwise. ``kind`` is ``"text"`` or ``"html"``. ``given`` holds metadata the
    container supplied (JSON fields, sidecar file, feed fields, WARC target URI) as ``(field, value, evidence)``.
    """

    locator: str
    kind: str
    payload: bytes | str
    given: tuple[tuple[str, str, str], ...] = ()
    raw_hash: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned article with honest metadata.

    ``text`` is the body only: captions live in ``captions`` and removed page chrome in ``removed``. ``published`` is
    an ISO date (``YYYY-MM-DD``) or ``None``; every metadata value that is set has a :class:`FieldOrigin` in
    ``origins``. ``notes`` are non-fatal remarks about the input (e.g. "decoded as cp1252").
    """

    id: str
    locator: str
    text: str
    text_hash: str
    raw_hash: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    author: str | None = None
    language: str | None = None
    summary: str | None = None
    captions: tuple[str, ...] = ()
    removed: tuple[Removal, ...] = ()
    origins: tuple[FieldOrigin, ...] = ()
    notes: tuple[str, ...] = ()

    def origin(self, name: str) -> FieldOrigin | None:
        """The origin of metadata field ``name``, or ``None`` when the field is unset."""
        for item in self.origins:
            if item.field == name:
                return item
        return None

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class Problem:
    """An input (file, line, record) that could not be read, with the reason. Failures are data, not crashes."""

    locator: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class DuplicateLink:
    """Two stored articles that are copies of one another (``kind``: ``exact`` or ``near``).

    Stored symmetrically with ``a < b`` so that the order of ingestion does not matter; ``similarity`` is the
    estimated Jaccard similarity of word shingles (1.0 for exact copies).
    """

    a: str
    b: str
    kind: str
    similarity: float


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """What one ingest run did. ``problems`` name every input that was skipped, with the reason."""

    read: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    problems: tuple[Problem, ...] = ()
    seconds: float = 0.0

    @property
    def skipped(self) -> int:
        return len(self.problems)


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """A compact listing row for an article (no body text)."""

    id: str
    locator: str
    title: str | None
    outlet: str | None
    published: str | None
    url: str | None
    author: str | None
    language: str | None
    words: int
    duplicate_of: str | None = None
    extra: dict = field(default_factory=dict, compare=False)


# --- analysis records (per article; offsets are into Article.text) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    """``text == article.text[start:end]``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Entity:
    """One canonical entity of an article: its full name, every surface form and where each occurs.

    ``key`` is unique within the article (``"e1"``...). ``variants`` records spelling/transliteration variants grouped
    into this entity with the evidence (``(form, reason)``); ``related`` names other entities of the same article that
    share a surname and a role but have a different full name (``(key, reason)``), kept distinct on purpose.
    """

    key: str
    name: str
    label: str
    mentions: tuple[Span, ...]
    forms: tuple[str, ...]
    acronym: str | None = None
    variants: tuple[tuple[str, str], ...] = ()
    related: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Quote:
    """Who is reported saying what.

    ``kind``: ``direct`` (in quotation marks), ``indirect`` ("X said that ...", "according to X") or ``mixed``.
    ``speaker`` is the mention in the text (a name, a pronoun, a description) and ``speaker_entity`` the key of the
    :class:`Entity` it resolves to; ``resolution`` says how (``name``, ``pronoun``, ``description``, ``previous``
    for a floating quote whose speaker is in an earlier sentence, or ``unresolved``).
    """

    kind: str
    content: tuple[Span, ...]
    cue: Span | None
    speaker: Span | None
    speaker_entity: str | None
    resolution: str
    sentence: Span


@dataclass(frozen=True, slots=True)
class MarkedTerm:
    """A term the text sets apart without quoting anyone: scare quotes, "so-called", "alleged"."""

    kind: str
    span: Span
    sentence: Span


@dataclass(frozen=True, slots=True)
class Fact:
    """A checkable statement of quantity or time with what it counts.

    ``kind``: ``tally`` (votes for-against), ``count``, ``money``, ``percent`` or ``date``. ``value`` is the normalised
    value as text (``"169-1"``, ``"1800000"``, ``"2022-01-20"``); ``qualifier`` the hedge or bound ("more than",
    "around", "unanimously"); ``counted`` what is counted ("people", "countries"); ``predicate`` the verb or event it
    belongs to; ``entities`` the keys of entities in the same clause. For dates, ``granularity`` is day/week/month/
    year and ``value`` is ``None`` when the text does not allow a date ("unresolved").
    """

    kind: str
    span: Span
    value: str | None
    sentence: Span
    qualifier: str | None = None
    counted: str | None = None
    predicate: str | None = None
    entities: tuple[str, ...] = ()
    granularity: str | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the analysis stage found in one article, with the stage name and version that produced it."""

    article_id: str
    text_hash: str
    stage: str
    version: str
    sentences: tuple[tuple[int, int], ...]
    entities: tuple[Entity, ...] = ()
    quotes: tuple[Quote, ...] = ()
    facts: tuple[Fact, ...] = ()
    terms: tuple[MarkedTerm, ...] = ()


# --- comparison records (corpus work over analysis records) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    """One source's answer to a comparison question, with the sentence it comes from.

    ``source`` identifies an independent source: articles of one outlet and copies of one another share it.
    ``attributed_to`` names who the article attributes the figure to, when it does (the speaker of a quote whose
    content holds the fact).
    """

    article_id: str
    outlet: str
    source: str
    value: str | None
    text: str
    evidence: Span
    qualifier: str | None = None
    attributed_to: str | None = None


@dataclass(frozen=True, slots=True)
class FactRow:
    """Facts from different articles that answer the same question, and whether the accounts agree.

    ``status``: ``corroborated`` (independent sources agree), ``single-source``, ``conflicting`` (incompatible
    values), ``differing-estimates`` (compatible but different figures) or ``variants`` (spellings of one name).
    ``basis`` says why the facts were put in one row (shared words, entities, the same value). ``internal`` marks a
    row found inside one article (the article contradicts itself).
    """

    question: str
    kind: str
    status: str
    claims: tuple[Claim, ...]
    basis: str
    internal: bool = False


@dataclass(frozen=True, slots=True)
class QuoteRef:
    article_id: str
    outlet: str
    source: str
    kind: str
    speaker: str | None
    cue: str | None
    content: str
    evidence: Span


@dataclass(frozen=True, slots=True)
class QuoteMatch:
    """One statement as several outlets report it: the wording differences (``diff``, word-level against the first
    quote: ``(op, text)`` with op in equal/delete/insert) and what differs in the attribution (``flags``)."""

    quotes: tuple[QuoteRef, ...]
    similarity: float
    diff: tuple[tuple[str, ...], ...]
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Omission:
    """What most other sources covering an event carry and this outlet leaves out (``kind``: fact or voice)."""

    outlet: str
    kind: str
    what: str
    carried_by: tuple[str, ...]
