"""Ids are never reused: a row deleted, the next one gets a new id, on both engines, in
every table whose ids clients see (URLs, tokens, cursors, event ids)."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import Integer, Table, delete, func, insert, inspect, select, table, text

from inkstand.accounts import tokens
from inkstand.accounts.models import Invitation, User
from inkstand.blog.models import Post
from inkstand.blog.services import posts, trash
from inkstand.db import IDS_NEVER_REUSED, utcnow
from inkstand.extensions import db
from inkstand.media.models import Media
from inkstand.moving.models import ImportRun
from inkstand.search import services as search
from tests.helpers import Factory, build_app, change

# Tables whose integer ids stay inside the app: SQLite may reuse them.
INTERNAL_IDS = {"page_views", "working_revisions", "recovery_codes", "daily_totals"}
BEFORE, AFTER = "0014", "0015"  # around 0015_ids_never_reused


def _with_integer_ids() -> list[Table]:
    return [
        table
        for table in db.metadata.sorted_tables
        if len(table.primary_key.columns) == 1
        and isinstance(next(iter(table.primary_key.columns)).type, Integer)
    ]


def test_every_table_whose_ids_clients_see_never_reuses_them() -> None:
    never_reused = {
        table.name
        for table in _with_integer_ids()
        if table.dialect_options["sqlite"]["autoincrement"]
    }
    assert never_reused == {t.name for t in _with_integer_ids()} - INTERNAL_IDS
    assert never_reused >= {"users", "posts", "comments", "api_tokens", "revisions",
                            "comment_events"}  # fmt: skip
    assert IDS_NEVER_REUSED == {"sqlite_autoincrement": True}


def _fill(factory: Factory) -> None:
    """One row at least in each table, through the services."""
    author = factory.user("admin", "writer")
    reader = factory.user("reader", "reader")
    post = factory.post(author, "First", tags="kept")
    factory.post(author, "Second", tags="newer")
    factory.comment(reader, post, "A comment")
    change(post, author, title="First, again")
    tokens.create(db.session, author, "token", "read-write", utcnow())
    db.session.add(Media(owner_id=author.id, digest="0" * 64, extension="png", width=1,
                         height=1, size=1, created_at=utcnow()))  # fmt: skip
    db.session.add(ImportRun(kind="wordpress", file_name="export.xml", actor_id=author.id))
    for n in range(2):
        db.session.add(Invitation(email=f"guest{n}@example.com", role="author",
                                  invited_by_id=author.id, nonce=f"{n:032d}"))  # fmt: skip
    db.session.commit()


def _kinds() -> list[str]:
    return sorted(t.name for t in _with_integer_ids() if t.name not in INTERNAL_IDS)


@pytest.mark.parametrize("name", _kinds())
def test_deleting_the_newest_row_then_adding_one_gives_a_new_id(app, factory, name):
    _fill(factory)
    table = db.metadata.tables[name]
    newest = db.session.execute(select(table).order_by(table.c.id.desc()).limit(1)).mappings()
    row = dict(newest.one())
    db.session.execute(delete(table).where(table.c.id == row["id"]))
    db.session.commit()
    again = db.session.execute(insert(table).values({k: v for k, v in row.items() if k != "id"}))
    db.session.commit()
    assert again.inserted_primary_key[0] > row["id"]
    assert db.session.scalar(select(func.max(table.c.id))) > row["id"]


def test_a_post_deleted_then_written_again_has_a_new_id(app, factory):
    author = factory.user("admin", "writer")
    factory.post(author, "Older")
    newest = factory.post(author, "Newest")
    gone = newest.id
    posts.delete_post(db.session, author, gone, utcnow())
    assert trash.purge(db.session, utcnow() + timedelta(days=1), 0) == 1  # gone for good
    assert factory.post(author, "Written after").id > gone


# Going down, the rebuild reflects users, whose lower(username) index reflection skips
# (the migration writes it again from its saved SQL, checked below).
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
def test_the_migration_keeps_rows_indexes_and_triggers_and_search_follows_edits() -> None:
    """An SQLite database with content at the revision before, upgraded: every row is
    kept (no cascade from the rebuilds), the same indexes and triggers exist, ids are not
    reused and the search index still follows edits and deletions. The content is
    written at the newest revision, by the services, then taken down to the one before
    (so that this test holds whatever later migrations add)."""
    folder = Path(tempfile.mkdtemp())
    app = build_app(folder, f"sqlite:///{folder / 'old.sqlite3'}")
    with app.app_context():
        upgrade()
        factory = Factory(app)
        author = factory.user("admin", "writer")
        post = factory.post(author, "Bread and butter", tags="kitchen")
        factory.comment(author, post, "Tasty")
        post_id, author_id = post.id, author.id
        db.session.remove()
        downgrade(revision=BEFORE)

        schema = "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
        counted = sorted(set(inspect(db.engine).get_table_names()) - {"alembic_version"})

        def counts() -> dict[str, int]:
            with db.engine.connect() as conn:
                return {n: conn.scalar(select(func.count()).select_from(table(n))) for n in counted}

        before = counts()
        assert before["posts"] == 1
        objects = set(db.session.execute(text(schema)).all())
        db.session.remove()

        upgrade(revision=AFTER)

        assert counts() == before
        assert set(db.session.execute(text(schema)).all()) == objects
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        db.session.remove()
        upgrade()
        author = db.session.get(User, author_id)
        post = db.session.get(Post, post_id)
        assert _found(author, "bread") == [post.id]
        change(post, author, title="Sourdough loaf")
        assert _found(author, "bread") == []
        assert _found(author, "sourdough") == [post.id]
        posts.delete_post(db.session, author, post_id, utcnow())
        assert _found(author, "sourdough") == []
        trash.purge(db.session, utcnow() + timedelta(days=1), 0)
        assert factory.post(author, "Another loaf").id > post_id
        db.session.remove()
        db.engine.dispose()


def _found(viewer, words: str) -> list[int]:
    hits = search.search(db.session, viewer, words, utcnow(), 10).page.items
    return [hit.post.id for hit in hits]
