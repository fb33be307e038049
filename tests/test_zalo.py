"""The Zalo OA channel against a real HTTP server playing Zalo's OpenAPI (customer-service
messages) and OAuth (token refresh). The gateway app runs under uvicorn on 127.0.0.1; the chat
is a stand-in (the end-to-end tests cover the real Rasa)."""
import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from connectors.zalo import BUSY, WELCOME, ZaloChannel, ZaloTokenRow
from gateway.rasa_client import Reply, ServiceUnavailable

from servers import add_inbox_route, serve

APP_ID = "1234567890"
APP_SECRET = "app-secret"
OA_SECRET = "oa-secret-key"
QUOTA_USER = "u-quota"


class FakeZalo(ThreadingHTTPServer):
    """Both of Zalo's hosts: /v3.0/oa/message/cs and /v4/oa/access_token. Only `valid` access
    tokens are accepted; a refresh swaps `refresh_token` for the next pair, slowly."""
    daemon_threads = True
    request_queue_size = 64  # many senders connect at once; the default backlog (5) resets some under load

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ZaloHandler)
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.sends: list[tuple[str, dict]] = []       # (access token, body)
            self.refreshes: list[tuple[dict, dict]] = []  # (headers, form)
            self.valid = {"access-1"}
            self.refresh_token, self.next_pair = "refresh-1", ("access-2", "refresh-2")

    def delivered(self) -> list[dict]:
        with self.lock:
            return [body for token, body in self.sends if token in self.valid and body["recipient"]["user_id"] != QUOTA_USER]


class ZaloHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server: FakeZalo = self.server
        if self.path == "/v3.0/oa/message/cs":
            body, token = json.loads(raw), self.headers.get("access_token", "")
            time.sleep(0.02)
            with server.lock:
                server.sends.append((token, body))
                valid = token in server.valid
            if not valid:
                answer = {"error": -216, "message": "Access token is invalid"}
            elif body["recipient"]["user_id"] == QUOTA_USER:
                answer = {"error": -32, "message": "Exceeded quota of messages"}
            else:
                answer = {"error": 0, "message": "Success", "data": {"message_id": "m1", "user_id": body["recipient"]["user_id"]}}
        elif self.path == "/v4/oa/access_token":
            form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
            time.sleep(0.3)  # slow, so that every sender sees the expired token meanwhile
            with server.lock:
                server.refreshes.append((dict(self.headers), form))
                if form.get("refresh_token") == server.refresh_token and self.headers.get("secret_key") == APP_SECRET:
                    access, refresh = server.next_pair
                    server.valid, server.refresh_token = {access}, refresh
                    answer = {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
                else:
                    answer = {"error": -14014, "error_name": "Invalid refresh token"}
        else:
            self.send_response(404)
            self.end_headers()
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class FakeChat:
    def __init__(self):
        self.calls = []

    async def turn(self, sender, text, channel):
        self.calls.append((sender, text, channel))
        if text == "bận":
            raise ServiceUnavailable("rasa", "down")
        if text == "chậm":
            await asyncio.sleep(1.0)
        return Reply([{"text": f"Trả lời: {text}",
                       "buttons": [{"title": "Hữu ích", "payload": "/feedback_up"},
                                   {"title": "Gặp tình nguyện viên", "payload": "/handoff"}]}],
                     "answer", [{"id": "vneid-quen-mat-khau", "title": "Quên mật khẩu VNeID",
                                 "url": "https://vneid.gov.vn/"}], False)


def wait_for(condition, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def api():
    server = FakeZalo()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def env(api, tmp_path):
    base = f"http://127.0.0.1:{api.server_port}"
    api.reset()
    return {"ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": APP_SECRET, "ZALO_OA_SECRET_KEY": OA_SECRET,
            "ZALO_ACCESS_TOKEN": "access-1", "ZALO_REFRESH_TOKEN": "refresh-1",
            "ZALO_API_BASE": base, "ZALO_OAUTH_BASE": base, "DATA_DIR": str(tmp_path)}


@contextlib.contextmanager
def running(env: dict):
    chat, channel = FakeChat(), ZaloChannel.from_env(env)

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


@pytest.fixture
def zalo(env):
    with running(env) as parts:
        yield parts


_ids = iter(range(1, 10**6))


def text_event(text: str, user: str = "u1", msg_id: str | None = None) -> dict:
    return {"app_id": APP_ID, "user_id_by_app": "by-app-" + user, "event_name": "user_send_text",
            "sender": {"id": user}, "recipient": {"id": "oa-1"},
            "message": {"text": text, "msg_id": msg_id or f"msg-{next(_ids)}"},
            "timestamp": str(int(time.time() * 1000))}


def post(client, event: dict, sign=True, body: bytes | None = None) -> httpx.Response:
    raw = json.dumps(event, ensure_ascii=False).encode()
    mac = "mac=" + hashlib.sha256(APP_ID.encode() + raw + event["timestamp"].encode() + OA_SECRET.encode()).hexdigest()
    headers = {"Content-Type": "application/json"}
    if sign:
        headers["X-ZEvent-Signature"] = mac if sign is True else sign
    return client.post("/webhooks/zalo", content=body if body is not None else raw, headers=headers)


def test_signed_text_gets_a_reply_with_buttons(zalo, api):
    client, chat, _ = zalo
    assert post(client, text_event("quên mật khẩu vneid")).status_code == 200
    wait_for(lambda: api.delivered())
    [body] = api.delivered()
    assert chat.calls == [("zalo:u1", "quên mật khẩu vneid", "zalo")]
    assert body["recipient"] == {"user_id": "u1"}
    assert body["message"]["text"].startswith("Trả lời: quên mật khẩu vneid")
    assert "https://vneid.gov.vn/" in body["message"]["text"]
    assert body["message"]["attachment"] == {"type": "template", "payload": {"buttons": [
        {"title": "Hữu ích", "type": "oa.query.show", "payload": "/feedback_up"},
        {"title": "Gặp tình nguyện viên", "type": "oa.query.show", "payload": "/handoff"}]}}


def test_webhook_answers_before_the_reply_is_ready(zalo, api):
    client, chat, _ = zalo
    started = time.monotonic()
    assert post(client, text_event("chậm")).status_code == 200
    assert time.monotonic() - started < 0.5  # the chat takes a second
    wait_for(lambda: api.delivered())


@pytest.mark.parametrize("signature", [False, "mac=" + "0" * 64, "sha256=abc", "mác=ñ".encode()])
def test_wrong_signature_is_refused_and_changes_nothing(zalo, api, signature):
    client, chat, _ = zalo
    event = text_event("xin chào")
    assert post(client, event, sign=signature).status_code == 403
    tampered = json.dumps({**event, "sender": {"id": "someone-else"}}).encode()
    assert post(client, event, body=tampered).status_code == 403  # a valid mac for another body
    time.sleep(0.2)
    assert chat.calls == [] and api.sends == []
    assert post(client, event).status_code == 200  # the msg_id was not used up by the refusals
    wait_for(lambda: api.delivered())


def test_a_retried_msg_id_is_answered_once(zalo, api):
    client, chat, _ = zalo
    event = text_event("xin chào", msg_id="same-msg")
    for _ in range(3):
        assert post(client, event).status_code == 200
    wait_for(lambda: api.delivered())
    time.sleep(0.2)
    assert len(chat.calls) == 1 and len(api.delivered()) == 1


def test_follow_gets_a_welcome_and_other_events_are_acknowledged(zalo, api):
    client, chat, _ = zalo
    follow = {"app_id": APP_ID, "oa_id": "oa-1", "event_name": "follow", "source": "oa_profile",
              "follower": {"id": "u-new"}, "timestamp": str(int(time.time() * 1000))}
    image = {**text_event("x"), "event_name": "user_send_image"}
    assert post(client, follow).status_code == 200
    assert post(client, image).status_code == 200
    wait_for(lambda: api.delivered())
    time.sleep(0.2)
    assert [(b["recipient"]["user_id"], b["message"]["text"]) for b in api.delivered()] == [("u-new", WELCOME)]
    assert chat.calls == []


def test_busy_chat_gives_a_polite_reply(zalo, api):
    client, _, _ = zalo
    post(client, text_event("bận"))
    wait_for(lambda: api.delivered())
    assert api.delivered()[0]["message"] == {"text": BUSY}


def test_platform_error_is_recorded_and_the_webhook_still_answers(zalo, api):
    client, _, channel = zalo
    assert post(client, text_event("xin chào", user=QUOTA_USER)).status_code == 200
    wait_for(lambda: channel.recent_errors)
    [error] = channel.recent_errors
    assert error["code"] == -32 and error["sender"] == f"zalo:{QUOTA_USER}" and error["what"] == "send"
    assert post(client, text_event("xin chào", user="u2")).status_code == 200  # still serving
    wait_for(lambda: api.delivered())


def test_expired_token_is_refreshed_once_for_concurrent_senders_and_persisted(env, api):
    with api.lock:
        api.valid = {"access-0"}  # ZALO_ACCESS_TOKEN (access-1) has expired
    with running(env) as (client, chat, channel):
        events = [text_event(f"câu hỏi {i}", user=f"user-{i}") for i in range(20)]
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(lambda e: post(client, e).status_code, events))
        assert statuses == [200] * 20
        wait_for(lambda: len(api.delivered()) == 20)
        time.sleep(0.2)
        assert len(api.refreshes) == 1
        headers, form = api.refreshes[0]
        assert headers["secret_key"] == APP_SECRET
        assert form == {"app_id": APP_ID, "grant_type": "refresh_token", "refresh_token": "refresh-1"}
        assert sum(token == "access-1" for token, _ in api.sends) > 1  # several saw it expire
        assert sorted(b["recipient"]["user_id"] for b in api.delivered()) == sorted(f"user-{i}" for i in range(20))
        assert channel.refreshes == 1 and not channel.recent_errors
        with Session(channel.engine) as session:
            row = session.get(ZaloTokenRow, APP_ID)
            assert (row.access_token, row.refresh_token) == ("access-2", "refresh-2")
    # After a restart with the same environment the stored tokens win, and they are used.
    with running(env) as (client, chat, channel):
        assert channel.access_token == "access-2"
        post(client, text_event("xin chào", user="after-restart"))
        wait_for(lambda: any(b["recipient"]["user_id"] == "after-restart" for b in api.delivered()))
        assert len(api.refreshes) == 1


def test_a_reply_from_the_console_goes_out_and_a_refusal_is_reported(zalo, api):
    client, chat, channel = zalo
    assert client.post("/inbox/u7", content="Chào bạn, mình là cán bộ phường.".encode()).status_code == 200
    assert [(b["recipient"]["user_id"], b["message"]["text"]) for b in api.delivered()] == [
        ("u7", "Chào bạn, mình là cán bộ phường.")]
    refused = client.post(f"/inbox/{QUOTA_USER}", content="Chào bạn".encode())
    assert refused.status_code == 502 and "-32" in refused.text  # the console shows it; nothing crashes
    assert chat.calls == []
