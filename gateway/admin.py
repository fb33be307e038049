"""Admin JSON API (CONTRACT.md "Admin API"): accounts and roles, the article workflow with live
publishing, unanswered questions and usage reports. Every change is written to the audit log.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import secrets
from typing import Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, StrictStr
from sqlalchemy import JSON, DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.store import ArticleRow, Base, MessageRow, Store, UnansweredRow
from retrieval.kb import ArticleError, from_dict

ROLES = ("admin", "editor", "reviewer", "volunteer", "viewer")
SESSION_HOURS = 12
TRANSITIONS = {"submit": ("draft", "in_review"), "approve": ("in_review", "approved"),
               "publish": ("approved", "published"), "archive": ("published", "archived")}


class UserRow(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))


class SessionRow(Base):
    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(160))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def hash_password(password: str) -> str:
    """scrypt (memory-hard, in the standard library), salted."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(candidate.hex(), digest)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class LoginRequest(BaseModel):
    username: StrictStr = Field(min_length=1, max_length=80)
    password: StrictStr = Field(min_length=1, max_length=200)


class UserRequest(LoginRequest):
    password: StrictStr = Field(min_length=10, max_length=200)
    role: Literal[ROLES]


class ArticleRequest(BaseModel):
    id: StrictStr | None = Field(default=None, max_length=120)
    title: StrictStr = Field(min_length=1, max_length=300)
    topic: StrictStr
    body: StrictStr = Field(min_length=1)
    audience: list[StrictStr] = []
    questions: list[StrictStr] = []
    steps: list[StrictStr] = []
    sources: list[dict] = []
    valid_from: StrictStr | None = None
    legal_basis: StrictStr | None = None


class Admin:
    def __init__(self, store: Store, republish):
        self.store = store
        self.republish = republish  # swaps the live search index to the published articles
        Base.metadata.create_all(store.engine)

    def ensure_first_admin(self, username: str | None, password: str | None) -> None:
        if not username or not password:
            return
        with Session(self.store.engine) as session, session.begin():
            if session.get(UserRow, username) is None:
                session.add(UserRow(username=username, password_hash=hash_password(password), role="admin"))

    def audit(self, session: Session, user: str, action: str, target: str, before=None, after=None) -> None:
        session.add(AuditRow(username=user, action=action, target=target, before=before, after=after))

    def user_for(self, authorization: str | None) -> UserRow:
        token = (authorization or "").removeprefix("Bearer ").strip()
        if not token:
            raise HTTPException(401, "log in first: POST /admin/api/login, then send Authorization: Bearer <token>")
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        with Session(self.store.engine) as session:
            row = session.get(SessionRow, token_hash)
            expires = row.expires_at.replace(tzinfo=row.expires_at.tzinfo or dt.timezone.utc) if row else None
            if row is None or expires < now():
                raise HTTPException(401, "the session has expired: log in again")
            return session.get(UserRow, row.username)


