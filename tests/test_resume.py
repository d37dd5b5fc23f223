"""Kill an ingest with SIGKILL half way, run the same command again: the store ends up as if never interrupted."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import dump, subprocess_env
from storydiff.ingest import BATCH_SIZE

SEED = 20240601
WORDS_PER_PARAGRAPH = 50  # three paragraphs: ~150 words an article
EXACT_COPIES = (5, 700, 1500, 2200, 2990)  # a copy of each of these is appended at the end (and one right after)
NEAR_COPIES = (10, 1200, 2500)  # copies with a few words changed


def make_corpus(path: Path, articles: int) -> dict:
    """JSON Lines of ``articles`` distinct random-word articles plus exact and near copies (fixed seed)."""
    rng = random.Random(SEED)
    vocab = sorted({"".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
                    for _ in range(6000)})
    records = []
    for i in range(articles):
        paragraphs = []
        for _ in range(3):
            words = [rng.choice(vocab) for _ in range(WORDS_PER_PARAGRAPH)]
            paragraphs.append(" ".join(words).capitalize() + ".")
        records.append({"title": f"Story {i}", "text": "\n\n".join(paragraphs), "outlet": f"Outlet {i % 7}",
                        "date": f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}", "url": f"https://news{i % 7}.test/{i}"})
    exact = [i for i in EXACT_COPIES if i < articles]
    near = [i for i in NEAR_COPIES if i < articles]
    records.insert(exact[0] + 1, dict(records[exact[0]], url="https://copy.test/early"))  # same batch as original
    for i in exact[1:]:
        records.append(dict(records[i], url=f"https://copy.test/{i}"))
    for i in near:
        words = records[i]["text"].split(" ")
        for k in (20, 60, 100):
            words[k] = "changed"
        records.append(dict(records[i], text=" ".join(words), url=f"https://near.test/{i}"))
    with path.open("w", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec) + "\n")
    return {"lines": len(records), "exact": len(exact), "near": len(near)}


def command(db: Path, corpus: Path) -> list[str]:
    script = Path(sys.executable).with_name("storydiff")
    prog = [str(script)] if script.exists() else [sys.executable, "-m", "storydiff.cli"]
    return prog + ["--db", str(db), "ingest", str(corpus), "--workers", "2", "--quiet"]


def start(db: Path, corpus: Path, cwd: Path) -> subprocess.Popen:
    # a session of its own, so that SIGKILL reaches the worker processes too (as when a machine goes down)
    return subprocess.Popen(command(db, corpus), cwd=cwd, env=subprocess_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def committed(db: Path) -> int:
    """Articles committed so far, read by a read-only connection (0 while the store does not exist yet)."""
    if not db.exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def kill_half_way(db: Path, corpus: Path, cwd: Path, lines: int) -> int | None:
    """Start an ingest, SIGKILL it once some batches are committed; None if it finished first."""
    proc = start(db, corpus, cwd)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            n = committed(db)
            if n >= 2 * BATCH_SIZE:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return n
            if proc.poll() is not None:
                return None
            time.sleep(0.01)
        pytest.fail("ingest made no progress in 300 s")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def test_kill_and_resume(tmp_path):
    articles = 3000
    for _attempt in range(3):
        corpus = tmp_path / f"corpus-{articles}.jsonl"
        shape = make_corpus(corpus, articles)
        killed_db, reference_db = tmp_path / f"killed-{articles}.db", tmp_path / f"reference-{articles}.db"
        # the uninterrupted run, alongside
        reference = start(reference_db, corpus, tmp_path)
        try:
            at_kill = kill_half_way(killed_db, corpus, tmp_path, shape["lines"])
        except BaseException:
            os.killpg(reference.pid, signal.SIGKILL)
            raise
        finally:
            ref_out, ref_err = reference.communicate(timeout=600)
        assert reference.returncode == 0, ref_err.decode()
        if at_kill is not None:
            break
        articles *= 2  # finished before it could be killed: a bigger corpus
    else:
        pytest.fail("ingest always finished before it could be killed")

    # the killed store is intact and holds whole batches only
    conn = sqlite3.connect(killed_db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        n_killed = conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        runs = conn.execute("SELECT status, finished_at FROM runs").fetchall()
    finally:
        conn.close()
    assert 0 < n_killed < shape["lines"]
    assert runs == [("running", None)]  # the interrupted run is visible as such

    # the same command again, to completion
    resumed = subprocess.run(command(killed_db, corpus), cwd=tmp_path, env=subprocess_env(), capture_output=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert resumed.stdout == b""  # --quiet

    got, want = dump(killed_db), dump(reference_db)
    assert len(want["articles"]) == shape["lines"]
    for table in want:
        assert len(got[table]) == len(set(got[table])), f"duplicate rows in {table}"
        assert got[table] == want[table], table
    conn = sqlite3.connect(f"file:{reference_db}?mode=ro", uri=True)
    try:
        kinds = dict(conn.execute("SELECT kind, COUNT(*) FROM duplicates GROUP BY kind").fetchall())
        assert conn.execute("SELECT COUNT(*) FROM problems").fetchone()[0] == 0
    finally:
        conn.close()
    assert kinds == {"exact": shape["exact"], "near": shape["near"]}
    conn = sqlite3.connect(f"file:{killed_db}?mode=ro", uri=True)
    try:
        runs = conn.execute("SELECT status, counts FROM runs ORDER BY id").fetchall()
    finally:
        conn.close()
    assert [status for status, _ in runs] == ["running", "ok"]
    counts = json.loads(runs[1][1])
    assert counts["stored"] == shape["lines"] - n_killed  # nothing stored twice, nothing lost
    assert counts["unchanged"] >= n_killed
