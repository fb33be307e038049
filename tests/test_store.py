"""The knowledge store against SQLite and PostgreSQL: seeding from files and exporting back."""
import dataclasses

from gateway.store import Store
from retrieval.kb import load_articles

from conftest import ROOT
from databases import database_url  # noqa: F401  (fixture)

KB = ROOT / "knowledge_base"


def test_seed_then_export_round_trips_without_loss(database_url, tmp_path):
    store = Store(database_url)
    original = load_articles(KB)
    assert store.seed(KB) == len(original) > 0
    assert store.seed(KB) == 0  # only an empty store is seeded
    assert store.export(KB, tmp_path) == len(original)
    exported = load_articles(tmp_path)
    assert [dataclasses.asdict(a) for a in exported] == [dataclasses.asdict(a) for a in original]
    for name in ("courses.yml", "scam_signals.yml"):
        assert (tmp_path / name).read_bytes() == (KB / name).read_bytes()
    # and the exported files seed an equal store again
    again = Store(database_url.replace("app.db", "again.db")) if database_url.startswith("sqlite") else None
    if again:
        again.seed(tmp_path)
        assert [a.id for a in again.published()] == [a.id for a in store.published()]


def test_updates_keep_versions(database_url):
    store = Store(database_url)
    store.seed(KB)
    article = store.published()[0]
    changed = dataclasses.replace(article, body=article.body + "\n\nThêm một dòng.")
    from sqlalchemy.orm import Session
    from gateway.store import ArticleRow, ArticleVersion
    with Session(store.engine) as session, session.begin():
        assert store.put(changed, session).version == 2
    with Session(store.engine) as session:
        assert session.get(ArticleRow, article.id).body.endswith("Thêm một dòng.")
        assert session.query(ArticleVersion).filter_by(article_id=article.id).count() == 2
