"""Comment forms: shape checks only; the rules live in comments.services."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from wtforms import (
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from inkstand.comments.services import BODY_MAX, BULK_MAX, Action, CommentInput
from inkstand.db import ID_MAX
from inkstand.forms import Form

MARKDOWN_HELP = "Markdown: *emphasis*, **strong**, [links](https://…), `code`, > quotes and lists."


class CommentForm(Form):
    body = TextAreaField(
        "Your comment",
        [DataRequired(), Length(max=BODY_MAX)],
        id="comment-body",
        description=MARKDOWN_HELP,
    )
    parent_id = IntegerField(
        widget=HiddenInput(),
        validators=[Optional(), NumberRange(min=1, max=ID_MAX, message="No such comment.")],
    )
    stamp = HiddenField()
    # The honeypot: hidden from people by the stylesheet, filled in by form-filling scripts.
    website = StringField()

    def to_input(self, shown_at: datetime | None) -> CommentInput:
        return CommentInput(
            body=self.body.data or "",
            parent_id=self.parent_id.data,
            honeypot=self.website.data or "",
            shown_at=shown_at,
        )


class EditCommentForm(Form):
    body = TextAreaField(
        "Your comment",
        [DataRequired(), Length(max=BODY_MAX)],
        id="comment-body",
        description=MARKDOWN_HELP,
    )


class IdListField(Field):
    """Every value sent under the field's name (checkboxes), as ids."""

    data: list[int]

    def process_formdata(self, valuelist: Sequence[Any]) -> None:
        self.data = []
        try:
            self.data = [int(value) for value in valuelist]
        except ValueError as exc:
            raise ValueError("Choose comments from the list.") from exc

    def pre_validate(self, form: Any) -> None:
        if not self.data:
            raise ValidationError("Choose at least one comment.")
        if len(self.data) > BULK_MAX:
            raise ValidationError(f"Choose at most {BULK_MAX} comments at a time.")


class ModerationForm(Form):
    action = SelectField(
        "With the chosen comments",
        choices=[
            SelectChoice(Action.APPROVE.value, "Approve"),
            SelectChoice(Action.SPAM.value, "Mark as spam"),
            SelectChoice(Action.DELETE.value, "Delete"),
        ],
        validate_choice=False,  # comments.services.moderate names the actions
    )
    ids = IdListField()
    status = HiddenField()  # the queue's tab to go back to
