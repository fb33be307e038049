"""Writes Rasa's endpoints.yml from the same settings as the gateway.

Rasa's own `${VAR}` substitution has no defaults, so the file is rendered instead: the action
server's URL, an SQL tracker store in the gateway's database kind (SQLite file by default,
PostgreSQL when DATABASE_URL says so) and, when REDIS_URL is set, a Redis lock store for several
Rasa replicas. Standard library and PyYAML only: it also runs in the Rasa image.

    python -m gateway.rasa_endpoints OUTPUT.yml
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import yaml

from gateway.settings import Settings


def tracker_store(database_url: str, data_dir: Path) -> dict:
    url = urlparse(database_url)
    if url.scheme.startswith("postgres"):
        return {
            "type": "SQL", "dialect": "postgresql", "url": url.hostname or "localhost",
            "port": url.port or 5432, "db": url.path.lstrip("/"),
            "username": unquote(url.username or ""), "password": unquote(url.password or ""),
        }
    # Rasa's trackers get their own SQLite file beside the gateway's.
    return {"type": "SQL", "dialect": "sqlite", "db": str((data_dir / "rasa_tracker.db").resolve())}


def lock_store(redis_url: str) -> dict:
    url = urlparse(redis_url)
    return {"type": "redis", "url": url.hostname or "localhost", "port": url.port or 6379,
            "db": int(url.path.lstrip("/") or 0), "password": unquote(url.password or "") or None}


def render(env: dict) -> dict:
    settings = Settings.from_env(env)
    endpoints = {
        "action_endpoint": {"url": settings.actions_url.rstrip("/") + "/webhook"},
        "tracker_store": tracker_store(settings.database_url, settings.data_dir),
    }
    if settings.redis_url:
        endpoints["lock_store"] = lock_store(settings.redis_url)
    return endpoints


def write(path: Path, env: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(render(env), sort_keys=False), encoding="utf-8")
    return path


if __name__ == "__main__":
    write(Path(sys.argv[1]), dict(os.environ))
