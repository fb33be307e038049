"""One user turn, whatever the channel: mask personal data, ask Rasa (unless a human owns the
conversation), and record the masked turn."""
from __future__ import annotations

import logging
import time

from gateway.rasa_client import RasaClient, Reply, conversation_id
from gateway.store import MessageRow, Store, UnansweredRow
from retrieval.privacy import mask

log = logging.getLogger("gateway.chat")


class ChatService:
    def __init__(self, rasa: RasaClient, store: Store):
        self.rasa = rasa
        self.store = store

    async def turn(self, sender: str, text: str, channel: str = "web") -> Reply:
        """The bot's reply to `text` from `sender`; raises ServiceUnavailable when a part is down.

        While a volunteer or official owns the conversation the bot stays silent: the message is
        kept for them and the reply has no messages."""
        sender = conversation_id(sender)  # the id Rasa and the actions see
        masked = mask(text.strip())
        started = time.perf_counter()
        self.store.add(MessageRow(sender=sender, channel=channel, role="user", text=masked.text))
        if self.store.owned_handoff(sender):
            return Reply(messages=[], kind="handoff", sources=[], fallback=False)
        reply = await self.rasa.chat(sender, masked.text, {"pii": masked.found, "channel": channel})
        topic = reply.sources[0]["id"].split("-")[0] if reply.sources else reply.entities.get("topic")
        self.store.add(MessageRow(sender=sender, channel=channel, role="bot", kind=reply.kind, intent=reply.intent,
                                  topic=topic, learner_group=reply.learner_group, text="\n".join(m["text"] for m in reply.messages)))
        if reply.kind == "fallback" and reply.intent != "out_of_scope":
            self.store.add(UnansweredRow(sender=sender, channel=channel, text=masked.text, reason="fallback"))
        log.info("chat turn", extra={"sender": sender, "channel": channel, "text": masked.text, "kind": reply.kind,
                                     "intent": reply.intent, "sources": [s.get("id") for s in reply.sources],
                                     "ms": round((time.perf_counter() - started) * 1000)})
        return reply
