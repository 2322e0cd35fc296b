"""Comment test fixtures: send a page's comment form as a browser would."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_FORM = re.compile(
    r'<form method="post" action="([^"]+)" class="stack comment-form".*?</form>', re.S
)
_HIDDEN = re.compile(r'name="([^"]+)" type="hidden" value="([^"]*)"')

SendComment = Callable[..., TestResponse]


def comment_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the comment form on a page."""
    form = _FORM.search(page)
    assert form, "no comment form on the page"
    return html.unescape(form[1]), {k: html.unescape(v) for k, v in _HIDDEN.findall(form[0])}


@pytest.fixture
def send_comment(client: FlaskClient) -> SendComment:
    """Open ``page`` and send its comment form with ``body`` (and any field changed)."""

    def send(page: str, body: str, **changes: Any) -> TestResponse:
        action, fields = comment_form(client.get(page).get_data(as_text=True))
        return client.post(action, data={**fields, "body": body, "website": "", **changes})

    return send
