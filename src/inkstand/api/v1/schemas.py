"""The shapes the native API reads and writes, as marshmallow schemas.

They check shape only (types, required fields); the rules (lengths, slugs, who may)
live in the services, whose Invalid errors come back as the same problem+json.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from inkstand import inputs, runtime
from inkstand.accounts.models import User
from inkstand.blog.models import Post, Status
from inkstand.blog.reading import STATES
from inkstand.comments.models import Comment
from inkstand.db import ID_MAX
from inkstand.media import imaging
from inkstand.media import services as media
from inkstand.media.context import picture_url
from inkstand.media.models import Media
from inkstand.templating import absolute_url

# Query and path text a database can compare: no NUL or other control characters.
PRINTABLE = validate.Regexp(re.compile(r"^[^\x00-\x1f\x7f]*$"), error="Use printable text.")
_STATUSES = [s.value for s in Status]
_NO_COMMA = validate.Regexp(r"^[^,]*$", error="A tag has no comma.")
_USERNAME = validate.Regexp(r"^[^,]*$", error="A username has no comma.")
_CANONICAL = "An absolute http(s) URL where it was first published; empty: none."
_COVER = (
    "An image of yours (an editor's or admin's: anyone's) from /api/v1/media as the "
    "cover; null for none. A cover someone else chose stays when left as it is."
)
_COVER_ALT = (
    "What the cover shows, for readers who cannot see it (its alt text): plain text, at "
    "most 300 characters; empty: none. Kept when the cover is removed."
)
_COVER_CAPTION = (
    "The caption shown under the cover: plain text, at most 500 characters; empty: none. "
    "Kept when the cover is removed."
)
_COAUTHORS = {
    "description": "Usernames of writers who co-wrote it, after the owner. Only the owner, "
    "editors and admins may change them."
}


class Whole(fields.Integer):
    """A whole number: a JSON integer, or in a query ASCII digits only (inputs.whole_number),
    never another script's digits, a sign or spaces."""

    def _validated(self, value: Any) -> Any:
        if isinstance(value, str) and inputs.whole_number(value, 0, _WHOLE_MAX) is None:
            raise self.make_error("invalid")
        return super()._validated(value)


_WHOLE_MAX = 10**18


class _Out(Schema):
    """An output schema: documents what the API sends."""


_IMAGE_URL = "An address of a picture elsewhere, given through an API; empty for none."
_AVATAR_URL = ("The picture to show: the absolute URL of the avatar the account uploaded, "
               "else `image_url`; empty for none.")  # fmt: skip


def _avatar(shown: User | dict[str, Any]) -> str:
    """The picture of an account (or of a row already holding it)."""
    return str(shown["avatar_url"]) if isinstance(shown, dict) else picture_url(shown)


class AuthorSchema(_Out):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    image_url = fields.String(required=True, metadata={"description": _IMAGE_URL})
    avatar_url = fields.Function(
        _avatar, required=True, metadata={"type": "string", "description": _AVATAR_URL}
    )


def _file_url(name: str) -> str:
    return absolute_url("media.file", name=name)


def _cover_url(post: Post) -> str | None:
    return _file_url(post.cover_name) if post.cover_name else None


def _state(post: Post) -> str:
    return post.display_status(runtime.now())


class PostSummarySchema(_Out):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    title = fields.String(required=True)
    state = fields.Function(
        _state,
        required=True,
        metadata={"enum": list(STATES), "description": "What a reader sees: draft, "
                  "scheduled (published, its time not yet come), published or archived."},
    )  # fmt: skip
    excerpt = fields.String(required=True)
    tags = fields.List(fields.String(), required=True, attribute="tag_list")
    reading_minutes = fields.Integer(required=True)
    comment_count = fields.Integer(required=True)
    favourite_count = fields.Integer(required=True)
    comments_closed = fields.Boolean(required=True)
    published_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    author = fields.Nested(
        AuthorSchema, required=True, metadata={"description": "The post's owner."}
    )
    authors = fields.List(
        fields.Nested(AuthorSchema),
        required=True,
        metadata={"description": "Everyone who wrote it: the owner first, then co-authors."},
    )
    featured = fields.Boolean(required=True, metadata={"description": "On the home page's top."})
    meta_title = fields.String(required=True, metadata={"description": "Empty: the title."})
    meta_description = fields.String(required=True, metadata={"description": "Empty: the excerpt."})
    canonical_url = fields.String(
        required=True, metadata={"description": "Where it was first published; empty: here."}
    )
    cover_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The cover: an image's id "
                                                  "(/api/v1/media); null for none."}
    )  # fmt: skip
    cover_url = fields.Function(
        _cover_url, required=True, allow_none=True,
        metadata={"type": "string", "description": "The cover's absolute URL; null for none."},
    )  # fmt: skip
    cover_alt = fields.String(required=True, metadata={"description": _COVER_ALT})
    cover_caption = fields.String(required=True, metadata={"description": _COVER_CAPTION})


