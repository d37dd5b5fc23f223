"""What a person sees: Debian's Chromium, headless, driven by Playwright, over the report file and the running app.

Screenshots are saved to test-artifacts/ (ignored by git). The tests are skipped when no Chromium is installed;
.ci/run installs Debian's `chromium` package first, so in CI they run.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
sync_api = pytest.importorskip("playwright.sync_api")

HOSTILE = ("title: Hostile <script>alert('title')</script>\noutlet: Evil <img src=x onerror=alert(1)> News\n"
           "url: javascript:alert(1)\n\n" + ("The mayor said “<script>alert(1)</script> is fine” and "
                                             "<img src=x onerror=alert(2)> officials said 40 people left. ") * 4)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from storydiff import ingest, write_report
    from storydiff.analysis import analyze
    from storydiff.store import open_store

    folder = tmp_path_factory.mktemp("browser")
    (folder / "hostile.txt").write_text(HOSTILE, "utf-8")
    db = folder / "b.db"
    store = open_store(db)
    ingest([str(ROOT / "examples" / "seeds"), str(folder / "hostile.txt")], store, workers=1)
    analyze(store, workers=1)
    paths = write_report(store, folder / "report")
    store.close()
    return db, paths["html"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def new_page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    return page


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def test_report_opens_offline_and_evidence_is_a_click_away(browser, corpus):
    _, html = corpus
    page = new_page(browser)
    page.goto(html.as_uri())
    assert page.title().startswith("storydiff report")
    page.click("nav >> text=Compare")
    conflict = page.locator("tr.st-conflicting").first
    assert conflict.is_visible()
    shot(page, "report-compare")
    link = conflict.locator("a.ev").first
    target = link.get_attribute("href").lstrip("#")
    link.click()
    sentence = page.locator(f"[id='{target}']")
    assert sentence.is_visible()  # the article's <details> was opened and the sentence scrolled into view
    assert page.evaluate("location.hash") == f"#{target}"
    shot(page, "report-evidence")
    # no network: every request is the file itself (or an in-page fragment)
    assert all(url.startswith("file://") for url in page.requests)
    assert page.dialogs == []
    page.close()


def test_hostile_article_is_inert_in_the_report(browser, corpus):
    _, html = corpus
    page = new_page(browser)
    page.goto(html.as_uri())
    page.click("text=Hostile")
    time.sleep(0.3)
    assert page.dialogs == []
    assert page.locator("text=<script>alert(1)</script>").first.is_visible()
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("a[href^='javascript:']").count() == 0
    page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(corpus):
    import uvicorn

    from storydiff.web import create_app

    db, _ = corpus
    port = _free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=5)


def test_app_search_and_click_into_an_article(browser, server):
    page = new_page(browser)
    page.goto(server + "/")
    page.fill("#q", "genocide")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=genocide")
    assert page.locator(".hit").count() >= 2
    assert page.locator(".hit mark").first.is_visible()
    shot(page, "app-search")
    page.locator(".hit a").first.click()
    page.wait_for_url("**/articles/*")
    assert page.locator("h2 >> text=Who is quoted").is_visible()
    evidence = page.locator("a >> text=evidence").first
    target = evidence.get_attribute("href").lstrip("#")
    evidence.click()
    assert page.locator(f"[id='{target}']").is_visible()
    shot(page, "app-article")
    assert page.dialogs == []
    assert all(url.startswith(server) for url in page.requests)
    page.close()


def test_app_compare_page_and_hostile_text(browser, server):
    page = new_page(browser)
    page.goto(server + "/compare")
    assert page.locator("tr.st-conflicting").count() >= 1
    shot(page, "app-compare")
    page.goto(server + "/search?q=mayor")
    page.locator(".hit a").first.click()
    page.wait_for_url("**/articles/*")
    time.sleep(0.3)
    assert page.dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("text=<script>alert(1)</script>").first.is_visible()
    page.close()
