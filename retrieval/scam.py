"""Scam check: the warning signs of `knowledge_base/scam_signals.yml` found in a message.

The check never declares a message safe: `suspicious` false only means no known sign was found.
"""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from retrieval.phrases import folded_words, matches

URL_RE = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/\S*)?", re.I)
PHONE_RE = re.compile(r"(?<![\w+])(?:\+|00)\d[\d .•*x-]*\d|(?<![\w+])\+\d+", re.I)


@dataclasses.dataclass
class PatternHit:
    id: str
    name: str
    article: str
    signals: list[str]
    advice: list[str]


@dataclasses.dataclass
class ScamReport:
    suspicious: bool
    patterns: list[PatternHit]
    signs: list[dict]           # {"label", "explain"} of the generic signs found
    foreign_numbers: list[str]
    risky_links: list[str]
    report_channels: list[dict]


class ScamSignals:
    def __init__(self, data: dict):
        self.patterns = data.get("patterns") or []
        self.generic = data.get("generic_signals") or []
        self.foreign_prefixes = [str(p) for p in data.get("foreign_prefixes") or []]
        self.risky_endings = [str(e).lower() for e in data.get("risky_link_endings") or []]
        self.report_channels = data.get("report_channels") or []

    @classmethod
    def load(cls, root: Path) -> "ScamSignals":
        path = Path(root) / "scam_signals.yml"
        return cls(yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {})

    def _foreign_numbers(self, text: str) -> list[str]:
        """Numbers with a listed foreign prefix, or any "+" number that is not Vietnamese (+84)."""
        numbers = {re.sub(r"[ .-]", "", m.group(0)) for m in PHONE_RE.finditer(text)}
        return sorted(n for n in numbers if n.startswith(tuple(self.foreign_prefixes))
                      or (n.startswith("+") and not n.startswith("+84")))

    def _risky_links(self, text: str) -> list[str]:
        links = [m.group(0).rstrip(".,)") for m in URL_RE.finditer(text)]
        return [link for link in links
                if any(link.lower().split("/")[0 if "://" not in link else 2].endswith(e) or link.lower().endswith(e)
                       for e in self.risky_endings)]

    def check(self, text: str) -> ScamReport:
        haystack = folded_words(text)
        hits = []
        for pattern in self.patterns:
            found = matches(pattern.get("signals") or [], haystack)
            if found:
                hits.append(PatternHit(pattern["id"], pattern["name"], pattern.get("article") or "", found,
                                       list(pattern.get("advice") or [])))
        hits.sort(key=lambda h: -len(h.signals))
        signs = [{"label": g["label"], "explain": g.get("explain", "")} for g in self.generic
                 if matches(g.get("phrases") or [], haystack)]
        foreign, links = self._foreign_numbers(text), self._risky_links(text)
        evidence = (len(hits[0].signals) if hits else 0) + len(signs) + len(foreign) + len(links)
        suspicious = bool(foreign or links) or (bool(hits) and evidence >= 2)
        return ScamReport(suspicious, hits, signs, foreign, links, self.report_channels)
