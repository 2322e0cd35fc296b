"""A person's own data, to take away: everything her account holds, as a zip of JSON
(``data.json``) and one Markdown file with front matter per post (``posts/<slug>.md``).
API tokens are listed by name, never with their secret or its hash. Written into a
file the caller gives (a temporary file, not memory), in a fixed number of queries."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from inkstand.accounts.models import ApiToken, Follow, User, UsernameRedirect
from inkstand.blog.models import Favourite, Post, Revision
from inkstand.comments.models import Comment
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden
from inkstand.media.models import Media
from inkstand.subscriptions.models import Subscriber


def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def _profile(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "bio": user.bio,
        "image_url": user.image_url,
        "role": user.role,
        "notify_comments": user.notify_comments,
        "created_at": _when(user.created_at),
    }


def _posts(session: DbSession, user: User) -> list[dict[str, Any]]:
    """Her posts, each with every revision (oldest first): two queries."""
    posts = session.scalars(
        select(Post).where(Post.author_id == user.id).order_by(Post.created_at, Post.id)
    ).all()
    editor = aliased(User)
    revisions: dict[int, list[dict[str, Any]]] = {}
    rows = session.execute(
        select(Revision, editor.username)
        .join(Post, Post.id == Revision.post_id)
        .outerjoin(editor, editor.id == Revision.editor_id)
        .where(Post.author_id == user.id)
        .order_by(Revision.post_id, Revision.number)
    )
    for revision, editor_name in rows:
        revisions.setdefault(revision.post_id, []).append({
            "number": revision.number,
            "title": revision.title,
            "body": revision.body_source,
            "excerpt": revision.excerpt_source,
            "tags": revision.tags_text,
            "editor": editor_name,
            "created_at": _when(revision.created_at),
        })  # fmt: skip
    return [
        {
            "title": post.title,
            "slug": post.slug,
            "status": post.status,
            "tags": post.tag_list,
            "excerpt": post.excerpt_source,
            "body": post.body_source,
            "published_at": _when(post.published_at),
            "created_at": _when(post.created_at),
            "updated_at": _when(post.updated_at),
            "file": f"posts/{post.slug}.md",
            "revisions": revisions.get(post.id, []),
        }
        for post in posts
    ]


def _comments(session: DbSession, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Comment, Post.slug, Post.title)
        .join(Post, Post.id == Comment.post_id)
        .where(Comment.author_id == user.id)
        .order_by(Comment.created_at, Comment.id)
    )
    return [
        {
            "post": {"slug": slug, "title": title},
            "body": comment.body_source,
            "status": comment.status,
            "deleted": comment.deleted,
            "created_at": _when(comment.created_at),
            "edited_at": _when(comment.edited_at),
        }
        for comment, slug, title in rows
    ]


def _favourites(session: DbSession, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Post.slug, Post.title, Favourite.created_at)
        .join(Favourite, Favourite.post_id == Post.id)
        .where(Favourite.user_id == user.id)
        .order_by(Favourite.created_at)
    )
    return [{"slug": s, "title": t, "at": _when(at)} for s, t, at in rows]


def _follows(session: DbSession, user: User) -> dict[str, Any]:
    following = session.execute(
        select(User.username, Follow.created_at)
        .join(Follow, Follow.followed_id == User.id)
        .where(Follow.follower_id == user.id)
        .order_by(Follow.created_at)
    )
    followers = session.scalar(
        select(func.count()).select_from(Follow).where(Follow.followed_id == user.id)
    )
    return {
        "following": [{"username": name, "since": _when(at)} for name, at in following],
        "followers": int(followers or 0),  # who they are is theirs to share
    }


def _tokens(session: DbSession, user: User) -> list[dict[str, Any]]:
    """Names and dates only: no secret, no hash, no prefix of the secret."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
    )
    return [
        {
            "name": t.name,
            "scope": t.scope,
            "created_at": _when(t.created_at),
            "last_used_at": _when(t.last_used_at),
            "revoked_at": _when(t.revoked_at),
        }
        for t in tokens
    ]


def _media(session: DbSession, user: User) -> list[dict[str, Any]]:
    images = session.scalars(
        select(Media).where(Media.owner_id == user.id).order_by(Media.created_at)
    )
    return [
        {"file": f"/media/{m.name}", "width": m.width, "height": m.height,
         "created_at": _when(m.created_at)}
        for m in images
    ]  # fmt: skip


def _old_names(session: DbSession, user: User) -> list[str]:
    return list(
        session.scalars(
            select(UsernameRedirect.username)
            .where(UsernameRedirect.user_id == user.id)
            .order_by(UsernameRedirect.created_at)
        )
    )


def front_matter(post: dict[str, Any]) -> str:
    """A post as Markdown with YAML front matter. Each value is written as JSON, which
    YAML reads as the same value, so no title can break out of its field."""
    fields = ("title", "slug", "status", "tags", "excerpt", "published_at", "created_at",
              "updated_at")  # fmt: skip
    head = "\n".join(f"{name}: {json.dumps(post[name])}" for name in fields)
    return f"---\n{head}\n---\n\n{post['body']}\n"


def _subscriptions(session: DbSession, user: User) -> list[dict[str, Any]]:
    """The e-mail subscriptions at the account's address (not the addresses of those
    subscribed to her: theirs to take away)."""
    author = aliased(User)
    rows = session.execute(
        select(Subscriber, author.username)
        .outerjoin(author, author.id == Subscriber.author_id)
        .where(Subscriber.email == user.email)
        .order_by(Subscriber.id)
    )
    return [
        {
            "email": sub.email,
            "to": f"author {name}" if name else "the whole site",
            "consent": sub.consent,
            "subscribed_at": _when(sub.created_at),
            "confirmed_at": _when(sub.confirmed_at),
        }
        for sub, name in rows
    ]


def export(session: DbSession, actor: User | None, out: IO[bytes], now: datetime) -> None:
    """Write ``actor``'s own data as a zip into ``out``. Raises Forbidden for a visitor."""
    if actor is None:
        raise Forbidden("Log in to download your data.")
    posts = _posts(session, actor)
    data = {
        "exported_at": _when(now),
        "account": _profile(actor),
        "old_usernames": _old_names(session, actor),
        "posts": posts,
        "comments": _comments(session, actor),
        "favourites": _favourites(session, actor),
        "follows": _follows(session, actor),
        "api_tokens": _tokens(session, actor),
        "images": _media(session, actor),
        "subscriptions": _subscriptions(session, actor),
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, ensure_ascii=False, indent=2))
        for post in posts:
            archive.writestr(post["file"], front_matter(post))