def _moment(value: datetime | None) -> str | None:
    """A time as marshmallow's DateTime field writes it (ISO 8601)."""
    return value.isoformat() if value is not None else None


def author_row(account: User) -> dict[str, Any]:
    """An account as AuthorSchema dumps it, in JSON's own types."""
    return {
        "username": account.username,
        "display_name": account.display_name,
        "image_url": account.image_url,
        "avatar_url": picture_url(account),
    }


def post_summary_row(post: Post, now: datetime) -> dict[str, Any]:
    """A post as PostSummarySchema dumps it (its authors loaded), in JSON's own types:
    lists send these as they are, as the schema costs more per item than the query
    (tests/api/v1/test_rows.py holds the two to the same output)."""
    return {
        "id": post.id,
        "slug": post.slug,
        "title": post.title,
        "state": post.display_status(now),
        "excerpt": post.excerpt,
        "tags": post.tag_list,
        "reading_minutes": post.reading_minutes,
        "comment_count": post.comment_count,
        "favourite_count": post.favourite_count,
        "comments_closed": post.comments_closed,
        "published_at": _moment(post.published_at),
        "created_at": _moment(post.created_at),
        "updated_at": _moment(post.updated_at),
        "author": author_row(post.author),
        "authors": [author_row(writer) for writer in post.authors],
        "featured": post.featured,
        "meta_title": post.meta_title,
        "meta_description": post.meta_description,
        "canonical_url": post.canonical_url,
        "cover_id": post.cover_id,
        "cover_url": _cover_url(post),
        "cover_alt": post.cover_alt,
        "cover_caption": post.cover_caption,
    }


class PostSchema(PostSummarySchema):
    body = fields.String(required=True, attribute="body_source", metadata={"description":
                         "Markdown source."})  # fmt: skip
    body_html = fields.String(required=True, metadata={"description": "Sanitised HTML."})
    excerpt_source = fields.String(
        required=True, metadata={"description": "The excerpt as written; empty for automatic."}
    )


class PostListSchema(_Out):
    posts = fields.List(fields.Nested(PostSummarySchema), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last."},
    )


class PageQuerySchema(Schema):
    cursor = fields.String(
        validate=[validate.Length(1, 40), PRINTABLE],
        metadata={"description": "The `next_cursor` of the page before; none for the first."},
    )
    limit = Whole(load_default=20, validate=validate.Range(1, 100))


class PostQuerySchema(PageQuerySchema):
    state = fields.String(
        load_default="published",
        validate=validate.OneOf(STATES),
        metadata={"description": "Other states than published: your own posts (all, for "
                  "editors and admins), with a token."},
    )  # fmt: skip
    tag = fields.String(validate=[validate.Length(1, 40), PRINTABLE])
    author = fields.String(
        validate=[validate.Length(1, 30), PRINTABLE], metadata={"description": "A username."}
    )


class SearchQuerySchema(PageQuerySchema):
    q = fields.String(
        required=True,
        metadata={"description": 'What to look for: words (all must match), "quoted phrases", '
                  "-words to leave out; the last word also matches the start of a longer one. "
                  "Case and accents do not matter. Only the first 500 characters are read."},
    )  # fmt: skip


class SearchHitSchema(_Out):
    post = fields.Nested(PostSummarySchema, required=True)
    title_html = fields.String(
        required=True, metadata={"description": "The title, escaped, matched words in <mark>."}
    )
    snippet = fields.String(required=True, metadata={"description": "Matching body text."})
    snippet_html = fields.String(
        required=True, metadata={"description": "The snippet, escaped, matched words in <mark>."}
    )


class SearchResultsSchema(_Out):
    results = fields.List(
        fields.Nested(SearchHitSchema),
        required=True,
        metadata={"description": "Best first: published posts, and the token's own posts in "
                  "any state (see each post's `state`)."},
    )  # fmt: skip
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last."},
    )


