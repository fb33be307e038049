"""Validates the knowledge base files and prints a coverage table (`make kb-check`).

    python -m retrieval.kb_check knowledge_base

Exit code 0 when every check passes; otherwise each problem is printed with its file and fix.
"""
from __future__ import annotations

import collections
import datetime as dt
import itertools
import re
import sys
from pathlib import Path

import yaml

from retrieval.kb import AUDIENCES, TOPICS, ArticleError, article_files, parse
from retrieval.normalize import fold

MIN_QUESTIONS = 6
MAX_SENTENCE_WORDS = 35
MAX_BODY_CHARS = 1500
NEAR_DUPLICATE = 0.6  # Jaccard similarity of body word trigrams
URL_RE = re.compile(r"^https?://[a-z0-9.-]+\.[a-z]{2,}(/\S*)?$", re.I)
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
REVIEW_STATUSES = ("draft", "in_review", "approved", "published", "archived")
# Claims the facts file marks UNCONFIRMED or wrong; they must never be stated (folded regexes).
UNCONFIRMED = {
    r"hotro@vneid": "the VNeID support e-mail address is unconfirmed",
    r"canhbao\.khonggianmang\.gov\.vn": "canhbao.khonggianmang.gov.vn is unconfirmed",
    r"1900\s?\.?9068": "the social-insurance hotline 1900 9068 is unconfirmed",
    r"18\.?900 ty": "the '18,900 billion' loss figure is unconfirmed",
    r"1 (trong|tren) 220": "the '1 in 220 users' figure is unconfirmed",
    r"co ban.{0,20}trung cap.{0,20}nang cao.{0,20}chuyen sau": "QĐ 757 has no such four levels",
    r"cai dat\W{0,6}thay doi so dien thoai": "no confirmed in-app menu to change the phone number",
    r"(nang|len) muc 2 (tai nha|bang nfc)": "upgrading to level 2 at home by NFC is unconfirmed",
}


def sentences(body: str) -> list[str]:
    return [s.strip() for s in re.split(r"[.!?;:\n]+(?:\s|$)", body) if s.strip()]


def trigrams(text: str) -> set[tuple[str, ...]]:
    words = fold(text.lower()).split()
    return set(zip(words, words[1:], words[2:]))


def is_date(value) -> bool:
    try:
        dt.date.fromisoformat(str(value))
        return True
    except ValueError:
        return False


def check_article(path: Path, article, problems: list[str]) -> None:
    def problem(msg: str) -> None:
        problems.append(f"{path}: {msg}")

    if not ID_RE.match(article.id):
        problem(f"id '{article.id}' must be a lower-case ascii slug")
    if path.stem != article.id:
        problem(f"file name must be the id: rename to {article.id}.md")
    if article.topic not in TOPICS:
        problem(f"topic '{article.topic}' must be one of {', '.join(TOPICS)}")
    elif path.parent.name != article.topic:
        problem(f"file must be in articles/{article.topic}/")
    if not article.id.startswith(article.topic + "-"):
        problem(f"id must start with the topic: {article.topic}-...")
    bad = [a for a in article.audience if a not in AUDIENCES]
    if not article.audience or bad:
        problem(f"audience must be a non-empty list of {', '.join(AUDIENCES)}")
    if len(article.questions) < MIN_QUESTIONS:
        problem(f"has {len(article.questions)} questions; write at least {MIN_QUESTIONS}")
    if not article.sources:
        problem("cite at least one source")
    for source in article.sources:
        if not source.get("title") or not URL_RE.match(str(source.get("url", ""))):
            problem(f"source {source} needs a title and an http(s) url")
    if not is_date(article.valid_from):
        problem("valid_from must be a date (YYYY-MM-DD)")
    if article.review.get("status") not in REVIEW_STATUSES:
        problem(f"review.status must be one of {', '.join(REVIEW_STATUSES)}")
    if article.review.get("reviewed_on") and not is_date(article.review["reviewed_on"]):
        problem("review.reviewed_on must be a date")
    if len(article.body) > MAX_BODY_CHARS:
        problem(f"body has {len(article.body)} characters; keep it under {MAX_BODY_CHARS}")
    for sentence in sentences(article.body):
        if len(sentence.split()) > MAX_SENTENCE_WORDS:
            problem(f"sentence over {MAX_SENTENCE_WORDS} words, split it: '{sentence[:60]}...'")
    text = fold(" ".join([article.title, article.body, *article.steps]).lower())
    for pattern, why in UNCONFIRMED.items():
        if re.search(pattern, text):
            problem(f"states an unconfirmed claim: {why}")


