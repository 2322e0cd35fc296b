"""Closing an account: by its holder (her posts go with it) or by an admin (who may
hand its posts to another author). Nothing of the account stays: its tokens, marks,
follows and old names go by the database's cascades, its comments stay by "a deleted
account" (their writer set to NULL), and features above accounts tidy what they keep
of it by their own listeners (blog: the counts of the posts it favourited;
analytics: the recorded views of its author pages)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select

from inkstand import audit
from inkstand.accounts import identity
from inkstand.accounts.administration import _other_account
from inkstand.accounts.models import Role, User
from inkstand.accounts.passwords import Passwords
from inkstand.audit import Action, Target
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Forbidden, Invalid

#: Gives every post (and image) of the first account to the second; never commits.
HandOver = Callable[[DbSession, User, User], None]


def delete_own_account(
    session: DbSession, passwords: Passwords, user: User, proof: identity.Proof, now: datetime
) -> None:
    """Delete ``user``'s account, with her posts, once she has confirmed it is her.
    Raises Invalid (the proof fails) or Forbidden (the site's last admin)."""
    identity.confirm(session, passwords, user, proof, now)
    if user.role == Role.ADMIN:
        admins = session.scalar(
            select(func.count(User.id)).where(
                User.role == Role.ADMIN.value, User.suspended_at.is_(None)
            )
        )
        if (admins or 0) <= 1:
            raise Forbidden("The site needs an admin: make another account admin first.")
    session.delete(user)
    session.commit()


def delete_account(
    session: DbSession,
    actor: User | None,
    user_id: int,
    *,
    heir_id: int | None = None,
    hand_over: HandOver | None = None,
) -> str:
    """An admin deletes another account; its posts go with it, or to ``heir_id`` (an
    author, editor or admin in good standing) through ``hand_over``. Returns the
    deleted account's username. Raises Forbidden (not an admin, herself, the last
    admin), NotFound, or Invalid (on "heir": no such author)."""
    user = _other_account(session, actor, user_id, "delete")
    heir_name = None
    if heir_id is not None:
        heir = session.get(User, heir_id) if 0 < heir_id <= ID_MAX else None
        if (
            heir is None
            or heir.id == user.id
            or not heir.has_role(Role.AUTHOR)
            or (not heir.is_active)
        ):
            raise Invalid.field("heir", "Choose an author, editor or admin to take the posts.")
        if hand_over is None:
            raise TypeError("a hand-over needs the function that hands posts over")
        hand_over(session, user, heir)
        heir_name = heir.username
    name = user.username
    audit.record(
        session, actor, Action.ACCOUNT_DELETED, Target.account(user),
        {"role": user.role, "posts_to": heir_name},
    )  # fmt: skip
    session.delete(user)
    session.commit()
    return name


def heirs(session: DbSession, leaving: User) -> list[User]:
    """Who may take a leaving account's posts: every other author, editor or admin in
    good standing, by username."""
    writers = [r.value for r in Role if r.rank >= Role.AUTHOR.rank]
    stmt = (
        select(User)
        .where(User.role.in_(writers), User.id != leaving.id, User.suspended_at.is_(None))
        .order_by(func.lower(User.username))
    )
    return list(session.scalars(stmt))
