"""Canonical entities of an article, from spaCy's named entities.

Within an article: short forms resolve to the full name they abbreviate ("Vallaud" after "Boris Vallaud"), acronyms
defined in the text resolve to their long form ("Human Rights Watch (HRW)"), spelling and transliteration variants
of one name are grouped with the evidence ("Uighur" / "Uyghur": same skeleton), and two *different* full names that
share a surname are kept apart and linked (``Entity.related``), so a later stage can report the conflict.

Across the corpus, :func:`entity_key` gives every name a key that spelling variants share; the store groups
entities by it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..model import Entity, Span
from ..rules import read_rules

_NON_WORD = re.compile(r"[^\w\s-]", re.UNICODE)
_SPACE = re.compile(r"[\s-]+")
_ACRONYM_DEF = re.compile(r"((?:[A-Z][\w'’.-]*|of|the|for|and|on|de|du|des|la|le)(?:\s+(?:[A-Z][\w'’.-]*|of|the|for|and"
                          r"|on|de|du|des|la|le)){1,8})\s+\(([A-Z][A-Z0-9&.]{1,7})\)")
_SMALL_WORDS = {"of", "the", "for", "and", "on", "de", "du", "des", "la", "le", "in", "to", "at"}


@lru_cache(maxsize=None)
def load_rules(lang: str = "en") -> dict:
    rules = read_rules("entities", lang)
    rules["labels"] = set(rules["labels"])
    rules["strip_leading"] = set(rules["strip_leading"])
    rules["surname_particles"] = frozenset(rules.get("surname_particles", ()))
    return rules


def surname_words(tokens: Sequence[str], lang: str = "en") -> list[str]:
    """The words of a person's name that are the surname: the last, with the particles before it ("Le Drian",
    "de Rivière", "van der Berg"; rules: ``surname_particles``, and any lower-case word)."""
    particles = load_rules(lang)["surname_particles"]
    i = len(tokens) - 1
    while i > 0 and (tokens[i - 1][:1].islower() or tokens[i - 1] in particles):
        i -= 1
    return list(tokens[i:])


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


@lru_cache(maxsize=1 << 17)
def entity_key(name: str, lang: str = "en") -> str:
    """A key shared by spelling and transliteration variants of one name: folded case and diacritics, punctuation
    dropped, the language's letter-group mappings applied, doubled letters collapsed. Cached: grouping a corpus on
    names keys ~90 names an article, most of them seen before (bench/STORIES.md)."""
    rules = load_rules(lang)
    text = _SPACE.sub(" ", _NON_WORD.sub("", _fold(name))).strip()
    for src, dst in rules["transliteration"]:
        text = text.replace(src, dst)
    return re.sub(r"(\w)\1+", r"\1", text)


def clean_name(text: str, lang: str = "en") -> str:
    """A mention's name without a leading article or a trailing possessive ("the Chinese Embassy's" -> "Chinese
    Embassy")."""
    rules = load_rules(lang)
    words = text.split()
    while words and words[0].lower() in rules["strip_leading"]:
        words = words[1:]
    name = " ".join(words)
    for suffix in rules["possessive_suffixes"]:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    name = name.strip(" ,;:")
    # keep the full stop of an abbreviation ("U.S.", "Jr."); drop one that ends a sentence
    if name.endswith(".") and not re.search(r"(?:\b[A-Za-z]\.){2,}$|\b[A-Z][a-z]?\.$", name):
        name = name[:-1]
    return name


@dataclass
class _Group:
    name: str
    key: str
    labels: Counter = field(default_factory=Counter)
    mentions: list[Span] = field(default_factory=list)
    forms: Counter = field(default_factory=Counter)
    acronym: str | None = None
    variants: dict[str, str] = field(default_factory=dict)
    roles: Counter = field(default_factory=Counter)

    @property
    def label(self) -> str:
        return self.labels.most_common(1)[0][0]

    @property
    def tokens(self) -> list[str]:
        return self.name.split()


def doc_text(doc) -> str:
    """``doc.text``, built once per document (spaCy joins every token's text each time it is asked)."""
    text = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.user_data[_TEXT_KEY] = doc.text
    return text


_TEXT_KEY = ("storydiff", "text")


def _mention_spans(doc, rules) -> list[tuple[Span, str, str]]:
    """(span, label, role) for each named-entity mention, with person names extended over a cut-off surname."""
    out = []
    for ent in doc.ents:
        if ent.label_ not in rules["labels"]:
            continue
        start, end = ent.start, ent.end
        if ent.label_ == "PERSON" and not ent.text.endswith(("'s", "’s", "'", "’")):
            # the small model sometimes stops a name early ("Jean-Yves Le | Drian"): extend over title-case proper
            # nouns that follow directly in the same sentence
            while end < len(doc) and doc[end].pos_ == "PROPN" and doc[end].is_title and doc[end].ent_type_ in (
                    "", "PERSON") and not doc[end].is_sent_start:
                end += 1
        span = doc[start:end]
        name = clean_name(span.text)
        if not name or not any(ch.isalpha() for ch in name):
            continue
        offset = span.text.find(name)
        char_start = span.start_char + max(offset, 0)
        role = _role(doc, start, end) if ent.label_ == "PERSON" else ""
        out.append((Span(char_start, char_start + len(name), name), ent.label_, role))
    return out


