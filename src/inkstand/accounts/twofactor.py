"""Two-factor log-in: time-based codes (TOTP, RFC 6238, by pyotp) from an app on the
account holder's phone, and ten single-use recovery codes for when the phone is lost.

A code is accepted once: the time step it belongs to is kept on the account
(``User.totp_last_step``) and a code of that step or an older one is refused, so a
code seen over a shoulder or replayed by a proxy opens nothing. Recovery codes are
kept as SHA-256 digests (each holds 64 random bits) and marked when used.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Any, cast

import pyotp
import segno
from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.engine import CursorResult

from inkstand.accounts import permissions
from inkstand.accounts.models import RecoveryCode, User
from inkstand.accounts.passwords import Passwords
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid

STEP_SECONDS = 30
DIGITS = 6
RECOVERY_CODES = 10
_TOTP = re.compile(rf"^\d{{{DIGITS}}}$")
_RECOVERY = re.compile(r"^[0-9a-f]{16}$")

WRONG = "That code is not right. Type the code your app shows now, or a recovery code."
REPLAYED = "That code was used already. Wait for your app to show the next one."


def new_secret() -> str:
    """A new random secret: 32 base32 letters, 160 bits."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an inline SVG element, drawn here (no third party sees
    the secret). Dark modules on a white ground, so phones read it in dark mode too."""
    code = segno.make(uri, error="m")
    svg: str = code.svg_inline(scale=5, border=4, dark="#000", light="#fff")
    return svg


def grouped(secret: str) -> str:
    """The secret in groups of four letters, as people type it."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalised(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()[:64]


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is, this one or one either side (a phone's
    clock a little off), or None."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _rows(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


def _spend_step(session: DbSession, user: User, step: int) -> bool:
    """Record ``step`` as used, if no code of it or a later one was: one conditional
    UPDATE, so two requests with the same code at once cannot both pass. (On the
    table, not the mapped class: a private column, no new content version.)"""
    table = cast(Table, User.__table__)
    accepted = _rows(
        session.execute(
            update(table)
            .where(
                table.c.id == user.id,
                or_(table.c.totp_last_step.is_(None), table.c.totp_last_step < step),
            )
            .values(totp_last_step=step)
        )
    )
    return accepted == 1


def _spend_recovery(session: DbSession, user: User, code: str, now: datetime) -> bool:
    used = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return _rows(used) == 1


def check_code(session: DbSession, user: User, code: str, now: datetime) -> User:
    """Accept a code from ``user``'s app, or one of her recovery codes, once.
    Raises Invalid (on "code": wrong, or used already)."""
    code = _normalised(code)
    if user.totp_secret is None:
        raise Invalid.field("code", "Two-factor log-in is not on for this account.")
    if _TOTP.match(code):
        step = _step_of(user.totp_secret, code, now)
        if step is None:
            raise Invalid.field("code", WRONG)
        if not _spend_step(session, user, step):
            session.rollback()
            raise Invalid.field("code", REPLAYED)
    elif not (_RECOVERY.match(code) and _spend_recovery(session, user, code, now)):
        session.rollback()
        raise Invalid.field("code", WRONG)
    session.commit()
    session.expire(user, ["totp_last_step"])
    return user


def enable(session: DbSession, user: User, secret: str, code: str, now: datetime) -> list[str]:
    """Turn two-factor log-in on with ``secret``, once a code from it proves the app
    holds it. Returns ten new recovery codes, to be shown once; only their digests
    are kept. Raises Invalid (on "code")."""
    if user.two_factor:
        raise Invalid.field("code", "Two-factor log-in is on already.")
    code = _normalised(code)
    step = _step_of(secret, code, now) if _TOTP.match(code) else None
    if step is None:
        raise Invalid.field("code", "That code is not right. Type the code your app shows now.")
    user.totp_secret, user.totp_last_step = secret, step
    codes = _new_recovery_codes(session, user)
    session.commit()
    return codes


def _new_recovery_codes(session: DbSession, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [secrets.token_hex(8) for _ in range(RECOVERY_CODES)]
    session.execute(
        insert(RecoveryCode), [{"user_id": user.id, "code_hash": _digest(c)} for c in codes]
    )
    return ["-".join(c[i : i + 4] for i in range(0, 16, 4)) for c in codes]


def recovery_codes_left(session: DbSession, user: User) -> int:
    return int(
        session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def disable(
    session: DbSession, passwords: Passwords, user: User, password: str, code: str, now: datetime,
    *, required_for_staff: bool,
) -> User:  # fmt: skip
    """Turn two-factor log-in off, with the password and a code. Raises Invalid (on
    "current_password" or "code") or Forbidden (the site requires it of her role)."""
    if not passwords.verify(user.password_hash, password):
        raise Invalid.field("current_password", "That is not your current password.")
    if not permissions.may_turn_off_two_factor(user, required_for_staff):
        raise Forbidden("This site requires two-factor log-in of admins and editors.")
    check_code(session, user, code, now)
    remove(session, user)
    return user


def regenerate(
    session: DbSession, passwords: Passwords, user: User, password: str, code: str, now: datetime
) -> list[str]:
    """Replace ``user``'s recovery codes with ten new ones, to be shown once; the old
    ones stop working. Asks for the password and a code (from the app, or a recovery
    code). Raises Invalid (on "current_password" or "code", or two-factor is off)."""
    if not passwords.verify(user.password_hash, password):
        raise Invalid.field("current_password", "That is not your current password.")
    check_code(session, user, code, now)
    codes = _new_recovery_codes(session, user)
    session.commit()
    return codes


def remove(session: DbSession, user: User) -> None:
    """Turn ``user``'s two-factor log-in off: her secret and recovery codes go."""
    user.totp_secret, user.totp_last_step = None, None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.commit()
