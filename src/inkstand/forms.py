"""The base form every Inkstand form extends."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_wtf import FlaskForm
from werkzeug.exceptions import UnsupportedMediaType

from inkstand.exceptions import Invalid

FORMS_ONLY = "Send the form as a form (application/x-www-form-urlencoded or multipart/form-data)."


def _strip_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


class Form(FlaskForm):
    """A CSRF-protected form that drops NUL characters no database stores, and reads
    only form data: Flask-WTF would also read a JSON body, whose values need not be text
    (a list for a title), which no form of the site sends."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            reads_request = formdata is not None and request.method not in {"GET", "HEAD"}
            if reads_request and request.is_json:
                raise UnsupportedMediaType(FORMS_ONLY)
            return super().wrap_formdata(form, formdata)

        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            filters = [_strip_nul, *unbound_field.kwargs.get("filters", [])]
            return unbound_field.bind(form=form, filters=filters, **options)

    def add_errors(self, error: Invalid) -> None:
        """Show a service's Invalid on the fields it names (or on the form)."""
        for name, messages in error.errors.items():
            field = self._fields.get(name)
            if field is None:
                self.form_errors.extend(messages)
            else:
                field.errors = [*field.errors, *messages]
