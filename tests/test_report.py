"""The report: JSON with a versioned schema, and one self-contained HTML page that is safe with hostile text."""

from __future__ import annotations

import json
import re

import pytest

from conftest import SEEDS
from storydiff import build_report, ingest, render_html, write_report
from storydiff.report import SCHEMA_VERSION, json_schema

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory):
    from storydiff.store.sqlite import SQLiteStore

    folder = tmp_path_factory.mktemp("report")
    store = SQLiteStore(folder / "store.db")
    ingest([str(SEEDS)], store, workers=1)
    written = write_report(store, folder / "out" / "report")
    data = json.loads(written["json"].read_text("utf-8"))
    html = written["html"].read_text("utf-8")
    store.close()
    return data, html, written


def test_report_files(seed_report):
    _, _, written = seed_report
    assert sorted(written) == ["html", "json"]
    assert written["html"].name == "report.html" and written["json"].name == "report.json"


def test_report_json(seed_report):
    data, _, _ = seed_report
    assert data["schema"] == "storydiff-report"
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["overview"]["articles"] == len(data["articles"]) == 5
    assert data["overview"]["duplicate_groups"] == 0 and data["duplicate_groups"] == []
    # articles of unknown outlet are counted apart, not as one more outlet
    known = {a["outlet"] for a in data["articles"] if a["outlet"]}
    unknown = sum(1 for a in data["articles"] if not a["outlet"])
    assert unknown and known
    assert (data["overview"]["known_outlets"], data["overview"]["articles_without_outlet"]) == (len(known), unknown)
    assert data["overview"]["outlets"] == len(known) + 1   # as before 1.3: "(unknown outlet)" counted as one
    assert data["problems"] == []
    for article in data["articles"]:
        assert article["text"] and article["words"] == len(article["text"].split())
        assert article["provenance"]["language"]["source"] == "inferred:py3langid"
        for field, origin in article["provenance"].items():
            assert article[field] is not None, field
            assert re.fullmatch(r"given|page|inferred:[a-z0-9-]+", origin["source"]), origin
    by_locator = {a["locator"].rsplit("/", 1)[1][:3]: a for a in data["articles"]}
    assert by_locator["000"]["published"] == "2022-01-21"
    assert by_locator["000"]["provenance"]["published"]["source"] == "inferred:leading-date"
    assert by_locator["001"]["provenance"]["outlet"] == {
        "source": "inferred:sign-off",
        "evidence": "Translated by Alim Seytoff for RFA’s Uyghur service. Written in English by Roseanne Gerin."}
    assert len(by_locator["001"]["captions"]) == 2
    assert [r["kind"] for r in by_locator["003"]["removed"]][0] == "tracking-tag"


def test_report_json_matches_its_schema(seed_report):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    if "properties" not in schema:
        pytest.skip("report/schema.json is not a full schema yet")
    jsonschema.validate(seed_report[0], schema)


# tags that make a browser fetch something, and the attribute holding the address
RESOURCE_ATTRS = re.compile(
    r"<(script|link|img|iframe|frame|embed|source|video|audio|track|input|object|image|use)\b[^>]*?"
    r"\b(src|href|data|srcset|poster|xlink:href)\s*=\s*([\"']?)([^\"'\s>]*)", re.IGNORECASE)


def external_resources(html: str) -> list[str]:
    found = []
    for match in RESOURCE_ATTRS.finditer(html):
        value = match.group(4).strip().lower()
        if not (value.startswith("data:") or value.startswith("#")):
            found.append(match.group(0))
    for match in re.finditer(r"url\(\s*['\"]?([^)'\"]*)|@import\s+['\"]?([^;'\"]*)", html, re.IGNORECASE):
        value = (match.group(1) or match.group(2) or "").strip().lower()
        if not value.startswith(("data:", "#")):
            found.append(match.group(0))
    return found


def test_html_is_self_contained(seed_report):
    _, html, _ = seed_report
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert external_resources(html) == []
    assert not re.search(r"<script\b[^>]*\bsrc", html, re.IGNORECASE)
    for article in seed_report[0]["articles"]:
        assert f'id="article-{article["id"]}"' in html


def test_resource_checker_catches_remote_resources():
    assert external_resources('<script src="https://cdn.test/x.js"></script>')
    assert external_resources("<link rel=stylesheet href=//cdn.test/x.css>")
    assert external_resources('<img alt="" src="http://img.test/a.png">')
    assert external_resources("<style>body{background:url(https://img.test/a.png)}</style>")
    assert not external_resources('<img src="data:image/png;base64,AAAA"> <a href="#top">top</a>')


