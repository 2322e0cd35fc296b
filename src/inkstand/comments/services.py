"""Comments: post, edit, delete and moderate them, under the site's comment policy
and the spam rules. Every door into Inkstand goes through these functions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from inkstand import audit, markup
from inkstand.accounts import permissions as account_permissions
from inkstand.accounts.models import User
from inkstand.audit import Action as Audited
from inkstand.audit import Target
from inkstand.blog import permissions as post_permissions
from inkstand.blog.models import Post
from inkstand.comments import notices, permissions
from inkstand.comments.models import Comment, CommentStatus
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.site import services as site
from inkstand.site.models import CommentPolicy

BODY_MAX = 5000
MAX_DEPTH = 2  # a comment (0), a reply (1) and a reply to that (2); deeper replies stay at 2
REPEAT_WINDOW = timedelta(days=1)
BULK_MAX = 100
CONFIRM_FIRST = (
    "Confirm your e-mail address before you comment: open the link we mailed you, or ask "
    "for a new one on your settings page."
)
_URL = re.compile(r"(?i)\b(?:https?://|www\.)")


class Action(StrEnum):
    """What a moderator does to comments."""

    APPROVE = "approve"
    SPAM = "spam"
    DELETE = "delete"


@dataclass(frozen=True)
class CommentInput:
    """What a commenter sends, from a form or an API."""

    body: str
    parent_id: int | None = None
    honeypot: str = ""  # the form's hidden field: people leave it empty, scripts fill it
    shown_at: datetime | None = None  # when the form was shown, from its signed stamp


@dataclass(frozen=True)
class SpamRules:
    """The spam rules' limits; a door without a form (an API) sets min_seconds to 0."""

    min_seconds: int = 3
    max_links: int = 3

    @classmethod
    def configured(cls, config: Mapping[str, Any], *, form: bool = True) -> SpamRules:
        """The rules every door hands these services, from the app's settings. A form
        (the post page) is stamped when shown, so its minimum time applies; a token
        client (the APIs) has no form and no stamp to time. The link cap holds for all."""
        min_seconds = config["COMMENT_MIN_SECONDS"] if form else 0
        return cls(min_seconds=min_seconds, max_links=config["COMMENT_MAX_LINKS"])


def _clean_body(body: str, rules: SpamRules) -> tuple[str, str]:
    """The body to keep and its HTML. Raises Invalid."""
    body = body.replace("\x00", "").strip()
    if not body:
        raise Invalid.field("body", "Write something in your comment.")
    if len(body) > BODY_MAX:
        raise Invalid.field("body", f"A comment is limited to {BODY_MAX:,} characters.")
    html = markup.render_comment(body)
    links = max(html.count("<a "), len(_URL.findall(body)))
    if links > rules.max_links:
        raise Invalid.field("body", f"Use at most {rules.max_links} links in a comment.")
    return body, html


def _check_form(
    data: CommentInput, rules: SpamRules, now: datetime, actor: User, post: Post
) -> None:
    """The honeypot and the minimum time, which the post's own people (its author, the
    editors and admins) are not held to: they are no strangers. Raises Invalid."""
    if data.honeypot.strip():
        raise Invalid.field(
            "form", "Your comment was not posted: leave the field marked “leave empty” empty."
        )
    if not rules.min_seconds or permissions.is_at_home(actor, post):
        return
    if data.shown_at is None:
        raise Invalid.field(
            "form", "This comment form is out of date. Copy your text, reload the page and "
            "send it again.",
        )  # fmt: skip
    if now - data.shown_at < timedelta(seconds=rules.min_seconds):
        raise Invalid.field(
            "form", f"That was quicker than anyone reads: wait {rules.min_seconds} seconds "
            "after opening the form, then send your comment again.",
        )  # fmt: skip


def _check_repeat(session: DbSession, actor: User, post: Post, body: str, now: datetime) -> None:
    repeat = session.scalar(
        select(Comment.id)
        .where(
            Comment.author_id == actor.id,
            Comment.post_id == post.id,
            Comment.created_at > now - REPEAT_WINDOW,
            Comment.body_source == body,
        )
        .limit(1)
    )
    if repeat is not None:
        raise Invalid.field("body", "You already posted this comment here.")


def _initial_status(session: DbSession, actor: User, post: Post, policy: str) -> CommentStatus:
    """Approved at once, or held for a moderator, as the site's policy says.
    A moderator's own comments are never held: she would approve them herself."""
    if policy == CommentPolicy.OPEN or permissions.can_moderate(actor, post):
        return CommentStatus.APPROVED
    if policy == CommentPolicy.HOLD_FIRST:
        approved = session.scalar(
            select(Comment.id)
            .where(Comment.author_id == actor.id, Comment.status == CommentStatus.APPROVED.value)
            .limit(1)
        )
        if approved is not None:
            return CommentStatus.APPROVED
    return CommentStatus.PENDING


