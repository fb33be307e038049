"""What every chat channel shares: the reply's text pieces and the de-duplication of retried deliveries."""
from __future__ import annotations

import collections
import time
from typing import Callable

from gateway.rasa_client import Reply

BUSY = "Xin lỗi, trợ lý đang bận. Bạn vui lòng thử lại sau ít phút nhé."
VOICE = "Xin lỗi, mình chưa nghe được tin nhắn thoại. Bạn vui lòng gõ câu hỏi bằng chữ giúp mình nhé."
CHOOSE = "Mời bạn chọn:"


class RecentIds:
    """Ids seen in the last `ttl` seconds, at most `size` of them: a retried delivery is dropped."""

    def __init__(self, size: int = 10_000, ttl: float = 24 * 3600):
        self.size, self.ttl = size, ttl
        self._seen: collections.OrderedDict[str, float] = collections.OrderedDict()

    def first_time(self, key: str) -> bool:
        now = time.monotonic()
        while self._seen and (len(self._seen) >= self.size or next(iter(self._seen.values())) < now - self.ttl):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Parts of at most `limit` units, cut at line ends, else at spaces, else anywhere."""
    parts, current = [], ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if measure(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while measure(line) > limit:  # one line longer than the limit
            cut = min(len(line), limit)
            while measure(line[:cut]) > limit:
                cut -= 1
            space = line.rfind(" ", 0, cut)
            cut = space if space > 0 else cut
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        current = line
    if current or not parts:
        parts.append(current)
    return parts


def with_sources(reply: Reply) -> list[dict]:
    """The reply's messages, the last one followed by links to its sources."""
    messages = [dict(m) for m in reply.messages]
    links = [f"- {s.get('title') or s['url']}: {s['url']}" for s in reply.sources if s.get("url")]
    if messages and links:
        messages[-1]["text"] = (messages[-1].get("text") or "").rstrip() + "\n\nXem thêm:\n" + "\n".join(links)
    return messages
