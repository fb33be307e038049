"""Optional cross-encoder reranking of the search's first candidates.

`RERANKER=<name or path>` names a sentence-transformers cross-encoder, loaded offline like the
embedders. It reads (query, best passage) for the first `CANDIDATES` articles and reorders them;
the fused score is kept for the answer / clarify / abstain decision, whose thresholds the
benchmark calibrated. Unset (the default), the search is not reranked.
"""
from __future__ import annotations

import os
from typing import Protocol

from retrieval.embedders import _resolve

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
        self.model = Model(_resolve(model), device="cpu")

    def scores(self, query: str, passages: list[str]) -> list[float]:
        return [float(s) for s in self.model.predict([(query, p) for p in passages], show_progress_bar=False)]


def load(spec: str | None) -> Reranker | None:
    return CrossEncoder(spec) if spec else None
