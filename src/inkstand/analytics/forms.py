"""The dashboard's range form: a GET form (it changes nothing, so it has no CSRF
token); shape checks only, the range rules live in reading.day_range."""

from __future__ import annotations

from typing import Any

from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional

from inkstand.analytics.reading import PRESETS
from inkstand.forms import Form


class RangeForm(Form):
    class Meta(Form.Meta):
        csrf = False

    days = SelectField(
        "Last",
        [Optional()],
        choices=[SelectChoice(str(n), f"{n} days") for n in PRESETS],
        default=str(PRESETS[1]),
    )
    first = DateField("From", [Optional()])
    last = DateField("To", [Optional()])

    def range_arguments(self) -> dict[str, Any]:
        """The arguments of reading.day_range this form asks for."""
        custom = self.first.data is not None or self.last.data is not None
        return {
            "days": None if custom else int(self.days.data or PRESETS[1]),
            "first": self.first.data,
            "last": self.last.data,
        }
