"""Account forms: shape checks only; the rules live in accounts.services."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from inkstand.accounts import zones
from inkstand.accounts.models import TokenScope
from inkstand.accounts.services import BIO_MAX, DISPLAY_NAME_MAX
from inkstand.forms import Form


class RegisterForm(Form):
    username = StringField("Username", [DataRequired(), Length(max=30)])
    email = EmailField("E-mail", [DataRequired(), Length(max=254)])
    password = PasswordField("Password", [DataRequired(), Length(max=256)])


class LoginForm(Form):
    login = StringField("Username or e-mail", [DataRequired(), Length(max=254)])
    password = PasswordField("Password", [DataRequired(), Length(max=256)])
    remember = BooleanField("Remember me")


class ForgotPasswordForm(Form):
    email = EmailField("E-mail", [DataRequired(), Length(max=254)])


REVOKE_TOKENS = "Also revoke every API token of my account"


class ResetPasswordForm(Form):
    password = PasswordField("New password", [DataRequired(), Length(max=256)])
    # On by default: a reset may follow a stolen password, and a token made with it.
    revoke_tokens = BooleanField(REVOKE_TOKENS, default=True)


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password",
        [DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "New password",
        [DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "new-password"},
        description="Every other browser and app logged in as you is logged out.",
    )
    revoke_tokens = BooleanField(
        REVOKE_TOKENS, description="Programs that use them stop working until given a new one."
    )


class ProfileForm(Form):
    # Lengths are the service's rule, and its message; the browser is only told.
    username = StringField(
        "Username",
        render_kw={"maxlength": 30, "autocomplete": "username"},
        description="Your author page's address. A new name leaves the old address "
        "redirecting here until someone else takes that name.",
    )
    display_name = StringField("Display name", render_kw={"maxlength": DISPLAY_NAME_MAX})
    bio = TextAreaField("Bio", render_kw={"maxlength": BIO_MAX})
    notify_comments = BooleanField(
        "E-mail me when someone comments on my posts",
        description="Mails go to the address of your account. Your own comments are not mailed.",
    )
    # Any string is taken: the service refuses a name not in the list, with its message.
    time_zone = SelectField(
        "Time zone",
        choices=[SelectChoice(name, name.replace("_", " ")) for name in zones.names()],
        default=zones.DEFAULT,
        validate_choice=False,
        description="Times you schedule posts for are shown in it, beside UTC.",
    )


class TokenForm(Form):
    name = StringField("Name", [DataRequired(), Length(max=80)], description="What uses it.")
    scope = SelectField(
        "Access",
        choices=[
            SelectChoice(TokenScope.READ.value, "Read: see what the account sees"),
            SelectChoice(TokenScope.WRITE.value, "Read-write: also write as the account"),
        ],
        default=TokenScope.READ.value,
    )


class ChangeEmailForm(Form):
    email = EmailField(
        "New e-mail address",
        [DataRequired(), Length(max=254)],
        description="A link is mailed there; the address changes when it is opened.",
    )
    current_password = PasswordField(
        "Current password",
        [DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )


class LogoutEverywhereForm(Form):
    """Shown on the settings page under the profile form: its fields are named apart."""

    revoke_tokens = BooleanField(
        REVOKE_TOKENS, description="Programs that use them stop working until given a new one."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="everywhere", **kwargs)


class ConfirmEmailForm(Form):
    """Only the button (and its CSRF token): a mail scanner that follows the link
    changes nothing."""


class CodeForm(Form):
    code = StringField(
        "Code",
        [DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True,
                   "spellcheck": "false", "autocapitalize": "off"},
        description="The six digits your authenticator app shows now, or one of your "
        "recovery codes.",
    )  # fmt: skip


class DisableTwoFactorForm(Form):
    current_password = PasswordField(
        "Current password",
        [DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        "Code",
        [DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
        description="From your authenticator app, or a recovery code.",
    )


class RegenerateCodesForm(DisableTwoFactorForm):
    """The same proof as turning two-factor off: the password and a code."""


class EnrolForm(Form):
    code = StringField(
        "Code",
        [DataRequired(), Length(max=64)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric",
                   "spellcheck": "false", "autocapitalize": "off"},
        description="The six digits the app shows for this site now.",
    )  # fmt: skip


class AcceptInvitationForm(Form):
    username = StringField(
        "Username",
        [DataRequired(), Length(max=30)],
        render_kw={"autocomplete": "username"},
        description="Your author page's address: 3 to 30 letters, digits, hyphens or underscores.",
    )
    password = PasswordField(
        "Password", [DataRequired(), Length(max=256)], render_kw={"autocomplete": "new-password"}
    )
