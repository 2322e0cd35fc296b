"""Admin forms."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from inkstand import audit
from inkstand.accounts.models import EmailConfirmation, Role
from inkstand.admin.reading import AuditQuery
from inkstand.forms import Form
from inkstand.site.models import CommentPolicy
from inkstand.site.services import SEARCH_LANGUAGES


class RoleForm(Form):
    role = SelectField("Role", choices=[SelectChoice(r.value, r.value.capitalize()) for r in Role])


class InviteForm(Form):
    email = EmailField(
        "E-mail",
        [DataRequired(), Length(max=254)],
        description="A link to choose a username and password is mailed there; it works "
        "once, within a week.",
    )
    role = SelectField(
        "Role",
        choices=[SelectChoice(r.value, r.value.capitalize()) for r in Role],
        default=Role.AUTHOR.value,
    )


class ActionForm(Form):
    """A button that changes an account (suspend, unsuspend): only its CSRF token."""


KEEP_NONE = ""


class DeleteAccountForm(Form):
    """The hand-over choice; the heirs are filled in by the view."""

    heir = SelectField("Their posts", choices=[], validate_choice=True)


class SiteSettingsForm(Form):
    title = StringField("Site title", [DataRequired(), Length(max=80)])
    description = TextAreaField("Description", [Length(max=300)])
    footer = TextAreaField(
        "Footer text",
        [Length(max=2000)],
        description="Shown at the foot of every page, in place of the description. A little "
        "Markdown: *emphasis*, **strong**, [links](https://example.com), lists. Leave empty "
        "for the description.",
    )
    posts_per_page = IntegerField("Posts per page", [NumberRange(min=1, max=100)])
    registration_open = BooleanField("Anyone may register")
    new_account_role = SelectField(
        "New accounts are",
        choices=[
            SelectChoice(Role.READER.value, "Readers"),
            SelectChoice(Role.AUTHOR.value, "Authors"),
        ],
    )
    comment_policy = SelectField(
        "Comments",
        choices=[
            SelectChoice(CommentPolicy.OPEN.value, "Open: comments appear at once"),
            SelectChoice(
                CommentPolicy.HOLD_FIRST.value,
                "Hold a commenter's comments until one of them is approved",
            ),
            SelectChoice(CommentPolicy.HOLD_ALL.value, "Hold every comment for approval"),
            SelectChoice(CommentPolicy.CLOSED.value, "Closed: no new comments anywhere"),
        ],
        description="Editors and admins approve held comments, and authors those on their posts.",
    )
    email_confirmation = SelectField(
        "E-mail confirmation",
        choices=[
            SelectChoice(EmailConfirmation.REQUIRED.value, "Required before commenting"),
            SelectChoice(EmailConfirmation.OFF.value, "Not required"),
        ],
        description="Required: a new account confirms its address by a mailed link before it "
        "comments, and registration tells no one whether an address has an account. Not "
        "required: new accounts are logged in at once, and a taken address is said to be taken.",
    )
    two_factor_for_staff = BooleanField(
        "Admins and editors must use two-factor log-in",
        description="One without it is sent to set it up after logging in, and can do "
        "nothing else until it is done.",
    )
    subscriptions_open = BooleanField(
        "Readers may subscribe by e-mail",
        description="Off: the subscribe forms go, their pages answer 404 and no post is mailed.",
    )
    newsletter_content = SelectField(
        "A new post's mail carries",
        choices=[
            SelectChoice("full", "The whole post"),
            SelectChoice("excerpt", "Its excerpt, with a link to read on"),
        ],
    )
    search_language = SelectField(
        "Search language",
        choices=[SelectChoice(name, name.capitalize()) for name in SEARCH_LANGUAGES],
        description="With PostgreSQL, search also finds other forms of a word in this "
        "language (runs for run); Simple finds exact words only. A change re-indexes every post.",
    )


class AuditFilterForm(Form):
    """The audit log's filters: a GET form (it changes nothing, so it has no CSRF
    token); the rules live in admin.reading.entries."""

    class Meta(Form.Meta):
        csrf = False

    action = SelectField(
        "Action",
        [Optional()],
        choices=[
            SelectChoice("", "Any action"),
            *(SelectChoice(a.value, a.label) for a in audit.Action),
        ],
        default="",
    )
    actor = StringField("Done by (username)", [Optional(), Length(max=30)])
    target = StringField("To the account (username)", [Optional(), Length(max=30)])
    since = DateField("From (UTC)", [Optional()])
    until = DateField("To (UTC)", [Optional()])

    def to_query(self) -> AuditQuery:
        return AuditQuery(
            action=self.action.data or "",
            actor=(self.actor.data or "").strip(),
            target=(self.target.data or "").strip(),
            since=self.since.data,
            until=self.until.data,
        )

    def arguments(self) -> dict[str, str]:
        """The filters in use, for the links to the next and previous pages."""
        query = self.to_query()
        sent = {
            "action": query.action, "actor": query.actor, "target": query.target,
            "since": query.since.isoformat() if query.since else "",
            "until": query.until.isoformat() if query.until else "",
        }  # fmt: skip
        return {name: value for name, value in sent.items() if value}
