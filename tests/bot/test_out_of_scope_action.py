"""A message the dialogue model calls out of scope is answered only when the search is confident."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions

ARTICLE = {"id": "health-dat-lich-kham-benh-online", "title": "Đặt lịch khám bệnh trực tuyến", "topic": "health",
           "score": 0.71, "body": "Mỗi bệnh viện có ứng dụng hoặc trang đặt lịch riêng.", "steps": [], "url": None}


def reply_to(monkeypatch, text, found):
    async def search(query, k=3):
        assert query == text
        return found

    monkeypatch.setattr(actions.api, "search", search)
    tracker = Tracker("oos-test", {}, {"text": text, "intent": {"name": "out_of_scope", "confidence": 0.6}},
                      [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    asyncio.run(actions.ActionOutOfScope().run(dispatcher, tracker, {}))
    return dispatcher.messages


def kind_of(messages):
    return next(m["custom"]["meta"]["kind"] for m in messages if m.get("custom", {}).get("meta"))


def test_a_confident_search_result_is_answered(monkeypatch):
    messages = reply_to(monkeypatch, "đặt lịch khám bệnh onlin ở đâu",
                        {"results": [ARTICLE], "abstained": False, "clarify": False, "confident": True})
    assert kind_of(messages) == "answer"
    assert any(ARTICLE["body"] in (m.get("text") or "") for m in messages)


def test_otherwise_the_bot_says_what_it_helps_with(monkeypatch):
    messages = reply_to(monkeypatch, "giá vàng hôm nay",
                        {"results": [dict(ARTICLE, score=0.62)], "abstained": False, "clarify": False,
                         "confident": False})
    assert [m.get("response") for m in messages] == ["utter_out_of_scope"]
