"""Revisions: every save is one; list, compare and restore them (blog.services.revisions)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inkstand.blog.models import Revision
from inkstand.blog.services import revisions
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import change, login


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


def _compare_page(client, post_id: int) -> str:
    response = client.get(f"/posts/{post_id}/revisions/compare?from=1&to=2")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "changes", "shown"),
    [
        ("Excerpt", {"excerpt": "A new summary"}, "A new summary"),
        ("State", {"status": "archived"}, "Archived"),
        ("Publication time", {"publish_at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)},
         "2030-01-02 03:04:05 UTC"),
        ("Address", {"slug": "a-new-address"}, "a-new-address"),
        ("Comments", {"comments_closed": True}, "Closed"),
        ("Tags", {"tags": "fresh"}, "fresh"),
        ("Title", {"title": "Renamed"}, "Renamed"),
        ("Title for search engines", {"meta_title": "Found"}, "Found"),
        ("Description for search engines", {"meta_description": "In short"}, "In short"),
        ("Canonical URL", {"canonical_url": "https://first.example/post"},
         "https://first.example/post"),
        ("Featured", {"featured": True}, "Yes"),
    ],
)  # fmt: skip
def test_compare_shows_a_change_to_any_field(client, factory, field, changes, shown):
    author = factory.user()
    post = factory.post(author, "Fields", body="Same body")
    change(post, author, **changes)
    login(client, author)
    page = _compare_page(client, post.id)
    assert "These revisions are the same" not in page
    assert "The body is the same." in page
    row = re.search(rf'<tr class="changed">\s*<th scope="row">{field} .*?</tr>', page, re.S)
    assert row, f"{field} is not marked changed"
    assert html.escape(shown) in row[0]
    assert page.count('class="changed"') == 1  # only that field


def test_the_body_diff_reads_line_by_line_without_hunk_headers(client, factory):
    author = factory.user()
    body = "\n".join(f"Line {n}" for n in range(1, 21))
    post = factory.post(author, "Long", body=body)
    change(post, author, body=body.replace("Line 15", "Line fifteen"))
    login(client, author)
    page = _compare_page(client, post.id)
    diff = re.search(r'<pre class="diff">(.*?)</pre>', page, re.S)
    assert diff
    assert "@@" not in diff[1]
    assert "\n" not in diff[1]  # the spans are the lines: no blank line between them
    spans = re.findall(r'<span class="diff-(\w+)">(.*?)</span>', diff[1])
    assert spans[0] == ("hunk", "⋯ line 12")  # lines 1-11 left out, and said so
    assert ("removed", "\u2212 Line 15") in spans  # a minus sign
    assert ("added", "+ Line fifteen") in spans


def test_a_save_that_changes_nothing_makes_no_revision(factory):
    author = factory.user()
    post = factory.post(author, "Once", body="Body")
    change(post, author)
    kept = db.session.scalars(select(Revision.id).where(Revision.post_id == post.id)).all()
    assert len(kept) == 1


def test_identical_revisions_say_so(client, factory):
    author = factory.user()
    post = factory.post(author, "Twice", body="Body")
    change(post, author, title="Something else")
    change(post, author, title="Twice")  # back to the first revision's every field
    login(client, author)
    page = client.get(f"/posts/{post.id}/revisions/compare?from=1&to=3")
    assert "These revisions are the same in every field." in page.get_data(as_text=True)


def test_compare_shows_a_change_of_co_authors(client, factory):
    author = factory.user()
    factory.user("author", "bea")
    post = factory.post(author, "Shared", body="Body")
    change(post, author, coauthors=["bea"])
    login(client, author)
    page = _compare_page(client, post.id)
    row = re.search(r'<tr class="changed">\s*<th scope="row">Co-authors .*?</tr>', page, re.S)
    assert row, "Co-authors is not marked changed"
    assert "(none)" in row[0]
    assert "bea" in row[0]
