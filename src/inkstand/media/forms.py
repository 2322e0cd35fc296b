"""The upload form: shape only; the image is judged by media.services."""

from __future__ import annotations

from flask_wtf.file import FileField

from inkstand.forms import Form


class UploadForm(Form):
    image = FileField("Image", description="JPEG, PNG, WebP or GIF.")


class AvatarForm(Form):
    image = FileField(
        "Avatar", description="JPEG, PNG, WebP or GIF; shown round, beside your name."
    )
