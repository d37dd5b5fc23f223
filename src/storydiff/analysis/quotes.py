"""Who is reported saying what: direct, indirect and mixed quotes, and terms the text sets apart.

:func:`extract_quotes` reads one parsed article (a spaCy ``Doc`` of ``Article.text``) and returns
``(quotes, terms)``: :class:`~storydiff.model.Quote` and :class:`~storydiff.model.MarkedTerm` records whose offsets are
character offsets into the text. It is a pure function of the parse: no second parse, no model of its own.

How it works, in linear passes over the text and the parse:

1. **Quotation marks are paired per paragraph** (a line of the text). Every style is read: “…” ‘…’ «…» »…« „…“ ‚…‘
   ``"…"`` ``''…''`` and straight ``'…'``; a straight or ambiguous mark takes its role from the characters around it,
   and ’ or ' between letters is an apostrophe. A mark that cannot be paired is dropped, never paired across a
   paragraph, with one exception, the news convention for long quotes: a paragraph that opens a quote without
   closing it, followed by a paragraph that opens with a quotation mark, continues the same quote.
2. **Cues** are tokens whose lemma is a reporting verb of the language's rules file (``data/quotes/<lang>.json``)
   and phrase cues ("according to"). Each cue's speaker is its subject (inherited through "…, saying", "went on to
   say", conjoined verbs, relative clauses; after the verb in "…, said X"); its content is its clausal complement
   ("X said [that …]", "X told reporters […]"), its object for verbs such as "deny", or the clause it reports on
   ("[…], X said"; "[…], according to X").
3. **Indirect and mixed quotes** come from cues with content: content with no quoted words is ``indirect``, content
   that is wholly a quotation is ``direct``, and a mix is ``mixed``.
4. **Direct quotes** not already covered are attributed through their frame: the nearest cue in the sentences the
   quote spans, looking past the quote when it ends with a comma ("“…,” he said") and before it when a colon or
   comma leads in ("He said: “…”"); a speaker between two parts ("“…,” he said, “…”") joins them into one quote.
   A quote with no cue in its frame continues the previous quote of its paragraph, or takes the speaker of the
   most recent quote (``resolution="previous"``), or stays ``unresolved``.
5. **Marked terms**: a short quotation (at most ``scare_quote_max_words`` words) with no cue attached to it is a
   scare quote (``MarkedTerm(kind="scare-quote")``), unless a reporting verb governs it ("critics called the plan
   “a disaster”": a mixed quote); a longer title-cased one is a ``title``; "so-called X" and "alleged X" (the rules
   file's ``term_markers``) give ``so-called`` and ``alleged`` terms.
6. **Speakers are resolved** to the article's entities when ``entities`` is given: a name through the mention it
   overlaps (``name``); a pronoun (``pronoun``) that is the subject of a clause joined to the one before ("…, as it
   stressed", "…, but he said") to that clause's subject when it can be the pronoun (left unresolved when that
   subject is a thing no entity names); otherwise to the previous quote's speaker when nobody else who fits was named
   since, else to the most recent compatible entity mention before it -- he/she a PERSON whose gender, where the
   article states it (an honorific, a gendered noun, pronouns that can only refer to that person), is the pronoun's,
   it/they the subject of an earlier sentence; a document ("the statement said") to whoever issued it, as its own
   words or its latest earlier mention say ("X said in a statement", "a letter from X", "X released a report");
   a definite description ("the envoy", "the embassy") to the most
   recent entity whose mention, title words or apposition share the noun or a synonym from the rules file
   (``description``), a proper adjective having to fit too ("the Cuban envoy" is not the French one).

Languages without a rules file yield no quotes and no terms (nothing is guessed from another language's words).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ..model import Entity, MarkedTerm, Quote, Span
from ..rules import read_rules
from .entities import doc_text

#: Characters after which a straight quotation mark opens a quote (besides whitespace and the start of a line).
_OPEN_CONTEXT = frozenset("([{<—–-/:;,\u00a0")
_SENTENCE_END = frozenset(".!?")
#: Entity types that never speak ("said Friday").
_NOMINAL = frozenset(("pobj", "compound", "poss", "appos", "nmod", "npadvmod"))
_COMPLEMENTS = frozenset(("dobj", "dative", "oprd", "attr", "xcomp", "ccomp", "prep", "acomp"))
_NOT_SPEAKERS = frozenset(("DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"))
_FRAME_PUNCT = frozenset(",!?")
#: Most tokens between a short quotation and its cue for the cue to count as attached ("“No,” the spokesman said").
_ADJACENT_TOKENS = 7
#: Most tokens between a verb and the start of the clause it reports ("said in a statement on its website that …");
#: a clause further off is a parser attachment error more often than not.
_CLAUSE_REACH = 12


# --- rules ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class QuoteRules:
    """The language data of ``data/quotes/<lang>.json``, as sets and compiled patterns."""

    lang: str
    speech_verbs: frozenset[str]
    object_verbs: frozenset[str]
    xcomp_verbs: frozenset[str]
    prepositional_content: dict[str, frozenset[str]]
    parenthetical_verbs: frozenset[str]
    marker_verbs: frozenset[str]
    quotation_verbs: frozenset[str]
    line_label_speakers: frozenset[str]
    cue_lemmas: frozenset[str]
    phrase_cues: tuple[tuple[str, ...], ...]
    verb_phrase_cues: dict[str, tuple[str, ...]]
    relative_pronouns: frozenset[str]
    content_markers: frozenset[str]
    deps: dict[str, frozenset[str]]
    pairs: dict[str, frozenset[str]]
    closers: frozenset[str]
    double: frozenset[str]
    ambiguous: frozenset[str]
    mark_re: re.Pattern
    scare_max_words: int
    title_max_words: int
    floating_gap: int
    pronoun_back: int
    pronouns: dict[str, str]
    pronoun_labels: dict[str, frozenset[str]]
    honorifics: dict[str, str]
    gender_pronouns: dict[str, str]
    gendered: dict[str, str]
    determiners: frozenset[str]
    person_roles: frozenset[str]
    synonyms: dict[str, frozenset[str]]
    descriptor_labels: dict[str, frozenset[str]]
    term_markers: dict[str, str]
    marker_needs_modifier: frozenset[str]
    marker_re: re.Pattern | None
    nameless_speakers: frozenset[str] = frozenset()
    documents: frozenset[str] = frozenset()
    document_authors: frozenset[str] = frozenset()
    document_issued: frozenset[str] = frozenset()
    document_verbs: frozenset[str] = frozenset()


@lru_cache(maxsize=None)
def load_rules(lang: str = "en") -> QuoteRules | None:
    """The quote rules of ``lang``, or ``None`` when the package has no rules file for it."""
    raw = read_rules("quotes", lang, fallback=None)
    if raw is None:
        return None
    marks = raw["quote_marks"]
    all_marks = set(marks["pairs"]) | set(marks["closers"])
    # longest first, so that '' and `` win over ' and `
    mark_re = re.compile("|".join(re.escape(m) for m in sorted(all_marks, key=len, reverse=True)))
    synonyms: dict[str, set[str]] = {}
    for group in raw["descriptor_synonyms"]:
        for word in group:
            synonyms.setdefault(word, set()).update(group)
    gendered = {w: g for g, words in raw["gendered_nouns"].items() for w in words}
    markers = raw.get("term_markers", {})
    marker_re = re.compile(r"(?<![\w-])(" + "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True))
                           + r")(?![\w-])", re.IGNORECASE) if markers else None
    speech, objects, xcomp = (frozenset(raw[k]) for k in ("speech_verbs", "object_verbs", "xcomp_verbs"))
    return QuoteRules(
        lang=lang, speech_verbs=speech, object_verbs=objects, xcomp_verbs=xcomp,
        prepositional_content={k: frozenset(v) for k, v in raw["prepositional_content"].items()},
        parenthetical_verbs=frozenset(raw["parenthetical_verbs"]), marker_verbs=frozenset(raw["marker_verbs"]),
        quotation_verbs=frozenset(raw.get("quotation_verbs", ())),
        line_label_speakers=frozenset(raw.get("line_label_speakers", ())),
        cue_lemmas=speech | objects | xcomp | frozenset(raw["prepositional_content"]),
        phrase_cues=tuple(tuple(p) for p in raw["phrase_cues"]),
        verb_phrase_cues={p[0]: tuple(p[1:]) for p in raw.get("verb_phrase_cues", ())},
        relative_pronouns=frozenset(raw["relative_pronouns"]),
        content_markers=frozenset(raw["content_markers"]),
        deps={k: frozenset(v) for k, v in raw["deps"].items()},
        pairs={k: frozenset(v) for k, v in marks["pairs"].items() if not k.startswith("_")},
        closers=frozenset(marks["closers"]), double=frozenset(marks["double"]),
        ambiguous=frozenset(marks["ambiguous"]), mark_re=mark_re,
        scare_max_words=int(raw["scare_quote_max_words"]), title_max_words=int(raw["title_max_words"]),
        floating_gap=int(raw["floating_max_paragraph_gap"]), pronoun_back=int(raw["pronoun_max_sentences_back"]),
        pronouns=dict(raw["pronouns"]),
        pronoun_labels={k: frozenset(v) for k, v in raw["pronoun_labels"].items()},
        honorifics=dict(raw["honorifics"]), gendered=gendered, gender_pronouns=dict(raw["gender_pronouns"]),
        determiners=frozenset(raw["descriptor_determiners"]),
        person_roles=frozenset(raw["descriptor_person_roles"]),
        synonyms={k: frozenset(v) for k, v in synonyms.items()},
        descriptor_labels={k: frozenset(v) for k, v in raw["descriptor_labels"].items()},
        term_markers={k.lower(): v for k, v in markers.items()},
        marker_needs_modifier=frozenset(raw.get("term_markers_need_modifier", ())),
        marker_re=marker_re,
        nameless_speakers=frozenset(w.lower() for w in raw.get("nameless_speakers", ())),
        documents=frozenset(raw.get("documents", ())),
        document_authors=frozenset(raw.get("document_authors", ())),
        document_issued=frozenset(raw.get("document_issued", ())),
        document_verbs=frozenset(raw.get("document_verbs", ())),
    )


def speaker_label(quote: Quote, names: Mapping[str, str], lang: str = "en") -> str | None:
    """Who ``quote`` is shown as said by: the name of the entity its speaker resolves to (``names``: entity key ->
    name); else the speaker's own words ("The statement", "a Thursday note"), unless those are only a pronoun
    that names nobody (rules: ``nameless_speakers``): then ``None``, unattributed, as a quote with no speaker is.
    The pronoun stays in the quote's evidence."""
    name = names.get(quote.speaker_entity) if quote.speaker_entity else None
    if name:
        return name
    if quote.speaker is None:
        return None
    words = quote.speaker.text.strip()
    return None if nameless_speaker(words, lang) else words


