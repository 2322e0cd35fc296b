"""Whatever JSON arrives, the RealWorld API answers 4xx JSON or success, never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=8,
)  # fmt: skip
FIELDS = ["username", "email", "password", "bio", "image", "title", "description", "body",
          "tagList"]  # fmt: skip
MEMBER = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, JSON))
ROUTES = [
    ("POST", "/users", "user"),
    ("POST", "/users/login", "user"),
    ("PUT", "/user", "user"),
    ("POST", "/articles", "article"),
    ("PUT", "/articles/{slug}", "article"),
    ("POST", "/articles/{slug}/comments", "comment"),
]


@pytest.mark.parametrize(("method", "path", "name"), ROUTES)
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(inner=MEMBER | JSON, wrapped=st.booleans())
def test_any_json_gets_a_json_answer_below_500(api, factory, method, path, name, inner, wrapped):
    author = factory.user("author", username=None)
    post = factory.post(author)
    body = {name: inner} if wrapped else inner
    response = api.call(method, path.format(slug=post.slug), author, json=body)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.is_json


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/nothing-here", 404),
        ("GET", "/api/articles/a/b/c", 404),
        ("PATCH", "/api/user", 405),
        ("DELETE", "/api/tags", 405),
    ],
)
def test_addresses_without_a_route_answer_in_the_api_s_json(client, method, path, status):
    """No route matched, so no blueprint saw the error; the answer is still JSON."""
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.get_json()["errors"]["body"]
