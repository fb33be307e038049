"""The gateway's knowledge store: articles and their versions in SQL (SQLite or PostgreSQL).

Seeded from `knowledge_base/` on first start; `python -m gateway.store export DIR` writes it back
in the same file format, so content round-trips between files and the store.
"""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from retrieval.kb import Article, from_dict, load_articles

PUBLISHED = "published"


class Base(DeclarativeBase):
    pass


class ArticleRow(Base):
    __tablename__ = "articles"
    id: Mapped[str] = mapped_column(String(120), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    topic: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    live_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the version people get answers from
    fields: Mapped[dict] = mapped_column(JSON)  # the front matter, as in the file
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                    onupdate=func.now())

    def article(self) -> Article:
        return from_dict({**self.fields, "body": self.body})


class ArticleVersion(Base):
    __tablename__ = "article_versions"
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    fields: Mapped[dict] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class MessageRow(Base):
    """One message of a conversation, personal data already masked."""
    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(10))  # user, bot, human
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    intent: Mapped[str | None] = mapped_column(String(60), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(40), nullable=True)
    learner_group: Mapped[str | None] = mapped_column(String(20), nullable=True)  # the profile's target group
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class HandoffRow(Base):
    """A conversation waiting for, or owned by, a human; `owner` set means the bot stays silent."""
    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # waiting, active, closed
    owner: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FeedbackRow(Base):
    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="web")
    value: Mapped[str] = mapped_column(String(10))  # up, down
    article_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UnansweredRow(Base):
    """A question the bot could not answer (fallback) or whose answer got a thumbs-down."""
    __tablename__ = "unanswered"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sender: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(20))  # fallback, thumbs_down
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class ReviewTaskRow(Base):
    """A problem reported with an article (e.g. by a volunteer using its script), for the editors."""
    __tablename__ = "review_tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(String(120), index=True)
    text: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, done
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def engine_for(url: str) -> Engine:
    """SQLAlchemy engine; plain postgresql:// URLs use the psycopg 3 driver."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, pool_pre_ping=True)


class Store:
    def __init__(self, url: str):
        from gateway.migrate import migrate

        self.engine = engine_for(url)
        migrate(self.engine)

    def is_empty(self) -> bool:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).select_from(ArticleRow)) == 0

    def put(self, article: Article, session: Session) -> ArticleRow:
        """Insert or update an article, keeping every version."""
        fields = article.front_matter()
        status = (article.review or {}).get("status") or "draft"
        row = session.get(ArticleRow, article.id)
        if row is None:
            row = ArticleRow(id=article.id, version=1)
            session.add(row)
        else:
            row.version += 1
        row.title, row.topic, row.status, row.fields, row.body = article.title, article.topic, status, fields, article.body
        if status == PUBLISHED:
            row.live_version = row.version
        session.add(ArticleVersion(article_id=article.id, version=row.version, fields=fields, body=article.body))
        return row

    def seed(self, knowledge_base: Path) -> int:
        """Load the files into an empty store; returns how many articles were added."""
        if not self.is_empty():
            return 0
        articles = load_articles(knowledge_base)
        with Session(self.engine) as session, session.begin():
            for article in articles:
                self.put(article, session)
        return len(articles)

    def articles(self) -> list[Article]:
        """The newest version of every article, whatever its status."""
        with Session(self.engine) as session:
            return [row.article() for row in session.scalars(select(ArticleRow).order_by(ArticleRow.id))]

    def published(self) -> list[Article]:
        """The live version of every published article: an edit in progress does not change answers."""
        with Session(self.engine) as session:
            rows = session.scalars(select(ArticleVersion).join(ArticleRow, (ArticleRow.id == ArticleVersion.article_id)
                                                               & (ArticleRow.live_version == ArticleVersion.version))
                                   .order_by(ArticleVersion.article_id))
            return [from_dict({**row.fields, "body": row.body}) for row in rows]

    def article(self, article_id: str) -> Article | None:
        """The live version of an article, None when it is not published."""
        with Session(self.engine) as session:
            row = session.get(ArticleRow, article_id)
            version = session.get(ArticleVersion, (article_id, row.live_version)) if row and row.live_version else None
            return from_dict({**version.fields, "body": version.body}) if version else None

    def add(self, row: Base) -> None:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            session.add(row)

    def owned_handoff(self, sender: str) -> HandoffRow | None:
        """The open handoff of `sender` that a human has taken, if any."""
        with Session(self.engine) as session:
            return session.scalars(select(HandoffRow).where(
                HandoffRow.sender == sender, HandoffRow.status == "active")).first()

    def open_handoff(self, sender: str, channel: str, summary: str) -> HandoffRow:
        """Queue `sender` for a human, once: an open handoff is reused."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.scalars(select(HandoffRow).where(
                HandoffRow.sender == sender, HandoffRow.status.in_(("waiting", "active")))).first()
            if row is None:
                row = HandoffRow(sender=sender, channel=channel, summary=summary, status="waiting")
                session.add(row)
            return row

    def history(self, sender: str, limit: int = 20) -> list[MessageRow]:
        with Session(self.engine) as session:
            rows = session.scalars(select(MessageRow).where(MessageRow.sender == sender)
                                   .order_by(MessageRow.id.desc()).limit(limit)).all()
            return list(reversed(rows))

    def export(self, knowledge_base: Path, target: Path) -> int:
        """Write every article to `target/articles/<topic>/<id>.md`, beside copies of the catalogue files."""
        articles = self.articles()
        for article in articles:
            path = target / "articles" / article.topic / f"{article.id}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(article.to_markdown(), encoding="utf-8")
        for name in ("courses.yml", "scam_signals.yml"):
            if (knowledge_base / name).exists() and (knowledge_base / name).resolve() != (target / name).resolve():
                shutil.copyfile(knowledge_base / name, target / name)
        return len(articles)


def main(argv: list[str]) -> int:
    from gateway.settings import Settings

    if len(argv) != 2 or argv[0] != "export":
        print("usage: python -m gateway.store export TARGET_DIR", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    store = Store(settings.database_url)
    store.seed(settings.knowledge_base)
    count = store.export(settings.knowledge_base, Path(argv[1]))
    print(f"exported {count} articles to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