def nameless_speaker(words: str, lang: str = "en") -> bool:
    """Whether a speaker's words name nobody by themselves (empty, or a pronoun of ``nameless_speakers``)."""
    rules = load_rules(lang)
    words = words.strip().lower()
    return not words or (rules is not None and words in rules.nameless_speakers)


# --- quotation marks --------------------------------------------------------------------------------------------


@dataclass
class QuotedSpan:
    """A stretch of text between paired quotation marks: ``text[start:end]`` includes both marks, except that a
    quote running on into the next paragraph (``closed=False``) ends at the end of its paragraph. ``depth`` is 0
    for an outermost quotation; ``next`` is the index of the span that continues it in the next paragraph."""

    start: int
    end: int
    paragraph: int
    depth: int
    closed: bool = True
    next: int | None = None
    previous: int | None = None


def paragraphs(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each non-blank line of ``text``, trailing whitespace excluded."""
    out = []
    for m in re.finditer(r"[^\n]+", text):
        start, end = m.start(), m.end()
        while end > start and text[end - 1].isspace():
            end -= 1
        while start < end and text[start].isspace():
            start += 1
        if end > start:
            out.append((start, end))
    return out


def find_quoted_spans(text: str, rules: QuoteRules, paras: list[tuple[int, int]] | None = None) -> list[QuotedSpan]:
    """Every paired quotation in ``text``, sorted by start (outermost before nested).

    Marks that cannot be paired are dropped (a stray closing mark, an opening mark never closed in its paragraph);
    the only pairing across paragraphs is the news convention described in the module docstring.
    """
    paras = paragraphs(text) if paras is None else paras
    spans: list[QuotedSpan] = []
    first_of_paragraph = 0
    for p_index, (ps, pe) in enumerate(paras):
        stack: list[tuple[str, int]] = []  # (mark, position)
        for m in rules.mark_re.finditer(text, ps, pe):
            mark, i, j = m.group(), m.start(), m.end()
            before = text[i - 1] if i > ps else " "
            after = text[j] if j < pe else " "
            if len(mark) == 1 and mark in "'’" and before.isalnum() and after.isalnum():
                continue  # an apostrophe: don't, O'Brien, Clinton’s
            open_ctx = (before.isspace() or before in _OPEN_CONTEXT or before in rules.pairs) and not after.isspace()
            close_ctx = not before.isspace() and not after.isalnum()
            accepting = _accepting(stack, mark, rules)
            if mark in rules.ambiguous:
                if mark == "'" and (after.isdigit() or not (open_ctx or close_ctx)):
                    continue  # '90s, rock 'n' roll
                if close_ctx and not open_ctx:
                    role = "close" if accepting is not None else "skip"
                elif open_ctx and not close_ctx:
                    role = "open"
                else:
                    role = "close" if accepting is not None else ("open" if mark != "'" else "skip")
            elif mark in rules.pairs and mark not in rules.closers:
                role = "open"  # “ is an opener except where it closes „ (or a “ left open) in closing position
            elif mark in rules.pairs:
                # both roles (“ ” » ‘): close what it can close, else open in opening position
                if accepting is not None and (close_ctx or not open_ctx):
                    role = "close"
                elif open_ctx:
                    role = "open"
                else:
                    role = "skip"
            else:
                role = "close" if accepting is not None else "skip"
            if role == "open" and mark in ("“", "‘") and accepting is not None and close_ctx and not open_ctx:
                role = "close"
            if role == "open":
                stack.append((mark, i))
            elif role == "close":
                opener, start = stack[accepting]
                del stack[accepting:]
                inner = text[start + len(opener):i]
                if opener not in rules.double and len(inner) == 1 and inner.isalpha():
                    continue  # an elision, not a quotation: rock 'n' roll
                spans.append(QuotedSpan(start, j, p_index, depth=accepting))
        # an outer quote left open at the end of the paragraph continues if the next paragraph opens with a mark
        open_double = [s for s in stack if s[0] in rules.double]
        if open_double and p_index + 1 < len(paras):
            mark, start = open_double[0]
            ns = paras[p_index + 1][0]
            first = rules.mark_re.match(text, ns)
            if first and first.group() in rules.pairs and first.group() in rules.double:
                spans.append(QuotedSpan(start, pe, p_index, depth=0, closed=False))
        # depth counts the quotations that survived pairing around a span, not the marks that were open
        mine = [s for s in spans[first_of_paragraph:]]
        for s in mine:
            s.depth = sum(1 for o in mine if o is not s and o.start <= s.start and o.end >= s.end)
        first_of_paragraph = len(spans)
    spans.sort(key=lambda s: (s.start, s.depth))
    # link each running-on quote to the quote that opens its next paragraph
    starts = [s.start for s in spans]
    for index, span in enumerate(spans):
        if not span.closed:
            ns = paras[span.paragraph + 1][0]
            k = bisect_left(starts, ns)
            if k < len(spans) and spans[k].start == ns and spans[k].depth == 0:
                span.next = k
                spans[k].previous = index
    return spans


def _accepting(stack: list[tuple[str, int]], mark: str, rules: QuoteRules) -> int | None:
    """Index in ``stack`` of the nearest opener that ``mark`` can close (a single mark does not reach past a double
    one: the ’ of "voters’" inside “…” is an apostrophe)."""
    single = mark not in rules.double
    for k in range(len(stack) - 1, -1, -1):
        opener = stack[k][0]
        if mark in rules.pairs.get(opener, ()):
            return k
        if single and opener in rules.double:
            return None
    return None


# --- the parse, indexed -----------------------------------------------------------------------------------------


@dataclass
class _Cue:
    token: object
    start: int
    end: int
    speaker: object | None = None
    content: list[tuple[int, int]] = field(default_factory=list)  # inclusive token ranges
    quotation_only: bool = False  # a cue only for a quotation it governs (rules.quotation_verbs)


@dataclass
class _Unit:
    """One quotation: a span and the spans that continue it in the following paragraphs."""

    spans: list[QuotedSpan]
    claimed: bool = False

    @property
    def start(self) -> int:
        return self.spans[0].start

    @property
    def end(self) -> int:
        return self.spans[-1].end


@dataclass
class _Draft:
    kind: str
    content: list[tuple[int, int]]  # char ranges
    cue: _Cue | None
    speaker: object | None  # token
    previous: _Draft | None = None
    speaker_span: Span | None = None
    entity: str | None = None
    resolution: str = "unresolved"

    @property
    def start(self) -> int:
        return min(s for s, _ in self.content)

    @property
    def end(self) -> int:
        ends = [e for _, e in self.content]
        if self.cue is not None:
            ends.append(self.cue.end)
        return max(ends)


class _Article:
    """The parsed article with the indexes every step shares."""

    def __init__(self, doc, rules: QuoteRules, entities: list[Entity] | None):
        self.doc = doc
        self.text = doc_text(doc)
        self.rules = rules
        self.n = len(doc)
        # token attributes as arrays: only the few tokens that matter become Token objects
        from spacy.attrs import IDX, LEMMA, LOWER, POS, SENT_START
        table = doc.to_array([IDX, LEMMA, LOWER, POS, SENT_START])
        self.tok_starts = table[:, 0].tolist()
        self.lemmas, self.lowers, self.pos = table[:, 1], table[:, 2], table[:, 3]
        self.paras = paragraphs(self.text)
        self.para_starts = [p[0] for p in self.paras]
        # sentences never run across a paragraph break (the parser sometimes lets them)
        breaks = set((table[:, 4] == 1).nonzero()[0].tolist()) | {self.tok_at(p) for p in self.para_starts}
        bounds = sorted(breaks | {0}) + [self.n]
        self.sents = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
        self.sent_of = [0] * self.n
        for k, (a, b) in enumerate(self.sents):
            self.sent_of[a:b] = [k] * (b - a)
        self.para_tok = [0] * self.n  # paragraph of each token
        for k, p in enumerate(self.para_starts):
            t = self.tok_at(p)
            self.para_tok[t:] = [k] * (self.n - t)
        self.spans = find_quoted_spans(self.text, rules, self.paras)
        self.top = [s for s in self.spans if s.depth == 0]
        self.top_starts = [s.start for s in self.top]
        self.quote_of = [-1] * self.n  # index into self.units
        self.units: list[_Unit] = []
        self._build_units()
        self.entities = entities
        self.mentions: list[tuple[int, int, str, str]] = sorted(
            (m.start, m.end, e.key, e.label) for e in (entities or ()) for m in e.mentions)
        self.mention_starts = [m[0] for m in self.mentions]
        self._labels = {e.key: e.label for e in entities or ()}
        self._names = {e.key: e.name for e in entities or ()}
        self._surnames: dict[str, str] | None = None
        self._genders: dict[str, str | None] = {}
        self._pronoun_votes: dict[str, dict[str, int]] | None = None
        self._descriptors: dict[int, frozenset[str]] = {}

    def _build_units(self) -> None:
        for span in self.top:
            if span.previous is not None:
                continue  # joined to the unit of the span it continues
            chain = [span]
            while chain[-1].next is not None:
                chain.append(self.spans[chain[-1].next])
            unit_index = len(self.units)
            self.units.append(_Unit(chain))
            for s in chain:
                t0, t1 = self.tok_at(s.start), self.tok_at(s.end - 1)
                self.quote_of[t0:t1 + 1] = [unit_index] * (t1 - t0 + 1)

    # positions
    def tok_at(self, char: int) -> int:
        return max(0, bisect_right(self.tok_starts, char) - 1)

    def tok_end(self, i: int) -> int:
        t = self.doc[i]
        return t.idx + len(t.text)

    def para_at(self, char: int) -> int:
        return max(0, bisect_right(self.para_starts, char) - 1)

    def sentence_span(self, t0: int, t1: int) -> Span:
        """The sentences from the one holding token ``t0`` to the one holding token ``t1``."""
        s0, s1 = self.sents[self.sent_of[t0]], self.sents[self.sent_of[t1]]
        start, end = self.tok_starts[s0[0]], self.tok_end(s1[1] - 1)
        while end > start and self.text[end - 1].isspace():
            end -= 1
        while start < end and self.text[start].isspace():
            start += 1
        return Span(start, end, self.text[start:end])

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, self.text[start:end])


# --- cues, speakers, content ------------------------------------------------------------------------------------


def _find_cues(art: _Article) -> list[_Cue]:
    """Reporting verbs and phrase cues outside quotations, in text order, with speaker and content."""
    import numpy as np
    from spacy.symbols import VERB

    rules, doc = art.rules, art.doc
    cues = []
    first_words = {p[0]: p for p in rules.phrase_cues}
    hashes = _hashes(rules)
    verbs = np.isin(art.lemmas, hashes["cue_lemmas"]) & (art.pos == VERB)
    firsts = np.isin(art.lowers, hashes["phrase_firsts"])
    for i in (verbs | firsts).nonzero()[0].tolist():
        if art.quote_of[i] >= 0:
            continue
        tok = doc[i]
        lower = tok.lower_
        phrase = first_words.get(lower)
        if phrase and i + len(phrase) <= art.n and all(doc[i + k].lower_ == w for k, w in enumerate(phrase)):
            cue = _Cue(tok, tok.idx, art.tok_end(i + len(phrase) - 1))
            cue.speaker = _phrase_speaker(art, tok, len(phrase))
            cue.content = _phrase_content(art, tok, len(phrase))
            if cue.speaker is not None:
                cues.append(cue)
            continue
        if not verbs[i]:
            continue
        lemma = tok.lemma_.lower()
        after = rules.verb_phrase_cues.get(lemma)
        if after is not None and not all(i + 1 + k < art.n and doc[i + 1 + k].lower_ == w for k, w in enumerate(after)):
            continue   # "put" reports speech only as "put it"
        start, end = _cue_extent(art, tok)
        cue = _Cue(tok, start, end)
        cue.speaker = _speaker(art, tok)
        if lemma in rules.quotation_verbs and lemma not in rules.cue_lemmas:
            cue.quotation_only = True
        else:
            cue.content = _content(art, tok)
        cues.append(cue)
    return cues


@lru_cache(maxsize=None)
def _hashes(rules: QuoteRules) -> dict:
    """spaCy string hashes of the word lists matched against token arrays."""
    import numpy as np
    from spacy.strings import hash_string

    def arr(words):
        return np.array(sorted(hash_string(w) for w in words), dtype=np.uint64)

    return {"cue_lemmas": arr(rules.cue_lemmas | rules.quotation_verbs | set(rules.verb_phrase_cues)),
            "phrase_firsts": arr(p[0] for p in rules.phrase_cues),
            "gender_pronouns": arr(rules.gender_pronouns)}


def _cue_extent(art: _Article, tok) -> tuple[int, int]:
    deps = art.rules.deps
    left = tok.i
    while left - 1 >= 0 and art.doc[left - 1].head.i == tok.i and art.doc[left - 1].dep_ in deps["cue_left"]:
        left -= 1
    right = tok.i
    if right + 1 < art.n and art.doc[right + 1].head.i == tok.i and art.doc[right + 1].dep_ in deps["cue_right"]:
        right += 1
    return art.doc[left].idx, art.tok_end(right)


def _speaker(art: _Article, verb):
    """The token that names who speaks through ``verb``, or ``None``."""
    deps = art.rules.deps
    # "Said Ellis: “…”": a reporting verb opening its sentence, which the parser took for part of the name after it
    if verb.dep_ == "compound" and verb.head.pos_ == "PROPN" and verb.head.i > verb.i \
            and art.sents[art.sent_of[verb.i]][0] == verb.i:
        return verb.head
    # "as claimed in the invitation", "as stated in the report", "as reported by Reuters": a participle in an "as"
    # clause names its source after the preposition, not through the subject of the clause it hangs from
    if verb.tag_ == "VBN" and any(c.dep_ == "mark" and c.lower_ == "as" for c in verb.children):
        for child in verb.children:
            if child.dep_ in deps["preposition"] | deps["agent"] and child.lower_ in deps.get("as_source_preps", ()):
                for obj in child.children:
                    if obj.dep_ in deps["object"] and art.quote_of[obj.i] < 0:
                        return obj
    tok = verb
    for _ in range(4):
        for child in tok.children:
            if child.dep_ in deps["subject"]:
                if art.para_tok[child.i] != art.para_tok[verb.i]:
                    return _paragraph_subject(art, verb)
                if art.quote_of[child.i] >= 0 and any(
                        c.dep_ in deps["subject"] and art.quote_of[c.i] < 0 for c in tok.children if c is not child):
                    continue   # the parser gave the verb a subject inside the quotation too: the other one speaks
                return _antecedent(art, child, tok)
            if child.dep_ in deps["agent"]:
                for obj in child.children:
                    if obj.dep_ in deps["object"]:
                        return obj
        # "forced Stumpf to admit": the object of the verb is the one who speaks
        if tok.dep_ in deps["open_content"] and tok.head.i != tok.i:
            objects = [c for c in tok.head.children if c.dep_ in deps["direct_object"] and c.i < tok.i]
            if objects:
                return objects[0] if art.quote_of[objects[0].i] < 0 else None
        # "began by saying", "despite admitting": through the preposition to the verb it hangs from (only from a
        # verb right under it: "after reports saying" is about the reports, not the main clause's subject)
        if tok.dep_ in deps.get("inherit_through_preposition", ()) and tok.head.dep_ in deps["preposition"] \
                and tok.head.head.i != tok.head.i:
            tok = tok.head.head
            continue
        # "…, saying", "went on to say", "denied X and said": the subject of the verb this one hangs from
        if tok.dep_ in deps["inherit_subject"] and tok.head.i != tok.i:
            if tok.dep_ == "acl":  # "a statement saying": the verb the noun belongs to
                tok = tok.head
                if tok.head.i == tok.i:
                    break
            tok = tok.head
            continue
        break
    # "…, said David Gilbert": a name or pronoun right after the verb that the parser did not call a subject
    for k in range(verb.i + 1, min(verb.i + 4, art.n)):
        cand = art.doc[k]
        if cand.is_punct or art.quote_of[k] >= 0:
            break
        if cand.head.i == verb.i and cand.dep_ in deps["inverted_speaker"] and cand.pos_ in (
                "PROPN", "PRON", "NOUN") and cand.ent_type_ not in _NOT_SPEAKERS:
            if cand.pos_ == "NOUN" and not any(c.dep_ == "det" for c in cand.children):
                continue
            return cand
    # "“…,” Flynn, a top surrogate, said" parsed without a subject: the first name or pronoun between the quotation
    # and the verb
    k = verb.i - 1
    while k >= 0 and verb.i - k <= _ADJACENT_TOKENS and art.quote_of[k] < 0 and art.doc[k].pos_ not in ("VERB",):
        k -= 1
    if k >= 0 and art.quote_of[k] >= 0:
        for j in range(k + 1, verb.i):
            cand = art.doc[j]
            if cand.pos_ in ("PROPN", "PRON") and cand.lower_ not in art.rules.relative_pronouns:
                while cand.dep_ in ("compound", "flat") and j < cand.head.i < verb.i:
                    cand = cand.head
                return cand
    return None


def _paragraph_subject(art: _Article, verb):
    """When the parser took a subject from another paragraph: the first name or pronoun of the verb's own
    paragraph, if it comes before the verb ("Credit: RFA || Dilnur Reyhan, president of …, said")."""
    para = art.para_tok[verb.i]
    k = verb.i - 1
    while k > 0 and art.para_tok[k - 1] == para:
        k -= 1
    for j in range(k, verb.i):
        cand = art.doc[j]
        if art.quote_of[j] >= 0:
            return None
        if cand.pos_ in ("PROPN", "PRON") and cand.lower_ not in art.rules.relative_pronouns:
            while cand.dep_ in ("compound", "flat") and j < cand.head.i < verb.i:
                cand = cand.head
            return cand
    return None


def _antecedent(art: _Article, subject, verb):
    """``subject``, or the noun a relative pronoun stands for ("Smith, who said …")."""
    if subject.lower_ in art.rules.relative_pronouns:
        # "Smith, who said": the noun the clause belongs to; a stray "that"/"which" subject names nobody
        return verb.head if verb.dep_ in art.rules.deps["relative_clause"] else None
    if art.quote_of[subject.i] >= 0:
        return None
    # "WASHINGTON -- President Obama, ..., said": a dateline the parser took for the subject, with the speaker in
    # apposition to it
    if subject.is_upper and len(subject.text) > 1 and _dateline_dash(art, subject):
        return next((c for c in subject.children if c.dep_ in art.rules.deps["apposition"]), subject)
    return subject


def _dateline_dash(art: _Article, tok) -> bool:
    """Whether ``tok`` ends a dateline: capitals opening a paragraph ("WASHINGTON", "NEW YORK"), then a dash."""
    i = tok.i
    start = i
    while start > 0 and art.para_tok[start - 1] == art.para_tok[i] and art.doc[start - 1].is_upper:
        start -= 1
    opens = start == 0 or art.para_tok[start - 1] != art.para_tok[i] or art.doc[start - 1].is_space
    nxt = art.doc[i + 1] if i + 1 < art.n else None
    return opens and nxt is not None and nxt.text in ("--", "—", "–", "-")


def _phrase_speaker(art: _Article, tok, length: int):
    last = art.doc[tok.i + length - 1]
    for child in last.children:
        if child.dep_ in art.rules.deps["object"]:
            return child
    k = tok.i + length
    if k < art.n and art.doc[k].pos_ in ("PROPN", "NOUN", "PRON") and art.quote_of[k] < 0:
        return art.doc[k]
    return None


def _trim(art: _Article, a: int, b: int, para: int | None = None) -> tuple[int, int] | None:
    """``[a, b]`` without punctuation, spaces and a leading conjunction at its edges (quotation marks are kept when
    the quotation lies inside the range), and inside paragraph ``para`` when given."""
    doc = art.doc
    if para is not None:
        while a <= b and art.para_tok[a] < para:
            a += 1
        while b >= a and art.para_tok[b] > para:
            b -= 1
    while a <= b and (doc[a].is_space or (doc[a].is_punct and art.quote_of[a] < 0) or doc[a].dep_ == "cc"):
        a += 1
    while b >= a and (doc[b].is_space or (doc[b].is_punct and art.quote_of[b] < 0)):
        b -= 1
    return (a, b) if a <= b else None


def _content(art: _Article, verb) -> list[tuple[int, int]]:
    """What ``verb`` reports, as inclusive token ranges within the verb's paragraph (empty when it reports
    nothing)."""
    deps, rules, doc = art.rules.deps, art.rules, art.doc
    lemma = verb.lemma_.lower()
    para = art.para_tok[verb.i]
    out = []
    parenthetical = lemma in rules.parenthetical_verbs
    clauses = [c for c in verb.children if c.dep_ in deps["clausal_content"] or (
        parenthetical and c.dep_ in deps["loose_report"] and c.i < verb.i)]
    if lemma in rules.marker_verbs:
        # "found [that …]" reports, "found it difficult" does not
        clauses = [c for c in clauses if any(m.lower_ in rules.content_markers for m in c.children)]
    if clauses:
        # one range per side of the verb ("“…,” he said, “…”" has two)
        right = [c for c in clauses if c.i > verb.i and c.left_edge.i - verb.i <= _CLAUSE_REACH]
        for side in ([c for c in clauses if c.i < verb.i], right):
            if side:
                r = _trim(art, min(c.left_edge.i for c in side), max(c.right_edge.i for c in side), para)
                if r:
                    out.append(r)
        return out
    if lemma in rules.xcomp_verbs:
        for c in verb.children:
            if c.dep_ in deps["open_content"] and c.lemma_.lower() not in rules.cue_lemmas:
                a = c.left_edge.i
                for obj in verb.children:
                    if obj.dep_ in deps["direct_object"] and obj.i < c.i:
                        a = min(a, obj.left_edge.i)
                r = _trim(art, a, c.right_edge.i, para)
                if r:
                    return [r]
    if lemma in rules.object_verbs:
        for c in verb.children:
            if c.dep_ in deps["direct_object"] and c.pos_ != "PRON" and c.i > verb.i:
                # "accused [Clinton of lying]", "cited [the comments as an example]"
                b = c.right_edge.i
                for d in verb.children:
                    if d.i == b + 1 and d.dep_ in deps["object_complement"] and d.ent_type_ not in _NOT_SPEAKERS:
                        b = d.right_edge.i
                r = _trim(art, c.left_edge.i, b, para)
                if r:
                    return [r]
    preps = rules.prepositional_content.get(lemma)
    if preps:
        # "called [for a boycott]", "warned [of a crisis]"
        for c in verb.children:
            if c.dep_ in deps["preposition"] and c.lower_ in preps and c.i > verb.i:
                objs = [o for o in c.children if o.dep_ in deps["object"] or o.dep_ in ("pcomp",)]
                if objs:
                    b = max(o.right_edge.i for o in objs)
                    for d in verb.children:
                        if d.i == b + 1 and d.dep_ in deps["open_content"]:  # "called on X [to act]"
                            b = d.right_edge.i
                    r = _trim(art, objs[0].left_edge.i, b, para)
                    if r:
                        return [r]
    # "[The plan failed], he said" and "[Acts of protest], Mr. Obama said, [are acts of patriotism]": the clause the
    # verb interrupts, without the verb's own words
    head = verb.head
    if parenthetical and verb.dep_ in deps["loose_report"] and head.i != verb.i and head.pos_ in ("VERB", "AUX"):
        v0, v1 = verb.left_edge.i, verb.right_edge.i
        if head.left_edge.i < v0:
            r = _trim(art, head.left_edge.i, v0 - 1, para)
            if r:
                out.append(r)
        if head.right_edge.i > v1 and (head.i > v1 or doc[v1 + 1].text == ","):
            r = _trim(art, v1 + 1, head.right_edge.i, para)
            if r:
                out.append(r)
    return out


def _phrase_content(art: _Article, tok, length: int) -> list[tuple[int, int]]:
    """"[X did Y], according to Z": the clause the phrase attaches to, without the phrase."""
    head = tok.head if tok.head.i != tok.i else tok
    a0, a1 = tok.left_edge.i, max(tok.right_edge.i, tok.i + length - 1)
    if head.i == tok.i:
        s0, s1 = art.sents[art.sent_of[tok.i]]
        lo, hi = s0, s1 - 1
    else:
        lo, hi = head.left_edge.i, head.right_edge.i
    out = []
    for a, b in ((lo, a0 - 1), (a1 + 1, hi)):
        r = _trim(art, a, b) if a <= b else None
        if r:
            out.append(r)
    return out


# --- assembling quotes ------------------------------------------------------------------------------------------


def _word_count(art: _Article, t0: int, t1: int) -> int:
    doc = art.doc
    return sum(1 for k in range(t0, t1 + 1) if not (doc[k].is_punct or doc[k].is_space))


def _claim(art: _Article, cue: _Cue, drafts: list[_Draft], by_cue: dict[int, _Draft]) -> None:
    """Turn a cue with content into an indirect, mixed or direct quote, claiming the quotations it contains."""
    doc = art.doc
    ranges = []
    inside: list[int] = []
    outside_words = 0
    for a, b in _clip(art, cue):
        cs, ce = doc[a].idx, art.tok_end(b)
        for k in range(a, b + 1):
            u = art.quote_of[k]
            if u >= 0:
                if u not in inside:
                    inside.append(u)
            elif not (doc[k].is_punct or doc[k].is_space or doc[k].lower_ in art.rules.content_markers):
                outside_words += 1
        # a quotation cut by the range's edge is taken whole (only the part in this paragraph)
        for u in inside:
            for s in art.units[u].spans:
                if s.start < ce and s.end > cs:
                    cs, ce = min(cs, s.start), max(ce, s.end)
        ranges.append((cs, ce))
    if cue.speaker is None and not inside:
        return
    if inside and outside_words == 0:
        content = [(s.start, s.end) for u in inside for s in art.units[u].spans]
        kind = "direct"
    else:
        if outside_words < 2 and not inside:
            return  # "he said so"
        content = ranges
        kind = "mixed" if inside else "indirect"
    fresh = [u for u in inside if not art.units[u].claimed]
    if inside and not fresh:
        return  # the quotation already belongs to another cue
    for u in inside:
        art.units[u].claimed = True
    draft = _Draft(kind, sorted(content), cue, cue.speaker)
    drafts.append(draft)
    if kind == "direct":
        by_cue[cue.token.i] = draft


def _clip(art: _Article, cue: _Cue) -> list[tuple[int, int]]:
    """The cue's content ranges without its speaker's words, and without the few words of the frame the parser
    hung on a quotation ("“…,” [Tulsa] police chief Jordan said")."""
    out = []
    speaker = _mention_range(art, cue.speaker) if cue.speaker is not None else None
    for a, b in cue.content:
        if speaker is not None and speaker[0] <= b and speaker[1] >= a:
            if speaker[0] > a:
                b = speaker[0] - 1
            else:
                a = speaker[1] + 1
        if a > b:
            continue
        quoted = [k for k in range(a, b + 1) if art.quote_of[k] >= 0]
        if quoted:
            if b < cue.token.i and 0 < b - quoted[-1] <= _ADJACENT_TOKENS:
                b = quoted[-1]
            elif a > cue.token.i and 0 < quoted[0] - a <= 2 and not any(
                    art.doc[k].lower_ in art.rules.content_markers for k in range(a, quoted[0])):
                a = quoted[0]
        r = _trim(art, a, b)
        if r:
            out.append(r)
    return out


def _frame(art: _Article, unit: _Unit, cues: list[_Cue], cue_pos: list[int], busy: set[int]
           ) -> tuple[_Cue | None, bool]:
    """The cue that introduces ``unit`` and whether it is attached to it (adjacent, on the side the punctuation
    points to). ``busy``: token indexes of cues that already report content of their own."""
    text, doc = art.text, art.doc
    first, last = unit.spans[0], unit.spans[-1]
    t_first, t_last = art.tok_at(first.start), art.tok_at(last.end - 1)
    lo_s, hi_s = art.sent_of[_inner(art, first)[0]], art.sent_of[_inner(art, last)[1]]
    inner = text[last.end - 2] if last.closed and last.end - first.start >= 2 else ""
    k = last.end
    while k < len(text) and text[k] in " \u00a0":
        k += 1
    after_frame = last.closed and (inner in _FRAME_PUNCT or (k < len(text) and text[k] == ","))
    k = first.start - 1
    while k >= 0 and text[k] in " \u00a0":
        k -= 1
    before_frame = k >= 0 and text[k] in ":,"
    p_first, p_last = art.para_at(first.start), art.para_at(last.end - 1)
    if after_frame and hi_s + 1 < len(art.sents) and art.para_at(doc[art.sents[hi_s + 1][0]].idx) == p_last:
        hi_s += 1
    if before_frame and lo_s > 0 and art.para_at(doc[art.sents[lo_s - 1][0]].idx) == p_first:
        lo_s -= 1
    lo_tok, hi_tok = art.sents[lo_s][0], art.sents[hi_s][1]
    best, best_key, attached = None, None, False
    for ci in range(bisect_left(cue_pos, lo_tok), bisect_left(cue_pos, hi_tok)):
        cue = cues[ci]
        if cue.speaker is None or cue.quotation_only and not _governs(art, cue, unit):
            continue
        p = art.para_at(cue.start)
        if p < p_first or p > p_last:
            continue
        if cue.start >= last.end:
            side, gap = "after", cue.token.i - t_last - 1
            if _quote_between(art, last.end, cue.start):
                continue
        elif cue.end <= first.start:
            side, gap = "before", t_first - cue.token.i - 1
            if _quote_between(art, cue.end, first.start):
                continue
        else:
            side, gap = "between", 0
        preferred = side == "between" or (side == "after" and after_frame) or (
            side == "before" and before_frame and not after_frame) or (not after_frame and not before_frame)
        key = (not preferred, cue.token.i in busy, gap)
        if best_key is None or key < best_key:
            best, best_key = cue, key
            attached = preferred and gap <= _ADJACENT_TOKENS and (side != "before" or before_frame or
                                                                   side == "between")
    return best, attached


def _governs(art: _Article, cue: _Cue, unit: _Unit) -> bool:
    """Whether the quotation ``unit`` begins under ``cue``'s verb in the parse (its first word in the verb's
    subtree, after the verb)."""
    t = art.doc[_inner(art, unit.spans[0])[0]]
    return t.i > cue.token.i and any(a.i == cue.token.i for a in t.ancestors)


def _inner(art: _Article, span: QuotedSpan) -> tuple[int, int]:
    """First and last word tokens inside a quotation (the parser often puts an opening mark in the sentence
    before)."""
    doc = art.doc
    t0, t1 = art.tok_at(span.start), art.tok_at(span.end - 1)
    a, b = t0, t1
    while a < b and (doc[a].is_punct or doc[a].is_space):
        a += 1
    while b > a and (doc[b].is_punct or doc[b].is_space):
        b -= 1
    return a, b


def _quote_between(art: _Article, start: int, end: int) -> bool:
    k = bisect_left(art.top_starts, start)
    return k < len(art.top) and art.top[k].start < end


def _ancestor_cue(art: _Article, unit: _Unit, cue_by_token: dict[int, _Cue]) -> tuple[_Cue, object] | None:
    """A reporting verb with a speaker that governs a short quotation ("called the plan “a disaster”"), and its
    child that holds the quotation."""
    span = unit.spans[0]
    t0, t1 = art.tok_at(span.start), art.tok_at(span.end - 1)
    root = None
    for k in range(t0, t1 + 1):
        h = art.doc[k].head.i
        if not (t0 <= h <= t1) and not art.doc[k].is_punct:
            root = art.doc[k]
            break
    if root is None:
        return None
    child, tok = root, root.head
    for _ in range(3):
        cue = cue_by_token.get(tok.i)
        if cue is not None:
            # a verb that reports only through a quotation does not make a short one its speaker's words: "hailed
            # the “historic” deal" stays a scare quote
            ok = cue.speaker is not None and child.i > tok.i and not cue.quotation_only
            return (cue, child) if ok else None
        if tok.head.i == tok.i or tok.pos_ in ("VERB", "AUX") and tok.dep_ in ("ROOT", "ccomp", "advcl", "relcl"):
            break
        child, tok = tok, tok.head
    return None


def _governed_content(art: _Article, cue: _Cue, child) -> tuple[int, int] | None:
    """What a naming or describing verb says of its object: "called [Clinton a “champion”]"."""
    verb = cue.token
    a = min([c.left_edge.i for c in verb.children if verb.i < c.i <= child.i and c.dep_ in _COMPLEMENTS]
            + [child.left_edge.i])
    return _trim(art, a, child.right_edge.i, art.para_tok[verb.i])


def _whole_sentence(art: _Article, unit: _Unit) -> bool:
    span = unit.spans[0]
    if not span.closed or span.end - span.start < 3 or art.text[span.end - 2] not in _SENTENCE_END:
        return False
    t0, t1 = art.tok_at(span.start), art.tok_at(span.end - 1)
    w0, w1 = _inner(art, span)
    s_start, s_end = art.sents[art.sent_of[w0]][0], art.sents[art.sent_of[w1]][1]
    doc = art.doc
    before_ok = all(doc[k].is_punct or doc[k].is_space for k in range(s_start, t0))
    after_ok = all(doc[k].is_punct or doc[k].is_space for k in range(t1 + 1, s_end))
    return before_ok and after_ok


def _is_title(art: _Article, unit: _Unit) -> bool:
    """A quotation of title-cased words: a book, a show, a slogan, a headline."""
    span = unit.spans[0]
    if len(unit.spans) > 1 or not span.closed:
        return False
    t0, t1 = art.tok_at(span.start), art.tok_at(span.end - 1)
    words = [art.doc[k] for k in range(t0, t1 + 1) if art.doc[k].is_alpha]
    if not words or len(words) > art.rules.title_max_words:
        return False
    return all(w.is_title or w.is_upper for w in words if not w.is_stop) and (words[0].is_title or words[0].is_upper)


def _embedded(art: _Article, unit: _Unit) -> bool:
    """The quotation is part of a noun phrase ("host of MSNBC’s “Morning Joe,”"), not a clause anyone said."""
    span = unit.spans[0]
    t0, t1 = art.tok_at(span.start), art.tok_at(span.end - 1)
    for k in range(t0, t1 + 1):
        tok = art.doc[k]
        if not tok.is_punct and not (t0 <= tok.head.i <= t1):
            return tok.dep_ in _NOMINAL
    return False


def _previous(drafts: list[_Draft], unit: _Unit, art: _Article) -> _Draft | None:
    """The most recent quote with a speaker that ends before ``unit``, within the allowed paragraph gap."""
    best = None
    for d in drafts:
        if d.end <= unit.start and (d.speaker is not None or d.previous is not None):
            if best is None or d.end > best.end:
                best = d
    if best is None or art.para_at(unit.start) - art.para_at(best.end - 1) > art.rules.floating_gap:
        return None
    return best


def _assemble(art: _Article) -> tuple[list[_Draft], list[MarkedTerm]]:
    rules = art.rules
    cues = _find_cues(art)
    cue_pos = [c.token.i for c in cues]
    cue_by_token = {c.token.i: c for c in cues}
    drafts: list[_Draft] = []
    by_cue: dict[int, _Draft] = {}
    for cue in cues:
        if cue.content:
            _claim(art, cue, drafts, by_cue)
    busy = {d.cue.token.i for d in drafts if d.kind != "direct"}
    terms: list[MarkedTerm] = []
    for unit in art.units:
        if unit.claimed:
            continue
        span = unit.spans[0]
        t0, t1 = art.tok_at(span.start), art.tok_at(unit.end - 1)
        short = len(unit.spans) == 1 and span.closed and _word_count(art, t0, t1) <= rules.scare_max_words
        labelled = _line_label(art, unit)
        if labelled is not None:   # Bernie Sanders: ‘It Is Not A Radical Idea’ …
            drafts.append(_Draft("direct", [(s.start, s.end) for s in unit.spans], None, labelled))
            continue
        cue, attached = _frame(art, unit, cues, cue_pos, busy)
        inner = art.text[span.end - 2] if span.closed and span.end - span.start > 2 else ""
        titled = _is_title(art, unit)
        if titled and not (attached and inner in _FRAME_PUNCT and not _embedded(art, unit)):
            kind = "scare-quote" if short else "title"
            terms.append(MarkedTerm(kind, art.span(span.start, span.end), art.sentence_span(t0, t0)))
            continue
        content = [(s.start, s.end) for s in unit.spans]
        if short and not attached:
            governed = _ancestor_cue(art, unit, cue_by_token)
            if governed is None:
                if not _whole_sentence(art, unit):
                    terms.append(MarkedTerm("scare-quote", art.span(span.start, span.end),
                                            art.sentence_span(t0, t0)))
                    continue
                cue = None
            else:
                cue, child = governed
                r = _governed_content(art, cue, child)
                if r is not None:
                    cs, ce = art.doc[r[0]].idx, art.tok_end(r[1])
                    cs, ce = min(cs, span.start), max(ce, span.end)
                    covered = [u for u in art.units if u.start < ce and u.end > cs]
                    for u in covered:
                        u.claimed = True
                    words_outside = sum(1 for k in range(r[0], r[1] + 1) if art.quote_of[k] < 0 and not (
                        art.doc[k].is_punct or art.doc[k].is_space))
                    if words_outside:
                        drafts.append(_Draft("mixed", [(cs, ce)], cue, cue.speaker))
                        continue
                    content = sorted((s.start, s.end) for u in covered for s in u.spans)
        if cue is not None and cue.speaker is not None:
            draft = by_cue.get(cue.token.i)
            if draft is not None:
                draft.content = sorted(draft.content + content)
            else:
                draft = by_cue[cue.token.i] = _Draft("direct", content, cue, cue.speaker)
                drafts.append(draft)
            continue
        signed = _dash_signature(art, unit)
        if signed is not None:   # “…” ― Carla Sanchez
            drafts.append(_Draft("direct", content, None, signed))
            continue
        prev = _previous(drafts, unit, art)
        if prev is not None and prev.kind == "direct" and art.para_at(prev.end - 1) == art.para_at(unit.start):
            prev.content = sorted(prev.content + content)
            continue
        if prev is not None:
            drafts.append(_Draft("direct", content, None, None, previous=prev))
        else:
            drafts.append(_Draft("direct", content, None, None))
    terms.extend(_marker_terms(art))
    drafts.sort(key=lambda d: d.start)
    terms.sort(key=lambda t: t.span.start)
    return drafts, terms


#: Dashes that sign a quotation with its speaker's name: “…” ― Carla Sanchez
_SIGNATURE_DASHES = ("―", "—", "–", "--")
#: Most words of a signature: a name, with a short role after a comma ("― Jane Doe, teacher")
_SIGNATURE_WORDS = 8


def _dash_signature(art: _Article, unit: _Unit):
    """The name that signs a quotation after a dash, alone on the rest of its line (“…” ― Carla Sanchez; a role may
    follow a comma): the name's head token, or ``None``."""
    text, doc = art.text, art.doc
    last = unit.spans[-1]
    if not last.closed:
        return None
    k = last.end
    while k < len(text) and text[k] in " \u00a0":
        k += 1
    dash = next((d for d in _SIGNATURE_DASHES if text.startswith(d, k)), None)
    if dash is None:
        return None
    k += len(dash)
    line_end = text.find("\n", k)
    line_end = len(text) if line_end < 0 else line_end
    t0 = art.tok_at(k)
    # from the first token after the dash (the tokenizer may glue the dash to the closing mark: "”―")
    while t0 < art.n and doc[t0].idx < line_end and (doc[t0].idx < k or doc[t0].is_space
                                                     or doc[t0].text in _SIGNATURE_DASHES):
        t0 += 1
    tokens = [doc[j] for j in range(t0, art.n) if doc[j].idx < line_end]
    words = [t for t in tokens if not (t.is_punct or t.is_space)]
    if not words or len(words) > _SIGNATURE_WORDS or not words[0].is_title or art.quote_of[words[0].i] >= 0:
        return None
    name = []
    for t in tokens:   # the name: title-case words (and initials) up to a comma or the end of the line
        if t.text == "," or (t.is_punct and t.text != "."):
            break
        if t.is_space or t.text == ".":
            continue
        if not (t.is_title or t.is_upper):
            return None
        name.append(t)
    return name[-1] if name else None


