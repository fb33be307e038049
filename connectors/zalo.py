"""Zalo Official Account channel: POST /webhooks/zalo, replies through the OA customer-service
message API, and the OA access token refreshed when it expires.

Mounting (gateway/app.py):

    zalo = ZaloChannel.from_env(os.environ)              # None unless ZALO_OA_SECRET_KEY is set
    if zalo:
        app.include_router(zalo.router)                  # POST /webhooks/zalo
    # in the lifespan, once app.state.chat exists:
        if zalo: await zalo.start(app.state.chat)
        yield
        if zalo: await zalo.stop()

Settings: ZALO_APP_ID, ZALO_APP_SECRET, ZALO_OA_SECRET_KEY (the channel is on when set),
ZALO_ACCESS_TOKEN, ZALO_REFRESH_TOKEN, ZALO_API_BASE (default https://openapi.zalo.me),
ZALO_OAUTH_BASE (default https://oauth.zaloapp.com), and DATABASE_URL / DATA_DIR as for the gateway.

Tokens: a refresh token can be used only once, so the tokens a refresh returns are kept in the
gateway's database (table `zalo_tokens`, SQLite or PostgreSQL like the rest) and win over the
environment on the next start, unless ZALO_REFRESH_TOKEN has changed since (the OA was
authorised again). Gateways sharing the database adopt each other's refreshed token.

Rendering of a reply (any `kind`): each message is one customer-service message (text split at
Zalo's 2000-character limit); its buttons become "oa.query.show" actions whose payload comes back
as the user's text; the sources that have a URL are listed under the last message ("Xem thêm").
A reply without messages (a human owns the conversation) sends nothing.

Platform errors (7-day interaction window over, quota used up, ...) are logged with Zalo's error
code and kept in `recent_errors` (newest last) for the console; they never fail the webhook.
"""
from __future__ import annotations

import asyncio
import collections
import datetime as dt
import hashlib
import hmac
import json
import logging
import os

import httpx
from fastapi import APIRouter, Request, Response
from sqlalchemy import DateTime, String, Text, func
from sqlalchemy.orm import Mapped, Session, mapped_column

from connectors.common import BUSY, CHOOSE, VOICE, RecentIds, split_text, with_sources
from gateway.rasa_client import Reply, ServiceUnavailable
from gateway.settings import Settings
from gateway.migrate import migrate
from gateway.store import Base, engine_for

log = logging.getLogger("connectors.zalo")

DEFAULT_API_BASE = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
TEXT_LIMIT = 2000  # characters of one text message
# Zalo answers HTTP 200 with {"error": <negative code>, "message": ...}. -216 is "Access token is
# invalid" (what an expired token gets); -124 is what newer endpoints answer for an
# invalid/expired token. Both mean: refresh once, then retry.
TOKEN_EXPIRED = {-216, -124}

WELCOME = ("Chào bạn! Mình là Trợ lý Bình dân học vụ số. Bạn cứ hỏi mình về VNeID, dịch vụ công "
           "trực tuyến, thanh toán số hay cách nhận biết lừa đảo nhé.")


class ZaloTokenRow(Base):
    __tablename__ = "zalo_tokens"
    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    seed: Mapped[str] = mapped_column(String(64))  # hash of the ZALO_REFRESH_TOKEN the row started from
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                    onupdate=func.now())


def signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """X-ZEvent-Signature of a webhook call: "mac=" + hex sha256 of app id + raw JSON body +
    the event's `timestamp` field + OA secret key, concatenated in that order. The OA secret key
    is the one shown when the OA is linked, not the app secret. (Zalo for Developers, Official
    Account webhook docs, "Xác thực dữ liệu"; restated at hainh.me/zalo-api-php-webhook-callback-
    official-account.html: "so sánh giá trị trong header X-ZEvent-Signature với mã hash SHA256
    của chuỗi kết hợp ... ID của ứng dụng, chuỗi JSON trả về trong body, Timestamp được lấy từ
    chuỗi JSON trên, mã bí mật của Official Account".)"""
    return "mac=" + hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def render(reply: Reply) -> list[dict]:
    """The `message` objects of the customer-service API for a reply, in order."""
    messages = with_sources(reply)
    out = []
    for message in messages:
        parts = split_text(message.get("text") or CHOOSE, TEXT_LIMIT)
        out += [{"text": part} for part in parts]
        if message.get("buttons"):  # text with buttons: a template attachment on the last part
            out[-1]["attachment"] = {"type": "template", "payload": {"buttons": [
                {"title": (b.get("title") or b.get("payload"))[:100], "type": "oa.query.show",
                 "payload": (b.get("payload") or b.get("title"))[:1000]}
                for b in message["buttons"]]}}
    return out


