"""The console: server-rendered pages for admins, editors, reviewers, volunteers and viewers.

Pages only read; every change goes through the admin JSON API (gateway/admin.py), which the pages
call with the session cookie and its CSRF token (templates/console/base.html, `api()`).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from gateway import conversations, reports
from gateway.accounts import COOKIE, ROLES, SESSION_HOURS, Accounts
from gateway.handoffs import Inbox
from gateway.store import Store
from gateway.workflow import Workflow
from retrieval.kb import AUDIENCES, TOPICS

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")  # no daylight saving time
templates.env.filters["when"] = lambda iso: dt.datetime.fromisoformat(iso).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
STATUSES = ("draft", "in_review", "approved", "published", "archived")


def console_router(store: Store, accounts: Accounts, workflow: Workflow, inbox: Inbox, channels) -> APIRouter:
    router = APIRouter(prefix="/console", include_in_schema=False)

    def page(request: Request, name: str, **context) -> HTMLResponse:
        try:
            user, session = accounts.authenticate(request)
        except HTTPException:
            return RedirectResponse(f"/console/login?next={request.url.path}", status_code=303)
        return templates.TemplateResponse(request, f"console/{name}.html", {
            "user": user, "csrf": session.csrf, "topics": TOPICS, "statuses": STATUSES,
            "waiting": inbox.waiting(), **context})

    @router.get("/login")
    def login_form(request: Request, next: str = "/console/"):
        return templates.TemplateResponse(request, "console/login.html", {"next": next, "error": None})

    @router.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/console/")):
        try:
            token, _, _ = accounts.login(username, password, request.client.host)
        except HTTPException as exc:
            message = ("Sai tên đăng nhập hoặc mật khẩu." if exc.status_code == 401 else
                       "Đăng nhập sai quá nhiều lần. Vui lòng chờ 15 phút rồi thử lại, hoặc nhờ quản trị viên.")
            return templates.TemplateResponse(request, "console/login.html", {"next": next, "error": message},
                                              status_code=exc.status_code)
        target = next if next.startswith("/console/") else "/console/"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, token, max_age=SESSION_HOURS * 3600, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
        return response

    @router.post("/logout")
    def logout(request: Request):
        accounts.logout(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("/")
    def dashboard(request: Request, from_: dt.date | None = None, to: dt.date | None = None):
        to = to or dt.date.today()
        from_ = from_ or to - dt.timedelta(days=29)
        if to < from_:
            from_, to = to, from_
        report = reports.usage(store.engine, from_, to)
        peak = max([row["messages"] for row in report["by_day"]] or [0]) or 1
        quarter = (to.month - 1) // 3 + 1
        return page(request, "dashboard", report=report, peak=peak, labels=reports.LABELS, start=from_, end=to, year=to.year,
                    quarter=quarter, tasks=len(workflow.review_tasks()),
                    errors=[e for c in channels for e in getattr(c, "recent_errors", [])][-10:])

    @router.get("/articles")
    def articles(request: Request, q: str = "", topic: str = "", status: str = "", older_than_days: int | None = None,
                 review_due: bool = False):
        rows = workflow.list(q, topic or None, status or None, older_than_days, review_due)
        return page(request, "articles", rows=rows, q=q, topic=topic, status=status, older_than_days=older_than_days,
                    review_due=review_due, tasks=workflow.review_tasks())

    @router.get("/articles/new")
    def new_article(request: Request, question: str = "", topic: str = "vneid"):
        article = {"topic": topic, "questions": [question] if question else [], "title": question, "body": ""}
        return page(request, "editor", article=article, info=None, versions=[], audiences=AUDIENCES)

    @router.get("/articles/{article_id}")
    def edit_article(request: Request, article_id: str):
        info = workflow.get(article_id)
        return page(request, "editor", article=info["article"], info=info, versions=workflow.versions(article_id),
                    audiences=AUDIENCES)

    @router.get("/import")
    def import_page(request: Request):
        return page(request, "import")

    @router.get("/unanswered")
    def unanswered(request: Request, days: int = 90):
        return page(request, "unanswered", groups=conversations.unanswered_groups(store, days), days=days)

    @router.get("/handoffs")
    def handoffs(request: Request):
        return page(request, "handoffs", rows=inbox.list())

    @router.get("/handoffs/{handoff_id}")
    def handoff(request: Request, handoff_id: int):
        return page(request, "handoff", handoff=inbox.get(handoff_id))

    @router.get("/scripts")
    def scripts(request: Request, q: str = ""):
        return page(request, "scripts", rows=workflow.scripts(q), q=q)

    @router.get("/scripts/{article_id}")
    def script(request: Request, article_id: str):
        article = store.article(article_id)
        if article is None:
            raise HTTPException(404, f"no published script '{article_id}'")
        return page(request, "script", article=article)

    @router.get("/users")
    def users(request: Request):
        return page(request, "users", roles=ROLES, users=accounts.users())

    @router.get("/privacy")
    def privacy(request: Request):
        return page(request, "privacy")

    return router
