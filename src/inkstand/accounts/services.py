"""Accounts: registration, log-in, password reset, profiles and roles."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, exists, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from inkstand import audit, marks, text
from inkstand.accounts import notices, permissions, sessions, zones
from inkstand.accounts.models import (
    EmailConfirmation,
    Follow,
    Role,
    User,
    UsernameRedirect,
)
from inkstand.accounts.passwords import AddressLinks, LinkProblem, Passwords, ResetLinks
from inkstand.audit import Action, Target
from inkstand.db import DbSession, utcnow
from inkstand.exceptions import Forbidden, Invalid, Moved, NotFound
from inkstand.mail import Mailer

log = logging.getLogger(__name__)

USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,30}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 256
DISPLAY_NAME_MAX = 80
BIO_MAX = 2000
USERNAME_OR_EMAIL_MAX = 254


def _username_errors(username: str) -> list[str]:
    if not USERNAME.match(username):
        return ["Use 3 to 30 letters, digits, hyphens or underscores."]
    return []


def _password_errors(password: str, username: str, email: str) -> list[str]:
    if len(password) < PASSWORD_MIN:
        return [f"Use at least {PASSWORD_MIN} characters."]
    if len(password) > PASSWORD_MAX:
        return [f"Use at most {PASSWORD_MAX} characters."]
    lowered = password.strip().lower()
    if lowered in {username.lower(), email.lower(), email.split("@")[0].lower()}:
        return ["Choose a password that is not your username or e-mail address."]
    return []


def normalise_email(raw: str) -> str:
    """The canonical form of an address; raises Invalid when it is not one."""
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid.field("email", "Enter a valid e-mail address.") from exc
    return result.normalized.lower()


def register(
    session: DbSession,
    passwords: Passwords,
    username: str,
    email: str,
    password: str,
    *,
    registration_open: bool,
    new_account_role: str,
    confirmed: bool = False,
) -> User:
    """Create an account. The very first one is the admin, its address taken as
    confirmed, as is the address of an account made with ``confirmed`` (by the
    operator). Raises Invalid (a taken address among the rest) or Forbidden."""
    first, username, email = _check_new_account(
        session, username, email, password, registration_open=registration_open, tell_taken=True
    )
    return _create(session, passwords, username, email, password,
                   role=Role.ADMIN.value if first else new_account_role,
                   confirmed=first or confirmed)  # fmt: skip


def register_at_once(
    session: DbSession, passwords: Passwords, username: str, email: str, password: str, *,
    registration_open: bool, new_account_role: str, email_confirmation: str, register_page: str,
) -> User:  # fmt: skip
    """Register for a door that answers with the account at once (the RealWorld API,
    whose answer carries a token). Where the site confirms addresses, such an answer
    would tell whether an address has an account, so only the very first account may
    register this way; anyone else is sent to ``register_page``. Raises Forbidden or
    Invalid."""
    if email_confirmation == EmailConfirmation.REQUIRED and session.scalar(
        select(User.id).limit(1)
    ):
        raise Forbidden(
            f"This site confirms e-mail addresses: register at {register_page}, open the "
            "link mailed to you, then log in here."
        )
    return register(
        session, passwords, username, email, password,
        registration_open=registration_open, new_account_role=new_account_role,
    )  # fmt: skip


def _check_new_account(
    session: DbSession, username: str, email: str, password: str, *, registration_open: bool,
    tell_taken: bool = False,
) -> tuple[bool, str, str]:  # fmt: skip
    """Whether this is the first account, and the name and address cleaned. Raises
    Forbidden (registration closed) or Invalid (every field's problems; whether the
    address has an account only when ``tell_taken``)."""
    first = session.scalar(select(func.count(User.id))) == 0
    if not first and not registration_open:
        raise Forbidden("Registration is closed on this site.")
    username = username.strip()
    errors: dict[str, list[str]] = {}
    if problems := _username_errors(username):
        errors["username"] = problems
    try:
        email = normalise_email(email)
    except Invalid as exc:
        errors.update(exc.errors)
    if not errors:
        errors.update(_taken(session, username, email if tell_taken else ""))
    if problems := _password_errors(password, username, email):
        errors["password"] = problems
    if errors:
        raise Invalid(errors)
    return first, username, email


def _create(
    session: DbSession, passwords: Passwords, username: str, email: str, password: str, *,
    role: str, confirmed: bool, audited: Action | None = None,
) -> User:  # fmt: skip
    """Make the account; ``audited``, it is recorded in the audit log as made so."""
    user = User(
        username=username, email=email, password_hash=passwords.hash(password), role=role,
        email_confirmed_at=utcnow() if confirmed else None,
    )  # fmt: skip
    _take_name(session, username)  # before the account is added: a twin's name fails at commit
    session.add(user)
    try:
        if audited is not None:
            session.flush()  # its id, for the entry
            audit.record(session, None, audited, Target.account(user))
        session.commit()
    except IntegrityError as exc:  # a twin registration won the race
        session.rollback()
        raise Invalid.field("username", "That username or e-mail is already registered.") from exc
    return user


def sign_up(
    session: DbSession,
    passwords: Passwords,
    links: AddressLinks,
    username: str,
    email: str,
    password: str,
    *,
    registration_open: bool,
    new_account_role: str,
    mail: AddressMail,
) -> User | None:
    """Register where addresses are confirmed, telling no one whether an address has
    an account: a new address gets an account and a link to confirm it; an address
    that has one gets no account, and its owner a mail saying someone tried. The
    caller says the same either way (it gets the account, or None). The very first
    account is made confirmed and needs no link. Raises Invalid (a bad or taken
    username, a bad address or password, as for anyone) or Forbidden."""
    first, username, email = _check_new_account(
        session, username, email, password, registration_open=registration_open
    )
    if session.scalar(select(User.id).where(User.email == email)):
        passwords.hash(password)  # as long as making an account takes
        notices.registration_attempt(
            mail.mailer, email, mail.login_url, mail.reset_url, site_title=mail.site_title
        )
        return None
    role = Role.ADMIN.value if first else new_account_role
    user = _create(session, passwords, username, email, password, role=role, confirmed=first)
    if not first:
        send_confirmation(session, links, user, mail)
    return user


def send_confirmation(
    session: DbSession, links: AddressLinks, user: User, mail: AddressMail
) -> None:
    """Mail ``user`` a new link that confirms her address; older links stop working.
    Raises Invalid when the address is confirmed already."""
    if user.email_confirmed:
        raise Invalid.field("email", "Your address is confirmed already.")
    user.email_confirm_nonce = secrets.token_urlsafe(16)
    session.commit()
    token = links.issue(user, user.email, user.email_confirm_nonce)
    notices.confirm_registration(
        mail.mailer, user, mail.link_for(token), links.max_age, site_title=mail.site_title
    )


def pending_confirmation(session: DbSession, links: AddressLinks, token: str) -> User:
    """The account a registration's confirmation link names. Raises Invalid (on
    "token", saying why: expired, used or replaced, or not valid)."""
    user, email = _linked(session, links, token)
    if email != user.email:  # the account took another address since
        raise Invalid.field("token", _LINK_PROBLEMS[LinkProblem.USED])
    return user


def confirm_address(session: DbSession, links: AddressLinks, token: str, now: datetime) -> User:
    """Mark the address a link names as confirmed, once. Raises Invalid (a bad link)."""
    user = pending_confirmation(session, links, token)
    user.email_confirmed_at, user.email_confirm_nonce = now, None
    session.commit()
    return user


def _take_name(session: DbSession, username: str) -> None:
    """An account takes ``username``: an old name's redirect, if any, gives way."""
    session.execute(delete(UsernameRedirect).where(UsernameRedirect.username == username.lower()))


