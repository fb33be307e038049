"""Console accounts: users and roles, password hashing, login throttling and lock-out, sessions
(bearer token for the JSON API, or a cookie with a CSRF token for the console), and the audit log.
"""
from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import secrets
import time

from fastapi import HTTPException, Request
from sqlalchemy import JSON, DateTime, Integer, String, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from gateway.store import Base, Store

ROLES = ("admin", "editor", "reviewer", "volunteer", "viewer")
SESSION_HOURS = 8
MAX_FAILURES = 5  # consecutive wrong passwords before the account is locked
LOCK_MINUTES = 15
ATTEMPTS_PER_MINUTE = 20  # login attempts from one address, whatever the account
COOKIE = "console_session"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class UserRow(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SessionRow(Base):
    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    csrf: Mapped[str] = mapped_column(String(64))
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


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit(session: Session, user: str, action: str, target: str, before=None, after=None) -> None:
    session.add(AuditRow(username=user, action=action, target=target, before=before, after=after))


class Accounts:
    def __init__(self, store: Store):
        self.store = store
        self._attempts: dict[str, collections.deque] = collections.defaultdict(collections.deque)

    def ensure_first_admin(self, username: str | None, password: str | None) -> None:
        if not username or not password:
            return
        with Session(self.store.engine) as session, session.begin():
            if session.get(UserRow, username) is None:
                session.add(UserRow(username=username, password_hash=hash_password(password), role="admin"))

    def _throttle(self, address: str) -> None:
        attempts, cutoff = self._attempts[address], time.monotonic() - 60
        while attempts and attempts[0] < cutoff:
            attempts.popleft()
        if len(attempts) >= ATTEMPTS_PER_MINUTE:
            raise HTTPException(429, "too many login attempts from this address: wait a minute and try again",
                                headers={"Retry-After": "60"})
        attempts.append(time.monotonic())

    def login(self, username: str, password: str, address: str) -> tuple[str, SessionRow, UserRow]:
        """A new session for the right password; 401 for a wrong one, 429 while locked or throttled."""
        self._throttle(address)
        with Session(self.store.engine, expire_on_commit=False) as session, session.begin():
            user = session.get(UserRow, username)
            if user is not None and user.locked_until and aware(user.locked_until) > now():
                minutes = int((aware(user.locked_until) - now()).total_seconds() // 60) + 1
                raise HTTPException(429, f"this account is locked after repeated failures: try again in {minutes} "
                                         "minutes, or ask an admin", headers={"Retry-After": str(minutes * 60)})
            right = user is not None and password_matches(password, user.password_hash)
            if user is not None and not right:  # counted, and committed before the 401
                user.failures = (user.failures or 0) + 1
                if user.failures >= MAX_FAILURES:
                    user.failures, user.locked_until = 0, now() + dt.timedelta(minutes=LOCK_MINUTES)
                    audit(session, username, "locked", username, after={"minutes": LOCK_MINUTES})
            if right:
                user.failures, user.locked_until = 0, None
                token = secrets.token_urlsafe(32)
                row = SessionRow(token_hash=token_hash(token), username=user.username,
                                 csrf=secrets.token_urlsafe(24), expires_at=now() + dt.timedelta(hours=SESSION_HOURS))
                session.add(row)
        if not right:
            raise HTTPException(401, "wrong username or password")
        return token, row, user

    def logout(self, token: str) -> None:
        with Session(self.store.engine) as session, session.begin():
            row = session.get(SessionRow, token_hash(token))
            if row is not None:
                session.delete(row)

    def authenticate(self, request: Request, csrf: str | None = None) -> tuple[UserRow, SessionRow]:
        """The user of a bearer token or of the console cookie. A cookie alone could be sent by another
        site, so a changing request with it must also carry the session's CSRF token."""
        bearer = (request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
        token = bearer or request.cookies.get(COOKIE, "")
        if not token:
            raise HTTPException(401, "log in first: POST /admin/api/login, then send Authorization: Bearer <token>")
        with Session(self.store.engine) as session:
            row = session.get(SessionRow, token_hash(token))
            if row is None or aware(row.expires_at) < now():
                raise HTTPException(401, "the session has expired: log in again")
            if not bearer and request.method not in SAFE_METHODS:
                sent = csrf or request.headers.get("x-csrf-token") or ""
                if not hmac.compare_digest(sent.encode(), row.csrf.encode()):
                    raise HTTPException(403, "the form is out of date (CSRF check failed): reload the page and retry")
            return session.get(UserRow, row.username), row

    def users(self) -> list[dict]:
        with Session(self.store.engine) as session:
            return [{"username": u.username, "role": u.role,
                     "locked": bool(u.locked_until and aware(u.locked_until) > now())}
                    for u in session.scalars(select(UserRow).order_by(UserRow.username))]

    def create_user(self, by: str, username: str, password: str, role: str) -> None:
        with Session(self.store.engine) as session, session.begin():
            if session.get(UserRow, username):
                raise HTTPException(409, f"user '{username}' already exists")
            session.add(UserRow(username=username, password_hash=hash_password(password), role=role))
            audit(session, by, "create_user", username, after={"role": role})
