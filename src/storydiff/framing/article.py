"""Per-article framing, a pure map: ``(Article, Analysis, spaCy Doc or None) -> ArticleFraming``.

What it finds, all as spans into ``Article.text``:

* **Loaded language**: each sentence of ``analysis.sentences`` scored by the packaged loaded-language model
  (:mod:`storydiff.framing.loaded`), and the words whose learned lexicon score reaches the model's word threshold.
  Words inside a named-entity mention are never flagged ("Chinese", "Wuhan" are marked in BABE where the sentence
  used them loosely; as names they are not word choices).
* **Hedges and distancing** from the rules file's phrase lists (``data/framing/<lang>.json``), plus the analysis
  stage's marked terms (scare quotes, "so-called X", "alleged X"). A distancing word that is itself the cue of an
  extracted quote ("X claimed that ...") is counted as an attribution verb, not twice.
* **Attribution verbs**: the lemma of each quote's cue and its class in the rules file (``other`` when it is in no
  class), with the speaker.
* **Voices**: who is quoted, how many quotes and words each gets, and the GPE/NORP words of the speaker's name, role
  and description (modifiers, apposition, "spokeswoman of X") with the spans they come from.
* **Mentions**: noun phrases with the named entities among their arguments, the slot they fill and the phrases the
  text equates with them, for :func:`storydiff.framing.referents.referent_terms`.

With ``doc=None`` the stage still scores sentences, words, hedges and distancing and reads attribution verbs (cue
lemmas then come from the rules file's suffix rules); mentions need the parse and are left empty, and side words come
only from the speaker's own name and text (``ArticleFraming.parsed`` is ``False``). A language with no rules file
gets sentence scores only when a model exists for it, and nothing else (nothing is guessed from English words).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..model import Analysis, Article, Span
from .loaded import LoadedLanguageModel, load_model, words
from .records import ArticleFraming, Attribution, LoadedWord, Marker, Mention, SentenceScore, Voice

STAGE = "framing"
#: Bump when the output of the stage changes. 2: an unresolved pronoun speaker ("it said") is no voice.
VERSION = "2"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class FramingRules:
    lang: str
    verb_class: dict
    hedge_re: re.Pattern | None
    distancing_re: re.Pattern | None
    marked_kinds: frozenset
    suffixes: tuple
    irregular: dict
    referents: dict
    speaker: dict


def _phrase_re(phrases: Sequence[str]) -> re.Pattern | None:
    if not phrases:
        return None
    parts = [re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True)]
    return re.compile(r"(?<![\w-])(" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


@lru_cache(maxsize=None)
def load_rules(lang: str = "en") -> FramingRules | None:
    """The framing rules for ``lang`` from ``data/framing/<lang>.json``, or ``None`` when there are none."""
    path = resources.files("storydiff") / "data" / "framing" / f"{lang}.json"
    if not path.is_file():
        return None
    d = json.loads(path.read_text("utf-8"))
    verb_class = {}
    for cls, lemmas in d["attribution_classes"].items():
        for lemma in lemmas:
            verb_class.setdefault(lemma, cls)
    return FramingRules(
        lang=lang, verb_class=verb_class, hedge_re=_phrase_re(d["hedges"]["words"]),
        distancing_re=_phrase_re(d["distancing"]["words"]),
        marked_kinds=frozenset(d["distancing"].get("marked_term_kinds", ())),
        suffixes=tuple(tuple(x) for x in d["lemma_suffixes"]["rules"]), irregular=d["lemma_suffixes"]["irregular"],
        referents=d["referents"], speaker=d["speaker_description"])


# --- small helpers over offsets -----------------------------------------------------------------------------------


class _Intervals:
    """Sorted, merged character intervals with fast membership and coverage."""

    def __init__(self, spans: Sequence[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [m[0] for m in merged]
        self.items = merged

    def contains(self, pos: int) -> bool:
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and self.items[i][0] <= pos < self.items[i][1]

    def coverage(self, start: int, end: int) -> float:
        if end <= start:
            return 0.0
        covered = 0
        i = max(bisect.bisect_right(self.starts, start) - 1, 0)
        while i < len(self.items) and self.items[i][0] < end:
            covered += max(0, min(end, self.items[i][1]) - max(start, self.items[i][0]))
            i += 1
        return covered / (end - start)


def _sentence_index(sentences: Sequence[tuple[int, int]]):
    starts = [s for s, _ in sentences]

    def find(pos: int) -> int:
        return max(bisect.bisect_right(starts, pos) - 1, 0)

    return find


def cue_lemma(text: str, rules: FramingRules, tokens=None) -> str:
    """The lemma of an attribution cue. ``tokens`` are the cue's spaCy tokens when there is a parse."""
    if tokens:
        content = [t for t in tokens if t.pos_ not in ("AUX", "PART", "PUNCT") and t.dep_ not in ("aux", "neg")]
        content = content or list(tokens)
        phrase = " ".join(t.lemma_.lower() for t in content)
        if phrase in rules.verb_class:
            return phrase
        for t in content:
            if t.lemma_.lower() in rules.verb_class:
                return t.lemma_.lower()
        return content[0].lemma_.lower()
    text = _SPACE.sub(" ", text.strip().lower())
    if text in rules.verb_class:
        return text
    last = [w for w in text.split()
            if w not in ("has", "have", "had", "was", "were", "is", "will", "would", "not", "to")]
    word = last[0] if last else text
    if word in rules.irregular:
        return rules.irregular[word]
    if word in rules.verb_class:
        return word
    for suffix, repl in rules.suffixes:
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            candidate = word[: -len(suffix)] + repl
            if candidate in rules.verb_class:
                return candidate
    return word


