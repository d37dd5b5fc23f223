"""Find inputs and split them into :class:`RawRecord` units, naming every one that cannot be read.

``iter_records(paths)`` walks files, directories (recursively) and ``-`` (standard input), opens gzip transparently,
decides each input's format from its name and its first bytes, and yields either a :class:`RawRecord` (one article's
worth of unparsed input) or a :class:`Problem` (an input, line or record that could not be read, with the reason).
Nothing here cleans text or touches the store: the expensive per-record work happens in :mod:`.prepare`.

Size limits (documented in README): a single document (a text or HTML file, a JSON file, a feed file, one JSON line,
one WARC record) may be at most :data:`MAX_DOCUMENT_BYTES` after decompression. Container files (JSON Lines, WARC)
are streamed and have no limit of their own.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError, InputTooLarge, UnsupportedInput
from ..model import Problem, RawRecord

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
SNIFF_BYTES = 4096

TEXT_EXTS = {".txt", ".text", ".md"}
HTML_EXTS = {".html", ".htm", ".xhtml", ".shtml"}
JSONL_EXTS = {".jsonl", ".ndjson", ".jsonlines"}
JSON_EXTS = {".json"}
WARC_EXTS = {".warc", ".arc"}
FEED_EXTS = {".rss", ".atom", ".xml", ".feed"}

#: Magic numbers of common non-article files, so the problem says what the file is.
MAGIC = (
    (b"%PDF-", "PDF document"),
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"PK\x03\x04", "zip archive (also docx/xlsx/epub)"),
    (b"Rar!", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
    (b"BZh", "bzip2 stream"),
    (b"\xfd7zXZ\x00", "xz stream"),
    (b"\x7fELF", "executable (ELF)"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\xd0\xcf\x11\xe0", "MS Office document"),
)

#: Field names recognised in JSON records, in order of preference. ``--map field=name`` puts a name first.
FIELD_ALIASES: Mapping[str, tuple[str, ...]] = {
    "text": ("text", "content", "body", "article", "maintext", "full_text", "fulltext", "article_text", "story"),
    "html": ("html", "raw_html", "content_html"),
    "title": ("title", "headline", "heading"),
    "url": ("url", "link", "canonical_url", "uri", "href"),
    "outlet": ("outlet", "source", "site", "site_name", "sitename", "publisher", "source_name", "media", "domain"),
    "published": ("published", "date", "published_at", "publish_date", "pubdate", "date_publish",
                  "publication_date", "datetime", "timestamp"),
    "author": ("author", "authors", "byline", "creator"),
}


@dataclass(frozen=True)
class Input:
    """An input named on the command line: a path, or ``-`` for standard input."""

    path: Path | None  # None = standard input

    @property
    def name(self) -> str:
        return "<stdin>" if self.path is None else str(self.path)


def sha256(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def strip_gz(name: str) -> tuple[str, bool]:
    lower = name.lower()
    if lower.endswith(".gz"):
        return name[:-3], True
    if lower.endswith(".tgz"):
        return name[:-4] + ".tar", True
    return name, False


def sidecar_candidates(path: Path) -> list[Path]:
    """Metadata files that may sit beside ``path``: ``x.json``, ``x.txt.json``, ``x.meta.json``."""
    base, _ = strip_gz(path.name)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    names = [f"{stem}.json", f"{base}.json", f"{stem}.meta.json"]
    return [path.with_name(n) for n in dict.fromkeys(names) if n != path.name]


def is_sidecar(path: Path) -> bool:
    """A ``.json`` file is a sidecar when a sibling document with the same stem exists."""
    name = path.name
    if not name.lower().endswith(".json"):
        return False
    stem = name[:-5]
    if stem.endswith(".meta"):
        stem = stem[:-5]
    parent = path.parent
    if (parent / stem).is_file() and not stem.lower().endswith(".json"):
        return True  # x.txt.json
    for ext in TEXT_EXTS | HTML_EXTS:
        for suffix in ("", ".gz"):
            if (parent / f"{stem}{ext}{suffix}").is_file():
                return True
    return False


def expand_inputs(paths: list[str]) -> Iterator[Input | Problem]:
    """Files and ``-`` as given; directories walked recursively in sorted order (hidden entries skipped)."""
    for raw in paths:
        if raw == "-":
            yield Input(None)
            continue
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith("."):
                        continue
                    child = Path(root) / name
                    if is_sidecar(child):
                        continue
                    yield Input(child)
        elif path.is_file():
            yield Input(path)
        elif path.exists():
            yield Problem(str(path), "not a regular file")
        else:
            yield Problem(str(path), "no such file or directory")


def open_binary(inp: Input) -> tuple[BinaryIO, BinaryIO, bool]:
    """Open an input for reading bytes. Returns (stream, raw handle for progress, gzipped?)."""
    if inp.path is None:
        raw = sys.stdin.buffer
        if not hasattr(raw, "peek"):  # a replaced stdin (BytesIO, a test runner's): sniffing needs peek
            raw = io.BufferedReader(raw)
    else:
        raw = open(inp.path, "rb")
    head = raw.peek(2)[:2] if hasattr(raw, "peek") else b""
    if head == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw, True
    return raw, raw, False


def read_limited(stream: BinaryIO, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """Read a whole document, refusing one over ``limit`` bytes and naming a broken gzip stream."""
    try:
        data = stream.read(limit + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise InputError("truncated or corrupt gzip stream", str(err) or type(err).__name__) from None
    if len(data) > limit:
        raise InputTooLarge("too large", f"over the {limit // (1024 * 1024)} MiB limit for one document")
    return data


def sniff_format(name: str, head: bytes) -> str:
    """Decide the input format: ``text``, ``html``, ``jsonl``, ``json``, ``warc``, ``feed``.

    The file name decides first; the first bytes confirm it or decide for unknown names. Raises
    :class:`UnsupportedInput` for known binary types and unknown extensions that do not look like text.
    """
    for magic, label in MAGIC:
        if head.startswith(magic):
            raise UnsupportedInput("unsupported file type", label)
    if head.startswith(b"\x1f\x8b"):
        raise UnsupportedInput("unsupported file type", "nested gzip stream")
    base, _ = strip_gz(name)
    ext = os.path.splitext(base.lower())[1]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if ext in WARC_EXTS or stripped.startswith(b"warc/"):
        return "warc"
    if ext in JSONL_EXTS:
        return "jsonl"
    if ext in JSON_EXTS:
        return "json"
    if ext in HTML_EXTS:
        return "html"
    if ext in FEED_EXTS or (stripped.startswith(b"<?xml") and (b"<rss" in stripped or b"<feed" in stripped
                                                              or b"<rdf:rdf" in stripped)):
        if ext in FEED_EXTS or ext == "":
            return "feed"
        return "feed"
    if ext in TEXT_EXTS:
        return "text"
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    if stripped.startswith((b"<rss", b"<feed")):
        return "feed"
    if stripped.startswith(b"{"):
        # JSON Lines when the first line is one whole object (or runs past the sniffed bytes, as a line holding a
        # whole article does); a JSON document when the object goes on over more lines (pretty-printed)
        first_line, newline, _ = stripped.partition(b"\n")
        return "jsonl" if not newline or first_line.rstrip().endswith(b"}") else "json"
    if stripped.startswith(b"["):
        return "json"
    if looks_binary(head):
        raise UnsupportedInput("binary file", "not text: control bytes in the first 4 KiB")
    if ext in ("", ".text", ".story", ".article"):
        return "text"
    raise UnsupportedInput("unsupported file type", f"extension {ext!r} and content not recognised as an article")


def looks_binary(head: bytes) -> bool:
    """NUL bytes, or many control characters, in the first bytes mean this is not text in any 8-bit encoding."""
    if not head:
        return False
    if b"\x00" in head:
        # UTF-16 text has NULs too; it starts with a BOM.
        return not head.startswith((b"\xff\xfe", b"\xfe\xff"))
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(head) > 0.05


def load_sidecar(path: Path) -> tuple[tuple[str, str, str], ...]:
    """Metadata from a sidecar JSON file beside ``path`` (the first that exists), as ``given`` triples."""
    for candidate in sidecar_candidates(path):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
                raise InputError("unreadable sidecar metadata", f"{candidate.name}: {err}") from None
            if not isinstance(data, dict):
                raise InputError("unreadable sidecar metadata", f"{candidate.name}: not a JSON object")
            given = map_fields(data, {})
            return tuple((k, v, f"sidecar {candidate.name}") for k, v in given.items() if k not in ("text", "html"))
    return ()


def _stringify(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        parts = [p for p in (_stringify(v) for v in value) if p]
        return ", ".join(parts) or None
    if isinstance(value, dict):
        for key in ("name", "title", "value", "href", "url"):
            if key in value:
                return _stringify(value[key])
    return None


def map_fields(record: Mapping[str, object], overrides: Mapping[str, str]) -> dict[str, str]:
    """Pick canonical fields out of a JSON object using :data:`FIELD_ALIASES` (``overrides`` first)."""
    lowered = {str(k).lower(): v for k, v in record.items()}
    out: dict[str, str] = {}
    for canonical, aliases in FIELD_ALIASES.items():
        names = ([overrides[canonical].lower()] if canonical in overrides else []) + list(aliases)
        for name in names:
            value = _stringify(lowered.get(name))
            if value:
                out[canonical] = value
                break
    return out


def parse_field_map(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Parse ``--map field=name`` options. Raises ``ValueError`` naming the valid fields on a bad one."""
    out: dict[str, str] = {}
    aliases = dict(FIELD_ALIASES)
    aliases["date"] = aliases["published"]
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if key == "date":
            key = "published"
        if not sep or not value.strip() or key not in FIELD_ALIASES:
            raise ValueError(f"bad --map {item!r}: expected FIELD=NAME with FIELD one of {', '.join(FIELD_ALIASES)}")
        out[key] = value.strip()
    return out


