"""The compact record the stories stage clusters on: one :class:`StoryFeatures` per article.

Built by a pure map from what the analysis stage stored (entities with their corpus keys, facts with normalised
dates) plus the article's outlet and publication date -- never from raw text or parse trees. The record is small
(tens of entries) and JSON-serialisable, so the store keeps it and clustering reads only these and the vectors.

* ``entities``: ``(corpus key, label, weight, name)``; the weight is the entity's salience in the article: more
  mentions and an early first mention (the lead) weigh more, and labels that say little about *which* happening it
  is (nationalities, countries) weigh less (``data/stories/en.json``).
* ``tallies`` and ``numbers``: checkable values (``"169-1"``, ``"money:1800000"``) that two reports of one
  happening share and two different happenings of the same kind rarely do.
* ``dates``: when the article says things happened (point dates from the text, never the publication date), with
  the evidence; ``when`` is the article's happening date: the earliest-placed day or week date in the text.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from sys import intern

from ..model import Analysis, Article

#: Bump when the features computed from the same analysis change, or when what makes a stored pair changes (its
#: features are then redone, so every article's pairs are found again): stored features of an older version are
#: redone. 2: the candidate window (``candidate_window_days``; pairs stored before it can be months apart).
FEATURES_VERSION = "2"
#: The version of features made without the analysis (:func:`name_features`): an article that has them is
#: clustered now, and its features are made again from its analysis once it has one (bumped with the above).
NAMES_VERSION = "names-2"


@cache
def load_rules(lang: str = "en", embedder: str | None = None) -> dict:
    """Weights and word lists of the stories stage (``storydiff/data/stories/<lang>.json``). With ``embedder``, the
    file's ``embedder_settings`` for that embedder are applied: its cosines sit on another scale than the default
    embedder's, so the weight of the vector term and the cut are its own (tuned on the training parts:
    bench/STORIES.md). The result is shared: copy it before changing it."""
    folder = resources.files("storydiff") / "data" / "stories"
    path = folder / f"{lang}.json"
    if not path.is_file():
        path = folder / "en.json"
    rules = json.loads(path.read_text("utf-8"))
    return with_overrides(rules, rules.get("embedder_settings", {}).get(embedder, {}))


def with_overrides(rules: dict, overrides: dict) -> dict:
    """A copy of ``rules`` with ``overrides`` applied; a dotted key reaches into a section (``"score.vector"``).
    Raises ``KeyError`` for a key the rules do not have, so a misspelt setting is never silently ignored."""
    out = json.loads(json.dumps(rules))
    for key, value in overrides.items():
        target = out
        *path, last = key.split(".")
        for part in path:
            target = target[part]
        if last not in target:
            raise KeyError(f"unknown stories setting {key!r}")
        target[last] = value
    return out


@dataclass(frozen=True, slots=True)
class DateMention:
    """A point in time the article gives for something that happened, with its evidence."""

    value: str          # YYYY-MM-DD (day, week: its Monday), YYYY-MM (month) or YYYY (year)
    granularity: str    # day | week | month | year
    text: str           # the words in the article ("on Thursday")
    start: int          # offset into Article.text
    sentence: int       # index of the sentence it is in


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What the stories stage knows of one article (see the module docstring)."""

    article_id: str
    outlet: str | None
    published: str | None
    entities: tuple[tuple[str, str, float, str], ...] = ()
    tallies: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    dates: tuple[DateMention, ...] = ()
    when: DateMention | None = None
    version: str = FEATURES_VERSION

    def to_json(self) -> str:
        return json.dumps({
            "article_id": self.article_id, "outlet": self.outlet, "published": self.published,
            "entities": [list(e) for e in self.entities], "tallies": list(self.tallies),
            "numbers": list(self.numbers), "measures": list(self.measures),
            "dates": [[d.value, d.granularity, d.text, d.start, d.sentence] for d in self.dates],
            "when": None if self.when is None else self.dates.index(self.when), "version": self.version,
        }, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> StoryFeatures:
        d = json.loads(text)
        dates = tuple(DateMention(*x) for x in d["dates"])
        return cls(article_id=d["article_id"], outlet=d["outlet"], published=d["published"],
                   # interned: the same names recur across articles, and a large update holds many records
                   entities=tuple((intern(k), intern(label), float(w), intern(name))
                                  for k, label, w, name in d["entities"]),
                   tallies=tuple(d["tallies"]), numbers=tuple(d["numbers"]),
                   measures=tuple(d.get("measures", ())), dates=dates,
                   when=None if d["when"] is None else dates[d["when"]], version=d.get("version", "0"))

    @property
    def entity_weights(self) -> dict[str, float]:
        return {k: w for k, _, w, _ in self.entities}


def _sentence_of(analysis: Analysis, offset: int) -> int:
    for i, (start, end) in enumerate(analysis.sentences):
        if start <= offset < end:
            return i
    return len(analysis.sentences)


def story_features(analysis: Analysis, corpus_keys: dict[str, str], *, outlet: str | None = None,
                   published: str | None = None, lang: str = "en") -> StoryFeatures:
    """The stories record of one article. ``corpus_keys`` maps the analysis' entity keys (``e1``...) to their
    corpus-wide keys (the ``entities.corpus_key`` column); entities without one are left out."""
    rules = load_rules(lang)
    lead = rules["lead_sentences"]
    label_weight = rules["label_weights"]
    weights: dict[str, list] = {}
    for ent in analysis.entities:
        key = corpus_keys.get(ent.key)
        if not key or not ent.mentions:
            continue
        # the small spaCy model labels one name differently in different articles ("Wladimir Klitschko" PERSON
        # here, NORP there): articles are compared on the name part of the corpus key, the label only weighs it
        key = key.split(":", 1)[-1]
        first = _sentence_of(analysis, ent.mentions[0].start)
        w = label_weight.get(ent.label, 0.5) * (math.log2(1 + len(ent.mentions)) + (1.0 if first < lead else 0.0))
        keys = [(key, w, ent.name)]
        parts = key.split()
        if ent.label == "PERSON" and len(parts) >= 2:
            # a person named in full in one article is often only "Klitschko" in another
            keys.append(("~" + parts[-1], w * rules["surname_weight"], parts[-1]))
        for k, kw, name in keys:
            if k in weights:  # two entities of one article can share a key (a plural, a variant)
                weights[k][2] += kw
            else:
                weights[k] = [k, ent.label, kw, name]
    entities = tuple(sorted((k, label, round(w, 4), name) for k, label, w, name in weights.values()))

    tallies, numbers, measures, dates = set(), set(), set(), []
    skip_qualifiers = set(rules["date_qualifiers_not_happening"])
    for fact in analysis.facts:
        if fact.kind == "tally" and fact.value and fact.value != "unanimous":
            tallies.add(fact.value)
        elif fact.kind in ("count", "money", "percent") and fact.value:
            try:
                value = float(fact.value)
            except ValueError:
                continue
            # a small bare count ("two people") is shared by chance; a precise or large one is not
            if value >= rules["min_shared_number"] or (fact.kind != "count" and value != int(value)):
                numbers.add(f"{fact.kind}:{fact.value}")
            if fact.counted:
                # "23 pirates" here and "26 pirates" there: a measure two reports of one happening should agree on
                measures.add(f"{fact.kind}:{fact.counted.lower()}:{fact.value}")
        elif fact.kind == "date" and fact.value and fact.qualifier not in skip_qualifiers:
            dates.append(DateMention(fact.value, fact.granularity or "day", fact.span.text, fact.span.start,
                                     _sentence_of(analysis, fact.span.start)))
    dates.sort(key=lambda d: d.start)
    point = [d for d in dates if d.granularity in ("day", "week")]
    return StoryFeatures(article_id=analysis.article_id, outlet=outlet, published=published, entities=entities,
                         tallies=tuple(sorted(tallies)), numbers=tuple(sorted(numbers)),
                         measures=tuple(sorted(measures)), dates=tuple(dates),
                         when=point[0] if point else None)


@cache
def _name_pattern(lang: str) -> re.Pattern:
    rules = load_rules(lang)["name_features"]
    joins = "|".join(re.escape(w) for w in rules["connectors"])
    # a word may hold dots between capitals and end in one ("U.S."), never a sentence's full stop after a word, so
    # no run crosses one
    word = r"[A-Z](?:[\w'’-]|\.(?=[A-Z]))*(?:(?<=\.[A-Z])\.)?"
    return re.compile(rf"\b{word}(?:\s+(?:(?:{joins})\s+)?{word})*")


def name_features(article: Article, lang: str = "en") -> StoryFeatures:
    """Stories features without the analysis stage (no spaCy): runs of capitalised words as names, keyed as the
    analysis keys entities (:func:`storydiff.analysis.corpus_key`), weighted by count and by a mention in the lead;
    no facts and no happening dates. Grouping on these scores about as well as on the analysis (bench/STORIES.md,
    ``--features names``), so a large corpus can be grouped before it is parsed and only the articles that have
    something to be compared with analysed (``update_stories(..., unanalysed="names")``)."""
    from ..analysis import corpus_key

    rules = load_rules(lang)["name_features"]
    skip = set(rules["stopwords"])
    counts: dict[str, list] = {}
    lead_end = len(" ".join(article.text.split()[:rules["lead_words"]]))
    for match in _name_pattern(lang).finditer(article.text):
        words = [w for w in match.group(0).strip(" .").split() if w not in skip]
        if not words or (len(words) == 1 and len(words[0]) < 3):
            continue
        name = " ".join(words)
        key = corpus_key(name, "NAME", lang).split(":", 1)[-1]
        if not key:
            continue
        slot = counts.setdefault(key, [0, match.start() < lead_end, name])
        slot[0] += 1
    weight = rules["weight"]
    entities = tuple(sorted((k, "NAME", round(weight * (math.log2(1 + n) + (1.0 if lead else 0.0)), 4), name)
                            for k, (n, lead, name) in counts.items() if n >= 2 or lead))
    return StoryFeatures(article_id=article.id, outlet=article.outlet, published=article.published,
                         entities=entities, version=NAMES_VERSION)


__all__ = ["FEATURES_VERSION", "NAMES_VERSION", "DateMention", "StoryFeatures", "load_rules", "name_features",
           "story_features", "with_overrides"]