def verb_class(lemma: str, rules: FramingRules) -> str:
    return rules.verb_class.get(lemma, "other")


# --- the map ------------------------------------------------------------------------------------------------------


def frame_article(article: Article, analysis: Analysis, doc=None,
                  model: LoadedLanguageModel | None | bool = True) -> ArticleFraming:
    """The framing of one article.

    ``analysis`` is the article's analysis record; ``doc`` the spaCy ``Doc`` of ``article.text`` (the one the
    analysis stage parsed) or ``None``. ``model`` is the loaded-language model (``True``: the packaged one for the
    article's language; ``None``/``False``: no sentence or word scores). Raises ``ValueError`` when ``analysis`` is
    not the analysis of this article's text (different ``text_hash``).
    """
    if analysis.text_hash != article.text_hash:
        raise ValueError(f"analysis {analysis.article_id} was made from another text than article {article.id}")
    lang = article.language or "en"
    rules = load_rules(lang)
    if model is True:
        model = load_model(lang)
    elif model is False:
        model = None
    text = article.text
    quoted = _Intervals([(s.start, s.end) for q in analysis.quotes if q.kind in ("direct", "mixed")
                         for s in q.content])
    entity_spans = _Intervals([(m.start, m.end) for e in analysis.entities for m in e.mentions])
    sentences, loaded = _score(text, analysis, model, quoted, entity_spans)
    if rules is None:
        return ArticleFraming(article.id, article.text_hash, STAGE, VERSION, model.name if model else "", lang,
                              sentences=sentences, loaded_words=loaded, parsed=doc is not None)
    find_sentence = _sentence_index(analysis.sentences)

    def sentence_span(pos: int) -> Span:
        if not analysis.sentences:
            return Span(0, len(text), text)
        s, e = analysis.sentences[find_sentence(pos)]
        return Span(s, e, text[s:e])

    cue_spans = _Intervals([(q.cue.start, q.cue.end) for q in analysis.quotes if q.cue is not None])
    markers = _markers(text, analysis, rules, quoted, cue_spans, sentence_span, doc)
    attributions, voices = _voices(text, analysis, rules, doc)
    mentions = _mentions(text, analysis, rules, doc, quoted, sentence_span) if doc is not None else ()
    side_vocab = sorted({(form, e.label) for e in analysis.entities if e.label in rules.speaker["side_labels"]
                         for form in (e.name, *e.forms)})
    return ArticleFraming(article.id, article.text_hash, STAGE, VERSION, model.name if model else "", lang,
                          sentences=sentences, loaded_words=loaded, markers=markers, attributions=attributions,
                          voices=voices, mentions=mentions, side_vocab=tuple(side_vocab), parsed=doc is not None)


