"""The admin JSON API against SQLite and PostgreSQL: roles, the review workflow, live publishing."""
import os

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.settings import Settings

from databases import database_url  # noqa: F401  (fixture)
from test_api import free_port

ARTICLE = {
    "title": "Đổi hình nền ứng dụng VNeID sang giao diện tối",
    "topic": "vneid", "audience": ["citizen"],
    "questions": ["vneid có chế độ tối không", "đổi giao diện tối trên vneid"],
    "body": "Ứng dụng VNeID đi theo giao diện sáng hoặc tối của điện thoại. Bác vào Cài đặt của điện thoại để đổi.",
    "sources": [{"title": "VNeID", "url": "https://vneid.gov.vn"}], "valid_from": "2026-11-22",
}


@pytest.fixture()
def client(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ADMIN_USERNAME", "admin")
    monkeypatch.setenv("ADMIN_PASSWORD", "mat-khau-rat-dai-1")
    env = {"DATABASE_URL": database_url, "DATA_DIR": str(tmp_path), "RASA_URL": f"http://127.0.0.1:{free_port()}",
           **{k: os.environ[k] for k in ("INDEX_DIR",) if k in os.environ}}
    with TestClient(create_app(Settings.from_env(env))) as c:
        yield c


def login(client, username, password):
    resp = client.post("/admin/api/login", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def test_roles_workflow_and_live_publishing(client):
    assert client.post("/admin/api/login", json={"username": "admin", "password": "sai"}).status_code == 401
    assert client.get("/admin/api/articles").status_code == 401
    admin = login(client, "admin", "mat-khau-rat-dai-1")
    for name, role in (("bientap", "editor"), ("kiemduyet", "reviewer")):
        resp = client.post("/admin/api/users", json={"username": name, "password": "mat-khau-rat-dai-2", "role": role},
                           headers=admin)
        assert resp.status_code == 201
    editor, reviewer = login(client, "bientap", "mat-khau-rat-dai-2"), login(client, "kiemduyet", "mat-khau-rat-dai-2")
    assert client.post("/admin/api/users", json={"username": "x", "password": "mat-khau-rat-dai-3", "role": "viewer"},
                       headers=editor).status_code == 403

    created = client.post("/admin/api/articles", json=ARTICLE, headers=editor)
    assert created.status_code == 201 and created.json()["status"] == "draft" and created.json()["version"] == 1
    article_id = created.json()["id"]
    assert client.post(f"/admin/api/articles/{article_id}/approve", headers=reviewer).status_code == 409  # not submitted
    assert client.post(f"/admin/api/articles/{article_id}/submit", headers=editor).json()["status"] == "in_review"
    assert client.post(f"/admin/api/articles/{article_id}/approve", headers=editor).status_code == 403
    assert client.post(f"/admin/api/articles/{article_id}/approve", headers=reviewer).json()["status"] == "approved"

    before = client.post("/api/search", json={"query": "vneid có giao diện tối không"}).json()
    assert article_id not in [r["id"] for r in before["results"]]
    assert client.post(f"/admin/api/articles/{article_id}/publish", headers=reviewer).json()["status"] == "published"
    after = client.post("/api/search", json={"query": "vneid có giao diện tối không"}).json()
    assert after["results"][0]["id"] == article_id  # answerable at once, no restart


def test_the_author_cannot_approve_their_own_article(client):
    admin = login(client, "admin", "mat-khau-rat-dai-1")
    article_id = client.post("/admin/api/articles", json=ARTICLE, headers=admin).json()["id"]
    client.post(f"/admin/api/articles/{article_id}/submit", headers=admin)
    resp = client.post(f"/admin/api/articles/{article_id}/approve", headers=admin)
    assert resp.status_code == 403 and "not the author" in resp.json()["error"]


def test_bad_articles_and_reports(client):
    admin = login(client, "admin", "mat-khau-rat-dai-1")
    assert client.post("/admin/api/articles", json={**ARTICLE, "body": ""}, headers=admin).status_code == 422
    assert client.get("/admin/api/unanswered", headers=admin).status_code == 200
    report = client.get("/admin/api/reports?from=2026-01-01&to=2026-12-31&format=json", headers=admin)
    assert report.status_code == 200 and "rows" in report.json()
    csv = client.get("/admin/api/reports?from=2026-01-01&to=2026-12-31&format=csv", headers=admin)
    assert csv.text.startswith("day,channel,topic,outcome,replies")
    assert client.get("/admin/api/reports?from=2026-12-31&to=2026-01-01", headers=admin).status_code == 422
