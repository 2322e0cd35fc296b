"""The base form every Inkstand form extends."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from inkstand.exceptions import Invalid


def _strip_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


class Form(FlaskForm):
    """A CSRF-protected form that drops NUL characters no database stores."""

    class Meta(FlaskForm.Meta):
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
