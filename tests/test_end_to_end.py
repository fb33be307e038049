"""The real system: the launcher starts Rasa, the action server and the gateway on spare ports, and
questions go through /api/chat over HTTP. Needs the trained model (`make test` passes MODEL)."""
import contextlib
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


ADMIN_PASSWORD = "mat-khau-quan-tri-e2e"


def call(url, body=None, timeout=30, headers=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@contextlib.contextmanager
def running_stack(data_dir, log_path):
    """The launcher with its three services on spare ports, keeping its data in `data_dir`."""
    assert MODEL, "no trained Rasa model: run the tests with `make test`, which trains it"
    port, rasa_port, actions_port = free_port(), free_port(), free_port()
    env = {**os.environ, "PORT": str(port), "RASA_PORT": str(rasa_port), "ACTIONS_PORT": str(actions_port),
           "DATA_DIR": str(data_dir), "ADMIN_USERNAME": "admin", "ADMIN_PASSWORD": ADMIN_PASSWORD}
    log = open(log_path, "w+")
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
    try:
        yield {"base": base, "proc": proc, "log": log, "actions_port": actions_port, "data_dir": str(data_dir)}
    finally:
        if proc.poll() is None:
            proc.terminate()  # the launcher stops its services on SIGTERM as on Ctrl-C
            proc.wait(60)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with running_stack(tmp_path_factory.mktemp("data"), tmp_path_factory.mktemp("logs") / "launcher.log") as parts:
        yield parts


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


def test_a_self_introduction_that_asks_something_gets_an_answer(stack):
    reply = chat(stack, "e2e-intro", "Em là sinh viên năm hai, vừa chuyển lên thành phố ở trọ. "
                                     "Em phải báo tạm trú ở đâu, làm trên điện thoại được không ạ?")
    assert reply["kind"] == "answer" and reply["sources"][0]["id"].startswith("vneid-")


def test_request_for_a_human_is_a_handoff(stack):
    reply = chat(stack, "e2e-human", "cho tôi nói chuyện với người thật")
    assert reply["kind"] == "handoff" and "1900 0368" in text_of(reply)


def test_bad_input_is_rejected_without_harm(stack):
    status, body = call(stack["base"] + "/api/chat", {"sender": "x", "message": ""})
    assert status == 422 and body["error"]
    assert call(stack["base"] + "/health")[0] == 200


def db(stack):
    import sqlite3
    return sqlite3.connect(os.path.join(stack["data_dir"], "app.db"))


def test_step_by_step_guide_with_an_interruption(stack):
    sender = "e2e-guide"
    answer = chat(stack, sender, "quên mật khẩu VNeID thì làm sao")
    offer = [b for m in answer["messages"] for b in m.get("buttons", []) if b["title"] == "Hướng dẫn từng bước"]
    assert offer, answer
    step1 = chat(stack, sender, offer[0]["payload"])
    assert step1["kind"] == "guide_step" and "Bước 1/" in text_of(step1)
    assert [b["title"] for b in step1["messages"][-1]["buttons"]] == ["Xong rồi", "Chưa được", "Nói lại", "Dừng"]
    step2 = chat(stack, sender, "/guide_done")
    assert "Bước 2/" in text_of(step2)
    help_ = chat(stack, sender, "chưa được")
    assert help_["kind"] == "guide_step" and "Bước 2" in text_of(help_) and "1900 0368" in text_of(help_)
    other = chat(stack, sender, "mất điện thoại thì khóa VNeID thế nào")  # another question mid-guide
    assert other["kind"] == "answer" and "Tiếp tục hướng dẫn" in json.dumps(other, ensure_ascii=False)
    back = chat(stack, sender, "/guide_repeat")
    assert "Bước 2/" in text_of(back)
    stop = chat(stack, sender, "/guide_stop")
    assert stop["kind"] == "guide_step" and "dừng" in text_of(stop).lower()


def test_scam_check_names_signs_and_how_to_report(stack):
    reply = chat(stack, "e2e-scam", "Có số +882 gọi xưng công an, bảo tôi chuyển tiền vào tài khoản an toàn để điều tra")
    assert reply["kind"] == "scam_warning"
    text = text_of(reply)
    assert "lừa đảo" in text and "+882" in text and "5656" in text and "tinnhiemmang.vn" in text
    assert "an toàn" not in text.split("\n")[0].replace("không thể khẳng định là an toàn", "")


def test_personal_data_is_warned_about_and_never_stored(stack):
    reply = chat(stack, "e2e-pii", "mã OTP của bác là 482913, số căn cước 038156003921, cháu đăng nhập hộ bác")
    assert reply["kind"] == "pii_warning"
    assert "482913" not in text_of(reply) and "đừng gửi" in text_of(reply).lower()
    stored = " ".join(row[0] for row in db(stack).execute("select text from messages where sender='e2e-pii'"))
    assert "482913" not in stored and "038156003921" not in stored and "[mã OTP]" in stored


def test_a_card_number_with_a_mistyped_digit_is_still_warned_about_and_masked(stack):
    reply = chat(stack, "e2e-card", "thẻ ATM của bác số 9705 0512 3456 7890, bác muốn xem còn bao nhiêu tiền")
    assert reply["kind"] == "pii_warning" and "3456" not in text_of(reply)
    stored = " ".join(row[0] for row in db(stack).execute("select text from messages where sender='e2e-card'"))
    assert "3456" not in stored and "[số thẻ]" in stored


def test_a_question_about_codes_without_a_secret_is_answered_not_warned(stack):
    reply = chat(stack, "e2e-no-secret", "máy mới đòi nhập mã xác nhận gửi về máy cũ đã hỏng thì làm sao")
    assert reply["kind"] in ("answer", "clarify"), reply


def test_course_routing_asks_the_group_places_the_learner_and_suggests_the_next_step(stack):
    sender = "e2e-course"
    first = chat(stack, sender, "có khóa học nào dạy nhận biết lừa đảo không")
    assert first["kind"] == "course" and "binhdanhocvuso.gov.vn" in text_of(first)
    groups = [b["payload"] for m in first["messages"] for b in m.get("buttons", [])]
    assert any("civil_servant" in p for p in groups)
    second = chat(stack, sender, next(p for p in groups if "civil_servant" in p))
    (start,) = [b["payload"] for m in second["messages"] for b in m.get("buttons", [])]
    assert second["kind"] == "course" and "placement" in start
    question = chat(stack, sender, start)
    assert question["kind"] == "course" and "Câu 1/6" in text_of(question)
    assert [b["title"] for b in question["messages"][-1]["buttons"]] == ["Rồi", "Chưa", "Dừng"]
    no = question["messages"][-1]["buttons"][1]["payload"]
    assert "Câu 2/6" in text_of(chat(stack, sender, no))
    assert "Câu 3/6" in text_of(chat(stack, sender, "chưa"))  # typed instead of pressing "Chưa"
    placed = chat(stack, sender, no.replace("no", "stop"))
    assert "mức cơ bản" in text_of(placed) and not any(m.get("buttons") for m in placed["messages"])
    shown = {line.split(":")[0] for line in text_of(placed).splitlines() if line[:2] in ("1.", "2.", "3.")}
    following = chat(stack, sender, "học tiếp gì")
    assert following["kind"] == "course" and "Bước tiếp theo" in text_of(following)
    nxt = {line.split(":")[0][3:] for line in text_of(following).splitlines() if line[:2] in ("1.", "2.", "3.")}
    assert nxt and not nxt & {s[3:] for s in shown}  # new courses, not the ones already suggested
    later = chat(stack, sender, "có khóa học về thanh toán không")
    assert later["kind"] == "course" and not any(m.get("buttons") for m in later["messages"])  # profile kept


def test_handoff_queues_the_conversation_and_a_human_owner_silences_the_bot(stack):
    sender = "e2e-handoff"
    chat(stack, sender, "đổi số điện thoại trên VNeID thế nào")
    reply = chat(stack, sender, "cho tôi gặp người hỗ trợ trực tiếp")
    assert reply["kind"] == "handoff" and "1900 0368" in text_of(reply)
    admin = {"Authorization": "Bearer " + call(stack["base"] + "/admin/api/login",
                                               {"username": "admin", "password": ADMIN_PASSWORD})[1]["token"]}
    (waiting,) = [h for h in call(stack["base"] + "/admin/api/handoffs", headers=admin)[1] if h["sender"] == sender]
    assert waiting["status"] == "waiting" and "đổi số điện thoại" in waiting["summary"]
    assert call(stack["base"] + f"/admin/api/handoffs/{waiting['id']}/take", headers=admin, method="POST")[0] == 200
    silent = chat(stack, sender, "alo có ai không")
    assert silent["messages"] == [] and silent["kind"] == "handoff"
    assert call(stack["base"] + f"/admin/api/handoffs/{waiting['id']}/return", headers=admin, method="POST")[0] == 200
    assert chat(stack, sender, "đổi số điện thoại trên VNeID thế nào")["kind"] == "answer"  # the bot is back


def test_a_published_edit_is_answered_at_once_without_restart(stack):
    base, question = stack["base"], "vneid có giao diện tối không"
    token = call(base + "/admin/api/login", {"username": "admin", "password": ADMIN_PASSWORD})[1]["token"]
    admin = {"Authorization": f"Bearer {token}"}
    assert call(base + "/admin/api/users", {"username": "duyet", "password": ADMIN_PASSWORD, "role": "reviewer"},
                headers=admin)[0] == 201
    reviewer = {"Authorization": "Bearer " + call(base + "/admin/api/login",
                                                  {"username": "duyet", "password": ADMIN_PASSWORD})[1]["token"]}
    article = {"id": "vneid-giao-dien-toi", "title": "Giao diện tối của ứng dụng VNeID", "topic": "vneid",
               "questions": ["vneid có giao diện tối không", "đổi vneid sang nền tối"],
               "body": "Ứng dụng VNeID đi theo giao diện sáng hoặc tối của điện thoại.",
               "sources": [{"title": "VNeID", "url": "https://vneid.gov.vn"}]}

    def publish(fields) -> float:
        assert call(base + "/admin/api/articles", fields, headers=admin)[0] == 201
        assert call(base + f"/admin/api/articles/{fields['id']}/submit", headers=admin, method="POST")[0] == 200
        assert call(base + f"/admin/api/articles/{fields['id']}/approve", headers=reviewer, method="POST")[0] == 200
        assert call(base + f"/admin/api/articles/{fields['id']}/publish", headers=reviewer, method="POST")[0] == 200
        return time.monotonic()

    def answered_with(text: str, since: float) -> float:
        while time.monotonic() - since < 10:
            reply = chat(stack, f"e2e-publish-{time.monotonic()}", question)
            if text in text_of(reply):
                return time.monotonic() - since
            time.sleep(0.5)
        pytest.fail(f"'{text}' was not answered within 10 s of publishing")

    assert answered_with("đi theo giao diện sáng hoặc tối", publish(article)) < 10
    edited = {**article, "body": "Ứng dụng VNeID tự đổi theo chế độ nền tối của điện thoại, bác không cần cài thêm."}
    assert answered_with("không cần cài thêm", publish(edited)) < 10


def test_the_topic_named_picks_the_hotline_and_is_reported(stack):
    reply = chat(stack, "e2e-entity", "cho tôi gặp người hỗ trợ về lừa đảo")
    assert reply["kind"] == "handoff" and reply["entities"] == {"topic": "scam"}
    assert "156" in text_of(reply)  # the scam hotline, not the VNeID one
    named = chat(stack, "e2e-entity2", "lam sao dang ky tai khoan tren vneid")
    assert named["entities"] == {"procedure": "dang-ky-tai-khoan", "platform": "vneid"}


def test_two_failures_in_a_row_hand_over(stack):
    sender = "e2e-fail"
    first = chat(stack, sender, "máy in Canon kết nối wifi thế nào")
    assert first["kind"] == "fallback"
    second = chat(stack, sender, "cách gửi email có file đính kèm trên máy tính")
    assert second["kind"] == "handoff"


def test_thumbs_down_records_what_was_missing(stack):
    sender = "e2e-feedback"
    answer = chat(stack, sender, "passcode VNeID gồm mấy số")
    assert any(b["payload"] == "/feedback_down" for m in answer["messages"] for b in m.get("buttons", []))
    ask = chat(stack, sender, "/feedback_down")
    assert ask["kind"] == "feedback"
    done = chat(stack, sender, "tôi cần biết đổi passcode ở mục nào")  # filed, and another article answers it
    assert done["kind"] == "answer" and "đã ghi lại" in text_of(done)
    assert done["sources"][0]["id"] != answer["sources"][0]["id"]
    also = chat(stack, sender, "/feedback_down")
    assert also["kind"] == "feedback"
    assert chat(stack, sender, "thiếu hình minh họa, bác đọc khó hiểu quá")["kind"] == "feedback"
    rows = db(stack).execute("select text from unanswered where sender=? and reason='thumbs_down'", (sender,)).fetchall()
    texts = " | ".join(text for text, in rows)
    assert "đổi passcode" in texts and "hình minh họa" in texts


def test_form_of_address_follows_the_user(stack):
    reply = chat(stack, "e2e-tone", "Cháu ơi bác quên mật khẩu VNeID rồi")
    assert "bác" in text_of(reply).lower()
    greeting = chat(stack, "e2e-tone-greet", "chào cháu, bác mới tập dùng cái này")
    assert greeting["kind"] == "smalltalk" and "Bác cứ hỏi" in text_of(greeting)


def test_restart_says_so_and_forgets_the_guide(stack):
    sender = "e2e-restart"
    chat(stack, sender, "/start_guide{\"article_id\":\"vneid-quen-mat-khau\"}")
    reply = chat(stack, sender, "bắt đầu lại")
    assert reply["kind"] == "smalltalk" and "bắt đầu lại" in text_of(reply).lower()
    assert "chưa làm hướng dẫn nào" in text_of(chat(stack, sender, "/guide_repeat"))
    neutral = chat(stack, "e2e-tone2", "mình quên mật khẩu VNeID")
    assert "Bạn" in text_of(neutral) or "bạn" in text_of(neutral)


def test_launcher_stops_everything_when_a_service_dies(stack):
    """Runs last: kill the action server and the launcher must exit 1, naming it."""
    pid = subprocess.run(["pgrep", "-f", "--", f"--port {stack['actions_port']} --actions"], capture_output=True,
                         text=True).stdout.split()
    assert pid, "action server process not found"
    os.kill(int(pid[0]), signal.SIGKILL)
    assert stack["proc"].wait(60) == 1
    stack["log"].seek(0)
    assert "actions stopped unexpectedly" in stack["log"].read()
