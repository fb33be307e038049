"""How the bot speaks: form of address, fixed texts, buttons, and the `custom.meta` of each turn."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from retrieval.audience import SCRIPT_TOPIC
from retrieval.normalize import fold

# A user who calls the bot "cháu"/"con" or speaks of themself as "bác", "cô"... is addressed so.
SELF_WORDS = {"bác": "bác", "cô": "cô", "chú": "chú", "ông": "ông", "bà": "bà", "anh": "anh", "chị": "chị"}
ELDER_CALLS = re.compile(r"\b(cháu|con)\s+(ơi|à|ạ|nhé|giúp|xem|chỉ|cho)\b|\bchào\s+(cháu|con)\b", re.I)
# "ông nội em", "bà tôi", "anh ấy": someone else, not the user.
# "anh cho em hỏi": the bot is "anh".
NOT_SELF_AFTER = {"ơi", "oi", "cho", "nội", "ngoại", "ấy", "xã", "nhà", "tôi", "em", "mình", "cháu"}
# Typed without accents, only "bac" is surely "bác": "co", "chu", "chi", "anh" are as often "có",
# "chữ", "chỉ", "anh (ấy)".
ELDER_CALLS_UNACCENTED = re.compile(r"\b(chau|con)\s+oi\b|\bchau\s+(a|nhe|giup|xem|chi)\b|\bchao\s+(chau|con)\b"
                                    r"|\b(cho|giup|bao)\s+bac\b|\bbac\s+(muon|can|bi|quen|dang|khong|ko)\b", re.I)
# The knowledge base speaks to "bác"; "bác sĩ" (doctor) is not a form of address.
KB_ADDRESS = re.compile(r"\b([Bb])ác\b(?!\s+sĩ)")

NOT_FOUND = (
    "Xin lỗi, tôi chưa có câu trả lời chắc chắn cho câu hỏi này.\n"
    "Tôi chỉ hỗ trợ về kỹ năng số: VNeID, dịch vụ công trực tuyến, thanh toán điện tử, "
    "sức khỏe trên mạng và phòng tránh lừa đảo.\n"
    "{Addr} thử hỏi ngắn gọn hơn, hoặc nhắn \"gặp người hỗ trợ\"."
)
EMPTY_PROMPT = "{Addr} cần hỏi gì ạ? Cứ nhắn câu hỏi bằng lời của mình, ví dụ \"quên mật khẩu VNeID\"."
REPORT = (
    "Báo cáo lừa đảo:\n"
    "- Gọi 156, hoặc nhắn tin tới 5656 theo cú pháp: LD số điện thoại nội dung (cuộc gọi lừa đảo).\n"
    "- Kiểm tra số tài khoản lạ tại tinnhiemmang.vn trước khi chuyển tiền.\n"
    "- Đến công an xã, phường gần nhất để trình báo, mang theo tin nhắn, số điện thoại, biên lai."
)
PLATFORM = (
    "{Addr} học trên nền tảng Bình dân học vụ số: binhdanhocvuso.gov.vn.\n"
    "Đăng nhập bằng tài khoản định danh điện tử VNeID. Học lần lượt từng bài; học xong, nền tảng cấp chứng nhận."
)
# Where to turn meanwhile, by the topic of the conversation (official channels from the facts file).
HOTLINES = {
    "vneid": "Gọi tổng đài 1900 0368 (bấm phím 4 gặp tổng đài viên) hoặc đến công an xã, phường.",
    "dichvucong": "Đến trung tâm phục vụ hành chính công cấp xã, hoặc gọi 1900 0368 nếu vướng tài khoản VNeID.",
    "scam": "Gọi 156 để báo lừa đảo; lỡ chuyển tiền thì gọi ngay ngân hàng và báo công an xã, phường.",
    "payment": "Gọi tổng đài in trên thẻ ngân hàng của {addr}, hoặc ra chi nhánh gần nhất.",
}
# The knowledge-base topic of each `platform` entity value (nlu_data/entities.yml).
PLATFORM_TOPICS = {"vneid": "vneid", "dichvucong": "dichvucong", "bank_app": "payment", "vssid": "health",
                   "sosuckhoe": "health"}
# A volunteer's script is about the procedure its id names: "volunteer-kich-ban-cai-vneid-muc-1".
SCRIPT_TOPICS = {"vneid": "vneid", "dichvucong": "dichvucong", "lua-dao": "scam", "ngan-hang": "payment"}
DEFAULT_HOTLINE = "Gọi tổng đài 1900 0368 (VNeID, căn cước) hoặc đến công an xã, phường để được hướng dẫn miễn phí."
GUIDE_BUTTONS = [
    {"title": "Xong rồi", "payload": "/guide_done"},
    {"title": "Chưa được", "payload": "/guide_not_yet"},
    {"title": "Nói lại", "payload": "/guide_repeat"},
    {"title": "Dừng", "payload": "/guide_stop"},
]
# Small talk by intent, in the user's form of address.
SMALLTALK = {
    "greet": "Xin chào! Tôi là trợ lý ảo của phong trào Bình dân học vụ số. Tôi có thể giúp:\n"
             "- Dùng VNeID và dịch vụ công trực tuyến\n- Chuyển tiền, thanh toán trên điện thoại an toàn\n"
             "- Nhận biết tin nhắn, cuộc gọi lừa đảo\n- Tìm khóa học kỹ năng số\n"
             "{Addr} cứ hỏi bằng lời của mình, có dấu hay không dấu đều được.",
    "goodbye": "Chào {addr}, chúc {addr} một ngày tốt lành! Khi cần, {addr} cứ nhắn lại cho tôi nhé.",
    "thanks": "Không có gì ạ! Tôi rất vui được giúp. {Addr} còn muốn hỏi gì nữa không?",
    "bot_identity": "Tôi là trợ lý ảo (máy trả lời tự động) hỗ trợ kỹ năng số, không phải người thật. "
                    "Nếu cần, tôi có thể giúp {addr} liên hệ người hỗ trợ trực tiếp.",
    "affirm": "Dạ. {Addr} cần tôi giúp gì tiếp theo?",
    "deny": "Dạ, không sao. Khi cần, {addr} cứ hỏi tôi nhé.",
}
FEEDBACK_BUTTONS = [{"title": "👍 Có ích", "payload": "/feedback_up"}, {"title": "👎 Chưa ổn", "payload": "/feedback_down"}]


def address_of(tracker: Tracker) -> str:
    """How to address this user: from their words, else as before, else the neutral "bạn"."""
    text = (tracker.latest_message.get("text") or "").strip()
    words = re.findall(r"\w+", text.lower())[:3]
    for word, after in zip(words[:2], words[1:] + [""]):
        if word in SELF_WORDS and after not in NOT_SELF_AFTER:  # "anh ơi" calls the bot, it is not the user
            return SELF_WORDS[word]
    plain = text.replace("đ", "d").replace("Đ", "D")  # "sđt" in a message typed without accents
    unaccented = fold(plain) == plain
    if ELDER_CALLS.search(text) or unaccented and ("bac" in words or ELDER_CALLS_UNACCENTED.search(text)):
        return "bác"
    return tracker.get_slot("address") or "bạn"


def speak(text: str, addr: str, readdress: bool = True) -> str:
    """Fill {addr}/{Addr} and re-address knowledge-base text written for "bác" (not in a volunteer's
    script, where "bác" is the elder being helped)."""
    text = text.replace("{addr}", addr).replace("{Addr}", addr.capitalize())
    if addr != "bác" and readdress:
        text = KB_ADDRESS.sub(lambda m: addr.capitalize() if m.group(1) == "B" else addr, text)
    return text


def say(dispatcher: CollectingDispatcher, addr: str, text: str, buttons: list | None = None,
        readdress: bool = True) -> None:
    dispatcher.utter_message(text=speak(text, addr, readdress), buttons=buttons or [])


def speaks_to_reader(article: dict) -> bool:
    """Whether the article's "bác" is its reader; in a volunteer's script it is the elder they help."""
    return article.get("topic") != SCRIPT_TOPIC


def meta(dispatcher: CollectingDispatcher, kind: str, **fields: Any) -> None:
    dispatcher.utter_message(json_message={"meta": {"kind": kind, **fields}})


def source_of(result: dict) -> dict:
    return {"id": result["id"], "title": result["title"], "url": result.get("url")}


def hotline_of(article: dict) -> str | None:
    """The official line for the topic of an article's procedure, if it has one."""
    topic = article["topic"]
    if topic == SCRIPT_TOPIC:
        topic = next((t for word, t in SCRIPT_TOPICS.items() if word in article["id"]), topic)
    return HOTLINES.get(topic)
