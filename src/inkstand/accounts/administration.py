"""What admins do to accounts: list and search them, suspend and lift a suspension,
and invite a person by e-mail with a role. Every function checks its actor here, so
every door (the admin pages, any API) gets the same answer."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from inkstand import audit, text
from inkstand.accounts import notices, permissions, twofactor
from inkstand.accounts.models import Invitation, Role, User
from inkstand.accounts.passwords import InviteLinks, LinkProblem, Passwords
from inkstand.accounts.services import (
    _password_errors,
    _take_name,
    _taken,
    _username_errors,
    normalise_email,
    require_admin,
)
from inkstand.audit import Action, Target
from inkstand.db import ID_MAX, DbSession
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.mail import Mailer
from inkstand.pagination import Cursor, Page, keyset_page

SEARCH_MAX = 100
USERS_PER_PAGE = 50


def _like(term: str) -> str:
    """A LIKE pattern that finds ``term`` anywhere, its own % and _ taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_users(
    session: DbSession,
    actor: User | None,
    search: str = "",
    *,
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int = USERS_PER_PAGE,
) -> Page[User]:
    """One page of accounts, newest first, whose username or address holds ``search``
    (any case); by keyset on (created_at, id), in one query. Raises Forbidden."""
    require_admin(actor)
    stmt = select(User)
    term = text.clean(search).strip().lower()[:SEARCH_MAX]
    if term:
        pattern = _like(term)
        stmt = stmt.where(
            or_(
                func.lower(User.username).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    return keyset_page(
        session, stmt, User.created_at, User.id, lambda u: Cursor(u.created_at, u.id), size,
        before=before, after=after,
    )  # fmt: skip


def get_account(session: DbSession, actor: User | None, user_id: int) -> User:
    """One account, for an admin. Raises Forbidden or NotFound."""
    require_admin(actor)
    user = session.get(User, user_id) if 0 < user_id <= ID_MAX else None
    if user is None:
        raise NotFound("No such account.")
    return user


def _other_account(session: DbSession, actor: User | None, user_id: int, doing: str) -> User:
    """The account an admin acts on: not herself, and not the last admin."""
    user = get_account(session, actor, user_id)
    assert actor is not None  # an admin, as get_account checked
    if user.id == actor.id:
        raise Forbidden(f"You cannot {doing} your own account.")
    if user.role == Role.ADMIN and _admins(session) <= 1:
        raise Forbidden(f"You cannot {doing} the last admin.")
    return user


def _admins(session: DbSession) -> int:
    """How many admins can act: those not suspended."""
    count = session.scalar(
        select(func.count(User.id)).where(
            User.role == Role.ADMIN.value, User.suspended_at.is_(None)
        )
    )
    return int(count or 0)


def suspend(session: DbSession, actor: User | None, user_id: int, now: datetime) -> User:
    """Suspend an account: it cannot log in through any door, and its sessions, API
    tokens and RealWorld tokens open nothing from the next request on; its posts and
    comments stay. Suspending a suspended account changes nothing. Raises Forbidden
    (not an admin, herself, the last admin) or NotFound."""
    user = _other_account(session, actor, user_id, "suspend")
    if user.suspended_at is None:
        user.suspended_at = now
        audit.record(session, actor, Action.SUSPENDED, Target.account(user), now=now)
        session.commit()
    return user


def reset_two_factor(
    session: DbSession, actor: User | None, user_id: int, mailer: Mailer, *, site_title: str
) -> User:
    """Turn off another account's two-factor log-in, for someone who lost her phone and
    her recovery codes: she logs in with her password and may enrol again (must, where
    the site requires it of her role). She is mailed that it happened. Raises Forbidden
    (not an admin, or her own: she turns hers off on her settings page), Invalid (it is
    not on) or NotFound."""
    user = get_account(session, actor, user_id)
    assert actor is not None  # an admin, as get_account checked
    if user.id == actor.id:
        raise Forbidden("Turn your own two-factor log-in off on your settings page.")
    if not user.two_factor:
        raise Invalid.field("user", f"{user.username} does not use two-factor log-in.")
    audit.record(session, actor, Action.TWO_FACTOR_RESET, Target.account(user))
    twofactor.remove(session, user)
    notices.two_factor_reset(mailer, user, actor.username, site_title=site_title)
    return user


def unsuspend(session: DbSession, actor: User | None, user_id: int) -> User:
    """Lift a suspension: the account logs in again (its old sessions and tokens work
    again too, unless revoked meanwhile). Raises Forbidden or NotFound."""
    user = get_account(session, actor, user_id)
    if user.suspended_at is not None:
        user.suspended_at = None
        audit.record(session, actor, Action.UNSUSPENDED, Target.account(user))
        session.commit()
    return user


@dataclass(frozen=True)
class InviteMail:
    """What an invitation mails with: the mailer, the site's name, and how the door
    turns a token into a full link."""

    mailer: Mailer
    site_title: str
    link_for: Callable[[str], str]


def invite(
    session: DbSession,
    actor: User | None,
    links: InviteLinks,
    email: str,
    role: str,
    mail: InviteMail,
) -> Invitation:
    """Mail ``email`` a link that lets its owner make an account with ``role``. Raises
    Forbidden (not an admin) or Invalid (not an address, an unknown role, an address
    an account holds already)."""
    admin = require_admin(actor)
    errors: dict[str, list[str]] = {}
    try:
        email = normalise_email(email)
    except Invalid as exc:
        errors.update(exc.errors)
    if role not in {r.value for r in Role}:
        errors["role"] = ["Choose a role from the list."]
    if not errors and session.scalar(select(User.id).where(User.email == email)) is not None:
        errors["email"] = ["An account uses that address already."]
    if errors:
        raise Invalid(errors)
    invitation = Invitation(
        email=email, role=role, invited_by_id=admin.id, nonce=secrets.token_urlsafe(16)
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session, admin, Action.INVITED, Target("invitation", invitation.id, email), {"role": role}
    )
    session.commit()
    notices.invited(
        mail.mailer, email, role, admin.name, mail.link_for(links.issue(invitation)),
        links.max_age, site_title=mail.site_title,
    )  # fmt: skip
    return invitation


INVITATIONS_SHOWN = 100


@dataclass(frozen=True)
class PendingInvitation:
    """An invitation not yet accepted, as the users page lists it."""

    id: int
    email: str
    role: str
    invited_by: str | None  # the inviting admin's username; None once her account is gone
    created_at: datetime
    expires_at: datetime
    expired: bool


def list_invitations(
    session: DbSession, actor: User | None, links: InviteLinks, now: datetime
) -> list[PendingInvitation]:
    """The newest INVITATIONS_SHOWN invitations not accepted or withdrawn, with who sent
    each and when its link stops working; in one query. Raises Forbidden."""
    require_admin(actor)
    rows = session.execute(
        select(Invitation, User.username)
        .outerjoin(User, User.id == Invitation.invited_by_id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(INVITATIONS_SHOWN)
    ).all()
    found = []
    for invitation, inviter in rows:
        expires = invitation.created_at + timedelta(seconds=links.max_age)
        found.append(
            PendingInvitation(
                invitation.id,
                invitation.email,
                invitation.role,
                inviter,
                invitation.created_at,
                expires,
                expires <= now,
            )
        )
    return found


def revoke_invitation(session: DbSession, actor: User | None, invitation_id: int) -> Invitation:
    """Withdraw an invitation: its link stops working at once (the page says it was
    used or withdrawn). Raises Forbidden or NotFound (accepted or withdrawn already)."""
    require_admin(actor)
    invitation = session.get(Invitation, invitation_id) if 0 < invitation_id <= ID_MAX else None
    if invitation is None:
        raise NotFound("That invitation was accepted or withdrawn already.")
    target = Target("invitation", invitation.id, invitation.email)
    audit.record(session, actor, Action.INVITATION_WITHDRAWN, target, {"role": invitation.role})
    session.delete(invitation)
    session.commit()
    return invitation


_INVITE_PROBLEMS = {
    LinkProblem.EXPIRED: "This invitation has expired. Ask the site's admin for a new one.",
    LinkProblem.USED: "This invitation was used already, or withdrawn.",
    LinkProblem.BROKEN: "This invitation link is not valid: it may have been cut short "
    "when copied.",
}


def pending_invitation(session: DbSession, links: InviteLinks, token: str) -> Invitation:
    """The invitation a link names. Raises Invalid (on "token", saying why: expired,
    used, or not valid)."""
    found = links.read(token)
    if isinstance(found, LinkProblem):
        raise Invalid.field("token", _INVITE_PROBLEMS[found])
    invitation_id, nonce = found
    invitation = session.get(Invitation, invitation_id) if 0 < invitation_id <= ID_MAX else None
    if invitation is None or not links.matches(invitation, nonce):
        raise Invalid.field("token", _INVITE_PROBLEMS[LinkProblem.USED])
    return invitation


def accept_invitation(
    session: DbSession,
    passwords: Passwords,
    links: InviteLinks,
    token: str,
    username: str,
    password: str,
) -> User:
    """Make the invited account, with the username and password its owner chose and
    the role and address of the invitation; every invitation to that address goes, so
    the link works once. Raises Invalid (a bad link on "token"; a taken or malformed
    username, a weak password)."""
    invitation = pending_invitation(session, links, token)
    username = username.strip()
    errors: dict[str, list[str]] = {}
    if problems := _username_errors(username):
        errors["username"] = problems
    else:
        errors.update(_taken(session, username, invitation.email))
    if "email" in errors:  # the address was registered since: the invitation is spent
        raise Invalid.field("token", "An account uses this address already: log in instead.")
    if problems := _password_errors(password, username, invitation.email):
        errors["password"] = problems
    if errors:
        raise Invalid(errors)
    user = User(
        username=username, email=invitation.email, password_hash=passwords.hash(password),
        role=invitation.role,
    )  # fmt: skip
    session.add(user)
    _take_name(session, username)
    session.execute(delete(Invitation).where(Invitation.email == invitation.email))
    try:
        session.commit()
    except IntegrityError as exc:  # a twin acceptance or registration won the race
        session.rollback()
        raise Invalid.field("username", "That username or e-mail is already registered.") from exc
    return user


def can_act_on(actor: User | None, user: User) -> bool:
    """Whether the admin pages offer suspend and delete for ``user`` (never herself)."""
    return permissions.can_administer(actor) and actor is not None and actor.id != user.id