def json_to_record(obj: object, locator: str, overrides: Mapping[str, str], evidence: str,
                   raw_hash: str | None = None) -> RawRecord:
    if not isinstance(obj, dict):
        raise InputError("not a JSON object", f"got a JSON {type(obj).__name__}")
    fields = map_fields(obj, overrides)
    given = tuple((k, v, evidence) for k, v in fields.items() if k not in ("text", "html"))
    if "text" in fields:
        payload, kind = fields["text"], "text"
    elif "html" in fields:
        payload, kind = fields["html"], "html"
    else:
        wanted = overrides.get("text") or "/".join(FIELD_ALIASES["text"][:3])
        raise InputError("no article text", f"no {wanted} field (use --map text=FIELD)")
    if len(payload.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise InputTooLarge("too large", f"text over the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB limit")
    return RawRecord(locator=locator, kind=kind, payload=payload, given=given,
                     raw_hash=raw_hash or sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False)))


def iter_jsonl(stream: BinaryIO, base: str, overrides: Mapping[str, str]) -> Iterator[RawRecord | Problem]:
    lineno = 0
    while True:
        try:
            line = stream.readline(MAX_DOCUMENT_BYTES + 1)
        except (EOFError, zlib.error, gzip.BadGzipFile) as err:
            yield Problem(f"{base}#L{lineno + 1}", "truncated or corrupt gzip stream", str(err) or type(err).__name__)
            return
        if not line:
            return
        lineno += 1
        locator = f"{base}#L{lineno}"
        if len(line) > MAX_DOCUMENT_BYTES:
            yield Problem(locator, "too large", f"line over the {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB limit")
            # skip the rest of the over-long line
            while line and not line.endswith(b"\n"):
                line = stream.readline(MAX_DOCUMENT_BYTES)
            continue
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            truncated = not line.endswith(b"\n")
            yield Problem(locator, "truncated JSON line" if truncated else "malformed JSON line", str(err))
            continue
        try:
            yield json_to_record(obj, locator, overrides, f"JSON field of line {lineno}",
                                 raw_hash=sha256(line.rstrip(b"\r\n")))
        except InputError as err:
            yield Problem(locator, err.reason, err.detail)


