"""Every table of a store as Parquet and JSON Lines, for DuckDB, pandas, Spark and whatever else reads them.

``export_store(store, out, formats)`` reads through the :class:`~storydiff.store.Store` protocol only (any backend),
streaming row groups of :data:`ROW_GROUP` rows, and writes ``out/<table>.parquet`` and/or ``out/<table>.jsonl``
plus ``out/manifest.json`` (rows per table, tables skipped and why, storydiff version, time). ``out`` is a local
folder or an fsspec URL. Column meanings: docs/distributed.md ("Export").

- articles, analyses, entities, quotes, facts, duplicates, problems, runs: always.
- events, event_members, storylines, story_decisions: when the store has them (the stories stage adds them);
  otherwise the manifest lists them as skipped.
- comparisons: one row per event of two or more analysed articles, its comparison computed at export time
  (:func:`storydiff.compare.compare_groups`, on ``workers`` processes): ``id`` (the event), ``articles``,
  ``sources`` (independent sources), ``record`` (:func:`storydiff.compare.comparison_record`: fact rows with their
  claims and evidence spans, quotes matched across outlets, omissions).

The same table in both formats has the same columns. Columns holding a whole record as JSON (``record``, a run's
``counts``) are JSON text in Parquet (query them with DuckDB's ``json_extract``) and nested JSON values in JSON Lines.
The ``articles`` table has :data:`storydiff.tables.ARTICLES`' columns, so ``storydiff cluster analyze`` can read an
export's ``articles.parquet`` directly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.parquet as pq

from . import __version__, tables

FORMATS = ("parquet", "jsonl")
#: Rows per Parquet row group (and per ``storydiff cluster analyze`` task when it reads an export's articles).
ROW_GROUP = 1000

_S, _T, _I = pa.string(), pa.large_string(), pa.int64()

SCHEMAS: dict[str, pa.Schema] = {
    "articles": tables.ARTICLES,
    "analyses": tables.ANALYSES,
    "entities": pa.schema([("article_id", _S), ("key", _S), ("name", _T), ("label", _S), ("corpus_key", _T),
                           ("acronym", _S), ("mentions", _I), ("forms", pa.list_(_T))]),
    "quotes": pa.schema([("article_id", _S), ("idx", _I), ("kind", _S), ("speaker", _T), ("speaker_entity", _S),
                         ("speaker_name", _T), ("resolution", _S), ("cue", _T), ("content", _T), ("start", _I),
                         ("end", _I)]),
    "facts": pa.schema([("article_id", _S), ("idx", _I), ("kind", _S), ("value", _T), ("qualifier", _T),
                        ("counted", _T), ("predicate", _T), ("granularity", _S), ("text", _T), ("start", _I),
                        ("end", _I)]),
    "duplicates": pa.schema([("a", _S), ("b", _S), ("kind", _S), ("similarity", pa.float64())]),
    "problems": tables.PROBLEMS,
    "runs": pa.schema([("id", _I), ("started_at", _S), ("finished_at", _S), ("command", _S),
                       ("inputs", pa.list_(_T)), ("status", _S), ("counts", _T)]),
    "events": pa.schema([("id", _S), ("storyline_id", _S), ("date", _S), ("record", _T)]),
    "event_members": pa.schema([("event_id", _S), ("article_id", _S), ("how", _S)]),
    "storylines": pa.schema([("id", _S), ("record", _T)]),
    "story_decisions": pa.schema([("id", _I), ("kind", _S), ("articles", pa.list_(_S)), ("others", pa.list_(_S)),
                                  ("note", _T), ("created_at", _S)]),
    "comparisons": pa.schema([("id", _S), ("articles", pa.list_(_S)), ("sources", _I), ("record", _T)]),
}
#: Columns that hold JSON text in Parquet and nested values in JSON Lines.
JSON_COLUMNS = {"analyses": ("record",), "runs": ("counts",), "events": ("record",), "storylines": ("record",),
                "comparisons": ("record",)}


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_store` wrote: rows per table, the files, and the tables skipped with the reason."""

    out: str
    formats: tuple[str, ...]
    rows: dict[str, int]
    files: tuple[str, ...]
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def table_rows(store, workers: int = 1) -> Iterator[tuple[str, Callable[[], Iterable[dict]] | None, str]]:
    """``(table, rows factory or None, why skipped)`` for every table, reading only through the Store protocol
    (``workers``: processes for the comparisons)."""
    yield "articles", lambda: (tables.article_row(a) for a in store.iter_articles()), ""
    yield "analyses", lambda: (tables.analysis_row(a) for a in store.iter_analyses()), ""
    yield "entities", store.iter_entity_rows, ""
    yield "quotes", store.iter_quote_rows, ""
    yield "facts", store.iter_fact_rows, ""
    yield "duplicates", lambda: ({"a": d.a, "b": d.b, "kind": d.kind, "similarity": d.similarity}
                                 for d in store.duplicate_links()), ""
    yield "problems", lambda: ({"locator": p.locator, "reason": p.reason, "detail": p.detail}
                               for p in store.problems()), ""
    yield "runs", lambda: ({"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at,
                            "command": r.command, "inputs": list(r.inputs), "status": r.status,
                            "counts": json.dumps(dict(r.counts))} for r in store.runs()), ""
    # the stories stage's tables: only in stores that have them
    if hasattr(store, "get_events"):
        yield "events", lambda: ({"id": e[0], "storyline_id": e[1], "date": e[2], "record": e[3]}
                                 for e in store.get_events()), ""
    else:
        yield "events", None, "this store has no events (get_events)"
    if hasattr(store, "get_events") and hasattr(store, "event_members"):
        yield "event_members", lambda: _event_members(store), ""
    else:
        yield "event_members", None, "this store has no events (event_members)"
    if hasattr(store, "get_storylines"):
        yield "storylines", lambda: ({"id": s[0], "record": s[1]} for s in store.get_storylines()), ""
    else:
        yield "storylines", None, "this store has no storylines (get_storylines)"
    if hasattr(store, "story_decisions"):
        yield "story_decisions", lambda: ({"id": d[0], "kind": d[1], "articles": list(d[2]), "others": list(d[3]),
                                           "note": d[4], "created_at": d[5]} for d in store.story_decisions()), ""
    else:
        yield "story_decisions", None, "this store has no story decisions (story_decisions)"
    if hasattr(store, "get_events") and hasattr(store, "event_members"):
        yield "comparisons", lambda: _comparison_rows(store, workers), ""
    else:
        yield "comparisons", None, ("this store has no events (get_events) to compare; `storydiff compare --json` "
                                    "compares given articles on demand")


