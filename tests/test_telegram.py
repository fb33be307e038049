"""The Telegram channel against a real HTTP server playing the Bot API: python-telegram-bot sends
its requests there through base_url. The gateway app runs under uvicorn on 127.0.0.1; the chat
is a stand-in (the end-to-end tests cover the real Rasa)."""
import contextlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi import FastAPI

from connectors.telegram import BUSY, STALE_BUTTON, VOICE, TelegramChannel
from gateway.rasa_client import Reply, ServiceUnavailable

from servers import add_inbox_route, serve

TOKEN = "123:test-token"
SECRET = "s3cret-token"
LONG_PAYLOAD = '/ask_question{"article": "vneid-quen-mat-khau", "step": 2, "topic": "vneid-dang-nhap"}'
LONG_TEXT = "\n".join(f"Bước {i}: " + "mở ứng dụng VNeID và làm theo hướng dẫn. " * 3 for i in range(60))


class FakeBotApi(ThreadingHTTPServer):
    """Answers /bot<token>/<method> like Telegram and records every call as (method, params)."""
    daemon_threads = True
    request_queue_size = 64  # many senders connect at once; the default backlog (5) resets some under load

    def __init__(self):
        super().__init__(("127.0.0.1", 0), BotApiHandler)
        self.calls: list[tuple[str, dict]] = []
        self.lock = threading.Lock()
        self.get_me_failures = 0

    def called(self, method: str) -> list[dict]:
        with self.lock:
            return [params for name, params in self.calls if name == method]


class BotApiHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        method = self.path.rsplit("/", 1)[-1]
        assert self.path.startswith(f"/bot{TOKEN}/")
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        params = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params = json.loads(raw or "{}")
        if method != "getMe":
            with self.server.lock:
                self.server.calls.append((method, params))
        elif self.server.get_me_failures > 0:  # Telegram unreachable for a while
            self.server.get_me_failures -= 1
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if method == "getMe":
            result = {"id": 1, "is_bot": True, "first_name": "Trợ lý", "username": "tro_ly_bot"}
        elif method == "sendMessage":
            result = {"message_id": len(self.server.calls), "date": int(time.time()), "text": params["text"],
                      "chat": {"id": int(params["chat_id"]), "type": "private"}}
        else:
            result = True
        body = json.dumps({"ok": True, "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FakeChat:
    """Stands in for ChatService: a reply with two buttons (one payload too long for Telegram)."""

    def __init__(self):
        self.calls = []

    async def turn(self, sender, text, channel):
        self.calls.append((sender, text, channel))
        if text == "bận":
            raise ServiceUnavailable("rasa", "down")
        if text == "hỏng":
            raise RuntimeError("bug in the chat")
        if text == "dài":
            return Reply([{"text": LONG_TEXT, "buttons": [{"title": "Hữu ích", "payload": "/feedback_up"}]}],
                         "guide_step", [], False)
        return Reply([{"text": f"Trả lời: {text}",
                       "buttons": [{"title": "Hữu ích", "payload": "/feedback_up"},
                                   {"title": "Bước tiếp", "payload": LONG_PAYLOAD}]}],
                     "answer", [{"id": "vneid-quen-mat-khau", "title": "Quên mật khẩu VNeID",
                                 "url": "https://vneid.gov.vn/"}], False)


@pytest.fixture(scope="module")
def api():
    server = FakeBotApi()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@contextlib.contextmanager
def running(api):
    chat = FakeChat()
    channel = TelegramChannel.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET,
                                        "TELEGRAM_API_BASE": f"http://127.0.0.1:{api.server_port}/bot"})

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await channel.start(chat)
        yield
        await channel.stop()

    app = FastAPI(lifespan=lifespan)
    app.include_router(channel.router)
    add_inbox_route(app, channel)
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client, chat, channel


@pytest.fixture(scope="module")
def gateway(api):
    with running(api) as parts:
        yield parts


@pytest.fixture
def tg(gateway, api):
    client, chat, channel = gateway
    chat.calls.clear()
    with api.lock:
        api.calls.clear()
    return client, chat, channel


_ids = iter(range(1000, 10**6))


def text_update(text: str, chat_id: int = 42, update_id: int | None = None) -> dict:
    user = {"id": chat_id, "is_bot": False, "first_name": "An"}
    return {"update_id": update_id or next(_ids),
            "message": {"message_id": 7, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                        "from": user, "text": text}}


def post(client, update: dict, secret: str | None = SECRET) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return client.post("/webhooks/telegram", json=update, headers=headers)