def iter_json_document(data: bytes, base: str, overrides: Mapping[str, str]) -> Iterator[RawRecord | Problem]:
    try:
        obj = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        # Not one JSON document: maybe JSON Lines with a .json name.
        lines = data.splitlines()
        if len(lines) > 1 and lines[0].lstrip().startswith(b"{"):
            yield from iter_jsonl(io.BytesIO(data), base, overrides)
            return
        yield Problem(base, "malformed JSON", str(err))
        return
    items = obj if isinstance(obj, list) else [obj]
    for i, item in enumerate(items):
        locator = base if not isinstance(obj, list) else f"{base}#{i}"
        try:
            yield json_to_record(item, locator, overrides, "JSON field")
        except InputError as err:
            yield Problem(locator, err.reason, err.detail)


class ReadPosition:
    """How many input bytes have been consumed so far, for a progress bar over many files or one huge file."""

    def __init__(self) -> None:
        self.done = 0
        self._raw: BinaryIO | None = None

    def start(self, raw: BinaryIO | None) -> None:
        self._raw = raw

    def finish(self, size: int) -> None:
        self.done += size
        self._raw = None

    def bytes_read(self) -> int:
        try:
            return self.done + (self._raw.tell() if self._raw is not None else 0)
        except (OSError, ValueError):
            return self.done


