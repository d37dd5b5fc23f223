"""Bad inputs become Problems with a clear reason; the good inputs of the same run are still stored."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from conftest import BAD, INPUTS, locator_of
from make_fixtures import make_huge
from storydiff import ingest
from storydiff.ingest.sources import MAX_DOCUMENT_BYTES
from storydiff.store.sqlite import SQLiteStore

TRUNCATED_WARC_FIRST = "urn:uuid:00000000-0000-4000-8000-000000000003"
TRUNCATED_WARC_CUT = "urn:uuid:00000000-0000-4000-8000-000000000004"


@pytest.fixture(scope="module")
def huge_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("huge") / "huge.txt"
    make_huge(path, MAX_DOCUMENT_BYTES + 1024 * 1024)
    return path


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory, huge_file):
    """tests/data/bad, one good file, a huge file and a path that does not exist, in one run."""
    folder = tmp_path_factory.mktemp("bad")
    store = SQLiteStore(folder / "store.db")
    missing = folder / "no-such-file.txt"
    summary = ingest([str(BAD), str(INPUTS / "plain/council.txt"), str(huge_file), str(missing)], store,
                     workers=1)
    articles = {a.locator: a for a in store.iter_articles()}
    yield summary, articles, store.problems(), missing
    store.close()


def problems_for(problems, locator: str):
    return [p for p in problems if p.locator == locator or p.locator.startswith(locator + "#")]


# (file in tests/data/bad, reason, a word of the detail)
FILE_PROBLEMS = [
    ("empty.txt", "empty file", "0 bytes"),
    ("whitespace.txt", "empty file", "whitespace"),
    ("binary.bin", "binary file", "control bytes"),
    ("image.png", "unsupported file type", "PNG image"),
    ("doc.pdf", "unsupported file type", "PDF document"),
    ("truncated.txt.gz", "truncated or corrupt gzip stream", "end-of-stream"),
    ("malformed.html", "no article text", "words of body text"),
    ("garbage.warc", "not a WARC file", "first line"),
    ("unknown.xyz", "unsupported file type", "zip archive"),
]


@pytest.mark.parametrize("name, reason, detail", FILE_PROBLEMS, ids=[r[0] for r in FILE_PROBLEMS])
def test_bad_file_is_a_problem(bad_run, name, reason, detail):
    summary, articles, stored_problems, _ = bad_run
    loc = locator_of(BAD / name)
    found = problems_for(summary.problems, loc)
    assert [(p.locator, p.reason) for p in found] == [(loc, reason)]
    assert detail in found[0].detail
    assert problems_for(stored_problems, loc) == found  # the store keeps them too (storydiff problems)
    assert not [a for a in articles if a.startswith(loc)]


def test_huge_file_is_too_large(bad_run, huge_file):
    summary, articles, _, _ = bad_run
    [problem] = problems_for(summary.problems, locator_of(huge_file))
    assert problem.reason == "too large"
    assert "20 MiB" in problem.detail
    assert locator_of(huge_file) not in articles


def test_missing_path(bad_run):
    summary, _, _, missing = bad_run
    [problem] = [p for p in summary.problems if p.locator == str(missing)]
    assert problem.reason == "no such file or directory"


def test_truncated_warc_keeps_the_first_article(bad_run):
    summary, articles, _, _ = bad_run
    base = locator_of(BAD / "truncated.warc.gz")
    first = articles[f"{base}#{TRUNCATED_WARC_FIRST}"]
    assert first.title == "Norhaven posts budget surplus for second year running"
    assert [loc for loc in articles if loc.startswith(base)] == [f"{base}#{TRUNCATED_WARC_FIRST}"]
    [problem] = problems_for(summary.problems, base)
    assert problem.locator == f"{base}#{TRUNCATED_WARC_CUT}"  # the cut record is named
    assert problem.reason == "truncated WARC record"
    assert "2451" in problem.detail  # its declared length


def test_malformed_jsonl_per_line(bad_run):
    summary, articles, _, _ = bad_run
    base = locator_of(BAD / "malformed.jsonl")
    assert sorted(loc for loc in articles if loc.startswith(base)) == [f"{base}#L1", f"{base}#L3"]
    found = sorted((p.locator, p.reason) for p in problems_for(summary.problems, base))
    assert found == [(f"{base}#L2", "malformed JSON line"), (f"{base}#L4", "no article text"),
                     (f"{base}#L5", "not a JSON object")]


def test_latin1_is_decoded_not_a_problem(bad_run):
    summary, articles, _, _ = bad_run
    loc = locator_of(BAD / "latin1.txt")
    assert not problems_for(summary.problems, loc)
    art = articles[loc]
    assert art.title == "Zürich café chain opens its first Norhaven branch"
    for word in ("Café Brändli", "Norhaven’s old harbour master’s office", "“Norhaven Nusstorte”", "Renée",
                 "Joël Martin", "Françoise Dubois", "that’s close enough"):
        assert word in art.text, word
    assert "\ufffd" not in art.text
    [note] = art.notes
    assert "decoded as cp125" in note and "not UTF-8" in note


def test_good_files_in_the_same_run_are_stored(bad_run):
    summary, articles, _, _ = bad_run
    assert locator_of(INPUTS / "plain/council.txt") in articles
    assert summary.stored == len(articles) == 5  # council, latin1, 2 JSON lines, the WARC's first record
    assert summary.skipped == len(summary.problems) == len(FILE_PROBLEMS) + 1 + 1 + 3 + 1  # + huge, warc, 3 lines, missing


def test_fixing_a_bad_file_clears_its_problem(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "story.txt"
    path.write_bytes(b"")
    summary = ingest(["story.txt"], store, workers=1)  # a relative path: named by its absolute path all the same
    assert [(p.locator, p.reason) for p in store.problems()] == [(locator_of(path), "empty file")]
    shutil.copy(INPUTS / "plain/council.txt", path)
    summary = ingest(["story.txt"], store, workers=1)
    assert summary.stored == 1 and not summary.problems
    assert store.problems() == []


def test_truncated_gzip_jsonl_keeps_complete_lines(store, tmp_path):
    data = gzip.compress((INPUTS / "jsonl/articles.jsonl").read_bytes(), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    summary = ingest([str(path)], store, workers=1)
    assert 1 <= summary.stored < 4
    assert [p.reason for p in summary.problems][-1] in ("truncated or corrupt gzip stream", "truncated JSON line")


# --- the command line

def test_exit_code_3_when_something_was_skipped(cli):
    result = cli("ingest", str(BAD), str(INPUTS / "plain/council.txt"), "--workers", "1", "--json")
    assert result.exit_code == 3
    summary = json.loads(result.stdout)
    assert summary["stored"] == 5
    assert summary["skipped"] == len(summary["problems"]) == len(FILE_PROBLEMS) + 1 + 3
    reasons = {(p["input"], p["reason"]) for p in summary["problems"]}
    assert (locator_of(BAD / "doc.pdf"), "unsupported file type") in reasons
    assert (locator_of(BAD / "malformed.jsonl", "L2"), "malformed JSON line") in reasons
    listed = cli("problems", "--json")
    assert listed.exit_code == 0
    assert {json.loads(line)["reason"] for line in listed.stdout.splitlines()} == {r for _, r in reasons}


def test_exit_code_0_when_all_good(cli):
    result = cli("ingest", str(INPUTS / "plain"), "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["stored"], summary["skipped"], summary["problems"]) == (4, 0, [])
    listed = cli("problems")
    assert listed.stdout == "" and "No problems" in listed.stderr   # said, not a silent empty answer
    assert cli("problems", "--json").output == ""


@pytest.mark.parametrize("args", [
    ("ingest",),                         # no path
    ("ingest", "x.txt", "--no-such-option"),
    ("ingest", "x.txt", "--workers", "many"),
    ("no-such-command",),
])
def test_exit_code_2_for_usage_errors(cli, args):
    result = cli(*args)
    assert result.exit_code == 2
    assert "Usage:" in result.output


def test_quiet_prints_nothing_on_stdout(cli):
    result = cli("ingest", str(BAD / "empty.txt"), str(INPUTS / "plain/council.txt"), "--workers", "1", "--quiet")
    assert result.exit_code == 3
    assert result.stdout == ""


def test_summary_names_the_problems(cli, tmp_path):
    # a long path (as on CI) must come out whole, on one line, so a user can copy it
    deep = tmp_path / ("a" * 60) / ("b" * 60)
    deep.mkdir(parents=True)
    (deep / "doc.pdf").write_bytes((BAD / "doc.pdf").read_bytes())
    result = cli("ingest", str(deep / "doc.pdf"), "--workers", "1")
    assert result.exit_code == 3
    assert f"{deep / 'doc.pdf'}: unsupported file type" in result.output


@pytest.mark.parametrize("args", [
    ("articles",), ("search", "genocide"), ("problems",), ("analyze",), ("compare",), ("stories",),
    ("stories", "update"), ("report", "--out", "r"), ("export", "--out", "x"),
])
def test_a_command_that_reads_a_store_that_is_not_there_says_so_and_creates_nothing(cli, tmp_path, args):
    missing = tmp_path / "no-such-dir" / "typo.db"
    result = cli(*args, db=missing)
    assert result.exit_code == 1
    assert f"no store at {missing}" in result.output and "ingest" in result.output
    assert not missing.parent.exists()


def test_ingest_makes_the_store(cli, tmp_path):
    made = tmp_path / "new-dir" / "new.db"
    assert cli("ingest", str(INPUTS / "plain/council.txt"), "--workers", "1", "--quiet", db=made).exit_code == 0
    assert made.exists()
    assert cli("articles", "--json", db=made).exit_code == 0   # and reading it works from then on
