"""What a cluster worker runs: one partition file in, one partition file out, through the local stage functions.

These functions live in an importable module on purpose: Dask ships them to workers by reference, so the spaCy
pipeline cached by :func:`storydiff.analysis.load_nlp` is loaded once per worker process and reused by every later
partition (a function defined in ``__main__`` is pickled by value and reloaded the model for each partition).
"""

from __future__ import annotations

from collections.abc import Sequence

from .. import tables


def prepare_partition(records_url: str, articles_url: str, problems_url: str) -> dict[str, int]:
    """:func:`storydiff.ingest.prepare_and_sign` over one records partition.

    Writes the prepared articles with their signatures (:data:`storydiff.tables.SIGNED_ARTICLES`) to
    ``articles_url`` and the records that could not be prepared to ``problems_url`` (both always, possibly empty:
    the pair marks the partition done). Returns the counts.
    """
    from ..ingest import Prepared, prepare_and_sign

    records = tables.records_from_table(tables.read_parquet(records_url))
    prepared, problems = [], []
    for record in records:
        result = prepare_and_sign(record)
        (prepared if isinstance(result, Prepared) else problems).append(result)
    tables.write_parquet(tables.articles_table([p.article for p in prepared],
                                               [(p.signature, p.band_keys) for p in prepared]), articles_url)
    tables.write_parquet(tables.problems_table(problems), problems_url)
    return {"records": len(records), "articles": len(prepared), "problems": len(problems)}


def analyze_partition(articles_url: str, row_groups: Sequence[int] | None, analyses_url: str,
                      batch_size: int | None = None) -> dict[str, int]:
    """:func:`storydiff.analysis.analyze_articles` over one articles partition (a file, or some of its row
    groups); writes the :class:`~storydiff.model.Analysis` records (:data:`storydiff.tables.ANALYSES`) to
    ``analyses_url`` in the articles' order. Returns the counts."""
    from ..analysis import BATCH_SIZE, analyze_articles

    articles = tables.articles_from_table(tables.read_parquet(articles_url, row_groups))
    analyses = list(analyze_articles(articles, batch_size=batch_size or BATCH_SIZE))
    tables.write_parquet(tables.analyses_table(analyses), analyses_url)
    return {"articles": len(articles), "analyses": len(analyses)}


def worker_version() -> str:
    """The storydiff version a worker imports (checked before a run: every worker needs the same code)."""
    from .. import __version__

    return __version__