def _surname_mentions(doc, mentions: list[tuple[Span, str, str]]) -> list[tuple[Span, str, str]]:
    """Add the bare surnames of people named in full that the tagger missed ("Vallaud said ...")."""
    surnames = {}
    for span, label, _ in mentions:
        tokens = span.text.split()
        if label == "PERSON" and len(tokens) >= 2 and tokens[-1][:1].isupper():
            surnames[tokens[-1]] = span.text
    if not surnames:
        return mentions
    covered = set()
    for span, _, _ in mentions:
        covered.update(range(span.start, span.end))
    extra = []
    for token in doc:
        if token.text in surnames and token.idx not in covered and token.pos_ == "PROPN":
            extra.append((Span(token.idx, token.idx + len(token.text), token.text), "PERSON", ""))
    return sorted(mentions + extra, key=lambda m: m[0].start) if extra else mentions


def _role(doc, start: int, end: int) -> str:
    """The role words before a person's name in the same noun phrase ("French Foreign Minister")."""
    words = []
    i = start - 1
    while i >= 0 and doc[i].dep_ in ("compound", "amod", "nmod") and start <= doc[i].head.i < end \
            and doc[i].ent_type_ != "PERSON":
        words.append(doc[i].text)
        i -= 1
    if not words:
        head = doc[end - 1]
        for child in head.children:
            if child.dep_ == "appos" and child.i >= end:
                return child.text.lower()
    return " ".join(reversed(words))


def _acronyms(text: str) -> dict[str, str]:
    """Acronyms the text defines: "Human Rights Watch (HRW)" -> {"HRW": "Human Rights Watch"}."""
    out: dict[str, str] = {}
    for match in _ACRONYM_DEF.finditer(text):
        words = match.group(1).split()
        letters = match.group(2).replace(".", "").replace("&", "")
        # take the shortest tail of the phrase whose capitalised initials spell the acronym
        for start in range(len(words) - 1, -1, -1):
            tail = words[start:]
            initials = "".join(w[0] for w in tail if w.lower() not in _SMALL_WORDS)
            if initials.upper() == letters.upper() and tail[0].lower() not in _SMALL_WORDS:
                out[match.group(2)] = " ".join(tail)
                break
    return out


def extract_entities(doc, lang: str = "en") -> list[Entity]:
    """Canonical entities of one parsed article (``doc`` is a spaCy ``Doc`` of ``Article.text``)."""
    rules = load_rules(lang)
    mentions = _mention_spans(doc, rules)
    mentions = _surname_mentions(doc, mentions)
    acronyms = _acronyms(doc_text(doc))
    long_to_acr = {clean_name(v): k for k, v in acronyms.items()}
    groups: dict[str, _Group] = {}
    order: list[str] = []

    def group_for(name: str) -> _Group:
        key = entity_key(name, lang)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(name=name, key=key)
            order.append(key)
        return group

    # pass 1: the full person names (not the start or end of a longer person name in the same article)
    # (sorted: the order decides between equal candidates below, and a set's order changes from run to run)
    person_names = sorted({tuple(span.text.split()) for span, label, _ in mentions if label == "PERSON"})
    # a name is full unless it is the end of a longer one (_short_matches: a short form of two or more words is
    # only ever an end)
    ends = {o[i:] for o in person_names for i in range(1, len(o))}
    full_names = [n for n in person_names if len(n) >= 2 and n not in ends]
    full_set = set(full_names)
    # the full names each short form fits (_short_matches), in the order of full_names
    fitting: dict[tuple, list[tuple]] = defaultdict(list)
    for n in full_names:
        for short in dict.fromkeys([n[i:] for i in range(1, len(n))] + [n[:1]]):
            fitting[short].append(n)
    first_seen: dict[tuple, int] = {}
    for span, label, _ in mentions:
        tokens = tuple(span.text.split())
        if tokens in full_set and tokens not in first_seen:
            first_seen[tokens] = span.start
    # pass 2: every mention to its group; short forms to the most recent full name before them that fits, or to
    # the only one that fits anywhere; an ambiguous short form stays apart (and is linked to the names it fits)
    for span, label, role in mentions:
        name = span.text
        tokens = name.split()
        if name in acronyms:
            group = group_for(acronyms[name])
            group.acronym = name
        else:
            fits = fitting.get(tuple(tokens), []) if label in ("PERSON", "ORG", "GPE", "NORP") else []
            before = [n for n in fits if first_seen.get(n, 1 << 60) < span.start]
            if before:
                recent = max(before, key=lambda n: max(m.start for m in groups[entity_key(" ".join(n), lang)].mentions
                                                       if m.start < span.start))
                group = group_for(" ".join(recent))
            elif len({entity_key(" ".join(n), lang) for n in fits}) == 1:
                group = group_for(" ".join(fits[0]))
            else:
                group = group_for(name)
            if name in long_to_acr:
                group.acronym = long_to_acr[name]
        _add(group, span, label, role, lang)

    _merge_plurals(groups, order)
    entities = []
    keys = {}
    for index, key in enumerate(k for k in order if k in groups):
        keys[key] = f"e{index + 1}"
    # each person's tokens, surname and whether a given name precedes it, worked out once (not once per pair)
    people = []
    for other in groups.values():
        if other.label == "PERSON":
            surname = _surname(other)
            people.append((other, other.tokens, surname, len(other.tokens) > len(surname.split())))
    person_of = {id(p[0]): p for p in people}
    for key in order:
        if key not in groups:
            continue
        g = groups[key]
        related = []
        if g.label == "PERSON":
            _, tokens, surname, given = person_of[id(g)]
            for other, other_tokens, other_surname, other_given in people:
                if other is g:
                    continue
                if given and other_given and surname == other_surname and g.key != other.key:
                    shared_role = set(g.roles) & set(other.roles)
                    reason = f"same surname '{surname}'" + (
                        f" and role '{sorted(shared_role)[0]}'" if shared_role else "") + ", different full name"
                    related.append((keys[other.key], reason))
                elif not given and other_given and _short_matches(tokens, other_tokens):
                    related.append((keys[other.key], f"short form '{g.name}' fits '{other.name}'"))
        entities.append(Entity(
            key=keys[key], name=g.name, label=g.label, mentions=tuple(g.mentions),
            forms=tuple(f for f, _ in g.forms.most_common()), acronym=g.acronym,
            variants=tuple(sorted(g.variants.items())), related=tuple(related)))
    return entities


