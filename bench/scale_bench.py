"""Vector index at scale: exact vs HNSW on synthetic 384-d vectors (the e5-small size).

    python -m bench.scale_bench [--sizes 100000 1000000] [--queries 1000]

Vectors are clustered (like real passage embeddings, unlike uniform noise) and normalised; queries
are perturbed copies of stored vectors. Reports build time, index memory, p50/p95 single-query
search latency, and HNSW recall@10 against the exact index for several efSearch values.
Results: bench/results/scale.json.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import faiss
import numpy as np

from retrieval import vector_index

DIM = 384


def synthetic(n: int, rng: np.random.Generator, clusters: int = 2000) -> np.ndarray:
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):  # in chunks, to keep memory flat
        size = min(100_000, n - start)
        out[start:start + size] = centres[rng.integers(0, clusters, size)] + 0.6 * rng.standard_normal((size, DIM))
    faiss.normalize_L2(out)
    return out


def latencies(index, queries: np.ndarray, k: int = 10) -> tuple[list[float], np.ndarray]:
    times, ids = [], []
    for q in queries:
        started = time.perf_counter()
        _, found = index.search(q[None, :], k)
        times.append(time.perf_counter() - started)
        ids.append(found[0])
    return times, np.array(ids)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return round(1000 * values[min(len(values) - 1, int(p * len(values)))], 3)


EF_SEARCH_SWEEP = (96, 256, 512)


def run(n: int, n_queries: int, rng: np.random.Generator) -> dict:
    vectors = synthetic(n, rng)
    queries = vectors[rng.integers(0, n, n_queries)] + 0.05 * rng.standard_normal((n_queries, DIM)).astype(np.float32)
    faiss.normalize_L2(queries)
    result = {"n": n, "dim": DIM}
    for kind in ("exact", "hnsw"):
        started = time.perf_counter()
        index = vector_index.build(vectors, exact_below=n + 1 if kind == "exact" else 0)
        build = time.perf_counter() - started
        memory_mb = len(faiss.serialize_index(index)) / 2**20
        result[kind] = {"build_s": round(build, 2), "memory_mb": round(memory_mb, 1)}
        print(f"n={n} {kind}: build {build:.1f} s, {memory_mb:.0f} MB", flush=True)
        if kind == "exact":
            times, exact_ids = latencies(index, queries)
            result[kind].update(p50_ms=pct(times, 0.5), p95_ms=pct(times, 0.95))
        else:  # the same graph searched with a wider or narrower beam
            result[kind]["params"] = {"M": vector_index.HNSW_M, "efConstruction": vector_index.HNSW_EF_CONSTRUCTION}
            result[kind]["by_ef_search"] = {}
            for ef in EF_SEARCH_SWEEP:
                index.hnsw.efSearch = ef
                times, ids = latencies(index, queries)
                recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact_ids, ids)]))
                result[kind]["by_ef_search"][ef] = {"p50_ms": pct(times, 0.5), "p95_ms": pct(times, 0.95),
                                                    "recall_at_10": round(recall, 4)}
                print(f"n={n} hnsw efSearch={ef}: p50 {pct(times, .5)} ms, p95 {pct(times, .95)} ms, "
                      f"recall@10 {recall:.4f}", flush=True)
        del index
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "scale.json")
    args = parser.parse_args()
    faiss.omp_set_num_threads(2)
    rng = np.random.default_rng(42)
    results = {"threads": 2, "runs": [run(n, args.queries, rng) for n in args.sizes]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
