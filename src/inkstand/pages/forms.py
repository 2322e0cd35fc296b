"""Forms of pages, the menu and the site's identity: shape checks only; the rules live
in pages.services, pages.menu and pages.identity."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from inkstand.forms import Form
from inkstand.pages.models import PageStatus
from inkstand.pages.services import PageChanges, PageFields


class PageForm(Form):
    title = StringField("Title", [DataRequired(), Length(max=200)])
    body = TextAreaField("Body (Markdown)", [DataRequired()])
    slug = StringField(
        "Address",
        [Length(max=60)],
        description="The page lives at /<address> on this site. Leave empty to make one "
        "from the title.",
    )
    status = SelectField(
        "State",
        choices=[
            SelectChoice(PageStatus.DRAFT.value, "Draft"),
            SelectChoice(PageStatus.PUBLISHED.value, "Published"),
        ],
        default=PageStatus.DRAFT.value,
        description="Draft: seen only by editors and admins. Published: at its address, "
        "and in the menu where an admin put it. Pages are never in the post lists or feeds.",
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def fill(self, fields: PageFields, version: int) -> None:
        self.title.data, self.body.data = fields.title, fields.body
        self.slug.data, self.status.data = fields.slug, fields.status
        self.version.data = version

    def to_changes(self) -> PageChanges:
        return PageChanges(
            title=self.title.data or "",
            body=self.body.data or "",
            slug=self.slug.data or "",
            status=self.status.data or PageStatus.DRAFT.value,
        )


class MenuPageForm(Form):
    page = SelectField("Page", choices=[], coerce=int, validate_choice=False)
    page_label = StringField(
        "Its label in the menu",
        [Length(max=60)],
        description="Leave empty to use the page's title.",
    )


class MenuLinkForm(Form):
    label = StringField("Label", [DataRequired(), Length(max=60)])
    url = StringField(
        "Address",
        [DataRequired(), Length(max=1000)],
        description="A page of this site (/archive) or another site (https://...).",
    )


class MenuMoveForm(Form):
    """A link's Up, Down or Remove button: the link's place in the menu."""

    index = IntegerField(validators=[NumberRange(min=0, max=1000)])


class IdentityForm(Form):
    """The icon and logo uploads; each has its own button."""

    icon = FileField(
        "Site icon",
        description="A square image of at least 512 pixels each way works best (its middle "
        "square is used): JPEG, PNG, WebP or GIF.",
    )
    logo = FileField(
        "Logo", description="Shown in the header beside the site's title, at most 48 pixels high."
    )