def _line_label(art: _Article, unit: _Unit):
    """The speaker of a quotation that opens its line after a name and a colon ("Bernie Sanders: ‘It Is Not A
    Radical Idea’ …", "Clinton: “Our goal is …”"; headlines and transcripts): the name's last token when the words
    from the line's start to the colon are exactly one mention with a label of ``rules.line_label_speakers``, else
    ``None`` ("Trump Addresses Munich Attack: ‘…’" is no label)."""
    text = art.text
    span = unit.spans[0]
    k = span.start - 1
    while k >= 0 and text[k] in " \u00a0":
        k -= 1
    if k < 0 or text[k] != ":":
        return None
    line_start = text.rfind("\n", 0, k) + 1
    while line_start < k and text[line_start] in " \u00a0\t":
        line_start += 1
    label = [m for m in _overlapping_mentions(art, line_start, k) if m[3] in art.rules.line_label_speakers]
    if len(label) != 1 or (label[0][0], label[0][1]) != (line_start, k):
        return None
    # the name is named again elsewhere: a title-case headline ("Trump Addresses Munich Attack: …") can be taken
    # for one name by the recogniser, a real speaker is the article's subject
    if sum(1 for m in art.mentions if m[2] == label[0][2]) < 2:
        return None
    return art.doc[art.tok_at(k - 1)]


