"""Post forms: shape checks only; the rules live in blog.services.posts."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SearchField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from inkstand.blog.models import Status
from inkstand.blog.reading import SORTS, STATES, ManageQuery
from inkstand.blog.services.bulk import ACTIONS
from inkstand.blog.services.posts import KEEP, Keep, PostChanges, PostFields
from inkstand.forms import Form


class PreviewForm(Form):
    """The body the editor's live preview renders (CSRF-checked like every POST)."""

    body = TextAreaField("Body")


class AutosaveForm(Form):
    """What the editor's script autosaves: the text fields as typed, and the version."""

    title = StringField("Title")
    body = TextAreaField("Body")
    excerpt = TextAreaField("Excerpt")
    tags = StringField("Tags")
    version = IntegerField(validators=[DataRequired(), NumberRange(min=1)])


class PostForm(Form):
    title = StringField("Title", [DataRequired(), Length(max=200)])
    body = TextAreaField("Body (Markdown)", [DataRequired()])
    tags = StringField("Tags", [Length(max=500)], description="Separate tags with commas.")
    excerpt = TextAreaField(
        "Excerpt", [Length(max=500)], description="Leave empty to use the first paragraph."
    )
    slug = StringField(
        "Address", [Length(max=120)], description="Leave empty to make one from the title."
    )
    status = SelectField(
        "State",
        choices=[
            SelectChoice(Status.DRAFT.value, "Draft"),
            SelectChoice(Status.PUBLISHED.value, "Published (or scheduled, with a future time)"),
            SelectChoice(Status.ARCHIVED.value, "Archived"),
        ],
        default=Status.DRAFT.value,
        description="Draft: seen only by you and the editors. Published: on the site, or "
        "scheduled with a future time. Archived: off the home page, lists, feeds and search, "
        "taking no new comments, but its address still works for anyone with the link.",
    )
    publish_at = DateTimeLocalField(
        "Publication time (UTC)",
        [Optional()],
        format=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],  # shown to the second
        description="Leave empty to publish now. A future time schedules the post.",
    )
    comments_closed = BooleanField("Close comments on this post")
    meta_title = StringField(
        "Title for search engines", [Length(max=200)], description="Leave empty to use the title."
    )
    meta_description = TextAreaField(
        "Description for search engines",
        [Length(max=500)],
        description="Leave empty to use the excerpt.",
    )
    canonical_url = URLField(
        "Canonical address",
        [Length(max=1000)],
        description="If the post was first published elsewhere, its address there.",
    )
    featured = BooleanField("Feature this post at the top of the home page")
    coauthors = StringField(
        "Co-authors",
        [Length(max=500)],
        description="Usernames of writers who co-wrote it, separated by commas.",
    )
    cover = FileField("Cover image", description="JPEG, PNG, WebP or GIF; shown above the post.")
    remove_cover = BooleanField(
        "Remove the cover image", description="Its description and caption are kept."
    )
    # Lengths and characters are the service's to check (posts.cover_text_errors).
    cover_alt = StringField(
        "Cover description (alt text)",
        description="What the image shows, for readers who cannot see it.",
    )
    cover_caption = StringField(
        "Cover caption", description="Shown under the cover; leave empty for none."
    )
    image = FileField(
        "Image for the body", description="Uploaded, then its Markdown is added to the body."
    )
    insert_image = SubmitField("Upload and add to the body")
    # The post's version the form was filled from: a save over a newer one is refused.
    version = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0)])
    # Sent by the "save over theirs" button after a refusal: the version then shown.
    overwrite = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(min=0)])

    def fill(self, fields: PostFields, version: int | None = None) -> None:
        """Show a post's editable fields (posts.editable), read at ``version``."""
        self.version.data = version
        self.title.data, self.body.data, self.slug.data = fields.title, fields.body, fields.slug
        self.excerpt.data = fields.excerpt
        self.tags.data = ", ".join(fields.tags)
        self.status.data = fields.status
        moment = fields.publish_at
        self.publish_at.data = moment.replace(tzinfo=None) if moment else None
        self.comments_closed.data = fields.comments_closed
        self.cover_alt.data, self.cover_caption.data = fields.cover_alt, fields.cover_caption
        self.meta_title.data = fields.meta_title
        self.meta_description.data = fields.meta_description
        self.canonical_url.data = fields.canonical_url
        self.featured.data = fields.featured
        self.coauthors.data = ", ".join(fields.coauthors)

    def based_on(self) -> int | None:
        """The version these fields change: the one shown after a refusal if the writer
        chose to save over it, else the one the form was filled from."""
        chosen = self.overwrite.data if self.overwrite.data is not None else self.version.data
        return chosen if isinstance(chosen, int) else None

    def to_changes(
        self, cover_id: int | Keep | None = KEEP, *, with_authors: bool = True
    ) -> PostChanges:
        """Every field as sent: an empty time is no time (now, when published). The
        cover is the view's to give (an upload, a removal, or as it was); the co-authors
        are left as they are when the form did not show them (``with_authors``)."""
        moment = self.publish_at.data
        names = (name.strip() for name in (self.coauthors.data or "").split(","))
        coauthors = [name for name in names if name] if with_authors else KEEP
        return PostChanges(
            title=self.title.data or "",
            body=self.body.data or "",
            status=self.status.data or Status.DRAFT.value,
            slug=self.slug.data or "",
            excerpt=self.excerpt.data or "",
            tags=(self.tags.data or "").split(","),
            publish_at=moment.replace(tzinfo=UTC) if isinstance(moment, datetime) else None,
            comments_closed=bool(self.comments_closed.data),
            cover_id=cover_id,
            cover_alt=self.cover_alt.data or "",
            cover_caption=self.cover_caption.data or "",
            meta_title=self.meta_title.data or "",
            meta_description=self.meta_description.data or "",
            canonical_url=self.canonical_url.data or "",
            featured=bool(self.featured.data),
            coauthors=coauthors,
        )


class ManageForm(Form):
    """The writers' list's filters and sort: a GET form (it changes nothing, so it has
    no CSRF token); the rules live in blog.reading.manageable."""

    class Meta(Form.Meta):
        csrf = False

    state = SelectField(
        "State",
        [Optional()],
        choices=[SelectChoice("", "Any state"), *(SelectChoice(s, s.capitalize()) for s in STATES)],
        default="",
    )
    tag = StringField("Tag", [Optional(), Length(max=40)])
    author = StringField("Author's username", [Optional(), Length(max=30)])
    title = SearchField("Title contains", [Optional(), Length(max=200)])
    sort = SelectField(
        "Sort by",
        [Optional()],
        choices=[SelectChoice(k, label) for k, label in SORTS.items()],
        default="updated",
    )

    def to_query(self) -> ManageQuery:
        return ManageQuery(
            state=self.state.data or None,
            tag=(self.tag.data or "").strip() or None,
            author=(self.author.data or "").strip().lstrip("@") or None,
            title=(self.title.data or "").strip() or None,
            sort=self.sort.data or "updated",
        )

    def arguments(self) -> dict[str, str]:
        """The filters in use, for links to other pages of the same list."""
        query = self.to_query()
        sent = {
            "state": query.state, "tag": query.tag, "author": query.author, "title": query.title,
            "sort": query.sort if query.sort != "updated" else None,
        }  # fmt: skip
        return {name: value for name, value in sent.items() if value}


class BulkForm(Form):
    """The confirmation of a bulk action (the posts are the ``ids`` sent with it)."""

    action = SelectField(
        "Action", [DataRequired()], choices=[SelectChoice(k, v) for k, v in ACTIONS.items()]
    )
