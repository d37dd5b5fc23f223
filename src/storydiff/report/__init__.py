"""The report: one JSON document with a documented, versioned schema, rendered as a self-contained HTML file.

``build_report(store)`` gathers everything into plain data (see ``docs/report-schema.md`` and
``report/schema.json``); ``render_html(data)`` turns it into one HTML page with inline CSS and no network requests;
``write_report(store, out)`` writes both. Article text is untrusted: the template autoescapes everything and links
are only emitted for http(s) URLs.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from .. import __version__
from ..analysis.quotes import speaker_label
from ..ingest.dedup import duplicate_groups

SCHEMA_NAME = "storydiff-report"
# 1.1: per-article "analysis" (entities, quotes, facts, marked terms); 1.2: events, storylines, timeline; 1.3:
# overview.known_outlets and overview.articles_without_outlet (articles of unknown outlet are not one outlet)
SCHEMA_VERSION = "1.3"


def build_report(store, *, include_text: bool = True, limit: int | None = None) -> dict:
    """Everything the report shows, as JSON-ready data. ``limit`` caps the number of articles listed."""
    links = store.duplicate_links()
    rows = store.list_articles()
    published = {r.id: r.published for r in rows}
    groups = duplicate_groups(links, published)
    group_of: dict[str, int] = {}
    for number, members in enumerate(groups, 1):
        for aid in members:
            group_of[aid] = number
    link_of = {}
    for ln in links:
        link_of.setdefault(ln.a, []).append(ln)
        link_of.setdefault(ln.b, []).append(ln)

    articles = []
    shown = rows if limit is None else rows[:limit]
    for art in store.iter_articles([r.id for r in shown]):
        group = group_of.get(art.id)
        canonical = groups[group - 1][0] if group else None
        item = {
            "id": art.id, "locator": art.locator, "title": art.title, "outlet": art.outlet,
            "published": art.published, "url": art.url, "author": art.author, "language": art.language,
            "summary": art.summary, "words": art.word_count,
            "provenance": {o.field: {"source": o.source, "evidence": o.evidence} for o in art.origins},
            "captions": list(art.captions),
            "removed": [{"kind": r.kind, "text": r.text} for r in art.removed],
            "notes": list(art.notes),
            "duplicate_group": group,
            "duplicate_of": canonical if canonical and canonical != art.id else None,
        }
        if include_text:
            item["text"] = art.text
        analysis = store.get_analysis(art.id) if hasattr(store, "get_analysis") else None
        if analysis is not None and analysis.text_hash == art.text_hash:
            item["analysis"] = analysis_section(analysis)
            if include_text:
                item["paragraphs"] = highlighted_paragraphs(art.text, analysis)
        articles.append(item)

    outlets = Counter(r.outlet or "(unknown outlet)" for r in rows)
    entities = []
    if hasattr(store, "entity_rows"):
        from ..analysis.entities import corpus_entities

        entities = corpus_entities(store.entity_rows(), min_articles=2)[:100]
    problems = [{"locator": p.locator, "reason": p.reason, "detail": p.detail} for p in store.problems()]
    runs = [{"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at, "command": r.command,
             "inputs": list(r.inputs), "status": r.status, "counts": dict(r.counts)} for r in store.runs()]
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "storydiff_version": __version__,
        "store": {"url": store.url, "articles": len(rows)},
        "overview": {
            "articles": len(rows),
            "outlets": len(outlets),   # "(unknown outlet)" counted as one, as in 1.0-1.2
            # (1.3) articles whose outlet is unknown are not one outlet: the known ones, and the others apart
            "known_outlets": len([o for o in outlets if o != "(unknown outlet)"]),
            "articles_without_outlet": outlets.get("(unknown outlet)", 0),
            "duplicate_groups": len(groups),
            "articles_in_duplicate_groups": sum(len(g) for g in groups),
            "problems": len(problems),
            "languages": dict(Counter(r.language or "unknown" for r in rows).most_common()),
        },
        "outlets": [{"name": name, "articles": n} for name, n in sorted(outlets.items(), key=lambda x: (-x[1], x[0]))],
        "articles": articles,
        "duplicate_groups": [
            {"id": number, "canonical": members[0],
             "members": [{"id": aid, "links": [{"with": ln.b if ln.a == aid else ln.a, "kind": ln.kind,
                                                "similarity": ln.similarity} for ln in link_of.get(aid, [])]}
                         for aid in members]}
            for number, members in enumerate(groups, 1)],
        "entities": entities,
        "comparisons": comparisons(store) if hasattr(store, "iter_analyses") else [],
        "problems": problems,
        "runs": runs,
        **stories_section(store),
    }


def stories_section(store) -> dict:
    """``events`` (two or more articles, each listed by outlet, with dates and why), ``storylines`` (events over
    time) and ``timeline`` (every event placed by when it happened), from what ``storydiff stories`` stored."""
    if not hasattr(store, "get_events"):
        return {"events": [], "storylines": [], "timeline": []}
    from ..stories import list_events, list_storylines, timeline

    events = list_events(store, min_articles=2)
    return {"events": events, "storylines": list_storylines(store), "timeline": timeline(events)}


def _span(span) -> dict | None:
    return None if span is None else {"start": span.start, "end": span.end, "text": span.text}


def _sentence_index(analysis, offset: int) -> int | None:
    for i, (start, end) in enumerate(analysis.sentences):
        if start <= offset < end:
            return i
    return None


def analysis_section(analysis) -> dict:
    """The analysis of one article as report data: offsets into the article text, and the index of the sentence
    each item is evidenced by (``sentence``), so a reader can jump to it."""
    names = {e.key: e.name for e in analysis.entities}
    quotes = []
    for q in analysis.quotes:
        quotes.append({
            "kind": q.kind, "speaker": q.speaker.text if q.speaker else None, "speaker_entity": q.speaker_entity,
            "speaker_name": speaker_label(q, names),
            "resolution": q.resolution, "cue": q.cue.text if q.cue else None,
            "content": [_span(c) for c in q.content], "evidence": _span(q.sentence),
            "sentence": _sentence_index(analysis, q.sentence.start)})
    by_speaker: dict[str, list[int]] = {}
    for i, q in enumerate(quotes):
        by_speaker.setdefault(q["speaker_name"] or "(unattributed)", []).append(i)
    return {
        "stage": analysis.stage, "version": analysis.version,
        "entities": [{"key": e.key, "name": e.name, "label": e.label, "mentions": len(e.mentions),
                      "forms": list(e.forms), "acronym": e.acronym,
                      "variants": [{"form": f, "evidence": r} for f, r in e.variants],
                      "related": [{"key": k, "name": names.get(k), "reason": r} for k, r in e.related],
                      "first": _span(e.mentions[0]) if e.mentions else None,
                      "sentence": _sentence_index(analysis, e.mentions[0].start) if e.mentions else None}
                     for e in analysis.entities],
        "quotes": quotes,
        "quotes_by_speaker": [{"speaker": k, "quotes": v} for k, v in
                              sorted(by_speaker.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
        "facts": [{"kind": f.kind, "text": f.span.text, "value": f.value, "qualifier": f.qualifier,
                   "counted": f.counted, "predicate": f.predicate, "granularity": f.granularity,
                   "entities": [names.get(k, k) for k in f.entities], "span": _span(f.span),
                   "evidence": _span(f.sentence), "sentence": _sentence_index(analysis, f.span.start)}
                  for f in analysis.facts],
        "terms": [{"kind": t.kind, "span": _span(t.span), "sentence": _sentence_index(analysis, t.span.start)}
                  for t in analysis.terms],
    }


def highlighted_paragraphs(text: str, analysis) -> list[list[dict]]:
    """The article text cut into paragraphs -> sentences -> pieces, each piece with the marks over it
    (``quote``, ``fact``, ``term``). The template escapes each piece; no markup is ever built from article text."""
    marks: list[tuple[int, int, str]] = []
    for q in analysis.quotes:
        marks.extend((c.start, c.end, "quote") for c in q.content)
    marks.extend((f.span.start, f.span.end, "fact") for f in analysis.facts)
    marks.extend((t.span.start, t.span.end, "term") for t in analysis.terms)
    bounds = list(analysis.sentences) or [(0, len(text))]
    # each sentence runs to the start of the next, so the spaces between sentences are kept
    sentences = [(start, bounds[i + 1][0] if i + 1 < len(bounds) else len(text)) for i, (start, _) in
                 enumerate(bounds)]
    if sentences and sentences[0][0] > 0:
        sentences[0] = (0, sentences[0][1])
    paragraphs: list[list[dict]] = []
    seen: set[int] = set()
    position = 0
    for block in text.split("\n\n"):
        p_start, p_end = position, position + len(block)
        position = p_end + 2
        para = []
        for index, (s_start, s_end) in enumerate(sentences):
            start, end = max(s_start, p_start), min(s_end, p_end)
            if start >= end:
                continue
            cuts = {start, end}
            for m_start, m_end, _ in marks:
                if m_end > start and m_start < end:
                    cuts.update((max(m_start, start), min(m_end, end)))
            points = sorted(cuts)
            pieces = [{"text": text[a:b], "marks": sorted({kind for m_start, m_end, kind in marks
                                                          if m_start <= a and b <= m_end})}
                      for a, b in zip(points, points[1:])]
            # a sentence that runs over a paragraph break is shown in both; only its first part carries the anchor
            para.append({"index": index, "anchor": index not in seen, "pieces": pieces})
            seen.add(index)
        if para:
            paragraphs.append(para)
    return paragraphs


def comparison_section(store, article_ids=None, scope: str = "all articles") -> dict | None:
    """The cross-outlet comparison of a group of articles (an event, a storyline, or the whole store) as report
    data. ``None`` when fewer than two analysed articles are in the group."""
    from ..compare import accounts_from, compare

    accounts = accounts_from(store, article_ids)
    if len(accounts) < 2:
        return None
    result = compare(accounts, store.duplicate_links())
    by_id = {a.article_id: a.analysis for a in accounts}
    texts: dict[str, str] = {}

    def evidence(c) -> dict:
        span = _span(c.evidence)
        if not span["text"]:  # name rows point at a sentence by offsets only: quote it from the article
            if c.article_id not in texts:
                art = store.get_article(c.article_id)
                texts[c.article_id] = art.text if art else ""
            span["text"] = texts[c.article_id][span["start"]:span["end"]].strip()
        return span

    def claim(c) -> dict:
        return {"article_id": c.article_id, "outlet": c.outlet, "source": c.source, "value": c.value,
                "text": c.text, "qualifier": c.qualifier, "attributed_to": c.attributed_to,
                "evidence": evidence(c), "sentence": _sentence_index(by_id[c.article_id], c.evidence.start)}

    rows = [{"question": r.question, "kind": r.kind, "status": r.status, "internal": r.internal, "basis": r.basis,
             "claims": [claim(c) for c in r.claims]} for r in result.rows]
    counts = Counter(r["status"] for r in rows)
    return {
        "scope": scope, "articles": list(result.article_ids), "sources": result.sources,
        "counts": {k: counts.get(k, 0) for k in ("corroborated", "single-source", "conflicting",
                                                 "differing-estimates", "variants")},
        "internal_inconsistencies": sum(1 for r in rows if r["internal"]),
        "rows": rows,
        "quotes": [{"similarity": m.similarity, "flags": list(m.flags), "diff": [list(op) for op in m.diff],
                    "quotes": [{"article_id": q.article_id, "outlet": q.outlet, "kind": q.kind, "speaker": q.speaker,
                                "cue": q.cue, "content": q.content, "evidence": _span(q.evidence),
                                "sentence": _sentence_index(by_id[q.article_id], q.evidence.start)}
                               for q in m.quotes]} for m in result.quotes],
        "omissions": [{"outlet": o.outlet, "kind": o.kind, "what": o.what, "carried_by": list(o.carried_by)}
                      for o in result.omissions],
    }


#: Groups whose framing is computed with a fresh parse (noun-phrase terms need it); larger ones skip the terms.
FRAMING_PARSE_LIMIT = 12
#: At most this many events get a comparison section in one report (the largest first).
MAX_COMPARED_EVENTS = 40


def comparisons(store) -> list[dict]:
    """A comparison (facts, quotes, omissions, framing) for every event of two or more analysed articles, and for
    every storyline of two or more events; the whole store as one group when the stories stage has not run."""
    groups: list[tuple[str, list[str]]] = []
    if hasattr(store, "get_events"):
        from ..stories import list_events, list_storylines

        events = list_events(store, min_articles=2)
        events.sort(key=lambda e: (-len(e["articles"]), e.get("date") or "9999", e["id"]))
        for e in events[:MAX_COMPARED_EVENTS]:
            title = e.get("title") or next((a.get("title") for a in e["articles"] if a.get("title")), "") or ""
            groups.append((f"event {e['id']}: {title}".strip(" :"), [a["id"] for a in e["articles"]]))
        members = {e["id"]: [a["id"] for a in e["articles"]] for e in list_events(store, min_articles=1)}
        for line in list_storylines(store):
            if len(line["events"]) > 1:
                ids = [aid for ev in line["events"] for aid in members.get(ev["id"], [])]
                groups.append((f"storyline {line['id']}: {line.get('title') or ''}".strip(), ids))
    if not groups:
        groups.append(("all articles", None))
    out = []
    for scope, ids in groups:
        section = comparison_section(store, ids, scope)
        if section is not None:
            section["framing"] = framing_section(store, section["articles"])
            out.append(section)
    return out


def framing_section(store, article_ids) -> dict:
    """How each outlet tells the group's story: attribution verbs by class, hedges and distancing, loaded language,
    voice share by side, and the terms each outlet uses for referents several of them mention."""
    from dataclasses import asdict

    from ..compare import outlet_label
    from ..framing import frame_article, frame_outlets, referent_terms

    ids = list(article_ids)
    articles = {a.id: a for a in store.iter_articles(ids)}
    analyses = {an.article_id: an for an in store.iter_analyses(ids)}
    docs = {}
    if len(ids) <= FRAMING_PARSE_LIMIT:
        from ..analysis import load_nlp

        texts = [(articles[i].text, i) for i in ids if i in articles and i in analyses]
        docs = {i: doc for doc, i in load_nlp().pipe(texts, as_tuples=True)}
    items = []
    for aid in sorted(ids):
        if aid in articles and aid in analyses and analyses[aid].text_hash == articles[aid].text_hash:
            framing = frame_article(articles[aid], analyses[aid], docs.get(aid))
            items.append((outlet_label(articles[aid].outlet, aid), aid, analyses[aid], framing))
    outlets = frame_outlets(items)
    referents = referent_terms(items) if docs else []
    return {"outlets": [asdict(o) for o in outlets.values()],
            "referents": [asdict(r) for r in referents[:15]],
            "terms_need_parse": not docs,
            # which loaded-language model scored the sentences (the default, or the opt-in MiniLM one)
            "loaded_model": ", ".join(sorted({f.model for *_, f in items if f.model}))}


def render_html(data: dict) -> str:
    """The report as one self-contained HTML page (inline CSS, no scripts from elsewhere, no network requests)."""
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("storydiff.report", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
    env.filters["figure"] = figure
    script = REPORT_SCRIPT
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return env.get_template("report.html.j2").render(r=data, by_id={a["id"]: a for a in data["articles"]},
                                                    script=script, script_hash=f"sha256-{digest}")


#: The report's only script (allowed by its hash in the page's Content-Security-Policy; it reads no article data):
#: following a link to evidence inside a closed <details> opens it, so the highlighted sentence is visible.
REPORT_SCRIPT = """
function openTarget() {
  var id = decodeURIComponent(location.hash.slice(1));
  var el = id && document.getElementById(id);
  for (var node = el; node; node = node.parentElement) { if (node.tagName === 'DETAILS') node.open = true; }
  if (el) el.scrollIntoView({block: 'center'});
}
window.addEventListener('hashchange', openTarget);
window.addEventListener('DOMContentLoaded', openTarget);
"""


def figure(value, kind: str | None = None) -> str:
    """A fact's value for reading: a count or sum "1000000" -> "1,000,000"; dates, tallies and names as they are."""
    if value is None:
        return "?"
    text = str(value)
    if kind not in (None, "count", "money"):
        return text
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{number:,.0f}" if number == int(number) else f"{number:,}"


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL, else ``None`` (so ``javascript:`` and ``data:`` links are never emitted)."""
    if not url:
        return None
    stripped = "".join(url.split()).lower()
    return url if stripped.startswith(("http://", "https://")) else None


def render_markdown(data: dict) -> str:
    """The report as Markdown, for terminals and notes: overview, comparisons (conflicts first), quotes across
    outlets, omissions, events, problems. Article text is quoted as text; Markdown control characters in it are
    escaped so it cannot add links or markup."""
    def esc(text) -> str:
        text = " ".join(str(text if text is not None else "").split())
        for ch in "\\`*_{}[]<>()#|!":
            text = text.replace(ch, "\\" + ch)
        return text

    o = data["overview"]
    lines = ["# storydiff report", "",
             f"{o['articles']} articles · {o.get('known_outlets', o['outlets'])} outlets"
             + (f" ({o['articles_without_outlet']} articles of unknown outlet)" if o.get("articles_without_outlet") else "")
             + f" · {o['duplicate_groups']} groups of copies · "
             f"{o['problems']} inputs skipped · generated {data['generated_at']} (schema {data['schema_version']})", ""]
    for c in data.get("comparisons", []):
        counts = ", ".join(f"{n} {k.replace('-', ' ')}" for k, n in c["counts"].items())
        lines += [f"## {esc(c['scope'])}", "", f"{len(c['articles'])} articles, {c['sources']} independent sources: "
                  f"{counts}", ""]
        lines += ["| status | question | what each source says |", "|---|---|---|"]
        for row in c["rows"]:
            if row["status"] == "single-source":
                continue
            claims = "<br>".join(f"**{esc(cl['outlet'])}**: {esc(figure(cl['value'], row['kind']))} "
                                 f"(“{esc(cl['text'])}”)" for cl in row["claims"])
            internal = " (inside one article)" if row["internal"] else ""
            lines.append(f"| {row['status'].upper()}{internal} | {esc(row['question'])} | {claims} |")
        single = sum(1 for row in c["rows"] if row["status"] == "single-source")
        lines += ["", f"{single} single-source facts not listed (see the HTML or JSON report).", ""]
        for m in c["quotes"]:
            lines.append("- **same statement**: " + "; ".join(esc(f) for f in m["flags"]))
            for q in m["quotes"]:
                lines.append(f"  - {esc(q['outlet'])} ({q['kind']}, {esc(q['speaker'] or 'unattributed')}): "
                             f"“{esc(q['content'][:200])}”")
        for om in c["omissions"]:
            lines.append(f"- **left out** by {esc(om['outlet'])}: {om['kind']} {esc(om['what'])} "
                         f"(carried by {esc(', '.join(om['carried_by']))})")
        lines.append("")
    if data.get("events"):
        lines += ["## Events", ""]
        for e in data["events"]:
            outlets = ", ".join(sorted(esc(k) for k in e.get("outlets", {})))
            lines.append(f"- {e.get('date') or 'undated'}: {esc(e.get('title') or e['id'])} — {outlets}")
        lines.append("")
    if data["problems"]:
        lines += ["## Ingest problems", ""]
        lines += [f"- {esc(p['locator'])}: {esc(p['reason'])} {esc(p['detail'])}" for p in data["problems"]]
    return "\n".join(lines) + "\n"


def write_report(store, out: str | Path, *, formats: tuple[str, ...] = ("html", "json"),
                 limit: int | None = None) -> dict[str, Path]:
    """Write the report next to ``out`` (a path without extension, or ending in .html/.json) in each format.
    Returns the paths written, by format."""
    out = Path(out)
    base = out.with_suffix("") if out.suffix in (".html", ".json", ".md") else out
    base.parent.mkdir(parents=True, exist_ok=True)
    data = build_report(store, limit=limit)
    written: dict[str, Path] = {}
    if "json" in formats:
        path = base.with_suffix(".json")
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        written["json"] = path
    if "md" in formats:
        path = base.with_suffix(".md")
        path.write_text(render_markdown(data), "utf-8")
        written["md"] = path
    if "html" in formats:
        path = base.with_suffix(".html")
        path.write_text(render_html(data), "utf-8")
        written["html"] = path
    return written


def json_schema() -> dict:
    """The JSON Schema of the report (``report/schema.json``)."""
    return json.loads((resources.files("storydiff.report") / "schema.json").read_text("utf-8"))


__all__ = ["build_report", "render_html", "render_markdown", "write_report", "json_schema", "safe_url", "SCHEMA_VERSION"]
