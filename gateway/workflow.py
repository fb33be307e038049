"""The article workflow shared by the admin API and the console: save drafts, move them through
review, publish (the live index is swapped at once), keep versions with diffs and rollback, and the
review tasks volunteers raise against a script.

draft → in_review → approved (by someone other than the author) → published → archived. An edit of
a published article is a new draft version; people keep getting the published one until the edit
is published in its turn.
"""
from __future__ import annotations

import datetime as dt
import difflib
import secrets

from fastapi import HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts import audit, aware, now
from gateway.store import PUBLISHED, ArticleRow, ArticleVersion, ReviewTaskRow, Store
from retrieval.kb import TOPICS, ArticleError, from_dict
from retrieval.normalize import fold

TRANSITIONS = {"submit": ("draft", "in_review"), "approve": ("in_review", "approved"),
               "publish": ("approved", "published"), "archive": ("published", "archived")}
STEP_ROLES = {"submit": ("admin", "editor"), "approve": ("admin", "reviewer"),
              "publish": ("admin", "reviewer"), "archive": ("admin", "reviewer")}
REVIEW_AFTER_DAYS = 365  # a published article not reviewed for this long is flagged


def summary(row: ArticleRow) -> dict:
    review = row.fields.get("review") or {}
    reviewed = review.get("reviewed_on")
    last = dt.date.fromisoformat(reviewed[:10]) if reviewed else aware(row.updated_at).date()
    return {"id": row.id, "title": row.title, "topic": row.topic, "status": row.status, "version": row.version,
            "live_version": row.live_version, "author": review.get("author"), "reviewed_on": reviewed,
            "updated_at": aware(row.updated_at).isoformat(),
            "review_due": row.status == PUBLISHED and (now().date() - last).days > REVIEW_AFTER_DAYS}


