"""Builds (or reloads) the search index of the knowledge base, with progress.

    python -m retrieval.build_index     (KNOWLEDGE_BASE, INDEX_DIR, EMBEDDER from the environment)

`make run` calls this before starting the services, so the gateway starts on a ready index;
when nothing changed it only checks the hash and returns.
"""
from __future__ import annotations

import sys
import time

from gateway.settings import Settings
from retrieval import embedders
from retrieval.kb import load_articles
from retrieval.search import Searcher


def progress(done: int, total: int) -> None:
    print(f"\r    embedding passages: {done}/{total} ({100 * done // max(total, 1)}%)", end="", flush=True)
    if done == total:
        print()


def main() -> int:
    settings = Settings.from_env()
    started = time.perf_counter()
    articles = load_articles(settings.knowledge_base)
    searcher = Searcher(articles, embedders.load(settings.embedder), progress=progress,
                        store=settings.index_dir)
    print(f"==> Search index ready: {searcher.size} articles, embedder {settings.embedder}, "
          f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
