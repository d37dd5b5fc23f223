"""Checkable facts in an article: vote tallies, counts, money, percentages and dates, with what they count.

Works on a parsed spaCy ``Doc`` (numbers come from its CARDINAL/MONEY/PERCENT/QUANTITY entities, dates from DATE
entities) plus a tally pattern, because no library parses "169 to 1". Every fact keeps its span and sentence as
evidence. Dates are normalised against the article's publication date; where the text does not allow a date (a
weekday with no publication date, say), the fact says so (``value=None``, ``qualifier="unresolved"``).
Word lists live in ``storydiff/data/facts/<lang>.json``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

from ..model import Entity, Fact, Span
from ..rules import read_rules
from .entities import doc_text

_TALLY = re.compile(r"(?<![\d.,$€£%])\b(\d{1,4})\s*(?:to|-|–|—|:)\s*(\d{1,4})\b(?![.,]\d|\s*(?:%|percent|per cent))")
_NUMBER = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^\d+(?:\.\d+)?$")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTH_RE = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_FORMS = [
    ("day", re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})\b")),
    ("day", re.compile(_MONTH_RE + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})\b", re.I)),
    ("day", re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r",?\s+(?P<year>\d{4})\b", re.I)),
    ("day-noyear", re.compile(_MONTH_RE + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b", re.I)),
    ("day-noyear", re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"\b", re.I)),
    ("month", re.compile(_MONTH_RE + r",?\s+(?:of\s+)?(?P<year>\d{4})\b", re.I)),
    ("month-noyear", re.compile(r"^(?:in\s+|early\s+|late\s+|mid-?)?" + _MONTH_RE + r"$", re.I)),
    ("year", re.compile(r"^(?:the\s+)?(?:year\s+)?(?P<year>(?:19|20)\d\d)$")),
    ("dom", re.compile(r"\bthe\s+(?P<day>\d{1,2})(?:st|nd|rd|th)\b", re.I)),
]


@lru_cache(maxsize=None)
def load_rules(lang: str = "en") -> dict:
    rules = read_rules("facts", lang)
    rules["vote_context"] = set(rules["vote_context"])
    rules["unanimous_re"] = re.compile(r"\b(" + "|".join(re.escape(u) for u in rules["unanimous"]) + r")\b", re.I)
    quals = sorted(rules["qualifiers"], key=len, reverse=True)
    rules["qualifier_re"] = re.compile(r"^(" + "|".join(re.escape(q) for q in quals) + r")\s+", re.I)
    rules["qualifier_before"] = {tuple(q.split()): label for q, label in rules["qualifiers"].items()}
    rules["duration_units"] = tuple(rules["duration_units"])
    return rules


def parse_number(text: str, lang: str = "en") -> float | None:
    """"1.8 million" -> 1800000, "one million" -> 1000000, "250,000" -> 250000, "two dozen" -> 24."""
    rules = load_rules(lang)
    words = re.sub(r"[$€£¥]", " ", text.lower()).replace("-", " ").split()
    total, current, seen = 0.0, 0.0, False
    for word in words:
        word = word.strip(".,;:()")
        if not word or word == "and":
            continue
        if _NUMBER.match(word):
            current += float(word.replace(",", ""))
            seen = True
        elif word in rules["number_words"]:
            current += rules["number_words"][word]
            seen = True
        elif word in rules["multipliers"]:
            mult = rules["multipliers"][word]
            current = (current or 1) * mult
            if mult >= 1000:
                total += current
                current = 0.0
            seen = True
        elif word in ("percent", "per", "cent", "%"):
            continue
        elif seen:
            break
    return total + current if seen else None


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _predicate(token) -> str | None:
    """Lemma of the nearest verb governing ``token``."""
    seen = 0
    while token is not None and seen < 12:
        if token.pos_ in ("VERB", "AUX") and token.dep_ != "amod":
            return token.lemma_.lower()
        if token.head is token:
            return token.lemma_.lower() if token.pos_ in ("VERB", "AUX") else None
        token = token.head
        seen += 1
    return None


def _sentence_entities(sentence, entities: list[Entity]) -> tuple[str, ...]:
    keys = []
    for ent in entities:
        if any(sentence.start_char <= m.start < sentence.end_char for m in ent.mentions):
            keys.append(ent.key)
    return tuple(keys)


def _columns(doc) -> tuple[list[str], list[str]]:
    """Each token's lower-cased lemma and lower-cased form (``token.lemma_.lower()``, ``token.lower_``)."""
    from spacy.attrs import LEMMA, LOWER

    table = doc.to_array([LEMMA, LOWER])
    if not len(table):
        return [], []
    strings = doc.vocab.strings
    seen: dict[int, str] = {}
    lemmas = [seen[h] if h in seen else seen.setdefault(h, strings[h].lower()) for h in table[:, 0].tolist()]
    lowers = [strings[h] for h in table[:, 1].tolist()]
    return lemmas, lowers


