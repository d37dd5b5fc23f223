"""Cleaning rules, one line at a time: page chrome out, captions apart, metadata noticed; body sentences left alone."""

from __future__ import annotations

import pytest

from conftest import INPUTS, SEEDS
from storydiff.ingest.clean import clean_text, split_header
from storydiff.ingest.prepare import prepare_record
from storydiff.ingest.sources import iter_records
from storydiff.model import Article, RawRecord

# Ordinary body paragraphs (distinct, full sentences) to put a line under test among.
P1 = "The council met on Tuesday to discuss the plan for the new harbour wall and the cost of repairs."
P2 = "Residents packed the hall, and several of them spoke against the proposal during the comment period."
P3 = "A final decision is expected next month, after engineers have reported on the state of the old wall."
P4 = "The harbour master said the wall had been patched four times since the storms of the winter before last."
BODY = [P1, P2, P3, P4]


def around(line: str, where: str) -> str:
    """``line`` at the top, in the middle or at the end of an ordinary article."""
    paras = {"top": [line, *BODY], "middle": [P1, P2, line, P3, P4], "end": [*BODY, line]}[where]
    return "\n\n".join(paras)


def fate(cleaned, line: str) -> str:
    """Where ``line`` ended up: body, caption, or the kind of removal."""
    if line in cleaned.paragraphs:
        return "body"
    if line in cleaned.captions:
        return "caption"
    kinds = [r.kind for r in cleaned.removed if r.text == " ".join(line.split())]  # runs of spaces collapse
    return kinds[0] if kinds else "lost"


def prepare_text(text: str) -> Article:
    result = prepare_record(RawRecord(locator="test:article", kind="text", payload=text.encode("utf-8"),
                                      raw_hash="x"))
    assert isinstance(result, Article), result
    return result


# --- chrome that must go, and what it is recorded as

REMOVED = [
    ("<!-- Google tag (gtag.js) -->", "top", "tracking-tag"),
    ("!-- Google tag (gtag.js) -->", "top", "tracking-tag"),
    ("!-- Google tag (gtag.js) -->", "middle", "tracking-tag"),
    ("<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-XXXX\"></script>", "top", "tracking-tag"),
    ("News / World / Editor's Choice", "top", "navigation"),
    ("News   /   China   /   Editor's Choice", "top", "navigation"),
    ("Home > News > Local", "top", "navigation"),
    ("SHARE THIS ARTICLE", "end", "share-prompt"),
    ("Share this story", "middle", "share-prompt"),
    ("Share on Facebook", "top", "share-prompt"),
    ("Subscribe to our newsletter", "end", "share-prompt"),
    ("Sign up for our daily newsletter", "middle", "share-prompt"),
    ("Follow us on Twitter", "end", "share-prompt"),
    ("Advertisement", "middle", "share-prompt"),
    ("Read more", "end", "share-prompt"),
    ("Example Times’ website can also be accessed at the following alternate addresses:", "end", "also-available"),
    ("The report is also available at www.example.test", "end", "also-available"),
]


@pytest.mark.parametrize("line, where, kind", REMOVED)
def test_chrome_is_removed(line, where, kind):
    cleaned = clean_text(around(line, where))
    assert fate(cleaned, line) == kind
    assert line not in cleaned.text
    assert all(p in cleaned.paragraphs for p in BODY)


def test_bare_domains_after_an_alternate_address_notice():
    text = "\n\n".join([*BODY, "Example Times’ website can also be accessed at the following alternate addresses:",
                        "www.exampletimes.test", "www.example-times.test"])
    cleaned = clean_text(text)
    assert [(r.kind, r.text) for r in cleaned.removed] == [
        ("also-available", "Example Times’ website can also be accessed at the following alternate addresses:"),
        ("also-available", "www.exampletimes.test"),
        ("also-available", "www.example-times.test"),
    ]
    assert cleaned.paragraphs == BODY


# --- captions and credits: out of the body, into captions

CAPTIONS = [
    "The snout of the glacier seen from the valley floor in late summer. Credit: Reuters",
    "Researchers set up a GPS station on the glacier surface in September. (Photo by AFP)",
    "Security personnel patrol near the mosque in Kashgar, in 2017. SOURCE: NG HAN GUAN/AP",
    "Crowds outside the town hall on Monday. Photo: Jane Smith",
    "The mayor at the ceremony. Photo by Jane Smith",
    "Harbour Master Tom Reilly.",                      # name-only captions: capitalised words and a full stop
    "Deputy Mayor Anne-Marie van der Berg.",
    "U.S. Secretary of State Jane Smith.",
]