def _marker_terms(art: _Article) -> list[MarkedTerm]:
    """"so-called X", "alleged X": the marker with the noun phrase (or quotation) it qualifies."""
    rules, doc = art.rules, art.doc
    if rules.marker_re is None:
        return []
    out = []
    for m in rules.marker_re.finditer(art.text):
        marker = m.group(1).lower()
        kind = rules.term_markers.get(marker)
        m_last = art.tok_at(m.end() - 1)
        k = m_last + 1
        while k < art.n and doc[k].is_space:
            k += 1
        if kind is None or k >= art.n:
            continue
        if marker in rules.marker_needs_modifier:
            mt = doc[art.tok_at(m.start())]
            if mt.dep_ not in rules.deps["modifier"] or mt.head.i <= mt.i:
                continue
        u = art.quote_of[k]
        if u >= 0 and art.units[u].start == doc[k].idx:
            end = art.units[u].spans[0].end
        else:
            tok = doc[k]
            if tok.pos_ not in ("NOUN", "PROPN", "ADJ"):
                continue
            while tok.dep_ in rules.deps["modifier"] and tok.head.i > tok.i and tok.head.i - k < 6:
                tok = tok.head
            if tok.pos_ not in ("NOUN", "PROPN"):
                continue
            end = art.tok_end(tok.i)
        out.append(MarkedTerm(kind, art.span(m.start(), end), art.sentence_span(m_last, m_last)))
    return out


