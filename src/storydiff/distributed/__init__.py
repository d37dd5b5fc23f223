"""The per-article stages on a Dask cluster, reading and writing Parquet (layouts and set-up: docs/distributed.md).

The cluster runs the very functions the local pipeline runs, one partition per task:
:func:`storydiff.ingest.prepare_and_sign` over raw records and :func:`storydiff.analysis.analyze_articles` over
articles (the spaCy model loaded once per worker). Corpus work that needs the whole store (finding copies across
the corpus, writing the store) stays with :func:`load_parquet`, which stores the results exactly as a local run
would::

    with connect("tcp://scheduler:8786") as client:      # or connect(workers=4): a local cluster started here
        ingest_to_parquet(["corpus/"], "s3://bucket/run1", client)
        analyze_parquet("s3://bucket/run1", client)
    load_parquet("s3://bucket/run1", open_store("storydiff.db"))

A dataset folder (a local path or any fsspec URL the workers can reach as well) holds::

    manifest.json                 what was written, from which inputs, by which storydiff version
    records/part-00000.parquet    raw records read from the inputs (tables.RECORDS)
    articles/part-00000.parquet   prepared articles with MinHash signatures (tables.SIGNED_ARTICLES)
    problems/read-00000.parquet   inputs that could not be read, from partition 0's stretch of input (tables.PROBLEMS)
    problems/prepare-00000.parquet  records of partition 0 that could not be prepared
    analyses/part-00000.parquet   analysis records (tables.ANALYSES)

Dask is imported only when a cluster is used: ``pip install 'storydiff[distributed]'``.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from .. import __version__, tables
from ..errors import ClusterError, MissingDependency
from ..model import IngestSummary, Problem, RawRecord
from . import tasks

#: Records per partition (one task each). A task of 1,000 news articles takes ~4 s to prepare and ~4 min to analyse
#: on one core: long enough to hide scheduling, short enough to balance and to retry.
PARTITION_SIZE = 1000
LAYOUT_VERSION = 1
MANIFEST = "manifest.json"
RECORDS, ARTICLES, PROBLEMS, ANALYSES = "records", "articles", "problems", "analyses"


@dataclass(frozen=True)
class ParquetIngestSummary:
    """What :func:`ingest_to_parquet` wrote: partitions, raw records read, articles prepared, and the number of
    inputs or records that could not be read or prepared (named in the ``problems`` files)."""

    partitions: int
    records: int
    articles: int
    problems: int
    seconds: float


@dataclass(frozen=True)
class ParquetAnalyzeSummary:
    partitions: int
    analyses: int
    seconds: float


@dataclass(frozen=True)
class LoadSummary:
    """What :func:`load_parquet` stored: the ingest summary of the articles (as ``storydiff ingest`` reports it),
    analyses written, and analyses skipped because the store already has them or their article's text changed."""

    ingest: IngestSummary
    analyses: int
    analyses_skipped: int
    seconds: float


