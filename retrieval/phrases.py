"""Phrase matching on folded text, shared by the scam check and the course catalogue."""
from __future__ import annotations

import functools
import re

from retrieval.normalize import fold, normalize


def folded_phrase(text: str) -> str:
    """' '-joined folded words with teencode expanded."""
    return " ".join(fold(w) for w in normalize(text))


def folded_words(text: str) -> str:
    """`folded_phrase`, padded with spaces for whole-word search."""
    return f" {folded_phrase(text)} "


@functools.lru_cache(maxsize=8192)
def _folded_pattern(phrase: str) -> tuple[str, re.Pattern | None]:
    """A phrase's folded form and its whole-word pattern. The phrases come from the knowledge
    base's files, so each is folded once rather than on every message (folding the scam check's
    500-odd phrases took 20 ms a message)."""
    folded = folded_phrase(phrase)
    return folded, re.compile(r"(?<![a-z0-9])" + re.escape(folded) + r"(?![a-z0-9])") if folded else None


def matches(phrases: list[str], haystack: str) -> list[str]:
    """The distinct folded phrases found as whole words in `haystack` (from `folded_words`)."""
    found = set()
    for phrase in phrases:
        folded, pattern = _folded_pattern(str(phrase))
        if pattern and folded in haystack and pattern.search(haystack):
            found.add(folded)
    return sorted(found)
