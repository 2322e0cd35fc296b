"""Comment test fixtures: send a page's comment form as a browser would."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.helpers import SendComment, comment_form


@pytest.fixture
def send_comment(client: FlaskClient) -> SendComment:
    """Open ``page`` and send its comment form with ``body`` (and any field changed)."""

    def send(page: str, body: str, **changes: Any) -> TestResponse:
        action, fields = comment_form(client.get(page).get_data(as_text=True))
        return client.post(action, data={**fields, "body": body, "website": "", **changes})

    return send