def _rename(session: DbSession, user: User, username: str) -> None:
    """Give ``user`` a new name; her old author page redirects to her from now on."""
    if username.lower() != user.username.lower():
        _take_name(session, username)
        session.add(UsernameRedirect(username=user.username.lower(), user_id=user.id))
    user.username = username


def _taken(session: DbSession, username: str, email: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        errors["username"] = ["That username is taken."]
    if email and session.scalar(select(User.id).where(User.email == email)):
        errors["email"] = ["That e-mail address is already registered."]
    return errors


def normalise_login(name: object) -> str:
    """A log-in name as it is matched, whether a username or an e-mail address: the
    one normalisation of log-in and of its rate limits."""
    return name.strip().lower() if isinstance(name, str) else ""


def _named(login: str) -> ColumnElement[bool]:
    return or_(func.lower(User.username) == login, User.email == login)


def account_key(user_id: int) -> str:
    return f"account {user_id}"


def login_key(session: DbSession, name: object) -> str:
    """Whom a log-in attempt is counted against: the account it names, however it is
    named (username or e-mail, any case or spacing), or, when none has that name, the
    name itself."""
    login = normalise_login(name)
    # No account's name holds control characters or lone surrogates (nor would the
    # database take them), so no query for such a name.
    plausible = 0 < len(login) <= USERNAME_OR_EMAIL_MAX and login.isprintable()
    found = session.scalar(select(User.id).where(_named(login))) if plausible else None
    if found is not None:
        return account_key(found)
    # A hash: no typed name, which may be a mistyped password, is kept in the limits' store.
    return "name " + hashlib.sha256(login.encode("utf-8", "surrogatepass")).hexdigest()


def authenticate(
    session: DbSession, passwords: Passwords, login: str, password: str
) -> User | None:
    """The account matching a username or e-mail and password, or None.

    Takes as long whether or not the account exists, and rehashes the password
    when the hashing parameters have changed since it was set. Raises Forbidden for
    a suspended account.
    """
    login = normalise_login(login)
    user = session.scalar(select(User).where(_named(login)))
    if not passwords.verify(user.password_hash if user else None, password) or user is None:
        return None
    if not user.is_active:  # told only to whoever knows the password
        raise Forbidden("This account is suspended. Write to the site's admin.")
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash(password)
        session.commit()
    return user


def request_password_reset(
    session: DbSession,
    links: ResetLinks,
    mailer: Mailer,
    email: str,
    link_for: Callable[[str], str],
    may_mail: Callable[[User], bool] = lambda user: True,
) -> None:
    """Mail a reset link if the address has an account and ``may_mail`` allows one
    more mail to it (a limit per recipient); silent either way."""
    try:
        email = normalise_email(email)
    except Invalid:
        return
    user = session.scalar(select(User).where(User.email == email))
    if user is None or not may_mail(user):
        return
    minutes = links.max_age // 60
    try:
        mailer.send(
            user.email,
            "Reset your Inkstand password",
            f"Hello {user.name},\n\nSomeone asked to reset the password of your account "
            f"'{user.username}'. If it was you, open this link within {minutes} minutes:\n\n"
            f"{link_for(links.issue(user))}\n\n"
            "The link works once. If you did not ask, ignore this message.\n",
        )
    except OSError:  # SMTP down: the visitor sees the same answer either way
        log.exception("password reset mail to account %s not sent", user.id)


def user_for_reset(session: DbSession, links: ResetLinks, token: str) -> User:
    """The account a reset token is valid for. Raises Invalid when it is not."""
    found = links.user_id(token)
    user = session.get(User, found[0]) if found else None
    if user is None or found is None or not links.matches(user, found[1]):
        raise Invalid.field("token", "This reset link is invalid, used or expired.")
    return user


@dataclass(frozen=True)
class NewPassword:
    """A password being set, and what goes with it: whether every API token of the
    account is revoked too, and where the notice is mailed from."""

    password: str
    revoke_tokens: bool
    mailer: Mailer
    site_title: str
    now: datetime


def reset_password(
    session: DbSession, passwords: Passwords, links: ResetLinks, token: str, new: NewPassword
) -> User:
    """Set a new password through a reset link. Raises Invalid."""
    return _set_password(session, passwords, user_for_reset(session, links, token), new)


def change_password(
    session: DbSession, passwords: Passwords, user: User, current: str, new: NewPassword
) -> User:
    """Set a new password for a logged-in account that knows its current one. Every
    session and RealWorld token issued before stops working (they carry the old
    password's fingerprint); the door renews its own. Raises Invalid."""
    if not passwords.verify(user.password_hash, current):
        raise Invalid.field("current_password", "That is not your current password.")
    if passwords.verify(user.password_hash, new.password):
        raise Invalid.field("password", "Choose a password other than your current one.")
    return _set_password(session, passwords, user, new)


def _set_password(session: DbSession, passwords: Passwords, user: User, new: NewPassword) -> User:
    if problems := _password_errors(new.password, user.username, user.email):
        raise Invalid({"password": problems})
    user.password_hash = passwords.hash(new.password)
    revoked = sessions.revoke_api_tokens(session, user, new.now) if new.revoke_tokens else 0
    session.commit()
    notices.password_changed(new.mailer, user, tokens_revoked=revoked, site_title=new.site_title)
    return user


@dataclass(frozen=True)
class AddressMail:
    """What a change of address mails with: the mailer, the site's name, and how the
    door turns a token into a full link."""

    mailer: Mailer
    site_title: str
    link_for: Callable[[str], str]
    login_url: str = ""  # where a mail to the owner of a taken address sends her
    reset_url: str = ""


def request_email_change(
    session: DbSession,
    passwords: Passwords,
    links: AddressLinks,
    user: User,
    current: str,
    email: str,
    mail: AddressMail,
) -> None:
    """Mail a link that confirms ``email`` as ``user``'s new address; nothing changes
    until it is opened. A newer request kills the older link. An address another
    account holds gets no link: its owner is told instead, and the asker hears the
    same as for a free one, so the page tells no one who is registered.
    Raises Invalid (wrong password, not an address, the address already hers)."""
    if not passwords.verify(user.password_hash, current):
        raise Invalid.field("current_password", "That is not your current password.")
    email = normalise_email(email)
    if email == user.email:
        raise Invalid.field("email", "That is already your address.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        notices.address_taken(mail.mailer, email, site_title=mail.site_title)
        return
    user.email_change_nonce = secrets.token_urlsafe(16)
    session.commit()
    token = links.issue(user, email, user.email_change_nonce)
    notices.confirm_address(
        mail.mailer, user, email, mail.link_for(token), links.max_age, site_title=mail.site_title
    )


_LINK_PROBLEMS = {
    LinkProblem.EXPIRED: "This link has expired. Ask for a new one in your settings.",
    LinkProblem.USED: "This link was used already, or a newer one replaced it.",
    LinkProblem.BROKEN: "This link is not valid: it may have been cut short when copied.",
}


def pending_email_change(session: DbSession, links: AddressLinks, token: str) -> tuple[User, str]:
    """The account and new address a confirmation link names. Raises Invalid (on
    "token", saying why: expired, used or replaced, or not valid)."""
    return _linked(session, links, token)


def _linked(session: DbSession, links: AddressLinks, token: str) -> tuple[User, str]:
    found = links.read(token)
    if isinstance(found, LinkProblem):
        raise Invalid.field("token", _LINK_PROBLEMS[found])
    user_id, email, nonce = found
    user = session.get(User, user_id)
    if user is None:
        raise Invalid.field("token", _LINK_PROBLEMS[LinkProblem.BROKEN])
    if not links.matches(user, nonce):
        raise Invalid.field("token", _LINK_PROBLEMS[LinkProblem.USED])
    return user, email


def confirm_email_change(
    session: DbSession, links: AddressLinks, token: str, mail: AddressMail
) -> User:
    """Make the address a link names the account's own, once; the old address is
    told. Raises Invalid (a bad link, or the address taken meanwhile)."""
    user, email = pending_email_change(session, links, token)
    old = user.email
    user.email, user.email_change_nonce = email, None
    user.email_confirmed_at = utcnow()  # the link was opened at the address
    try:
        session.commit()
    except IntegrityError as exc:  # another account took the address since the link went out
        session.rollback()
        raise Invalid.field("token", "That address now belongs to another account.") from exc
    notices.address_changed(mail.mailer, user, old, site_title=mail.site_title)
    return user


IMAGE_URL_MAX = 500
IMAGE_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class AccountChanges:
    """What an account holder changes about herself, from the settings page or an API;
    None leaves a field as it is."""

    username: str | None = None
    email: str | None = None
    password: str | None = None
    display_name: str | None = None
    bio: str | None = None
    # An address of a picture elsewhere. A new one replaces an uploaded avatar (one
    # picture at a time: the last one given); "" removes the address only.
    image_url: str | None = None
    remove_avatar: bool = False  # the uploaded avatar too (the image stays hers)
    notify_comments: bool | None = None  # mailed about new comments on her posts
    time_zone: str | None = None  # an IANA name (accounts.zones); times are shown in it


def _profile_errors(display_name: str, bio: str, image_url: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(display_name) > DISPLAY_NAME_MAX:
        errors["display_name"] = [f"Use at most {DISPLAY_NAME_MAX} characters."]
    if len(bio) > BIO_MAX:
        errors["bio"] = [f"Use at most {BIO_MAX} characters."]
    if image_url and (len(image_url) > IMAGE_URL_MAX or not IMAGE_URL.match(image_url)):
        errors["image_url"] = [f"Give an http or https address of at most {IMAGE_URL_MAX} letters."]
    return errors


def _identity_errors(
    session: DbSession, user: User, username: str, email: str
) -> tuple[str, dict[str, list[str]]]:
    """The normalised address and the problems with a new username or address."""
    errors: dict[str, list[str]] = {}
    if username != user.username and (problems := _username_errors(username)):
        errors["username"] = problems
    try:
        email = normalise_email(email) if email != user.email else email
    except Invalid as exc:
        errors.update(exc.errors)
    if not errors:
        taken = _taken(session, username, email)
        if username.lower() == user.username.lower():
            taken.pop("username", None)
        if email == user.email:
            taken.pop("email", None)
        errors.update(taken)
    return email, errors


def update_account(
    session: DbSession,
    passwords: Passwords,
    user: User,
    changes: AccountChanges,
    *,
    mailer: Mailer | None = None,
    site_title: str = "",
) -> User:
    """Change what an account holder may change about herself (username, address,
    password, display name, bio, picture, comment mails, time zone), all or nothing, under the
    rules of registration. Text is stored without control characters. A new password
    is told to the account by ``mailer`` (a door that may change one gives it).
    Raises Invalid."""
    username = user.username if changes.username is None else changes.username.strip()
    email = user.email if changes.email is None else changes.email
    email, errors = _identity_errors(session, user, username, email)
    if changes.password is not None and (
        problems := _password_errors(changes.password, username, email)
    ):
        errors["password"] = problems
    display_name = _cleaned(changes.display_name, user.display_name)
    bio = _cleaned(changes.bio, user.bio)
    image_url = user.image_url if changes.image_url is None else changes.image_url.strip()
    errors.update(_profile_errors(display_name, bio, image_url))
    if changes.time_zone is not None and not zones.is_zone(changes.time_zone):
        errors["time_zone"] = ["Choose a time zone from the list, such as Europe/Paris."]
    if errors:
        raise Invalid(errors)
    _rename(session, user, username)
    if email != user.email:  # an API changes it at once: the new address is not confirmed
        user.email_confirmed_at = None
    if changes.remove_avatar or (image_url and image_url != user.image_url):
        user.avatar_name = ""
    user.email, user.image_url = email, image_url
    user.display_name, user.bio = display_name, bio
    if changes.password is not None:
        user.password_hash = passwords.hash(changes.password)
    if changes.notify_comments is not None:
        user.notify_comments = changes.notify_comments
    if changes.time_zone is not None:
        user.time_zone = changes.time_zone
    try:
        session.commit()
    except IntegrityError as exc:  # another account took the name or address meanwhile
        session.rollback()
        raise Invalid.field("username", "That username or e-mail is already registered.") from exc
    if changes.password is not None and mailer is not None:
        notices.password_changed(mailer, user, tokens_revoked=0, site_title=site_title)
    return user


def _cleaned(given: str | None, current: str) -> str:
    return current if given is None else text.clean(given)


def get_by_username(session: DbSession, username: str) -> User:
    """The account named ``username``, whatever the case. Raises Moved (a name it
    had) or NotFound."""
    if not USERNAME.match(username):  # no query for a name no account can have (NUL)
        raise NotFound("No such author.")
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        _moved_or_missing(session, username)
    return user


def _moved_or_missing(session: DbSession, username: str) -> NoReturn:
    """Raises Moved when ``username`` is a name an account had, else NotFound."""
    now_named = session.scalar(
        select(User.username)
        .join(UsernameRedirect, UsernameRedirect.user_id == User.id)
        .where(UsernameRedirect.username == username.lower())
    )
    if now_named is not None:
        raise Moved(now_named, key="username")
    raise NotFound("No such author.")


@dataclass(frozen=True)
class Profile:
    """An author as her page shows her: how many follow her, and whether the viewer does."""

    user: User
    followers: int
    followed: bool


def get_profile(session: DbSession, viewer: User | None, username: str) -> Profile:
    """The account ``username`` with its follower count, in one query. Raises Moved
    (a name it had) or NotFound."""
    if not USERNAME.match(username):
        raise NotFound("No such author.")
    followers = select(func.count()).where(Follow.followed_id == User.id).scalar_subquery()
    followed = (
        exists().where(Follow.followed_id == User.id, Follow.follower_id == viewer.id)
        if viewer is not None
        else false()
    )
    row = session.execute(
        select(User, followers, followed).where(func.lower(User.username) == username.lower())
    ).first()
    if row is None:
        _moved_or_missing(session, username)
    return Profile(row[0], row[1], bool(row[2]))


def _to_follow(session: DbSession, actor: User | None, username: str) -> tuple[User, User]:
    if actor is None:
        raise Forbidden("Log in to follow authors.")
    return actor, get_by_username(session, username)


def follow(session: DbSession, actor: User | None, username: str) -> User:
    """Follow ``username``; following her again changes nothing. Returns her.

    Raises Forbidden (not logged in), NotFound, or Invalid (herself)."""
    actor, author = _to_follow(session, actor, username)
    if not permissions.can_follow(actor, author):
        raise Invalid.field("username", "You cannot follow yourself.")
    marks.mark(session, Follow(follower_id=actor.id, followed_id=author.id))
    return author


def unfollow(session: DbSession, actor: User | None, username: str) -> User:
    """Stop following ``username``; unfollowing twice changes nothing. Returns her.

    Raises Forbidden (not logged in) or NotFound."""
    actor, author = _to_follow(session, actor, username)
    marks.unmark(session, Follow(follower_id=actor.id, followed_id=author.id))
    return author


def following_ids(session: DbSession, actor: User | None, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` ``actor`` follows, in one query (none for a visitor)."""
    follower = actor.id if actor is not None else None
    return marks.marked(session, Follow.follower_id, Follow.followed_id, follower, user_ids)


def require_admin(actor: User | None) -> User:
    """Raises Forbidden unless ``actor`` is an admin."""
    if actor is None or not permissions.can_administer(actor):
        raise Forbidden("Only an admin may do that.")
    return actor


def change_role(session: DbSession, actor: User | None, user_id: int, role: str) -> User:
    """Give an account another role; only admins may, and one admin always remains."""
    require_admin(actor)
    if role not in {r.value for r in Role}:
        raise Invalid.field("role", "Unknown role.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    if user.role == Role.ADMIN and role != Role.ADMIN:
        admins = session.scalar(select(func.count(User.id)).where(User.role == Role.ADMIN.value))
        if admins == 1:
            raise Invalid.field("role", "The site needs at least one admin.")
    if user.role != role:
        audit.record(
            session, actor, Action.ROLE_CHANGED, Target.account(user),
            {"from": user.role, "to": role},
        )  # fmt: skip
        user.role = role
        session.commit()
    return user


def create_admin(
    session: DbSession, passwords: Passwords, username: str, email: str, password: str
) -> User:
    """Create an admin account from the command line, whatever the site settings."""
    _first, username, email = _check_new_account(
        session, username, email, password, registration_open=True, tell_taken=True
    )
    return _create(session, passwords, username, email, password, role=Role.ADMIN.value,
                   confirmed=True, audited=Action.ADMIN_CREATED)  # fmt: skip
