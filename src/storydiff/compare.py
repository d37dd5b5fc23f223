"""Compare accounts of one event (or storyline): where outlets agree, diverge, and what each leaves out.

Corpus work over compact records only: each article enters as an :class:`Account` (its id, outlet, date and its
:class:`Analysis`); nothing here reads raw text or parse trees — evidence sentences come from the records' spans.

- :func:`align_facts` groups facts from different articles that answer the same question (same kind, same counted
  thing, similar sentence context) into :class:`FactRow` rows with a status: corroborated, single-source,
  conflicting, differing estimates. Names of one person given differently (same surname, different first name) are
  rows too; spelling variants of one name are ``variants``, never conflicts. The same checks inside one article flag
  it as internally inconsistent.
- :func:`match_quotes` finds one statement reported by several outlets, with a word diff and attribution flags.
- :func:`find_omissions` lists, per outlet, the facts and voices most other sources carry and it leaves out.

Even-handed by construction: outlets are only labels. Sources are ordered by article id and evidence offsets, never by
outlet name, so renaming every outlet gives the same output with the names swapped.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import multiprocessing
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from .analysis.quotes import speaker_label
from .model import Analysis, Claim, DuplicateLink, Fact, FactRow, Omission, QuoteMatch, QuoteRef, Span

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
#: Words that say nothing about which question a fact answers.
_STOP = frozenset("""a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have having he her
here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
once only or other our ours ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where which while
who whom why will with would you your yours yourself said says say told according last first new one two three year
years month week day time reported""".split())
#: Context similarity (Jaccard of content words of the evidence sentences, plus shared entities) from which two facts
#: of the same kind are taken to answer one question. Tuned on the example corpus: the 169-1 / "unanimously" rows of
#: the French vote score 0.19-0.25; Canada's 266-0 against France's 169-1 scores under 0.1.
ALIGN_THRESHOLD = 0.16
#: Word-overlap similarity from which two quotes are taken as one statement.
QUOTE_MATCH_THRESHOLD = 0.35


@dataclass(frozen=True)
class Account:
    """One article as the comparison sees it."""

    article_id: str
    outlet: str
    published: str | None
    analysis: Analysis


def outlet_label(outlet: str | None, article_id: str) -> str:
    """An article's outlet, or a label of its own when the outlet is unknown (two unknown sources are never assumed
    to be one)."""
    return outlet or f"unknown source {article_id[:6]}"


def sources(accounts: Sequence[Account], links: Iterable[DuplicateLink] = ()) -> dict[str, str]:
    """Article id -> source id. Articles of one outlet and copies of one another (syndication) are one source."""
    parent: dict[str, str] = {a.article_id: a.article_id for a in accounts}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)

    by_outlet: dict[str, str] = {}
    for a in accounts:
        label = outlet_label(a.outlet, a.article_id)
        if label in by_outlet:
            union(a.article_id, by_outlet[label])
        else:
            by_outlet[label] = a.article_id
    for link in links:
        if link.a in parent and link.b in parent:
            union(link.a, link.b)
    return {aid: find(aid) for aid in parent}


# --- facts ------------------------------------------------------------------------------------------------------


def _norm(word: str) -> str:
    """Lower case without a plural or possessive ending, so "lies"/"lie" and "towards"/"toward" meet."""
    word = word.lower().strip("'’-")
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word


def _words(text: str) -> set[str]:
    return {_norm(w) for w in _WORD.findall(text) if len(w) > 2 and w.lower() not in _STOP}


def _singular(word: str | None) -> str | None:
    if not word:
        return None
    from .analysis.entities import entity_key

    key = entity_key(word)
    return key[:-1] if len(key) > 3 and key.endswith("s") else key


@dataclass
class _Item:
    account: Account
    fact: Fact
    context: set[str]
    counted: str | None
    speaker: str | None
    places: frozenset[str] = frozenset()


#: How much one shared feature counts in the context similarity: a shared number ("#169") is strong evidence that two
#: facts are about one thing, a shared named entity less so, a shared word least.
_WEIGHTS = {"#": 3.0, "@": 2.0}
#: Words on each side of a fact that make its context (a whole sentence can hold several facts about other things).
_WINDOW = 14


def _weight(feature: str) -> float:
    return _WEIGHTS.get(feature[:1], 1.0)


def _window(fact: Fact) -> str:
    sentence = fact.sentence.text
    start = fact.span.start - fact.sentence.start
    end = fact.span.end - fact.sentence.start
    before = sentence[:max(start, 0)].split()[-_WINDOW:]
    after = sentence[end:].split()[:_WINDOW]
    return " ".join(before + after)


def _kind_class(fact: Fact) -> str:
    return "count" if fact.kind in ("count", "money", "percent") and fact.kind == "count" else fact.kind


def _fact_items(accounts: Sequence[Account]) -> list[_Item]:
    items = []
    for acc in accounts:
        an = acc.analysis
        entity_names = {e.key: e.name for e in an.entities}
        for fact in an.facts:
            if fact.kind == "date" and (fact.value is None or not fact.predicate):
                continue  # an unresolved date cannot be compared; a date with no event is not a question
            window = _window(fact)
            context = _words(window)
            context |= {"#" + n.replace(",", "") for n in re.findall(r"\b\d[\d,.]*\b", fact.sentence.text)
                        if n.replace(",", "") not in ("0", "1")}
            if fact.kind == "tally" and fact.value and fact.value[0].isdigit():
                context.add("#" + fact.value.split("-")[0])
            places = set()
            for ent in an.entities:
                for m in ent.mentions:
                    if fact.sentence.start <= m.start < fact.sentence.end and abs(m.start - fact.span.start) < 120:
                        context.add("@" + ent.name.lower())
                        if ent.label == "GPE":
                            places.add(ent.name.lower())
            speaker = None
            for q in an.quotes:
                if any(c.start <= fact.span.start and fact.span.end <= c.end for c in q.content):
                    speaker = speaker_label(q, entity_names)
                    break
            items.append(_Item(acc, fact, context, _singular(fact.counted), speaker, frozenset(places)))
    return items


def _interval(fact: Fact) -> tuple[float, float] | None:
    try:
        value = float(fact.value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    q = fact.qualifier
    if q == "more than":
        return value, math.inf
    if q == "at least":
        return value, math.inf
    if q in ("less than", "up to"):
        return 0.0, value
    if q == "nearly":
        return value * 0.9, value
    if q == "about":
        return value * 0.8, value * 1.2
    return value, value


def _compatible(a: Fact, b: Fact) -> bool:
    """Whether two values can both be true."""
    if a.kind == "tally":
        if a.value == b.value:
            return True
        if "unanimous" in (a.value, b.value):
            other = b.value if a.value == "unanimous" else a.value
            return other is not None and other.split("-")[-1] == "0"
        return False
    if a.kind == "date":
        if a.value is None or b.value is None:
            return True
        return a.value.startswith(b.value) or b.value.startswith(a.value)
    ia, ib = _interval(a), _interval(b)
    if ia is None or ib is None:
        return a.value == b.value
    return ia[0] <= ib[1] and ib[0] <= ia[1]


def _similar(x: _Item, y: _Item) -> float:
    if x.fact.kind != y.fact.kind:
        return 0.0
    if x.fact.kind in ("count", "money", "percent") and x.counted != y.counted:
        return 0.0
    if x.fact.kind == "date" and x.fact.predicate != y.fact.predicate:
        return 0.0
    union = x.context | y.context
    shared = x.context & y.context
    score = sum(map(_weight, shared)) / sum(map(_weight, union)) if union else 0.0
    if x.fact.value == y.fact.value and x.fact.value is not None:
        score += 0.15
    if x.fact.predicate and x.fact.predicate == y.fact.predicate:
        score += 0.05
    if x.places and y.places and not (x.places & y.places):
        score *= 0.3  # each names a different place right next to its figure: two different happenings
    return score


def _status(items: list[_Item], source_of: dict[str, str]) -> str:
    facts = [i.fact for i in items]
    if any(not _compatible(a, b) for k, a in enumerate(facts) for b in facts[k + 1:]):
        return "conflicting"
    values = {(f.value, f.qualifier if f.kind != "tally" else None) for f in facts}
    if len(values) > 1:
        return "differing-estimates"
    return "corroborated" if len({source_of[i.account.article_id] for i in items}) > 1 else "single-source"


def _question(items: list[_Item]) -> str:
    """A row's label: the kind of fact, the verb it answers to (unless a light one: "was", "had"), and the names
    every claim of the row has around it."""
    from .analysis.facts import load_rules as fact_rules

    first = items[0].fact
    common = set.intersection(*(i.context for i in items)) if len(items) > 1 else items[0].context
    about = ", ".join(sorted(w.lstrip("@") for w in common if w.startswith("@")))[:80]
    verb = first.predicate if first.predicate not in fact_rules().get("light_predicates", ()) else None
    if first.kind == "tally":
        head = "vote tally"
    elif first.kind == "date":
        head = f"date of '{verb}'" if verb else "date"
    elif first.kind in ("money", "percent"):
        head = f"{first.kind}" + (f" ({verb})" if verb else "")
    else:
        head = f"number of {first.counted or 'units'}" + (f" ({verb})" if verb else "")
    return head + (f" — {about}" if about else "")


def _claim(item: _Item, source_of: dict[str, str]) -> Claim:
    f = item.fact
    return Claim(item.account.article_id, outlet_label(item.account.outlet, item.account.article_id),
                 source_of[item.account.article_id], f.value, f.span.text, f.sentence, f.qualifier, item.speaker)


def align_facts(accounts: Sequence[Account], links: Iterable[DuplicateLink] = ()) -> list[FactRow]:
    """Comparison rows for the facts and names of ``accounts`` (one event or storyline)."""
    source_of = sources(accounts, links)
    items = _fact_items(accounts)
    # stable order independent of outlet names: article id, then position
    items.sort(key=lambda i: (i.account.article_id, i.fact.span.start))
    pairs = []
    for a in range(len(items)):
        for b in range(a + 1, len(items)):
            x, y = items[a], items[b]
            if x.account.article_id == y.account.article_id:
                continue
            score = _similar(x, y)
            if score >= ALIGN_THRESHOLD:
                pairs.append((-score, a, b))
    pairs.sort()
    group_of = list(range(len(items)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(items))}
    for neg, a, b in pairs:
        ga, gb = group_of[a], group_of[b]
        if ga == gb:
            continue
        # one fact per article in a row: an article that states two figures for a question is checked separately
        if {items[i].account.article_id for i in members[ga]} & {items[i].account.article_id for i in members[gb]}:
            continue
        # every pair in the merged row must be related (no chaining through one shared word)
        if any(_similar(items[i], items[j]) < ALIGN_THRESHOLD / 2 for i in members[ga] for j in members[gb]):
            continue
        keep, drop = min(ga, gb), max(ga, gb)
        for i in members[drop]:
            group_of[i] = keep
        members[keep].extend(members.pop(drop))
    rows = []
    for idxs in members.values():
        group = [items[i] for i in sorted(idxs)]
        score = max((-n for n, a, b in pairs if a in idxs and b in idxs), default=None)
        shared = set.intersection(*(i.context for i in group)) if len(group) > 1 else set()
        context = ", ".join(sorted({w.lstrip("@") for w in shared}))[:160]   # a name and its word once
        basis = ("single article" if len(group) == 1 else f"same kind and counted thing; shared context: {context}"
                 + (f" (similarity {score:.2f})" if score is not None else ""))
        rows.append(FactRow(_question(group), group[0].fact.kind, _status(group, source_of),
                            tuple(_claim(i, source_of) for i in group), basis))
    rows.extend(_internal_fact_rows(items, source_of))
    rows.extend(_name_rows(accounts, source_of))
    order = {"conflicting": 0, "differing-estimates": 1, "corroborated": 2, "variants": 3, "single-source": 4}
    rows.sort(key=lambda r: (order[r.status], not r.internal, -len(r.claims), r.claims[0].article_id,
                             r.claims[0].evidence.start))
    return rows


def _internal_fact_rows(items: list[_Item], source_of: dict[str, str]) -> list[FactRow]:
    """Two different values for one question inside one article (two dates for one speech)."""
    rows = []
    by_article: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_article[item.account.article_id].append(item)
    for group in by_article.values():
        for k, x in enumerate(group):
            for y in group[k + 1:]:
                if x.fact.kind not in ("date", "tally"):
                    continue
                if _similar(x, y) >= 0.5 and not _compatible(x.fact, y.fact) and x.fact.sentence != y.fact.sentence:
                    rows.append(FactRow(_question([x, y]), x.fact.kind, "conflicting",
                                        (_claim(x, source_of), _claim(y, source_of)),
                                        "one article gives two values for one question", internal=True))
    return rows


def _surname(name: str) -> str:
    from .analysis.entities import entity_key, surname_words

    return entity_key(" ".join(surname_words(name.split())))


def _name_rows(accounts: Sequence[Account], source_of: dict[str, str]) -> list[FactRow]:
    """People named differently: the same surname with different first names (a conflict, across outlets or inside
    one article), and spelling variants of one name across outlets (``variants``, never a conflict)."""
    from .analysis.entities import entity_key, surname_words

    people: dict[str, list[tuple[Account, object]]] = defaultdict(list)
    others: dict[str, list[tuple[Account, object]]] = defaultdict(list)
    from .analysis import corpus_key
    for acc in accounts:
        for ent in acc.analysis.entities:
            if not ent.mentions:
                continue
            if ent.label == "PERSON" and len(ent.name.split()) > len(_surname(ent.name).split()):
                people[_surname(ent.name)].append((acc, ent))
            # the tagger's label for one name varies between articles ("Uighur" PERSON here, NORP there)
            others[corpus_key(ent.name, "")].append((acc, ent))
    rows = []
    for surname, mentions in people.items():
        full = {entity_key(e.name) for _, e in mentions}
        if len(full) < 2:
            continue
        claims = tuple(Claim(acc.article_id, outlet_label(acc.outlet, acc.article_id), source_of[acc.article_id],
                             e.name, e.mentions[0].text, _sentence_of(acc.analysis, e.mentions[0]))
                       for acc, e in sorted(mentions, key=lambda m: (m[0].article_id, m[1].mentions[0].start)))
        internal = any(len({entity_key(e.name) for a2, e in mentions if a2.article_id == acc.article_id}) > 1
                       for acc, _ in mentions)
        shown = " ".join(surname_words(mentions[0][1].name.split()))
        rows.append(FactRow(f"name of the person surnamed '{shown}'", "name",
                            "conflicting", claims,
                            "same surname, different first names" + (" (also inside one article)" if internal else ""),
                            internal=internal))
    for key, mentions in others.items():
        forms_by_source: dict[str, set[str]] = defaultdict(set)
        for acc, ent in mentions:
            for form in ent.forms:
                if corpus_key(form, "") == key:
                    forms_by_source[source_of[acc.article_id]].add(form)
        spellings = {f for forms in forms_by_source.values() for f in forms}
        # forms that differ only in case or punctuation ("U.S." / "US") are not worth a row
        if len(forms_by_source) < 2 or len({re.sub(r"\W", "", f.lower()) for f in spellings}) < 2:
            continue
        claims = []
        for acc, ent in sorted(mentions, key=lambda m: m[0].article_id):
            form = next((f for f in ent.forms if corpus_key(f, "") == key), ent.name)
            span = next((m for m in ent.mentions if m.text == form), ent.mentions[0])
            claims.append(Claim(acc.article_id, outlet_label(acc.outlet, acc.article_id), source_of[acc.article_id],
                                form, span.text, _sentence_of(acc.analysis, span)))
        rows.append(FactRow(f"spelling of '{mentions[0][1].name}'", "name", "variants", tuple(claims),
                            f"spelling variants of one name (same key '{key.split(':', 1)[-1]}')"))
    return rows


def _sentence_of(analysis: Analysis, span: Span) -> Span:
    for start, end in analysis.sentences:
        if start <= span.start < end:
            return Span(start, end, "")
    return Span(span.start, span.end, span.text)


# --- quotes -----------------------------------------------------------------------------------------------------


def _quote_refs(accounts: Sequence[Account], source_of: dict[str, str]) -> list[QuoteRef]:
    refs = []
    for acc in sorted(accounts, key=lambda a: a.article_id):
        names = {e.key: e.name for e in acc.analysis.entities}
        for q in acc.analysis.quotes:
            content = " ".join(c.text for c in q.content).strip("“”\"‘’' ")
            if len(content.split()) < 4:
                continue
            speaker = speaker_label(q, names)
            refs.append(QuoteRef(acc.article_id, outlet_label(acc.outlet, acc.article_id), source_of[acc.article_id],
                                 q.kind, speaker, q.cue.text if q.cue else None, content, q.sentence))
    return refs


def _bigrams(text: str) -> set[tuple[str, str]]:
    words = [_norm(w) for w in _WORD.findall(text) if w.lower() not in _STOP]
    return set(zip(words, words[1:]))


def _quote_similarity(a: QuoteRef, b: QuoteRef, features: dict | None = None) -> float:
    """Overlap of content words, for quotes that share wording: four content words with two content-word bigrams, or six words; and most
    of the shorter quote's words. Shared topic words alone ("human rights") do not make one statement.
    ``features`` caches each content's words and bigrams (an event's quotes are compared pairwise)."""
    if features is None:
        features = {}
    for text in (a.content, b.content):
        if text not in features:
            features[text] = (_words(text), _bigrams(text))
    (wa, ba), (wb, bb) = features[a.content], features[b.content]
    shared = len(wa & wb)
    if shared < 4 or (len(ba & bb) < 2 and shared < 6):
        return 0.0
    containment = shared / min(len(wa), len(wb))
    jaccard = shared / len(wa | wb)
    return (containment + jaccard) / 2 if containment >= 0.5 else 0.0


def _word_diff(a: str, b: str) -> tuple[tuple[str, ...], ...]:
    wa, wb = a.split(), b.split()
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("equal", " ".join(wa[i1:i2])))
        else:
            if i2 > i1:
                ops.append(("delete", " ".join(wa[i1:i2])))
            if j2 > j1:
                ops.append(("insert", " ".join(wb[j1:j2])))
    return tuple(ops)


def match_quotes(accounts: Sequence[Account], links: Iterable[DuplicateLink] = ()) -> list[QuoteMatch]:
    """Statements reported by more than one source, with wording diffs and attribution flags."""
    from .analysis.entities import entity_key

    source_of = sources(accounts, links)
    refs = _quote_refs(accounts, source_of)
    pairs = []
    features: dict = {}
    for i in range(len(refs)):
        for j in range(i + 1, len(refs)):
            if refs[i].source == refs[j].source:
                continue
            sim = _quote_similarity(refs[i], refs[j], features)
            if sim >= QUOTE_MATCH_THRESHOLD:
                pairs.append((-sim, i, j))
    pairs.sort()
    group_of = {i: i for i in range(len(refs))}
    members: dict[int, list[int]] = {i: [i] for i in range(len(refs))}
    best: dict[int, float] = {}
    for neg, i, j in pairs:
        gi, gj = group_of[i], group_of[j]
        if gi == gj or {refs[k].source for k in members[gi]} & {refs[k].source for k in members[gj]}:
            continue
        keep, drop = min(gi, gj), max(gi, gj)
        for k in members[drop]:
            group_of[k] = keep
        members[keep].extend(members.pop(drop))
        best[keep] = max(best.get(keep, 0.0), best.pop(drop, 0.0), -neg)
    matches = []
    for key, idxs in members.items():
        if len(idxs) < 2:
            continue
        quotes = tuple(refs[k] for k in sorted(idxs))
        # lists of outlets follow the quotes' order (by article id), never the outlets' names
        flags = []
        speakers = {entity_key(q.speaker) for q in quotes if q.speaker}
        if len(speakers) > 1:
            flags.append("attributed to different speakers: " + " / ".join(
                dict.fromkeys(f"{q.speaker} ({q.outlet})" for q in quotes if q.speaker)))
        if any(q.speaker is None for q in quotes) and speakers:
            flags.append("unattributed in " + ", ".join(dict.fromkeys(q.outlet for q in quotes if q.speaker is None)))
        kinds = {q.kind for q in quotes}
        if "direct" in kinds and kinds - {"direct"}:
            flags.append("quoted directly by " + ", ".join(dict.fromkeys(q.outlet for q in quotes if q.kind == "direct"))
                         + "; paraphrased by " + ", ".join(dict.fromkeys(q.outlet for q in quotes
                                                                          if q.kind != "direct")))
        matches.append(QuoteMatch(quotes, round(best.get(key, 0.0), 3), _word_diff(quotes[0].content,
                                                                                   quotes[1].content), tuple(flags)))
    matches.sort(key=lambda m: (-len(m.quotes), -m.similarity, m.quotes[0].article_id, m.quotes[0].evidence.start))
    return matches


# --- omissions --------------------------------------------------------------------------------------------------


def find_omissions(accounts: Sequence[Account], rows: Sequence[FactRow], matches: Sequence[QuoteMatch] = (),
                   links: Iterable[DuplicateLink] = ()) -> list[Omission]:
    """For each source: rows and voices carried by most other sources (at least two) that it leaves out."""
    source_of = sources(accounts, links)
    label_of_source: dict[str, str] = {}
    for acc in sorted(accounts, key=lambda a: a.article_id):
        label_of_source.setdefault(source_of[acc.article_id], outlet_label(acc.outlet, acc.article_id))
    all_sources = sorted(set(source_of.values()))
    out: list[Omission] = []

    order: list[tuple[str, str, str]] = []  # (kind, what, source): sorted by source id, never by outlet name

    def check(kind: str, what: str, carriers: set[str]) -> None:
        for src in all_sources:
            if src in carriers:
                continue
            others = len(all_sources) - 1
            if len(carriers) >= 2 and len(carriers) * 2 > others:
                out.append(Omission(label_of_source[src], kind, what,
                                    tuple(label_of_source[c] for c in sorted(carriers))))
                order.append((kind, what, src))

    for row in rows:
        if row.internal or row.kind == "name":
            continue
        check("fact", row.question, {c.source for c in row.claims})
    voices: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    from .analysis.entities import entity_key

    for acc in accounts:
        ents = {e.key: e for e in acc.analysis.entities}
        for q in acc.analysis.quotes:
            ent = ents.get(q.speaker_entity) if q.speaker_entity else None
            if ent is None or ent.label not in ("PERSON", "ORG", "GPE", "NORP"):
                continue
            key = entity_key(ent.name)
            voices[key].add(source_of[acc.article_id])
            names.setdefault(key, ent.name)
    for key in sorted(voices):
        check("voice", names[key], voices[key])
    return [o for _, o in sorted(zip(order, out), key=lambda pair: pair[0])]


@dataclass(frozen=True)
class Comparison:
    """Everything compared for one group of articles (an event or a storyline)."""

    article_ids: tuple[str, ...]
    sources: int
    rows: tuple[FactRow, ...]
    quotes: tuple[QuoteMatch, ...]
    omissions: tuple[Omission, ...]


def accounts_from(store, article_ids: Iterable[str] | None = None) -> list[Account]:
    """The analysed articles of ``article_ids`` (all when ``None``) as :class:`Account` records, read through the
    store interface."""
    if article_ids is None:
        rows = {r.id: (r.outlet, r.published) for r in store.list_articles()}
        ids = list(rows)
    else:
        # only the wanted articles: reading every row of the store for each event made comparison quadratic
        rows = {a.id: (a.outlet, a.published) for a in store.iter_articles(sorted(set(article_ids)))}
        ids = sorted(rows, key=lambda i: (rows[i][1] or "9999", i))  # the order list_articles gives
    return [Account(an.article_id, rows[an.article_id][0], rows[an.article_id][1], an)
            for an in store.iter_analyses(ids) if an.article_id in rows]


def compare(accounts: Sequence[Account], links: Iterable[DuplicateLink] = ()) -> Comparison:
    """Align facts, match quotes and find omissions across ``accounts``."""
    links = list(links)
    rows = align_facts(accounts, links)
    matches = match_quotes(accounts, links)
    omissions = find_omissions(accounts, rows, matches, links)
    return Comparison(tuple(sorted(a.article_id for a in accounts)), len(set(sources(accounts, links).values())),
                      tuple(rows), tuple(matches), tuple(omissions))


def comparison_record(result: Comparison) -> dict:
    """A comparison as plain data for JSON (what ``storydiff export`` writes in its ``comparisons`` table): the
    article ids, the number of independent sources, the fact rows with their claims and evidence spans, the quotes
    matched across outlets and the omissions, field for field as the dataclasses hold them."""
    return dataclasses.asdict(result)


# --- many groups at once: a map over groups, each worker reading the store itself

_worker: dict = {}


def _open_worker(url: str) -> None:
    from .store import open_store

    _worker["store"] = open_store(url)
    _worker["links"] = list(_worker["store"].duplicate_links())


def _compare_ids(ids: Sequence[str]) -> Comparison | None:
    accounts = accounts_from(_worker["store"], ids)
    return compare(accounts, _worker["links"]) if len(accounts) >= 2 else None


def compare_groups(store, groups: Iterable[tuple[str, Sequence[str]]], *, workers: int = 1,
                   on_progress: Callable[[int, int], None] | None = None) -> Iterator[tuple[str, Comparison]]:
    """``(key, comparison)`` for each ``(key, article ids)`` group with at least two analysed articles, in the order
    given (groups with fewer are left out). Each group is compared on its own (:func:`accounts_from`,
    :func:`compare`), so the groups are a map: with ``workers`` > 1 they run in a pool of processes that each open
    the store by its URL and read their groups' records themselves (a store that cannot be opened twice -- SQLite
    in memory -- is compared in this process). ``on_progress(done, total)`` after each group."""
    groups = [(key, list(ids)) for key, ids in groups]
    url = getattr(store, "url", None)
    shared = bool(url) and not str(url).endswith(":memory:")
    if workers > 1 and len(groups) > 1 and shared:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_open_worker, initargs=(url,))
        results: Iterable = pool.imap(_compare_ids, [ids for _, ids in groups], chunksize=4)
    else:
        pool = None
        links = list(store.duplicate_links())

        def one(ids):
            accounts = accounts_from(store, ids)
            return compare(accounts, links) if len(accounts) >= 2 else None

        results = map(one, (ids for _, ids in groups))
    try:
        for n, ((key, _), result) in enumerate(zip(groups, results), 1):
            if on_progress:
                on_progress(n, len(groups))
            if result is not None:
                yield key, result
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


__all__ = ["Account", "Comparison", "compare", "accounts_from", "compare_groups", "comparison_record", "align_facts", "match_quotes", "find_omissions", "sources",
           "outlet_label", "ALIGN_THRESHOLD", "QUOTE_MATCH_THRESHOLD"]
