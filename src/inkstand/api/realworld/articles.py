"""Articles (Inkstand's posts), favourites and tags."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue

from inkstand import runtime
from inkstand.accounts import services as accounts
from inkstand.accounts.models import User
from inkstand.api.realworld import auth, parse, render
from inkstand.api.realworld.blueprint import bp
from inkstand.blog import counts, reading
from inkstand.blog.models import Post, Status
from inkstand.blog.services import favourites, posts
from inkstand.db import DbSession
from inkstand.extensions import db

TAGS_SHOWN = 100


def _flags(viewer: User | None, posts: Sequence[Post]) -> tuple[set[int], set[int]]:
    """The posts ``viewer`` favourited and the authors she follows: two queries at most,
    whatever the number of posts."""
    favourited = favourites.favourited_ids(db.session, viewer, [p.id for p in posts])
    following = accounts.following_ids(db.session, viewer, {p.author_id for p in posts})
    return favourited, following


def _one(post: Post, viewer: User | None, status: int = 200) -> ResponseReturnValue:
    favourited, following = _flags(viewer, [post])
    article = render.article(post, post.id in favourited, post.author_id in following)
    return jsonify({"article": article}), status


def _many(viewer: User | None, filters: reading.Filters) -> ResponseReturnValue:
    limit, offset = parse.page()
    now = runtime.now()
    narrowed = reading.narrow(db.session, filters)
    if narrowed is None:  # an unknown tag or account: none match, no need to look
        total, posts = 0, []
    else:
        total = counts.matching(db.session, now, narrowed)
        posts = reading.numbered(db.session, now, narrowed, limit, offset) if total > offset else []
    favourited, following = _flags(viewer, posts)
    articles = [
        render.article(p, p.id in favourited, p.author_id in following, body=False) for p in posts
    ]
    return jsonify({"articles": articles, "articlesCount": total})


@bp.get("/articles")
def articles() -> ResponseReturnValue:
    filters = reading.Filters(
        tag=parse.argument("tag"),
        author=parse.argument("author"),
        favourited_by=parse.argument("favorited"),
    )
    return _many(auth.user(), filters)


@bp.get("/articles/feed")
def feed() -> ResponseReturnValue:
    viewer = auth.required()
    return _many(viewer, reading.Filters(followed_by=viewer))


def _body_limit() -> int:
    limit: int = current_app.config["POST_BODY_MAX_CHARS"]
    return limit


@bp.post("/articles")
def create_article() -> ResponseReturnValue:
    author = auth.required()
    sent = parse.member("article")
    data = parse.strings(sent, required=("title", "description", "body"))
    tags = parse.tag_list(sent)
    changes = posts.PostChanges(
        title=data["title"],
        body=data["body"],
        excerpt=data["description"],
        tags=posts.KEEP if tags is None else tags,
        status=Status.PUBLISHED.value,  # a RealWorld article has no draft state
    )
    post = posts.create_post(db.session, author, changes, runtime.now(), _body_limit())
    return _one(post, author, 201)


def _post(slug: str, viewer: User | None) -> Post:
    return reading.show(db.session, viewer, slug, runtime.now())


@bp.get("/articles/<slug>")
def article(slug: str) -> ResponseReturnValue:
    viewer = auth.user()
    return _one(_post(slug, viewer), viewer)


@bp.put("/articles/<slug>")
def update_article(slug: str) -> ResponseReturnValue:
    editor = auth.required()
    sent = parse.member("article")
    data = parse.strings(sent, optional=("title", "description", "body"))
    tags = parse.tag_list(sent)
    # Fields not sent stay as they are, the slug among them: links keep working.
    changes = posts.PostChanges(
        title=data.get("title", posts.KEEP),
        body=data.get("body", posts.KEEP),
        excerpt=data.get("description", posts.KEEP),
        tags=posts.KEEP if tags is None else tags,
    )
    post = _post(slug, editor)  # held, so that the service finds it read: no second query
    post = posts.change_post(db.session, editor, post.id, changes, runtime.now(), _body_limit())
    return _one(post, editor)


@bp.delete("/articles/<slug>")
def delete_article(slug: str) -> ResponseReturnValue:
    actor = auth.required()
    post = _post(slug, actor)  # held: the service finds it read
    posts.delete_post(db.session, actor, post.id, runtime.now())  # to the trash
    return "", 204


def _change_favourite(
    change: Callable[[DbSession, User | None, int, datetime | None], Post], slug: str
) -> ResponseReturnValue:
    reader = auth.required()
    post = _post(slug, reader)  # held: the service finds it read
    return _one(change(db.session, reader, post.id, runtime.now()), reader)


@bp.post("/articles/<slug>/favorite")
def favourite(slug: str) -> ResponseReturnValue:
    return _change_favourite(favourites.favourite, slug)


@bp.delete("/articles/<slug>/favorite")
def unfavourite(slug: str) -> ResponseReturnValue:
    return _change_favourite(favourites.unfavourite, slug)


@bp.get("/tags")
def tags() -> ResponseReturnValue:
    return jsonify({"tags": counts.tags_in_use(db.session, runtime.now(), TAGS_SHOWN)})
