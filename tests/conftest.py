"""Shared fixtures: the fixture folders, a fresh store, the CLI in-process and as a real subprocess, a store dump."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from storydiff.cli import main
from storydiff.ingest.prepare import article_id
from storydiff.store.sqlite import SQLiteStore

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DATA = TESTS / "data"
INPUTS = DATA / "inputs"
BAD = DATA / "bad"
SEEDS = ROOT / "examples" / "seeds"

if str(TESTS) not in sys.path:  # for ``from make_fixtures import make_huge``
    sys.path.insert(0, str(TESTS))

#: Tables compared by :func:`dump` (``runs`` is left out: each run adds a row by design).
DUMP_TABLES = ("articles", "signatures", "lsh_bands", "duplicates", "problems")
#: Columns that say *when* a row was written rather than what it holds (they differ between an interrupted and an
#: uninterrupted run, and a re-read problem is stamped with the latest run that saw it). ``rowid`` is SQLite's.
BOOKKEEPING_COLUMNS = ("rowid", "run_id")


def locator_of(path: Path | str, fragment: str = "") -> str:
    """The locator storydiff gives an input file (its absolute path), plus ``#fragment`` for a line/record."""
    loc = str(Path(path).resolve())
    return f"{loc}#{fragment}" if fragment else loc


def id_of(path: Path | str, fragment: str = "") -> str:
    return article_id(locator_of(path, fragment))


def dump_connection(conn: sqlite3.Connection, *, bookkeeping: bool = False) -> dict[str, list[tuple]]:
    """Every row of the compared tables, sorted, as plain tuples (``bookkeeping`` keeps rowid/run_id)."""
    out: dict[str, list[tuple]] = {}
    for table in DUMP_TABLES:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
        if not bookkeeping:
            columns = [c for c in columns if c not in BOOKKEEPING_COLUMNS]
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        out[table] = sorted(rows, key=repr)
    return out


def dump(store_or_path, *, bookkeeping: bool = False) -> dict[str, list[tuple]]:
    """Dump a store (an open :class:`SQLiteStore`, or a database path opened read-only)."""
    if isinstance(store_or_path, SQLiteStore):
        return dump_connection(store_or_path.conn, bookkeeping=bookkeeping)
    conn = sqlite3.connect(f"file:{store_or_path}?mode=ro", uri=True)
    try:
        return dump_connection(conn, bookkeeping=bookkeeping)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def inputs_dir() -> Path:
    return INPUTS


@pytest.fixture(scope="session")
def bad_dir() -> Path:
    return BAD


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture
def store(tmp_path):
    """A fresh SQLite store in a temporary folder, closed after the test."""
    s = SQLiteStore(tmp_path / "store.db")
    yield s
    s.close()


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click 8.1: keep stderr apart from stdout
    except TypeError:
        return CliRunner()  # click >= 8.2: stdout and stderr are always captured apart


@pytest.fixture
def cli(tmp_path):
    """Run the CLI in-process: ``cli("ingest", path, input=..., db=...)`` -> click Result.

    ``--db`` defaults to a database in this test's tmp_path (``cli.db``); ``raw=True`` passes the arguments exactly
    as written, with no ``--db`` added.
    """
    runner = _runner()
    default_db = tmp_path / "cli.db"

    def run(*args: str, input: str | bytes | None = None, db: Path | str | None = None, raw: bool = False):
        argv = list(args) if raw else ["--db", str(db or default_db), *args]
        return runner.invoke(main, argv, input=input, catch_exceptions=False, env={"STORYDIFF_DB": None})

    run.db = default_db
    return run


def storydiff_command(script: bool = False) -> list[str]:
    """``python -m storydiff.cli``, or the installed ``storydiff`` console script (``script=True``)."""
    if script:
        exe = Path(sys.executable).with_name("storydiff")
        if not exe.exists():
            pytest.skip("the storydiff console script is not installed next to this Python")
        return [str(exe)]
    return [sys.executable, "-m", "storydiff.cli"]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("STORYDIFF_DB", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def run_storydiff(tmp_path):
    """Run storydiff as a real process: ``run_storydiff("ingest", path, db=..., script=False)``.

    Returns :class:`subprocess.CompletedProcess` (text mode). Never goes to the network; fails after ``timeout``.
    """
    def run(*args: str, db: Path | str | None = None, input: str | None = None, script: bool = False,
            timeout: float = 120):
        argv = storydiff_command(script)
        if db is not None:
            argv += ["--db", str(db)]
        return subprocess.run(argv + list(args), input=input, capture_output=True, text=True, timeout=timeout,
                              cwd=tmp_path, env=subprocess_env())

    return run
