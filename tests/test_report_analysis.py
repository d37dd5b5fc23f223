"""The report's per-article analysis section: lossless highlighting, evidence anchors, schema, escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from storydiff import build_report, ingest, render_html
from storydiff.analysis import analyze
from storydiff.store import open_store

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ('The mayor said: “<script>alert(1)</script> is not <img src=x onerror=alert(1)> a threat,” and '
           'officials said that 300 <b>people</b> were detained on Monday. ' * 3)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rep")
    hostile = folder / "hostile.txt"
    hostile.write_text("title: <script>alert('t')</script>\n\n" + HOSTILE, "utf-8")
    store = open_store(folder / "r.db")
    ingest([str(ROOT / "examples" / "seeds"), str(hostile)], store, workers=1)
    analyze(store, workers=1)
    data = build_report(store)
    html = render_html(data)
    store.close()
    return data, html


def test_every_article_has_its_analysis(report):
    data, _ = report
    assert data["schema_version"].startswith("1.")
    for article in data["articles"]:
        assert article["analysis"]["stage"] == "analysis"
        if "seeds" in article["locator"]:
            assert article["analysis"]["entities"] and article["analysis"]["quotes"]


def test_highlighting_loses_no_text(report):
    data, _ = report
    for article in data["articles"]:
        rebuilt = "\n\n".join("".join(piece["text"] for sent in para for piece in sent["pieces"])
                              for para in article["paragraphs"])
        assert rebuilt.split() == article["text"].split()


def test_evidence_links_point_at_anchors(report):
    data, html = report
    anchors = set(re.findall(r'id="(s-[0-9a-f]{16}-\d+)"', html))
    links = set(re.findall(r'href="#(s-[0-9a-f]{16}-\d+)"', html))
    assert links and links <= anchors


def test_report_validates_against_schema(report):
    jsonschema = pytest.importorskip("jsonschema")
    data, _ = report
    schema = json.loads((ROOT / "src" / "storydiff" / "report" / "schema.json").read_text())
    jsonschema.validate(json.loads(json.dumps(data)), schema)


def test_hostile_text_in_analysis_sections_is_inert(report):
    _, html = report
    body = html.split("<body>", 1)[1]
    assert "<script>alert" not in body
    assert "<img src=x" not in body
    assert "<b>people</b>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    # the page's only script is the one allowed by hash in its Content-Security-Policy
    assert body.count("<script>") == 1
    match = re.search(r"script-src '(sha256-[A-Za-z0-9+/=]+)'", html)
    assert match


def test_markdown_report_escapes_text(report):
    from storydiff.report import render_markdown

    data, _ = report
    md = render_markdown(data)
    assert md.startswith("# storydiff report")
    assert "CONFLICTING" in md
    assert "<script>" not in md and "](javascript" not in md


def test_framing_names_the_loaded_language_model_that_scored_it(report):
    from storydiff.framing import load_model

    data, html = report
    framed = [c["framing"] for c in data["comparisons"] if c["framing"] and c["framing"]["outlets"]]
    assert framed
    name = load_model("en").name
    assert name and all(f["loaded_model"] == name for f in framed)
    assert f"Loaded language scored by the model {name}" in html
