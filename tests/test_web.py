"""The web app, in process through httpx's ASGI transport: every page, its JSON twin, OpenAPI, uploads, escaping."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")

from storydiff import ingest  # noqa: E402
from storydiff.analysis import analyze  # noqa: E402
from storydiff.store import open_store  # noqa: E402
from storydiff.web import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ("title: <script>alert('title')</script>\noutlet: Evil <img src=x onerror=alert(1)> News\n"
           "url: javascript:alert(1)\n\n" + ("The mayor said “<script>alert(1)</script> is fine” and "
                                             "<img src=x onerror=alert(2)> officials said 40 people left. ") * 4)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    (folder / "hostile.txt").write_text(HOSTILE, "utf-8")
    path = folder / "w.db"
    store = open_store(path)
    ingest([str(ROOT / "examples" / "seeds"), str(folder / "hostile.txt")], store, workers=1)
    analyze(store, workers=1)
    from storydiff.stories import update_stories

    update_stories(store)
    store.close()
    return path


def get(app, path, **kw):
    async def run():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            return await client.request(kw.pop("method", "GET"), path, **kw)
    return asyncio.run(run())


@pytest.fixture(scope="module")
def app(db):
    return create_app(db)


def article_ids(app):
    return [a["id"] for a in get(app, "/api/articles").json()["articles"]]


@pytest.mark.parametrize("path", ["/", "/articles", "/search?q=genocide", "/compare", "/upload", "/outlets/RFA",
                                  "/entities/NAME%3Auigur"])
def test_pages_render(app, path):
    response = get(app, path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp


def test_every_page_has_a_json_twin(app):
    for path in ["/api/overview", "/api/articles", "/api/search?q=genocide", "/api/compare", "/api/outlets/RFA",
                 "/api/entities/NAME:uigur"]:
        response = get(app, path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("application/json")
    aid = article_ids(app)[0]
    assert get(app, f"/api/articles/{aid}").json()["id"] == aid
    assert get(app, f"/articles/{aid}").status_code == 200


def test_overview_counts_known_outlets_and_articles_of_unknown_outlet_apart(app):
    data = get(app, "/api/overview").json()
    named = [o for o in data["outlets"] if o["key"]]
    unknown = sum(o["articles"] for o in data["outlets"] if not o["key"])
    assert data["known_outlets"] == len(named) and data["articles_without_outlet"] == unknown
    assert named and unknown       # the example corpus has both
    html = get(app, "/").text
    assert f'<div class="n">{len(named)}</div><div class="l">outlets (+ {unknown} articles of unknown outlet)' in html


def test_openapi_describes_the_json_api(app):
    spec = get(app, "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in ["/api/overview", "/api/search", "/api/articles", "/api/articles/{article_id}", "/api/compare",
                 "/api/upload"]:
        assert path in spec["paths"]
    assert not any(p in spec["paths"] for p in ("/", "/search", "/articles"))  # HTML pages are not API


def test_search_highlights_hits_and_escapes_the_rest(app):
    import re

    html = get(app, "/search?q=mayor").text
    assert re.search(r"<mark>mayor</mark>", html, re.I)
    assert "<script>alert" not in html.split("<body>", 1)[1]


def test_hostile_article_is_inert_everywhere(app):
    hostile = next(a for a in get(app, "/api/articles").json()["articles"] if "script" in (a["title"] or ""))
    for path in [f"/articles/{hostile['id']}", "/articles", "/search?q=mayor", "/", "/compare"]:
        body = get(app, path).text.split("<body>", 1)[1]
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        assert 'href="javascript:' not in body, path
    assert "&lt;script&gt;" in get(app, f"/articles/{hostile['id']}").text


def test_missing_things_are_404_in_both_forms(app):
    assert get(app, "/articles/0000000000000000").status_code == 404
    response = get(app, "/api/articles/0000000000000000")
    assert response.status_code == 404 and "no article" in response.json()["detail"]


def test_upload_goes_through_ingest_and_is_idempotent(tmp_path):
    path = tmp_path / "u.db"
    open_store(path).close()
    app = create_app(path)
    body = b"title: Uploaded story\n\n" + b"The council voted 7 to 2 on Monday to close the old library. " * 6
    files = [("files", ("story.txt", body, "text/plain")), ("files", ("../../evil.pdf", b"%PDF-1.4 junk", "x/y"))]
    first = get(app, "/api/upload", method="POST", files=files, data={"analyze": "true"}).json()
    assert first["stored"] == 1 and first["analysed"] == 1
    assert [p["reason"] for p in first["problems"]] == ["unsupported file type"]
    assert first["problems"][0]["input"] == "evil.pdf"  # the name cannot climb out of the uploads folder
    again = get(app, "/api/upload", method="POST", files=files[:1]).json()
    assert (again["stored"], again["unchanged"]) == (0, 1)
    assert get(app, "/api/search?q=library").json()["hits"][0]["title"] == "Uploaded story"
    uploads = Path(str(path) + ".uploads")
    assert all(uploads in p.parents for p in uploads.rglob("*") if p.is_file())


def test_serve_binds_to_localhost_by_default():
    import inspect

    from storydiff.web import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    from click.testing import CliRunner

    from storydiff.cli import main

    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "127.0.0.1" in help_text


def test_events_pages_and_their_json(app):
    listing = get(app, "/api/events").json()
    assert listing["events"], "the seeds form at least one event of two articles"
    event = listing["events"][0]
    detail = get(app, f"/api/events/{event['id']}").json()
    assert {a["id"] for a in detail["event"]["articles"]} == set(detail["comparison"]["articles"])
    assert "framing" in detail["comparison"]
    for path in ["/events", f"/events/{event['id']}"]:
        response = get(app, path)
        assert response.status_code == 200 and "<script>alert" not in response.text.split("<body>", 1)[1]
    assert get(app, "/events/nope").status_code == 404


def test_outlet_speakers_count_unresolved_pronouns_as_unattributed():
    from storydiff.web import _speakers

    rows = [("Zhang Jun", 3, 120), ("It", 1, 30), (None, 2, 40), ("The statement", 1, 25), ("he", 1, 10)]
    assert _speakers(rows) == [
        {"speaker": "Zhang Jun", "quotes": 3, "words": 120},
        {"speaker": "(unattributed)", "quotes": 4, "words": 80},  # It + he + no speaker
        {"speaker": "The statement", "quotes": 1, "words": 25},
    ]


def test_outlet_cues_are_grouped_by_verb_with_their_class():
    from storydiff.web import _cues

    cues = _cues([("said", 8), ("says", 2), ("to say", 1), ("claimed", 2), ("slammed", 1)])
    assert [(c["cue"], c["class"], c["count"]) for c in cues] == [
        ("say", "neutral", 11), ("claim", "doubt", 2), ("slam", "combative", 1)]
    assert cues[0]["forms"] == ["said", "says", "to say"]


def test_compare_page_folds_the_facts_only_one_source_gives(app):
    data = get(app, "/api/compare").json()
    rows = [r for c in (data.get("comparisons") or [data]) for r in c.get("rows", [])]
    single = sum(r["status"] == "single-source" for r in rows)
    html = get(app, "/compare").text
    assert single   # the fixture's comparison has facts only one source gives
    assert re.search(r'<details class="single-source"><summary>\d+ facts? only one source gives</summary>', html)
    before, *folded = html.split('<details class="single-source">')
    assert 'class="st-single-source"' not in before        # the shared facts come first, the single ones folded
    assert sum(part.count('class="st-single-source"') for part in folded) == single


def test_serve_says_when_the_store_is_not_there_yet(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import storydiff.web
    from storydiff.cli import main

    started = []
    monkeypatch.setattr(storydiff.web, "serve", lambda db, host, port: started.append(db))
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(main, ["--db", str(missing), "serve"])
    assert result.exit_code == 0 and started == [str(missing)]
    assert f"no store at {missing} yet" in result.stderr
    existing = tmp_path / "here.db"
    existing.write_bytes(b"")
    assert "no store" not in CliRunner().invoke(main, ["--db", str(existing), "serve"]).stderr
