"""Ingestion: inputs -> records -> clean articles -> the store, with duplicates found and problems named.

``ingest(paths, store)`` is the one entry point. Per-record work (decoding, HTML extraction, cleaning, metadata,
MinHash) is the pure map :func:`prepare_and_sign`, run in a process pool; the main process only reads inputs and
writes batches. Each batch is written atomically, and records whose input is unchanged are skipped before any work,
so an interrupted run is resumed by running the same command again: no duplicate, no loss.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..model import Article, IngestSummary, Problem, RawRecord
from . import dedup
from .prepare import prepare_record
from .sources import ReadPosition, iter_records, parse_field_map, total_bytes

BATCH_SIZE = 256


@dataclass(frozen=True, slots=True)
class Prepared:
    article: Article
    signature: bytes
    band_keys: tuple[int, ...]


def prepare_and_sign(record: RawRecord) -> Prepared | Problem:
    """The per-record map: clean the record and compute its near-duplicate signature."""
    result = prepare_record(record)
    if isinstance(result, Problem):
        return result
    sig, keys = dedup.signature(result.text)
    return Prepared(result, sig, tuple(keys))


@dataclass
class Progress:
    """What a progress callback is told after each batch."""

    bytes_done: int
    bytes_total: int | None
    read: int
    stored: int
    duplicates: int
    skipped: int


def chunked(items: Iterable, size: int) -> Iterator[list]:
    """Lists of ``size`` items (the last may be shorter), consuming ``items`` lazily."""
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ingest(paths: Sequence[str], store, *, field_map: Mapping[str, str] | Sequence[str] | None = None,
           workers: int | None = None, batch_size: int = BATCH_SIZE,
           on_progress: Callable[[Progress], None] | None = None, command: str = "ingest") -> IngestSummary:
    """Read every input in ``paths`` (files, directories, ``-`` for stdin) into ``store``.

    ``field_map`` maps canonical fields to JSON field names (``{"text": "story_body"}`` or ``["text=story_body"]``).
    ``workers`` is the number of processes for the per-record work (default: the CPU count; 1 = in this process).
    Returns an :class:`IngestSummary`; inputs that could not be read are in ``summary.problems`` and in the store.
    """
    if field_map is not None and not isinstance(field_map, Mapping):
        field_map = parse_field_map(list(field_map))
    started = time.perf_counter()
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    position = ReadPosition()
    total = total_bytes(list(paths)) if on_progress else None
    run_id = store.begin_run(command, list(paths))
    counts = {"read": 0, "stored": 0, "updated": 0, "unchanged": 0, "duplicates": 0}
    problems: list[Problem] = []
    pool = None
    status = "interrupted"
    try:
        records = iter_records(list(paths), field_map, position)
        pending = None  # (async result or list, problems of that chunk)
        for chunk in chunked(records, batch_size):
            chunk_problems = [p for p in chunk if isinstance(p, Problem)]
            raws = [r for r in chunk if isinstance(r, RawRecord)]
            counts["read"] += len(raws)
            known = store.known_raw_hashes([r.locator for r in raws])
            todo = [r for r in raws if known.get(r.locator) != r.raw_hash]
            counts["unchanged"] += len(raws) - len(todo)
            if pool is None and workers > 1 and len(todo) >= batch_size:
                pool = multiprocessing.get_context("fork").Pool(workers)
            if pool is not None:
                result = pool.map_async(prepare_and_sign, todo, chunksize=max(1, len(todo) // (workers * 4)))
            else:
                result = [prepare_and_sign(r) for r in todo]
            if pending is not None:
                _write(store, run_id, *pending, counts, problems)
                _report(on_progress, position, total, counts, problems)
            pending = (result, chunk_problems)
        if pending is not None:
            _write(store, run_id, *pending, counts, problems)
            _report(on_progress, position, total, counts, problems)
        status = "partial" if problems else "ok"
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        summary_counts = dict(counts, skipped=len(problems))
        store.finish_run(run_id, status, summary_counts)
    return IngestSummary(read=counts["read"], stored=counts["stored"], updated=counts["updated"],
                         unchanged=counts["unchanged"], duplicates=counts["duplicates"], problems=tuple(problems),
                         seconds=time.perf_counter() - started)


def write_prepared(store, batches: Iterable[tuple[Sequence[Prepared | Problem], Sequence[Problem]]], *,
                   inputs: Sequence[str] = (), command: str = "ingest") -> IngestSummary:
    """Store what :func:`prepare_and_sign` made elsewhere (on a cluster) exactly as :func:`ingest` stores it.

    ``batches`` yields ``(items, read_problems)``: the map's results for a run of records, in input order, and the
    problems met while reading those records. Each batch is written atomically; copies are found against the store
    and the earlier batches; an input already stored unchanged is counted ``unchanged`` and left alone.
    """
    started = time.perf_counter()
    run_id = store.begin_run(command, list(inputs))
    counts = {"read": 0, "stored": 0, "updated": 0, "unchanged": 0, "duplicates": 0}
    problems: list[Problem] = []
    status = "interrupted"
    try:
        for items, read_problems in batches:
            items = list(items)
            counts["read"] += len(items)
            _write(store, run_id, items, list(read_problems), counts, problems)
        status = "partial" if problems else "ok"
    finally:
        store.finish_run(run_id, status, dict(counts, skipped=len(problems)))
    return IngestSummary(read=counts["read"], stored=counts["stored"], updated=counts["updated"],
                         unchanged=counts["unchanged"], duplicates=counts["duplicates"], problems=tuple(problems),
                         seconds=time.perf_counter() - started)


def _write(store, run_id: int, result, chunk_problems: list[Problem], counts: dict, problems: list[Problem]) -> None:
    items = result.get() if hasattr(result, "get") else result
    batch = dedup.BatchIndex()
    articles: list[Article] = []
    signatures: dict[str, bytes] = {}
    keys: dict[str, tuple[int, ...]] = {}
    links = []
    batch_problems = list(chunk_problems)
    known = store.known_raw_hashes([i.article.locator for i in items if isinstance(i, Prepared)])
    for item in items:
        if isinstance(item, Problem):
            batch_problems.append(item)
            continue
        art = item.article
        if known.get(art.locator) == art.raw_hash or art.id in signatures:
            counts["unchanged"] += 1  # the same input given twice in one run
            continue
        found = dedup.find_links(art, item.signature, item.band_keys, store, batch)
        batch.add(art, item.signature, item.band_keys)
        articles.append(art)
        signatures[art.id] = item.signature
        keys[art.id] = item.band_keys
        links.extend(found)
        counts["updated" if art.locator in known else "stored"] += 1
        if found:
            counts["duplicates"] += 1
    store.write_batch(run_id, articles, signatures, keys, links, batch_problems)
    problems.extend(batch_problems)


def _report(on_progress, position: ReadPosition, total, counts: dict, problems: list) -> None:
    if on_progress is not None:
        on_progress(Progress(position.bytes_read(), total, counts["read"], counts["stored"] + counts["updated"],
                             counts["duplicates"], len(problems)))


__all__ = ["ingest", "prepare_and_sign", "write_prepared", "Prepared", "Progress", "parse_field_map", "BATCH_SIZE"]
