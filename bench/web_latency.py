"""Latency of the web app's pages on a large store (goal: 95th percentile under 200 ms).

    python bench/web_latency.py STORE.db [--rounds 20]

Build the store first, e.g. the whole AllSides corpus (37,554 articles) and an analysed part of it:

    storydiff --db allsides.db ingest ../shared/benchmarks/allsides_baly2020/articles.jsonl.gz --map text=content_original
    python -c "from storydiff.store import open_store; from storydiff.analysis import analyze; analyze(open_store('allsides.db'), limit=1500)"

The app runs under uvicorn on 127.0.0.1 in this process's thread; requests come from an httpx client over loopback,
one at a time. Page URLs are drawn (with a fixed seed) from the store: articles, outlets, entities, search words.
Prints, per route, p50 / p95 / max in milliseconds, and the p95 over all requests.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import sys
import threading
import time
from urllib.parse import quote


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    import httpx
    import uvicorn

    from storydiff.store import open_store
    from storydiff.web import create_app

    rng = random.Random(7)
    store = open_store(args.db)
    rows = store.list_articles(limit=5000)
    analysed = [an.article_id for an in store.iter_analyses()][:2000]
    outlets = [o for o, _ in store.outlet_counts() if o][:50]
    entities = [k for k, *_ in store.top_entities(200)]
    store.close()
    words = ["election", "senate", "climate", "immigration", "trump", "vaccine", "border wall", "\"supreme court\"",
             "tax*", "police"]

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(args.db), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    routes = {
        "overview": lambda: "/",
        "search": lambda: "/search?q=" + quote(rng.choice(words)),
        "articles": lambda: f"/articles?page={rng.randint(1, 700)}",
        "article": lambda: "/articles/" + rng.choice(analysed or [r.id for r in rows]),
        "outlet": lambda: "/outlets/" + quote(rng.choice(outlets), safe=""),
        "entity": lambda: "/entities/" + quote(rng.choice(entities), safe="") if entities else "/",
        "api_search": lambda: "/api/search?q=" + quote(rng.choice(words)),
        "api_article": lambda: "/api/articles/" + rng.choice(analysed or [r.id for r in rows]),
    }
    timings: dict[str, list[float]] = {name: [] for name in routes}
    with httpx.Client(base_url=base, timeout=30) as client:
        client.get("/")  # warm up
        for _ in range(args.rounds):
            for name, make in routes.items():
                url = make()
                started = time.perf_counter()
                response = client.get(url)
                timings[name].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    print(f"warning: {url} -> {response.status_code}", file=sys.stderr)
    server.should_exit = True

    def pct(values, q):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    result = {"db": args.db, "rounds": args.rounds, "articles_sampled": len(rows), "routes": {}}
    for name, values in timings.items():
        result["routes"][name] = {"p50_ms": round(statistics.median(values), 1), "p95_ms": round(pct(values, 0.95), 1),
                                  "max_ms": round(max(values), 1)}
    everything = [v for values in timings.values() for v in values]
    result["all_p95_ms"] = round(pct(everything, 0.95), 1)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
