"""Search over knowledge-base articles: passages, BM25 scoring, and the answer/abstain decision."""
from __future__ import annotations

import dataclasses
import re
import threading

import bm25s
import numpy as np

from retrieval.kb import Article
from retrieval.normalize import fold, normalize

# Words that say nothing about the topic; they neither match nor count as evidence.
STOPWORDS = {fold(w) for w in (
    "tôi bác cháu con em anh chị mình bạn ạ ơi à nhé nha thì là mà và của có không được với cho "
    "làm sao thế nào như gì vậy đi rồi này kia đó ở trong trên dưới hả hở nào bị phải cần muốn "
    "hỏi xin giúp với ai cái các những một hay hoặc khi nếu để lại ra vào đã đang sẽ chưa nó họ "
    "người ta mọi bao nhiêu mấy"
).split()}


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


def passages(article: Article) -> list[Passage]:
    """What an article is found by: its title, each way people ask it, and each body paragraph."""
    texts = [article.title, *article.questions]
    texts += [part.strip() for part in re.split(r"\n\s*\n", article.body) if part.strip()]
    if article.steps:
        texts.append(" ".join(article.steps))
    return [Passage(article.id, text) for text in texts]


def terms(text: str) -> list[str]:
    """Index terms: folded content words and folded word bigrams."""
    folded = [fold(w) for w in normalize(text)]
    content = [w for w in folded if w not in STOPWORDS]
    return content + [a + "_" + b for a, b in zip(folded, folded[1:])]


class Index:
    """An immutable BM25 index of every passage of a set of articles."""

    def __init__(self, articles: list[Article]):
        self.articles = {a.id: a for a in articles}
        self.passages = [p for a in articles for p in passages(a)]
        self.bm25 = bm25s.BM25()
        self.bm25.index([terms(p.text) or ["_empty_"] for p in self.passages], show_progress=False)

    def score_articles(self, query: str) -> list[tuple[str, float, int]]:
        """(article id, best passage score, passage index) for each article, best first."""
        query_terms = terms(query)
        if not query_terms or not self.passages:
            return []
        scores = self.bm25.get_scores(query_terms)
        best: dict[str, tuple[float, int]] = {}
        for i in np.argsort(-scores):
            if scores[i] <= 0:
                break
            article_id = self.passages[i].article_id
            if article_id not in best:
                best[article_id] = (float(scores[i]), int(i))
        return [(aid, s, i) for aid, (s, i) in best.items()]


class Searcher:
    """Thread-safe search over the current index; `replace` swaps in a new one atomically."""

    def __init__(self, articles: list[Article], min_score: float = 6.0):
        self.min_score = min_score
        self._index = Index(articles)
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return len(self._index.articles)

    def replace(self, articles: list[Article]) -> None:
        index = Index(articles)  # built aside; readers keep the old one until the swap
        with self._lock:
            self._index = index

    def search(self, query: str, k: int = 5) -> SearchResult:
        index = self._index
        ranked = index.score_articles(query)[:k]
        hits = [Hit(index.articles[aid], score, index.passages[i].text[:240]) for aid, score, i in ranked]
        abstained = not hits or hits[0].score < self.min_score
        return SearchResult(hits, abstained)
