"""Phrase matching on folded text, shared by the scam check and the course catalogue."""
from __future__ import annotations

import re

from retrieval.normalize import fold, normalize


def folded_words(text: str) -> str:
    """' '-joined folded words with teencode expanded, padded with spaces for whole-word search."""
    return " " + " ".join(fold(w) for w in normalize(text)) + " "


def folded_phrase(phrase: str) -> str:
    return " ".join(fold(w) for w in normalize(str(phrase)))


def matches(phrases: list[str], haystack: str) -> list[str]:
    """The distinct folded phrases found as whole words in `haystack` (from `folded_words`)."""
    found = []
    for phrase in {folded_phrase(p) for p in phrases}:
        if phrase and re.search(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])", haystack):
            found.append(phrase)
    return sorted(found)