def _score(text: str, analysis: Analysis, model: LoadedLanguageModel | None, quoted: _Intervals,
           entity_spans: _Intervals) -> tuple[tuple[SentenceScore, ...], tuple[LoadedWord, ...]]:
    spans = [(s, e) for s, e in analysis.sentences if text[s:e].strip()]
    if not spans or model is None:
        return tuple(SentenceScore(Span(s, e, text[s:e]), 0.0, quoted.coverage(s, e)) for s, e in spans), ()
    texts = [text[s:e] for s, e in spans]
    found = [words(t) for t in texts]
    word_lists = [[w for _, _, w in f] for f in found]
    scores = model.score_sentences(texts, word_lists)
    flat = [w for ws in word_lists for w in ws]
    wscores = model.word_scores(flat) if flat else []
    sentences, loaded, k = [], [], 0
    for i, ((s, e), f) in enumerate(zip(spans, found)):
        sentences.append(SentenceScore(Span(s, e, text[s:e]), round(float(scores[i]), 4), quoted.coverage(s, e)))
        for (a, b, _), ws in zip(f, wscores[k:k + len(f)]):
            if ws >= model.word_threshold and not entity_spans.contains(s + a):
                loaded.append(LoadedWord(Span(s + a, s + b, text[s + a:s + b]), round(float(ws), 4), i,
                                         quoted.contains(s + a)))
        k += len(f)
    return tuple(sentences), tuple(loaded)


def _markers(text, analysis, rules, quoted, cue_spans, sentence_span, doc) -> tuple[Marker, ...]:
    out = []
    marked = [t for t in analysis.terms if t.kind in rules.marked_kinds]
    marked_spans = _Intervals([(t.span.start, t.span.end) for t in marked])
    for t in marked:
        out.append(Marker("distancing", t.kind, t.span, t.sentence, quoted.contains(t.span.start)))
    for kind, pattern in (("hedge", rules.hedge_re), ("distancing", rules.distancing_re)):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            if kind == "distancing" and (marked_spans.contains(m.start()) or cue_spans.contains(m.start())):
                continue
            if kind == "distancing" and doc is not None:
                tok = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                tok = tok.root if tok is not None else None
                if tok is not None and tok.lemma_.lower() in rules.verb_class and tok.pos_ in ("VERB", "AUX") \
                        and tok.dep_ != "amod":
                    continue
            out.append(Marker(kind, _SPACE.sub(" ", m.group(1).lower()), Span(m.start(), m.end(), m.group(0)),
                              sentence_span(m.start()), quoted.contains(m.start())))
    out.sort(key=lambda x: (x.span.start, x.span.end, x.kind))
    return tuple(out)


# --- voices and attribution ---------------------------------------------------------------------------------------


def _voices(text, analysis, rules, doc) -> tuple[tuple[Attribution, ...], tuple[Voice, ...]]:
    from ..analysis import corpus_key
    from ..analysis.quotes import speaker_label

    entities = {e.key: e for e in analysis.entities}
    unresolved: dict[str, str] = {}
    stats: dict[str, dict] = {}
    attributions = []
    for q in analysis.quotes:
        key = None
        if q.speaker_entity and q.speaker_entity in entities:
            key = q.speaker_entity
        elif q.speaker is not None and speaker_label(q, {}, rules.lang) is not None:
            # an unresolved speaker is a voice of its own words ("the statement"), unless they are only a pronoun
            norm = _SPACE.sub(" ", q.speaker.text.strip().lower())
            key = unresolved.setdefault(norm, f"q{len(unresolved) + 1}")
        if key is not None:
            st = stats.setdefault(key, {"quotes": 0, "words": 0, "speaker_spans": []})
            st["quotes"] += 1
            st["words"] += sum(len(words(c.text)) for c in q.content)
            if q.speaker is not None:
                st["speaker_spans"].append(q.speaker)
        if q.cue is not None:
            tokens = None
            if doc is not None:
                cue = doc.char_span(q.cue.start, q.cue.end, alignment_mode="expand")
                tokens = list(cue) if cue is not None else None
            lemma = cue_lemma(q.cue.text, rules, tokens)
            attributions.append(Attribution(lemma, verb_class(lemma, rules), q.cue, key, q.kind, q.sentence))
    side_entities = [(m, e) for e in analysis.entities if e.label in rules.speaker["side_labels"] for m in e.mentions]
    side_forms = {f for e in analysis.entities if e.label in rules.speaker["side_labels"] for f in (e.name, *e.forms)
                  if " " not in f}
    voices = []
    for key in sorted(stats, key=lambda k: (k[0], int(k[1:]) if k[1:].isdigit() else 0, k)):
        st = stats[key]
        entity = entities.get(key)
        if entity is not None:
            name, label, ckey = entity.name, entity.label, corpus_key(entity.name, entity.label, rules.lang)
            spans = list(entity.mentions) + st["speaker_spans"]
        else:
            first = st["speaker_spans"][0]
            name, label, ckey = first.text, None, None
            spans = st["speaker_spans"]
        side_words, evidence = _side_words(text, entity, spans, side_entities, side_forms, rules, doc)
        voices.append(Voice(key, name, label, ckey, st["quotes"], st["words"], side_words, evidence))
    return tuple(attributions), tuple(voices)