class Workflow:
    def __init__(self, store: Store, republish):
        self.store = store
        self.republish = republish  # swaps the live search index to the published articles

    def list(self, q: str = "", topic: str | None = None, status: str | None = None,
             older_than_days: int | None = None, review_due: bool = False) -> list[dict]:
        with Session(self.store.engine) as session:
            query = select(ArticleRow).order_by(ArticleRow.topic, ArticleRow.id)
            if topic:
                query = query.where(ArticleRow.topic == topic)
            if status:
                query = query.where(ArticleRow.status == status)
            if older_than_days is not None:
                query = query.where(ArticleRow.updated_at < now() - dt.timedelta(days=older_than_days))
            rows = [summary(r) for r in session.scalars(query)]
        if q:
            words = fold(q).split()
            rows = [r for r in rows if all(w in fold(f"{r['id']} {r['title']}") for w in words)]
        return [r for r in rows if r["review_due"]] if review_due else rows

    def get(self, article_id: str) -> dict:
        with Session(self.store.engine) as session:
            row = self._row(session, article_id)
            return {**summary(row), "article": {**row.fields, "body": row.body}}

    def save(self, user: str, fields: dict) -> dict:
        """Create an article or a new draft version of one."""
        if fields.get("topic") not in TOPICS:
            raise HTTPException(422, f"topic must be one of: {', '.join(TOPICS)}")
        fields = {**fields, "id": fields.get("id") or f"{fields['topic']}-{secrets.token_hex(4)}"}
        with Session(self.store.engine) as session, session.begin():
            existing = session.get(ArticleRow, fields["id"])
            author = ((existing.fields.get("review") or {}).get("author") if existing and existing.status == "draft"
                      else None) or user
            try:
                article = from_dict({**fields, "review": {"status": "draft", "author": author}})
            except ArticleError as exc:
                raise HTTPException(422, str(exc)) from None
            before = {**existing.fields, "body": existing.body} if existing else None
            row = self.store.put(article, session)
            audit(session, user, "save_article", article.id, before, {**row.fields, "body": row.body})
            return {"id": row.id, "status": row.status, "version": row.version}

    def transition(self, user: str, role: str, article_id: str, step: str) -> dict:
        if role not in STEP_ROLES[step]:
            raise HTTPException(403, f"{step} needs the role {' or '.join(STEP_ROLES[step])}; you are {role}")
        source, target = TRANSITIONS[step]
        with Session(self.store.engine) as session, session.begin():
            row = self._row(session, article_id)
            if row.status != source:
                raise HTTPException(409, f"'{article_id}' is {row.status}; {step} needs it {source}")
            review = dict(row.fields.get("review") or {})
            if step == "approve" and review.get("author") == user:
                raise HTTPException(403, "a reviewer who is not the author must approve it")
            if step == "approve":
                review.update(reviewed_by=user, reviewed_on=dt.date.today().isoformat())
            review["status"] = target
            row.status, row.fields = target, {**row.fields, "review": review}
            version = session.get(ArticleVersion, (article_id, row.version))
            version.fields = row.fields  # the version records its review too
            if target == PUBLISHED:
                row.live_version = row.version
            elif target == "archived":
                row.live_version = None
            audit(session, user, step, article_id, {"status": source}, {"status": target})
        if target in (PUBLISHED, "archived"):
            self.republish()
        return {"id": article_id, "status": target}

    def versions(self, article_id: str) -> list[dict]:
        with Session(self.store.engine) as session:
            self._row(session, article_id)
            rows = session.scalars(select(ArticleVersion).where(ArticleVersion.article_id == article_id)
                                   .order_by(ArticleVersion.version.desc()))
            return [{"version": v.version, "status": (v.fields.get("review") or {}).get("status"),
                     "author": (v.fields.get("review") or {}).get("author"), "title": v.fields.get("title"),
                     "created_at": aware(v.created_at).isoformat()} for v in rows]

    def diff(self, article_id: str, old: int, new: int) -> str:
        """A unified diff of two versions in the article file format."""
        with Session(self.store.engine) as session:
            texts = []
            for number in (old, new):
                version = session.get(ArticleVersion, (article_id, number))
                if version is None:
                    raise HTTPException(404, f"'{article_id}' has no version {number}")
                texts.append(from_dict({**version.fields, "body": version.body}).to_markdown().splitlines())
        return "\n".join(difflib.unified_diff(*texts, f"version {old}", f"version {new}", lineterm=""))

    def rollback(self, user: str, role: str, article_id: str, number: int) -> dict:
        """One click back to an earlier version: it becomes the newest version and, when it had been
        published, is live again at once (admins and reviewers); otherwise it is a new draft."""
        with Session(self.store.engine) as session, session.begin():
            row = self._row(session, article_id)
            version = session.get(ArticleVersion, (article_id, number))
            if version is None:
                raise HTTPException(404, f"'{article_id}' has no version {number}")
            was_live = (version.fields.get("review") or {}).get("status") in (PUBLISHED, "archived")
            live = was_live and role in ("admin", "reviewer")
            review = {**(version.fields.get("review") or {}), "status": PUBLISHED if live else "draft"}
            if not live:
                review["author"] = user
            before = {"version": row.version, "status": row.status}
            row = self.store.put(from_dict({**version.fields, "review": review, "body": version.body}), session)
            audit(session, user, "rollback", article_id, before, {"version": row.version, "from": number,
                                                                  "status": row.status})
            result = {"id": article_id, "version": row.version, "status": row.status}
        if live:
            self.republish()
        return result

    def report_problem(self, user: str, article_id: str, text: str) -> dict:
        with Session(self.store.engine) as session, session.begin():
            self._row(session, article_id)
            task = ReviewTaskRow(article_id=article_id, text=text, reported_by=user, status="open")
            session.add(task)
            session.flush()
            audit(session, user, "report_problem", article_id, after={"task": task.id, "text": text})
            return {"id": task.id, "article_id": article_id, "status": "open"}

    def review_tasks(self, status: str = "open") -> list[dict]:
        with Session(self.store.engine) as session:
            rows = session.scalars(select(ReviewTaskRow).where(ReviewTaskRow.status == status)
                                   .order_by(ReviewTaskRow.id.desc()))
            return [{"id": t.id, "article_id": t.article_id, "text": t.text, "reported_by": t.reported_by,
                     "status": t.status, "created_at": aware(t.created_at).isoformat()} for t in rows]

    def close_task(self, user: str, task_id: int) -> dict:
        with Session(self.store.engine) as session, session.begin():
            task = session.get(ReviewTaskRow, task_id)
            if task is None:
                raise HTTPException(404, f"no review task {task_id}")
            task.status = "done"
            audit(session, user, "close_task", str(task_id), {"status": "open"}, {"status": "done"})
            return {"id": task_id, "status": "done"}

    def scripts(self, q: str = "") -> list[dict]:
        """The approved step-by-step scripts volunteers follow: published articles with steps,
        the volunteer topic first."""
        words = fold(q).split()
        found = [a for a in self.store.published() if a.steps
                 and all(w in fold(" ".join([a.title, *a.questions, *a.steps])) for w in words)]
        found.sort(key=lambda a: (a.topic != "volunteer", a.topic, a.title))
        return [{"id": a.id, "title": a.title, "topic": a.topic, "steps": len(a.steps)} for a in found]

    @staticmethod
    def _row(session: Session, article_id: str) -> ArticleRow:
        row = session.get(ArticleRow, article_id)
        if row is None:
            raise HTTPException(404, f"no article '{article_id}'")
        return row
