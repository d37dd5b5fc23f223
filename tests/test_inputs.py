"""Every input form is read, with the right metadata and the right provenance for each value."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from conftest import INPUTS, locator_of
from storydiff import ingest
from storydiff.ingest.sources import parse_field_map
from storydiff.store.sqlite import SQLiteStore

WARC_SURPLUS = "urn:uuid:00000000-0000-4000-8000-000000000003"
WARC_STORM = "urn:uuid:00000000-0000-4000-8000-000000000004"
RSS_LIGHTHOUSE = "https://www.harbour-post.test/coast/gull-point-lighthouse-restored"
RSS_QUOTA = "https://www.harbour-post.test/coast/fishing-quota-talks-stall"
RSS_SHORT = "https://www.harbour-post.test/sport/eastbrook-half-marathon-route"
ATOM_BUSES = "https://www.example-news.test/2024/03/norhaven-bus-drivers-deal"
ATOM_PAINTING = "https://www.example-news.test/2024/03/millbridge-painting-returned"


@pytest.fixture(scope="module")
def all_inputs(tmp_path_factory):
    """tests/data/inputs ingested once, as a directory (walked recursively)."""
    store = SQLiteStore(tmp_path_factory.mktemp("inputs") / "store.db")
    summary = ingest([str(INPUTS)], store, workers=1)
    articles = {a.locator: a for a in store.iter_articles()}
    yield store, summary, articles
    store.close()


def get(articles: dict, relpath: str, fragment: str = ""):
    loc = locator_of(INPUTS / relpath, fragment)
    assert loc in articles, f"{loc} not stored; stored: {sorted(articles)}"
    return articles[loc]


# (input, record fragment, field, expected value, expected provenance source; "inferred:" = any inferred source)
METADATA = [
    # plain text with a key: value header block
    ("plain/strike_with_header.txt", "", "title", "Dockworkers walk out at Port Calder as wage talks collapse", "given"),
    ("plain/strike_with_header.txt", "", "url", "https://www.example-news.test/2024/03/port-strike", "given"),
    ("plain/strike_with_header.txt", "", "outlet", "Example News", "given"),
    ("plain/strike_with_header.txt", "", "published", "2024-03-14", "given"),
    ("plain/strike_with_header.txt", "", "author", "Jane Roe", "given"),
    # plain text with a sidecar .json
    ("plain/flood.txt", "", "title", "River Ashby bursts its banks, forcing hundreds from homes in Millbridge", "given"),
    ("plain/flood.txt", "", "url", "https://www.valley-ledger.test/2024/02/millbridge-flood", "given"),
    ("plain/flood.txt", "", "outlet", "Valley Ledger", "given"),
    ("plain/flood.txt", "", "published", "2024-02-09", "given"),
    ("plain/flood.txt", "", "author", "Tomasz Wren", "given"),
    # a full news page: metadata from its own markup, canonical URL without the utm parameter
    ("html/article.html", "", "title", "Kestrel Bridge reopens to traffic after two-year rebuild", "page"),
    ("html/article.html", "", "author", "Maria Lindqvist", "page"),
    ("html/article.html", "", "published", "2024-04-02", "page"),
    ("html/article.html", "", "outlet", "Daily Gazette", "page"),
    ("html/article.html", "", "url", "https://www.daily-gazette.test/news/bridge-reopens", "page"),
    # gzipped HTML
    ("html/article.html.gz", "", "title", "Norhaven farmers' market moves indoors for the winter", "page"),
    ("html/article.html.gz", "", "outlet", "Norhaven Courier", "page"),
    ("html/article.html.gz", "", "published", "2023-11-18", "page"),
    ("html/article.html.gz", "", "author", "Owen Pryce", "page"),
    ("html/article.html.gz", "", "url", "https://www.norhaven-courier.test/local/market-moves-indoors", "page"),
    # JSON Lines with the standard field names
    ("jsonl/articles.jsonl", "L1", "title", "Eastbrook school board delays vote on four-day week", "given"),
    ("jsonl/articles.jsonl", "L1", "outlet", "Harbour Post", "given"),
    ("jsonl/articles.jsonl", "L1", "published", "2024-01-22", "given"),
    ("jsonl/articles.jsonl", "L1", "author", "Priya Natarajan", "given"),
    ("jsonl/articles.jsonl", "L1", "url", "https://www.harbour-post.test/education/four-day-week", "given"),
    # ... and line 3 with aliases: headline / link / source / published (an ISO datetime) / content
    ("jsonl/articles.jsonl", "L3", "title", "Fire destroys warehouse on Millbridge industrial estate", "given"),
    ("jsonl/articles.jsonl", "L3", "url", "https://www.valley-ledger.test/2024/03/warehouse-fire", "given"),
    ("jsonl/articles.jsonl", "L3", "outlet", "Valley Ledger", "given"),
    ("jsonl/articles.jsonl", "L3", "published", "2024-03-05", "given"),
    ("jsonl/articles.jsonl", "L3", "author", "Hannah Cole", "given"),
    # gzipped JSON Lines
    ("jsonl/articles.jsonl.gz", "L1", "title", "Drought restrictions lifted across the Ashby valley", "given"),
    ("jsonl/articles.jsonl.gz", "L2", "title", "Port Calder strike ends after overnight deal", "given"),
    ("jsonl/articles.jsonl.gz", "L2", "published", "2024-03-21", "given"),
    # WARC: the url is the record's WARC-Target-URI, the rest from the page
    ("warc/crawl.warc", WARC_SURPLUS, "url", "https://www.norhaven-courier.test/politics/budget-surplus", "given"),
    ("warc/crawl.warc", WARC_SURPLUS, "title", "Norhaven posts budget surplus for second year running", "page"),
    ("warc/crawl.warc", WARC_SURPLUS, "author", "Alys Morgan", "page"),
    ("warc/crawl.warc", WARC_STORM, "url", "https://www.harbour-post.test/news/eastbrook-storm-power-cuts", "given"),
    ("warc/crawl.warc", WARC_STORM, "title", "Storm cuts power to 12,000 homes in Eastbrook", "page"),
    ("warc/crawl.warc.gz", WARC_SURPLUS, "url", "https://www.norhaven-courier.test/politics/budget-surplus", "given"),
    ("warc/crawl.warc.gz", WARC_STORM, "published", "2024-01-15", "page"),
    ("warc/crawl.warc.gz", WARC_STORM, "outlet", "Harbour Post", "page"),
    # RSS and Atom: feed item fields, the outlet from the feed title
    ("feeds/rss.xml", RSS_LIGHTHOUSE, "title", "Gull Point lighthouse restoration completed", "given"),
    ("feeds/rss.xml", RSS_LIGHTHOUSE, "url", RSS_LIGHTHOUSE, "given"),
    ("feeds/rss.xml", RSS_LIGHTHOUSE, "outlet", "Harbour Post", "given"),
    ("feeds/rss.xml", RSS_LIGHTHOUSE, "author", "Callum Reid", "given"),
    ("feeds/rss.xml", RSS_LIGHTHOUSE, "published", "2024-04-10", "given"),
    ("feeds/rss.xml", RSS_QUOTA, "title", "Fishing quota talks stall as Port Calder skippers walk out", "given"),
    ("feeds/rss.xml", RSS_QUOTA, "published", "2024-04-09", "given"),
    ("feeds/atom.xml", ATOM_BUSES, "title", "Norhaven bus drivers accept new contract, averting Easter strike", "given"),
    ("feeds/atom.xml", ATOM_BUSES, "author", "Luis Ortega", "given"),
    ("feeds/atom.xml", ATOM_BUSES, "published", "2024-03-22", "given"),
    ("feeds/atom.xml", ATOM_BUSES, "outlet", "Example News", "given"),
    ("feeds/atom.xml", ATOM_PAINTING, "title", "Painting stolen from Millbridge Museum in 1991 returned", "given"),
    ("feeds/atom.xml", ATOM_PAINTING, "author", "Jane Roe", "given"),
    ("feeds/atom.xml", ATOM_PAINTING, "published", "2024-03-28", "given"),
    # plain text with nothing but the body: only the language is worked out
    ("plain/council.txt", "", "language", "en", "inferred:py3langid"),
    ("plain/gzipped.txt.gz", "", "language", "en", "inferred:py3langid"),
]


@pytest.mark.parametrize("relpath, fragment, field, value, source", METADATA,
                         ids=[f"{r[0]}#{r[1][-12:]}:{r[2]}" for r in METADATA])
def test_metadata_and_provenance(all_inputs, relpath, fragment, field, value, source):
    art = get(all_inputs[2], relpath, fragment)
    assert getattr(art, field) == value
    origin = art.origin(field)
    assert origin is not None, f"{field} has no provenance"
    if source.endswith(":"):
        assert origin.source.startswith(source)
    else:
        assert origin.source == source
    assert origin.evidence, "every value says what it was read from"


@pytest.mark.parametrize("relpath, evidence", [
    ("plain/strike_with_header.txt", "header line"),
    ("plain/flood.txt", "sidecar flood.json"),
])
def test_given_evidence_names_the_source(all_inputs, relpath, evidence):
    art = get(all_inputs[2], relpath)
    assert evidence in art.origin("title").evidence


@pytest.mark.parametrize("relpath, first_words", [
    ("plain/council.txt", "Norhaven's town council voted 7-4"),
    ("plain/gzipped.txt.gz", "Norhaven Public Library will open on Sunday afternoons"),
])
def test_plain_text_without_metadata(all_inputs, relpath, first_words):
    art = get(all_inputs[2], relpath)
    assert art.text.startswith(first_words)
    for field in ("title", "url", "outlet", "published", "author"):
        assert getattr(art, field) is None, field
        assert art.origin(field) is None
    assert {o.source for o in art.origins} == {"inferred:py3langid"}


def test_header_block_is_not_body(all_inputs):
    art = get(all_inputs[2], "plain/strike_with_header.txt")
    assert art.text.startswith("Around 1,200 dockworkers at Port Calder")
    assert "title:" not in art.text and "example-news.test" not in art.text


def test_sidecar_json_is_not_an_article(all_inputs):
    store, summary, articles = all_inputs
    sidecar = locator_of(INPUTS / "plain/flood.json")
    assert not any(loc.startswith(sidecar) for loc in articles)
    assert not any(p.locator.startswith(sidecar) for p in summary.problems)


def test_html_chrome_is_not_in_the_body(all_inputs):
    art = get(all_inputs[2], "html/article.html")
    assert "utm_source" not in art.url
    assert art.text.startswith("The Kestrel Bridge in Norhaven reopened to traffic")
    assert "Bus operator Ashby Lines said it would restore its route 12 service" in art.text
    for chrome in ("cookies", "Accept all", "Manage preferences", "Share on Facebook", "Share on X",
                   "Subscribe to our newsletter", "delivered to your inbox", "Trending", "seagull",
                   "Related stories", "Steel shortage delays", "All rights reserved", "Privacy policy",
                   "Photo caption text", "Credit: Gazette Photo"):
        assert chrome not in art.text, chrome
    assert art.captions == ("Photo caption text. Credit: Gazette Photo",)


@pytest.mark.parametrize("relpath, count", [
    ("plain", 4), ("html", 2), ("jsonl/articles.jsonl", 4), ("jsonl/articles.jsonl.gz", 2),
    ("jsonl/custom_fields.jsonl", 0), ("warc/crawl.warc", 2), ("warc/crawl.warc.gz", 2),
    ("feeds/rss.xml", 2), ("feeds/atom.xml", 2), ("dupes", 3), ("chrome", 1),
])
def test_article_count_per_input(all_inputs, relpath, count):
    base = locator_of(INPUTS / relpath)
    stored = [loc for loc in all_inputs[2] if loc == base or loc.startswith(base + "#") or loc.startswith(base + "/")]
    assert len(stored) == count, stored


def test_directory_is_walked_recursively(all_inputs):
    store, summary, articles = all_inputs
    assert len(articles) == store.count_articles() == summary.stored == 24
    folders = {loc[len(str(INPUTS)) + 1:].split("/")[0] for loc in articles}
    assert folders == {"plain", "html", "jsonl", "warc", "feeds", "dupes", "chrome"}


def test_warc_keeps_only_html_200_responses(all_inputs):
    store, summary, articles = all_inputs
    for name in ("crawl.warc", "crawl.warc.gz"):
        base = locator_of(INPUTS / "warc" / name)
        assert sorted(loc for loc in articles if loc.startswith(base + "#")) == [
            f"{base}#{WARC_SURPLUS}", f"{base}#{WARC_STORM}"]
        # the request, the PNG and the 404 are passed over: not articles, not problems either
        assert not [p for p in summary.problems if p.locator.startswith(base)]
        for art in (articles[f"{base}#{WARC_SURPLUS}"], articles[f"{base}#{WARC_STORM}"]):
            assert art.origin("url").evidence == "WARC-Target-URI"


def test_rss_summary_only_item_is_a_problem(all_inputs):
    store, summary, articles = all_inputs
    base = locator_of(INPUTS / "feeds/rss.xml")
    problems = [p for p in summary.problems if p.locator.startswith(base)]
    assert [(p.locator, p.reason) for p in problems] == [(f"{base}#{RSS_SHORT}", "feed item without article content")]
    assert "words" in problems[0].detail
    assert f"{base}#{RSS_SHORT}" not in articles


def test_feed_outlet_comes_from_the_feed_title(all_inputs):
    art = get(all_inputs[2], "feeds/rss.xml", RSS_QUOTA)
    assert art.origin("outlet").evidence == "feed title"
    assert art.author == "Morven Adair"


def test_custom_fields_need_a_map(all_inputs):
    store, summary, articles = all_inputs
    base = locator_of(INPUTS / "jsonl/custom_fields.jsonl")
    problems = sorted((p.locator, p.reason) for p in summary.problems if p.locator.startswith(base))
    assert problems == [(f"{base}#L1", "no article text"), (f"{base}#L2", "no article text")]
    assert all("--map" in p.detail for p in summary.problems if p.locator.startswith(base))


@pytest.mark.parametrize("field_map", [
    {"text": "story_body", "title": "story_title", "outlet": "publisher"},
    ["text=story_body", "title=story_title", "outlet=publisher"],
])
def test_field_map_reads_custom_names(store, field_map):
    summary = ingest([str(INPUTS / "jsonl/custom_fields.jsonl")], store, field_map=field_map, workers=1)
    assert (summary.stored, summary.problems) == (2, ())
    art = next(a for a in store.iter_articles() if a.locator.endswith("#L1"))
    assert art.title == "Skerra ferry fares to rise 8 percent from April"
    assert art.outlet == "Harbour Post"
    assert art.published == "2024-02-15" and art.author == "Callum Reid"
    assert art.text.startswith("Fares on the ferry between Port Calder and the island of Skerra")
    for field in ("title", "outlet", "published", "author", "url"):
        assert art.origin(field).source == "given"


def test_map_option_on_the_command_line(cli):
    result = cli("ingest", str(INPUTS / "jsonl/custom_fields.jsonl"), "--map", "text=story_body", "--map",
                 "title=story_title", "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 2


@pytest.mark.parametrize("spec, expected", [
    (["text=story_body"], {"text": "story_body"}),
    (["date=when"], {"published": "when"}),
    ([" Title = headline_text "], {"title": "headline_text"}),
])
def test_parse_field_map(spec, expected):
    assert parse_field_map(spec) == expected


@pytest.mark.parametrize("bad", ["story_body", "text=", "=story_body", "colour=red", "text:story_body"])
def test_parse_field_map_rejects_a_bad_spec(bad):
    with pytest.raises(ValueError, match="FIELD=NAME"):
        parse_field_map([bad])


def test_bad_map_is_a_usage_error(cli):
    result = cli("ingest", str(INPUTS / "jsonl/custom_fields.jsonl"), "--map", "colour=red")
    assert result.exit_code == 2
    assert "--map" in result.output and "colour=red" in result.output


# --- standard input

def test_stdin_text(cli):
    text = (INPUTS / "plain/council.txt").read_text("utf-8")
    first = cli("ingest", "-", "--workers", "1", "--json", input=text)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["stored"] == 1
    again = cli("ingest", "-", "--workers", "1", "--json", input=text)
    assert again.exit_code == 0
    summary = json.loads(again.stdout)
    assert (summary["stored"], summary["updated"], summary["unchanged"]) == (0, 0, 1)
    with SQLiteStore(cli.db) as store:
        [art] = list(store.iter_articles())
        assert art.locator.startswith("stdin#sha256=")
        assert art.text.startswith("Norhaven's town council voted 7-4")


def test_stdin_jsonl_and_gzip(cli):
    data = (INPUTS / "jsonl/articles.jsonl").read_bytes()
    first = cli("ingest", "-", "--workers", "1", "--json", input=data)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["stored"] == 4  # one article per line, not one big text
    again = cli("ingest", "-", "--workers", "1", "--json", input=gzip.compress(data, mtime=0))
    assert (json.loads(again.stdout)["stored"], json.loads(again.stdout)["unchanged"]) == (0, 4)
    with SQLiteStore(cli.db) as store:
        assert store.count_articles() == 4
        titles = {a.title for a in store.iter_articles()}
    assert "Fire destroys warehouse on Millbridge industrial estate" in titles


def test_stdin_with_files_in_one_run(cli, tmp_path):
    path = tmp_path / "flood.txt"
    shutil.copy(INPUTS / "plain/flood.txt", path)  # no sidecar next to this copy
    result = cli("ingest", str(path), "-", "--workers", "1", "--json",
                 input=(INPUTS / "plain/council.txt").read_text("utf-8"))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 2
    with SQLiteStore(cli.db) as store:
        flood = next(a for a in store.iter_articles() if a.locator == str(path.resolve()))
    assert flood.url is None and flood.origin("author") is None  # no sidecar beside this copy


# (url, date it spells out in full, or None)
URL_DATES = [
    ("https://www.example-news.test/2020/07/03/politics/vote.html", "2020-07-03"),
    ("https://www.example-news.test/politics/2019-11-25-the-vote", "2019-11-25"),
    ("https://www.example-news.test/news/wp/2016/2/3/vote/", "2016-02-03"),
    ("https://www.example-news.test/2024/03/port-strike", None),              # a year and a month: not a day
    ("https://www.example-news.test/news/world-38292392", None),               # an id, not a date
    ("https://www.example-news.test/story?id=2020-13-45", None),               # no 13th month
    ("https://www.example-news.test/2093/01/02/future", None),                 # after today
    ("", None),
]


@pytest.mark.parametrize("url, expected", URL_DATES)
def test_date_from_url(url, expected):
    from storydiff.ingest.metadata import date_from_url

    assert date_from_url(url) == expected


def test_a_record_without_a_date_takes_the_one_its_url_spells_out():
    from storydiff.ingest.prepare import prepare_record
    from storydiff.ingest.sources import json_to_record

    body = ("The harbour authority of Port Calder approved a new container terminal on Thursday after a long public "
            "inquiry, and work on the quay is to begin next spring, the authority's chair said at a press briefing.")
    url = "https://www.harbour-post.test/2021/05/06/terminal-approved"
    undated = prepare_record(json_to_record({"title": "Terminal approved", "url": url, "text": body}, "t#L1", {}, "t"))
    assert undated.published == "2021-05-06"
    assert undated.origin("published").source == "inferred:url-date" and undated.origin("published").evidence == url
    dated = prepare_record(json_to_record({"title": "Terminal approved", "url": url, "text": body,
                                           "date": "2021-05-07"}, "t#L2", {}, "t"))
    assert dated.published == "2021-05-07" and dated.origin("published").source == "given"
    no_day = prepare_record(json_to_record({"title": "Terminal approved", "url": url.replace("/06/", "/"), "text": body},
                                           "t#L3", {}, "t"))
    assert no_day.published is None and no_day.origin("published") is None
