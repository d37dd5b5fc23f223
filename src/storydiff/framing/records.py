"""The records of the framing stage, as small frozen dataclasses (they import only :mod:`storydiff.model`).

Per article, :class:`ArticleFraming` (the output of ``frame_article``, a pure map): every position is a
:class:`~storydiff.model.Span` into ``Article.text`` carrying its own text, so corpus work never needs the article.
Per event or storyline, :class:`OutletFraming` (``frame_outlets``) and :class:`Referent` (``referent_terms``).

``framing_to_dict`` / ``framing_from_dict`` turn an :class:`ArticleFraming` into plain JSON-ready data and back.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass

from ..model import Span

# --- per article --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentenceScore:
    """One sentence and the loaded-language model's probability that it is loaded. ``quoted`` is the share of its
    characters inside quoted content (0..1): loaded words in a quote are the speaker's, not the outlet's."""

    span: Span
    score: float
    quoted: float


@dataclass(frozen=True, slots=True)
class LoadedWord:
    """A word whose learned lexicon score is at least the model's word threshold. ``sentence`` indexes
    :attr:`ArticleFraming.sentences`; ``quoted``: inside quoted content."""

    span: Span
    score: float
    sentence: int
    quoted: bool


@dataclass(frozen=True, slots=True)
class Marker:
    """A hedge ("reportedly", "it is unclear") or a distancing device ("so-called", "alleged", a scare quote).

    ``kind`` is ``hedge`` or ``distancing``; ``cue`` the normalised cue (a word-list entry, or the analysis stage's
    marked-term kind such as ``scare-quote``); ``span`` the cue (for marked terms: the whole marked term).
    """

    kind: str
    cue: str
    span: Span
    sentence: Span
    quoted: bool


@dataclass(frozen=True, slots=True)
class Attribution:
    """How a quote is attributed: the cue's lemma (``verb``), its class from the rules file (neutral, doubt,
    factive, admission, emphatic, combative, denial, or ``other``), the cue span, and the speaker: ``speaker`` is the
    :class:`Voice` key in this article (``None`` when the quote has no speaker)."""

    verb: str
    verb_class: str
    cue: Span
    speaker: str | None
    quote_kind: str
    sentence: Span


@dataclass(frozen=True, slots=True)
class Voice:
    """One speaker quoted in the article.

    ``key`` is the entity key of the speaker (``e3``) or ``q<n>`` for a speaker that resolves to no entity (then
    ``name`` is the speaker text). ``corpus_key`` joins one speaker across articles (the analysis stage's
    ``corpus_key``; ``None`` for an unresolved speaker). ``words`` counts the words of the speaker's quote contents.
    ``side_words`` are the GPE/NORP words of the speaker's name, role and description in this article ("Chinese" of
    "the Chinese Embassy", "China" of "China's UN ambassador"), nearest to the name first; ``evidence`` the spans
    they were read from.
    """

    key: str
    name: str
    label: str | None
    corpus_key: str | None
    quotes: int
    words: int
    side_words: tuple[str, ...] = ()
    evidence: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class Mention:
    """A noun phrase, for aligning what several outlets call the same thing.

    ``term`` is the phrase normalised (leading determiners and possessive pronouns dropped, lower-cased apart from
    proper nouns, the head lemmatised); ``head`` the head's lemma. ``entity`` is the corpus key of the named entity
    the phrase's head names, ``args`` ``(relation, name, label)`` for the phrase's arguments that are named entities
    (``("poss", "China", "GPE")``, ``("of", "Uyghurs", "NORP")``, ``("mod", "Xinjiang", "GPE")``), ``same_as`` the indices (into
    :attr:`ArticleFraming.mentions`) of phrases the text equates with it (apposition, "X is Y", "describes X as Y"),
    ``slot`` the place the phrase fills (``"pass:dobj"``: the object of "pass"; ``"passage:of"``), or ``None``.
    """

    span: Span
    term: str
    head: str
    entity: str | None
    args: tuple[tuple[str, str, str], ...]
    same_as: tuple[int, ...]
    sentence: Span
    quoted: bool
    slot: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleFraming:
    """Everything the framing stage found in one article, with the stage, version and loaded-language model name.

    ``side_vocab`` lists the article's GPE and NORP names as ``(form, label)``: the words that can say which side a
    speaker is on. ``parsed`` is ``False`` when no spaCy parse was given (then ``mentions`` is empty and cue lemmas
    come from suffix rules).
    """

    article_id: str
    text_hash: str
    stage: str
    version: str
    model: str
    language: str
    sentences: tuple[SentenceScore, ...] = ()
    loaded_words: tuple[LoadedWord, ...] = ()
    markers: tuple[Marker, ...] = ()
    attributions: tuple[Attribution, ...] = ()
    voices: tuple[Voice, ...] = ()
    mentions: tuple[Mention, ...] = ()
    side_vocab: tuple[tuple[str, str], ...] = ()
    parsed: bool = True


# --- per event / storyline (corpus work) ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a finding comes from: the article and the span (with its text) in that article."""

    article_id: str
    span: Span