# --- speakers ---------------------------------------------------------------------------------------------------


def _mention_range(art: _Article, tok) -> tuple[int, int]:
    """Token range of the noun phrase headed by ``tok``, with appositions, without relative clauses."""
    cut, appos = art.rules.deps["speaker_cut"], art.rules.deps["apposition"]
    left, right = tok.left_edge.i, tok.i
    rights = list(tok.rights)
    for k, child in enumerate(rights):
        if child.is_punct and any(c.dep_ in appos for c in rights[k + 1:]):
            continue  # the comma before an apposition
        if child.dep_ in cut:
            break
        right = child.right_edge.i
    doc = art.doc
    para = art.para_tok[tok.i]
    while left < tok.i and (doc[left].is_punct or doc[left].is_space or art.quote_of[left] >= 0 or
                            art.para_tok[left] != para or doc[left].pos_ in ("VERB", "AUX")):
        left += 1
    while right > tok.i and art.para_tok[right] != para:
        right -= 1
    while right > tok.i and (doc[right].is_punct or doc[right].is_space or art.quote_of[right] >= 0) and not (
            doc[right].text == ")" and "(" in doc[left:right].text):
        right -= 1
    if right - left > 24:
        left, right = max(left, tok.i - 6), tok.i
    return left, right


def _overlapping_mentions(art: _Article, start: int, end: int) -> list[tuple[int, int, str, str]]:
    k = bisect_left(art.mention_starts, end)
    out = []
    for m in art.mentions[max(0, k - 40):k]:
        if m[0] < end and m[1] > start:
            out.append(m)
    return out


