"""Admin JSON API (CONTRACT.md "Admin API"), which the console's pages call too: accounts, the
article workflow with live publishing, import and export, unanswered questions, the handoff inbox,
volunteer scripts, reports, and personal-data requests. Every change is written to the audit log.
"""
from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, Response, UploadFile
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, StrictStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import conversations, importer, reports
from gateway.accounts import ROLES, Accounts, AuditRow, UserRow, audit, aware
from gateway.handoffs import Inbox
from gateway.rasa_client import ServiceUnavailable
from gateway.store import Store, UnansweredRow
from gateway.workflow import STEP_ROLES, Workflow
from retrieval.kb import AUDIENCES, TOPICS, ArticleError, load_articles
from retrieval.privacy import mask

EDITORS = ("admin", "editor")
HELPERS = ("admin", "editor", "reviewer", "volunteer")  # may answer people in the handoff inbox
MAX_UPLOAD = 10 * 1024 * 1024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class LoginRequest(BaseModel):
    username: StrictStr = Field(min_length=1, max_length=80)
    password: StrictStr = Field(min_length=1, max_length=200)


class UserRequest(LoginRequest):
    password: StrictStr = Field(min_length=10, max_length=200)
    role: Literal[ROLES]


class ArticleRequest(BaseModel):
    id: StrictStr | None = Field(default=None, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: StrictStr = Field(min_length=1, max_length=300)
    topic: Literal[TOPICS]
    body: StrictStr = Field(min_length=1, max_length=20000)
    audience: list[Literal[AUDIENCES]] = []
    questions: list[StrictStr] = []
    steps: list[StrictStr] = []
    sources: list[dict] = []
    valid_from: dt.date | None = None
    legal_basis: StrictStr | None = None


class TextRequest(BaseModel):
    text: StrictStr = Field(min_length=1, max_length=4000)


def admin_router(store: Store, knowledge_base: Path, accounts: Accounts, workflow: Workflow, inbox: Inbox,
                 forget) -> APIRouter:
    """`knowledge_base` holds the catalogue files an export includes; `forget(sender)` erases the
    conversation's tracker in Rasa."""
    router = APIRouter(prefix="/admin/api", tags=["admin"])

    def current(request: Request) -> UserRow:
        return accounts.authenticate(request)[0]

    def require(*roles: str):
        def check(user: UserRow = Depends(current)) -> UserRow:
            if user.role not in roles:
                raise HTTPException(403, f"this needs the role {' or '.join(roles)}; you are {user.role}")
            return user
        return check

    # -- accounts ------------------------------------------------------------------------------

    @router.post("/login")
    def login(body: LoginRequest, request: Request):
        token, session, user = accounts.login(body.username, body.password, request.client.host)
        return {"token": token, "role": user.role, "csrf": session.csrf,
                "expires_in": int((aware(session.expires_at) - aware(dt.datetime.now(dt.timezone.utc))).total_seconds())}

    @router.post("/logout")
    def logout(request: Request, user: UserRow = Depends(current)):
        accounts.logout((request.headers.get("authorization") or "").removeprefix("Bearer ").strip()
                        or request.cookies.get("console_session", ""))
        return {"logged_out": True}

    @router.post("/users", status_code=201)
    def create_user(body: UserRequest, user: UserRow = Depends(require("admin"))):
        accounts.create_user(user.username, body.username, body.password, body.role)
        return {"username": body.username, "role": body.role}

    @router.get("/users")
    def users(user: UserRow = Depends(require("admin"))):
        return accounts.users()

    @router.get("/audit")
    def audit_log(limit: int = Query(200, ge=1, le=2000), user: UserRow = Depends(require("admin"))):
        with Session(store.engine) as session:
            rows = session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
            return [{"who": r.username, "action": r.action, "target": r.target, "before": r.before,
                     "after": r.after, "at": aware(r.at).isoformat()} for r in rows]

    # -- articles ------------------------------------------------------------------------------

    @router.get("/articles")
    def list_articles(q: str = Query("", max_length=200), topic: str | None = None, status: str | None = None,
                      older_than_days: int | None = Query(None, ge=0), review_due: bool = False,
                      user: UserRow = Depends(current)):
        return workflow.list(q, topic, status, older_than_days, review_due)

    @router.post("/articles", status_code=201)
    def save_article(body: ArticleRequest, user: UserRow = Depends(require(*EDITORS))):
        fields = body.model_dump(exclude_none=True)
        if "valid_from" in fields:
            fields["valid_from"] = fields["valid_from"].isoformat()
        return workflow.save(user.username, fields)

    @router.get("/articles/{article_id}")
    def get_article(article_id: str, user: UserRow = Depends(current)):
        return workflow.get(article_id)

    for step in STEP_ROLES:
        def endpoint(article_id: str, user: UserRow = Depends(current), step=step):
            return workflow.transition(user.username, user.role, article_id, step)
        router.add_api_route(f"/articles/{{article_id}}/{step}", endpoint, methods=["POST"], summary=step)

    @router.get("/articles/{article_id}/versions")
    def versions(article_id: str, user: UserRow = Depends(current)):
        return workflow.versions(article_id)

    @router.get("/articles/{article_id}/diff", response_class=PlainTextResponse)
    def diff(article_id: str, from_: int = Query(alias="from", ge=1), to: int = Query(ge=1),
             user: UserRow = Depends(current)):
        return workflow.diff(article_id, from_, to)

    @router.post("/articles/{article_id}/rollback/{version}")
    def rollback(article_id: str, version: int, user: UserRow = Depends(require("admin", "reviewer", "editor"))):
        return workflow.rollback(user.username, user.role, article_id, version)

    @router.post("/articles/{article_id}/problems", status_code=201)
    def report_problem(article_id: str, body: TextRequest, user: UserRow = Depends(current)):
        return workflow.report_problem(user.username, article_id, mask(body.text).text)

    @router.get("/review-tasks")
    def review_tasks(status: Literal["open", "done"] = "open", user: UserRow = Depends(current)):
        return workflow.review_tasks(status)

    @router.post("/review-tasks/{task_id}/done")
    def close_task(task_id: int, user: UserRow = Depends(require("admin", "editor", "reviewer"))):
        return workflow.close_task(user.username, task_id)

    @router.get("/scripts")
    def scripts(q: str = Query("", max_length=200), user: UserRow = Depends(current)):
        return workflow.scripts(q)

    # -- import and export ---------------------------------------------------------------------

    @router.post("/import", status_code=201)
    async def import_document(file: UploadFile = File(...), topic: str = Form(...),
                              user: UserRow = Depends(require(*EDITORS))):
        data = await file.read(MAX_UPLOAD + 1)
        try:
            drafts = importer.import_document(file.filename or "", data, topic, user.username)
        except importer.DocumentError as exc:
            raise HTTPException(422, str(exc)) from None
        return {"drafts": [workflow.save(user.username, draft) for draft in drafts]}

    @router.get("/export")
    def export(user: UserRow = Depends(require(*EDITORS, "reviewer"))):
        """The whole knowledge base as a zip in the files' format (what `knowledge_base/` holds)."""
        with tempfile.TemporaryDirectory() as tmp:
            store.export(knowledge_base, Path(tmp))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(Path(tmp).rglob("*")):
                    if path.is_file():
                        archive.write(path, path.relative_to(tmp).as_posix())
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": 'attachment; filename="knowledge_base.zip"'})

    @router.post("/import-knowledge-base")
    async def import_knowledge_base(file: UploadFile = File(...), user: UserRow = Depends(require("admin"))):
        """Load an export back: every article is saved as it was (status included), as a new version."""
        data = await file.read(MAX_UPLOAD * 5 + 1)
        try:
            with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.startswith("articles/") and n.endswith(".md")]
                if not names:
                    raise HTTPException(422, "no articles/<topic>/<id>.md files in this zip: upload an export")
                archive.extractall(tmp, names)
                articles = load_articles(Path(tmp))
        except (zipfile.BadZipFile, ArticleError, UnicodeDecodeError) as exc:
            raise HTTPException(422, f"this is not a knowledge-base export: {exc}") from None
        with Session(store.engine) as session, session.begin():
            for article in articles:
                store.put(article, session)
            audit(session, user.username, "import_knowledge_base", f"{len(articles)} articles")
        workflow.republish()
        return {"imported": len(articles)}

    # -- what people asked ---------------------------------------------------------------------

    @router.get("/unanswered")
    def unanswered(limit: int = Query(100, ge=1, le=1000), user: UserRow = Depends(current)):
        with Session(store.engine) as session:
            rows = session.scalars(select(UnansweredRow).order_by(UnansweredRow.id.desc()).limit(limit))
            return [{"text": r.text, "channel": r.channel, "reason": r.reason, "at": aware(r.created_at).isoformat()}
                    for r in rows]

    @router.get("/unanswered/groups")
    def unanswered_groups(days: int = Query(90, ge=1, le=3650), user: UserRow = Depends(current)):
        return conversations.unanswered_groups(store, days)

    @router.get("/conversations/{sender}")
    def export_conversation(sender: str, user: UserRow = Depends(require("admin"))):
        return conversations.export(store, sender)

    @router.delete("/conversations/{sender}")
    async def erase_conversation(sender: str, user: UserRow = Depends(require("admin"))):
        removed = conversations.erase(store, sender)
        try:
            await forget(sender)
            tracker = "erased"
        except ServiceUnavailable as exc:
            tracker = f"not erased: {exc.detail}; run this again when Rasa is up"
        with Session(store.engine) as session, session.begin():
            audit(session, user.username, "erase_conversation", sender, after={**removed, "rasa_tracker": tracker})
        return {"sender": sender, "removed": removed, "rasa_tracker": tracker}

    @router.post("/retention/run")
    def run_retention(days: int = Query(ge=1, le=3650), user: UserRow = Depends(require("admin"))):
        removed = conversations.apply_retention(store, days)
        with Session(store.engine) as session, session.begin():
            audit(session, user.username, "retention", f"{days} days", after=removed)
        return {"days": days, "removed": removed}

    # -- handoff inbox -------------------------------------------------------------------------

    @router.get("/handoffs")
    def handoffs(status: Literal["waiting", "active", "closed"] | None = None, user: UserRow = Depends(current)):
        return inbox.list(status)

    @router.get("/handoffs/{handoff_id}")
    def handoff(handoff_id: int, user: UserRow = Depends(current)):
        return inbox.get(handoff_id)

    @router.post("/handoffs/{handoff_id}/take")
    def take(handoff_id: int, user: UserRow = Depends(require(*HELPERS))):
        return inbox.take(user.username, handoff_id)

    @router.post("/handoffs/{handoff_id}/reply")
    async def reply(handoff_id: int, body: TextRequest, user: UserRow = Depends(require(*HELPERS))):
        return await inbox.reply(user.username, handoff_id, body.text)

    @router.post("/handoffs/{handoff_id}/return")
    async def release(handoff_id: int, user: UserRow = Depends(require(*HELPERS))):
        return await inbox.release(user.username, handoff_id)

    # -- reports -------------------------------------------------------------------------------

    def report(make, *args):
        try:
            return make(store.engine, *args)
        except ValueError as exc:  # a period that ends before it starts
            raise HTTPException(422, str(exc)) from None

    @router.get("/reports")
    def outcomes(from_: dt.date = Query(alias="from"), to: dt.date = Query(),
                 format: Literal["json", "csv"] = "json", user: UserRow = Depends(current)):
        """Bot replies by day, channel, topic and outcome (the contract's report)."""
        table = report(reports.outcomes, from_, to)
        if format == "csv":
            return PlainTextResponse(reports.outcomes_csv(table), media_type="text/csv; charset=utf-8")
        return {"from": str(from_), "to": str(to), "rows": table}

    @router.get("/reports/usage")
    def usage(from_: dt.date = Query(alias="from"), to: dt.date = Query(),
              format: Literal["json", "csv", "xlsx"] = "json", user: UserRow = Depends(current)):
        """Conversations, messages, answer and fallback rates, 👍/👎 and handoffs, by day, channel,
        topic and target group."""
        found = report(reports.usage, from_, to)
        name = f"bao-cao-{from_}-{to}"
        if format == "csv":
            return Response(reports.to_csv(found), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
        if format == "xlsx":
            return Response(reports.to_xlsx(found), media_type=XLSX,
                            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
        return found

    @router.get("/reports/quarterly")
    def quarterly(year: int = Query(ge=2024, le=2100), quarter: int = Query(ge=1, le=4),
                  format: Literal["json", "text"] = "json", user: UserRow = Depends(current)):
        summary = reports.quarterly_summary(store.engine, year, quarter)
        if format == "text":
            return PlainTextResponse(reports.quarterly_text(summary))
        return summary

    return router
