"""Handing a leaving account's posts to another writer (an admin's choice when she
deletes the account): the posts, their covers and the images they use."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.db import DbSession
from inkstand.media import services as media
from inkstand.media.models import Media


def hand_over(session: DbSession, leaving: User, heir: User) -> None:
    """Make ``heir`` the author of every post of ``leaving``, with its images (see
    ``media.services.hand_over``). Writes nothing until the caller commits: it is the
    ``HandOver`` that ``accounts.closing.delete_account`` runs before the deletion."""
    theirs = aliased(Media)
    twins = session.execute(
        select(Media.id, theirs.id)
        .join(theirs, theirs.digest == Media.digest)
        .where(Media.owner_id == leaving.id, theirs.owner_id == heir.id)
    ).all()
    for old, new in twins:  # a cover the heir holds too keeps pointing at a live row
        session.execute(update(Post).where(Post.cover_id == old).values(cover_id=new))
    session.execute(update(Post).where(Post.author_id == leaving.id).values(author_id=heir.id))
    media.hand_over(session, leaving, heir)
