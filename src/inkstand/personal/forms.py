"""The form that deletes one's own account: shape checks only; the rules live in
accounts.closing and accounts.identity."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional

from inkstand.forms import Form


class DeleteAccountForm(Form):
    current_password = PasswordField(
        "Your password",
        [DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    # Asked only of an account with two-factor log-in (the template shows it then).
    code = StringField(
        "Code from your authenticator app",
        [Optional(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
        description="Or one of your recovery codes.",
    )
    understood = BooleanField(
        "I understand: my account and my posts are gone for good", [DataRequired()]
    )