def _surname(group: _Group) -> str:
    return " ".join(surname_words(group.tokens))


def _short_matches(short: list[str], full: list[str]) -> bool:
    """"Vallaud" or "Le Drian" is the end of "Boris Vallaud" / "Jean-Yves Le Drian"; "Dilnur" is the start of
    "Dilnur Reyhan"."""
    if len(short) >= len(full):
        return False
    return full[-len(short):] == short or (len(short) == 1 and full[0] == short[0])


def _add(group: _Group, span: Span, label: str, role: str, lang: str) -> None:
    group.mentions.append(span)
    group.labels[label] += 1
    group.forms[span.text] += 1
    if role:
        group.roles[role.split()[-1].lower()] += 1
    if span.text.lower() != group.name.lower() and entity_key(span.text, lang) == group.key:
        group.variants.setdefault(span.text, f"spelling variant of '{group.name}' (same skeleton '{group.key}')")
    if len(span.text) > len(group.name) and entity_key(span.text, lang) == group.key:
        group.name = span.text


def _merge_plurals(groups: dict[str, _Group], order: list[str]) -> None:
    """"Uyghurs" joins "Uyghur" when both occur (a plural or demonym form of one name)."""
    for key in list(order):
        if key.endswith("s") and key[:-1] in groups and key in groups:
            target, plural = groups[key[:-1]], groups.pop(key)
            for span in plural.mentions:
                target.mentions.append(span)
                target.forms[span.text] += 1
                target.variants.setdefault(span.text, f"plural of '{target.name}'")
            target.labels.update(plural.labels)
    for group in groups.values():
        group.mentions.sort(key=lambda s: s.start)


def corpus_entities(rows, min_articles: int = 1) -> list[dict]:
    """Entities across the corpus from ``Store.entity_rows()``: one per corpus key, with its name (the most common
    full name), every surface form and the outlets that used each form, most widely reported first."""
    groups: dict[str, dict] = {}
    for corpus_key, name, label, article_id, forms, outlet, _ in rows:
        g = groups.setdefault(corpus_key, {"key": corpus_key, "names": Counter(), "labels": Counter(),
                                           "articles": set(), "forms": defaultdict(set)})
        g["names"][name] += 1
        g["labels"][label] += 1
        g["articles"].add(article_id)
        for form in forms:
            g["forms"][form].add(outlet or "(unknown outlet)")
    out = []
    for g in groups.values():
        if len(g["articles"]) < min_articles:
            continue
        out.append({"key": g["key"], "name": g["names"].most_common(1)[0][0],
                    "label": g["labels"].most_common(1)[0][0], "articles": len(g["articles"]),
                    "forms": [{"form": f, "outlets": sorted(o)} for f, o in
                              sorted(g["forms"].items(), key=lambda kv: (-len(kv[1]), kv[0]))]})
    out.sort(key=lambda e: (-e["articles"], e["name"]))
    return out


__all__ = ["extract_entities", "entity_key", "clean_name", "load_rules", "corpus_entities"]