def _resolve(art: _Article, draft: _Draft, history: list[_Draft]) -> None:
    """Fill the draft's speaker span, entity and resolution (``history``: the quotes before it, resolved)."""
    if draft.previous is not None:
        prev = draft.previous
        draft.speaker_span, draft.entity, draft.resolution = prev.speaker_span, prev.entity, "previous"
        if prev.speaker_span is None:
            draft.resolution = "unresolved"
        return
    tok = draft.speaker
    if tok is None:
        return
    left, right = _mention_range(art, tok)
    start, end = art.doc[left].idx, art.tok_end(right)
    draft.speaker_span = art.span(start, end)
    rules = art.rules
    lower = tok.lower_
    if art.entities is None:
        draft.resolution = "name" if tok.pos_ == "PROPN" or tok.ent_type_ else "unresolved"
        return
    # a name: the mention the head word is part of, or a name in apposition ("the group's leader, John Smith"), or
    # the name of an organisation the noun says it is ("the Global Times newspaper", "the Reuters news agency"; not
    # "the Obama administration": a person is not the noun's kind)
    head_mentions = _overlapping_mentions(art, tok.idx, art.tok_end(tok.i))
    if not head_mentions:
        kinds = rules.descriptor_labels.get(tok.lemma_.lower(), frozenset()) if tok.pos_ == "NOUN" else frozenset()
        for child in tok.children:
            if child.dep_ in rules.deps["apposition"]:
                head_mentions = _overlapping_mentions(art, child.left_edge.idx, art.tok_end(child.right_edge.i))
            elif child.dep_ == "compound" and child.i < tok.i and kinds:
                head_mentions = [m for m in _overlapping_mentions(art, child.left_edge.idx, art.tok_end(child.i))
                                 if m[3] in kinds]
            if head_mentions:
                break
    if head_mentions:
        draft.entity, draft.resolution = head_mentions[0][2], "name"
        return
    if tok.pos_ == "PROPN":
        key = _surname_index(art).get(tok.text)
        if key is not None:
            draft.entity, draft.resolution = key, "name"
        return
    if tok.pos_ == "PRON" and lower in rules.pronouns:
        cls = rules.pronouns[lower]
        labels = rules.pronoun_labels.get(cls, frozenset())
        gender = cls if cls in ("male", "female") else None
        bound, key = _clause_antecedent(art, tok, labels, gender)
        if not bound:
            key = _same_speaker(art, tok, history, labels, gender) or _resolve_pronoun(art, tok, labels, gender)
        if key is not None:
            draft.entity, draft.resolution = key, "pronoun"
        return
    if tok.pos_ == "NOUN" and tok.lemma_.lower() in rules.documents and any(
            c.dep_ == "det" and c.lower_ in rules.determiners for c in tok.children):
        key = _document_author(art, tok)
        if key is not None:
            draft.entity, draft.resolution = key, "description"
        return
    if tok.pos_ == "NOUN" and any(c.dep_ == "det" and c.lower_ in rules.determiners for c in tok.children):
        key = _resolve_description(art, tok)
        proper = any(c.dep_ in ("amod", "compound") and c.text[:1].isupper() for c in tok.children)
        if key is None and tok.lemma_.lower() in rules.person_roles and not proper:
            labels = frozenset(("PERSON",))
            key = _same_speaker(art, tok, history, labels, None) or _resolve_pronoun(art, tok, labels, None)
        if key is not None:
            draft.entity, draft.resolution = key, "description"


