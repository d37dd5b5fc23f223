"""The exceptions storydiff raises.

    StorydiffError
    ├── InputError            an input cannot be read (its reason becomes a Problem; the run goes on)
    │   ├── UnsupportedInput  a file type storydiff does not read
    │   └── InputTooLarge     over the documented size limit
    ├── StoreError            the store cannot be opened, migrated or written
    ├── ClusterError          a distributed run cannot start or a partition failed on the cluster
    └── MissingDependency     an optional package is needed; the message names the pip install

Input errors never stop a run: readers turn them into :class:`storydiff.model.Problem` records.
"""

from __future__ import annotations


class StorydiffError(Exception):
    """Base class of every storydiff error."""


class InputError(StorydiffError):
    """An input could not be read. ``reason`` is a short stable code, ``str(err)`` the human explanation."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class UnsupportedInput(InputError):
    """A file of a type storydiff does not read."""


class InputTooLarge(InputError):
    """An input over the size limit (see ``storydiff.ingest.sources.MAX_DOCUMENT_BYTES``)."""


class StoreError(StorydiffError):
    """The store could not be opened, migrated or written."""


class ClusterError(StorydiffError):
    """A distributed run could not reach its cluster or its output, or a partition failed there."""


class MissingDependency(StorydiffError):
    """An optional dependency is not installed; the message says what to ``pip install``."""