def _side_words(text, entity, spans, side_entities, side_forms, rules, doc) -> tuple[tuple[str, ...], tuple]:
    """GPE/NORP words that describe a speaker, nearest to its name first."""
    labels = rules.speaker["side_labels"]
    if entity is not None and entity.label in labels:
        first = entity.mentions[0] if entity.mentions else None
        return (entity.name,), ((first,) if first else ())
    found: list[tuple[int, int, str, Span]] = []  # (distance, position, word, evidence)
    located = re.compile(r"-(?:" + "|".join(map(re.escape, rules.speaker.get("location_compounds", ()))) + r")\b",
                         re.IGNORECASE) if rules.speaker.get("location_compounds") else None

    def is_location(end: int) -> bool:
        return located is not None and located.match(text, end) is not None

    for span in spans:
        if doc is None:
            for form in side_forms:
                for m in re.finditer(r"(?<!\w)" + re.escape(form) + r"(?!\w)", span.text):
                    s = span.start + m.start()
                    if not is_location(s + len(form)):
                        found.append((0, s, form, Span(s, s + len(form), form)))
            continue
        region = doc.char_span(span.start, span.end, alignment_mode="expand")
        if region is None:
            continue
        head = region.root
        for tok in _description(head, region, rules.speaker):
            dist = abs(tok.i - head.i)
            hit = next(((m, e) for m, e in side_entities if m.start <= tok.idx < m.end), None)
            if hit is not None:
                if not is_location(hit[0].end):
                    found.append((dist, hit[0].start, hit[1].name, hit[0]))
            elif (tok.ent_type_ in labels or tok.text in side_forms or _nationality_candidate(tok, head)) \
                    and not is_location(tok.idx + len(tok.text)):
                found.append((dist, tok.idx, tok.text, Span(tok.idx, tok.idx + len(tok.text), tok.text)))
    found.sort(key=lambda x: (x[0], x[1]))
    out, evidence = [], []
    for _, _, word, ev in found:
        if word not in out:
            out.append(word)
            evidence.append(ev)
    return tuple(out), tuple(evidence)


def _nationality_candidate(tok, head) -> bool:
    """A capitalised modifier the tagger left unlabelled ("Chinese" of "the Chinese Embassy" when the phrase is no
    entity). Kept as a side word only if :class:`~storydiff.framing.sides.SideResolver` matches it to a GPE."""
    return (tok.i != head.i and not tok.ent_type_ and tok.is_title and tok.pos_ in ("ADJ", "PROPN")
            and tok.dep_ in ("amod", "compound"))


def _description(head, region, settings) -> list:
    """Tokens of a speaker mention, its modifiers, its apposition and the objects of 'of/for/from' after them."""
    mods, appos, preps = set(settings["modifier_deps"]), set(settings["apposition_deps"]), set(settings["preps"])
    frontier = [head]
    if head.dep_ in appos:
        frontier.append(head.head)
    frontier.extend(c for c in head.children if c.dep_ in appos)
    out = {t.i: t for t in region}
    for h in frontier:
        out[h.i] = h
        for c in h.children:
            if c.dep_ in mods:
                out.update((t.i, t) for t in c.subtree)
            elif c.dep_ == "prep" and c.lower_ in preps:
                for g in c.children:
                    if g.dep_ == "pobj":
                        out[g.i] = g
                        out.update((t.i, t) for gc in g.children if gc.dep_ in mods for t in gc.subtree)
    return [out[i] for i in sorted(out)]


