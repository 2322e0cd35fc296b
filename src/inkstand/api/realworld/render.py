"""Inkstand's records in the RealWorld API's JSON shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments.models import Comment
from inkstand.media.context import picture_url

# Inkstand's field names in error messages, as the API's clients know them.
FIELD_NAMES = {
    "excerpt": "description",
    "tags": "tagList",
    "image_url": "image",
    "post": "article",
    "form": "body",
}


def timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as JavaScript's toISOString writes it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def errors(found: dict[str, list[str]]) -> dict[str, Any]:
    return {"errors": {FIELD_NAMES.get(name, name): messages for name, messages in found.items()}}


def message(text: str) -> dict[str, Any]:
    return {"errors": {"body": [text]}}


def user(account: User, token: str) -> dict[str, Any]:
    return {
        "user": {
            "email": account.email,
            "token": token,
            "username": account.username,
            "bio": account.bio,
            "image": picture_url(account),
        }
    }


DELETED_PROFILE = {"username": "", "bio": "", "image": "", "following": False}


def profile(account: User, following: bool) -> dict[str, Any]:
    return {
        "username": account.username,
        "bio": account.bio,
        "image": picture_url(account),
        "following": following,
    }


def article(post: Post, favourited: bool, following: bool, *, body: bool = True) -> dict[str, Any]:
    """An article; lists leave out the body, as the specification's lists do."""
    shape = {
        "slug": post.slug,
        "title": post.title,
        "description": post.excerpt_source,
        "tagList": sorted(post.tag_list),
        "createdAt": timestamp(post.created_at),
        "updatedAt": timestamp(post.updated_at),
        "favorited": favourited,
        "favoritesCount": post.favourite_count,
        "author": profile(post.author, following),
    }
    if body:
        shape["body"] = post.body_source
    return shape


def comment(item: Comment, author: User | None, following: bool) -> dict[str, Any]:
    """A comment; one by a deleted account has a nameless author, as the
    specification's clients expect an author object."""
    writer = profile(author, following) if author is not None else DELETED_PROFILE
    return {
        "id": item.id,
        "createdAt": timestamp(item.created_at),
        "updatedAt": timestamp(item.edited_at or item.created_at),
        "body": item.body_source,
        "author": writer,
    }
