"""storydiff export: every table as Parquet and JSON Lines, read back with pyarrow (and DuckDB when installed)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from storydiff import ingest, tables
from storydiff.analysis import analyze
from storydiff.export import SCHEMAS, export_store
from storydiff.store import open_store
from storydiff.store.codec import analysis_from_json
from storydiff.stories import list_events, update_stories

ROOT = Path(__file__).resolve().parent.parent
ALWAYS = ("articles", "analyses", "entities", "quotes", "facts", "duplicates", "problems", "runs")


@pytest.fixture(scope="module")
def seeds_store(tmp_path_factory):
    """The seeds and the copies fixture (so that duplicates has rows), analysed, plus one broken input."""
    folder = tmp_path_factory.mktemp("export")
    store = open_store(folder / "store.db")
    ingest([str(ROOT / "examples" / "seeds"), str(ROOT / "tests" / "data" / "inputs" / "dupes"),
            str(ROOT / "tests" / "data" / "bad" / "doc.pdf")], store, workers=1)
    analyze(store, workers=1)
    update_stories(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def exported(seeds_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "export"
    return out, export_store(seeds_store, str(out))


def test_every_table_in_both_formats_with_the_store_counts(seeds_store, exported):
    out, summary = exported
    analyses = list(seeds_store.iter_analyses())
    expected = {
        "articles": seeds_store.count_articles(), "analyses": len(analyses),
        "entities": sum(len(a.entities) for a in analyses), "quotes": sum(len(a.quotes) for a in analyses),
        "facts": sum(len(a.facts) for a in analyses), "duplicates": len(seeds_store.duplicate_links()),
        "problems": len(seeds_store.problems()), "runs": len(seeds_store.runs()),
    }
    assert expected["duplicates"] > 0 and expected["problems"] == 1 and expected["quotes"] > 0
    for name, rows in expected.items():
        assert summary.rows[name] == rows, name
        table = pq.read_table(out / f"{name}.parquet")
        assert table.num_rows == rows and table.schema.names == SCHEMAS[name].names, name
        lines = (out / f"{name}.jsonl").read_text("utf-8").splitlines()
        assert len(lines) == rows, name
        for line in lines:
            assert set(json.loads(line)) == set(SCHEMAS[name].names)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["rows"] == summary.rows and not manifest["skipped"]


def test_comparisons_table_compares_every_multi_article_event(seeds_store, exported):
    out, summary = exported
    events = {e["id"]: sorted(a["id"] for a in e["articles"]) for e in list_events(seeds_store, min_articles=2)}
    assert events, "the seeds make at least one event of two or more articles"
    rows = pq.read_table(out / "comparisons.parquet").to_pylist()
    assert summary.rows["comparisons"] == len(rows) == len(events)
    assert [r["id"] for r in rows] == sorted(events)
    lines = [json.loads(line) for line in (out / "comparisons.jsonl").read_text("utf-8").splitlines()]
    for row, line in zip(rows, lines):
        assert row["articles"] == events[row["id"]] == line["articles"] == line["record"]["article_ids"]
        assert json.loads(row["record"]) == line["record"] and 1 <= row["sources"] <= len(row["articles"])
    # the vote of seed 001 (169 to 1) is a claim of some fact row, its evidence a span of the article's text
    claims = [c for line in lines for r in line["record"]["rows"] for c in r["claims"]]
    tally = next(c for c in claims if c["value"] == "169-1")
    span = tally["evidence"]
    assert seeds_store.get_article(tally["article_id"]).text[span["start"]:span["end"]] == span["text"]
    statuses = {r["status"] for line in lines for r in line["record"]["rows"]}
    assert statuses <= {"corroborated", "single-source", "conflicting", "differing-estimates", "variants"}


def test_comparisons_are_the_same_on_two_workers(seeds_store, exported, tmp_path):
    out, _ = exported
    again = export_store(seeds_store, str(tmp_path / "two"), ("jsonl",), workers=2)
    assert again.rows["comparisons"] > 0
    assert (tmp_path / "two" / "comparisons.jsonl").read_text("utf-8") == \
        (out / "comparisons.jsonl").read_text("utf-8")


def test_values_read_back(seeds_store, exported):
    out, _ = exported
    # articles: the same records, so an export is also an input of `storydiff cluster analyze`
    articles = tables.articles_from_table(pq.read_table(out / "articles.parquet"))
    assert articles == list(seeds_store.iter_articles())
    # analyses: the whole record, as JSON text in Parquet and as a nested object in JSON Lines
    for row in pq.read_table(out / "analyses.parquet").to_pylist():
        assert analysis_from_json(row["record"]) == seeds_store.get_analysis(row["article_id"])
    first = json.loads((out / "analyses.jsonl").read_text("utf-8").splitlines()[0])
    assert isinstance(first["record"], dict) and first["record"]["article_id"] == first["article_id"]
    # the vote tally of seed 001, with its evidence offsets into the article text
    facts = pq.read_table(out / "facts.parquet").to_pylist()
    tally = next(f for f in facts if f["kind"] == "tally" and f["value"] == "169-1")
    text = seeds_store.get_article(tally["article_id"]).text
    assert text[tally["start"]:tally["end"]] == tally["text"]
    quotes = pq.read_table(out / "quotes.parquet").to_pylist()
    assert any(q["speaker_name"] == "Boris Vallaud" and q["kind"] == "direct" for q in quotes)
    entities = pq.read_table(out / "entities.parquet").to_pylist()
    assert any(e["name"] == "Boris Vallaud" and e["label"] == "PERSON" and e["forms"] for e in entities)
    problems = [json.loads(line) for line in (out / "problems.jsonl").read_text("utf-8").splitlines()]
    assert problems[0]["reason"] == "unsupported file type" and problems[0]["locator"].endswith("doc.pdf")
    runs = pq.read_table(out / "runs.parquet").to_pylist()
    assert json.loads(runs[0]["counts"])["stored"] == 8


def test_duckdb_reads_the_export(exported):
    duckdb = pytest.importorskip("duckdb")
    out, summary = exported
    con = duckdb.connect()
    count = con.execute(f"SELECT count(*) FROM read_parquet('{out / 'quotes.parquet'}')").fetchone()[0]
    assert count == summary.rows["quotes"]
    joined = con.execute(f"SELECT count(*) FROM read_parquet('{out / 'facts.parquet'}') f JOIN "
                     f"read_json_auto('{out / 'articles.jsonl'}') a ON a.id = f.article_id").fetchone()[0]
    assert joined == summary.rows["facts"]


class _CoreOnly:
    """A store with only the core protocol (no stories tables), as a backend without them would be."""

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name):
        if name in ("get_events", "event_members", "get_storylines", "story_decisions", "get_comparisons"):
            raise AttributeError(name)
        return getattr(self._store, name)


def test_tables_a_store_lacks_are_skipped_with_the_reason(seeds_store, tmp_path):
    summary = export_store(_CoreOnly(seeds_store), str(tmp_path / "core"), ("jsonl",))
    assert set(summary.rows) == set(ALWAYS)
    assert set(summary.skipped) == {"events", "event_members", "storylines", "story_decisions", "comparisons"}
    assert not list((tmp_path / "core").glob("*.parquet"))
    assert (tmp_path / "core" / "articles.jsonl").exists()


def test_unknown_format_is_refused(seeds_store, tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        export_store(seeds_store, str(tmp_path / "x"), ("csv",))


def test_export_command(seeds_store, cli, tmp_path):
    out = tmp_path / "cli-export"
    result = cli("export", "--out", str(out), "--format", "parquet", "--json", db=seeds_store.path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"]["articles"] == 8 and (out / "articles.parquet").exists()
    assert not (out / "articles.jsonl").exists()
    result = cli("export", "--out", str(tmp_path / "both"), db=seeds_store.path)
    assert result.exit_code == 0 and "quotes:" in result.stdout and "comparisons:" in result.stdout
    assert "skipped" not in result.stdout


def test_export_to_an_fsspec_url(seeds_store):
    """Any fsspec URL works as the output (here the in-memory filesystem, as s3:// would with s3fs)."""
    import fsspec

    summary = export_store(seeds_store, "memory://storydiff-export", ("parquet", "jsonl"))
    assert any(f.startswith("memory://") and f.endswith("/storydiff-export/articles.parquet") for f in summary.files)
    fs = fsspec.filesystem("memory")
    with fs.open("/storydiff-export/quotes.parquet", "rb") as handle:
        assert pq.read_table(handle).num_rows == summary.rows["quotes"]
    assert len(tables.list_parquet("memory://storydiff-export")) == len(summary.rows)
    fs.rm("/storydiff-export", recursive=True)


def test_compare_groups_keeps_order_and_leaves_out_groups_of_one(seeds_store):
    from storydiff.compare import compare_groups

    ids = sorted(a.id for a in seeds_store.iter_articles())
    groups = [("b-all", ids), ("a-one", ids[:1]), ("c-none", []), ("d-two", ids[:2])]
    one = list(compare_groups(seeds_store, groups, workers=1))
    two = list(compare_groups(seeds_store, groups, workers=2))
    assert [k for k, _ in one] == ["b-all", "d-two"] == [k for k, _ in two]
    assert one == two and one[1][1].article_ids == tuple(ids[:2])