def _comparison_rows(store, workers: int) -> Iterator[dict]:
    """The comparison of every event of two or more analysed articles, in event id order, computed now (a map over
    events: :func:`storydiff.compare.compare_groups` on ``workers`` processes)."""
    from .compare import compare_groups, comparison_record

    ids = [e[0] for e in store.get_events()]
    groups = []
    for start in range(0, len(ids), 500):
        members = store.event_members(ids[start:start + 500])
        groups.extend((eid, sorted(a for a, _ in members.get(eid, ()))) for eid in ids[start:start + 500]
                      if len(members.get(eid, ())) >= 2)
    for event_id, result in compare_groups(store, sorted(groups), workers=workers):
        yield {"id": event_id, "articles": list(result.article_ids), "sources": result.sources,
               "record": json.dumps(comparison_record(result), ensure_ascii=False)}


def _event_members(store) -> Iterator[dict]:
    ids = [e[0] for e in store.get_events()]
    for start in range(0, len(ids), 500):
        members = store.event_members(ids[start:start + 500])
        for event_id in ids[start:start + 500]:
            for article_id, how in members.get(event_id, ()):
                yield {"event_id": event_id, "article_id": article_id, "how": how}


def export_store(store, out: str, formats: Sequence[str] = FORMATS,
                 on_progress: Callable[[str, int], None] | None = None, *, workers: int = 1) -> ExportSummary:
    """Write every table of ``store`` to the folder ``out`` (local path or fsspec URL) in ``formats``
    (``parquet``, ``jsonl`` or both). Existing files of the same names are replaced. Raises ``ValueError`` for an
    unknown format. ``workers``: processes for the ``comparisons`` table (computed at export: every event of two
    or more analysed articles compared)."""
    formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"unknown export format {unknown or formats!r}: choose from {', '.join(FORMATS)}")
    started = time.perf_counter()
    fs, root = tables.filesystem(out)
    fs.makedirs(root, exist_ok=True)
    rows: dict[str, int] = {}
    files: list[str] = []
    skipped: dict[str, str] = {}
    for name, factory, why in table_rows(store, workers):
        if factory is None:
            skipped[name] = why
            continue
        rows[name], written = _write_table(fs, root, name, factory(), formats)
        files.extend(tables.unstrip(out, fs, path) for path in written)
        if on_progress:
            on_progress(name, rows[name])
    manifest = {"storydiff": __version__, "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "store": getattr(store, "url", None), "formats": list(formats), "rows": rows, "skipped": skipped,
                "json_columns": {k: list(v) for k, v in JSON_COLUMNS.items() if k in rows}}
    with fs.open(tables.join(root, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=1, ensure_ascii=False)
    return ExportSummary(out=str(out), formats=formats, rows=rows, files=tuple(files), skipped=skipped,
                         seconds=time.perf_counter() - started)


def _write_table(fs, root: str, name: str, rows: Iterable[dict], formats: Sequence[str]) -> tuple[int, list[str]]:
    schema = SCHEMAS[name]
    json_columns = JSON_COLUMNS.get(name, ())
    paths = {fmt: tables.join(root, f"{name}.{fmt}") for fmt in formats}
    parquet_handle = fs.open(paths["parquet"], "wb") if "parquet" in paths else None
    jsonl_handle = fs.open(paths["jsonl"], "w", encoding="utf-8") if "jsonl" in paths else None
    count = 0
    try:
        writer = pq.ParquetWriter(parquet_handle, schema) if parquet_handle is not None else None
        batch: list[dict] = []

        def flush() -> None:
            if writer is not None and batch:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            batch.clear()

        for row in rows:
            count += 1
            if jsonl_handle is not None:
                plain = dict(row)
                for column in json_columns:
                    if plain.get(column) is not None:
                        plain[column] = json.loads(plain[column])
                jsonl_handle.write(json.dumps(plain, ensure_ascii=False) + "\n")
            if writer is not None:
                batch.append(row)
                if len(batch) >= ROW_GROUP:
                    flush()
        flush()
        if writer is not None:
            writer.close()  # an empty table still gets a file with its schema
    finally:
        for handle in (parquet_handle, jsonl_handle):
            if handle is not None:
                handle.close()
    return count, list(paths.values())


__all__ = ["export_store", "ExportSummary", "SCHEMAS", "JSON_COLUMNS", "FORMATS", "ROW_GROUP"]
