"""Post rules: slugs, tags, states and who may write, written once in blog.posts.posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from inkstand.blog import reading
from inkstand.blog.models import Post, Revision, SlugRedirect, Status, Tag
from inkstand.blog.services import posts, trash
from inkstand.blog.services.posts import TAG_MAX
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, Invalid, Moved, NotFound
from inkstand.extensions import db
from tests.helpers import Doors, change


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  Crème brûlée à la carte  ", "creme-brulee-a-la-carte"),
        ("日本語", "post"),
        ("a" * 150, "a" * 80),
    ],
)
def test_slug_from_title(title, slug):
    assert posts.slugify(title) == slug


def test_slugs_are_unique(factory):
    author = factory.user()
    first = factory.post(author, "Same title")
    second = factory.post(author, "Same title")
    assert (first.slug, second.slug) == ("same-title", "same-title-2")


def test_changed_slug_leaves_a_redirect(factory):
    author = factory.user()
    post = factory.post(author, "Original")
    change(post, author, slug="renamed")
    with pytest.raises(Moved) as moved:
        reading.show(db.session, None, "original", utcnow())
    assert moved.value.new_key == "renamed"
    # Moving back to the old slug reclaims it from the redirect table.
    change(post, author, slug="original")
    assert reading.show(db.session, None, "original", utcnow()).id == post.id
    assert db.session.scalar(select(SlugRedirect.slug)) == "renamed"


def test_another_posts_old_slug_is_taken(factory):
    author = factory.user()
    post = factory.post(author, "First")
    change(post, author, slug="first-renamed")
    other = factory.post(author, "Second")
    with pytest.raises(Invalid) as error:
        change(other, author, slug="first")
    assert "slug" in error.value.errors


def test_tags_are_normalised_and_shared(factory):
    author = factory.user()
    one = factory.post(author, tags="Python, web dev , python")
    two = factory.post(author, tags="python")
    assert [t.name for t in one.tags] == ["python", "web-dev"]
    assert two.tags[0].id == one.tags[0].id
    assert db.session.scalar(select(func.count(Tag.id))) == 2


@pytest.mark.parametrize("tags", ["c++", "a/b", "<b>", "-lead", "x" * (TAG_MAX + 1)])
def test_unknown_tag_characters_are_refused(factory, tags):
    author = factory.user()
    with pytest.raises(Invalid) as error:
        factory.post(author, tags=tags)
    assert "tags" in error.value.errors
    assert db.session.scalar(select(func.count(Post.id))) == 0


def test_excerpt_given_or_from_first_paragraph(factory):
    author = factory.user()
    derived = factory.post(author, body="# Heading\n\nFirst *para*graph.\n\nSecond.")
    given = factory.post(author, excerpt="My own summary.")
    assert derived.excerpt == "First paragraph."
    assert given.excerpt == "My own summary."


def test_markdown_is_rendered_once_on_save_and_sanitised(factory):
    post = factory.post(
        factory.user(), body="**bold** <script>x()</script>\n\n```python\nx = 1\n```"
    )
    assert "<strong>bold</strong>" in post.body_html
    assert "<script>" not in post.body_html
    assert '<span class="n">x</span>' in post.body_html


def test_reading_time(factory):
    post = factory.post(factory.user(), body="word " * 700)
    assert post.reading_minutes == 4


def test_publishing_sets_published_at_and_keeps_it(factory):
    author = factory.user()
    draft = factory.post(author, status=Status.DRAFT)
    assert draft.published_at is None
    published = change(draft, author, status=Status.PUBLISHED, publish_at=None)
    first = published.published_at
    assert first is not None
    again = change(published, author, title="Retitled")
    assert again.published_at == first


def test_scheduled_post_appears_by_itself(factory):
    author = factory.user()
    later = utcnow() + timedelta(hours=1)
    post = factory.post(author, "Tomorrow", publish_at=later)
    assert post.display_status(utcnow()) == "scheduled"
    assert reading.home(db.session, utcnow(), 10).items == []
    assert reading.home(db.session, later + timedelta(seconds=1), 10).items[0].id == post.id


def test_archived_posts_leave_lists_but_keep_their_page(factory):
    author = factory.user()
    post = factory.post(author, status=Status.ARCHIVED, publish_at=utcnow() - timedelta(days=1))
    assert reading.home(db.session, utcnow(), 10).items == []
    assert reading.show(db.session, None, post.slug, utcnow()).id == post.id


def test_failed_save_writes_nothing(factory):
    author = factory.user()
    post = factory.post(author, "Kept")
    with pytest.raises(Invalid):
        change(post, author, title="", body="changed")
    db.session.expire_all()
    assert db.session.get(Post, post.id).body_source != "changed"
    assert db.session.scalar(select(func.count(Revision.id))) == 1


def test_only_the_author_or_staff_change_a_post(factory):
    owner, other, editor = factory.user(), factory.user(), factory.user("editor")
    post = factory.post(owner)
    with pytest.raises(Forbidden):
        change(post, other, title="Mine now")
    assert change(post, editor, title="Edited by an editor").title == "Edited by an editor"
    with pytest.raises(Forbidden):
        posts.delete_post(db.session, other, post.id, utcnow())
    with pytest.raises(Forbidden):
        posts.create_post(
            db.session, factory.user("reader"), posts.PostChanges(title="t", body="b"), utcnow(), 10
        )
    posts.delete_post(db.session, owner, post.id, utcnow())
    with pytest.raises(NotFound):  # in the trash already
        posts.delete_post(db.session, owner, post.id, utcnow())


def test_purging_a_deleted_post_removes_its_revisions_and_redirects(factory):
    author = factory.user()
    post = factory.post(author, "Gone soon")
    change(post, author, slug="gone")
    posts.delete_post(db.session, author, post.id, utcnow())
    assert db.session.scalar(select(func.count(Revision.id))) == 2  # kept in the trash
    assert trash.purge(db.session, utcnow() + timedelta(days=30), 30) == 1
    assert db.session.scalar(select(func.count(Revision.id))) == 0
    assert db.session.scalar(select(func.count(SlugRedirect.slug))) == 0


def test_archiving_a_never_published_draft_keeps_it_private(factory):
    author = factory.user()
    draft = factory.post(author, "Never out", status=Status.DRAFT)
    archived = change(draft, author, status=Status.ARCHIVED, publish_at=None)
    assert archived.published_at is None
    with pytest.raises(NotFound):
        reading.show(db.session, None, archived.slug, utcnow())


def test_an_old_slug_does_not_reveal_a_draft(factory):
    author = factory.user()
    draft = factory.post(author, "Secret plan", status=Status.DRAFT)
    change(draft, author, slug="renamed-plan")
    with pytest.raises(NotFound):
        reading.show(db.session, None, "secret-plan", utcnow())
    with pytest.raises(Moved):
        reading.show(db.session, author, "secret-plan", utcnow())


def test_a_simultaneous_save_is_a_form_error_not_a_500(factory, monkeypatch):
    author = factory.user()
    factory.post(author, tags="shared")
    # As if another request created the tag between our lookup and our commit.
    monkeypatch.setattr(posts, "_tags", lambda session, names: [Tag(name=n) for n in names])
    with pytest.raises(Invalid) as error:
        factory.post(author, "Racing", tags="shared")
    assert "post" in error.value.errors
    assert db.session.scalar(select(func.count(Post.id))) == 1


def test_finding_a_free_slug_costs_the_same_however_many_are_taken(factory, queries):
    author = factory.user()
    for _ in range(5):
        factory.post(author, "Привет мир")  # slugifies to "post"
    queries.clear()
    post = factory.post(author, "Привет мир")
    assert post.slug == "post-6"
    slug_queries = [q for q in queries if "slug" in q and "LIKE" in q.upper()]
    assert len(slug_queries) == 2


# Every door (the edit form, /api/v1, the RealWorld /api) changes a post through
# posts.change_post and publishes through posts.publish_post: the same outcome.

WRITTEN = {
    "tags": "zebra, apple",
    "excerpt": "My own summary.",
    "slug": "kept-address",
    "cover_alt": "A heron, described",
    "cover_caption": "A caption kept by every door.",
    "comments_closed": True,
    "publish_at": utcnow().replace(microsecond=0) - timedelta(days=3),
}


def _retitle(doors: Doors, door: str, post: Post, title: str) -> None:
    if door == "form":
        response = doors.form(f"/posts/{post.id}/edit", title=title)
        assert response.status_code == 302, response.get_data(as_text=True)
        return
    if door == "v1":
        response = doors.v1("PATCH", f"/api/v1/posts/{post.id}", {"title": title})
    else:
        response = doors.realworld(
            "PUT", f"/api/articles/{post.slug}", {"article": {"title": title}}
        )
    assert response.status_code == 200, response.get_json()


def _publish(doors: Doors, door: str, post: Post) -> None:
    if door == "form":
        response = doors.form(f"/posts/{post.id}/edit", status="published", publish_at="")
        assert response.status_code == 302, response.get_data(as_text=True)
    else:
        response = doors.v1("POST", f"/api/v1/posts/{post.id}/publish")
        assert response.status_code == 200, response.get_json()


def _saved(post: Post) -> posts.PostFields:
    db.session.expire_all()
    return posts.editable(db.session.get(Post, post.id))


@pytest.mark.parametrize("door", ["form", "v1", "realworld"])
def test_a_change_to_one_field_keeps_every_other_through_every_door(app, client, factory, door):
    author = factory.user()
    post = factory.post(author, "Before", **WRITTEN)
    before = _saved(post)
    assert before.tags == ("zebra", "apple")
    _retitle(Doors(app, client, author), door, post, "After")
    assert _saved(post) == replace(before, title="After")


@pytest.mark.parametrize("door", ["form", "v1"])  # a RealWorld article has no schedule
def test_publishing_a_scheduled_post_without_a_time_sends_it_now_through_every_door(
    app, client, factory, door
):
    author = factory.user()
    post = factory.post(author, "Later", publish_at=utcnow() + timedelta(days=2))
    before = posts.editable(post)
    _publish(Doors(app, client, author), door, post)
    after = _saved(post)
    assert after.publish_at is not None
    assert after.publish_at <= utcnow()
    assert after == replace(before, publish_at=after.publish_at)


@pytest.mark.parametrize("door", ["form", "v1"])
def test_publishing_without_a_time_keeps_a_first_publication_time(app, client, factory, door):
    author = factory.user()
    first = utcnow().replace(microsecond=0) - timedelta(days=5)
    post = factory.post(author, "Archived", status="archived", publish_at=first)
    _publish(Doors(app, client, author), door, post)
    assert (_saved(post).status, _saved(post).publish_at) == ("published", first)


def test_a_change_finds_the_post_the_request_has_read_without_reading_it_again(factory, queries):
    author = factory.user()
    post = factory.post(author, tags="one")
    db.session.expire_all()
    read = posts.get_for_edit(db.session, author, post.id, utcnow())
    queries.clear()
    assert posts.get_for_edit(db.session, author, post.id, utcnow()) is read
    assert queries == []
