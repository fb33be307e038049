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
GATEWAY_TIMEOUT = aiohttp.ClientTimeout(total=4)

NOT_FOUND = (
    "Xin lỗi, tôi chưa có câu trả lời chắc chắn cho câu hỏi này.\n"
    "Tôi chỉ hỗ trợ về kỹ năng số: VNeID, dịch vụ công trực tuyến, thanh toán điện tử, "
    "sức khỏe trên mạng và phòng tránh lừa đảo.\n"
    "Nếu câu hỏi thuộc các việc này, bạn thử hỏi ngắn gọn hơn, hoặc nhắn \"gặp người hỗ trợ\"."
)
REPORT = (
    "Báo cáo lừa đảo:\n"
    "- Gọi 156, hoặc nhắn tin tới 5656 theo cú pháp: LD số điện thoại nội dung (cuộc gọi lừa đảo).\n"
    "- Kiểm tra số tài khoản lạ tại tinnhiemmang.vn trước khi chuyển tiền.\n"
    "- Đến công an xã, phường gần nhất để trình báo, mang theo tin nhắn, số điện thoại, biên lai."
)
PLATFORM = (
    "Bạn học trên nền tảng Bình dân học vụ số: binhdanhocvuso.gov.vn.\n"
    "Đăng nhập bằng tài khoản định danh điện tử VNeID. Học lần lượt từng bài; học xong, nền tảng cấp chứng nhận."
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


async def gateway(path: str, payload: dict) -> dict | None:
    """POST to the gateway's API; None when it cannot be reached or refuses."""
    try:
        async with aiohttp.ClientSession(timeout=GATEWAY_TIMEOUT) as session:
            async with session.post(f"{GATEWAY_URL}{path}", json=payload) as resp:
                if resp.status == 200:
                    return await resp.json()
                log.warning("%s answered HTTP %s", path, resp.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("%s failed: %s", path, exc)
    return None


async def search(query: str, k: int = 3) -> dict | None:
    return await gateway("/api/search", {"query": query, "k": k})


def source_of(result: dict) -> dict:
    return {"id": result["id"], "title": result["title"], "url": result.get("url")}


class ActionAnswer(Action):
    def name(self) -> str:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        text = tracker.latest_message.get("text") or ""
        report = await gateway("/api/scam-check", {"text": text})
        if report and report["suspicious"]:  # a how-to question that describes a scam is a scam check
            await warn_of_scam(dispatcher, report, text)
            return []
        found = await search(text)
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


async def warn_of_scam(dispatcher: CollectingDispatcher, report: dict, text: str) -> None:
    """Signs found, what to do now, how to report; never says that something is safe."""
    pattern = report["patterns"][0] if report["patterns"] else None
    if report["suspicious"]:
        verdict = f"⚠️ Rất có thể đây là lừa đảo: {pattern['name'].lower()}." if pattern else \
            "⚠️ Tin nhắn, cuộc gọi này có dấu hiệu lừa đảo."
    else:
        verdict = ("Tôi chưa thấy dấu hiệu lừa đảo rõ ràng, nhưng không thể khẳng định là an toàn. "
                   "Nếu có ai đòi tiền, mã OTP hay bảo cài ứng dụng lạ, đó là lừa đảo.")
    signs = [s["label"] for s in report["signs"]]
    signs += [f"Số gọi từ đầu số nước ngoài ({n})" for n in report["foreign_numbers"]]
    signs += [f"Đường link đáng ngờ ({link})" for link in report["risky_links"]]
    first = verdict + ("\nDấu hiệu tôi thấy:\n" + "\n".join(f"- {s}" for s in signs) if signs else "")
    dispatcher.utter_message(text=first)
    advice = pattern["advice"] if pattern else [
        "Không chuyển tiền, không đưa mã OTP, mật khẩu cho bất kỳ ai.",
        "Không bấm vào đường link lạ, không cài ứng dụng theo lời người lạ.",
        "Gọi lại cho người thân hoặc cơ quan bằng số bạn đã biết để xác minh.",
    ]
    dispatcher.utter_message(text="Bạn nên làm ngay:\n" + "\n".join(f"{i}. {a}" for i, a in enumerate(advice, 1)))
    dispatcher.utter_message(text=REPORT)
    sources = []
    if pattern and pattern["article"]:
        found = await search(pattern["name"], k=1)
        sources = [source_of(r) for r in (found or {}).get("results", []) if r["id"] == pattern["article"]]
    meta(dispatcher, "scam_warning", sources=sources)


class ActionScamCheck(Action):
    def name(self) -> str:
        return "action_scam_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        text = tracker.latest_message.get("text") or ""
        report = await gateway("/api/scam-check", {"text": text})
        if report is None:
            dispatcher.utter_message(text=NOT_FOUND)
            meta(dispatcher, "fallback", fallback=True)
            return []
        await warn_of_scam(dispatcher, report, text)
        return []


PII_NAMES = {"otp": "mã OTP", "id_number": "số định danh (số căn cước)", "password": "mật khẩu",
             "card_number": "số thẻ ngân hàng"}


class ActionPiiWarning(Action):
    def name(self) -> str:
        return "action_pii_warning"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        found = (tracker.latest_message.get("metadata") or {}).get("pii") or []
        shared = ", ".join(PII_NAMES[k] for k in found if k in PII_NAMES) or "thông tin bí mật"
        dispatcher.utter_message(text=(
            f"⚠️ Bạn vừa gửi {shared}. Xin đừng gửi những thông tin này cho bất kỳ ai, kể cả trợ lý này. "
            "Tôi đã che đi và không lưu lại."
        ))
        dispatcher.utter_message(text=(
            "Không ai được phép hỏi mã OTP hay mật khẩu của bạn: công an, ngân hàng, tình nguyện viên cũng không. "
            "Ai đòi những thông tin này là kẻ lừa đảo.\n"
            "Tôi không đăng nhập hộ được. Bạn tự nhập mã vào đúng ứng dụng mình đang dùng, "
            "hoặc nhờ người thân tin cậy ngồi bên cạnh hướng dẫn.\n"
            "Bạn cứ hỏi tiếp cách làm, nhưng đừng kèm mã số hay mật khẩu nhé."
        ))
        meta(dispatcher, "pii_warning")
        return []


class ActionCourse(Action):
    def name(self) -> str:
        return "action_course"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        found = await gateway("/api/courses", {"query": tracker.latest_message.get("text") or "", "k": 3})
        if not found:
            dispatcher.utter_message(text=NOT_FOUND)
            meta(dispatcher, "fallback", fallback=True)
            return []
        dispatcher.utter_message(text=PLATFORM)
        lines = [f"{i}. {c['title']}: {c['summary']}" for i, c in enumerate(found["courses"], 1)]
        dispatcher.utter_message(text="Khóa học gợi ý cho bạn:\n" + "\n".join(lines))
        meta(dispatcher, "course")
        return []