def _adjust_counts(session: DbSession, changes: Counter[int]) -> None:
    """Add each change to its post's comment count. Relative updates, so that two
    transactions changing one post's count at once both count."""
    for post_id, change in changes.items():
        if change:
            session.execute(
                update(Post)
                .where(Post.id == post_id)
                .values(comment_count=Post.comment_count + change)
                .execution_options(synchronize_session="fetch")
            )


def open_post(
    session: DbSession, actor: User | None, post_id: int, now: datetime, policy: str
) -> Post:
    """The post ``actor`` is about to comment on. Raises NotFound or Forbidden."""
    post = session.get(Post, post_id) if 0 < post_id <= ID_MAX else None
    if post is None or not post_permissions.can_view(actor, post, now):
        raise NotFound("No such post.")
    if actor is None:
        raise Forbidden("Log in to comment.")
    if not permissions.can_comment(actor, post, policy, now):
        raise Forbidden("Comments are closed on this post.")
    # The site's setting is read only for an account not yet confirmed: most never pay it.
    if not actor.email_confirmed and account_permissions.must_confirm(
        actor, site.load(session).email_confirmation
    ):
        raise Forbidden(CONFIRM_FIRST)
    return post


def _placement(
    session: DbSession, actor: User, post: Post, parent_id: int | None, policy: str,
    now: datetime,
) -> tuple[int | None, int]:  # fmt: skip
    """The parent and depth of a new comment. A reply to a reply at MAX_DEPTH joins
    that reply's own parent, so threads never nest deeper. Raises Invalid."""
    if parent_id is None:
        return None, 0
    parent = session.get(Comment, parent_id) if 0 < parent_id <= ID_MAX else None
    if (
        parent is None
        or parent.post_id != post.id
        or not permissions.can_reply(actor, parent, post, policy, now)
    ):
        raise Invalid.field("parent_id", "The comment you are replying to is not there any more.")
    if parent.depth >= MAX_DEPTH:
        return parent.parent_id, parent.depth
    return parent.id, parent.depth + 1


def post_comment(
    session: DbSession, actor: User | None, post_id: int, data: CommentInput, now: datetime,
    policy: str, rules: SpamRules, notify: Callable[[int], None] | None = None,
) -> Comment:  # fmt: skip
    """Post a comment or a reply, approved or held as the policy says. After the
    commit, ``notify`` gets the comment's id when the post's author is to be told.

    Returns the comment with its post and writer. Raises NotFound (no such post
    for ``actor``), Forbidden (not logged in, comments closed) or Invalid (bad
    body or parent, a spam rule).
    """
    post = open_post(session, actor, post_id, now, policy)
    assert actor is not None  # open_post refused anonymous
    _check_form(data, rules, now, actor, post)
    body, html = _clean_body(data.body, rules)
    parent_id, depth = _placement(session, actor, post, data.parent_id, policy, now)
    _check_repeat(session, actor, post, body, now)
    comment = Comment(
        post=post,
        author=actor,
        parent_id=parent_id,
        depth=depth,
        body_source=body,
        body_html=html,
        status=_initial_status(session, actor, post, policy).value,
        created_at=now,
    )
    try:
        # The post's row first, then the comment: a delete of the post at the same
        # moment waits for this one (or this for it) instead of the two deadlocking on
        # the row, each holding the lock the other's next step needs.
        with session.no_autoflush:
            _adjust_counts(session, Counter({post.id: int(comment.counted)}))
        session.add(comment)
        session.flush()
        recipient = notices.who_to_notify(session, comment, post) if notify else None
        session.commit()
    except IntegrityError as exc:  # the post, or the comment replied to, went meanwhile
        session.rollback()
        if session.scalar(select(Post.id).where(Post.id == post_id)) is None:
            raise NotFound("No such post.") from exc
        raise Invalid.field(
            "parent_id", "The comment you are replying to is not there any more."
        ) from exc
    if notify is not None and recipient is not None:
        notify(comment.id)
    return comment


def _visible(
    session: DbSession, actor: User | None, comment_id: int, now: datetime, *, lock: bool = False
) -> Comment:
    """A comment, with its post and writer, that ``actor`` may see; locked until the
    commit when about to change. Raises NotFound."""
    if not 0 < comment_id <= ID_MAX:
        raise NotFound("No such comment.")
    stmt = (
        select(Comment)
        .where(Comment.id == comment_id)
        .options(joinedload(Comment.post), joinedload(Comment.author))
    )
    comment = session.scalar(stmt.with_for_update(of=Comment) if lock else stmt)
    if (
        comment is None
        or comment.deleted
        or not post_permissions.can_view(actor, comment.post, now)
        or not permissions.can_see(actor, comment, comment.post)
    ):
        raise NotFound("No such comment.")
    return comment


def get_for_reply(
    session: DbSession, actor: User | None, comment_id: int, now: datetime, policy: str
) -> Comment:
    """A comment ``actor`` may reply to, with its post and author. Raises NotFound or Forbidden."""
    comment = _visible(session, actor, comment_id, now)
    open_post(session, actor, comment.post_id, now, policy)
    if not permissions.can_reply(actor, comment, comment.post, policy, now):
        raise Forbidden("You may not reply to this comment.")
    return comment


