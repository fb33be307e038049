"""The handoff inbox: conversations waiting for a human, taken by one volunteer or official at a
time, answered from the console through the user's own channel, and handed back to the bot.

While a handoff is active the bot stays silent (ChatService); while it waits, the bot still answers.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

from fastapi import HTTPException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.accounts import audit, aware, now
from gateway.store import HandoffRow, MessageRow, Store
from retrieval.privacy import mask

log = logging.getLogger("gateway.handoffs")
RETURNED = "Cán bộ hỗ trợ đã kết thúc trò chuyện. Trợ lý tự động sẽ tiếp tục giúp bạn."
# channel name -> send(user id within the channel, text); the web widget fetches its messages instead.
Senders = dict[str, Callable[[str, str], Awaitable[None]]]


def describe(row: HandoffRow, last_message_at=None) -> dict:
    return {"id": row.id, "sender": row.sender, "channel": row.channel, "summary": row.summary,
            "status": row.status, "owner": row.owner, "created_at": aware(row.created_at).isoformat(),
            "last_message_at": aware(last_message_at).isoformat() if last_message_at else None}


class Inbox:
    def __init__(self, store: Store, senders: Senders):
        self.store = store
        self.senders = senders

    def list(self, status: str | None = None) -> list[dict]:
        statuses = (status,) if status else ("waiting", "active")
        last = (select(MessageRow.sender, func.max(MessageRow.created_at).label("at"))
                .group_by(MessageRow.sender).subquery())
        with Session(self.store.engine) as session:
            rows = session.execute(select(HandoffRow, last.c.at).outerjoin(last, last.c.sender == HandoffRow.sender)
                                   .where(HandoffRow.status.in_(statuses)).order_by(HandoffRow.id)).all()
            return [describe(row, at) for row, at in rows]

    def waiting(self) -> int:
        """How many conversations wait for a human (shown on every console page)."""
        with Session(self.store.engine) as session:
            return session.scalar(select(func.count()).select_from(HandoffRow).where(HandoffRow.status == "waiting"))

    def get(self, handoff_id: int) -> dict:
        with Session(self.store.engine) as session:
            row = self._row(session, handoff_id)
            found = describe(row)
        history = self.store.history(row.sender, limit=50)
        return {**found, "history": [{"role": m.role, "text": m.text, "at": aware(m.created_at).isoformat()}
                                     for m in history]}

    def take(self, user: str, handoff_id: int) -> dict:
        with Session(self.store.engine, expire_on_commit=False) as session, session.begin():
            row = self._open_to(user, self._row(session, handoff_id, lock=True))
            row.owner, row.status = user, "active"
            audit(session, user, "take_handoff", str(handoff_id), {"status": "waiting"}, {"status": "active"})
            return describe(row)

    async def reply(self, user: str, handoff_id: int, text: str) -> dict:
        """Send `text` to the user through their channel; only the owner may."""
        with Session(self.store.engine) as session:
            row = self._row(session, handoff_id)
            if row.status != "active" or row.owner != user:
                raise HTTPException(409, "take the conversation first: only its owner can reply")
            sender, channel = row.sender, row.channel
        return await self._send(sender, channel, text)

    async def release(self, user: str, handoff_id: int) -> dict:
        """Hand the conversation back to the bot and tell the user."""
        with Session(self.store.engine, expire_on_commit=False) as session, session.begin():
            row = self._open_to(user, self._row(session, handoff_id, lock=True))
            before = row.status
            row.status, row.owner, row.closed_at = "closed", None, now()
            audit(session, user, "return_to_bot", str(handoff_id), {"status": before}, {"status": "closed"})
            sender, channel = row.sender, row.channel
        await self._send(sender, channel, RETURNED)
        return {"id": handoff_id, "status": "closed"}

    async def _send(self, sender: str, channel: str, text: str) -> dict:
        """Store the (masked) message, then deliver it; the web widget picks it up by polling."""
        message = MessageRow(sender=sender, channel=channel, role="human", text=mask(text).text)
        self.store.add(message)
        send = self.senders.get(channel)
        if send is not None:
            try:
                await send(sender.split(":", 1)[1], text)
            except Exception as exc:
                log.warning("handoff reply not delivered", extra={"channel": channel, "error": repr(exc)})
                raise HTTPException(502, f"the {channel} platform did not take the message: try again, "
                                         "or check the channel's settings") from None
        return {"id": message.id, "delivered": send is not None or channel == "web"}

    @staticmethod
    def _open_to(user: str, row: HandoffRow) -> HandoffRow:
        """The handoff, if it is still open and nobody else is answering it."""
        if row.status == "closed":
            raise HTTPException(409, "this conversation is already back with the bot")
        if row.owner and row.owner != user:
            raise HTTPException(409, f"{row.owner} is already answering this conversation")
        return row

    @staticmethod
    def _row(session: Session, handoff_id: int, lock: bool = False) -> HandoffRow:
        query = select(HandoffRow).where(HandoffRow.id == handoff_id)
        row = session.scalars(query.with_for_update() if lock else query).first()
        if row is None:
            raise HTTPException(404, f"no handoff {handoff_id}")
        return row