class PostInSchema(Schema):
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "Markdown."})
    status = fields.String(load_default=Status.DRAFT.value, validate=validate.OneOf(_STATUSES))
    slug = fields.String(load_default="", metadata={"description": "Empty: made from the title."})
    excerpt = fields.String(load_default="")
    tags = fields.List(fields.String(validate=_NO_COMMA), load_default=list)
    publish_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "With its time zone. A future time schedules the post."},
    )
    comments_closed = fields.Boolean(load_default=False)
    meta_title = fields.String(load_default="", metadata={"description": "Empty: the title."})
    meta_description = fields.String(
        load_default="", metadata={"description": "Empty: the excerpt."}
    )
    canonical_url = fields.String(load_default="", metadata={"description": _CANONICAL})
    featured = fields.Boolean(load_default=False)
    coauthors = fields.List(
        fields.String(validate=_USERNAME), load_default=list, metadata=_COAUTHORS
    )
    cover_id = Whole(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, ID_MAX),
        metadata={"description": _COVER},
    )  # fmt: skip
    cover_alt = fields.String(load_default="", metadata={"description": _COVER_ALT})
    cover_caption = fields.String(load_default="", metadata={"description": _COVER_CAPTION})


class PostPatchSchema(Schema):
    """Any subset of a post's fields; the others keep their values."""

    title = fields.String()
    body = fields.String()
    status = fields.String(validate=validate.OneOf(_STATUSES))
    slug = fields.String()
    excerpt = fields.String()
    tags = fields.List(fields.String(validate=_NO_COMMA))
    publish_at = fields.AwareDateTime(allow_none=True)
    comments_closed = fields.Boolean()
    meta_title = fields.String()
    meta_description = fields.String()
    canonical_url = fields.String(metadata={"description": _CANONICAL})
    featured = fields.Boolean()
    coauthors = fields.List(fields.String(validate=_USERNAME), metadata=_COAUTHORS)
    cover_id = Whole(
        allow_none=True, strict=True, validate=validate.Range(1, ID_MAX),
        metadata={"description": _COVER},
    )  # fmt: skip
    cover_alt = fields.String(metadata={"description": _COVER_ALT})
    cover_caption = fields.String(metadata={"description": _COVER_CAPTION})


class PublishSchema(Schema):
    publish_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        metadata={"description": "Empty: now, or the first publication time."},
    )


class TagSchema(_Out):
    name = fields.String(required=True)
    post_count = fields.Integer(required=True)


class TagListSchema(_Out):
    tags = fields.List(fields.Nested(TagSchema), required=True)


class CommentSchema(_Out):
    id = fields.Integer(required=True)
    parent_id = fields.Integer(required=True, allow_none=True)
    depth = fields.Integer(required=True)
    shown = fields.Boolean(
        required=True,
        metadata={"description": "False: a deleted comment kept to hold its replies; "
                  "its author, text, status and edit time are null."},
    )  # fmt: skip
    status = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(["pending", "approved", "spam"])
    )
    author = fields.Nested(
        AuthorSchema, required=True, allow_none=True,
        metadata={"description": "Null also when the writer's account was deleted: "
                  "the comment stays, by a deleted account."},
    )  # fmt: skip
    body = fields.String(required=True, allow_none=True)
    body_html = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(required=True, allow_none=True)


class CommentListSchema(_Out):
    comments = fields.List(
        fields.Nested(CommentSchema),
        required=True,
        metadata={"description": "One page of the thread, oldest first by `created_at` "
                  "then `id`. A reply comes after its parent, which may be on an earlier "
                  "page: build the tree from `parent_id`."},
    )  # fmt: skip
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last."},
    )


class CommentInSchema(Schema):
    body = fields.String(required=True, metadata={"description": "A small Markdown subset."})
    parent_id = Whole(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(1, ID_MAX)
    )


class UserSchema(_Out):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    bio = fields.String(required=True)
    image_url = fields.String(required=True, metadata={"description": _IMAGE_URL})
    avatar_url = fields.Function(
        _avatar, required=True, metadata={"type": "string", "description": _AVATAR_URL}
    )
    created_at = fields.DateTime(required=True)


class TokenInfoSchema(_Out):
    name = fields.String(required=True)
    scope = fields.String(required=True, validate=validate.OneOf(["read", "read-write"]))
    prefix = fields.String(required=True)


