"""Puts the diacritics back on an unaccented query and repairs typing slips, using the knowledge
base's own words.

The embedding model reads "quen mat khau" poorly; "quên mật khẩu" it reads well. Each folded word
takes the accented form that the knowledge base uses most often next to its neighbours
(word-pair counts, then single-word counts). A word the knowledge base never uses, in any query,
becomes the likeliest of its words one slip away (a letter dropped, doubled, added or two swapped:
"kiiem" → "kiểm", "dinnh" → "định", "khng" → "không") when it looks mistyped; otherwise it stays as
typed.
"""
from __future__ import annotations

import collections
import math
import re
import string
import unicodedata

from retrieval.normalize import SYLLABLE_RE, fold, normalize


SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
DOUBLED = re.compile(r"(\w)\1")  # a key pressed twice ("dụụng", "hhàng")


def one_slip_away(word: str) -> set[str]:
    """The spellings one typing slip from a word (an added letter is an unaccented one)."""
    return ({word[:i] + word[i + 1:] for i in range(len(word))}
            | {word[:i] + letter + word[i:] for i in range(len(word) + 1) for letter in string.ascii_lowercase}
            | {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)})


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

    def _repairs(self, word: str) -> set[str]:
        """The knowledge base's words one slip away from a word it never uses, if the word looks
        mistyped: a key pressed twice, or four letters or more that make no Vietnamese syllable.
        A syllable ("vui", "thẹn") is a real word the knowledge base does not use, and a shorter
        word is as likely an abbreviation ("gov", "ais")."""
        folded = fold(word)
        mistyped = DOUBLED.search(word) or (len(folded) >= 4 and not SYLLABLE_RE.fullmatch(folded))
        if not (mistyped and len(folded) >= 3 and folded.isalpha()):
            return set()
        as_typed = {near for near in one_slip_away(word) if near in self.unigrams}  # keeps the typed accents
        return as_typed or set().union(*(self.forms[near] for near in one_slip_away(folded) if near in self.forms))

    def restore(self, text: str) -> str:
        """`text` normalised, its slips repaired, and diacritics restored on the unaccented words of
        each sentence where most of them are unaccented (the other words of a sentence typed with
        accents stay as written: a follow-up searched after the accented title of the last answer,
        "Phong trào … là gì. ra mat ngay nao", still gets its own accents); `text` itself when it has
        no word ("?!")."""
        return " ".join(filter(None, map(self._restore_sentence, SENTENCE_END.split(text.strip())))) or text

    def _restore_sentence(self, text: str) -> str:
        words = normalize(text)
        typed = text.split()
        unaccented = sum(map(has_diacritics, typed)) <= 0.3 * len(typed)
        out: list[str] = []
        for i, word in enumerate(words):
            forms = self.forms.get(fold(word))
            if forms is None:
                forms = self._repairs(word)
            elif not unaccented or has_diacritics(word):
                forms = set()
            if not forms:
                out.append(word)
                continue
            nxt = self.forms.get(fold(words[i + 1]), set()) if i + 1 < len(words) else set()
            prev = out[-1] if out else None
            out.append(max(sorted(forms), key=lambda f: self._score(prev, f, nxt)))
        return " ".join(out)