# --- mentions for referent alignment -----------------------------------------------------------------------------


class _Tokens:
    """The parse as plain Python lists (one pass over spaCy's arrays): reading attributes of spaCy ``Token`` objects
    one by one costs more than everything else the mention finder does."""

    def __init__(self, doc) -> None:
        from spacy.attrs import DEP, HEAD, IDX, IS_ALPHA, IS_PUNCT, LEMMA, LENGTH, LIKE_NUM, LOWER, POS

        import numpy as np

        strings = doc.vocab.strings
        arr = doc.to_array([POS, DEP, HEAD, LEMMA, LOWER, IDX, LENGTH, LIKE_NUM, IS_PUNCT, IS_ALPHA])

        def names(col: int) -> list[str]:
            unique, inverse = np.unique(arr[:, col], return_inverse=True)
            table = [strings[int(x)] for x in unique.tolist()]
            return [table[k] for k in inverse.tolist()]

        self.pos, self.dep, self.lemma, self.lower = names(0), names(1), names(3), names(4)
        # HEAD is a signed offset in spaCy's uint64 array
        offsets = arr[:, 2].view(np.int64)
        self.head = (np.arange(len(arr)) + offsets).tolist()
        self.idx = arr[:, 5].tolist()
        self._end = (arr[:, 5] + arr[:, 6]).tolist()
        self._doc_text = doc.text
        self.like_num = arr[:, 7].astype(bool).tolist()
        self.punct = arr[:, 8].astype(bool).tolist()
        self.alpha = arr[:, 9].astype(bool).tolist()
        self.children: list[list[int]] = [[] for _ in range(len(arr))]
        for i, h in enumerate(self.head):
            if h != i:
                self.children[h].append(i)

    def text(self, i: int) -> str:
        return self._doc_text[self.idx[i]:self._end[i]]

    def subtree(self, i: int) -> list[int]:
        out, stack = [], [i]
        while stack:
            j = stack.pop()
            out.append(j)
            stack.extend(self.children[j])
        return out


