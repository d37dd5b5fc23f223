"""``storydiff serve``: a local web app over the store.

Server-rendered pages (Jinja2, autoescaped) and, for every page, a JSON twin under ``/api`` described by the
OpenAPI document at ``/openapi.json``. The app calls the same library functions as the CLI and the report
(``report.analysis_section``, ``report.comparison_section``, ``ingest.ingest``); uploads go through the same ingest
code as the command line. It binds to 127.0.0.1 unless told otherwise, sends a Content-Security-Policy that forbids
scripts from anywhere but itself and any network request, and never fetches anything.
"""

# no `from __future__ import annotations` here: FastAPI reads the endpoint annotations at definition time

import base64
import hashlib
import shutil
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from ..errors import MissingDependency

#: Largest upload accepted (all files of one request together).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PAGE_SIZE = 50


def create_app(db: str | Path):
    """The ASGI app over the store at ``db`` (a SQLite path)."""
    try:
        from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
        from fastapi.responses import HTMLResponse, JSONResponse
    except ImportError:
        raise MissingDependency("the web app needs FastAPI: pip install 'storydiff[web]'") from None
    from jinja2 import Environment, PackageLoader

    from .. import __version__
    from ..report import analysis_section, comparison_section, figure, highlighted_paragraphs, safe_url
    from ..store import open_store

    db = str(db)
    local = threading.local()

    def store():
        # one connection per thread: the server may answer from a thread pool
        if getattr(local, "store", None) is None:
            local.store = open_store(db)
        return local.store

    env = Environment(loader=PackageLoader("storydiff.web", "templates"), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
    env.filters["figure"] = figure
    env.filters["urlpart"] = lambda v: quote(str(v), safe="")
    env.filters["snippet"] = _snippet
    script = (Path(__file__).parent / "static" / "app.js").read_text("utf-8")
    script_hash = "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src '{script_hash}'; "
           "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
    cache: dict[str, tuple[float, object]] = {}

    def cached(key: str, seconds: float, compute):
        hit = cache.get(key)
        if hit and time.monotonic() - hit[0] < seconds:
            return hit[1]
        value = compute()
        cache[key] = (time.monotonic(), value)
        return value

    app = FastAPI(title="storydiff", version=__version__, docs_url=None, redoc_url=None,
                  description="Many outlets' articles about one story: where they agree and diverge, with evidence. "
                              "Every HTML page has a JSON twin under /api.")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response

    def page(name: str, **data) -> HTMLResponse:
        html = env.get_template(name).render(script=script, version=__version__, **data)
        return HTMLResponse(html)

    # --- data functions: one per page, shared by the HTML page and its JSON twin
    def overview_data() -> dict:
        s = store()
        outlets = cached("outlets", 30, s.outlet_counts)
        return {
            "articles": s.count_articles(),
            "analysed": s.count_analyses(),
            "outlets": [{"name": o or "(unknown outlet)", "key": o or "", "articles": n} for o, n in outlets[:30]],
            # articles of unknown outlet are not one more outlet
            "known_outlets": sum(1 for o, _ in outlets if o),
            "articles_without_outlet": sum(n for o, n in outlets if not o),
            "entities": [{"key": k, "name": n, "label": lab, "articles": c}
                         for k, n, lab, c in cached("top_entities", 60, lambda: s.top_entities(30))],
            "problems": len(s.problems()),
            "events": [{"id": e["id"], "title": e.get("title"), "date": e.get("date"), "articles": len(e["articles"])}
                       for e in events_data()["events"][:20]],
        }

    def search_data(q: str, limit: int) -> dict:
        s = store()
        hits = s.search(q, limit=limit) if q.strip() else []
        problem = s.query_problem(q) if q.strip() else None
        note = f"not a search expression ({problem}); searched for its words instead" if problem else None
        return {"query": q, "note": note,
                "hits": [{"id": h.row.id, "title": h.row.title, "outlet": h.row.outlet, "published": h.row.published,
                          "snippet": h.snippet} for h in hits]}

    def articles_data(outlet: str | None, page_no: int) -> dict:
        s = store()
        rows = s.list_articles(limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE, outlet=outlet)
        return {"outlet": outlet, "page": page_no, "page_size": PAGE_SIZE, "total": s.count_by_outlet(outlet),
                "articles": [_row(r) for r in rows]}

    def article_data(article_id: str) -> dict:
        s = store()
        art = s.get_article(article_id)
        if art is None:
            raise HTTPException(404, f"no article {article_id}")
        out = _row_of_article(art)
        out["text"] = art.text
        out["provenance"] = {o.field: {"source": o.source, "evidence": o.evidence} for o in art.origins}
        out["captions"] = list(art.captions)
        out["removed"] = [{"kind": r.kind, "text": r.text} for r in art.removed]
        an = s.get_analysis(article_id)
        if an is not None and an.text_hash == art.text_hash:
            out["analysis"] = analysis_section(an)
            out["paragraphs"] = highlighted_paragraphs(art.text, an)
        else:
            out["analysis"] = None
            out["paragraphs"] = [[{"index": i, "anchor": True, "pieces": [{"text": p, "marks": []}]}]
                                 for i, p in enumerate(art.text.split("\n\n"))]
        return out

    def entity_data(key: str) -> dict:
        s = store()
        rows = s.entity_articles(key)
        if not rows:
            raise HTTPException(404, f"no entity {key}")
        forms: dict[str, set[str]] = {}
        names: dict[str, int] = {}
        for _, name, _, fs, outlet, _, _ in rows:
            names[name] = names.get(name, 0) + 1
            for f in fs:
                forms.setdefault(f, set()).add(outlet or "(unknown outlet)")
        said = [{"article_id": r[0], "outlet": r[1], "kind": r[2], "cue": r[3], "content": r[4]}
                for r in s.quotes_by_entity(key)]
        return {"key": key, "name": max(names, key=lambda n: (names[n], len(n))), "label": rows[0][2],
                "articles": [{"id": r[0], "outlet": r[4], "title": r[5], "published": r[6]} for r in rows],
                "forms": [{"form": f, "outlets": sorted(o)} for f, o in sorted(forms.items(), key=lambda kv: -len(kv[1]))],
                "said": said}

    def outlet_data(outlet: str) -> dict:
        s = store()
        name = outlet or None
        total = s.count_by_outlet(name)
        if not total:
            raise HTTPException(404, f"no outlet {outlet}")
        data = {"outlet": outlet or "(unknown outlet)", "articles": total,
                "recent": [_row(r) for r in s.list_articles(limit=20, outlet=name)],
                "entities": [], "speakers": [], "cues": []}
        if name is not None:
            data["entities"] = [{"key": k, "name": n, "label": lab, "articles": c}
                                for k, n, lab, c in cached(f"ent:{name}", 60, lambda: s.top_entities(25, name))]
            data["speakers"] = _speakers(s.speakers_of_outlet(name))
            data["cues"] = _cues(s.cues_of_outlet(name))
        return data

    def events_data() -> dict:
        s = store()
        if not hasattr(s, "get_events"):
            return {"events": [], "storylines": []}
        from ..stories import list_events, list_storylines

        return {"events": cached("events", 30, lambda: list_events(s, min_articles=2)),
                "storylines": cached("storylines", 30, lambda: list_storylines(s))}

    def event_data(event_id: str) -> dict:
        from ..report import framing_section

        event = next((e for e in events_data()["events"] if e["id"] == event_id), None)
        if event is None:
            raise HTTPException(404, f"no event {event_id} with two or more articles")
        ids = [a["id"] for a in event["articles"]]
        section = comparison_section(store(), ids, f"event {event_id}")
        if section is not None:
            section["framing"] = framing_section(store(), section["articles"])
        return {"event": event, "comparison": section}

    def compare_data(article_ids: list[str]) -> dict:
        section = comparison_section(store(), article_ids or None)
        if section is None:
            raise HTTPException(404, "fewer than two analysed articles to compare")
        return section

    # --- JSON twins (these make up the OpenAPI description)
    @app.get("/api/overview", summary="Counts, outlets, most named entities")
    async def api_overview():
        return overview_data()

    @app.get("/api/search", summary="Full-text search (SQLite FTS5 syntax); snippets mark hits with \\u0002/\\u0003")
    async def api_search(q: str = "", limit: int = Query(20, ge=1, le=200)):
        return search_data(q, limit)

    @app.get("/api/articles", summary="Articles, newest last, optionally of one outlet")
    async def api_articles(outlet: str | None = None, page: int = Query(1, ge=1)):
        return articles_data(outlet, page)

    @app.get("/api/articles/{article_id}", summary="One article with its metadata, provenance and analysis")
    async def api_article(article_id: str):
        return article_data(article_id)

    @app.get("/api/entities/{key:path}", summary="An entity: what it said, its name variants by outlet")
    async def api_entity(key: str):
        return entity_data(key)

    @app.get("/api/outlets/{outlet:path}", summary="An outlet's profile: articles, entities, voices, cue verbs")
    async def api_outlet(outlet: str):
        return outlet_data(outlet)

    @app.get("/api/events", summary="Events (two or more articles) by outlet with dates and why; storylines")
    async def api_events():
        return events_data()

    @app.get("/api/events/{event_id}", summary="One event: its articles, dates, why, and the cross-outlet comparison")
    async def api_event(event_id: str):
        return event_data(event_id)

    @app.get("/api/compare", summary="Cross-outlet comparison of the given articles (all when none)")
    async def api_compare(articles: list[str] = Query(default=[])):
        return compare_data(articles)

    # --- HTML pages
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index():
        return page("index.html.j2", d=overview_data())

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    async def search(q: str = "", limit: int = Query(50, ge=1, le=200)):
        return page("search.html.j2", d=search_data(q, limit))

    @app.get("/articles", response_class=HTMLResponse, include_in_schema=False)
    async def articles(outlet: str | None = None, page_no: int = Query(1, ge=1, alias="page")):
        return page("articles.html.j2", d=articles_data(outlet, page_no))

    @app.get("/articles/{article_id}", response_class=HTMLResponse, include_in_schema=False)
    async def article(article_id: str):
        return page("article.html.j2", a=article_data(article_id))

    @app.get("/entities/{key:path}", response_class=HTMLResponse, include_in_schema=False)
    async def entity(key: str):
        return page("entity.html.j2", e=entity_data(key))

    @app.get("/outlets/{outlet:path}", response_class=HTMLResponse, include_in_schema=False)
    async def outlet(outlet: str):
        return page("outlet.html.j2", o=outlet_data(outlet))

    @app.get("/events", response_class=HTMLResponse, include_in_schema=False)
    async def events():
        return page("events.html.j2", d=events_data())

    @app.get("/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    async def event(event_id: str):
        return page("event.html.j2", d=event_data(event_id))

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    async def compare_page(articles: list[str] = Query(default=[])):
        return page("compare.html.j2", c=compare_data(articles))

    @app.get("/upload", response_class=HTMLResponse, include_in_schema=False)
    async def upload_form():
        return page("upload.html.j2", result=None)

    @app.post("/api/upload", summary="Add articles: files go through the same ingest code as the command line")
    async def api_upload(files: list[UploadFile] = File(...), analyze: bool = Form(False)):
        return await _upload(files, analyze)

    @app.post("/upload", response_class=HTMLResponse, include_in_schema=False)
    async def upload(files: list[UploadFile] = File(...), analyze: bool = Form(False)):
        return page("upload.html.j2", result=await _upload(files, analyze))

    async def _upload(files, analyze: bool) -> dict:
        """Uploaded files are kept beside the store (``<db>.uploads/<sha256>/<name>``) so that each article keeps a
        stable locator and its original: uploading the same file again changes nothing."""
        from ..ingest import ingest

        uploads = Path(db + ".uploads")
        staging = Path(tempfile.mkdtemp(prefix="storydiff-upload-"))
        saved: list[str] = []
        try:
            total = 0
            for number, item in enumerate(files):
                # keep only the file's base name: it can never climb out of the uploads folder
                name = Path(item.filename or f"upload-{number}").name or f"upload-{number}"
                digest = hashlib.sha256()
                part = staging / f"{number:03d}"
                with open(part, "wb") as out:
                    while chunk := await item.read(1 << 20):
                        total += len(chunk)
                        if total > MAX_UPLOAD_BYTES:
                            raise HTTPException(413, f"upload over {MAX_UPLOAD_BYTES // 2**20} MiB")
                        digest.update(chunk)
                        out.write(chunk)
                target = uploads / digest.hexdigest()[:24] / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(part), target)
                saved.append(str(target))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        summary = ingest(saved, store(), workers=1, command="upload")
        analysed = 0
        if analyze and summary.stored + summary.updated:
            from ..analysis import analyze as run_analyze

            analysed = run_analyze(store(), workers=1).analyzed
        cache.clear()
        return {"read": summary.read, "stored": summary.stored, "updated": summary.updated,
                "unchanged": summary.unchanged, "duplicates": summary.duplicates, "analysed": analysed,
                "problems": [{"input": Path(p.locator.split("#")[0]).name, "reason": p.reason, "detail": p.detail}
                             for p in summary.problems]}

    @app.exception_handler(HTTPException)
    async def not_found(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        return HTMLResponse(env.get_template("error.html.j2").render(script=script, version=__version__,
                                                                     status=exc.status_code, detail=exc.detail),
                            status_code=exc.status_code)

    return app


def _snippet(text: str) -> str:
    """A search snippet with its hit marks as <mark>, everything else escaped."""
    from markupsafe import Markup, escape

    return Markup(str(escape(text)).replace("\x02", "<mark>").replace("\x03", "</mark>"))


def _cues(rows) -> list[dict]:
    """An outlet's attribution cues ``(words, count)`` by verb ("said", "says" and "to say" are one: ``say``), with
    the class the framing rules give it (neutral, doubt, combative ...) and the words seen; most used first."""
    from ..framing import load_rules
    from ..framing.article import cue_lemma, verb_class

    rules = load_rules("en")
    merged: dict[str, dict] = {}
    for words, count in rows:
        lemma = cue_lemma(words, rules) if rules is not None else words
        item = merged.setdefault(lemma, {"cue": lemma, "class": verb_class(lemma, rules) if rules else None,
                                         "count": 0, "forms": []})
        item["count"] += count
        item["forms"].append((words, count))
    for item in merged.values():   # most used first, in the same order on any backend
        item["forms"] = [w for w, _ in sorted(item["forms"], key=lambda f: (-f[1], f[0]))]
    return sorted(merged.values(), key=lambda c: (-c["count"], c["cue"]))


def _speakers(rows) -> list[dict]:
    """An outlet's speakers ``(label, quotes, words)`` as shown: an unresolved pronoun ("It") is counted with the
    unattributed quotes, not shown as a speaker of that name; most words first."""
    from ..analysis.quotes import nameless_speaker

    merged: dict[str, list[int]] = {}
    for speaker, quotes, words in rows:
        label = "(unattributed)" if speaker is None or nameless_speaker(speaker) else speaker
        totals = merged.setdefault(label, [0, 0])
        totals[0] += quotes
        totals[1] += words or 0
    return [{"speaker": sp, "quotes": q, "words": w}
            for sp, (q, w) in sorted(merged.items(), key=lambda kv: (-kv[1][1], kv[0]))]


def _row(r) -> dict:
    return {"id": r.id, "title": r.title, "outlet": r.outlet, "published": r.published, "url": r.url,
            "author": r.author, "language": r.language, "words": r.words}


def _row_of_article(a) -> dict:
    return {"id": a.id, "title": a.title, "outlet": a.outlet, "published": a.published, "url": a.url,
            "author": a.author, "language": a.language, "words": a.word_count, "summary": a.summary,
            "locator": a.locator}


def serve(db: str | Path, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the app with uvicorn (blocking)."""
    try:
        import uvicorn
    except ImportError:
        raise MissingDependency("the web app needs uvicorn: pip install 'storydiff[web]'") from None
    uvicorn.run(create_app(db), host=host, port=port, log_level="warning")


__all__ = ["create_app", "serve", "MAX_UPLOAD_BYTES"]
