"""Metadata that is not given: dates written in text, outlets named in URLs, the language of the text."""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$")
_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")
#: Full dates written in running text (day, month and year), for the weakest publication-date evidence.
_FULL_DATE_IN_TEXT = re.compile(
    r"\b(?:(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr"
    r"|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.? \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d\d"
    r"|\d{1,2}(?:st|nd|rd|th)? (?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December) (?:19|20)\d\d)\b")

#: Second-level labels that are part of a public suffix ("co.uk", "com.au"), for naming an outlet by its domain.
_SECOND_LEVEL = {"co", "com", "net", "org", "gov", "ac", "edu", "ne", "or", "go"}


def to_iso_date(value: str) -> str | None:
    """Normalise a date string to ``YYYY-MM-DD``; ``None`` when it is not a full calendar date.

    ISO strings take a fast path; other forms go through dateparser with no relative base (a year-only or
    month-only string is refused rather than completed with today's day).
    """
    if not value:
        return None
    match = _ISO.match(value)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3))).isoformat()
        except ValueError:
            return None
    if not _YEAR.search(value):
        return None
    parsed = _dateparse(value.strip().rstrip("."))
    return parsed.date().isoformat() if parsed else None


@lru_cache(maxsize=4096)
def _dateparse(value: str) -> datetime | None:
    import dateparser

    settings = {"REQUIRE_PARTS": ["day", "month", "year"], "PREFER_DAY_OF_MONTH": "first",
                "RETURN_AS_TIMEZONE_AWARE": False}
    try:
        return dateparser.parse(value, settings=settings, languages=["en"])
    except (ValueError, OverflowError, TypeError):
        return None


def latest_full_date(text: str) -> tuple[str, str] | None:
    """The latest complete date written in ``text`` and the sentence around it, or ``None``.

    An article is published on or after every full date it mentions, so this is a lower bound on its date.
    """
    best: tuple[str, str] | None = None
    for match in _FULL_DATE_IN_TEXT.finditer(text):
        iso = to_iso_date(match.group(0))
        if iso and (best is None or iso > best[0]):
            start = max(text.rfind(".", 0, match.start()) + 1, match.start() - 150)
            end = text.find(".", match.end())
            best = (iso, text[start:end if end != -1 else match.end() + 50].strip())
    return best


def date_from_url(url: str) -> str | None:
    """The publication date a URL spells out in full (``/2020/07/03/``, ``2019-11-25``), as ``YYYY-MM-DD``, or
    ``None`` (no full date, an impossible one, or one after today). Many news sites put the day of publication in the
    path of every article; a year and month alone (an archive page) do not count. htmldate's URL extractor decides,
    on an empty document, so nothing is fetched and nothing else is guessed."""
    if not url:
        return None
    from htmldate import find_date
    from lxml import html

    try:
        return find_date(html.fromstring("<html><body><p></p></body></html>"), url=url, extensive_search=False,
                         original_date=True)
    except (ValueError, TypeError):
        return None


def outlet_from_url(url: str) -> str | None:
    """The site's registrable domain (``www.example.co.uk/x`` -> ``example.co.uk``): an outlet's most neutral name."""
    try:
        host = (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    except ValueError:
        return None
    if not host or "." not in host or re.fullmatch(r"[\d.]+", host):
        return None
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


@lru_cache(maxsize=1)
def _language_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float] | None:
    """ISO 639-1 code and probability from py3langid over the first 1,500 characters; ``None`` for short text.

    1,500 characters (~250 words) decide the language of a news article; the whole text costs 3x more for nothing.
    """
    sample = text[:1500]
    if len(sample.split()) < 5:
        return None
    lang, prob = _language_identifier().classify(sample)
    return lang, float(prob)
