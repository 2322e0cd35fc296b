"""Forms of the subscription pages: subscribing, and the admin's import."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, HiddenField
from wtforms.validators import DataRequired, Length

from inkstand.forms import Form


class SubscribeForm(Form):
    email = EmailField(
        "Your e-mail address",
        [DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )
    author = HiddenField(validators=[Length(max=40)])


class ImportForm(Form):
    file = FileField("CSV file", [FileRequired("Choose a CSV file.")])
