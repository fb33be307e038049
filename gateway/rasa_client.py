"""Talking to the Rasa server over HTTP, and turning its REST-channel output into a chat reply."""
from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import re

import httpx


SAFE_ID = re.compile(r"[A-Za-z0-9:._-]{1,128}")


def conversation_id(sender: str) -> str:
    """Rasa's id for a sender: as is when URL-safe, else a stable hash (Rasa's routes do not
    percent-decode, so "a b" would name two conversations)."""
    return sender if SAFE_ID.fullmatch(sender) else "x-" + hashlib.sha256(sender.encode()).hexdigest()[:32]


class ServiceUnavailable(Exception):
    """A service the chat depends on did not answer; `part` names it for the 503 reply."""

    def __init__(self, part: str, detail: str):
        super().__init__(f"{part}: {detail}")
        self.part = part
        self.detail = detail


@dataclasses.dataclass
class Reply:
    messages: list[dict]
    kind: str
    sources: list[dict]
    fallback: bool
    intent: str | None = None
    confidence: float | None = None
    learner_group: str | None = None  # the learner's target group, once they have told it
    entities: dict = dataclasses.field(default_factory=dict)  # topic, procedure, platform, ... named

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


def assemble(outputs: list[dict]) -> Reply:
    """Merge Rasa's output messages: text and buttons are shown, `custom.meta` describes the turn.

    Every response and action of the bot sends `{"custom": {"meta": {"kind", "sources",
    "fallback"}}}`; the last kind wins, sources add up.
    """
    messages, sources, kind, fallback = [], [], None, False
    for out in outputs:
        meta = (out.get("custom") or {}).get("meta")
        if meta:
            kind = meta.get("kind", kind)
            fallback = fallback or bool(meta.get("fallback"))
            sources += [s for s in meta.get("sources") or [] if s not in sources]
        if out.get("text") or out.get("buttons"):
            message = {"text": out.get("text") or ""}
            if out.get("buttons"):
                message["buttons"] = [{"title": b.get("title", ""), "payload": b.get("payload", "")}
                                      for b in out["buttons"]]
            messages.append(message)
    if not messages:
        kind, fallback = "fallback", True
    kind = kind or "answer"
    return Reply(messages, kind, sources, fallback or kind == "fallback")


class RasaClient:
    def __init__(self, rasa_url: str, actions_url: str, timeout: float):
        self.rasa_url = rasa_url.rstrip("/")
        self.actions_url = actions_url.rstrip("/")
        self.timeout = timeout
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=2.0))

    async def close(self) -> None:
        await self.http.aclose()

    async def chat(self, sender: str, text: str, metadata: dict) -> Reply:
        """One user turn; raises ServiceUnavailable within `timeout` seconds when a part is down."""
        try:
            return await asyncio.wait_for(self._chat(sender, text, metadata), self.timeout)
        except asyncio.TimeoutError:
            raise ServiceUnavailable("rasa", f"no reply within {self.timeout:.0f} s") from None

    async def _chat(self, sender: str, text: str, metadata: dict) -> Reply:
        sender = conversation_id(sender)
        try:
            resp = await self.http.post(f"{self.rasa_url}/webhooks/rest/webhook",
                                        json={"sender": sender, "message": text, "metadata": metadata})
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("rasa", f"cannot reach the Rasa server ({type(exc).__name__})") from exc
        if resp.status_code != 200:
            raise ServiceUnavailable("rasa", f"Rasa answered HTTP {resp.status_code}")
        outputs = resp.json()
        if not outputs and not await self.actions_ready():
            raise ServiceUnavailable("actions", "the action server is not answering")
        reply = assemble(outputs)
        await self._describe(sender, reply)
        return reply

    async def _describe(self, sender: str, reply: Reply) -> None:
        """Add the turn's intent, the entities named and the learner's group, read from the tracker."""
        resp = await self.http.get(f"{self.rasa_url}/conversations/{sender}/tracker",
                                   params={"include_events": "NONE"})
        tracker = resp.json() if resp.status_code == 200 else {}
        latest = tracker.get("latest_message") or {}
        intent = latest.get("intent") or {}
        confidence = intent.get("confidence")
        reply.intent = intent.get("name")
        reply.confidence = round(confidence, 4) if confidence is not None else None
        reply.learner_group = (tracker.get("slots") or {}).get("learner_group")
        reply.entities = {e["entity"]: e["value"] for e in latest.get("entities") or [] if "entity" in e}

    async def forget(self, sender: str) -> None:
        """Erase the conversation's events in Rasa's tracker store (a data-subject request)."""
        try:
            await self.http.put(f"{self.rasa_url}/conversations/{conversation_id(sender)}/tracker/events", json=[])
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("rasa", f"cannot reach the Rasa server ({type(exc).__name__})") from exc

    async def rasa_ready(self) -> tuple[bool, str]:
        try:
            resp = await self.http.get(f"{self.rasa_url}/status", timeout=2.0)
            model = resp.json().get("model_file") if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            return False, f"not reachable ({type(exc).__name__})"
        return (True, "model loaded") if model else (False, "no model loaded")

    async def actions_ready(self) -> bool:
        try:
            return (await self.http.get(f"{self.actions_url}/health", timeout=2.0)).status_code == 200
        except httpx.HTTPError:
            return False
