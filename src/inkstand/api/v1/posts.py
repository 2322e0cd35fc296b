"""Posts through the native API: list, read, write, publish, delete (to the trash), restore."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app

from inkstand import runtime
from inkstand.api.v1 import auth, hooks
from inkstand.api.v1.schemas import (
    PostInSchema,
    PostListSchema,
    PostPatchSchema,
    PostQuerySchema,
    PostSchema,
    PublishSchema,
    post_summary_row,
)
from inkstand.blog import reading
from inkstand.blog.services import posts, trash
from inkstand.extensions import db

bp = hooks.ApiBlueprint("posts", __name__, url_prefix="/api/v1/posts", description="Posts.")


def _body_limit() -> int:
    limit: int = current_app.config["POST_BODY_MAX_CHARS"]
    return limit


@bp.route("", methods=["GET"])
@bp.arguments(PostQuerySchema, location="query")
@bp.response(200, PostListSchema, headers=hooks.LINK_HEADER)
def index(args: dict[str, Any]) -> Any:
    """List posts, newest first

    Published posts by default, to anyone. Drafts, scheduled and archived posts
    (`state`) are listed to their writers, and to editors and admins.
    """
    now = runtime.now()
    page = reading.listing(
        db.session, auth.viewer(), now, args["limit"], state=args["state"],
        tag=args.get("tag"), author=args.get("author"), before=args.get("cursor"),
    )  # fmt: skip
    rows = [post_summary_row(post, now) for post in page.items]
    return hooks.listed({"posts": rows, "next_cursor": page.older}, page.older)


@bp.route("", methods=["POST"])
@bp.arguments(PostInSchema)
@bp.response(201, PostSchema)
def create(args: dict[str, Any]) -> Any:
    """Write a post

    Needs a read-write token of an author, editor or admin.
    """
    changes = posts.PostChanges(**args)
    return posts.create_post(db.session, auth.writer(), changes, runtime.now(), _body_limit())


@bp.route("/<int:post_id>", methods=["GET"])
@bp.response(200, PostSchema)
def show(post_id: int) -> Any:
    """Read a post by id

    Drafts and scheduled posts are found only by those who may edit them. The `ETag`
    names the post's version: send it as `If-Match` when changing or publishing it.
    """
    post = reading.by_id(db.session, auth.viewer(), post_id, runtime.now())
    hooks.tag_version(post.version)
    return post


@bp.route("/by-slug/<slug>", methods=["GET"])
@bp.response(200, PostSchema)
@bp.alt_response(301, description="The slug is an old one: Location names the post's URL.")
def by_slug(slug: str) -> Any:
    """Read a post by slug"""
    post = reading.show(db.session, auth.viewer(), slug, runtime.now())
    hooks.tag_version(post.version)
    return post


@bp.route("/<int:post_id>", methods=["PATCH"], parameters=[hooks.IF_MATCH])
@bp.arguments(PostPatchSchema)
@bp.response(200, PostSchema)
@bp.alt_response(412, description=hooks.PRECONDITION_FAILED["description"])
def update(args: dict[str, Any], post_id: int) -> Any:
    """Change a post

    Fields left out keep their values. Each save is a revision. With `If-Match`, only
    if the post is still the version its `ETag` names.
    """
    changes = posts.PostChanges(**args)
    post = posts.change_post(
        db.session, auth.writer(), post_id, changes, runtime.now(), _body_limit(),
        based_on=hooks.based_on(),
    )  # fmt: skip
    hooks.tag_version(post.version)
    return post


@bp.route("/<int:post_id>/publish", methods=["POST"], parameters=[hooks.IF_MATCH])
@bp.arguments(PublishSchema, required=False)
@bp.response(200, PostSchema)
@bp.alt_response(412, description=hooks.PRECONDITION_FAILED["description"])
def publish(args: dict[str, Any], post_id: int) -> Any:
    """Publish a post

    Now, at its first publication time, or at `publish_at` (a future time schedules it).
    With `If-Match`, only if the post is still the version its `ETag` names.
    """
    post = posts.publish_post(
        db.session, auth.writer(), post_id, args.get("publish_at"), runtime.now(),
        _body_limit(), based_on=hooks.based_on(),
    )  # fmt: skip
    hooks.tag_version(post.version)
    return post


@bp.route("/<int:post_id>", methods=["DELETE"])
@bp.response(204)
def delete(post_id: int) -> Any:
    """Move a post to the trash

    It leaves every list, feed and search at once and answers 404, but keeps its slug,
    revisions and comments: `POST /api/v1/posts/{id}/restore` brings it back within
    the site's trash period (30 days by default), after which it is purged for good.
    """
    posts.delete_post(db.session, auth.writer(), post_id, runtime.now())
    done = Response(status=204)
    del done.headers["Content-Type"]
    return done


@bp.route("/<int:post_id>/restore", methods=["POST"])
@bp.response(200, PostSchema)
def restore(post_id: int) -> Any:
    """Restore a post from the trash

    In the state it was deleted in. Needs a read-write token of its author, or of an
    editor or admin; 404 for a post that is not in the trash (or not the caller's to
    restore).
    """
    post = trash.restore(db.session, auth.writer(), post_id)
    hooks.tag_version(post.version)
    return posts.find(db.session, post.id) or post