@contextmanager
def connect(scheduler: str | None = None, *, workers: int | None = None, timeout: float = 20) -> Iterator:
    """A ``dask.distributed.Client``: to the running scheduler at ``scheduler`` (``tcp://host:8786``), or, when it
    is ``None``, to a local cluster of ``workers`` processes (default: the CPU count; one thread each, as spaCy
    parsing holds the GIL) started here and stopped on exit. ``timeout``: seconds to wait for the scheduler.
    Raises :class:`ClusterError` when the scheduler cannot be reached or a worker runs another storydiff version."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise MissingDependency("the distributed engine needs Dask: pip install 'storydiff[distributed]'") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=f"{timeout}s")
        else:
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=None)
            client = Client(cluster)
    except (OSError, TimeoutError) as err:
        if cluster is not None:
            cluster.close()
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler or 'a local cluster'}: {err}") from err
    try:
        check_workers(client)
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def check_workers(client) -> dict[str, str]:
    """``{worker address: storydiff version}``; raises :class:`ClusterError` unless every worker imports the
    same storydiff version as this process (the stage functions must be the same code everywhere)."""
    try:
        versions = client.run(tasks.worker_version)
    except Exception as err:  # whatever a worker raised, re-raised here: name it and stop before any work
        raise ClusterError(f"a worker cannot run storydiff ({type(err).__name__}: {err}); install the same "
                           f"storydiff {__version__} on every worker") from err
    wrong = {w: v for w, v in versions.items() if v != __version__}
    if wrong:
        raise ClusterError(f"workers run another storydiff version than {__version__}: {wrong}")
    if not versions:
        raise ClusterError("the cluster has no workers")
    return versions


def ingest_to_parquet(inputs: Sequence[str], out: str, client, *,
                      field_map: Mapping[str, str] | Sequence[str] | None = None,
                      partition_size: int = PARTITION_SIZE, overwrite: bool = False,
                      on_progress: Callable[[int, int], None] | None = None) -> ParquetIngestSummary:
    """Read ``inputs`` (files, folders, ``-``; as :func:`storydiff.ingest.ingest` reads them) into partitions of
    ``partition_size`` records under ``out`` and run :func:`storydiff.ingest.prepare_and_sign` over each on the
    cluster. This process reads the inputs (streaming: memory stays flat) and writes the ``records`` partitions;
    each is handed to the cluster as soon as it is written. Raises :class:`ClusterError` when ``out`` already holds
    a dataset (unless ``overwrite``) or a partition fails."""
    from ..ingest import chunked
    from ..ingest.sources import iter_records, parse_field_map

    if field_map is not None and not isinstance(field_map, Mapping):
        field_map = parse_field_map(list(field_map))
    started = time.perf_counter()
    _clear_output(out, [MANIFEST, RECORDS, ARTICLES, PROBLEMS, ANALYSES], overwrite)
    token = uuid.uuid4().hex[:8]
    futures = []
    read_problems = records = 0
    for index, chunk in enumerate(chunked(iter_records(list(inputs), field_map), partition_size)):
        raws = [r for r in chunk if isinstance(r, RawRecord)]
        problems = [p for p in chunk if isinstance(p, Problem)]
        records += len(raws)
        read_problems += len(problems)
        part = _part(index)
        tables.write_parquet(tables.records_table(raws), tables.join(out, RECORDS, part))
        tables.write_parquet(tables.problems_table(problems), tables.join(out, PROBLEMS, f"read-{index:05d}.parquet"))
        futures.append(client.submit(tasks.prepare_partition, tables.join(out, RECORDS, part),
                                     tables.join(out, ARTICLES, part),
                                     tables.join(out, PROBLEMS, f"prepare-{index:05d}.parquet"),
                                     key=f"storydiff-prepare-{token}-{index:05d}", retries=1))
    results = _gather(client, futures, on_progress)
    summary = ParquetIngestSummary(partitions=len(futures), records=records,
                                   articles=sum(r["articles"] for r in results),
                                   problems=read_problems + sum(r["problems"] for r in results),
                                   seconds=time.perf_counter() - started)
    _write_manifest(out, {"inputs": [str(i) for i in inputs], "partition_size": partition_size,
                          "ingest": asdict(summary)}, replace=True)
    return summary


def analyze_parquet(src: str, client, *, out: str | None = None, overwrite: bool = False,
                    batch_size: int | None = None,
                    on_progress: Callable[[int, int], None] | None = None) -> ParquetAnalyzeSummary:
    """Run :func:`storydiff.analysis.analyze_articles` over every article of ``src`` on the cluster, one task per
    file or row group, and write the records to ``out/analyses/`` (``out`` defaults to ``src``).

    ``src`` is a dataset folder made by :func:`ingest_to_parquet` (its ``articles/``), or a Parquet file or folder
    of files with the article columns, such as ``articles.parquet`` from ``storydiff export``."""
    started = time.perf_counter()
    units = article_units(src)
    if out is None:
        if not tables.is_dir(tables.join(src, ARTICLES)):
            raise ClusterError(f"{src} is not a storydiff dataset folder: give --out for the analyses")
        out = src
    _clear_output(out, [ANALYSES], overwrite)
    token = uuid.uuid4().hex[:8]
    futures = [client.submit(tasks.analyze_partition, url, groups, tables.join(out, ANALYSES, _part(index)),
                             batch_size, key=f"storydiff-analyze-{token}-{index:05d}", retries=1)
               for index, (url, groups) in enumerate(units)]
    results = _gather(client, futures, on_progress)
    summary = ParquetAnalyzeSummary(partitions=len(units), analyses=sum(r["analyses"] for r in results),
                                    seconds=time.perf_counter() - started)
    _write_manifest(out, {"analyze": dict(asdict(summary), source=str(src))})
    return summary


def article_units(src: str) -> list[tuple[str, list[int] | None]]:
    """The work units of ``src``'s articles: ``(file URL, row groups or None for the whole file)``, in order."""
    if tables.is_dir(tables.join(src, ARTICLES)):
        files = tables.list_parquet(tables.join(src, ARTICLES), "part-*.parquet")
    elif tables.is_dir(src):
        files = tables.list_parquet(src)
    elif tables.exists(src):
        files = [str(src)]
    else:
        raise ClusterError(f"no articles at {src}")
    units: list[tuple[str, list[int] | None]] = []
    for url in files:
        groups = tables.row_group_count(url)
        units.extend([(url, None)] if groups <= 1 else [(url, [g]) for g in range(groups)])
    return units


