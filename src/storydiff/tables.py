"""storydiff's records as Arrow tables, and Parquet files read and written through fsspec.

One schema per record type, one row per record, shared by the distributed engine (its partition files) and by
``storydiff export`` (an export's ``articles.parquet`` is a valid input of ``storydiff cluster analyze``):

- flat columns for ids, hashes and metadata, so that DuckDB, pandas or Spark can filter and join on them;
- Arrow lists and structs for small fixed shapes (an article's captions, removed chrome, metadata origins);
- JSON text, written by :func:`storydiff.store.codec.to_json` exactly as the store keeps it, for deep records
  (an :class:`~storydiff.model.Analysis` in the ``record`` column).

Text columns are ``large_string`` (64-bit offsets), so a partition is not limited to 2 GiB of text. Every location is
a local path or an fsspec URL (``s3://bucket/x``, ``gs://...``, ``memory://...``); remote schemes need their fsspec
package (s3fs, gcsfs, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .model import Analysis, Article, FieldOrigin, Problem, RawRecord, Removal
from .store.codec import analysis_from_json, to_json

_TEXT = pa.large_string()
_STR = pa.string()

GIVEN = pa.list_(pa.struct([("field", _STR), ("value", _TEXT), ("evidence", _STR)]))
REMOVED = pa.list_(pa.struct([("kind", _STR), ("text", _TEXT)]))
ORIGINS = pa.list_(pa.struct([("field", _STR), ("source", _STR), ("evidence", _TEXT)]))

#: :class:`RawRecord`: ``payload`` holds the bytes as read, or a text payload encoded as UTF-8 (with lone
#: surrogates kept, as JSON input can carry them); ``payload_is_text`` says which, so the record comes back equal.
RECORDS = pa.schema([
    ("locator", _STR), ("kind", _STR), ("raw_hash", _STR), ("payload", pa.large_binary()),
    ("payload_is_text", pa.bool_()), ("given", GIVEN),
])

#: :class:`Article`: the store's ``articles`` columns. ``words`` is ``Article.word_count`` (derived, for queries).
ARTICLES = pa.schema([
    ("id", _STR), ("locator", _STR), ("raw_hash", _STR), ("text_hash", _STR),
    ("title", _TEXT), ("url", _TEXT), ("outlet", _STR), ("published", _STR), ("author", _TEXT),
    ("language", _STR), ("summary", _TEXT), ("text", _TEXT), ("words", pa.int64()),
    ("captions", pa.list_(_TEXT)), ("removed", REMOVED), ("origins", ORIGINS), ("notes", pa.list_(_TEXT)),
])

#: An article as the ingest map leaves it: :data:`ARTICLES` plus its MinHash signature (128 little-endian uint64)
#: and LSH band keys, so that loading into a store finds copies without recomputing them.
SIGNED_ARTICLES = ARTICLES.append(pa.field("minhash", pa.binary())).append(pa.field("band_keys", pa.list_(pa.int64())))

#: :class:`Problem`: an input, line or record that could not be read, with the reason.
PROBLEMS = pa.schema([("locator", _STR), ("reason", _STR), ("detail", _TEXT)])

#: :class:`Analysis`: flat columns to select on, the whole record as JSON (the store's ``analyses.record``).
ANALYSES = pa.schema([
    ("article_id", _STR), ("text_hash", _STR), ("stage", _STR), ("version", _STR), ("record", _TEXT),
])


# --- records <-> tables


def records_table(records: Sequence[RawRecord]) -> pa.Table:
    return pa.Table.from_pydict({
        "locator": [r.locator for r in records],
        "kind": [r.kind for r in records],
        "raw_hash": [r.raw_hash for r in records],
        "payload": [r.payload.encode("utf-8", "surrogatepass") if isinstance(r.payload, str) else bytes(r.payload)
                    for r in records],
        "payload_is_text": [isinstance(r.payload, str) for r in records],
        "given": [[{"field": f, "value": v, "evidence": e} for f, v, e in r.given] for r in records],
    }, schema=RECORDS)


def records_from_table(table: pa.Table) -> list[RawRecord]:
    out = []
    for row in table.to_pylist():
        payload = row["payload"].decode("utf-8", "surrogatepass") if row["payload_is_text"] else row["payload"]
        given = tuple((g["field"], g["value"], g["evidence"]) for g in row["given"])
        out.append(RawRecord(locator=row["locator"], kind=row["kind"], payload=payload, given=given,
                             raw_hash=row["raw_hash"]))
    return out


def article_row(article: Article) -> dict:
    return {
        "id": article.id, "locator": article.locator, "raw_hash": article.raw_hash, "text_hash": article.text_hash,
        "title": article.title, "url": article.url, "outlet": article.outlet, "published": article.published,
        "author": article.author, "language": article.language, "summary": article.summary, "text": article.text,
        "words": article.word_count, "captions": list(article.captions),
        "removed": [{"kind": r.kind, "text": r.text} for r in article.removed],
        "origins": [{"field": o.field, "source": o.source, "evidence": o.evidence} for o in article.origins],
        "notes": list(article.notes),
    }


def articles_table(articles: Sequence[Article], signatures: Sequence[tuple[bytes, Sequence[int]]] | None = None
                   ) -> pa.Table:
    """Articles as a table: :data:`ARTICLES`, or :data:`SIGNED_ARTICLES` when ``signatures`` (one
    ``(minhash, band_keys)`` per article) are given."""
    rows = [article_row(a) for a in articles]
    if signatures is None:
        return pa.Table.from_pylist(rows, schema=ARTICLES)
    for row, (minhash, keys) in zip(rows, signatures, strict=True):
        row["minhash"] = minhash
        row["band_keys"] = list(keys)
    return pa.Table.from_pylist(rows, schema=SIGNED_ARTICLES)


def _article(row: dict) -> Article:
    return Article(
        id=row["id"], locator=row["locator"], text=row["text"], text_hash=row["text_hash"], raw_hash=row["raw_hash"],
        title=row["title"], url=row["url"], outlet=row["outlet"], published=row["published"], author=row["author"],
        language=row["language"], summary=row["summary"], captions=tuple(row["captions"]),
        removed=tuple(Removal(r["kind"], r["text"]) for r in row["removed"]),
        origins=tuple(FieldOrigin(o["field"], o["source"], o["evidence"]) for o in row["origins"]),
        notes=tuple(row["notes"]))


def articles_from_table(table: pa.Table) -> list[Article]:
    """The articles of a table with the :data:`ARTICLES` columns (extra columns are ignored)."""
    return [_article(row) for row in table.select(ARTICLES.names).to_pylist()]


def signatures_from_table(table: pa.Table) -> list[tuple[bytes, tuple[int, ...]] | None]:
    """``(minhash, band_keys)`` per row, or ``None`` per row when the table has no signature columns."""
    if "minhash" not in table.column_names:
        return [None] * table.num_rows
    return [(m, tuple(k)) for m, k in zip(table.column("minhash").to_pylist(), table.column("band_keys").to_pylist(),
                                         strict=True)]


def problems_table(problems: Iterable[Problem]) -> pa.Table:
    return pa.Table.from_pylist([{"locator": p.locator, "reason": p.reason, "detail": p.detail} for p in problems],
                                schema=PROBLEMS)


def problems_from_table(table: pa.Table) -> list[Problem]:
    return [Problem(r["locator"], r["reason"], r["detail"]) for r in table.to_pylist()]


def analysis_row(analysis: Analysis) -> dict:
    return {"article_id": analysis.article_id, "text_hash": analysis.text_hash, "stage": analysis.stage,
            "version": analysis.version, "record": to_json(analysis)}


def analyses_table(analyses: Iterable[Analysis]) -> pa.Table:
    return pa.Table.from_pylist([analysis_row(a) for a in analyses], schema=ANALYSES)


def analyses_from_table(table: pa.Table) -> list[Analysis]:
    return [analysis_from_json(text) for text in table.column("record").to_pylist()]


# --- files through fsspec


def filesystem(url: str):
    """``(fsspec filesystem, path)`` for a local path or an fsspec URL."""
    from fsspec.core import url_to_fs

    return url_to_fs(str(url))


def join(url: str, *parts: str) -> str:
    return "/".join([str(url).rstrip("/"), *parts])


def write_parquet(table: pa.Table, url: str) -> None:
    """Write ``table`` to ``url`` whole or not at all: to a temporary name first, then renamed (on object stores
    an upload is atomic by itself)."""
    fs, path = filesystem(url)
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if parent:
        fs.makedirs(parent, exist_ok=True)
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    with fs.open(tmp, "wb") as handle:
        pq.write_table(table, handle)
    fs.mv(tmp, path)


def read_parquet(url: str, row_groups: Sequence[int] | None = None) -> pa.Table:
    """A Parquet file (or only some of its row groups) from a local path or an fsspec URL."""
    fs, path = filesystem(url)
    with fs.open(path, "rb") as handle:
        if row_groups is None:
            return pq.read_table(handle)
        return pq.ParquetFile(handle).read_row_groups(list(row_groups))


def row_group_count(url: str) -> int:
    fs, path = filesystem(url)
    with fs.open(path, "rb") as handle:
        return pq.ParquetFile(handle).num_row_groups


def list_parquet(url: str, pattern: str = "*.parquet") -> list[str]:
    """The Parquet files in the folder ``url`` matching ``pattern``, sorted by name, as URLs of the same scheme."""
    fs, path = filesystem(url)
    found = sorted(fs.glob(join(path, pattern)))
    return [unstrip(url, fs, p) for p in found]


def unstrip(url: str, fs, path: str) -> str:
    """``path`` (as the filesystem names it) as a URL of the same scheme as ``url``."""
    if "://" not in str(url):
        return path
    return fs.unstrip_protocol(path)


def exists(url: str) -> bool:
    fs, path = filesystem(url)
    return fs.exists(path)


def is_dir(url: str) -> bool:
    fs, path = filesystem(url)
    return fs.isdir(path)


__all__ = ["RECORDS", "ARTICLES", "SIGNED_ARTICLES", "PROBLEMS", "ANALYSES", "records_table", "records_from_table",
           "articles_table", "articles_from_table", "signatures_from_table", "problems_table",
           "problems_from_table", "analyses_table", "analyses_from_table", "article_row", "analysis_row",
           "write_parquet", "read_parquet", "list_parquet", "row_group_count", "filesystem", "join", "exists",
           "is_dir", "unstrip"]
