"""storydiff: read many outlets' articles about one story and lay out, with evidence, where they agree and diverge.

The library is the product; the ``storydiff`` command is a thin client of it::

    from storydiff import open_store, ingest, write_report
    store = open_store("story.db")
    summary = ingest(["articles/"], store)
    write_report(store, "report")      # report.html + report.json
"""

__version__ = "0.1.0"

from .errors import InputError, MissingDependency, StoreError, StorydiffError  # noqa: E402
from .ingest import ingest  # noqa: E402
from .model import Article, ArticleRow, DuplicateLink, FieldOrigin, IngestSummary, Problem  # noqa: E402
from .report import build_report, render_html, write_report  # noqa: E402
from .store import open_store  # noqa: E402

__all__ = [
    "__version__",
    "Article", "ArticleRow", "DuplicateLink", "FieldOrigin", "IngestSummary", "Problem",
    "StorydiffError", "InputError", "StoreError", "MissingDependency",
    "ingest", "open_store", "build_report", "render_html", "write_report",
]