def load_parquet(src: str, store, *, analyses: bool = True,
                 on_progress: Callable[[str, int, int], None] | None = None) -> LoadSummary:
    """Store a dataset made by :func:`ingest_to_parquet` (and :func:`analyze_parquet`) as a local run would:
    articles, copies found against the store, problems, then the analyses of articles whose stored text they were
    computed from (and that have none of this stage version yet). Runs in this process: it is the one step that
    needs the whole store."""
    from ..analysis import STAGE, VERSION, store_analyses
    from ..ingest import Prepared, dedup, write_prepared

    started = time.perf_counter()
    parts = tables.list_parquet(tables.join(src, ARTICLES), "part-*.parquet")
    if not parts and not tables.exists(tables.join(src, MANIFEST)):
        raise ClusterError(f"{src} holds no storydiff dataset (no {ARTICLES}/part-*.parquet)")

    def batches():
        for done, url in enumerate(parts):
            index = url.rsplit("part-", 1)[1].split(".", 1)[0]
            table = tables.read_parquet(url)
            items: list = []
            for article, signature in zip(tables.articles_from_table(table), tables.signatures_from_table(table),
                                          strict=True):
                minhash, keys = signature or dedup.signature(article.text)
                items.append(Prepared(article, minhash, tuple(keys)))
            items.extend(_problems(tables.join(src, PROBLEMS, f"prepare-{index}.parquet")))
            yield items, _problems(tables.join(src, PROBLEMS, f"read-{index}.parquet"))
            if on_progress:
                on_progress("articles", done + 1, len(parts))

    summary = write_prepared(store, batches(), inputs=[str(src)], command="cluster load")
    written = skipped = 0
    analysis_parts = tables.list_parquet(tables.join(src, ANALYSES), "part-*.parquet") if analyses else []
    if analysis_parts:
        pending = set(store.pending_analysis(STAGE, VERSION))
        for done, url in enumerate(analysis_parts):
            records = tables.analyses_from_table(tables.read_parquet(url))
            wanted = [a for a in records if a.article_id in pending and (a.stage, a.version) == (STAGE, VERSION)]
            current = {a.id: a.text_hash for a in store.iter_articles([a.article_id for a in wanted])}
            fresh = []
            for analysis in wanted:
                if current.get(analysis.article_id) == analysis.text_hash and analysis.article_id in pending:
                    pending.discard(analysis.article_id)
                    fresh.append(analysis)
            store_analyses(store, fresh)
            written += len(fresh)
            skipped += len(records) - len(fresh)
            if on_progress:
                on_progress("analyses", done + 1, len(analysis_parts))
    return LoadSummary(ingest=summary, analyses=written, analyses_skipped=skipped,
                       seconds=time.perf_counter() - started)


# --- helpers


def _part(index: int) -> str:
    return f"part-{index:05d}.parquet"




def _problems(url: str) -> list[Problem]:
    return tables.problems_from_table(tables.read_parquet(url)) if tables.exists(url) else []


def _gather(client, futures: list, on_progress) -> list[dict]:
    """Every future's result, in submission order; a failed partition raises :class:`ClusterError`."""
    from dask.distributed import as_completed

    order = {f.key: i for i, f in enumerate(futures)}
    results: list = [None] * len(futures)
    done = 0
    for future in as_completed(futures):
        try:
            results[order[future.key]] = future.result()
        except Exception as err:  # a worker's exception, re-raised here by Dask: name the partition and stop
            for other in futures:
                other.cancel()
            raise ClusterError(f"partition {order[future.key]} failed on the cluster "
                               f"({type(err).__name__}: {err})") from err
        done += 1
        if on_progress:
            on_progress(done, len(futures))
    return results


def _clear_output(out: str, names: Sequence[str], overwrite: bool) -> None:
    """Refuse to mix a new run's partitions with an old one's: stop, or with ``overwrite`` delete them first."""
    fs, path = tables.filesystem(out)
    present = [n for n in names if fs.exists(tables.join(path, n))]
    if present and not overwrite:
        raise ClusterError(f"{out} already holds {', '.join(present)} from an earlier run: choose another folder or "
                           "overwrite")
    for name in present:
        fs.rm(tables.join(path, name), recursive=True)
    fs.makedirs(path, exist_ok=True)


def _write_manifest(out: str, update: dict, replace: bool = False) -> None:
    fs, path = tables.filesystem(out)
    target = tables.join(path, MANIFEST)
    manifest: dict = {}
    if not replace and fs.exists(target):
        with fs.open(target, "r") as handle:
            manifest = json.load(handle)
    manifest.update({"layout": LAYOUT_VERSION, "storydiff": __version__,
                     "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    manifest.update(update)
    with fs.open(target, "w") as handle:
        json.dump(manifest, handle, indent=1, ensure_ascii=False)


__all__ = ["connect", "check_workers", "ingest_to_parquet", "analyze_parquet", "load_parquet", "article_units",
           "ParquetIngestSummary", "ParquetAnalyzeSummary", "LoadSummary", "PARTITION_SIZE"]
