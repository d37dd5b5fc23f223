"""Per-outlet framing of one event or storyline, over compact records only.

``frame_outlets(items)`` takes ``(outlet, article_id, Analysis, ArticleFraming)`` for the articles of one event
and returns an :class:`OutletFraming` per outlet: attribution verbs by class and by speaker, hedges and distancing
with examples, the loaded-language rate and the most loaded sentences with their evidence, and voice share (who is
quoted, with how many quotes and words, from which side).

Even-handed by construction: every outlet goes through the same code; outlet names are only labels and keys. Orders
come from article ids, offsets, counts and the words themselves, never from an outlet's name, so renaming outlets
gives the same result with the names swapped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from ..model import Analysis
from .records import (ArticleFraming, Evidence, LoadedSentence, MarkerUse, OutletFraming, VerbUse, VoiceShare)
from .sides import SideResolver

#: A sentence at least this much inside quoted content is the speaker's, not the outlet's.
QUOTED_SENTENCE = 0.5
LOADED = 0.5

Item = tuple[str, str, Analysis, ArticleFraming]


def _sorted_items(items: Iterable[Item]) -> list[Item]:
    out = list(items)
    for outlet, article_id, analysis, framing in out:
        if framing.article_id != article_id or analysis.article_id != article_id:
            raise ValueError(f"records of article {article_id} do not belong together")
    return sorted(out, key=lambda x: x[1])


def outlet_order(items: Sequence[Item]) -> list[str]:
    """Outlets in the order of their first article id (never by name)."""
    first: dict[str, str] = {}
    for outlet, article_id, _, _ in items:
        if outlet not in first or article_id < first[outlet]:
            first[outlet] = article_id
    return sorted(first, key=lambda o: first[o])


def voice_identity(voice) -> str:
    """The key that joins one speaker across articles."""
    return voice.corpus_key or "text:" + " ".join(voice.name.lower().split())


def frame_outlets(items: Iterable[Item], *, top: int = 5, examples: int = 3,
                  sides: SideResolver | None = None) -> dict[str, OutletFraming]:
    """The framing of each outlet over its articles in ``items`` (one event or storyline).

    ``sides`` resolves GPE/NORP words to sides; by default it is built from all of ``items`` (so a speaker gets the
    same side whichever outlet quotes it). Raises ``ValueError`` when an item's records belong to different articles.
    """
    items = _sorted_items(items)
    sides = sides or SideResolver(f for _, _, _, f in items)
    by_outlet: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_outlet[item[0]].append(item)
    return {outlet: _frame_outlet(outlet, by_outlet[outlet], sides, top, examples)
            for outlet in outlet_order(items)}


def _frame_outlet(outlet: str, items: list[Item], sides: SideResolver, top: int, examples: int) -> OutletFraming:
    classes: Counter = Counter()
    verbs: dict[tuple[str, str], dict] = {}
    markers: dict[tuple[str, str], dict] = {}
    own, quoted_scores = [], []
    candidates = []
    loaded_words: Counter = Counter()
    voices: dict[str, dict] = {}
    n_sentences = 0
    for _, article_id, _, f in items:
        names = {v.key: v.name for v in f.voices}
        identity = {v.key: voice_identity(v) for v in f.voices}
        for v in f.voices:
            entry = voices.setdefault(identity[v.key], {"names": Counter(), "quotes": 0, "words": 0, "verbs": Counter(),
                                                        "side_words": [], "evidence": [],
                                                        "corpus_key": v.corpus_key})
            entry["names"][v.name] += 1
            entry["quotes"] += v.quotes
            entry["words"] += v.words
            for word, ev in zip(v.side_words, v.evidence):
                entry["side_words"].append(word)
                entry["evidence"].append(Evidence(article_id, ev))
        for a in f.attributions:
            classes[a.verb_class] += 1
            entry = verbs.setdefault((a.verb, a.verb_class), {"count": 0, "speakers": Counter(), "examples": []})
            entry["count"] += 1
            if a.speaker is not None:
                entry["speakers"][names.get(a.speaker, a.speaker)] += 1
                voices[identity[a.speaker]]["verbs"][a.verb] += 1
            entry["examples"].append(Evidence(article_id, a.sentence))
        for m in f.markers:
            if m.quoted:
                continue
            entry = markers.setdefault((m.kind, m.cue), {"count": 0, "examples": []})
            entry["count"] += 1
            entry["examples"].append(Evidence(article_id, m.sentence))
        words_by_sentence: dict[int, list] = defaultdict(list)
        for w in f.loaded_words:
            words_by_sentence[w.sentence].append(w.span)
            if not w.quoted:
                loaded_words[w.span.text.lower()] += 1
        for i, s in enumerate(f.sentences):
            n_sentences += 1
            if s.quoted >= QUOTED_SENTENCE:
                quoted_scores.append(s.score)
                continue
            own.append(s.score)
            if s.score >= LOADED:
                candidates.append(LoadedSentence(article_id, s.span, s.score, s.quoted,
                                                 tuple(words_by_sentence.get(i, ()))))
    total_words = sum(v["words"] for v in voices.values())
    shares = []
    side_words: Counter = Counter()
    for ident, v in voices.items():
        name = sorted(v["names"], key=lambda n: (-v["names"][n], len(n), n))[0]
        side = sides.side_of(v["side_words"])
        evidence = tuple(ev for word, ev in zip(v["side_words"], v["evidence"]) if sides.side(word) == side)
        shares.append(VoiceShare(name, v["corpus_key"], side, v["quotes"], v["words"],
                                 round(v["words"] / total_words, 4) if total_words else 0.0,
                                 tuple(sorted(v["verbs"].items(), key=lambda x: (-x[1], x[0]))),
                                 evidence[:examples]))
        side_words[side] += v["words"]
    shares.sort(key=lambda s: (-s.words, -s.quotes, s.speaker))
    candidates.sort(key=lambda c: (-c.score, c.article_id, c.sentence.start))
    return OutletFraming(
        outlet=outlet, articles=tuple(i[1] for i in items), sentences=n_sentences,
        attribution_classes=tuple(sorted(classes.items(), key=lambda x: (-x[1], x[0]))),
        attribution_verbs=tuple(sorted(
            (VerbUse(verb, cls, e["count"], tuple(sorted(e["speakers"], key=lambda s: (-e["speakers"][s], s))),
                     tuple(e["examples"][:examples])) for (verb, cls), e in verbs.items()),
            key=lambda u: (-u.count, u.verb))),
        markers=tuple(sorted((MarkerUse(kind, cue, e["count"], tuple(e["examples"][:examples]))
                              for (kind, cue), e in markers.items()), key=lambda u: (u.kind, -u.count, u.cue))),
        hedges=sum(e["count"] for (kind, _), e in markers.items() if kind == "hedge"),
        distancing=sum(e["count"] for (kind, _), e in markers.items() if kind == "distancing"),
        loaded_rate=round(sum(s >= LOADED for s in own) / len(own), 4) if own else 0.0,
        loaded_rate_quoted=round(sum(s >= LOADED for s in quoted_scores) / len(quoted_scores), 4)
        if quoted_scores else 0.0,
        mean_score=round(sum(own) / len(own), 4) if own else 0.0,
        top_loaded=tuple(candidates[:top]),
        loaded_words=tuple(sorted(loaded_words.items(), key=lambda x: (-x[1], x[0]))[:15]),
        voices=tuple(shares),
        side_share=tuple(sorted(((side, n, round(n / total_words, 4) if total_words else 0.0)
                                 for side, n in side_words.items()),
                                key=lambda x: (-x[1], x[0] is None, x[0] or ""))),
    )


__all__ = ["frame_outlets", "outlet_order", "voice_identity", "Item"]