@pytest.fixture
def hostile_report(store, tmp_path):
    body = "\n\n".join([
        f"The harbour authority said on Monday that {SCRIPT} the repairs would start next spring and cost more.",
        f"Engineers found that {IMG} the old wall had been undermined by years of storms and rising seas.",
        f"The wall at high tide on Sunday {SCRIPT}. Credit: Harbour {IMG}",
        "Residents welcomed the news but said they had waited far too long for the council to act on it.",
    ])
    record = {"text": body, "title": f"Wall {SCRIPT} {IMG}", "outlet": f"Outlet {SCRIPT}",
              "url": "javascript:alert(1)", "author": f"Ann {IMG}", "date": "2024-01-02"}
    path = tmp_path / "hostile.jsonl"
    path.write_text(json.dumps(record) + "\n", "utf-8")
    summary = ingest([str(path)], store, workers=1)
    assert summary.stored == 1
    [article] = list(store.iter_articles())
    assert SCRIPT in article.title and article.url == "javascript:alert(1)"
    assert any(IMG in c for c in article.captions) and SCRIPT in article.text
    written = write_report(store, tmp_path / "hostile")
    return written["html"].read_text("utf-8"), json.loads(written["json"].read_text("utf-8"))


def test_hostile_text_is_escaped(hostile_report):
    html, data = hostile_report
    assert "<script>alert" not in html.lower()
    assert "<img src=x" not in html.lower()
    assert "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not re.search(r"<script\b[^>]*>[^<]*alert", html, re.IGNORECASE)
    # the JSON keeps the text as it was
    assert SCRIPT in data["articles"][0]["title"]


def test_no_javascript_links(hostile_report):
    html, _ = hostile_report
    hrefs = re.findall(r"\bhref\s*=\s*[\"']?\s*([^\"'>\s]*)", html, re.IGNORECASE)
    assert hrefs, "the report links its sections"
    assert not [h for h in hrefs if h.lower().lstrip().startswith(("javascript:", "vbscript:", "data:"))]


@pytest.fixture(scope="module")
def analysed_report(tmp_path_factory):
    from storydiff.analysis import analyze
    from storydiff.store.sqlite import SQLiteStore
    from storydiff.stories import update_stories

    store = SQLiteStore(tmp_path_factory.mktemp("analysed") / "store.db")
    ingest([str(SEEDS)], store, workers=1)
    analyze(store, workers=1)
    update_stories(store)
    data = build_report(store)
    store.close()
    return data, render_html(data)


def test_a_rows_shared_context_lists_each_word_once(analysed_report):
    data, _ = analysed_report
    bases = [r["basis"] for c in data["comparisons"] for r in c["rows"] if "shared context: " in r["basis"]]
    assert bases
    for basis in bases:   # a word and a name made of it ("canada", "Canada") are one entry
        words = basis.split("shared context: ", 1)[1].rsplit(" (similarity", 1)[0].split(", ")
        assert len(words) == len(set(words)), basis


def test_single_source_facts_are_folded_under_the_shared_ones(analysed_report):
    data, html = analysed_report
    rows = [r for c in data["comparisons"] for r in c["rows"]]
    single = sum(r["status"] == "single-source" for r in rows)
    assert single and len(rows) > single
    folded = re.findall(r'<details class="single-source"><summary>(\d+) facts? only one source gives</summary>'
                        r'(.*?)</details>', html, re.S)
    assert sum(int(n) for n, _ in folded) == single
    assert all(body.count('<tr class="st-') == int(n) and "st-single-source" in body for n, body in folded)
    shown = re.sub(r'<details class="single-source">.*?</details>', "", html, flags=re.S)
    assert 'class="st-single-source"' not in shown and 'class="st-conflicting"' in shown


def test_render_html_from_data(seed_report):
    data, _, _ = seed_report
    html = render_html(data)
    assert data["articles"][0]["id"] in html
    o = data["overview"]
    assert f"{o['known_outlets']} outlets ({o['articles_without_outlet']} articles of unknown outlet)" in html
    # a report written before 1.3 (no known_outlets) still renders, with the outlets it counted
    older = {**data, "overview": {k: v for k, v in o.items() if k not in ("known_outlets", "articles_without_outlet")}}
    assert f"{o['outlets']} outlets · generated" in render_html(older)


def test_report_command(cli, tmp_path):
    assert cli("ingest", str(SEEDS), "--workers", "1", "--quiet").exit_code == 0
    result = cli("report", "--out", str(tmp_path / "r"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r.json").exists() and not (tmp_path / "r.html").exists()
    assert json.loads((tmp_path / "r.json").read_text("utf-8"))["overview"]["articles"] == 5


def test_build_report_limit(store):
    ingest([str(SEEDS)], store, workers=1)
    data = build_report(store, limit=2)
    assert len(data["articles"]) == 2 and data["overview"]["articles"] == 5
