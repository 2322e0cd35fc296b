"""The form that deletes one's own account: shape checks only; the rules live in
accounts.closing and accounts.identity."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from inkstand.forms import Form


class DeleteAccountForm(Form):
    current_password = PasswordField(
        "Your password",
        [DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    understood = BooleanField(
        "I understand: my account and my posts are gone for good", [DataRequired()]
    )
