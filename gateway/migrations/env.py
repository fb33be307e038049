"""Alembic environment: the engine comes from gateway.migrate; the models from every module that
declares tables."""
from alembic import context

import connectors.zalo  # noqa: F401  (the Zalo token table)
import gateway.accounts  # noqa: F401  (users, sessions, audit log)
from gateway.store import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
