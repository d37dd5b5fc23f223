"""Readers for container formats that hold many articles: WARC web archives (warcio) and RSS/Atom feeds
(feedparser). Each yields :class:`RawRecord` for what can be read and :class:`Problem` for what cannot."""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from ..model import Problem, RawRecord
from .sources import MAX_DOCUMENT_BYTES, sha256

_TAG = re.compile(r"<[^>]+>")
#: A feed item whose content has fewer words than this carries only a teaser, not an article.
MIN_FEED_WORDS = 40


def iter_warc(stream: BinaryIO, base: str) -> Iterator[RawRecord | Problem]:
    """HTML ``response`` records with HTTP status 2xx. Other records (requests, metadata, images, errors) are not
    articles and are passed over; a record that cannot be parsed ends the file with a :class:`Problem`, keeping every
    record read before it."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    seen = 0
    where = base
    try:
        for record in ArchiveIterator(stream, arc2warc=True):
            seen += 1
            if record.rec_type != "response":
                continue
            rec_id = record.rec_headers.get_header("WARC-Record-ID") or f"record-{seen}"
            where = f"{base}#{rec_id.strip('<>')}"
            http = record.http_headers
            if http is None:
                continue
            status = http.get_statuscode() or ""
            ctype = (http.get_header("Content-Type") or "").lower()
            if not status.startswith("2") or ("html" not in ctype and ctype):
                continue
            body = record.content_stream().read(MAX_DOCUMENT_BYTES + 1)
            if len(body) > MAX_DOCUMENT_BYTES:
                yield Problem(where, "too large", f"record over the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB limit")
                continue
            missing = getattr(record.raw_stream, "limit", 0)
            if missing:
                declared = record.rec_headers.get_header("Content-Length") or "?"
                yield Problem(where, "truncated WARC record", f"{missing} of {declared} declared bytes missing")
                continue
            if not body.strip():
                yield Problem(where, "empty record", "HTML response with no body")
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            given = (("url", uri, "WARC-Target-URI"),) if uri else ()
            yield RawRecord(locator=where, kind="html", payload=body, given=given, raw_hash=sha256(body + uri.encode()))
    except ArchiveLoadFailed as err:
        reason = "not a WARC file" if seen == 0 else "malformed WARC record"
        yield Problem(base if seen == 0 else f"{base} (after record {seen})", reason, str(err).splitlines()[0][:200])
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        yield Problem(f"{base} (after record {seen})", "truncated WARC file", str(err) or type(err).__name__)
    except (ValueError, KeyError, IndexError) as err:
        # warcio raises plain ValueErrors on broken headers
        yield Problem(f"{base} (after record {seen})", "malformed WARC record", str(err)[:200])


def iter_feed(data: bytes, base: str) -> Iterator[RawRecord | Problem]:
    """Feed items that carry article content (``content:encoded``, Atom ``content``, or a long description)."""
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.entries:
        detail = str(parsed.get("bozo_exception", "")) or "no items"
        yield Problem(base, "malformed or empty feed", detail[:200])
        return
    outlet = (parsed.feed.get("title") or "").strip()
    for i, entry in enumerate(parsed.entries):
        key = entry.get("id") or entry.get("link") or str(i)
        locator = f"{base}#{key}"
        html = ""
        if entry.get("content"):
            html = max((c.get("value", "") for c in entry.content), key=len)
        if len(_TAG.sub(" ", html).split()) < MIN_FEED_WORDS:
            summary = entry.get("summary", "")
            if len(summary) > len(html):
                html = summary
        words = len(_TAG.sub(" ", html).split())
        if words < MIN_FEED_WORDS:
            yield Problem(locator, "feed item without article content",
                          f"{words} words of summary only (under {MIN_FEED_WORDS}); fetch the page itself")
            continue
        given = []
        for name, key_ in (("title", "title"), ("url", "link"), ("author", "author"), ("published", "published")):
            value = (entry.get(key_) or "").strip()
            if value and not any(g[0] == name for g in given):
                given.append((name, value, f"feed item <{key_}>"))
        if outlet:
            given.append(("outlet", outlet, "feed title"))
        payload = html
        yield RawRecord(locator=locator, kind="fragment", payload=payload, given=tuple(given),
                        raw_hash=sha256(payload + repr(given)))
