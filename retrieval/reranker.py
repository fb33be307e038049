"""Optional cross-encoder reranking of the search's first candidates.

`RERANKER=<name or path>` names a sentence-transformers cross-encoder, loaded offline like the
embedders. It reads (query, best passage) for the first `CANDIDATES` articles and reorders them;
the fused score is kept for the answer / clarify / abstain decision, whose thresholds the
benchmark calibrated. Unset (the default), the search is not reranked.
"""
from __future__ import annotations

import os
from typing import Protocol

from retrieval.embedders import resolve_model

CANDIDATES = 10


class Reranker(Protocol):
    name: str

    def scores(self, query: str, passages: list[str]) -> list[float]: ...


class CrossEncoder:
    def __init__(self, model: str):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import CrossEncoder as Model

        self.name = "ce:" + model
        self.model = Model(resolve_model(model), device="cpu")

    def scores(self, query: str, passages: list[str]) -> list[float]:
        return [float(s) for s in self.model.predict([(query, p) for p in passages], show_progress_bar=False)]


def load(spec: str | None) -> Reranker | None:
    return CrossEncoder(spec) if spec else None


def reorder(reranker: Reranker, query: str, ranked: list[tuple[str, float, int]], passage_text) -> list:
    """`ranked` (article id, fused score, best passage) with its first `CANDIDATES` in the reranker's
    order; `passage_text(i)` is the text of passage i."""
    first = ranked[:CANDIDATES]
    scores = reranker.scores(query, [passage_text(i) for _, _, i in first])
    return [r for _, r in sorted(zip(scores, first), key=lambda pair: -pair[0])] + ranked[len(first):]