def get_for_edit(
    session: DbSession, actor: User | None, comment_id: int, now: datetime, *, lock: bool = False
) -> Comment:
    """A comment ``actor`` may edit, with its post. Raises NotFound or Forbidden."""
    comment = _visible(session, actor, comment_id, now, lock=lock)
    if actor is None or comment.author_id != actor.id:
        raise Forbidden("You may edit only your own comments.")
    if not permissions.can_edit(actor, comment, now):
        minutes = int(permissions.EDIT_WINDOW.total_seconds() // 60)
        raise Forbidden(f"A comment can be edited for {minutes} minutes after posting.")
    return comment


def edit_comment(
    session: DbSession, actor: User | None, comment_id: int, body: str, now: datetime,
    rules: SpamRules,
) -> Comment:  # fmt: skip
    """Change a comment's text within the edit window. Raises NotFound, Forbidden or Invalid."""
    comment = get_for_edit(session, actor, comment_id, now, lock=True)
    comment.body_source, comment.body_html = _clean_body(body, rules)
    comment.edited_at = now
    session.commit()
    return comment


def _has_replies(session: DbSession, comment_id: int) -> bool:
    reply = session.scalar(select(Comment.id).where(Comment.parent_id == comment_id).limit(1))
    return reply is not None


def _remove(session: DbSession, comment: Comment) -> None:
    """Delete a comment: a comment with replies keeps its place, without its text, to
    hold the thread; one without goes, and so do deleted parents it leaves childless."""
    if _has_replies(session, comment.id):
        comment.deleted, comment.body_source, comment.body_html = True, "", ""
        return
    parent_id = comment.parent_id
    session.delete(comment)
    session.flush()
    while parent_id is not None:
        parent = session.get(Comment, parent_id)
        if parent is None or not parent.deleted or _has_replies(session, parent.id):
            return
        parent_id = parent.parent_id
        session.delete(parent)
        session.flush()


_AUDITED = {
    Action.APPROVE: Audited.COMMENT_APPROVED,
    Action.SPAM: Audited.COMMENT_SPAM,
    Action.DELETE: Audited.COMMENT_DELETED,
}


def _target(comment: Comment) -> Target:
    """A comment as the audit log names it: its writer and its post."""
    writer = comment.author.username if comment.author else "a deleted account"
    return Target("comment", comment.id, f"by {writer} on “{comment.post.title}”")


def delete_comment(
    session: DbSession, actor: User | None, comment_id: int, now: datetime,
    post_id: int | None = None,
) -> Post:  # fmt: skip
    """Delete a comment; its writer may, and its moderators. Returns its post.
    With ``post_id``, a comment on another post is not found. Raises NotFound or Forbidden."""
    comment = _visible(session, actor, comment_id, now, lock=True)
    if post_id is not None and comment.post_id != post_id:
        raise NotFound("No such comment.")
    if not permissions.can_delete(actor, comment, comment.post):
        raise Forbidden("You may not delete this comment.")
    post, was_counted = comment.post, comment.counted
    if actor is not None and comment.author_id != actor.id:  # a moderator's, not its writer's
        audit.record(session, actor, Audited.COMMENT_DELETED, _target(comment), now=now)
    _remove(session, comment)
    _adjust_counts(session, Counter({post.id: -int(was_counted)}))
    session.commit()
    return post


def moderate(session: DbSession, actor: User | None, ids: Iterable[int], action: str) -> int:
    """Approve, mark as spam or delete comments, all or none. Returns how many changed
    (comments deleted meanwhile are skipped). Raises Forbidden, NotFound or Invalid."""
    if not permissions.can_open_queue(actor):
        raise Forbidden("Only authors, editors and admins moderate comments.")
    if action not in {a.value for a in Action}:
        raise Invalid.field("action", "Choose approve, spam or delete.")
    wanted = list(dict.fromkeys(i for i in ids if 0 < i <= ID_MAX))
    if not wanted:
        raise Invalid.field("ids", "Choose at least one comment.")
    if len(wanted) > BULK_MAX:
        raise Invalid.field("ids", f"Choose at most {BULK_MAX} comments at a time.")
    comments = session.scalars(
        select(Comment)
        .where(Comment.id.in_(wanted), Comment.deleted.is_(False))
        .options(joinedload(Comment.post), joinedload(Comment.author))
        .order_by(Comment.id)
        .with_for_update(of=Comment)
    ).all()
    if not comments:
        raise NotFound("Those comments are not there any more.")
    if not all(permissions.can_moderate(actor, c.post) for c in comments):
        raise Forbidden("You may moderate only the comments on your own posts.")
    changes: Counter[int] = Counter()
    for comment in comments:
        audit.record(session, actor, _AUDITED[Action(action)], _target(comment))
        before = comment.counted
        if action == Action.DELETE:
            _remove(session, comment)
            after = False
        else:
            approve = action == Action.APPROVE
            comment.status = (CommentStatus.APPROVED if approve else CommentStatus.SPAM).value
            after = comment.counted
        changes[comment.post_id] += int(after) - int(before)
    _adjust_counts(session, changes)
    session.commit()
    return len(comments)
