""" "Confirm it's you": the one step a person passes before an irreversible change to
her account (deleting it): her password and, when she logs in with two-factor codes,
a code too. Every door that asks for the step gets both with no change of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inkstand.accounts import twofactor
from inkstand.accounts.models import User
from inkstand.accounts.passwords import Passwords
from inkstand.db import DbSession
from inkstand.exceptions import Invalid


@dataclass(frozen=True)
class Proof:
    """What a person gives to show she is the account holder."""

    password: str
    code: str = ""  # from her authenticator app, or a recovery code: with two-factor on


def confirm(
    session: DbSession, passwords: Passwords, user: User, proof: Proof, now: datetime
) -> None:
    """Raises Invalid (on "current_password", or on "code" for an account with
    two-factor log-in) unless ``proof`` proves ``user``. A code is spent only once the
    password is right."""
    if not proof.password or not passwords.verify(user.password_hash, proof.password):
        raise Invalid.field("current_password", "That is not your current password.")
    if user.two_factor:
        if not proof.code:
            raise Invalid.field("code", "Type the code from your authenticator app.")
        twofactor.check_code(session, user, proof.code, now)
