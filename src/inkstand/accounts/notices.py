"""Mail about a change to an account's security: a new password (and which API
tokens went with it), a new address to confirm, the old address told. Sent after
the change is committed: a mail server that is down loses the notice, never the
change."""

from __future__ import annotations

import logging

from inkstand.accounts.models import User
from inkstand.mail import Mailer

log = logging.getLogger(__name__)


def password_changed(mailer: Mailer, user: User, *, tokens_revoked: int, site_title: str) -> None:
    """Tell ``user`` her password was changed, and how many API tokens stopped working."""
    tokens = (
        f"Its {tokens_revoked} API token(s) were revoked with it.\n\n"
        if tokens_revoked
        else "Its API tokens still work; revoke them on the API tokens page if in doubt.\n\n"
    )
    body = (
        f"Hello {user.name},\n\nThe password of your account '{user.username}' on "
        f"{site_title} was just changed. Every other browser and app logged in as you "
        f"was logged out.\n{tokens}If you did not change it, reset your password now "
        "with 'Forgot your password?' on the log-in page.\n"
    )
    _send(mailer, user.email, f"Your {site_title} password was changed", body,
          f"password change notice to account {user.id}")  # fmt: skip


def two_factor_reset(mailer: Mailer, user: User, admin: str, *, site_title: str) -> None:
    """Tell ``user`` an admin turned her two-factor log-in off."""
    body = (
        f"Hello {user.name},\n\n{admin}, an admin of {site_title}, turned off two-factor "
        f"log-in for your account '{user.username}': your password alone now logs you in, "
        "and your old recovery codes no longer work. Set it up again from your settings "
        "page.\nIf you did not ask for this, change your password now and tell the site's "
        "admins.\n"
    )
    _send(mailer, user.email, f"Two-factor log-in was turned off on {site_title}", body,
          f"two-factor reset notice to account {user.id}")  # fmt: skip


def _send(mailer: Mailer, to: str, subject: str, body: str, what: str) -> None:
    try:
        mailer.send(to, subject, body)
    except OSError:
        log.exception("%s not sent", what)


def confirm_address(
    mailer: Mailer, user: User, email: str, link: str, max_age: int, *, site_title: str
) -> None:
    """Mail the link that makes ``email`` the address of ``user``'s account, to it."""
    hours = max(1, max_age // 3600)
    body = (
        f"Hello {user.name},\n\nTo make this the address of your account '{user.username}' "
        f"on {site_title}, open this link within {hours} hour(s):\n\n{link}\n\n"
        "The link works once. If you did not ask for this, ignore this message: "
        "nothing changes.\n"
    )
    _send(mailer, email, f"Confirm your new {site_title} address", body,
          f"address confirmation for account {user.id}")  # fmt: skip


def address_changed(mailer: Mailer, user: User, old: str, *, site_title: str) -> None:
    """Tell the address ``user`` had that her account now uses another."""
    body = (
        f"Hello {user.name},\n\nYour account '{user.username}' on {site_title} now uses "
        f"the address {user.email} instead of this one. Mail about it goes there from now on.\n"
        "If you did not change it, write to the site's admin at once.\n"
    )
    _send(mailer, old, f"Your {site_title} address was changed", body,
          f"address change notice for account {user.id}")  # fmt: skip


def address_taken(mailer: Mailer, email: str, *, site_title: str) -> None:
    """Tell the owner of ``email`` that someone tried to give it to another account."""
    body = (
        f"Hello,\n\nSomeone asked to use this address for another account on {site_title}. "
        "It already belongs to your account, so nothing changed. If it was you, you "
        "already have an account: log in, or reset your password if you forgot it.\n"
    )
    _send(mailer, email, f"Your address on {site_title}", body, "address taken notice")


def confirm_registration(
    mailer: Mailer, user: User, link: str, max_age: int, *, site_title: str
) -> None:
    """Mail ``user`` the link that confirms the address she registered with."""
    hours = max(1, max_age // 3600)
    body = (
        f"Hello {user.name},\n\nWelcome to {site_title}. To confirm that this is the "
        f"address of your account '{user.username}', open this link within {hours} "
        f"hour(s) and press the button:\n\n{link}\n\n"
        "The link works once. Until then you can read and log in, but not comment.\n"
        "If you did not register, ignore this message.\n"
    )
    _send(mailer, user.email, f"Confirm your address on {site_title}", body,
          f"registration confirmation for account {user.id}")  # fmt: skip


def registration_attempt(
    mailer: Mailer, email: str, login_url: str, reset_url: str, *, site_title: str
) -> None:
    """Tell the owner of ``email`` that someone tried to register a new account with it."""
    body = (
        f"Hello,\n\nSomeone tried to register a new account on {site_title} with this "
        "address. It already belongs to your account, so no account was made.\n\n"
        f"If it was you, log in:\n\n{login_url}\n\n"
        f"or, if you forgot your password, reset it:\n\n{reset_url}\n\n"
        "If it was not you, you need do nothing: your account is unchanged.\n"
    )
    _send(mailer, email, f"Someone tried to register with your address on {site_title}",
          body, "registration attempt notice")  # fmt: skip


def invited(
    mailer: Mailer, email: str, role: str, inviter: str, link: str, max_age: int, *,
    site_title: str,
) -> None:  # fmt: skip
    """Mail ``email`` the link that makes her an account with ``role``."""
    days = max(1, max_age // 86400)
    body = (
        f"Hello,\n\n{inviter} invites you to join {site_title} as {_a(role)}. To choose "
        f"your username and password, open this link within {days} day(s):\n\n{link}\n\n"
        "The link works once. If you do not want an account, ignore this message.\n"
    )
    _send(mailer, email, f"You are invited to {site_title}", body, "invitation")


def _a(role: str) -> str:
    return f"an {role}" if role[:1] in "aeiou" else f"a {role}"