@pytest.mark.parametrize("line", CAPTIONS)
@pytest.mark.parametrize("where", ["top", "middle", "end"])
def test_captions_go_to_captions(line, where):
    cleaned = clean_text(around(line, where))
    assert fate(cleaned, line) == "caption"
    assert line not in cleaned.text
    assert cleaned.found.get("title") is None  # a credit line at the top is not a headline


# --- body sentences that look a little like chrome must stay

BODY_SENTENCES = [
    "Readers often share the paper with neighbours, and many subscribe for the weekly puzzle.",
    "Share prices rose sharply on Monday after the announcement.",
    "The mayor shared the stage with her predecessor.",
    "Subscribers to the local paper will receive the supplement on Sunday.",
    "The shelter is open 24/7 and/or by appointment, the charity said.",
    "Officials said 3 / 4 of the homes had been checked by Friday.",
    "The bank extended credit to farmers.",
    "The minister took credit for the fall in unemployment.",
    "The bill was passed by parliament by a wide margin.",
    "By Monday, the river had fallen by a metre.",
    "By the end of the day, the river had risen by a metre.",
    "The exhibition features a photo by local artist Jane Smith.",
    "Her main source: a diary kept by her grandmother.",
    "Source: the ministry said the figures were provisional.",
    "Written by hand, the letter was found in the attic of the old house on Mill Street.",
    "Reported by the coastguard, the incident happened shortly before dawn.",
    "Print media has struggled for years in the region.",
    "Read more about the plan at the library, the council said.",
    "Click the link in the email, the fraudsters told their victims.",
    "Reilly agreed.",                                  # short, but a sentence: a lower-case verb
    "Tom Reilly, the harbour master.",                 # a comma: an appositive fragment, not a caption line
    "Portsmouth.",                                     # one word
]


@pytest.mark.parametrize("line", BODY_SENTENCES)
@pytest.mark.parametrize("where", ["top", "middle", "end"])
def test_body_sentences_stay(line, where):
    cleaned = clean_text(around(line, where))
    assert fate(cleaned, line) == "body", [(r.kind, r.text) for r in cleaned.removed]
    assert "author" not in cleaned.found
    assert "outlet" not in cleaned.found


# --- metadata found in the text

def test_title_line():
    title = "Harbour wall plan approved after three-year fight"
    cleaned = clean_text(around(title, "top"))
    assert cleaned.found["title"][:2] == (title, "first-line")
    assert fate(cleaned, title) == "title"
    assert cleaned.paragraphs == BODY


@pytest.mark.parametrize("first", [
    "“We will rebuild the wall, whatever it costs,” the mayor said",
    "\"We will rebuild the wall, whatever it costs\"",
    "'We did it'",
    "GULL POINT, March 8 (Coastal Press Agency) -",  # a wire dateline leads into the next line
    P1,  # a sentence, not a headline
])
def test_not_a_title(first):
    cleaned = clean_text(around(first, "top"))
    assert "title" not in cleaned.found
    assert cleaned.paragraphs[0] == first


def test_known_title_repeated_in_text_is_removed():
    title = "Harbour wall plan approved after three-year fight"
    cleaned = clean_text("\n\n".join([title, P1, P2, title, P3]), title=title)
    assert cleaned.paragraphs == [P1, P2, P3]
    assert [r.kind for r in cleaned.removed] == ["repeated-title", "repeated-title"]
    assert "title" not in cleaned.found  # it was given, not found


@pytest.mark.parametrize("line, iso", [
    ("March 3, 2024", "2024-03-03"),
    ("October 22, 2021", "2021-10-22"),
    ("3 March 2024", "2024-03-03"),
    ("Tuesday, 2 April 2024", "2024-04-02"),
    ("2024-04-02", "2024-04-02"),
])
def test_standalone_date_line_is_the_publication_date(line, iso):
    art = prepare_text(around(line, "top"))
    assert art.published == iso
    assert art.origin("published").source == "inferred:dateline"
    assert line not in art.text
    assert any(r.kind == "dateline" and r.text == line for r in art.removed)


def test_date_inside_a_sentence_is_not_a_dateline():
    line = "On March 3, 2024, the council voted to go ahead."
    art = prepare_text(around(line, "top"))
    assert line in art.text
    assert art.origin("published") is None or art.origin("published").source != "inferred:dateline"


