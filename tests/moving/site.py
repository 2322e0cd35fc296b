"""A site with something in every table an export holds, and every row of it read back."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from inkstand.accounts import services as accounts
from inkstand.accounts import tokens, twofactor
from inkstand.accounts.models import Invitation, Role, UsernameRedirect
from inkstand.analytics.models import DailyTotal, PageView
from inkstand.blog.models import SlugRedirect, WorkingRevision
from inkstand.blog.services import favourites
from inkstand.comments import services as comments
from inkstand.db import Base, utcnow
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.media import services as media
from inkstand.moving.models import ImportedItem, MovedLink
from inkstand.moving.sections import NOT_EXPORTED
from inkstand.pages import identity
from inkstand.pages import services as pages
from inkstand.site import services as site
from inkstand.subscriptions.models import Newsletter, NewsletterSend, Subscriber
from tests.helpers import change, image_bytes


def populate(factory: Any) -> dict[str, Any]:
    """Accounts of every role (one with two-factor), posts with several revisions, tags,
    co-authors, old slugs, a revised page showing an image, the site icon and logo,
    threaded comments in every state, follows, favourites, images with their files,
    settings, statistics, tokens, invitations, imported ids, subscribers and a
    newsletter sent."""
    now = utcnow().replace(microsecond=0)
    admin = factory.user(Role.ADMIN, username="admin")
    editor = factory.user(Role.EDITOR, username="editor", display_name="Édith Éditrice")
    author = factory.user(Role.AUTHOR, username="author")
    reader = factory.user(Role.READER, username="reader")
    image = media.upload(
        db.session,
        media_context.storage(),
        author,
        image_bytes(size=(1000, 600)),
        media_context.limits(),
        lambda media_id: media.make_variants(db.session, media_context.storage(), media_id),
    )
    post = factory.post(
        author,
        "Ünïcode title",
        tags=["travel", "café"],
        body=f"Text ☕\n\n![]({media.url(image)})",
        cover_id=image.id,
        cover_alt='A "café" at dawn',
        cover_caption="Taken from the bridge.",
    )
    post = change(post, author, title="A second title", slug="a-second-title")
    post = change(post, editor, body="Edited by the editor.", coauthors=["editor"])
    draft = factory.post(author, "A draft", status="draft")
    factory.post(editor, "Scheduled", publish_at=now + timedelta(days=3))
    top = factory.comment(reader, post, "First!")
    reply = factory.comment(author, post, "A reply", parent=top)
    factory.comment(reader, post, "Deeper", parent=reply)
    held = factory.comment(factory.user(Role.READER), post, "Held", policy="hold_all")
    spam = factory.comment(reader, post, "Spam")
    comments.moderate(db.session, admin, [spam.id], "spam")
    gone = factory.comment(reader, post, "Deleted later")
    comments.delete_comment(db.session, admin, gone.id, utcnow())
    accounts.follow(db.session, reader, "author")
    favourites.favourite(db.session, reader, post.id, utcnow())
    tokens.create(db.session, author, "My script", "read", now)
    admin.totp_secret = twofactor.new_secret()
    site.configure(db.session, "title", "Moved Blog")
    about = pages.create_page(
        db.session, editor, pages.PageChanges(title="About", body="Who *we* are."), now,
        10_000, frozenset(),
    )  # fmt: skip
    pages.change_page(
        db.session, admin, about.id,
        pages.PageChanges(body=f"Who we are.\n\n![]({media.url(image)})", status="published"),
        now, 10_000, frozenset(),
    )  # fmt: skip
    for kept in (identity.set_icon, identity.set_logo):
        kept(db.session, media_context.storage(), admin, image_bytes(size=(300, 300)),
             media_context.limits())  # fmt: skip
    db.session.add_all(
        [
            UsernameRedirect(username="oldname", user_id=author.id),
            Invitation(
                email="new@example.com", role="author", invited_by_id=admin.id, nonce="n" * 32
            ),
            WorkingRevision(
                post_id=draft.id,
                editor_id=author.id,
                based_on=1,
                title="Autosaved",
                body_source="x",
                excerpt_source="",
                tags_text="",
                saved_at=now,
            ),
            PageView(
                viewed_at=now,
                day=now.date(),
                path="/posts/a-second-title",
                post_id=post.id,
                visitor="v" * 64,
                referrer_host="example.com",
            ),
            DailyTotal(day=date(2024, 1, 2), scope="site", kind="views", views=3, visitors=2),
            ImportedItem(
                source="wordpress:https://old.example.org",
                kind="post",
                source_id="7",
                target_id=post.id,
            ),
            MovedLink(path="/2024/01/02/old/", post_id=post.id),
            Subscriber(email="fan@example.org", scope="site", key="k" * 32, confirmed_at=now),
            Subscriber(
                email="new@example.org",
                scope=f"author:{author.id}",
                key="j" * 32,
                author_id=author.id,
                confirm_nonce="c" * 32,
            ),
            Newsletter(post_id=post.id, started_at=now, beat_at=now, finished_at=now, sent=1),
            NewsletterSend(post_id=post.id, address_digest="d" * 64, state="sent", sent_at=now),
        ]
    )
    db.session.commit()
    assert db.session.get(SlugRedirect, "unicode-title") is not None
    assert held.status == "pending"
    return {"admin": admin, "post": post}


def dump() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table an export holds, ordered by primary key."""
    db.session.rollback()
    rows: dict[str, list[dict[str, Any]]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in NOT_EXPORTED:
            continue
        order = list(table.primary_key.columns)
        rows[table.name] = [
            dict(r) for r in db.session.execute(select(table).order_by(*order)).mappings()
        ]
    db.session.rollback()
    return rows


def empty_site() -> None:
    """Every table emptied, as a new database is."""
    db.session.rollback()
    for table in reversed(Base.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()