@dataclass(frozen=True, slots=True)
class VerbUse:
    """An attribution verb as one outlet uses it: how often, for whom (speaker names), with examples."""

    verb: str
    verb_class: str
    count: int
    speakers: tuple[str, ...]
    examples: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class MarkerUse:
    kind: str
    cue: str
    count: int
    examples: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class LoadedSentence:
    """A sentence the model scores as loaded, with its loaded words (spans into the same article)."""

    article_id: str
    sentence: Span
    score: float
    quoted: float
    words: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class VoiceShare:
    """A speaker as one outlet quotes them. ``side`` is derived from the speaker's GPE/NORP words (``None`` when it
    has none); ``share`` is this speaker's part of the outlet's quoted words."""

    speaker: str
    corpus_key: str | None
    side: str | None
    quotes: int
    words: int
    share: float
    verbs: tuple[tuple[str, int], ...]
    side_evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class OutletFraming:
    """How one outlet tells an event (or a storyline): attribution, hedging and distancing, loaded language, voices.

    ``loaded_rate`` is the share of the outlet's own-voice sentences (less than half quoted) that the model scores
    as loaded; ``loaded_rate_quoted`` the same for mostly quoted sentences. ``side_share`` gives each side's share
    of the quoted words (``(side, words, share)``; side ``None`` for speakers without GPE/NORP words).
    """

    outlet: str
    articles: tuple[str, ...]
    sentences: int
    attribution_classes: tuple[tuple[str, int], ...]
    attribution_verbs: tuple[VerbUse, ...]
    markers: tuple[MarkerUse, ...]
    hedges: int
    distancing: int
    loaded_rate: float
    loaded_rate_quoted: float
    mean_score: float
    top_loaded: tuple[LoadedSentence, ...]
    loaded_words: tuple[tuple[str, int], ...]
    voices: tuple[VoiceShare, ...]
    side_share: tuple[tuple[str | None, int, float], ...]


@dataclass(frozen=True, slots=True)
class TermUse:
    """One term for a referent, as one outlet uses it: ``count`` uses, ``quoted`` of them inside quoted content (the
    speaker's word, not the outlet's)."""

    term: str
    count: int
    quoted: int
    examples: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Referent:
    """Something several outlets mention, and the terms each uses for it.

    ``label`` is the most common term across outlets; ``basis`` says how the mentions were aligned (``entity``: they
    name one entity; ``arguments``: nouns with the same named arguments, "China's persecution of the Uyghurs" /
    "China's treatment of Uyghurs"; ``head``: the same head noun; ``equated``: the text equates them; ``similar``:
    close embeddings). ``terms`` maps each outlet to its terms, most used first; ``divergence`` (0..1) is how differently the
    outlets name it: 1 minus the mean overlap (histogram intersection) of every two outlets' term distributions,
    averaged with the same over head words only (so "camp" / "center" counts more than "further" / "increasing").
    """

    label: str
    basis: tuple[str, ...]
    outlets: tuple[str, ...]
    terms: tuple[tuple[str, tuple[TermUse, ...]], ...]
    divergence: float


# --- plain data ----------------------------------------------------------------------------------------------------


def _plain(value):
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def framing_to_dict(record) -> dict:
    """Any framing record (or :class:`ArticleFraming`) as JSON-ready dicts and lists."""
    return _plain(record)


def _span(d) -> Span:
    return Span(d["start"], d["end"], d["text"])


def framing_from_dict(d: dict) -> ArticleFraming:
    """The inverse of :func:`framing_to_dict` for an :class:`ArticleFraming`."""
    return ArticleFraming(
        article_id=d["article_id"], text_hash=d["text_hash"], stage=d["stage"], version=d["version"],
        model=d["model"], language=d["language"], parsed=d.get("parsed", True),
        sentences=tuple(SentenceScore(_span(s["span"]), s["score"], s["quoted"]) for s in d.get("sentences", ())),
        loaded_words=tuple(LoadedWord(_span(w["span"]), w["score"], w["sentence"], w["quoted"])
                           for w in d.get("loaded_words", ())),
        markers=tuple(Marker(m["kind"], m["cue"], _span(m["span"]), _span(m["sentence"]), m["quoted"])
                      for m in d.get("markers", ())),
        attributions=tuple(Attribution(a["verb"], a["verb_class"], _span(a["cue"]), a["speaker"], a["quote_kind"],
                                       _span(a["sentence"])) for a in d.get("attributions", ())),
        voices=tuple(Voice(v["key"], v["name"], v["label"], v["corpus_key"], v["quotes"], v["words"],
                           tuple(v["side_words"]), tuple(_span(s) for s in v["evidence"]))
                     for v in d.get("voices", ())),
        mentions=tuple(Mention(_span(m["span"]), m["term"], m["head"], m["entity"],
                               tuple(tuple(a) for a in m["args"]), tuple(m["same_as"]), _span(m["sentence"]),
                               m["quoted"], m.get("slot")) for m in d.get("mentions", ())),
        side_vocab=tuple(tuple(x) for x in d.get("side_vocab", ())),
    )