def test_leading_date_prefix():
    art = prepare_text(" date 2022-01-21 " + P1 + "\n\n" + "\n\n".join(BODY[1:]))
    assert art.published == "2022-01-21"
    assert art.origin("published").source == "inferred:leading-date"
    assert art.text.startswith(P1)


@pytest.mark.parametrize("signoff, author, outlet", [
    ("Written in English by John Doe for Example Times.", "John Doe", "Example Times"),
    ("Translated by Alim Seytoff for RFA’s Uyghur service. Written in English by Roseanne Gerin.",
     "Roseanne Gerin", "RFA"),
    ("Translated by Ana Lima for Coast Radio’s Portuguese service.", None, "Coast Radio"),
    ("Reported by Sofia Brandt for the Harbour Post.", "Sofia Brandt", "the Harbour Post"),
])
def test_sign_off(signoff, author, outlet):
    art = prepare_text("\n\n".join([*BODY, signoff]))
    assert signoff not in art.text
    assert any(r.kind == "sign-off" and r.text == signoff for r in art.removed)
    assert art.author == author
    if author:
        assert art.origin("author").source == "inferred:sign-off"
    assert art.outlet == outlet
    assert art.origin("outlet").source == "inferred:sign-off"
    assert art.text == "\n\n".join(BODY)


def test_site_notice_names_the_outlet():
    art = prepare_text("\n\n".join([*BODY, "Press TV’s website can also be accessed at the following alternate "
                                           "addresses:", "www.presstv.test"]))
    assert art.outlet == "Press TV"
    assert art.origin("outlet").source == "inferred:site-notice"
    assert "www.presstv.test" not in art.text


def test_repeated_standfirst_is_the_summary():
    dek = "Forty-three countries voiced concern about the camps, including the detention of a million people."
    later = "In a statement read at the meeting, " + dek[0].lower() + dek[1:-1] + ", the envoy said."
    # the standfirst repeated word for word later on
    repeated = "The envoy said that " + dek
    art = prepare_text("\n\n".join([dek, P1, repeated, P2, P3]))
    assert art.summary == dek
    assert art.origin("summary").source == "inferred:standfirst"
    assert art.text.count(dek) == 1 and art.text.startswith(P1)
    # not repeated: an ordinary first paragraph
    art = prepare_text("\n\n".join([dek, P1, later, P2, P3]))
    assert art.summary is None and art.text.startswith(dek)


def test_header_block_only_at_the_top():
    fields, rest = split_header("title: A headline here\nauthor: Jane Roe\n\n" + P1)
    assert fields == [("title", "A headline here", "title: A headline here"), ("author", "Jane Roe", "author: Jane Roe")]
    assert rest.strip() == P1
    # one "Source: ..." line followed by body text is a sentence, not a header
    fields, rest = split_header("Source: the ministry said the figures were provisional.\n" + P1)
    assert fields == []


# --- the chrome fixture, whole

@pytest.fixture(scope="module")
def chrome_article() -> Article:
    [record] = list(iter_records([str(INPUTS / "chrome/chrome_text.txt")]))
    article = prepare_record(record)
    assert isinstance(article, Article), article
    return article


@pytest.mark.parametrize("kind, text", [
    ("tracking-tag", "<!-- Google tag (gtag.js) -->"),
    ("tracking-tag", "!-- Google tag (gtag.js) -->"),
    ("navigation", "News / World / Editor's Choice"),
    ("title", "Vardal glacier retreated a record 140 metres last year, survey finds"),
    ("dateline", "March 3, 2024"),
    ("sign-off", "Written in English by John Doe for Example Times."),
    ("share-prompt", "SHARE THIS ARTICLE"),
    ("share-prompt", "Subscribe to our newsletter"),
    ("also-available", "Example Times' website can also be accessed at the following alternate addresses:"),
    ("also-available", "www.exampletimes.test"),
    ("also-available", "www.example-times.test"),
])
def test_chrome_fixture_removals(chrome_article, kind, text):
    assert (kind, text) in [(r.kind, r.text) for r in chrome_article.removed]
    assert text not in chrome_article.text


