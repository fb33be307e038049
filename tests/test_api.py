"""The gateway's HTTP contract without a running Rasa: validation, search, and 503 when Rasa is down."""
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SlowRasa(BaseHTTPRequestHandler):
    """Accepts every request and answers far too late, like a hung Rasa server."""

    def do_POST(self):
        time.sleep(30)

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def slow_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowRasa)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def client_for(tmp_path, rasa_url: str) -> TestClient:
    env = {"RASA_URL": rasa_url, "ACTIONS_URL": f"http://127.0.0.1:{free_port()}", "DATA_DIR": str(tmp_path),
           "CHAT_TIMEOUT": "3", **{k: os.environ[k] for k in ("INDEX_DIR",) if k in os.environ}}
    return TestClient(create_app(Settings.from_env(env)), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with client_for(tmp_path_factory.mktemp("gw"), f"http://127.0.0.1:{free_port()}") as c:
        yield c


@pytest.mark.parametrize("body", [
    {},                                              # missing fields
    {"sender": "a"},                                 # missing message
    {"message": "xin chào"},                         # missing sender
    {"sender": "a", "message": ""},                  # empty
    {"sender": "a", "message": "   "},               # blank
    {"sender": "a", "message": "x" * 5000},          # over-long
    {"sender": 5, "message": "xin chào"},            # wrong type
    {"sender": "a", "message": ["xin chào"]},        # wrong type
    {"sender": "", "message": "xin chào"},           # empty sender
])
def test_bad_chat_requests_get_a_clear_4xx(client, body):
    resp = client.post("/api/chat", json=body)
    assert 400 <= resp.status_code < 500
    assert resp.json()["error"]


def test_malformed_json_gets_a_4xx(client):
    resp = client.post("/api/chat", content=b'{"sender": "a", "message": ', headers={"Content-Type": "application/json"})
    assert resp.status_code == 422 and "error" in resp.json()


def test_chat_answers_503_when_rasa_is_down(client):
    resp = client.post("/api/chat", json={"sender": "t1", "message": "xin chào"})
    assert resp.status_code == 503
    assert resp.json()["part"] == "rasa"


def test_chat_answers_503_quickly_when_rasa_hangs(tmp_path, slow_server):
    with client_for(tmp_path, slow_server) as c:
        started = time.monotonic()
        resp = c.post("/api/chat", json={"sender": "t2", "message": "xin chào"})
        assert resp.status_code == 503
        assert time.monotonic() - started < 10


def test_health_names_the_failing_parts(client):
    resp = client.get("/health")
    assert resp.status_code == 503
    assert set(resp.json()["failing"]) == {"rasa", "actions"}


def test_search_contract(client):
    resp = client.post("/api/search", json={"query": "quên mật khẩu vneid", "k": 3})
    data = resp.json()
    assert resp.status_code == 200 and not data["abstained"]
    assert 1 <= len(data["results"]) <= 3
    assert {"id", "title", "topic", "score", "snippet", "legal_basis"} <= set(data["results"][0])


@pytest.mark.parametrize("body", [{}, {"query": ""}, {"query": "a", "k": 0}, {"query": "a", "k": "5"}, {"query": 1}])
def test_bad_search_requests_get_a_4xx(client, body):
    resp = client.post("/api/search", json=body)
    assert resp.status_code == 422 and resp.json()["error"]


def test_chat_page_is_served(client):
    resp = client.get("/")
    assert resp.status_code == 200 and 'lang="vi"' in resp.text


def test_courses_follow_the_placement_and_skip_those_already_suggested(client):
    first = client.post("/api/courses", json={"query": "", "group": "citizen",
                                              "placement": {"an-toan": False, "giai-quyet-van-de": False}})
    assert first.status_code == 200 and first.json()["level"] == "co-ban"
    courses = first.json()["courses"]
    assert all(c["level"] == "co-ban" for c in courses) and courses[0]["domain"] in ("an-toan", "giai-quyet-van-de")
    following = client.post("/api/courses", json={"query": "", "group": "citizen", "level": "co-ban",
                                                  "exclude": [c["id"] for c in courses]}).json()["courses"]
    assert following and not {c["id"] for c in following} & {c["id"] for c in courses}
    domains = [q["domain"] for q in first.json()["placement"]]
    advanced = client.post("/api/courses", json={"query": "", "placement": {d: True for d in domains}})
    assert advanced.json()["level"] == "nang-cao"
    stopped = client.post("/api/courses", json={"query": "", "placement": {domains[0]: True}})
    assert stopped.json()["level"] == "co-ban"  # one "yes", then the learner stopped: the rest count as "not yet"
    assert client.post("/api/courses", json={"placement": {"an-toan": "có"}}).status_code == 422


def test_a_learner_of_a_known_group_is_not_offered_another_groups_course(client):
    anyone = client.post("/api/courses", json={"query": "muốn học bồi dưỡng kỹ năng số"}).json()["courses"]
    assert any(c["audience"] == ["civil_servant"] for c in anyone)  # the words match a course for civil servants
    citizen = client.post("/api/courses", json={"query": "muốn học bồi dưỡng kỹ năng số", "group": "citizen"}).json()
    assert citizen["courses"] and all("citizen" in c["audience"] for c in citizen["courses"])
    typed = client.post("/api/courses", json={"query": "muốn học dùng zalo, bác là dân thường thôi, làm ruộng"}).json()
    assert typed["group"] == "citizen" and any("zalo" in c["title"].lower() for c in typed["courses"])
    assert client.post("/api/courses", json={"query": "e la sv nam nhat"}).json()["group"] == "student"
    desk = client.post("/api/courses", json={"query": "tôi làm ở bộ phận một cửa, cần khóa học để hướng dẫn người dân"})
    assert desk.json()["group"] == "civil_servant"  # not a citizen for "người dân"
