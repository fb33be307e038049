"""Database schema migrations (Alembic, scripts in gateway/migrations): every start brings the
database to the newest schema, from empty or from any earlier revision.

New revision after changing a model: `.venv/bin/python -m gateway.migrate revision "what changed"`.
"""
from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

SCRIPTS = Path(__file__).resolve().parent / "migrations"


def config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    command.upgrade(config(engine), "head")


def main(argv: list[str]) -> int:
    from gateway.settings import Settings
    from gateway.store import engine_for

    if len(argv) != 2 or argv[0] != "revision":
        print('usage: python -m gateway.migrate revision "message"', file=sys.stderr)
        return 2
    engine = engine_for(Settings.from_env().database_url)
    migrate(engine)
    command.revision(config(engine), message=argv[1], autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
