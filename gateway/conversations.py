"""Conversation records: what the web widget fetches, unanswered questions grouped for editors,
a person's data exported or erased on request, and the retention limit.

Everything stored here was masked before it was written (ChatService, Inbox)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from gateway.accounts import aware, now
from gateway.store import FeedbackRow, HandoffRow, MessageRow, Store, UnansweredRow
from retrieval.normalize import fold, normalize

SIMILAR = 0.5  # word overlap (Jaccard) at which two unanswered questions are the same question
PER_SENDER = (MessageRow, FeedbackRow, UnansweredRow, HandoffRow)


def human_messages(store: Store, sender: str, after: int) -> dict:
    """Messages a volunteer or official sent to `sender` since message `after`, and the state of
    the conversation's latest handoff (None when there was none)."""
    with Session(store.engine) as session:
        rows = session.scalars(select(MessageRow).where(MessageRow.sender == sender, MessageRow.role == "human",
                                                        MessageRow.id > after).order_by(MessageRow.id))
        handoff = session.scalars(select(HandoffRow.status).where(HandoffRow.sender == sender)
                                  .order_by(HandoffRow.id.desc())).first()
        return {"messages": [{"id": m.id, "text": m.text, "at": aware(m.created_at).isoformat()} for m in rows],
                "handoff": handoff}


def unanswered_groups(store: Store, days: int = 90, limit: int = 2000) -> list[dict]:
    """Recent unanswered questions, similar ones together, the most frequent first."""
    since = now() - dt.timedelta(days=days)
    with Session(store.engine) as session:
        rows = session.scalars(select(UnansweredRow).where(UnansweredRow.created_at >= since)
                               .order_by(UnansweredRow.id.desc()).limit(limit)).all()
    groups: list[dict] = []
    for row in rows:
        words = {fold(word) for word in normalize(row.text)}  # accents or not, the same question
        best = max(groups, key=lambda g: _overlap(words, g["words"]), default=None)
        if best is None or _overlap(words, best["words"]) < SIMILAR:
            best = {"words": words, "question": row.text, "count": 0, "channels": {}, "reasons": {},
                    "first_at": row.created_at, "last_at": row.created_at, "examples": []}
            groups.append(best)
        best["count"] += 1
        best["channels"][row.channel] = best["channels"].get(row.channel, 0) + 1
        best["reasons"][row.reason] = best["reasons"].get(row.reason, 0) + 1
        best["first_at"], best["last_at"] = min(best["first_at"], row.created_at), max(best["last_at"], row.created_at)
        if len(best["examples"]) < 5 and row.text not in best["examples"]:
            best["examples"].append(row.text)
    groups.sort(key=lambda g: (-g["count"], g["question"]))
    return [{**{k: v for k, v in g.items() if k != "words"}, "first_at": aware(g["first_at"]).isoformat(),
             "last_at": aware(g["last_at"]).isoformat()} for g in groups]


def _overlap(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def export(store: Store, sender: str) -> dict:
    """Everything stored about one conversation (already masked), for a data-subject request."""
    with Session(store.engine) as session:
        def rows(model, *columns):
            found = session.scalars(select(model).where(model.sender == sender).order_by(model.id))
            return [{c: (aware(v).isoformat() if isinstance(v := getattr(r, c), dt.datetime) else v) for c in columns}
                    for r in found]
        return {"sender": sender,
                "messages": rows(MessageRow, "role", "channel", "text", "kind", "topic", "created_at"),
                "feedback": rows(FeedbackRow, "value", "article_id", "created_at"),
                "unanswered": rows(UnansweredRow, "text", "reason", "created_at"),
                "handoffs": rows(HandoffRow, "summary", "status", "created_at")}


def erase(store: Store, sender: str) -> dict:
    """Delete every record of one conversation; returns how many rows of each kind went."""
    with Session(store.engine) as session, session.begin():
        return {model.__tablename__: session.execute(delete(model).where(model.sender == sender)).rowcount
                for model in PER_SENDER}


def apply_retention(store: Store, days: int) -> dict:
    """Delete conversation records older than `days` (open handoffs are kept)."""
    cutoff = now() - dt.timedelta(days=days)
    with Session(store.engine) as session, session.begin():
        removed = {model.__tablename__: session.execute(
            delete(model).where(model.created_at < cutoff)).rowcount for model in (MessageRow, FeedbackRow,
                                                                                  UnansweredRow)}
        removed["handoffs"] = session.execute(delete(HandoffRow).where(HandoffRow.created_at < cutoff,
                                                                       HandoffRow.status == "closed")).rowcount
        return removed
