"""Background jobs about comments, and the notifier the comment doors hand to
``services.post_comment``. Jobs take ids only and read the rows afresh."""

from __future__ import annotations

from inkstand import runtime
from inkstand.blog.models import Post
from inkstand.comments import notices
from inkstand.comments.models import Comment
from inkstand.extensions import db
from inkstand.templating import absolute_url


def notify_post_author(comment_id: int) -> None:
    """Queue the mail telling the post's author of a new comment (after its commit)."""
    runtime.get().jobs.enqueue(f"{__name__}.{mail_post_author.__name__}", comment_id)


def _comment_url(post: Post, comment: Comment) -> str:
    return absolute_url("blog.show", slug=post.slug, _anchor=f"comment-{comment.id}")


def mail_post_author(comment_id: int) -> None:
    """Job: mail the post's author about the comment ``comment_id``, if still wanted."""
    links = notices.Links(
        comment=_comment_url,
        queue=absolute_url("comments.queue"),
        settings=absolute_url("accounts.settings"),
    )
    notices.mail_post_author(db.session, runtime.get().mailer, comment_id, links)
