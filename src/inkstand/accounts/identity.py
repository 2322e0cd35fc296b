""" "Confirm it's you": the one step a person passes before an irreversible change to
her account (deleting it). Today the proof is her password; a second factor joins it
here, and every door that asks for the step gets it with no change of its own."""

from __future__ import annotations

from dataclasses import dataclass

from inkstand.accounts.models import User
from inkstand.accounts.passwords import Passwords
from inkstand.exceptions import Invalid


@dataclass(frozen=True)
class Proof:
    """What a person gives to show she is the account holder."""

    password: str


def confirm(passwords: Passwords, user: User, proof: Proof) -> None:
    """Raises Invalid (on "current_password") unless ``proof`` proves ``user``."""
    if not proof.password or not passwords.verify(user.password_hash, proof.password):
        raise Invalid.field("current_password", "That is not your current password.")