def _mentions(text, analysis, rules, doc, quoted, sentence_span) -> tuple[Mention, ...]:
    from ..analysis import corpus_key

    settings = rules.referents
    head_pos, skip_pos = set(settings["head_pos"]), set(settings["skip_pos"])
    drop = set(settings["drop_leading"])
    arg_preps, arg_deps = set(settings["argument_preps"]), set(settings["argument_deps"])
    slot_deps, slot_skip = set(settings["slot_deps"]), set(settings["slot_skip_lemmas"])
    equating_deps, equating_preps = set(settings["equating_deps"]), set(settings["equating_preps"])
    max_words = int(settings["max_words"])
    ent_at = sorted(((m.start, m.end, e) for e in analysis.entities for m in e.mentions), key=lambda x: x[0])
    starts = [x[0] for x in ent_at]
    t = _Tokens(doc)

    def entity_of(i: int):
        k = bisect.bisect_right(starts, t.idx[i]) - 1
        if k >= 0 and ent_at[k][0] <= t.idx[i] < ent_at[k][1]:
            return ent_at[k][2]
        return None

    def names_in(i: int, relation: str) -> list[tuple[str, str, str]]:
        out = []
        for j in [i, *[c for c in t.children[i] if t.dep[c] in arg_deps]]:
            e = entity_of(j)
            if e is not None and e.label != "PERSON" and (relation, e.name, e.label) not in out:
                out.append((relation, e.name, e.label))
        return out

    drafts = []
    by_root: dict[int, int] = {}
    for chunk_start, chunk_end, root in [(c.start, c.end, c.root.i) for c in doc.noun_chunks]:
        if t.pos[root] not in head_pos or t.pos[root] in skip_pos:
            continue
        root_entity = entity_of(root)
        if root_entity is not None and root_entity.label == "PERSON":
            continue
        # the possessor is an argument, not part of the term; numbers and their modifiers are facts, not word
        # choice ("12 million Uighurs" / "an estimated 1 million Uighurs" / "at least one million Uighurs")
        left_out = {j for c in t.children[root] if t.dep[c] in ("poss", "nummod", "quantmod") for j in t.subtree(c)}
        toks = [j for j in range(chunk_start, chunk_end) if j not in left_out and not t.punct[j]
                and t.pos[j] != "NUM" and not t.like_num[j] and t.dep[j] != "quantmod"]
        while toks and (t.lower[toks[0]] in drop or t.pos[toks[0]] in ("DET", "PRON")) and toks[0] != root:
            toks = toks[1:]
        if not toks or len(toks) > max_words:
            continue
        term = " ".join((t.text(j) if t.pos[j] == "PROPN" else (t.lemma[j].lower() if j == root else t.lower[j]))
                        for j in toks)
        args: list[tuple[str, str, str]] = []
        for c in t.children[root]:
            if c in left_out and t.dep[c] != "poss":
                continue
            if t.dep[c] in arg_deps:
                args.extend(a for a in names_in(c, "poss" if t.dep[c] == "poss" else "mod") if a not in args)
            elif t.dep[c] == "prep" and t.lower[c] in arg_preps:
                for g in t.children[c]:
                    if t.dep[g] == "pobj":
                        args.extend(a for a in names_in(g, t.lower[c]) if a not in args)
        if root_entity is not None:
            args = [a for a in args if a[1] != root_entity.name]
        slot = None
        if t.dep[root] in slot_deps:
            if t.dep[root] == "pobj" and t.dep[t.head[root]] == "prep":
                gov, rel = t.head[t.head[root]], t.lower[t.head[root]]
            else:
                gov, rel = t.head[root], t.dep[root]
            lemma = t.lemma[gov].lower()
            if gov != root and lemma not in slot_skip and lemma not in rules.verb_class and t.alpha[gov]:
                slot = f"{lemma}:{rel}"
        start, end = t.idx[toks[0]], t._end[toks[-1]]
        by_root[root] = len(drafts)
        drafts.append([Span(start, end, text[start:end]), term,
                       t.lemma[root].lower() if t.pos[root] != "PROPN" else t.text(root),
                       (corpus_key(root_entity.name, root_entity.label, rules.lang) if root_entity is not None
                        else None),
                       tuple(args), set(), sentence_span(start), quoted.contains(t.idx[root]), slot, root])
    for i, d in enumerate(drafts):
        root = d[-1]
        head = t.head[root]
        other = None
        if t.dep[root] == "appos":
            other = by_root.get(head)
        elif t.dep[root] in equating_deps:
            subj = [c for c in t.children[head] if t.dep[c] in ("nsubj", "nsubjpass", "dobj") and c != root]
            other = by_root.get(subj[0]) if subj else None
        elif t.dep[root] == "pobj" and t.lower[head] in equating_preps and t.pos[t.head[head]] in ("VERB", "AUX"):
            objs = [c for c in t.children[t.head[head]] if t.dep[c] in ("dobj", "nsubjpass")]
            other = by_root.get(objs[0]) if objs else None
        if other is not None and other != i:
            d[5].add(other)
            drafts[other][5].add(i)
    return tuple(Mention(d[0], d[1], d[2], d[3], d[4], tuple(sorted(d[5])), d[6], d[7], d[8]) for d in drafts)


def frame_articles(articles: Sequence[Article], analyses: Sequence[Analysis], nlp=None, batch_size: int = 32
                   ) -> list[ArticleFraming]:
    """:func:`frame_article` over many articles, parsing them with the analysis stage's spaCy pipeline (in batches).
    ``analyses[i]`` must be the analysis of ``articles[i]``."""
    from ..analysis import load_nlp

    nlp = nlp or load_nlp()
    out = []
    docs = nlp.pipe((a.text for a in articles), batch_size=batch_size)
    for article, analysis, doc in zip(articles, analyses, docs):
        out.append(frame_article(article, analysis, doc))
    return out


__all__ = ["frame_article", "frame_articles", "load_rules", "cue_lemma", "verb_class", "FramingRules", "STAGE",
           "VERSION"]
