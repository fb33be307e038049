"""One user turn, whatever the channel: mask personal data, ask Rasa, log the masked turn."""
from __future__ import annotations

import logging
import time

from gateway.rasa_client import RasaClient, Reply
from retrieval.privacy import mask

log = logging.getLogger("gateway.chat")


class ChatService:
    def __init__(self, rasa: RasaClient):
        self.rasa = rasa

    async def turn(self, sender: str, text: str, channel: str = "web") -> Reply:
        """The bot's reply to `text` from `sender`; raises ServiceUnavailable when a part is down."""
        masked = mask(text.strip())
        started = time.perf_counter()
        reply = await self.rasa.chat(sender, masked.text, {"pii": masked.found, "channel": channel})
        log.info("chat turn", extra={"sender": sender, "channel": channel, "text": masked.text, "kind": reply.kind,
                                     "intent": reply.intent, "sources": [s.get("id") for s in reply.sources],
                                     "ms": round((time.perf_counter() - started) * 1000)})
        return reply
