"""Who may administer the site and who may follow whom. Services and templates ask here."""

from __future__ import annotations

from inkstand.accounts.models import EmailConfirmation, Role, User


def can_administer(user: User | None) -> bool:
    """Admins manage accounts, roles and site settings."""
    return user is not None and user.has_role(Role.ADMIN)


def can_read_audit_log(user: User | None) -> bool:
    """Admins only: the log names accounts, addresses and settings across the site, and
    records what editors do too (as on most platforms, those who are audited do not
    read the audit)."""
    return can_administer(user)


def can_follow(user: User | None, author: User) -> bool:
    """Any logged-in account follows anyone but herself."""
    return user is not None and user.id != author.id


def must_confirm(user: User | None, email_confirmation: str) -> bool:
    """Whether ``user`` must confirm her address before she comments: when the site
    requires it (the ``email_confirmation`` site setting) and she has not."""
    return (
        user is not None
        and not user.email_confirmed
        and email_confirmation == EmailConfirmation.REQUIRED
    )


def must_enrol(user: User | None, two_factor_for_staff: bool) -> bool:
    """Whether ``user`` must set up two-factor log-in before anything else: admins and
    editors, when the site requires it of them (``two_factor_for_staff``)."""
    return (
        two_factor_for_staff
        and user is not None
        and user.has_role(Role.EDITOR)
        and not user.two_factor
    )


def may_turn_off_two_factor(user: User, two_factor_for_staff: bool) -> bool:
    """Anyone may, but admins and editors where the site requires it of them."""
    return not (two_factor_for_staff and user.has_role(Role.EDITOR))