def test_chrome_fixture_body_and_metadata(chrome_article):
    art = chrome_article
    assert art.text.startswith("The Vardal glacier shrank by a record 140 metres last year")
    assert art.text.endswith("plans to install additional weather stations on the ice this spring.")
    for junk in ("gtag", "Editor's Choice", "SHARE", "newsletter", "alternate addresses", "www.", "Credit:",
                 "(Photo by", "Written in English"):
        assert junk not in art.text, junk
    assert art.captions == (
        "The snout of the Vardal glacier seen from the valley floor in late summer, when meltwater streams run at "
        "their highest. Credit: Reuters",
        "Researchers from the Northern Ice Institute set up a GPS station on the glacier surface in September. "
        "(Photo by AFP)",
    )
    assert (art.title, art.origin("title").source) == (
        "Vardal glacier retreated a record 140 metres last year, survey finds", "inferred:first-line")
    assert (art.published, art.origin("published").source) == ("2024-03-03", "inferred:dateline")
    assert (art.author, art.origin("author").source) == ("John Doe", "inferred:sign-off")
    assert art.outlet == "Example Times" and art.origin("outlet").source.startswith("inferred:")


# --- the seed articles

@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    out = {}
    for record in iter_records([str(SEEDS)]):
        article = prepare_record(record)
        assert isinstance(article, Article), article
        out[record.locator.rsplit("/", 1)[1][:3]] = article
    assert sorted(out) == ["000", "001", "002", "003", "004"]
    return out


def test_seed_000_leading_date(seeds):
    art = seeds["000"]
    assert (art.published, art.origin("published").source) == ("2022-01-21", "inferred:leading-date")
    assert art.text.startswith("The Chinese embassy in France on Thursday")


def test_seed_001_sign_off_and_captions(seeds):
    art = seeds["001"]
    assert (art.outlet, art.origin("outlet").source) == ("RFA", "inferred:sign-off")
    assert (art.author, art.origin("author").source) == ("Roseanne Gerin", "inferred:sign-off")
    assert len(art.captions) == 2
    assert art.captions[0].startswith("Dilnur Reyhan (2nd from L)") and art.captions[0].endswith("Credit: RFA")
    assert art.captions[1].startswith("Witness Patigul Talip (L)") and art.captions[1].endswith("Credit: AFP")
    for caption in art.captions:
        assert caption not in art.text
    assert "Credit:" not in art.text and "Translated by" not in art.text
    assert art.text.endswith("as part of a policy of genocide and crimes against humanity.")


def test_seed_002_name_only_caption(seeds):
    art = seeds["002"]
    assert list(art.captions) == ["French Foreign Minister Le Drian."]
    assert art.text.startswith("The Chinese Communist Party (CCP) has been relying on its foreign propaganda")


def test_seed_003_dateline_gtag_repeated_title(seeds):
    art = seeds["003"]
    title = "China Rejects Accusations Over Xinjiang at UNGA Meeting"
    assert (art.published, art.origin("published").source) == ("2021-10-22", "inferred:dateline")
    assert ("tracking-tag", "!-- Google tag (gtag.js) -->") in [(r.kind, r.text) for r in art.removed]
    assert "gtag" not in art.text and "Google tag" not in art.text
    assert art.title == title and title not in art.text
    assert ("repeated-title", title) in [(r.kind, r.text) for r in art.removed]
    assert any(c.endswith("SOURCE: NG HAN GUAN/AP") for c in art.captions)
    assert "SOURCE:" not in art.text
    assert art.text.startswith("During a meeting held on Thursday")


def test_seed_004_outlet_and_chrome(seeds):
    art = seeds["004"]
    assert (art.outlet, art.origin("outlet").source) == ("Press TV", "inferred:site-notice")
    removed = [(r.kind, r.text) for r in art.removed]
    assert ("navigation", "News / China / Editor's Choice") in removed
    assert ("share-prompt", "SHARE THIS ARTICLE") in removed
    assert ("also-available", "www.presstv.co.uk") in removed
    assert any(k == "also-available" and t.startswith("Press TV’s website can also be accessed") for k, t in removed)
    for junk in ("Editor's Choice", "SHARE THIS ARTICLE", "can also be accessed", "presstv", "Roku"):
        assert junk not in art.text, junk
    assert art.captions == ("A media group visits the ancient city of Kashgar, in northwest of China's Xinjiang "
                            "Uyghur Autonomous Region, on Jan. 13, 2019. (Photo by Xinhua)",)
    assert art.text.endswith("lack of employment in the area.")


def test_seeds_are_english(seeds):
    for name, art in seeds.items():
        assert art.language == "en", name
        assert art.origin("language").source == "inferred:py3langid"