def extract_facts(doc, entities: list[Entity] | None = None, published: str | None = None,
                  lang: str = "en") -> list[Fact]:
    """Facts of one parsed article. ``published`` (YYYY-MM-DD) anchors relative dates."""
    rules = load_rules(lang)
    entities = entities or []
    base = date.fromisoformat(published) if published else None
    facts: list[Fact] = []
    text = doc_text(doc)
    # each token's lemma and form read once for the article, as columns (a sentence's own Span.ents would build
    # every entity of the article again, sentence by sentence)
    lemmas, lowers = _columns(doc)
    ents = doc.ents
    next_ent = 0
    vote_context = rules["vote_context"]
    for sent in doc.sents:
        s_span = Span(sent.start_char, sent.end_char, text[sent.start_char:sent.end_char])
        votey = not vote_context.isdisjoint(lemmas[sent.start:sent.end]) or not vote_context.isdisjoint(
            lowers[sent.start:sent.end])
        # the entities wholly inside the sentence, as Span.ents gives them (entities are sorted and do not overlap)
        while next_ent < len(ents) and ents[next_ent].start < sent.start:
            next_ent += 1
        sent_ents = []
        while next_ent < len(ents) and ents[next_ent].end <= sent.end:
            sent_ents.append(ents[next_ent])
            next_ent += 1
        ents_here = None
        taken: list[tuple[int, int]] = []
        if votey:
            for match in _TALLY.finditer(sent.text):
                a, b = int(match.group(1)), int(match.group(2))
                if a >= 1900 and b >= 1900 or (a > 1000 and b > 1000):
                    continue  # a range of years, not a tally
                start = sent.start_char + match.start()
                end = sent.start_char + match.end()
                token = doc.char_span(start, end, alignment_mode="expand")
                ents_here = ents_here if ents_here is not None else _sentence_entities(sent, entities)
                facts.append(Fact("tally", Span(start, end, text[start:end]), f"{a}-{b}", s_span,
                                  predicate=_predicate(token.root) if token is not None else None,
                                  entities=ents_here))
                taken.append((start, end))
            for match in rules["unanimous_re"].finditer(sent.text):
                start = sent.start_char + match.start()
                end = sent.start_char + match.end()
                token = doc.char_span(start, end, alignment_mode="expand")
                ents_here = ents_here if ents_here is not None else _sentence_entities(sent, entities)
                facts.append(Fact("tally", Span(start, end, text[start:end]), "unanimous", s_span,
                                  qualifier="unanimous", predicate=_predicate(token.root) if token else None,
                                  entities=ents_here))
        for ent in sent_ents:
            if any(s <= ent.start_char < e for s, e in taken):
                continue
            if ent.label_ in ("CARDINAL", "MONEY", "PERCENT", "QUANTITY"):
                fact = _number_fact(ent, s_span, rules, lang, sent.end)
            elif ent.label_ == "DATE":
                fact = _date_fact(ent, s_span, base, rules, lowers[sent.start:sent.end])
            else:
                continue
            if fact is not None:
                ents_here = ents_here if ents_here is not None else _sentence_entities(sent, entities)
                facts.append(Fact(fact.kind, fact.span, fact.value, fact.sentence, fact.qualifier, fact.counted,
                                  fact.predicate, ents_here, fact.granularity))
    facts.sort(key=lambda f: (f.span.start, f.kind))
    return facts


