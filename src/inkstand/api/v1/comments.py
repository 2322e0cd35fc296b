"""A post's comments through the native API: read the thread, write a comment."""

from __future__ import annotations

from typing import Any

from flask import current_app

from inkstand import limits, runtime
from inkstand.api.v1 import auth, hooks
from inkstand.api.v1.schemas import (
    CommentInSchema,
    CommentListSchema,
    CommentSchema,
    PageQuerySchema,
    comment_json,
    comment_row,
)
from inkstand.blog import reading as posts
from inkstand.comments import jobs, reading, services
from inkstand.extensions import db
from inkstand.site.context import site_settings

bp = hooks.ApiBlueprint(
    "comments", __name__, url_prefix="/api/v1/posts", description="Comments on posts."
)


@bp.route("/<int:post_id>/comments", methods=["GET"])
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, CommentListSchema, headers=hooks.LINK_HEADER)
def index(args: dict[str, Any], post_id: int) -> Any:
    """List a post's comments, oldest first

    Approved comments to anyone; held ones also to their writer and the post's moderators.
    A deleted comment whose replies are seen stays as a placeholder (`shown` false).
    Paged like the posts: a reply names its `parent_id`, which may be on an earlier page.
    """
    viewer, now = auth.viewer(), runtime.now()
    post = posts.by_id(db.session, viewer, post_id, now)
    page = reading.thread_page(
        db.session, viewer, post, now, site_settings().comment_policy, args["limit"],
        after=args.get("cursor"),
    )  # fmt: skip
    rows = [comment_json(node.comment, node.shown, node.comment.author) for node in page.items]
    return hooks.listed({"comments": rows, "next_cursor": page.newer}, page.newer)


@bp.route("/<int:post_id>/comments", methods=["POST"])
@limits.COMMENT(account=auth.viewer)
@bp.arguments(CommentInSchema)
@bp.response(201, CommentSchema)
def create(args: dict[str, Any], post_id: int) -> Any:
    """Comment on a post, or reply to a comment

    Under the site's comment policy the comment may be held for approval
    (`status` pending). Needs a read-write token.
    """
    user = auth.writer()
    data = services.CommentInput(body=args["body"], parent_id=args["parent_id"])
    comment = services.post_comment(
        db.session, user, post_id, data, runtime.now(), site_settings().comment_policy,
        services.SpamRules.configured(current_app.config, form=False),
        notify=jobs.notify_post_author,
    )  # fmt: skip
    return comment_row(comment, shown=True, author=user)