class ZaloChannel:
    name = "zalo"

    def __init__(self, env: dict, chat=None):
        self.app_id = env.get("ZALO_APP_ID", "")
        self.app_secret = env.get("ZALO_APP_SECRET", "")
        self.oa_secret_key = env["ZALO_OA_SECRET_KEY"]
        self.api_base = (env.get("ZALO_API_BASE") or DEFAULT_API_BASE).rstrip("/")
        self.oauth_base = (env.get("ZALO_OAUTH_BASE") or DEFAULT_OAUTH_BASE).rstrip("/")
        self.access_token = env.get("ZALO_ACCESS_TOKEN", "")
        self.refresh_token = env.get("ZALO_REFRESH_TOKEN", "")
        self.engine = engine_for(Settings.from_env(env).database_url)
        self.chat = chat  # anything with `async turn(sender, text, channel) -> Reply`
        self.seen = RecentIds()
        self.recent_errors: collections.deque[dict] = collections.deque(maxlen=50)
        self.generation = 0  # +1 at each token refresh
        self.refreshes = 0
        self._refresh_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.http: httpx.AsyncClient | None = None
        self.router = APIRouter()
        self.router.add_api_route("/webhooks/zalo", self.webhook, methods=["POST"], include_in_schema=False)

    @classmethod
    def from_env(cls, env=None, chat=None) -> "ZaloChannel | None":
        """The channel configured by `env`, or None when ZALO_OA_SECRET_KEY is not set."""
        env = dict(os.environ if env is None else env)
        return cls(env, chat) if env.get("ZALO_OA_SECRET_KEY") else None

    async def start(self, chat=None) -> None:
        if chat is not None:
            self.chat = chat
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
        await asyncio.to_thread(self._load_tokens)

    async def stop(self) -> None:
        if self._tasks:  # let replies under way finish, briefly
            await asyncio.wait(self._tasks, timeout=5)
        if self.http:
            await self.http.aclose()

    # -- the webhook --------------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        body = await request.body()
        try:
            event = json.loads(body)
            app_id = self.app_id or str(event.get("app_id", ""))
            expected = signature(app_id, body, str(event["timestamp"]), self.oa_secret_key)
        except (ValueError, KeyError, TypeError, AttributeError):
            return Response(status_code=403)
        given = request.headers.get("X-ZEvent-Signature", "")
        if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
            return Response(status_code=403)
        name = event.get("event_name")
        user = str((event.get("sender") or event.get("follower") or {}).get("id", ""))
        key = (event.get("message") or {}).get("msg_id") or f"{name}:{user}:{event['timestamp']}"
        if name in ("user_send_text", "follow", "user_send_audio") and user and self.seen.first_time(str(key)):
            # Answer Zalo at once (it retries slow webhooks); the reply goes out in the background.
            task = asyncio.create_task(self.handle(name, user, event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return Response(status_code=200)

    async def handle(self, name: str, user: str, event: dict) -> None:
        try:
            if name == "follow":
                await self.send(user, [{"text": WELCOME}])
            elif name == "user_send_audio":
                await self.send(user, [{"text": VOICE}])
            else:
                await self.answer(user, ((event.get("message") or {}).get("text") or "").strip())
        except Exception:
            log.exception("zalo event failed", extra={"event": name})

    async def answer(self, user: str, text: str) -> None:
        if not text:
            return
        try:
            reply = await self.chat.turn(f"zalo:{user}", text, "zalo")
        except Exception as exc:  # Rasa or the action server down (ServiceUnavailable), or a bug
            if isinstance(exc, ServiceUnavailable):
                log.warning("chat unavailable", extra={"part": exc.part, "detail": exc.detail})
            else:
                log.exception("chat turn failed")
            await self.send(user, [{"text": BUSY}])
            return
        await self.send(user, render(reply))

    # -- sending -----------------------------------------------------------------------------

    async def send(self, user: str, messages: list[dict]) -> bool:
        """Send each message in order; stop at the first platform error (the rest would fail too).
        Returns whether all went out."""
        for message in messages:
            result = await self._send_once({"recipient": {"user_id": user}, "message": message})
            if result.get("error") in TOKEN_EXPIRED and await self._refresh(result["_generation"]):
                result = await self._send_once({"recipient": {"user_id": user}, "message": message})
            if result.get("error") != 0:
                self._record(user, result.get("error"), result.get("message"))
                return False
        return True

    async def deliver(self, user: str, text: str) -> None:
        """A message from a volunteer or official in the handoff inbox; raises when Zalo refuses it."""
        if not await self.send(user, [{"text": part} for part in split_text(text, TEXT_LIMIT)]):
            raise RuntimeError(f"zalo refused the message: {self.recent_errors[-1]}")

    async def _send_once(self, body: dict) -> dict:
        generation = self.generation
        try:
            resp = await self.http.post(f"{self.api_base}/v3.0/oa/message/cs", json=body,
                                        headers={"access_token": self.access_token})
            result = resp.json() if resp.status_code == 200 else {"error": f"http {resp.status_code}"}
        except (httpx.HTTPError, ValueError) as exc:
            result = {"error": "network", "message": type(exc).__name__}
        return {**result, "_generation": generation}

    async def _refresh(self, seen_generation: int) -> bool:
        """Get new tokens, once for all the senders that saw the old one expire; True when there
        is a token newer than the one that failed."""
        async with self._refresh_lock:
            if self.generation != seen_generation:  # someone refreshed while we waited
                return True
            row = await asyncio.to_thread(self._stored)
            if row and row.access_token != self.access_token:  # another gateway refreshed it
                self._use(row.access_token, row.refresh_token)
                return True
            self.refreshes += 1
            try:
                resp = await self.http.post(
                    f"{self.oauth_base}/v4/oa/access_token", headers={"secret_key": self.app_secret},
                    data={"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": self.refresh_token})
                data = resp.json()
            except (httpx.HTTPError, ValueError) as exc:
                data = {"error": "network", "message": type(exc).__name__}
            if not data.get("access_token"):
                self._record(None, data.get("error"), data.get("error_description") or data.get("message"),
                             what="refresh")
                return False
            self._use(data["access_token"], data.get("refresh_token") or self.refresh_token)
            await asyncio.to_thread(self._save)
            log.info("zalo access token refreshed", extra={"generation": self.generation})
            return True

    def _use(self, access_token: str, refresh_token: str) -> None:
        self.access_token, self.refresh_token = access_token, refresh_token
        self.generation += 1

    def _record(self, user: str | None, code, message, what: str = "send") -> None:
        error = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "what": what,
                 "code": code, "detail": message, "sender": f"zalo:{user}" if user else None}
        self.recent_errors.append(error)
        log.warning("zalo platform error", extra=error)

    # -- token storage -----------------------------------------------------------------------

    def _seed(self) -> str:
        return hashlib.sha256(self.refresh_token.encode()).hexdigest()[:32] if self.refresh_token else ""

    def _stored(self) -> ZaloTokenRow | None:
        with Session(self.engine) as session:
            return session.get(ZaloTokenRow, self.app_id)

    def _load_tokens(self) -> None:
        """Use the stored tokens unless ZALO_REFRESH_TOKEN changed since they were stored."""
        migrate(self.engine)  # the token table is in the gateway's schema
        row = self._stored()
        if row and (not self.refresh_token or row.seed == self._seed()):
            self.access_token, self.refresh_token = row.access_token, row.refresh_token
        elif self.refresh_token:
            self._save(seed=self._seed())

    def _save(self, seed: str | None = None) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(ZaloTokenRow, self.app_id) or ZaloTokenRow(app_id=self.app_id, seed=seed or "")
            row.access_token, row.refresh_token = self.access_token, self.refresh_token
            if seed is not None:
                row.seed = seed
            session.add(row)
