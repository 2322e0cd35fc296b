"""A post's comments through the native API: read the thread, write a comment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import current_app

from inkstand import runtime
from inkstand.api.v1 import auth, hooks
from inkstand.api.v1.schemas import CommentInSchema, CommentListSchema, CommentSchema, comment_row
from inkstand.blog import reading as posts
from inkstand.comments import jobs, reading, services
from inkstand.comments.reading import Node
from inkstand.extensions import db, limiter

bp = hooks.ApiBlueprint(
    "comments", __name__, url_prefix="/api/v1/posts", description="Comments on posts."
)


def _rules() -> services.SpamRules:
    """A token client has no form: no honeypot or form stamp to check, so no minimum
    time (min_seconds=0); the link cap and the repeat rule hold as for a form."""
    return services.SpamRules(min_seconds=0, max_links=current_app.config["COMMENT_MAX_LINKS"])


def _walk(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        yield node
        yield from _walk(node.replies)


@bp.route("/<int:post_id>/comments", methods=["GET"])
@bp.response(200, CommentListSchema)
def index(post_id: int) -> Any:
    """List a post's comments

    Approved comments to anyone; held ones also to their writer and the post's moderators.
    """
    viewer, now = auth.viewer(), runtime.now()
    post = posts.by_id(db.session, viewer, post_id, now)
    thread = reading.thread(db.session, viewer, post, now, runtime.site().comment_policy)
    return {
        "comments": [
            comment_row(node.comment, node.shown, node.comment.author)
            for node in _walk(thread.nodes)
        ]
    }


def _account_key() -> str:
    user = auth.viewer()
    return f"comment-account:{user.id if user else ''}"


@bp.route("/<int:post_id>/comments", methods=["POST"])
@limiter.limit(
    lambda: current_app.config["COMMENT_LIMITS_PER_ACCOUNT"],
    key_func=_account_key,
    exempt_when=lambda: auth.viewer() is None,
    scope="comment-account",
    override_defaults=False,  # the API-wide limits hold too
)
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
        db.session, user, post_id, data, runtime.now(), runtime.site().comment_policy, _rules(),
        notify=jobs.notify_post_author,
    )  # fmt: skip
    return comment_row(comment, shown=True, author=user)
