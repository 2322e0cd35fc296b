"""Revisions: every save is one; list, compare and restore them (blog.services.revisions)."""

from __future__ import annotations

from sqlalchemy import select

from inkstand.blog.models import Revision
from inkstand.blog.services import revisions
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import change


def test_every_save_is_a_revision_and_restore_makes_a_new_one(factory):
    author = factory.user()
    post = factory.post(author, "Version one", body="one")
    change(post, author, title="Version two", body="two")
    change(post, author, title="Version three", body="three")
    restored = revisions.restore_revision(db.session, author, post.id, 1, utcnow(), 100_000)
    assert (restored.title, restored.body_source) == ("Version one", "one")
    numbers = db.session.scalars(select(Revision.number).order_by(Revision.number)).all()
    assert numbers == [1, 2, 3, 4]


def test_diff_between_revisions(factory):
    author = factory.user()
    post = factory.post(author, "T", body="keep\nold line")
    change(post, author, body="keep\nnew line")
    _, revs = revisions.revisions(db.session, author, post.id, utcnow())
    lines = revisions.diff_revisions(revs[1], revs[0])
    assert ("removed", "old line") in [(d.kind, d.text) for d in lines]
    assert ("added", "new line") in [(d.kind, d.text) for d in lines]
