"""The moving page's forms: shape only; the services judge the rest."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, SelectChoice, SelectField

from inkstand.forms import Form
from inkstand.moving.services import KINDS


class ExportForm(Form):
    full = BooleanField(
        "Full backup: keep password hashes and two-factor secrets",
        description="Without it, everyone sets a new password by mail after a move.",
    )


class ImportForm(Form):
    kind = SelectField(
        "Export from", choices=[SelectChoice(value, label) for value, label in KINDS.items()]
    )
    file = FileField("Export file", description="WordPress: Tools → Export. Ghost: Settings → "
                                                "Labs → Export.")  # fmt: skip