def _number_fact(ent, s_span: Span, rules: dict, lang: str, sent_end: int) -> Fact | None:
    raw = ent.text
    qualifier = None
    match = rules["qualifier_re"].match(raw)
    if match:
        qualifier = rules["qualifiers"][match.group(1).lower()]
        raw = raw[match.end():]
    else:
        doc = ent.doc
        for width in (3, 2, 1):
            if ent.start - width >= 0:
                words = tuple(t.lower_ for t in doc[ent.start - width:ent.start])
                if words in rules["qualifier_before"]:
                    qualifier = rules["qualifier_before"][words]
                    break
    value = parse_number(raw, lang)
    if value is None:
        return None
    root = ent.root
    counted = None
    head = root.head
    if root.dep_ in ("nummod", "quantmod", "compound", "amod") and head.pos_ in ("NOUN", "PROPN") and head.i >= ent.end:
        counted = head.text
    elif root.dep_ == "pobj" and root.head.lower_ == "of" and root.head.head.pos_ == "NOUN":
        counted = root.head.head.text
    if counted is None:
        # "1.8 million mostly Muslim Uyghurs": the counted noun follows within a few words
        doc = ent.doc
        for token in doc[ent.end:min(ent.end + 4, sent_end)]:
            if token.is_punct or token.pos_ in ("VERB", "AUX", "ADP", "CCONJ", "SCONJ"):
                break
            if token.pos_ in ("NOUN", "PROPN") and token.dep_ not in ("compound", "amod", "nmod"):
                counted = token.text
                break
    kind = {"MONEY": "money", "PERCENT": "percent"}.get(ent.label_, "count")
    if kind == "count":
        if counted is None and (1900 <= value <= 2100 and re.fullmatch(r"\d{4}", raw.strip())):
            return None  # a year tagged as a number
        if counted is None and value < 100 and not qualifier:
            return None  # "one of", "Group of Seven": a bare small number says nothing checkable
    if kind == "money":
        currency = re.search(r"[$€£¥]|\b(dollars?|euros?|pounds?|yuan|yen|rupees?)\b", ent.text, re.I)
        counted = currency.group(0) if currency else counted
    return Fact(kind, Span(ent.start_char, ent.end_char, ent.text), _fmt(value), s_span, qualifier=qualifier,
                counted=counted, predicate=_predicate(head if counted else root))


def _date_fact(ent, s_span: Span, base: date | None, rules: dict, sent_lowers: list[str]) -> Fact | None:
    raw = ent.text.strip()
    low = raw.lower()
    words = low.replace("-", " ").split()
    relative = [rules["relative_words"][w] for w in words if w in rules["relative_words"]]
    if any(w.rstrip("s") in rules["duration_units"] for w in words) and not relative:
        return None  # a duration ("two weeks", "four years"), not a point in time
    if low in ("daily", "weekly", "monthly", "annual", "annually", "yearly", "now", "recently", "currently"):
        return None
    qualifier = None
    before = ent.doc[ent.start - 1].lower_ if ent.start > 0 else ""
    if before in ("since", "until", "till", "by", "before", "after", "from"):
        qualifier = before
    future = any(w in ("will", "upcoming", "scheduled", "due", "planned", "set") for w in sent_lowers)
    value, granularity = normalise_date(raw, base, future=future)
    if value is None and granularity is None:
        return None
    if value is None:
        qualifier = "unresolved"
    return Fact("date", Span(ent.start_char, ent.end_char, ent.text), value, s_span, qualifier=qualifier,
                predicate=_predicate(ent.root), granularity=granularity)