def _clause_antecedent(art: _Article, tok, labels: frozenset[str], gender: str | None) -> tuple[bool, str | None]:
    """A pronoun that is the subject of a clause joined to the one before it ("The embassy condemned France, as it
    stressed ...", "Smith left, and he said ...") stands for that clause's subject when the subject can be it (a
    name of the pronoun's kind -- one person is not "they" --, or a noun that is not a person for "it", a person for
    "he"/"she"): ``(True, entity key)``, or ``(True, None)`` when that subject is a thing that names no entity
    (then no earlier speaker is taken for it). ``(False, None)``: no such clause, or a subject that cannot be the
    pronoun, or a person's description that names no entity: the usual resolution applies."""
    deps = art.rules.deps
    verb = tok.head
    if tok.dep_ not in deps["subject"] or verb.dep_ not in deps.get("parallel_clause", ()) or verb.head is verb:
        return False, None
    # an adverbial clause of manner or concession ("as it stressed", "though she said"); "after she attacked" or
    # "because he said" is about someone else as often as not
    if verb.dep_ == "advcl" and not any(c.dep_ == "mark" and c.lower_ in deps.get("parallel_advcl_marks", ())
                                        for c in verb.children):
        return False, None
    subject = next((c for c in verb.head.children if c.dep_ in deps["subject"] | deps["passive_subject"]
                    and c.i < tok.i), None)
    if subject is None or subject.pos_ == "PRON" or art.quote_of[subject.i] >= 0:
        return False, None
    # the name the subject's head word is part of ("Smith", "the Chinese Embassy"); a common noun with a name only
    # in its modifiers ("Chinese embassy") is a description
    mentions = _overlapping_mentions(art, subject.idx, art.tok_end(subject.i))
    person = gender is not None
    if mentions:
        key, label = mentions[-1][2], mentions[-1][3]
        plural = art.rules.pronouns.get(tok.lower_) == "plural"
        if label in labels and not (plural and label == "PERSON") and (
                gender is None or _gender(art, key) in (None, gender)):
            return True, key
        return False, None
    if subject.pos_ != "NOUN":
        return False, None
    if (subject.lemma_.lower() in art.rules.person_roles or subject.lower_ in art.rules.gendered) != person:
        return False, None   # "it" for a person, "he" for a thing: not this subject
    key = _resolve_description(art, subject)
    if key is not None and art._labels.get(key) in labels:
        return True, key
    return (False, None) if person else (True, None)


def _same_speaker(art: _Article, tok, history: list[_Draft], labels: frozenset[str], gender: str | None
                  ) -> str | None:
    """The entity of the previous quote's speaker when nobody else who fits was named (outside quotations) since:
    in "“…,” Fox told CNN. “…” / “…,” he said", "he" is Fox even if the quotes name other people (and even when the
    tagger took "Fox" for an organisation)."""
    prev = None
    for d in reversed(history):
        if d.entity is not None and d.speaker_span is not None and d.speaker_span.end <= tok.idx:
            prev = d
            break
    if prev is None or art.para_at(tok.idx) - art.para_at(prev.speaker_span.start) > art.rules.floating_gap:
        return None
    # he/she may also take a bare name the tagger called an organisation ("Fox told CNN"), not an institution
    label = art._labels.get(prev.entity)
    if label not in labels and not (gender and label == "ORG" and not any(
            w.lower() in art.rules.synonyms for w in art._names[prev.entity].split())):
        return None
    if gender is not None and _gender(art, prev.entity) not in (None, gender):
        return None
    prev_pronoun = art.rules.gender_pronouns.get(prev.speaker.lower_) if prev.speaker is not None else None
    if gender is not None and prev_pronoun not in (None, gender):
        return None
    k = bisect_left(art.mention_starts, prev.speaker_span.end)
    while k < len(art.mentions) and art.mentions[k][0] < tok.idx:
        start, end, key, label = art.mentions[k]
        k += 1
        if key == prev.entity or label not in labels or art.quote_of[art.tok_at(start)] >= 0 or any(
                cs <= start < ce for d in history[-3:] for cs, ce in d.content):
            continue
        if gender is None or _gender(art, key) in (None, gender):
            return None  # someone else who fits was named in between
    return prev.entity


def _surname_index(art: _Article) -> dict[str, str]:
    """Last word of each entity name and form -> its key (for names the tagger missed)."""
    if art._surnames is None:
        index: dict[str, str] = {}
        for e in art.entities or ():
            for form in (e.name, *e.forms):
                words = form.split()
                if words:
                    index.setdefault(words[-1], e.key)
        art._surnames = index
    return art._surnames


def _gender(art: _Article, key: str) -> str | None:
    """An entity's gender when the article states it: an honorific or a gendered noun next to one of its mentions
    (three votes each), and each gendered pronoun that can only refer to it (one vote: in a sentence that names no
    other person, after its mention, outside quotations; or as the subject of the next sentence)."""
    if key in art._genders:
        return art._genders[key]
    rules, doc = art.rules, art.doc
    votes: dict[str, int] = dict(_pronoun_votes(art).get(key, {}))
    for start, end, k, _ in art.mentions:
        if k != key:
            continue
        t0, t1 = art.tok_at(start), art.tok_at(end - 1)
        words = [doc[j] for j in range(max(0, t0 - 3), t1 + 1)]
        head = doc[t1]
        words += [c for c in head.children if c.dep_ in rules.deps["apposition"]]
        if head.dep_ in rules.deps["apposition"]:
            words.append(head.head)
        for w in words:
            g = rules.honorifics.get(w.lower_) if w.i < t0 + 1 else None
            g = g or rules.gendered.get(w.lower_)
            if g:
                votes[g] = votes.get(g, 0) + 3
    gender = None
    if votes:
        ranked = sorted(votes.items(), key=lambda kv: -kv[1])
        if len(ranked) == 1 or ranked[0][1] > ranked[1][1]:
            gender = ranked[0][0]
    art._genders[key] = gender
    return gender


def _pronoun_votes(art: _Article) -> dict[str, dict[str, int]]:
    """Gender votes from pronouns that can refer to one person only (computed once per article)."""
    if art._pronoun_votes is not None:
        return art._pronoun_votes
    rules = art.rules
    people: dict[int, list[tuple[int, str]]] = {}  # sentence -> [(char, key)] of PERSON mentions outside quotes
    for start, end, key, label in art.mentions:
        t0 = art.tok_at(start)
        if label == "PERSON" and art.quote_of[t0] < 0:
            people.setdefault(art.sent_of[t0], []).append((start, key))
    import numpy as np

    votes: dict[str, dict[str, int]] = {}
    for i in np.isin(art.lowers, _hashes(rules)["gender_pronouns"]).nonzero()[0].tolist():
        tok = art.doc[i]
        gender = rules.gender_pronouns.get(tok.lower_)
        if gender is None or art.quote_of[i] >= 0:
            continue
        s = art.sent_of[tok.i]
        here = people.get(s, [])
        before = {k for c, k in here if c < tok.idx}
        if before:
            if len({k for _, k in here}) == 1:
                key = next(iter(before))
            else:
                continue
        elif not here and s > 0 and len({k for _, k in people.get(s - 1, [])}) == 1 and (
                tok.dep_ in rules.deps["subject"]):
            key = people[s - 1][0][1]
        else:
            continue
        bucket = votes.setdefault(key, {})
        bucket[gender] = bucket.get(gender, 0) + 1
    art._pronoun_votes = votes
    return votes


def _resolve_pronoun(art: _Article, tok, labels: frozenset[str], gender: str | None) -> str | None:
    """The most recent entity mention before ``tok`` with one of ``labels`` and no other gender, outside
    quotations (in the same sentence first; in an earlier sentence, its subject before its other mentions)."""
    rules, doc = art.rules, art.doc
    if not labels:
        return None
    s_cur = art.sent_of[tok.i]
    floor = doc[art.sents[max(0, s_cur - rules.pronoun_back)][0]].idx
    k = bisect_left(art.mention_starts, tok.idx) - 1
    by_sentence: dict[int, list[tuple[int, int, str, str]]] = {}
    while k >= 0 and art.mentions[k][0] >= floor:
        m = art.mentions[k]
        k -= 1
        if m[1] > tok.idx or m[3] not in labels:
            continue
        t0 = art.tok_at(m[0])
        if art.quote_of[t0] >= 0:
            continue
        if gender is not None and _gender(art, m[2]) not in (None, gender):
            continue
        subject = _is_subject(art, m)
        if not subject and (art.sent_of[t0] == s_cur or gender is None):
            # "Of Obama, he said": a name in the pronoun's own clause is seldom the speaker; "it" and "they" take
            # the subject of an earlier sentence only
            continue
        by_sentence.setdefault(art.sent_of[t0], []).append((m, subject))
    if not by_sentence:
        return None
    cands = by_sentence[max(by_sentence)]  # most recent first
    for m, subject in cands:
        if subject:
            return m[2]
    return cands[0][0][2]


