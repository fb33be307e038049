"""Custom actions: answers from the knowledge base (via the gateway's /api/search) and handoff.

Every reply ends with a `custom.meta` message that tells the gateway what kind of turn this was.
"""
from __future__ import annotations

import logging
import os
from typing import Any

import aiohttp
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

log = logging.getLogger(__name__)
GATEWAY_URL = os.environ.get("GATEWAY_URL", f"http://127.0.0.1:{os.environ.get('PORT', 8000)}")
SEARCH_TIMEOUT = aiohttp.ClientTimeout(total=4)

NOT_FOUND = (
    "Xin lỗi, tôi chưa có câu trả lời chắc chắn cho câu hỏi này.\n"
    "Tôi chỉ hỗ trợ về kỹ năng số: VNeID, dịch vụ công trực tuyến, thanh toán điện tử, "
    "sức khỏe trên mạng và phòng tránh lừa đảo.\n"
    "Nếu câu hỏi thuộc các việc này, bạn thử hỏi ngắn gọn hơn, hoặc nhắn \"gặp người hỗ trợ\"."
)
HANDOFF = (
    "Tôi sẽ nhờ người hỗ trợ trực tiếp cho bạn.\n"
    "Trong lúc chờ, bạn có thể:\n"
    "- Gọi tổng đài 1900 0368 (VNeID, căn cước), bấm phím 4 để gặp tổng đài viên.\n"
    "- Đến công an xã, phường nơi bạn ở để được hướng dẫn miễn phí.\n"
    "Xin đừng gửi mã OTP hay mật khẩu cho bất kỳ ai."
)


def meta(dispatcher: CollectingDispatcher, kind: str, **fields: Any) -> None:
    dispatcher.utter_message(json_message={"meta": {"kind": kind, **fields}})


async def search(query: str, k: int = 3) -> dict | None:
    """The gateway's search result, or None when the gateway cannot be reached."""
    try:
        async with aiohttp.ClientSession(timeout=SEARCH_TIMEOUT) as session:
            async with session.post(f"{GATEWAY_URL}/api/search", json={"query": query, "k": k}) as resp:
                if resp.status == 200:
                    return await resp.json()
                log.warning("search answered HTTP %s", resp.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("search failed: %s", exc)
    return None


def source_of(result: dict) -> dict:
    return {"id": result["id"], "title": result["title"], "url": result.get("url")}


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        found = await search(tracker.latest_message.get("text") or "")
        if not found or found["abstained"] or not found["results"]:
            dispatcher.utter_message(text=NOT_FOUND)
            meta(dispatcher, "fallback", fallback=True)
            return []
        best = found["results"][0]
        dispatcher.utter_message(text=f"{best['body']}\n\n(Nguồn: {best['title']})")
        meta(dispatcher, "answer", sources=[source_of(best)])
        return []


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(text=HANDOFF)
        meta(dispatcher, "handoff")
        return []
