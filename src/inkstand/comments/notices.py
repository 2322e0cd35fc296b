"""Telling a post's author by e-mail of a new comment on her post: who is told,
and the mail. ``post_comment`` decides whether to queue the mail; the job
decides again when it runs, as the comment or the author's wish may have changed."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from inkstand import markup, text
from inkstand.accounts.models import DELETED_ACCOUNT, User
from inkstand.blog.models import Post
from inkstand.comments import permissions
from inkstand.comments.models import Comment, CommentStatus
from inkstand.db import ID_MAX, DbSession
from inkstand.mail import Mailer

log = logging.getLogger(__name__)

EXCERPT_CHARS = 300
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Links:
    """Full URLs for the mail, built by the door that sends it."""

    comment: Callable[[Post, Comment], str]  # the comment, on its post's page
    queue: str  # the moderation queue
    settings: str  # where she turns these mails off


def who_to_notify(session: DbSession, comment: Comment, post: Post) -> User | None:
    """The post's author, to be told of ``comment``; None when she wrote it herself
    or turned these mails off."""
    if comment.author_id == post.author_id:
        return None
    author = session.get(User, post.author_id)
    if author is None or not author.notify_comments:
        return None
    return author


def _one_line(value: str) -> str:
    """``value`` on one line, for a mail header or a quote."""
    return _SPACE.sub(" ", text.CONTROL.sub("", value)).strip()


def _mail(recipient: User, comment: Comment, post: Post, links: Links) -> tuple[str, str]:
    """The subject and plain-text body telling ``recipient`` of ``comment``."""
    writer = comment.author.name if comment.author else DELETED_ACCOUNT.capitalize()
    title, writer = _one_line(post.title), _one_line(writer)
    quote = markup.shorten(_one_line(comment.body_source), EXCERPT_CHARS)
    held = comment.status != CommentStatus.APPROVED
    if not held:
        subject = f"{writer} commented on “{title}”"
        lead = f"{writer} commented on your post “{title}”:"
        action = f"Read it and reply:\n{links.comment(post, comment)}"
    elif permissions.can_moderate(recipient, post):
        subject = f"A comment on “{title}” awaits your approval"
        lead = (
            f"{writer} wrote a comment on your post “{title}”. Nobody else sees it "
            "until it is approved:"
        )
        action = f"Approve it or mark it as spam in the moderation queue:\n{links.queue}"
    else:  # she may not see a held comment, so its text is not quoted to her either
        subject = f"A comment on “{title}” awaits approval"
        lead = f"{writer} wrote a comment on your post “{title}”."
        quote = "(It will show once an editor approves it.)"
        action = "An editor will approve it or mark it as spam."
    body = (
        f"Hello {_one_line(recipient.name)},\n\n{lead}\n\n    {quote}\n\n{action}\n\n"
        "--\nYou get this mail because you wrote the post. To stop mails about "
        "comments, untick “E-mail me when someone comments on my posts” in your "
        f"settings:\n{links.settings}\n"
    )
    return subject, body


def mail_post_author(session: DbSession, mailer: Mailer, comment_id: int, links: Links) -> bool:
    """Mail the post's author about a new comment, if it is still there to read
    (not deleted, not marked as spam) and she still wants such mails.
    Returns whether a mail went; raises OSError when the mail server fails."""
    comment = (
        session.scalar(
            select(Comment)
            .where(Comment.id == comment_id)
            .options(joinedload(Comment.author), joinedload(Comment.post).joinedload(Post.author))
        )
        if 0 < comment_id <= ID_MAX
        else None
    )
    if comment is None or comment.deleted or comment.status == CommentStatus.SPAM:
        log.info("comment %s is gone or hidden: nobody told", comment_id)
        return False
    recipient = who_to_notify(session, comment, comment.post)
    if recipient is None:
        return False
    subject, body = _mail(recipient, comment, comment.post, links)
    mailer.send(recipient.email, subject, body)
    return True
