"""Knowledge-base articles: the Markdown-with-front-matter file format and loading it."""
from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import yaml

TOPICS = ("vneid", "dichvucong", "scam", "payment", "health", "movement", "framework", "basics", "volunteer")
AUDIENCES = ("citizen", "civil_servant", "student", "worker", "volunteer")
FIELD_ORDER = ("id", "title", "topic", "audience", "questions", "steps", "sources", "valid_from",
               "legal_basis", "review")


class ArticleError(ValueError):
    """An article file or payload that does not follow the format; the message says what to fix."""


@dataclasses.dataclass
class Article:
    id: str
    title: str
    topic: str
    body: str
    audience: list[str] = dataclasses.field(default_factory=list)
    questions: list[str] = dataclasses.field(default_factory=list)
    steps: list[str] = dataclasses.field(default_factory=list)
    sources: list[dict] = dataclasses.field(default_factory=list)
    valid_from: str | None = None
    legal_basis: str | None = None
    review: dict = dataclasses.field(default_factory=dict)

    @property
    def url(self) -> str | None:
        return self.sources[0].get("url") if self.sources else None

    def front_matter(self) -> dict:
        data = dataclasses.asdict(self)
        return {key: data[key] for key in FIELD_ORDER if data[key] not in (None, [], {})}

    def to_markdown(self) -> str:
        header = yaml.safe_dump(self.front_matter(), allow_unicode=True, sort_keys=False, width=100)
        return f"---\n{header}---\n{self.body.strip()}\n"


def _text(value) -> str | None:
    """YAML reads 2024-07-01 as a date; the article keeps the ISO string."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return None if value is None else str(value)


def from_dict(data: dict) -> Article:
    """An Article from front-matter fields plus `body`; raises ArticleError when a field is wrong."""
    if not isinstance(data, dict):
        raise ArticleError("an article must be a mapping of fields")
    missing = [key for key in ("id", "title", "topic", "body") if not data.get(key)]
    if missing:
        raise ArticleError(f"missing required field(s): {', '.join(missing)}")
    for key in ("audience", "questions", "steps", "sources"):
        if not isinstance(data.get(key) or [], list):
            raise ArticleError(f"'{key}' must be a list")
    review = data.get("review") or {}
    if not isinstance(review, dict):
        raise ArticleError("'review' must be a mapping")
    return Article(
        id=str(data["id"]),
        title=str(data["title"]),
        topic=str(data["topic"]),
        body=str(data["body"]).strip(),
        audience=[str(a) for a in data.get("audience") or []],
        questions=[str(q) for q in data.get("questions") or []],
        steps=[str(s) for s in data.get("steps") or []],
        sources=[dict(s) for s in data.get("sources") or []],
        valid_from=_text(data.get("valid_from")),
        legal_basis=_text(data.get("legal_basis")),
        review={key: _text(value) for key, value in review.items()},
    )


def parse(text: str, where: str = "article") -> Article:
    """Parse one article file's text."""
    if not text.startswith("---"):
        raise ArticleError(f"{where}: must start with a '---' line and YAML front matter")
    try:
        _, header, body = text.split("---", 2)
        data = yaml.safe_load(header) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise ArticleError(f"{where}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise ArticleError(f"{where}: front matter must be a mapping of fields")
    try:
        return from_dict({**data, "body": body})
    except ArticleError as exc:
        raise ArticleError(f"{where}: {exc}") from exc


def article_files(root: Path) -> list[Path]:
    return sorted((Path(root) / "articles").glob("*/*.md"))


def load_articles(root: Path) -> list[Article]:
    """Every article under `root/articles/<topic>/<id>.md`."""
    return [parse(path.read_text(encoding="utf-8"), str(path)) for path in article_files(root)]