def total_bytes(paths: list[str]) -> int | None:
    """Total size of the files named (directories walked); ``None`` when standard input is among them."""
    total = 0
    for item in expand_inputs(paths):
        if isinstance(item, Input):
            if item.path is None:
                return None
            try:
                total += item.path.stat().st_size
            except OSError:
                pass
    return total


def iter_records(paths: list[str], field_map: Mapping[str, str] | None = None,
                 position: ReadPosition | None = None) -> Iterator[RawRecord | Problem]:
    """Every record of every input, in a stable order.

    ``position``, when given, is kept up to date with the input bytes consumed (for progress bars).
    """
    from . import containers  # local import: the WARC/feed readers pull in heavier libraries

    overrides = dict(field_map or {})
    for item in expand_inputs(paths):
        if isinstance(item, Problem):
            yield item
            continue
        yield from _records_of(item, overrides, containers, position)


def _records_of(inp: Input, overrides, containers, position) -> Iterator[RawRecord | Problem]:
    # problems are named like the articles (absolute path), so that storing the fixed file clears its problem
    name = inp.name if inp.path is None else str(inp.path.resolve())
    try:
        if inp.path is not None and inp.path.stat().st_size == 0:
            yield Problem(name, "empty file", "0 bytes")
            return
        stream, raw, gzipped = open_binary(inp)
    except OSError as err:
        yield Problem(name, "cannot open", err.strerror or str(err))
        return
    base = "stdin" if inp.path is None else name
    if position is not None and inp.path is not None:
        position.start(raw)
    try:
        try:
            head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES] if hasattr(stream, "peek") else b""
        except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as err:
            yield Problem(name, "truncated or corrupt gzip stream", str(err) or type(err).__name__)
            return
        if not head.strip():
            yield Problem(name, "empty file", "no content" if not head else "only whitespace")
            return
        try:
            fmt = sniff_format(name if inp.path is not None else "", head)
        except InputError as err:
            yield Problem(name, err.reason, err.detail)
            return
        if fmt == "jsonl":
            if inp.path is None:
                # stdin has no stable path: identify each line by its content instead
                for rec in iter_jsonl(stream, "stdin", overrides):
                    if isinstance(rec, RawRecord):
                        rec = RawRecord(f"stdin#sha256={rec.raw_hash[:16]}", rec.kind, rec.payload, rec.given,
                                        rec.raw_hash)
                    yield rec
            else:
                yield from iter_jsonl(stream, base, overrides)
        elif fmt == "warc":
            if gzipped and raw.seekable():
                # warcio reads gzipped WARC member by member itself and so notices a cut record; through GzipFile
                # its first read hits EOFError, which warcio takes for the end of the file: nothing, and no error
                raw.seek(0)
                yield from containers.iter_warc(raw, base)
            else:
                yield from containers.iter_warc(stream, base)
        else:
            try:
                data = read_limited(stream)
            except InputError as err:
                yield Problem(name, err.reason, err.detail)
                return
            if not data.strip():
                yield Problem(name, "empty file", "only whitespace")
                return
            locator = base if inp.path is not None else f"stdin#sha256={sha256(data)[:16]}"
            if fmt == "json":
                yield from iter_json_document(data, locator, overrides)
            elif fmt == "feed":
                yield from containers.iter_feed(data, locator)
            else:
                given: tuple = ()
                if inp.path is not None:
                    try:
                        given = load_sidecar(inp.path)
                    except InputError as err:
                        yield Problem(name, err.reason, err.detail)
                        return
                yield RawRecord(locator=locator, kind=fmt, payload=data, given=given,
                                raw_hash=sha256(data + repr(given).encode()))
    finally:
        if position is not None and inp.path is not None:
            try:
                position.finish(inp.path.stat().st_size)
            except OSError:
                position.finish(0)
        if inp.path is not None:
            stream.close()
            if raw is not stream:
                raw.close()
