"""The gateway's API as the actions use it (knowledge base, scam check, courses, handoff queue)."""
from __future__ import annotations

import logging
import os

import aiohttp

log = logging.getLogger(__name__)
GATEWAY_URL = os.environ.get("GATEWAY_URL", f"http://127.0.0.1:{os.environ.get('PORT', 8000)}")
TIMEOUT = aiohttp.ClientTimeout(total=4)


async def call(method: str, path: str, payload: dict | None = None) -> dict | None:
    """The gateway's JSON answer; None when it cannot be reached or refuses."""
    try:
        async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
            async with session.request(method, f"{GATEWAY_URL}{path}", json=payload) as resp:
                if resp.status == 200:
                    return await resp.json()
                log.warning("%s %s answered HTTP %s", method, path, resp.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("%s %s failed: %s", method, path, exc)
    return None


async def search(query: str, k: int = 3) -> dict | None:
    return await call("POST", "/api/search", {"query": query, "k": k})


async def article(article_id: str) -> dict | None:
    return await call("GET", f"/api/articles/{article_id}")


async def scam_check(text: str) -> dict | None:
    return await call("POST", "/api/scam-check", {"text": text})


async def courses(query: str, group: str | None = None, level: str | None = None,
                  placement: dict | None = None, exclude: list | None = None) -> dict | None:
    return await call("POST", "/api/courses", {"query": query, "group": group, "level": level, "k": 3,
                                               "placement": placement or {}, "exclude": exclude or []})


async def handoff(sender: str, channel: str) -> dict | None:
    return await call("POST", "/api/handoff", {"sender": sender, "channel": channel})


async def feedback(sender: str, channel: str, value: str, article_id: str | None, missing: str | None = None):
    return await call("POST", "/api/feedback", {"sender": sender, "channel": channel, "value": value,
                                                "article_id": article_id, "missing": missing})
