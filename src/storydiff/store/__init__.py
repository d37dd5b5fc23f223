"""Storage. ``open_store(url)`` picks a backend from the URL; everything else talks to the :class:`Store` protocol.

- a file path, ``sqlite:///path`` or ``:memory:`` -> :class:`SQLiteStore` (the default, ``storydiff.db``)
- ``postgresql://...`` (or ``postgres://``) -> :class:`PostgresStore` (needs ``pip install 'storydiff[postgres]'``)
"""

from __future__ import annotations

import os

from ..errors import StoreError
from .base import Candidate, Run, SearchHit, Store
from .sqlite import SCHEMA_VERSION, SQLiteStore

DEFAULT_DB = "storydiff.db"


def open_store(url: str | os.PathLike | None = None) -> Store:
    """Open (and migrate) the store at ``url``; ``None`` means ``$STORYDIFF_DB`` or ``storydiff.db``."""
    target = str(url) if url is not None else os.environ.get("STORYDIFF_DB", DEFAULT_DB)
    if target.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore
        return PostgresStore(target)
    if target.startswith("sqlite:///"):
        target = target[len("sqlite:///"):]
    elif "://" in target:
        raise StoreError(f"unknown store URL {target!r}: give a file path or sqlite:///path")
    return SQLiteStore(target)


__all__ = ["open_store", "Store", "SQLiteStore", "Candidate", "Run", "SearchHit", "SCHEMA_VERSION", "DEFAULT_DB"]