def _is_subject(art: _Article, mention: tuple[int, int, str, str]) -> bool:
    subj = art.rules.deps["subject"] | art.rules.deps["passive_subject"]
    head = art.doc[art.tok_at(mention[1] - 1)]
    return head.dep_ in subj or (head.dep_ in ("compound", "flat") and head.head.dep_ in subj)


def _descriptors(art: _Article, mention: tuple[int, int, str, str]) -> frozenset[str]:
    """Words that describe one mention: its own words, title words before it ("French Ambassador …"), its
    apposition ("…, the French ambassador") and the noun it is in apposition to."""
    cached = art._descriptors.get(mention[0])
    if cached is not None:
        return cached
    doc, deps = art.doc, art.rules.deps
    t0, t1 = art.tok_at(mention[0]), art.tok_at(mention[1] - 1)
    words = set()
    toks = [doc[j] for j in range(t0, t1 + 1)]
    j = t0 - 1
    while j >= 0 and doc[j].pos_ in ("PROPN", "NOUN", "ADJ") and j < doc[j].head.i <= t1 + 2:
        toks.append(doc[j])
        j -= 1
    head = doc[t1]
    for tok in list(toks):
        if tok.head.i > t1 and tok.head.i <= t1 + 3 and tok.dep_ == "compound":
            head = tok.head
    related = [c for c in head.children if c.dep_ in deps["apposition"]]
    if head.dep_ in deps["apposition"]:
        related.append(head.head)
    for r in related:
        toks.append(r)
        toks.extend(c for c in r.children if c.dep_ in ("compound", "amod"))
    for tok in toks:
        words.add(tok.lower_)
        words.add(tok.lemma_.lower())
    result = frozenset(words)
    art._descriptors[mention[0]] = result
    return result


def _document_author(art: _Article, tok) -> str | None:
    """Who issued the document a speaker names ("The statement said"): in the speaker's own words ("the statement
    from the ministry said"), else at the document's latest earlier mention
    (the same noun, outside quotations, within ``pronoun_max_sentences_back`` sentences), the name after a
    preposition of ``document_authors`` ("a statement from the ministry"), its possessor ("the ministry's
    statement"), or the subject of the verb that puts it under ``document_issued`` ("the embassy said in a
    statement") or takes it as object (``document_verbs``: "Human Rights Watch released a report", also in a
    relative clause: "a statement that was read by the ambassador"); that issuer as a name, or as a description of
    an entity."""
    rules, doc = art.rules, art.doc
    lemma = tok.lemma_.lower()
    s_cur = art.sent_of[tok.i]
    first = art.sents[max(0, s_cur - rules.pronoun_back)][0]
    subj = rules.deps["subject"] | rules.deps["passive_subject"]

    def entity_of(head) -> str | None:
        mentions = _overlapping_mentions(art, head.idx, art.tok_end(head.i))
        if mentions:
            return mentions[-1][2]
        if head.pos_ == "NOUN":
            return _resolve_description(art, head)
        return None

    def issuers(noun):
        """Who the mention ``noun`` says issued the document, most telling first."""
        verb = None
        if noun.dep_ in rules.deps["object"] and noun.head.lower_ in rules.document_issued:
            verb = noun.head.head               # "the embassy said in a statement"
        elif noun.dep_ in rules.deps["direct_object"] and noun.head.lemma_.lower() in rules.document_verbs:
            verb = noun.head                    # "Human Rights Watch released a report"
        if verb is not None:
            yield from (c for c in verb.children if c.dep_ in subj and c.pos_ != "PRON")
        for child in noun.children:
            if child.dep_ == "poss":            # "the ministry's statement"
                yield child
            elif child.dep_ in rules.deps["preposition"] and child.lower_ in rules.document_authors:
                yield from (c for c in child.children if c.dep_ in rules.deps["object"])   # "a letter from X"
            elif child.dep_ in rules.deps["relative_clause"] | {"acl"} and child.lemma_.lower() in rules.document_verbs:
                for c in child.children:        # "a statement that was read by the ambassador"
                    if c.dep_ in rules.deps["agent"]:
                        yield from (o for o in c.children if o.dep_ in rules.deps["object"])
                    elif c.dep_ in subj and c.pos_ != "PRON" and c.lower_ not in rules.relative_pronouns:
                        yield c

    for candidate in issuers(tok):          # the speaker's own words: "the statement from Grimm's attorney said"
        key = entity_of(candidate)
        if key is not None:
            return key
    for i in range(tok.i - 1, first - 1, -1):
        prev = doc[i]
        if prev.lemma_.lower() != lemma or prev.pos_ != "NOUN" or art.quote_of[i] >= 0:
            continue
        for candidate in issuers(prev):
            key = entity_of(candidate)
            if key is not None:
                return key
        return None   # the latest mention names no issuer: an earlier one may be another document
    return None


def _resolve_description(art: _Article, tok) -> str | None:
    """The most recent entity whose mention shares the description's noun (or a synonym), first in the mention's own
    words ("the embassy" -> "the Chinese Embassy in France"), then in its title words or apposition ("the envoy" ->
    "French Ambassador Nicolas de Rivière"); a proper adjective of the description must fit too ("the Cuban envoy"
    is not the French one). Failing that, the most recent entity of the noun's kind ("the company" -> ORG)."""
    rules, doc = art.rules, art.doc
    lemma = tok.lemma_.lower()
    wanted = set(rules.synonyms.get(lemma, ())) | set(rules.synonyms.get(tok.lower_, ())) | {lemma, tok.lower_}
    proper = [c.lower_ for c in tok.children if c.dep_ in ("amod", "compound") and c.i < tok.i and (
        c.text[:1].isupper() or c.ent_type_)]
    k = bisect_left(art.mention_starts, tok.idx) - 1
    candidates = [art.mentions[j] for j in range(k, -1, -1)
                  if art.mentions[j][1] <= tok.idx and art.quote_of[art.tok_at(art.mentions[j][0])] < 0]
    for own_words in (True, False):
        for m in candidates:
            words = _own_words(art, m) if own_words else _descriptors(art, m)
            if wanted & words and all(_fits(p, _descriptors(art, m)) for p in proper):
                return m[2]
    labels = rules.descriptor_labels.get(lemma)
    if labels:
        s_cur = art.sent_of[tok.i]
        floor = doc[art.sents[max(0, s_cur - rules.pronoun_back)][0]].idx
        for m in candidates:
            if m[0] < floor:
                break
            if m[3] in labels and all(_fits(p, _descriptors(art, m)) for p in proper):
                return m[2]
    return None


def _own_words(art: _Article, mention: tuple[int, int, str, str]) -> frozenset[str]:
    return frozenset(w for t in art.doc[art.tok_at(mention[0]):art.tok_at(mention[1] - 1) + 1]
                     for w in (t.lower_, t.lemma_.lower()))


def _fits(word: str, words: frozenset[str]) -> bool:
    """``word`` or a word of the same stem ("chinese" / "china") is among ``words``."""
    return word in words or (len(word) >= 4 and any(w[:4] == word[:4] for w in words if len(w) >= 4))


# --- the public function ----------------------------------------------------------------------------------------


def extract_quotes(doc, entities: list[Entity] | None = None, lang: str = "en"
                   ) -> tuple[list[Quote], list[MarkedTerm]]:
    """Quotes and marked terms of one parsed article.

    ``doc`` is a spaCy ``Doc`` of the article's cleaned text (with tagger, parser and lemmatizer); every offset in
    the result is a character offset into ``doc.text``. ``entities`` are the article's canonical entities: when
    given, a quote's ``speaker_entity`` is the key of the entity its speaker resolves to. Without them
    ``speaker_entity`` is ``None`` and ``resolution`` is ``name`` (the speaker is a name), ``previous`` (a floating
    quote) or ``unresolved``.

    Returns ``(quotes, terms)`` in text order. A quote's ``content`` holds one span per quoted stretch (quotation
    marks included for direct quotes; a quote interrupted by its speaker or running over several paragraphs has
    several); ``cue`` is the reporting verb with its auxiliaries (``None`` for a floating quote); ``sentence`` the
    sentences that hold its content and cue. Unbalanced quotation marks never raise: what can be paired is used, the
    rest is left alone. A language without a rules file gives ``([], [])``.
    """
    rules = load_rules(lang)
    if rules is None or len(doc) == 0:
        return [], []
    art = _Article(doc, rules, entities)
    drafts, terms = _assemble(art)
    quotes = []
    for k, draft in enumerate(drafts):
        _resolve(art, draft, drafts[:k])
    for draft in drafts:
        content = tuple(art.span(s, e) for s, e in draft.content)
        t_lo = art.tok_at(draft.start)
        t_hi = art.tok_at(draft.end - 1)
        cue = art.span(draft.cue.start, draft.cue.end) if draft.cue is not None else None
        quotes.append(Quote(kind=draft.kind, content=content, cue=cue, speaker=draft.speaker_span,
                            speaker_entity=draft.entity, resolution=draft.resolution,
                            sentence=art.sentence_span(t_lo, t_hi)))
    return quotes, terms


__all__ = ["extract_quotes", "find_quoted_spans", "load_rules", "paragraphs", "QuoteRules", "QuotedSpan"]
