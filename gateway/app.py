"""The gateway: chat and search API, health, and the chat page (see CONTRACT.md)."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import time
from typing import Literal

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field, StrictInt, StrictStr

from connectors.telegram import TelegramChannel
from connectors.zalo import ZaloChannel
from gateway import logs
from gateway import conversations
from gateway.accounts import Accounts
from gateway.admin import admin_router
from gateway.chat import ChatService
from gateway.console import console_router
from gateway.handoffs import Inbox
from gateway.rasa_client import RasaClient, ServiceUnavailable, conversation_id
from gateway.settings import ROOT, Settings
from gateway.store import FeedbackRow, Store, UnansweredRow
from gateway.workflow import Workflow
from retrieval import embedders, reranker
from retrieval.courses import GROUPS, LEVELS, Catalogue
from retrieval.privacy import mask
from retrieval.scam import ScamSignals
from retrieval.search import Searcher

log = logging.getLogger("gateway")
WEB = ROOT / "connectors" / "web"  # the web widget and its demo page


class ChatRequest(BaseModel):
    sender: StrictStr = Field(min_length=1, max_length=128, description="conversation id")
    message: StrictStr = Field(min_length=1, description="text or a button payload")


class SearchRequest(BaseModel):
    query: StrictStr = Field(min_length=1, max_length=1000)
    k: StrictInt = Field(default=5, ge=1, le=20)


class ScamCheckRequest(BaseModel):
    text: StrictStr = Field(min_length=1, max_length=5000)


class HandoffRequest(BaseModel):
    sender: StrictStr = Field(min_length=1, max_length=128)
    channel: StrictStr = Field(default="web", max_length=20)
    summary: StrictStr | None = Field(default=None, max_length=2000)


class FeedbackRequest(BaseModel):
    sender: StrictStr = Field(min_length=1, max_length=128)
    channel: StrictStr = Field(default="web", max_length=20)
    value: Literal["up", "down"]
    article_id: StrictStr | None = Field(default=None, max_length=120)
    missing: StrictStr | None = Field(default=None, max_length=2000)


class CoursesRequest(BaseModel):
    query: StrictStr = Field(default="", max_length=1000)
    group: Literal[tuple(GROUPS)] | None = None
    level: Literal[LEVELS] | None = None
    k: StrictInt = Field(default=3, ge=1, le=10)
    placement: dict[StrictStr, bool] = Field(default={}, max_length=20, description="domain -> yes/no answer")
    exclude: list[StrictStr] = Field(default=[], max_length=100, description="course ids already suggested")


def error(status: int, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    logs.setup(settings.log_level)

    # Each channel is on when its settings are present (CONTRACT.md, Channels).
    channels = [c for c in (TelegramChannel.from_env(os.environ), ZaloChannel.from_env(os.environ)) if c]

    store = Store(settings.database_url)
    accounts = Accounts(store)
    workflow = Workflow(store, republish=lambda: app.state.searcher.replace(store.published()))
    inbox = Inbox(store, {channel.name: channel.deliver for channel in channels})

    async def apply_retention_daily():
        while True:
            removed = await asyncio.to_thread(conversations.apply_retention, store, settings.retention_days)
            log.info("retention applied", extra={"days": settings.retention_days, "removed": removed})
            await asyncio.sleep(24 * 3600)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        started = time.perf_counter()
        app.state.store = store
        seeded = store.seed(settings.knowledge_base)
        accounts.ensure_first_admin(os.environ.get("ADMIN_USERNAME"), os.environ.get("ADMIN_PASSWORD"))
        app.state.searcher = Searcher(app.state.store.published(), embedders.load(settings.embedder),
                                      store=settings.index_dir, reranker=reranker.load(settings.reranker))
        log.info("search index ready", extra={"articles": app.state.searcher.size, "seeded": seeded,
                                              "seconds": round(time.perf_counter() - started, 2)})
        app.state.scam_signals = ScamSignals.load(settings.knowledge_base)
        app.state.courses = Catalogue.load(settings.knowledge_base)
        app.state.rasa = RasaClient(settings.rasa_url, settings.actions_url, settings.chat_timeout)
        app.state.chat = ChatService(app.state.rasa, app.state.store)
        for channel in channels:
            await channel.start(app.state.chat)
        retention = asyncio.create_task(apply_retention_daily())
        yield
        retention.cancel()
        for channel in channels:
            await channel.stop()
        await app.state.rasa.close()

    app = FastAPI(title="Trợ lý Bình dân học vụ số", version="0.1.0", lifespan=lifespan)
    app.state.channels = channels
    app.include_router(admin_router(store, settings.knowledge_base, accounts, workflow, inbox,
                                    forget=lambda sender: app.state.rasa.forget(sender)))
    app.include_router(console_router(store, accounts, workflow, inbox, channels))
    # The web widget is embedded on other sites: let their pages call the chat API (no cookies).
    app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"])
    for channel in channels:
        app.include_router(channel.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        response = error(exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        problems = [f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors()]
        return error(422, "invalid request: " + "; ".join(problems))

    @app.get("/health")
    async def health():
        rasa_ok, rasa_detail = await app.state.rasa.rasa_ready()
        actions_ok = await app.state.rasa.actions_ready()
        index_size = app.state.searcher.size
        parts = {
            "gateway": "ok",
            "rasa": rasa_detail,
            "actions": "ok" if actions_ok else "not reachable",
            "index": f"{index_size} articles" if index_size else "empty",
        }
        failing = [name for name, ok in (("rasa", rasa_ok), ("actions", actions_ok), ("index", index_size > 0)) if not ok]
        if failing:
            return JSONResponse({"status": "unavailable", "failing": failing, "parts": parts}, status_code=503)
        return {"status": "ok", "parts": parts}

    @app.post("/api/chat")
    async def chat(body: ChatRequest):
        text = body.message.strip()
        if not text:
            return error(422, "invalid request: message: must not be blank")
        if len(text) > settings.max_message_chars:
            return error(413, f"message too long: at most {settings.max_message_chars} characters")
        try:
            reply = await app.state.chat.turn(body.sender, text)
        except ServiceUnavailable as exc:
            log.warning("chat unavailable", extra={"sender": body.sender, "part": exc.part, "detail": exc.detail})
            return error(503, "Trợ lý đang bận hoặc đang khởi động lại, bạn vui lòng thử lại sau ít phút.",
                         part=exc.part, detail=exc.detail)
        return reply.as_json()

    @app.post("/api/search")
    async def search(body: SearchRequest):
        result = await asyncio.to_thread(app.state.searcher.search, body.query, body.k)
        return {
            "results": [
                {"id": h.article.id, "title": h.article.title, "topic": h.article.topic,
                 "score": round(h.score, 4), "snippet": h.snippet, "url": h.article.url,
                 "body": h.article.body, "steps": h.article.steps, "legal_basis": h.article.legal_basis}
                for h in result.hits
            ],
            "abstained": result.abstained,
            "clarify": result.clarify,
            "confident": result.confident,
        }

    @app.get("/api/articles/{article_id}")
    async def article(article_id: str):
        found = app.state.store.article(article_id)
        if found is None:
            return error(404, f"no article '{article_id}'")
        return {**found.front_matter(), "body": found.body, "url": found.url}

    @app.post("/api/handoff")
    async def handoff(body: HandoffRequest):
        """Queue a conversation for a human; the summary is built from its recent masked messages."""
        history = app.state.store.history(body.sender, limit=8)
        summary = body.summary or " | ".join(m.text[:120] for m in history if m.role == "user")[-600:]
        row = app.state.store.open_handoff(body.sender, body.channel, summary)
        return {"id": row.id, "status": row.status}

    @app.get("/api/messages")
    async def human_messages(sender: str = Query(min_length=5, max_length=128, pattern=r"^web:"),
                             after: int = Query(0, ge=0)):
        """What a volunteer or official wrote to this web conversation since message `after`."""
        return conversations.human_messages(app.state.store, conversation_id(sender), after)

    @app.post("/api/feedback")
    async def feedback(body: FeedbackRequest):
        app.state.store.add(FeedbackRow(sender=body.sender, channel=body.channel, value=body.value, article_id=body.article_id))
        if body.value == "down" and body.missing:
            app.state.store.add(UnansweredRow(sender=body.sender, channel=body.channel,
                                              text=mask(body.missing).text, reason="thumbs_down"))
        return {"recorded": True}

    @app.post("/api/scam-check")
    async def scam_check(body: ScamCheckRequest):
        """Warning signs found in a message, call or link; never a promise that it is safe."""
        return dataclasses.asdict(app.state.scam_signals.check(mask(body.text).text))

    @app.post("/api/courses")
    async def courses(body: CoursesRequest):
        """Courses that fit the learner's words, group and level."""
        catalogue = app.state.courses
        level = body.level or catalogue.level_from(body.placement)
        weak = tuple(domain for domain, yes in body.placement.items() if not yes)
        found = catalogue.suggest(body.query, body.group, level, body.k, weak, tuple(body.exclude))
        return {"courses": [dataclasses.asdict(c) for c in found],
                "group": body.group or catalogue.group_of(body.query), "groups": GROUPS,
                "level": level, "placement": catalogue.placement}

    @app.get("/", include_in_schema=False)
    async def chat_page():
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/widget.js", include_in_schema=False)
    async def widget_js():
        return FileResponse(WEB / "widget.js", media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    return app


app = create_app()