def admin_router(admin: Admin) -> APIRouter:
    router = APIRouter(prefix="/admin/api", tags=["admin"])

    def current(authorization: str | None = Header(default=None)) -> UserRow:
        return admin.user_for(authorization)

    def require(*roles: str):
        def check(user: UserRow = Depends(current)) -> UserRow:
            if user.role not in roles:
                raise HTTPException(403, f"this needs the role {' or '.join(roles)}; you are {user.role}")
            return user
        return check

    @router.post("/login")
    def login(body: LoginRequest):
        with Session(admin.store.engine) as session, session.begin():
            user = session.get(UserRow, body.username)
            if user is None or not password_matches(body.password, user.password_hash):
                raise HTTPException(401, "wrong username or password")
            token = secrets.token_urlsafe(32)
            session.add(SessionRow(token_hash=hashlib.sha256(token.encode()).hexdigest(), username=user.username,
                                   expires_at=now() + dt.timedelta(hours=SESSION_HOURS)))
            return {"token": token, "role": user.role, "expires_in": SESSION_HOURS * 3600}

    @router.post("/users", status_code=201)
    def create_user(body: UserRequest, user: UserRow = Depends(require("admin"))):
        with Session(admin.store.engine) as session, session.begin():
            if session.get(UserRow, body.username):
                raise HTTPException(409, f"user '{body.username}' already exists")
            session.add(UserRow(username=body.username, password_hash=hash_password(body.password), role=body.role))
            admin.audit(session, user.username, "create_user", body.username, after={"role": body.role})
        return {"username": body.username, "role": body.role}

    @router.post("/articles", status_code=201)
    def create_article(body: ArticleRequest, user: UserRow = Depends(require("admin", "editor"))):
        fields = body.model_dump(exclude_none=True)
        fields["id"] = fields.get("id") or f"{body.topic}-{secrets.token_hex(4)}"
        fields["review"] = {"status": "draft", "author": user.username}
        try:
            article = from_dict(fields)
        except ArticleError as exc:
            raise HTTPException(422, str(exc)) from None
        with Session(admin.store.engine) as session, session.begin():
            existing = session.get(ArticleRow, article.id)
            if existing and existing.status != "draft":
                article.review = {"status": "draft", "author": user.username}
            before = existing.fields if existing else None
            row = admin.store.put(article, session)
            admin.audit(session, user.username, "save_article", article.id, before, row.fields)
            return {"id": row.id, "status": row.status, "version": row.version}

    @router.get("/articles")
    def list_articles(status: str | None = None, topic: str | None = None,
                      user: UserRow = Depends(current)):
        with Session(admin.store.engine) as session:
            query = select(ArticleRow).order_by(ArticleRow.id)
            if status:
                query = query.where(ArticleRow.status == status)
            if topic:
                query = query.where(ArticleRow.topic == topic)
            return [{"id": r.id, "title": r.title, "topic": r.topic, "status": r.status, "version": r.version}
                    for r in session.scalars(query)]

    def transition(article_id: str, step: str, user: UserRow) -> dict:
        source, target = TRANSITIONS[step]
        with Session(admin.store.engine) as session, session.begin():
            row = session.get(ArticleRow, article_id)
            if row is None:
                raise HTTPException(404, f"no article '{article_id}'")
            if row.status != source:
                raise HTTPException(409, f"'{article_id}' is {row.status}; {step} needs it {source}")
            review = dict(row.fields.get("review") or {})
            if step == "approve" and review.get("author") == user.username:
                raise HTTPException(403, "a reviewer who is not the author must approve it")
            review.update(status=target, **({"reviewed_by": user.username, "reviewed_on": dt.date.today().isoformat()}
                                           if step == "approve" else {}))
            before = {"status": row.status}
            row.status, row.fields = target, {**row.fields, "review": review}
            admin.audit(session, user.username, step, article_id, before, {"status": target})
        if target in ("published", "archived"):
            admin.republish()
        return {"id": article_id, "status": target}

    for step, roles in (("submit", ("admin", "editor")), ("approve", ("admin", "reviewer")),
                        ("publish", ("admin", "reviewer")), ("archive", ("admin", "reviewer"))):
        def endpoint(article_id: str, user: UserRow = Depends(require(*roles)), step=step):
            return transition(article_id, step, user)
        router.add_api_route(f"/articles/{{article_id}}/{step}", endpoint, methods=["POST"],
                             summary=f"{step}: {' → '.join(TRANSITIONS[step])}")

    @router.get("/unanswered")
    def unanswered(limit: int = Query(100, ge=1, le=1000), user: UserRow = Depends(current)):
        with Session(admin.store.engine) as session:
            rows = session.scalars(select(UnansweredRow).order_by(UnansweredRow.id.desc()).limit(limit))
            return [{"text": r.text, "channel": r.channel, "reason": r.reason, "at": r.created_at.isoformat()}
                    for r in rows]

    @router.get("/reports")
    def reports(request: Request, from_: dt.date = Query(alias="from"), to: dt.date = Query(),
                format: Literal["json", "csv"] = "json", user: UserRow = Depends(current)):
        if to < from_:
            raise HTTPException(422, "'to' must not be before 'from'")
        start = dt.datetime.combine(from_, dt.time.min)
        end = dt.datetime.combine(to + dt.timedelta(days=1), dt.time.min)
        day = func.date(MessageRow.created_at)
        with Session(admin.store.engine) as session:
            rows = session.execute(
                select(day, MessageRow.channel, func.coalesce(MessageRow.topic, "-"), func.coalesce(MessageRow.kind, "-"),
                       func.count()).where(MessageRow.role == "bot", MessageRow.created_at >= start,
                                            MessageRow.created_at < end)
                .group_by(day, MessageRow.channel, MessageRow.topic, MessageRow.kind).order_by(day)).all()
        table = [{"day": str(d), "channel": c, "topic": t, "outcome": k, "replies": n} for d, c, t, k, n in rows]
        if format == "csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=["day", "channel", "topic", "outcome", "replies"])
            writer.writeheader()
            writer.writerows(table)
            return PlainTextResponse(out.getvalue(), media_type="text/csv; charset=utf-8")
        return {"from": str(from_), "to": str(to), "rows": table}

    return router

