"""Small talk speaks to the user as they speak of themselves; "no" during a guide stops it."""
import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import actions


def reply_to(text, intent, slots=None):
    tracker = Tracker("smalltalk-test", slots or {}, {"text": text, "intent": {"name": intent, "confidence": 0.9}},
                      [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(actions.ActionSmalltalk().run(dispatcher, tracker, {}))
    text = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    kind = next(m["custom"]["meta"]["kind"] for m in dispatcher.messages if m.get("custom", {}).get("meta"))
    return kind, text, events


def test_greeting_and_thanks_use_the_users_form_of_address():
    kind, text, _ = reply_to("chào cháu, bác mới tập dùng cái này", "greet")
    assert kind == "smalltalk" and "VNeID" in text and "Bác cứ hỏi" in text and "bạn" not in text.lower()
    kind, text, _ = reply_to("chị cảm ơn nhé", "thanks")
    assert kind == "smalltalk" and "Chị còn muốn hỏi" in text
    assert "Bạn còn muốn hỏi" in reply_to("cảm ơn", "thanks")[1]


def test_asking_what_the_bot_does_is_the_menu():
    for text in ("menu", "bot lm dc j", "bạn giúp được gì"):
        kind, reply, _ = reply_to(text, "greet")
        assert kind == "menu" and "VNeID" in reply


def test_no_during_a_guide_stops_it_and_otherwise_is_small_talk():
    kind, text, events = reply_to("thôi", "deny", {"guide_article": "vneid-quen-mat-khau", "guide_step": 2})
    assert kind == "guide_step" and "Đã dừng hướng dẫn" in text
    assert {"event": "slot", "timestamp": None, "name": "guide_article", "value": None} in events
    kind, text, events = reply_to("thôi", "deny")
    assert kind == "smalltalk" and "không sao" in text
    assert not any(e.get("name") == "guide_article" for e in events)


def test_yes_during_a_guide_is_the_next_step(monkeypatch):
    async def article(article_id):
        return {"id": article_id, "title": "Quên mật khẩu VNeID", "steps": ["Mở VNeID.", "Bấm Quên mật khẩu.", "Nhập mã."]}

    monkeypatch.setattr(actions.api, "article", article)
    kind, text, events = reply_to("ok", "affirm", {"guide_article": "vneid-quen-mat-khau", "guide_step": 0})
    assert kind == "guide_step" and "Bấm Quên mật khẩu." in text
    assert reply_to("ok", "affirm")[0] == "smalltalk"
