"""The per-record map of ingestion: :class:`RawRecord` -> :class:`Article` or :class:`Problem`.

``prepare_record`` is a pure function of its input (no store, no shared state), so it runs the same in one process,
in a pool or on a cluster. It decodes bytes (detecting wrong encodings), extracts main text and metadata from HTML
with trafilatura, cleans the text (:mod:`.clean`), infers missing metadata and records where every field came from.
"""

from __future__ import annotations

import codecs
import hashlib
import re

from ..errors import InputError
from ..model import Article, FieldOrigin, Problem, RawRecord, Removal
from . import clean, metadata

#: An article body shorter than this many words is not an article (a stub, an error page, a teaser).
MIN_WORDS = 25
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def article_id(locator: str) -> str:
    """Stable article identity: the first 16 hex digits of the SHA-256 of its locator."""
    return hashlib.sha256(locator.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def decode_bytes(data: bytes) -> tuple[str, str | None]:
    """Decode text bytes. Returns ``(text, note)``; ``note`` says which encoding was detected when it was not
    UTF-8. Raises :class:`InputError` when no encoding fits (binary or mixed data)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace"), None if encoding == "utf-8-sig" else f"decoded as {encoding}"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        position = err.start
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError("undecodable text", f"not UTF-8 (bad byte at offset {position}) and no encoding fits")
    text = str(best)
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.05 * max(1, len(text[:4096])):
        raise InputError("binary file", f"not text in any encoding (tried {best.encoding})")
    return text, f"decoded as {best.encoding} (not UTF-8; detected by charset-normalizer)"


def _extract_html(payload: bytes | str, url: str | None) -> tuple[str, list[tuple[str, str, str]], list[str]]:
    """Main text, page metadata and figure captions of an HTML page (trafilatura + lxml)."""
    import trafilatura
    from lxml import etree, html as lxml_html

    try:
        doc = trafilatura.bare_extraction(payload, url=url, with_metadata=True, favor_precision=True,
                                          include_comments=False, include_tables=False)
    except (ValueError, TypeError, etree.LxmlError) as err:
        raise InputError("malformed HTML", str(err)[:200]) from None
    if doc is None or not (doc.text or "").strip():
        raise InputError("no article text found in HTML", "trafilatura found no main content")
    found: list[tuple[str, str, str]] = []
    for name, attr in (("title", "title"), ("author", "author"), ("published", "date"), ("outlet", "sitename"),
                       ("url", "url"), ("summary", "description")):
        value = getattr(doc, attr, None)
        if value:
            found.append((name, str(value), f"page metadata ({attr}, trafilatura)"))
    captions: list[str] = []
    try:
        tree = lxml_html.fromstring(payload if isinstance(payload, (bytes, str)) else str(payload))
        for node in tree.iter("figcaption"):
            caption = " ".join(node.text_content().split())
            if caption:
                captions.append(caption)
    except (etree.LxmlError, ValueError):
        pass
    return doc.text, found, captions


_BLOCK_TAGS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "tr"}


def _fragment_text(fragment: str) -> tuple[str, list[str]]:
    """Plain text of an HTML fragment (feed content): one paragraph per block element; captions apart."""
    from lxml import etree, html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.LxmlError, ValueError) as err:
        raise InputError("malformed HTML", str(err)[:200]) from None
    captions = [" ".join(n.text_content().split()) for n in root.iter("figcaption")]
    for node in list(root.iter("figcaption", "script", "style")):
        node.drop_tree()
    for node in root.iter(*_BLOCK_TAGS):
        node.tail = "\n\n" + (node.tail or "")
    return root.text_content(), [c for c in captions if c]


def prepare_record(record: RawRecord) -> Article | Problem:
    """Clean one record into an :class:`Article`, or say why it cannot be (a :class:`Problem`)."""
    try:
        return _prepare(record)
    except InputError as err:
        return Problem(record.locator, err.reason, err.detail)


def _prepare(record: RawRecord) -> Article:
    notes: list[str] = []
    given = {name: (value, evidence) for name, value, evidence in reversed(record.given)}
    page: list[tuple[str, str, str]] = []
    captions: list[str] = []
    if record.kind == "html":
        text, page, captions = _extract_html(record.payload, given.get("url", (None,))[0])
    elif record.kind == "fragment":
        text, captions = _fragment_text(record.payload if isinstance(record.payload, str) else
                                        decode_bytes(record.payload)[0])
    else:
        if isinstance(record.payload, bytes):
            text, note = decode_bytes(record.payload)
            if note:
                notes.append(note)
        else:
            text = record.payload
        if "\x00" in text:
            raise InputError("binary file", "NUL characters in text")
        header, text = clean.split_header(text)
        for name, value, line in header:
            given.setdefault(name, (value, f"header line '{line[:120]}'"))

    detected = metadata.detect_language(text)
    lang = (given.get("language", (None,))[0] or (detected[0] if detected else "en")).lower()[:2]
    page_title = given.get("title", (None,))[0] or next((v for n, v, _ in page if n == "title"), None)
    cleaned = clean.clean_text(text, lang, title=page_title)
    captions = list(dict.fromkeys(captions + cleaned.captions))
    body = cleaned.text
    words = len(body.split())
    if words < MIN_WORDS:
        raise InputError("no article text", f"{words} words of body text after cleaning (under {MIN_WORDS})")

    values: dict[str, str] = {}
    origins: list[FieldOrigin] = []

    def put(name: str, value: str | None, source: str, evidence: str) -> None:
        if not value or name in values:
            return
        if name == "published":
            iso = metadata.to_iso_date(value)
            if iso is None:
                notes.append(f"{source} published value {value!r} is not a full date; ignored")
                return
            value = iso
        values[name] = " ".join(str(value).split())
        origins.append(FieldOrigin(name, source, evidence[:300]))

    for name, (value, evidence) in given.items():
        put(name, value, "given", evidence)
    for name, value, evidence in page:
        put(name, value, "page", evidence)
    for name, (value, how, evidence) in cleaned.found.items():
        put(name, value, f"inferred:{how}", evidence)
    if "outlet" not in values and values.get("url"):
        put("outlet", metadata.outlet_from_url(values["url"]), "inferred:url", values["url"])
    if "outlet" not in values:
        for removal in cleaned.removed:
            if removal.kind in ("also-available", "url-line") and (name := metadata.outlet_from_url(removal.text)):
                put("outlet", name, "inferred:url-in-text", removal.text)
                break
    if "published" not in values and values.get("url"):
        # the day a site put in the article's address: its own publication date, stronger than a date in the text
        put("published", metadata.date_from_url(values["url"]), "inferred:url-date", values["url"])
    if "published" not in values:
        latest = metadata.latest_full_date(body)
        if latest:
            put("published", latest[0], "inferred:latest-date-in-text",
                f"lower bound: latest full date the text mentions, in: {latest[1]}")
    if "language" not in values and detected:
        put("language", detected[0], "inferred:py3langid", f"p={detected[1]:.2f} over the first 1,500 characters")

    text_hash = hashlib.sha256(re.sub(r"\s+", " ", body.lower()).encode("utf-8", "surrogatepass")).hexdigest()
    return Article(
        id=article_id(record.locator), locator=record.locator, text=body, text_hash=text_hash,
        raw_hash=record.raw_hash, title=values.get("title"), url=values.get("url"), outlet=values.get("outlet"),
        published=values.get("published"), author=values.get("author"), language=values.get("language"),
        summary=values.get("summary"), captions=tuple(captions), removed=tuple(cleaned.removed),
        origins=tuple(origins), notes=tuple(notes))


__all__ = ["prepare_record", "decode_bytes", "article_id", "MIN_WORDS", "Removal"]
