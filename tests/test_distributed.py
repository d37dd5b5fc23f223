"""The distributed engine: a real local Dask cluster runs the same stage functions over Parquet partitions, and the
store loaded from its output is identical to the store of a local run (articles, signatures, copies, problems,
analyses and the flat tables made from them)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import dump
from storydiff import ingest, tables
from storydiff.analysis import analyze
from storydiff.errors import ClusterError
from storydiff.model import RawRecord
from storydiff.store import open_store

pytest.importorskip("dask.distributed", reason="the distributed engine needs pip install 'storydiff[distributed]'")

from storydiff.distributed import analyze_parquet, connect, ingest_to_parquet, load_parquet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: seeds, every input form (HTML, WARC, feeds, JSON Lines, copies) and broken inputs (problems of both kinds)
INPUTS = [str(ROOT / "examples" / "seeds"), str(ROOT / "tests" / "data" / "inputs"),
          str(ROOT / "tests" / "data" / "bad")]


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The reference: ``ingest`` and ``analyze`` in one process."""
    store = open_store(tmp_path_factory.mktemp("local") / "local.db")
    summary = ingest(INPUTS, store, workers=1)
    analyze(store, workers=1)
    yield store, summary
    store.close()


@pytest.fixture(scope="module")
def client():
    """A real local Dask cluster: 2 worker processes, one thread each."""
    with connect(workers=2) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, client):
    """The inputs ingested and analysed on the cluster, in partitions of 8 records (several per worker)."""
    out = tmp_path_factory.mktemp("cluster") / "dataset"
    ingested = ingest_to_parquet(INPUTS, str(out), client, partition_size=8)
    analysed = analyze_parquet(str(out), client)
    return out, ingested, analysed


def _flat(store) -> dict[str, list]:
    return {"entities": list(store.iter_entity_rows()), "quotes": list(store.iter_quote_rows()),
            "facts": list(store.iter_fact_rows())}


def test_cluster_output_loads_into_a_store_identical_to_the_local_run(tmp_path, local_run, dataset):
    local, local_summary = local_run
    out, ingested, analysed = dataset
    assert ingested.partitions >= 4 and ingested.records == local_summary.read
    assert ingested.problems == local_summary.skipped > 0
    assert analysed.analyses == local_summary.stored

    loaded = open_store(tmp_path / "loaded.db")
    summary = load_parquet(str(out), loaded)
    got = summary.ingest
    assert (got.read, got.stored, got.duplicates, got.skipped) == (
        local_summary.read, local_summary.stored, local_summary.duplicates, local_summary.skipped)
    assert sorted(got.problems, key=repr) == sorted(local_summary.problems, key=repr)
    assert summary.analyses == local_summary.stored and summary.analyses_skipped == 0

    assert dump(loaded) == dump(local)  # articles, signatures, LSH bands, copies, problems (not run ids)
    key = (lambda a: a.article_id)
    assert sorted(loaded.iter_analyses(), key=key) == sorted(local.iter_analyses(), key=key)
    assert _flat(loaded) == _flat(local)
    assert dump(local)["duplicates"], "the corpus must contain copies for this test to mean something"
    loaded.close()


def test_partitions_hold_the_local_records(local_run, dataset):
    local, _ = local_run
    out, _, _ = dataset
    articles = [a for part in sorted((out / "articles").glob("part-*.parquet"))
                for a in tables.articles_from_table(pq.read_table(part))]
    assert sorted(articles, key=lambda a: a.id) == sorted(local.iter_articles(), key=lambda a: a.id)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["layout"] == 1 and manifest["ingest"]["articles"] == len(articles)
    assert manifest["analyze"]["analyses"] == len(articles)
    problems = [p for part in sorted((out / "problems").glob("*.parquet"))
                for p in tables.problems_from_table(pq.read_table(part))]
    assert sorted(problems, key=repr) == sorted(local.problems(), key=repr)


def test_loading_again_changes_nothing(tmp_path, dataset):
    out, _, _ = dataset
    store = open_store(tmp_path / "twice.db")
    load_parquet(str(out), store)
    before = dump(store)
    again = load_parquet(str(out), store)
    assert again.ingest.stored == 0 and again.ingest.unchanged == store.count_articles()
    assert again.analyses == 0 and again.analyses_skipped > 0
    assert dump(store) == before
    store.close()


def test_an_export_is_analysed_on_the_cluster(tmp_path, local_run, client):
    from storydiff.export import export_store

    local, _ = local_run
    export_store(local, str(tmp_path / "export"), ("parquet",))
    analysed = analyze_parquet(str(tmp_path / "export" / "articles.parquet"), client, out=str(tmp_path / "an"))
    records = [a for part in sorted((tmp_path / "an" / "analyses").glob("part-*.parquet"))
               for a in tables.analyses_from_table(pq.read_table(part))]
    assert analysed.analyses == len(records) == local.count_articles()
    key = (lambda a: a.article_id)
    assert sorted(records, key=key) == sorted(local.iter_analyses(), key=key)


def test_an_earlier_dataset_is_not_mixed_with_a_new_one(dataset, client):
    out, _, _ = dataset
    with pytest.raises(ClusterError, match="already holds"):
        ingest_to_parquet(INPUTS, str(out), client)
    with pytest.raises(ClusterError, match="already holds"):
        analyze_parquet(str(out), client)


def test_a_failing_partition_is_named(tmp_path, client):
    broken = tmp_path / "broken.parquet"
    pq.write_table(tables.problems_table([]), broken)  # no article columns
    with pytest.raises(ClusterError, match="partition 0 failed"):
        analyze_parquet(str(broken), client, out=str(tmp_path / "out"))


def test_cli_on_an_existing_cluster_with_a_file_url(tmp_path, client, cli):
    """The three commands against the running scheduler (as on a real cluster), the dataset named by URL."""
    url = (tmp_path / "ds").as_uri()
    address = client.scheduler_info()["address"]
    seeds = str(ROOT / "examples" / "seeds")
    result = cli("cluster", "ingest", seeds, "--out", url, "--scheduler", address, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles"] == 5
    result = cli("cluster", "analyze", url, "--scheduler", address, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["analyses"] == 5
    result = cli("cluster", "load", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"] == 5 and json.loads(result.stdout)["analyses"] == 5
    result = cli("cluster", "ingest", seeds, "--out", url, "--scheduler", address)
    assert result.exit_code == 1 and "already holds" in result.stderr


def test_records_round_trip_through_parquet():
    records = [RawRecord("a.txt", "text", b"caf\xe9 bytes as read", (("title", "T", "header"),), "h1"),
               RawRecord("b.jsonl#L1", "text", "text with a lone surrogate \ud800 from JSON", (), "h2"),
               RawRecord("c.html", "html", "<p>x</p>", (("url", "https://x.test/", "page"),), "h3")]
    assert tables.records_from_table(tables.records_table(records)) == records


def test_unreachable_scheduler_is_a_cluster_error():
    with pytest.raises(ClusterError, match="cannot reach"):
        with connect("tcp://127.0.0.1:9", timeout=2):
            pass
