"""Template helpers build the same URLs Flask would."""

from __future__ import annotations

import pytest
from flask import url_for

from inkstand.templating import link


@pytest.mark.parametrize(
    ("endpoint", "name", "value"),
    [
        ("blog.show", "slug", "hello-world"),
        ("blog.tag", "name", "données"),
        ("blog.tag", "name", "日本語"),
        ("blog.author", "username", "Ada_L-1"),
        ("comments.reply", "comment_id", 7),
        ("comments.edit", "comment_id", 2147483647),
    ],
)
def test_link_matches_url_for(app, endpoint, name, value):
    with app.test_request_context("/"):
        assert link(endpoint, **{name: value}) == url_for(endpoint, **{name: value})
        assert link(endpoint, **{name: value}) == url_for(endpoint, **{name: value})