def test_text_message_gets_the_reply_with_an_inline_keyboard(tg, api):
    client, chat, channel = tg
    assert post(client, text_update("quên mật khẩu vneid")).status_code == 200
    assert chat.calls == [("tg:42", "quên mật khẩu vneid", "telegram")]
    [sent] = api.called("sendMessage")
    assert sent["chat_id"] == "42"
    assert sent["text"].startswith("Trả lời: quên mật khẩu vneid")
    assert "https://vneid.gov.vn/" in sent["text"]  # the source, under the answer
    rows = json.loads(sent["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in rows] == ["Hữu ích", "Bước tiếp"]
    assert rows[0][0]["callback_data"] == "/feedback_up"
    long_key = rows[1][0]["callback_data"]
    assert long_key != LONG_PAYLOAD and len(long_key.encode()) <= 64
    assert channel.payloads[long_key] == LONG_PAYLOAD


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
def test_wrong_secret_is_refused_and_changes_nothing(tg, api, secret):
    client, chat, _ = tg
    update = text_update("xin chào")
    assert post(client, update, secret).status_code == 403
    assert chat.calls == [] and api.calls == []
    assert post(client, update).status_code == 200  # the update id was not used up by the refusal
    assert len(chat.calls) == 1


def test_a_retried_update_is_answered_once(tg, api):
    client, chat, _ = tg
    update = text_update("xin chào")
    for _ in range(3):
        assert post(client, update).status_code == 200
    assert len(chat.calls) == 1
    assert len(api.called("sendMessage")) == 1


def test_button_press_is_answered_and_its_payload_sent_as_the_message(tg, api):
    client, chat, _ = tg
    post(client, text_update("quên mật khẩu vneid", chat_id=77))
    rows = json.loads(api.called("sendMessage")[0]["reply_markup"])["inline_keyboard"]
    chat.calls.clear()
    for i, data in enumerate([rows[1][0]["callback_data"], "k:unknown"]):
        press = {"update_id": next(_ids), "callback_query": {
            "id": f"cb-{i}", "chat_instance": "ci", "data": data,
            "from": {"id": 77, "is_bot": False, "first_name": "An"},
            "message": {"message_id": 9, "date": int(time.time()), "chat": {"id": 77, "type": "private"}, "text": "..."}}}
        assert post(client, press).status_code == 200
    assert [a["callback_query_id"] for a in api.called("answerCallbackQuery")] == ["cb-0", "cb-1"]
    assert chat.calls == [("tg:77", LONG_PAYLOAD, "telegram")]
    assert api.called("sendMessage")[-1]["text"] == STALE_BUTTON  # a key this gateway no longer knows


def test_long_reply_is_split_on_line_boundaries(tg, api):
    client, _, _ = tg
    post(client, text_update("dài"))
    sent = api.called("sendMessage")
    assert len(sent) >= 2 and all(len(s["text"]) <= 4096 for s in sent)
    assert "\n".join(s["text"] for s in sent) == LONG_TEXT  # nothing lost, cut only at line ends
    assert [("reply_markup" in s) for s in sent] == [False] * (len(sent) - 1) + [True]


def test_voice_note_gets_a_request_for_text(tg, api):
    client, chat, _ = tg
    update = text_update("")
    del update["message"]["text"]
    update["message"]["voice"] = {"file_id": "f1", "file_unique_id": "u1", "duration": 3, "mime_type": "audio/ogg"}
    assert post(client, update).status_code == 200
    assert chat.calls == []
    assert [s["text"] for s in api.called("sendMessage")] == [VOICE]


def test_busy_chat_gives_a_polite_reply(tg, api):
    client, _, _ = tg
    assert post(client, text_update("bận")).status_code == 200
    assert [s["text"] for s in api.called("sendMessage")] == [BUSY]


def test_failures_never_escape_the_webhook(tg, api):
    client, chat, _ = tg
    assert post(client, text_update("hỏng")).status_code == 200
    assert [s["text"] for s in api.called("sendMessage")] == [BUSY]  # an apology, not silence
    assert client.post("/webhooks/telegram", content=b"{not json", headers={
        "X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}).status_code == 200
    assert post(client, {"update_id": next(_ids), "something_new": {}}).status_code == 200
    assert post(client, text_update("xin chào")).status_code == 200  # still serving
    assert chat.calls[-1][1] == "xin chào"


def test_gateway_starts_while_telegram_is_unreachable_and_catches_up(api):
    api.get_me_failures = 1
    with running(api) as (client, chat, channel):
        assert not channel.ready
        assert post(client, text_update("xin chào", chat_id=5)).status_code == 200
        assert channel.ready and chat.calls == [("tg:5", "xin chào", "telegram")]
        assert api.called("sendMessage")[-1]["chat_id"] == "5"


def test_a_reply_from_the_console_goes_out_as_a_message(tg, api):
    client, chat, _ = tg
    resp = client.post("/inbox/555", content="Chào bác, cháu là tình nguyện viên phường.".encode())
    assert resp.status_code == 200
    assert [(m["chat_id"], m["text"]) for m in api.called("sendMessage")] == [
        ("555", "Chào bác, cháu là tình nguyện viên phường.")]
    assert chat.calls == []  # the bot is not asked
