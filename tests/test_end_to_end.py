"""The real system: the launcher starts Rasa, the action server and the gateway on spare ports, and
questions go through /api/chat over HTTP. Needs the trained model (`make test` passes MODEL)."""
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import ROOT
from test_api import free_port

MODEL = os.environ.get("MODEL") or next(iter(sorted((ROOT / "bot" / "models").glob("*.tar.gz"))), None)


def call(url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    assert MODEL, "no trained Rasa model: run the tests with `make test`, which trains it"
    port, rasa_port, actions_port = free_port(), free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "RASA_PORT": str(rasa_port), "ACTIONS_PORT": str(actions_port),
           "DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    log = open(tmp_path_factory.mktemp("logs") / "launcher.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "gateway.launcher", "--model", str(MODEL)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if call(base + "/health", timeout=3)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(1)
    else:
        log.seek(0)
        pytest.fail("the stack did not become healthy:\n" + log.read()[-3000:])
    yield {"base": base, "proc": proc, "log": log, "actions_port": actions_port}
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(60)


def chat(stack, sender, message):
    status, body = call(stack["base"] + "/api/chat", {"sender": sender, "message": message})
    assert status == 200, body
    assert set(body) >= {"messages", "kind", "intent", "confidence", "sources", "fallback"}
    return body


def text_of(reply):
    return "\n".join(m["text"] for m in reply["messages"])


def test_health_reports_every_part(stack):
    status, body = call(stack["base"] + "/health")
    assert status == 200 and body["status"] == "ok"
    assert body["parts"]["rasa"] == "model loaded" and body["parts"]["actions"] == "ok"


@pytest.mark.parametrize("message", ["Xin chào", "chao ban"])
def test_greeting(stack, message):
    reply = chat(stack, "e2e-greet-" + message, message)
    assert reply["kind"] == "smalltalk" and reply["intent"] == "greet"
    assert "VNeID" in text_of(reply)


@pytest.mark.parametrize("message", ["Tôi quên mật khẩu VNeID thì làm thế nào?", "quen mat khau vneid lam sao"])
def test_how_to_question_is_answered_and_cited(stack, message):
    reply = chat(stack, "e2e-q-" + message, message)
    assert reply["kind"] == "answer" and not reply["fallback"]
    assert reply["sources"] and reply["sources"][0]["id"].startswith("vneid-")
    assert "Quên mật khẩu" in text_of(reply)


def test_off_topic_question_falls_back_honestly(stack):
    reply = chat(stack, "e2e-oos", "giá vàng SJC hôm nay bao nhiêu")
    assert reply["kind"] == "fallback" and reply["fallback"] and not reply["sources"]


def test_request_for_a_human_is_a_handoff(stack):
    reply = chat(stack, "e2e-human", "cho tôi nói chuyện với người thật")
    assert reply["kind"] == "handoff" and "1900 0368" in text_of(reply)


def test_bad_input_is_rejected_without_harm(stack):
    status, body = call(stack["base"] + "/api/chat", {"sender": "x", "message": ""})
    assert status == 422 and body["error"]
    assert call(stack["base"] + "/health")[0] == 200


def test_launcher_stops_everything_when_a_service_dies(stack):
    """Runs last: kill the action server and the launcher must exit 1, naming it."""
    pid = subprocess.run(["pgrep", "-f", "--", f"--port {stack['actions_port']} --actions"], capture_output=True,
                         text=True).stdout.split()
    assert pid, "action server process not found"
    os.kill(int(pid[0]), signal.SIGKILL)
    assert stack["proc"].wait(60) == 1
    stack["log"].seek(0)
    assert "actions stopped unexpectedly" in stack["log"].read()