class MeSchema(UserSchema):
    email = fields.String(required=True)
    role = fields.String(required=True)
    token = fields.Nested(TokenInfoSchema, required=True)


class MePatchSchema(Schema):
    """Any subset of your profile's fields; the others keep their values. The e-mail
    address and the password change only on the site, never with a token."""

    username = fields.String()
    display_name = fields.String()
    bio = fields.String()
    image_url = fields.String(
        metadata={"description": "An http or https address of a picture elsewhere: it replaces "
                  "an uploaded avatar. Empty: no address (an uploaded avatar stays; "
                  "`DELETE /api/v1/me/avatar` removes it)."}
    )  # fmt: skip


class MediaUseSchema(_Out):
    post_id = fields.Integer(required=True)
    post_title = fields.String(required=True)
    as_cover = fields.Boolean(required=True, metadata={"description": "False: in its body."})


class MediaPageUseSchema(_Out):
    page_id = fields.Integer(required=True)
    page_title = fields.String(required=True)


class VariantSchema(_Out):
    width = fields.Integer(required=True)
    url = fields.String(required=True)


class MediaSchema(_Out):
    id = fields.Integer(required=True)
    url = fields.String(
        required=True,
        metadata={"description": "The cleaned image (no metadata), named by the SHA-256 of "
                  "its bytes, cached for a year."},
    )  # fmt: skip
    markdown = fields.String(
        required=True, metadata={"description": "What shows it in a post's body."}
    )
    width = fields.Integer(required=True)
    height = fields.Integer(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes of the stored file."})
    variants = fields.List(
        fields.Nested(VariantSchema),
        required=True,
        metadata={"description": "Smaller copies, made in the background: until one is made "
                  "its URL answers the original."},
    )  # fmt: skip
    owner = fields.Nested(AuthorSchema, required=True)
    uses = fields.List(
        fields.Nested(MediaUseSchema),
        required=True,
        metadata={"description": "The posts that show it: it cannot be deleted while any do."},
    )
    page_uses = fields.List(
        fields.Nested(MediaPageUseSchema),
        required=True,
        metadata={"description": "The pages that show it: it cannot be deleted while any do."},
    )
    is_avatar = fields.Boolean(
        required=True, metadata={"description": "Its owner's avatar: it cannot be deleted."}
    )
    created_at = fields.DateTime(required=True)


def media_row(item: Media) -> dict[str, Any]:
    """An image as MediaSchema shows it (its owner, uses and page uses loaded)."""
    return {
        "id": item.id,
        "url": _file_url(item.name),
        "markdown": f"![]({media.url(item)})",
        "width": item.width,
        "height": item.height,
        "size": item.size,
        "variants": [
            {"width": w, "url": _file_url(item.variant_name(w))} for w in media.variant_widths(item)
        ],
        "owner": item.owner,
        "uses": item.uses,
        "page_uses": item.page_uses,
        "is_avatar": item.is_avatar,
        "created_at": item.created_at,
    }


class MediaListSchema(_Out):
    media = fields.List(fields.Nested(MediaSchema), required=True)
    next_cursor = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last."},
    )


class UploadSchema(Schema):
    image = Upload(required=True, metadata={"description": f"The image file: {imaging.ACCEPTED}."})


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, metadata={"description": "Stable per kind of error."})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Invalid input: each field named, with its messages."},
    )


def comment_json(comment: Comment, shown: bool, author: User | None) -> dict[str, Any]:
    """A comment as CommentSchema dumps comment_row, in JSON's own types: for lists, as
    post_summary_row."""
    row = comment_row(comment, shown, author)
    return {
        **row,
        "author": author_row(row["author"]) if row["author"] is not None else None,
        "created_at": _moment(row["created_at"]),
        "edited_at": _moment(row["edited_at"]),
    }


def comment_row(comment: Comment, shown: bool, author: User | None) -> dict[str, Any]:
    """A comment as CommentSchema shows it; a placeholder (not shown) without author, text
    or anything of its moderation (its status, its edit time), and a deleted account's
    comment without author."""
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "depth": comment.depth,
        "shown": shown,
        "status": comment.status if shown else None,
        "author": author if shown else None,
        "body": comment.body_source if shown else None,
        "body_html": comment.body_html if shown else None,
        "created_at": comment.created_at,
        "edited_at": comment.edited_at if shown else None,
    }