def check_articles(root: Path, problems: list[str]) -> list:
    articles = []
    for path in article_files(root):
        try:
            article = parse(path.read_text(encoding="utf-8"), str(path))
        except ArticleError as exc:
            problems.append(str(exc))
            continue
        check_article(path, article, problems)
        articles.append(article)
    seen: dict[str, str] = {}
    for article in articles:
        if article.id in seen:
            problems.append(f"duplicate id '{article.id}'")
        seen[article.id] = article.id
    owner: dict[str, str] = {}
    for article in articles:
        for question in article.questions:
            key = " ".join(fold(question.lower()).split())
            if key in owner and owner[key] != article.id:
                problems.append(f"question '{question}' is in both {owner[key]} and {article.id}")
            owner[key] = article.id
    grams = {a.id: trigrams(a.body) for a in articles}
    for a, b in itertools.combinations(articles, 2):
        union = grams[a.id] | grams[b.id]
        if union and len(grams[a.id] & grams[b.id]) / len(union) > NEAR_DUPLICATE:
            problems.append(f"articles {a.id} and {b.id} are near-duplicates: merge them")
    return articles


def check_yaml_list(path: Path, key: str, required: tuple[str, ...], problems: list[str]) -> list:
    if not path.exists():
        return []
    try:
        items = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get(key) or []
    except yaml.YAMLError as exc:
        problems.append(f"{path}: not valid YAML ({exc})")
        return []
    ids = collections.Counter(str(item.get("id")) for item in items)
    problems += [f"{path}: duplicate id '{i}'" for i, n in ids.items() if n > 1]
    for item in items:
        missing = [field for field in required if not item.get(field)]
        if missing:
            problems.append(f"{path}: '{item.get('id')}' is missing {', '.join(missing)}")
        if "url" in item and not URL_RE.match(str(item["url"])):
            problems.append(f"{path}: '{item.get('id')}' has a malformed url")
    return items


def coverage(articles: list) -> str:
    rows = ["topic        articles  with steps  questions/article"]
    by_topic = collections.defaultdict(list)
    for article in articles:
        by_topic[article.topic].append(article)
    for topic in TOPICS:
        group = by_topic.get(topic, [])
        avg = sum(len(a.questions) for a in group) / len(group) if group else 0
        rows.append(f"{topic:12s} {len(group):8d}  {sum(bool(a.steps) for a in group):10d}  {avg:17.1f}")
    rows.append(f"{'total':12s} {len(articles):8d}  {sum(bool(a.steps) for a in articles):10d}")
    return "\n".join(rows)


def main(root: Path) -> int:
    problems: list[str] = []
    articles = check_articles(root, problems)
    courses = check_yaml_list(root / "courses.yml", "courses", ("id", "title", "audience", "level", "domain", "url"), problems)
    patterns = check_yaml_list(root / "scam_signals.yml", "patterns", ("id", "name", "signals", "advice"), problems)
    print(coverage(articles))
    print(f"courses: {len(courses)}, scam patterns: {len(patterns)}")
    for line in problems:
        print("PROBLEM", line)
    print(f"kb-check: {len(articles)} articles, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "knowledge_base")))
