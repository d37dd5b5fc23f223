"""The report: one JSON document with a documented, versioned schema, rendered as a self-contained HTML file.

``build_report(store)`` gathers everything into plain data (see ``docs/report-schema.md`` and
``report/schema.json``); ``render_html(data)`` turns it into one HTML page with inline CSS and no network requests;
``write_report(store, out)`` writes both. Article text is untrusted: the template autoescapes everything and links
are only emitted for http(s) URLs.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

from .. import __version__
from ..ingest.dedup import duplicate_groups

SCHEMA_NAME = "storydiff-report"
SCHEMA_VERSION = "1.0"


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
        articles.append(item)

    outlets = Counter(r.outlet or "(unknown outlet)" for r in rows)
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
            "outlets": len(outlets),
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
        "problems": problems,
        "runs": runs,
    }


def render_html(data: dict) -> str:
    """The report as one self-contained HTML page (inline CSS, no scripts from elsewhere, no network requests)."""
    from jinja2 import Environment, PackageLoader

    env = Environment(loader=PackageLoader("storydiff.report", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
    return env.get_template("report.html.j2").render(r=data, by_id={a["id"]: a for a in data["articles"]})


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) URL, else ``None`` (so ``javascript:`` and ``data:`` links are never emitted)."""
    if not url:
        return None
    stripped = "".join(url.split()).lower()
    return url if stripped.startswith(("http://", "https://")) else None


def write_report(store, out: str | Path, *, formats: tuple[str, ...] = ("html", "json"),
                 limit: int | None = None) -> dict[str, Path]:
    """Write the report next to ``out`` (a path without extension, or ending in .html/.json) in each format.
    Returns the paths written, by format."""
    out = Path(out)
    base = out.with_suffix("") if out.suffix in (".html", ".json") else out
    base.parent.mkdir(parents=True, exist_ok=True)
    data = build_report(store, limit=limit)
    written: dict[str, Path] = {}
    if "json" in formats:
        path = base.with_suffix(".json")
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), "utf-8")
        written["json"] = path
    if "html" in formats:
        path = base.with_suffix(".html")
        path.write_text(render_html(data), "utf-8")
        written["html"] = path
    return written


def json_schema() -> dict:
    """The JSON Schema of the report (``report/schema.json``)."""
    return json.loads((resources.files("storydiff.report") / "schema.json").read_text("utf-8"))


__all__ = ["build_report", "render_html", "write_report", "json_schema", "safe_url", "SCHEMA_VERSION"]