def _closest_year(month: int, day: int, base: date) -> date | None:
    best = None
    for year in (base.year - 1, base.year, base.year + 1):
        try:
            candidate = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        except ValueError:
            continue
        if best is None or abs((candidate - base).days) < abs((best - base).days):
            best = candidate
    return best


def normalise_date(text: str, base: date | None, *, future: bool = False) -> tuple[str | None, str | None]:
    """``(value, granularity)`` for a date expression. ``value`` is ``YYYY-MM-DD`` (day, week: its Monday),
    ``YYYY-MM`` (month) or ``YYYY`` (year); ``(None, granularity)`` when it needs an anchor the article lacks;
    ``(None, None)`` when it is not a date at all."""
    low = " ".join(text.lower().replace(",", " , ").split()).replace(" ,", ",")
    for granularity, pattern in _DATE_FORMS:
        match = pattern.search(low)
        if not match:
            continue
        groups = match.groupdict()
        month = _MONTHS.get((groups.get("month") or "").lower()) or (int(groups["mnum"]) if groups.get("mnum") else 0)
        try:
            if granularity == "day":
                return date(int(groups["year"]), month, int(groups["day"])).isoformat(), "day"
            if granularity == "month":
                return f"{int(groups['year']):04d}-{month:02d}", "month"
            if granularity == "year":
                return groups["year"], "year"
            if granularity == "day-noyear":
                if base is None:
                    return None, "day"
                found = _closest_year(month, int(groups["day"]), base)
                return (found.isoformat(), "day") if found else (None, None)
            if granularity == "month-noyear":
                if base is None:
                    return None, "month"
                year = base.year if month <= base.month or future else base.year - 1
                return f"{year:04d}-{month:02d}", "month"
            if granularity == "dom":
                if base is None:
                    return None, "day"
                day = int(groups["day"])
                candidates = []
                for shift in (-1, 0, 1):
                    y, m = base.year, base.month + shift
                    if m < 1:
                        y, m = y - 1, 12
                    if m > 12:
                        y, m = y + 1, 1
                    if day <= calendar.monthrange(y, m)[1]:
                        candidates.append(date(y, m, day))
                if not candidates:
                    return None, None
                return min(candidates, key=lambda d: abs((d - base).days)).isoformat(), "day"
        except ValueError:
            return None, None
    words = low.split()
    for word in words:
        if word in _WEEKDAYS:
            if base is None:
                return None, "day"
            delta = (base.weekday() - _WEEKDAYS[word]) % 7
            if future:
                found = base + timedelta(days=(_WEEKDAYS[word] - base.weekday()) % 7)
            else:
                found = base - timedelta(days=delta)
            return found.isoformat(), "day"
    simple = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1}
    for word, shift in simple.items():
        if word in words:
            return ((base + timedelta(days=shift)).isoformat(), "day") if base else (None, "day")
    for unit in ("week", "month", "year"):
        if unit in words or unit + "s" in words:
            if not any(w in words for w in ("last", "this", "next", "ago", "previous", "past", "coming", "earlier")):
                return None, None
            if base is None:
                return None, unit
            count = 1
            for w in words:
                if w.isdigit():
                    count = int(w)
                elif w in load_rules()["number_words"]:
                    count = int(load_rules()["number_words"][w]) or 1
            direction = 0 if "this" in words else (1 if ("next" in words or "coming" in words) else -1)
            if direction == -1 and "ago" not in words and "past" not in words:
                count = 1
            if unit == "week":
                monday = base - timedelta(days=base.weekday()) + timedelta(weeks=direction * count)
                return monday.isoformat(), "week"
            if unit == "month":
                index = base.year * 12 + base.month - 1 + direction * count
                return f"{index // 12:04d}-{index % 12 + 1:02d}", "month"
            return f"{base.year + direction * count:04d}", "year"
    return None, None


__all__ = ["extract_facts", "normalise_date", "parse_number", "load_rules"]
