"""The console's admin API against SQLite and PostgreSQL: lock-out and CSRF, versions and rollback,
import and export, unanswered groups, the handoff inbox, reports, personal-data requests, and the
schema migrations. Rasa is down here (a dead port): what needs the bot is in test_end_to_end."""
import io
import zipfile

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openpyxl import load_workbook

import connectors.zalo  # noqa: F401  (its table is in the schema)
import gateway.accounts  # noqa: F401
from gateway.store import Base, Store

from databases import database_url  # noqa: F401  (fixture)
from test_admin import ARTICLE, client, login  # noqa: F401  (fixture)

PASSWORD = "mat-khau-rat-dai-1"


def add_user(client, admin, name, role):
    resp = client.post("/admin/api/users", json={"username": name, "password": PASSWORD, "role": role}, headers=admin)
    assert resp.status_code == 201, resp.text
    return login(client, name, PASSWORD)


def test_migrations_create_the_whole_schema_from_empty(database_url):  # noqa: F811
    store = Store(database_url)  # runs `alembic upgrade head`
    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"
    Store(database_url)  # a second start changes nothing


def test_lock_out_after_repeated_failures(client):
    for _ in range(5):
        assert client.post("/admin/api/login", json={"username": "admin", "password": "sai"}).status_code == 401
    locked = client.post("/admin/api/login", json={"username": "admin", "password": PASSWORD})
    assert locked.status_code == 429 and "locked" in locked.json()["error"] and locked.headers["Retry-After"]
    page = client.post("/console/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert page.status_code == 429 and "chờ 15 phút" in page.text


def test_too_many_attempts_from_one_address_are_refused(client):
    codes = [client.post("/admin/api/login", json={"username": f"u{i}", "password": "x"}).status_code
             for i in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429


def test_console_cookie_needs_the_csrf_token_for_changes(client):
    page = client.post("/console/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert page.status_code == 303 and "console_session" in page.cookies
    dashboard = client.get("/console/")
    assert dashboard.status_code == 200 and "Tổng quan" in dashboard.text
    csrf = dashboard.text.split('const CSRF = "')[1].split('"')[0]
    assert client.post("/admin/api/articles", json=ARTICLE).status_code == 403
    assert client.post("/admin/api/articles", json=ARTICLE, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/admin/api/articles", json=ARTICLE, headers={"X-CSRF-Token": csrf}).status_code == 201
    client.post("/console/logout")
    assert client.get("/console/", follow_redirects=False).status_code == 303  # back to the login page


def test_an_edit_stays_off_the_air_until_published_and_rollback_is_one_click(client):
    admin = login(client, "admin", PASSWORD)
    editor, reviewer = add_user(client, admin, "bientap", "editor"), add_user(client, admin, "kiemduyet", "reviewer")
    article_id = client.post("/admin/api/articles", json=ARTICLE, headers=editor).json()["id"]
    for step, who in (("submit", editor), ("approve", reviewer), ("publish", reviewer)):
        assert client.post(f"/admin/api/articles/{article_id}/{step}", headers=who).status_code == 200
    edited = {**ARTICLE, "id": article_id, "body": "Nội dung sửa sai: bấm vào biểu tượng mặt trăng."}
    assert client.post("/admin/api/articles", json=edited, headers=editor).json() == {
        "id": article_id, "status": "draft", "version": 2}
    live = client.get(f"/api/articles/{article_id}").json()
    assert live["body"] == ARTICLE["body"]  # people still get the published version

    versions = client.get(f"/admin/api/articles/{article_id}/versions", headers=editor).json()
    assert [(v["version"], v["status"]) for v in versions] == [(2, "draft"), (1, "published")]
    diff = client.get(f"/admin/api/articles/{article_id}/diff?from=1&to=2", headers=editor).text
    assert "+Nội dung sửa sai" in diff and "-Ứng dụng VNeID đi theo" in diff

    back = client.post(f"/admin/api/articles/{article_id}/rollback/1", headers=reviewer).json()
    assert back == {"id": article_id, "version": 3, "status": "published"}
    assert client.get(f"/api/articles/{article_id}").json()["body"] == ARTICLE["body"]
    audit = client.get("/admin/api/audit", headers=admin).json()
    assert [a["action"] for a in audit[:2]] == ["rollback", "save_article"]
    assert audit[1]["before"]["body"] == ARTICLE["body"] and audit[1]["after"]["body"] == edited["body"]

    assert client.post(f"/admin/api/articles/{article_id}/archive", headers=reviewer).status_code == 200
    assert client.get(f"/api/articles/{article_id}").status_code == 404
    assert client.post("/admin/api/articles", json={**ARTICLE, "topic": "khac"}, headers=editor).status_code == 422


def test_import_of_lesson_materials_makes_drafts(client):
    editor = login(client, "admin", PASSWORD)
    lesson = "# Bài 1\n\n## Đăng nhập VNeID\n\nLàm như sau:\n\n1. Mở ứng dụng VNeID.\n2. Nhập số định danh.\n"
    resp = client.post("/admin/api/import", data={"topic": "vneid"}, headers=editor,
                       files={"file": ("bai-1.md", lesson.encode(), "text/markdown")})
    assert resp.status_code == 201, resp.text
    (draft,) = resp.json()["drafts"]
    article = client.get(f"/admin/api/articles/{draft['id']}", headers=editor).json()
    assert article["status"] == "draft" and article["article"]["steps"] == ["Mở ứng dụng VNeID.", "Nhập số định danh."]
    bad = client.post("/admin/api/import", data={"topic": "vneid"}, headers=editor,
                      files={"file": ("virus.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 422 and "upload a .docx, .pdf or .md" in bad.json()["error"]


def test_the_knowledge_base_exports_and_imports_back_without_loss(client):
    admin = login(client, "admin", PASSWORD)
    exported = client.get("/admin/api/export", headers=admin)
    assert exported.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(exported.content)).namelist()
    assert len([n for n in names if n.startswith("articles/")]) >= 150 and "courses.yml" in names
    before = client.get("/admin/api/articles", headers=admin).json()
    loaded = client.post("/admin/api/import-knowledge-base", headers=admin,
                         files={"file": ("kb.zip", exported.content, "application/zip")})
    assert loaded.json()["imported"] == len(before)
    again = client.get("/admin/api/export", headers=admin)
    assert {n: zipfile.ZipFile(io.BytesIO(again.content)).read(n) for n in names} == {
        n: zipfile.ZipFile(io.BytesIO(exported.content)).read(n) for n in names}
    after = client.get("/admin/api/articles", headers=admin).json()
    assert [(a["id"], a["status"]) for a in after] == [(a["id"], a["status"]) for a in before]
    assert client.post("/admin/api/import-knowledge-base", headers=admin,
                       files={"file": ("x.zip", b"not a zip", "application/zip")}).status_code == 422


def test_unanswered_questions_are_grouped_and_masked(client):
    for sender, text, value in (("web:a", "làm sao đổi ảnh đại diện vneid", "down"),
                                ("web:b", "lam sao doi anh dai dien vneid", "down"),
                                ("web:c", "số tôi 0912345678 bị khoá tài khoản ngân hàng", "down")):
        client.post("/api/feedback", json={"sender": sender, "value": value, "missing": text})
    admin = login(client, "admin", PASSWORD)
    groups = client.get("/admin/api/unanswered/groups", headers=admin).json()
    assert [g["count"] for g in groups] == [2, 1]
    assert "0912345678" not in str(groups)
    page = client.get(f"/console/articles/new?question={groups[0]['question']}", cookies=console_cookie(client))
    assert groups[0]["question"] in page.text  # "create article from this" pre-fills the draft


def console_cookie(client, username="admin"):
    resp = client.post("/console/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    return {"console_session": resp.cookies["console_session"]}


def test_handoff_inbox_one_owner_reply_and_return(client):
    admin = login(client, "admin", PASSWORD)
    first, second = add_user(client, admin, "tnv1", "volunteer"), add_user(client, admin, "tnv2", "volunteer")
    viewer = add_user(client, admin, "xem", "viewer")
    sender = "web:handoff-user"
    handoff = client.post("/api/handoff", json={"sender": sender, "summary": "Cần giúp kích hoạt VNeID"}).json()
    inbox = client.get("/admin/api/handoffs", headers=first).json()
    assert [(h["id"], h["status"]) for h in inbox] == [(handoff["id"], "waiting")]
    assert client.post(f"/admin/api/handoffs/{handoff['id']}/take", headers=viewer).status_code == 403
    assert client.post(f"/admin/api/handoffs/{handoff['id']}/take", headers=first).json()["owner"] == "tnv1"
    assert client.post(f"/admin/api/handoffs/{handoff['id']}/take", headers=second).status_code == 409
    assert client.post(f"/admin/api/handoffs/{handoff['id']}/reply", json={"text": "Chào bác"},
                       headers=second).status_code == 409

    silent = client.post("/api/chat", json={"sender": sender, "message": "bác cần giúp với"})
    assert silent.status_code == 200 and silent.json()["messages"] == []  # the bot stays silent
    sent = client.post(f"/admin/api/handoffs/{handoff['id']}/reply", json={"text": "Chào bác, cháu giúp bác ạ."},
                       headers=first)
    assert sent.json()["delivered"] is True
    polled = client.get("/api/messages", params={"sender": sender, "after": 0}).json()
    got = polled["messages"]
    assert [m["text"] for m in got] == ["Chào bác, cháu giúp bác ạ."] and polled["handoff"] == "active"
    assert client.get("/api/messages", params={"sender": sender, "after": got[-1]["id"]}).json()["messages"] == []
    history = client.get(f"/admin/api/handoffs/{handoff['id']}", headers=first).json()["history"]
    assert [m["role"] for m in history] == ["user", "human"]

    assert client.post(f"/admin/api/handoffs/{handoff['id']}/return", headers=first).json()["status"] == "closed"
    assert client.get("/admin/api/handoffs", headers=first).json() == []
    # back with the bot: this turn goes to Rasa, which is down in this test
    assert client.post("/api/chat", json={"sender": sender, "message": "cảm ơn"}).status_code == 503


def test_volunteer_scripts_and_problem_reports(client):
    admin = login(client, "admin", PASSWORD)
    volunteer = add_user(client, admin, "tnv", "volunteer")
    scripts = client.get("/admin/api/scripts?q=kich hoat", headers=volunteer).json()
    assert scripts and all(s["steps"] > 0 for s in scripts)
    script_id = scripts[0]["id"]
    page = client.get(f"/console/scripts/{script_id}", cookies=console_cookie(client, "tnv"))
    assert page.status_code == 200 and "In kịch bản" in page.text and "<ol>" in page.text
    task = client.post(f"/admin/api/articles/{script_id}/problems", json={"text": "Bước 3 đã đổi tên nút"},
                       headers=volunteer)
    assert task.status_code == 201
    tasks = client.get("/admin/api/review-tasks", headers=admin).json()
    assert [(t["article_id"], t["reported_by"]) for t in tasks] == [(script_id, "tnv")]
    assert client.post(f"/admin/api/review-tasks/{tasks[0]['id']}/done", headers=volunteer).status_code == 403
    assert client.post(f"/admin/api/review-tasks/{tasks[0]['id']}/done", headers=admin).status_code == 200
    assert client.get("/admin/api/review-tasks", headers=admin).json() == []


def test_usage_reports_in_every_format(client):
    client.post("/api/feedback", json={"sender": "web:r", "value": "up"})
    client.post("/api/handoff", json={"sender": "tg:42", "channel": "telegram"})
    viewer = add_user(client, login(client, "admin", PASSWORD), "xem", "viewer")
    period = "from=2026-01-01&to=2030-12-31"
    report = client.get(f"/admin/api/reports/usage?{period}", headers=viewer).json()
    assert report["totals"]["thumbs_up"] == 1 and report["totals"]["handoffs"] == 1
    csv = client.get(f"/admin/api/reports/usage?{period}&format=csv", headers=viewer)
    assert csv.status_code == 200 and "conversations" in csv.text.splitlines()[0]
    xlsx = client.get(f"/admin/api/reports/usage?{period}&format=xlsx", headers=viewer)
    assert "Summary" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
    text = client.get("/admin/api/reports/quarterly?year=2026&quarter=4&format=text", headers=viewer).text
    assert "Quý IV/2026" in text and "01/10/2026" in text
    assert client.get("/admin/api/reports/quarterly?year=2026&quarter=5", headers=viewer).status_code == 422


def test_a_persons_conversation_is_exported_and_erased(client):
    sender = "web:privacy-user"
    client.post("/api/chat", json={"sender": sender, "message": "mã OTP của tôi là 123456"})  # Rasa down: 503
    client.post("/api/handoff", json={"sender": sender})
    admin = login(client, "admin", PASSWORD)
    exported = client.get(f"/admin/api/conversations/{sender}", headers=admin).json()
    assert len(exported["messages"]) == 1 and "123456" not in str(exported)
    assert len(exported["handoffs"]) == 1
    erased = client.delete(f"/admin/api/conversations/{sender}", headers=admin).json()
    assert erased["removed"]["messages"] == 1 and erased["removed"]["handoffs"] == 1
    assert "not erased" in erased["rasa_tracker"]  # Rasa is down here; the answer says so
    assert client.get(f"/admin/api/conversations/{sender}", headers=admin).json()["messages"] == []
    kept = client.post("/admin/api/retention/run?days=30", headers=admin).json()
    assert kept["removed"]["messages"] == 0  # nothing older than 30 days
