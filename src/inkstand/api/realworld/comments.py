"""Comments on articles, through the comment services and their spam rules."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from inkstand import inputs, limits, runtime
from inkstand.accounts import services as accounts
from inkstand.api.realworld import auth, parse, render
from inkstand.api.realworld.blueprint import bp
from inkstand.blog import reading as posts
from inkstand.comments import jobs, reading, services
from inkstand.extensions import db
from inkstand.site.context import site_settings


def _policy() -> str:
    return site_settings().comment_policy


@bp.get("/articles/<slug>/comments")
def comments(slug: str) -> ResponseReturnValue:
    viewer, now = auth.user(), runtime.now()
    post = posts.show(db.session, viewer, slug, now)
    thread = reading.thread(db.session, viewer, post, now, _policy())
    shown, waiting = [], list(thread.nodes)
    while waiting:  # the tree, flattened in reading order
        node = waiting.pop(0)
        if node.shown:
            shown.append(node.comment)
        waiting[:0] = node.replies
    writers = {c.author_id for c in shown if c.author_id is not None}
    following = accounts.following_ids(db.session, viewer, writers)
    found = [render.comment(c, c.author, c.author_id in following) for c in shown]
    return jsonify({"comments": found})


@bp.post("/articles/<slug>/comments")
@limits.COMMENT(account=auth.user)
def create_comment(slug: str) -> ResponseReturnValue:
    writer, now = auth.required(), runtime.now()
    data = parse.strings(parse.member("comment"), required=("body",))
    post = posts.show(db.session, writer, slug, now)
    comment = services.post_comment(
        db.session, writer, post.id, services.CommentInput(body=data["body"]), now, _policy(),
        services.SpamRules.configured(current_app.config, form=False),
        notify=jobs.notify_post_author,
    )  # fmt: skip
    return jsonify({"comment": render.comment(comment, writer, following=False)})


@bp.delete("/articles/<slug>/comments/<comment_id>")
def delete_comment(slug: str, comment_id: str) -> ResponseReturnValue:
    actor, now = auth.required(), runtime.now()
    post = posts.show(db.session, actor, slug, now)
    # Not an <int:> rule: an id that is no number is a missing comment, answered in JSON.
    number = inputs.whole_number(comment_id) or 0
    services.delete_comment(db.session, actor, number, now, post_id=post.id)
    return "", 204
