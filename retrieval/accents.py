"""Puts the diacritics back on an unaccented query, using the knowledge base's own words.

The embedding model reads "quen mat khau" poorly; "quên mật khẩu" it reads well. Each folded word
takes the accented form that the knowledge base uses most often next to its neighbours
(word-pair counts, then single-word counts). Words the knowledge base never uses stay as typed.
"""
from __future__ import annotations

import collections
import math
import unicodedata

from retrieval.normalize import fold, normalize


def has_diacritics(text: str) -> bool:
    return any(unicodedata.category(ch) == "Mn" for ch in unicodedata.normalize("NFD", text)) or "đ" in text.lower()


class AccentRestorer:
    def __init__(self, texts: list[str]):
        self.unigrams: collections.Counter = collections.Counter()
        self.bigrams: collections.Counter = collections.Counter()
        self.forms: dict[str, set[str]] = collections.defaultdict(set)
        for text in texts:
            words = normalize(text)
            self.unigrams.update(words)
            self.bigrams.update(zip(words, words[1:]))
            for word in words:
                self.forms[fold(word)].add(word)

    def _score(self, prev: str | None, word: str, nxt_forms: set[str]) -> float:
        score = math.log(1 + self.unigrams[word])
        if prev is not None:
            score += 3 * math.log(1 + self.bigrams[(prev, word)])
        if nxt_forms:
            score += 3 * max(math.log(1 + self.bigrams[(word, n)]) for n in nxt_forms)
        return score

    def restore(self, text: str) -> str:
        """`text` normalised, with diacritics restored on its unaccented words when most of them are
        unaccented (a typed-with-accents query is left as written)."""
        words = normalize(text)
        typed = text.split()
        if not words or sum(map(has_diacritics, typed)) > 0.3 * len(typed):
            return " ".join(words)
        out: list[str] = []
        for i, word in enumerate(words):
            forms = self.forms.get(fold(word))
            if not forms or has_diacritics(word):
                out.append(word)
                continue
            nxt = self.forms.get(fold(words[i + 1]), set()) if i + 1 < len(words) else set()
            prev = out[-1] if out else None
            out.append(max(sorted(forms), key=lambda f: self._score(prev, f, nxt)))
        return " ".join(out)
