"""Importing a WordPress export (WXR): authors, posts and pages in every state, tags and
categories, threaded comments with their approval, dates, old addresses kept as 301s and
images from the uploads folder; a second run creates nothing; hostile files are refused
or sanitised with a reason, and an item is written whole or not at all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, text

from inkstand.accounts.models import User
from inkstand.blog.models import Post, Revision, SlugRedirect, Tag
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.media.models import Media, MediaPageUse, MediaUse
from inkstand.moving import importing
from inkstand.moving.models import ImportedItem, MovedLink, RunState
from inkstand.pages import services as pages
from inkstand.pages.models import Page, PageRevision
from tests.helpers import image_bytes, login
from tests.moving import wxr
from tests.moving.wxr import SITE, WpAuthor, WpComment, WpItem


def _post(slug: str) -> Post:
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    assert post is not None, slug
    return post


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return user


def _counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (
            User,
            Post,
            Tag,
            Comment,
            Revision,
            ImportedItem,
            MovedLink,
            SlugRedirect,
            Page,
            PageRevision,
        )
    }


def test_a_realistic_export_is_imported_field_by_field(run_file, factory):
    bob = factory.user(username="robert", email="BOB@old.example.org")  # matched by address
    run, report = run_file(wxr.realistic())
    assert run.state == RunState.DONE, report
    assert report["error"] == ""

    alice, chloe = _user("alice"), _user("chloe")
    assert (alice.email, alice.display_name, alice.role) == (
        "alice@old.example.org",
        "Alice Ångström",
        "author",
    )
    assert alice.password_hash == ""  # she sets one through "forgot your password"
    assert chloe.display_name == "Chloé Dubois"
    assert db.session.scalar(select(func.count()).select_from(User)) == 4  # admin, robert, 2 new

    trip = _post("uber-den-wolken")
    assert trip.title == "Über den Wolken — a trip"
    assert trip.author_id == alice.id
    assert trip.status == "published"
    assert trip.published_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert trip.created_at == trip.published_at
    assert trip.tag_names == "travel,café"  # categories and tags, "Uncategorized" left out
    assert trip.featured is True  # sticky
    assert trip.excerpt_source == trip.excerpt == "A trip above the clouds."
    assert trip.body_source == (
        "First paragraph with **bold** and a [link](https://example.com).\n\n"
        "Second paragraph: naïve café ☕.\n\n## Section\n\n- one\n- two"
    )
    assert "<strong>bold</strong>" in trip.body_html
    assert trip.comment_count == 4
    revisions = db.session.scalars(select(Revision).where(Revision.post_id == trip.id)).all()
    assert [(r.number, r.title, r.editor_id) for r in revisions] == [(1, trip.title, alice.id)]

    comments = {
        (c.created_at.day, c.created_at.hour): c
        for c in db.session.scalars(select(Comment).where(Comment.post_id == trip.id))
    }
    first, thanks, deeper, fourth = (comments[2, h] for h in (10, 11, 12, 13))
    assert (first.parent_id, first.depth, first.author_id) == (None, 0, None)
    assert first.body_source == "*A reader:*\n\nLovely trip!"  # a guest keeps her name
    assert (thanks.parent_id, thanks.depth, thanks.author_id) == (first.id, 1, alice.id)
    assert thanks.body_source == "Thanks!"
    assert (deeper.parent_id, deeper.depth) == (thanks.id, 2)
    assert (fourth.parent_id, fourth.depth) == (
        thanks.id,
        2,
    )  # never deeper than the site's threads
    assert all(c.status == "approved" for c in (first, thanks, deeper, fourth))
    held = db.session.scalars(select(Comment).where(Comment.status != "approved")).all()
    assert sorted((c.status, c.body_source) for c in held) == [
        ("pending", "*A reader:*\n\nWaiting for approval"),
        ("spam", "*A reader:*\n\nBuy pills"),
    ]
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 6  # no pingback

    draft = _post("a-draft-by-bob")
    assert (draft.status, draft.published_at, draft.author_id) == ("draft", None, bob.id)
    private, pending = _post("private-notes"), _post("please-review")
    assert (private.status, pending.status, pending.author_id) == ("draft", "draft", chloe.id)
    scheduled = _post("coming-soon")
    assert scheduled.status == "published"
    assert scheduled.published_at == datetime(2099, 1, 1, 8, 0, tzinfo=UTC)
    page = db.session.scalar(select(Page).where(Page.slug == "about"))
    assert page is not None
    assert (page.title, page.status, page.author_id) == ("About me", "published", alice.id)
    assert (page.body_source, page.body_html) == ("I write.", "<p>I write.</p>\n")
    assert page.published_at == page.created_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert page.updated_at == page.published_at
    revisions = db.session.scalars(select(PageRevision).where(PageRevision.page_id == page.id))
    assert [
        (r.number, r.title, r.slug, r.status, r.body_source, r.editor_id) for r in revisions
    ] == [(1, "About me", "about", "published", "I write.", alice.id)]
    assert db.session.scalar(select(Post).where(Post.slug == "about")) is None  # not a post
    key = db.session.scalar(select(ImportedItem).where(ImportedItem.kind == "page"))
    assert (key.source_id, key.target_id) == ("15", page.id)

    notes = {(n["id"], n["note"]) for n in report["notes"]}
    assert (
        "12",
        "private on WordPress: kept as a draft, which only its writers and editors see",
    ) in notes
    assert ("14", "pending review on WordPress: kept as a draft") in notes
    assert not any("kept as a post" in note for _id, note in notes)
    skipped = {(s["id"], s["reason"]) for s in report["skipped"]}
    assert skipped == {("18", "its state 'trash' is not one Inkstand keeps")}
    assert report["ignored"] == {
        "attachment": {
            "count": 1,
            "reason": "not a post or a page: images are kept where a post shows them or "
            "features them (--uploads)",
        },
        "nav_menu_item": {"count": 1, "reason": "not a post or a page"},
    }
    assert report["created"] == {
        "author (new account)": 2,
        "author (matched)": 1,
        "comment": 6,
        "tag": 2,
        "post (published)": 1,
        "post (scheduled)": 1,
        "post (draft)": 3,
        "page (published)": 1,
    }


def test_old_addresses_are_sent_to_the_posts(client, run_file):
    run_file(wxr.realistic())
    response = client.get("/2024/03/01/uber-den-wolken/")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/posts/uber-den-wolken")
    assert client.get("/about/").headers["Location"].endswith("/about")  # the page
    assert client.get("/about").status_code == 200
    assert client.get("/2024/03/01/no-such-post/").status_code == 404
    assert client.get("/2024/03/01/private-notes/").status_code == 404  # a draft now
    assert client.get("/2024/03/01/coming-soon/").status_code == 404  # not out yet


def test_a_changed_slug_keeps_the_old_one_redirecting(client, run_file, factory, admin):
    factory.post(admin, "Taken", slug="hello")
    run_file(wxr.document(wxr.AUTHORS, [WpItem(1, "Hello", name="hello")]))
    assert _post("hello-2").title == "Hello"
    assert db.session.get(MovedLink, "/2024/03/01/hello/").post_id == _post("hello-2").id


def test_a_second_run_creates_nothing_twice(run_file):
    run_file(wxr.realistic())
    before = _counts()
    run, report = run_file(wxr.realistic())
    assert run.state == RunState.DONE
    assert _counts() == before
    assert report["created"] == {}
    assert report["already"] == {"author": 3, "post": 5, "page": 1}


def test_images_come_from_the_uploads_folder(run_file, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "2024" / "03").mkdir(parents=True)
    (uploads / "2024" / "03" / "photo.png").write_bytes(image_bytes())
    (uploads / "2024" / "03" / "fake.png").write_bytes(b"<script>alert(1)</script>")
    (tmp_path / "secret.png").write_bytes(image_bytes())
    names = ("2024/03/photo.png", "2024/03/missing.png", "2024/03/fake.png", "../../secret.png")
    body = "".join(f'<p><img src="{SITE}/wp-content/uploads/{n}" alt="x"></p>' for n in names)
    _run, report = run_file(
        wxr.document(wxr.AUTHORS, [WpItem(1, "Pictures", content=body)]), uploads=uploads
    )
    post = db.session.scalar(select(Post))
    image = db.session.scalar(select(Media))
    assert image is not None
    assert db.session.scalar(select(func.count()).select_from(Media)) == 1
    assert f"![x](/media/{image.digest}.png)" in post.body_source
    assert f"{SITE}/wp-content/uploads/2024/03/missing.png" in post.body_source  # link kept
    notes = " ".join(n["note"] for n in report["notes"])
    assert "missing.png not in the uploads folder: link kept" in notes
    assert "fake.png not kept" in notes
    assert "secret.png not in the uploads folder" in notes


def test_a_pages_images_come_from_the_uploads_folder_and_are_in_use(run_file, tmp_path):
    uploads = tmp_path / "uploads"
    (uploads / "2024" / "03").mkdir(parents=True)
    (uploads / "2024" / "03" / "us.png").write_bytes(image_bytes())
    body = f'<p>Us.</p><p><img src="{SITE}/wp-content/uploads/2024/03/us.png" alt="us"></p>'
    item = WpItem(1, "About", kind="page", name="about", content=body)
    run, report = run_file(wxr.document(wxr.AUTHORS, [item]), uploads=uploads)
    assert run.state == RunState.DONE, report
    page = db.session.scalar(select(Page))
    image = db.session.scalar(select(Media))
    assert f"![us](/media/{image.digest}.png)" in page.body_source
    uses = db.session.execute(
        select(MediaPageUse.media_id, MediaPageUse.page_id, MediaPageUse.page_title)
    ).all()
    assert uses == [(image.id, page.id, "About")]


def test_without_an_uploads_folder_image_links_are_kept(run_file):
    body = f'<img src="{SITE}/wp-content/uploads/a.png" alt="a">'
    run_file(wxr.document(wxr.AUTHORS, [WpItem(1, "Pictures", content=body)]))
    assert db.session.scalar(select(Post)).body_source == f"![a]({SITE}/wp-content/uploads/a.png)"


def test_a_page_at_an_address_of_the_site_or_of_another_page_gets_the_next_free_one(
    run_file, factory, admin
):
    pages.create_page(
        db.session, admin, pages.PageChanges(title="Ours", body="Ours.", slug="colophon"),
        utcnow(), 10_000, frozenset(),
    )  # fmt: skip
    items = [
        WpItem(1, "Search", kind="page", name="search", link=f"{SITE}/search/"),  # a route
        WpItem(2, "Colophon", kind="page", name="colophon"),  # another page's
        WpItem(3, "Login", kind="page", name="login", status="draft"),  # kept for the site
        WpItem(4, "Later", kind="page", name="later", date_gmt="2099-01-01 00:00:00",
               status="future"),
        WpItem(5, "Empty", kind="page", name="empty", content=""),
    ]  # fmt: skip
    _run, report = run_file(wxr.document(wxr.AUTHORS, items))
    found = {p.title: p for p in db.session.scalars(select(Page))}
    assert found["Search"].slug == "search-2"
    assert found["Colophon"].slug == "colophon-2"
    assert (found["Login"].slug, found["Login"].status) == ("login-2", "draft")
    assert (found["Later"].status, found["Later"].published_at) == ("draft", None)
    assert "Empty" not in found
    notes = {(n["id"], n["note"]) for n in report["notes"]}
    assert ("1", "the address /search is taken or the site's own: it is /search-2") in notes
    assert ("2", "the address /colophon is taken or the site's own: it is /colophon-2") in notes
    assert ("4", "scheduled: kept as a draft (a page is published when saved)") in notes
    assert ("1", "its old address /search/ is not sent to /search-2") in notes
    assert report["skipped"] == [
        {"kind": "page", "id": "5", "title": "Empty", "reason": "Write something in the body."}
    ]
    assert report["created"]["page (draft)"] == 2
    assert report["created"]["page (published)"] == 2
    _run, again = run_file(wxr.document(wxr.AUTHORS, items))
    assert again["created"] == {}
    assert again["already"] == {"author": 3, "page": 4}
    assert db.session.scalar(select(func.count()).select_from(PageRevision)) == 5


def test_a_page_past_the_sites_number_of_pages_is_skipped_with_the_reason(run_file, monkeypatch):
    monkeypatch.setattr(pages, "PAGES_MAX", 1)
    items = [WpItem(1, "One", kind="page", name="one"), WpItem(2, "Two", kind="page", name="two")]
    _run, report = run_file(wxr.document(wxr.AUTHORS, items))
    assert db.session.scalars(select(Page.slug)).all() == ["one"]
    assert report["skipped"] == [
        {"kind": "page", "id": "2", "title": "Two", "reason": "A site keeps at most 1 pages."}
    ]


def _featured(cover: str = "2024/03/cover.png", after: bool = False) -> bytes:
    post = WpItem(1, "Featured", meta={"_thumbnail_id": "40"})
    attachment = WpItem(
        40, "cover", kind="attachment", status="inherit", meta={"_wp_attached_file": cover},
        attachment_url=f"{SITE}/wp-content/uploads/{cover}",
    )  # fmt: skip
    return wxr.document(wxr.AUTHORS, [post, attachment] if after else [attachment, post])


@pytest.mark.parametrize("after", [False, True], ids=["attachment-first", "attachment-after"])
def test_a_featured_image_becomes_the_cover(client, run_file, tmp_path, after):
    uploads = tmp_path / "uploads"
    (uploads / "2024" / "03").mkdir(parents=True)
    (uploads / "2024" / "03" / "cover.png").write_bytes(image_bytes(size=(900, 600)))
    run, report = run_file(_featured(after=after), uploads=uploads)
    assert run.state == RunState.DONE, report
    post = _post("featured")
    image = db.session.scalar(select(Media))
    assert image is not None
    assert image.owner_id == _user("alice").id
    assert (post.cover_id, post.cover_name) == (image.id, image.name)
    assert post.cover_srcset.startswith("/media/")
    use = db.session.scalar(select(MediaUse).where(MediaUse.post_id == post.id))
    assert (use.media_id, use.as_cover) == (image.id, True)
    assert report["notes"] == []
    assert f"/media/{image.digest}" in client.get("/posts/featured").get_data(as_text=True)
    assert f"/media/{image.digest}" in client.get("/").get_data(as_text=True)
    _run, again = run_file(_featured(after=after), uploads=uploads)
    assert db.session.scalar(select(func.count()).select_from(Media)) == 1
    assert again["created"] == {}


def test_a_featured_image_without_its_file_or_the_folder_is_noted(run_file, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    _run, report = run_file(_featured("2024/03/gone.png", after=True), uploads=uploads)
    post = _post("featured")
    assert post.cover_id is None
    assert [n["note"] for n in report["notes"]] == [
        "featured image 2024/03/gone.png not in the uploads folder"
    ]
    db.session.delete(post)
    db.session.execute(sql_delete(ImportedItem))
    db.session.commit()
    _run, report = run_file(_featured())
    assert _post("featured").cover_id is None
    assert [n["note"] for n in report["notes"]] == [
        "featured image not kept: the import was not given the uploads folder (--uploads)"
    ]


def test_a_featured_image_missing_from_the_export_is_noted(run_file, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    items = [WpItem(1, "Featured", meta={"_thumbnail_id": "99"})]
    _run, report = run_file(wxr.document(wxr.AUTHORS, items), uploads=uploads)
    assert _post("featured").cover_id is None
    assert [n["note"] for n in report["notes"]] == [
        "featured image not kept: attachment 99 not in the export"
    ]


# Hostile content.

XXE = '\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '\n<!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    + "".join(f'<!ENTITY {chr(99 + i)} "{("&" + chr(98 + i) + ";") * 10}">' for i in range(7))
    + "]>"
)


@pytest.mark.parametrize("head", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_entities_and_document_types_are_refused(run_file, head):
    items = [WpItem(1, "&xxe;" if head == XXE else "&i;")]
    run, report = run_file(
        wxr.document(wxr.AUTHORS, items, head=head)
        .replace(b"<![CDATA[&", b"&")
        .replace(b";]]>", b";")
    )
    assert run.state == RunState.FAILED
    assert "declares a document type or entities" in report["error"]
    assert _counts()["posts"] == 0


def test_script_in_a_title_and_a_body_is_never_kept(run_file):
    body = '<p onclick="steal()">Hi<script>alert(1)</script><img src=x onerror="alert(2)"></p>'
    item = WpItem(1, "<script>alert('t')</script><b>Bold</b> title", content=body)
    comment = WpComment(
        1, '<a href="javascript:alert(3)">click</a>', author="<img src=x onerror=alert(4)>Eve"
    )
    item.comments = [comment]
    run_file(wxr.document(wxr.AUTHORS, [item]))
    post = db.session.scalar(select(Post))
    assert post.title == "Bold title"
    for stored_text in (post.body_source, post.body_html):
        assert "script" not in stored_text
        assert "onclick" not in stored_text
        assert "onerror" not in stored_text
    stored = db.session.scalar(select(Comment))
    assert "javascript" not in stored.body_html
    assert "onerror" not in stored.body_html
    assert stored.body_source.startswith("*Eve:*")


def test_unknown_states_long_titles_and_broken_dates_are_skipped_with_a_reason(run_file):
    items = [
        WpItem(1, "x" * 10_000_000),
        WpItem(2, "Odd", status="limbo"),
        WpItem(3, "No date", date_gmt="not a date"),
        WpItem(4, "Long but fine " * 20),
        WpItem(5, "Fine"),
    ]
    xml = wxr.document(wxr.AUTHORS, items).replace(
        b"<pubDate>Fri, 01 Mar 2024 09:30:00 +0000</pubDate>", b"<pubDate>garbage</pubDate>"
    )
    run, report = run_file(xml)
    assert run.state == RunState.DONE
    reasons = {s["id"]: s["reason"] for s in report["skipped"]}
    assert reasons == {
        "1": "its title is 10,000,000 characters long (at most 200)",
        "2": "its state 'limbo' is unknown",
        "3": "it is published but has no valid date",
    }
    titles = sorted(p.title for p in db.session.scalars(select(Post)))
    assert titles[0] == "Fine"
    assert len(titles[1]) <= 200
    assert "title shortened to 200 characters" in {n["note"] for n in report["notes"]}


def test_a_file_broken_half_way_keeps_the_whole_items_before_it(run_file):
    xml = wxr.document(wxr.AUTHORS, [WpItem(1, "Before"), WpItem(2, "After")])
    broken = xml[: xml.index(b"<title><![CDATA[After")] + b"<title><oops></item>"
    run, report = run_file(broken)
    assert run.state == RunState.FAILED
    assert "not well-formed XML" in report["error"]
    assert [p.title for p in db.session.scalars(select(Post))] == ["Before"]


@pytest.mark.parametrize("data", [b"<html><body>hi</body></html>", b"\x00\xff binary", b"{}"])
def test_a_file_that_is_not_an_export_fails_with_a_reason(run_file, data):
    run, report = run_file(data)
    assert run.state == RunState.FAILED
    assert report["error"]
    assert _counts()["posts"] == 0


def test_an_item_that_fails_half_way_leaves_nothing_of_itself(run_file, monkeypatch):
    real = importing.Importer._comments

    def failing(self, item, post):
        if item.source_id == "2":
            raise importing.Skip("the database said no")
        return real(self, item, post)

    monkeypatch.setattr(importing.Importer, "_comments", failing)
    items = [
        WpItem(1, "Kept", categories=[("post_tag", "a", "Kept-tag")]),
        WpItem(2, "Dropped", categories=[("post_tag", "b", "Dropped-tag")]),
    ]
    _run, report = run_file(wxr.document(wxr.AUTHORS, items))
    assert [p.title for p in db.session.scalars(select(Post))] == ["Kept"]
    assert [t.name for t in db.session.scalars(select(Tag))] == ["kept-tag"]
    assert db.session.scalar(select(func.count()).select_from(Revision)) == 1
    assert [s["reason"] for s in report["skipped"]] == ["the database said no"]
    assert report["created"]["tag"] == 1


def test_an_author_without_an_address_is_skipped_and_her_posts_are_the_admins(run_file, admin):
    authors = [WpAuthor(9, "ghost", "", "No Mail")]
    _run, report = run_file(wxr.document(authors, [WpItem(1, "Orphan", creator="ghost")]))
    assert [s["reason"] for s in report["skipped"]] == [
        "no e-mail address: her posts go to the account importing them"
    ]
    assert db.session.scalar(select(Post)).author_id == admin.id


def test_the_imported_author_sets_a_password_by_mail_before_logging_in(client, run_file):
    run_file(wxr.realistic())
    response = client.post("/login", data={"login": "alice", "password": ""})
    assert response.status_code != 302
    with pytest.raises(AssertionError):
        login(client, _user("alice"), "")


def test_the_planner_statistics_are_refreshed_after_an_import(run_file):
    run_file(wxr.realistic())
    if db.engine.dialect.name == "sqlite":
        analysed = db.session.execute(text("SELECT tbl FROM sqlite_stat1")).scalars().all()
    else:
        analysed = (
            db.session.execute(
                text("SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
            )
            .scalars()
            .all()
        )
    assert {"posts", "comments"} <= set(analysed)


def test_an_item_without_an_id_is_skipped(run_file):
    xml = wxr.document(wxr.AUTHORS, [WpItem(1, "No id"), WpItem(2, "Has one")])
    xml = xml.replace(b"<wp:post_id>1</wp:post_id>", b"<wp:post_id></wp:post_id>")
    xml = xml.replace(b'<guid isPermaLink="false">https://old.example.org/?p=1</guid>', b"")
    _run, report = run_file(xml)
    assert [(s["title"], s["reason"]) for s in report["skipped"]] == [
        ("No id", "it has no id (wp:post_id or guid)")
    ]
    assert [p.title for p in db.session.scalars(select(Post))] == ["Has one"]
