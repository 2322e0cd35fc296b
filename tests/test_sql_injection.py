"""SQL injection: text that looks like SQL is only ever data. Every query is an
SQLAlchemy expression with bound parameters, so these payloads find nothing, break
nothing and are stored as written."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.extensions import db
from tests.helpers import Factory, login, stored, submit

PAYLOADS = [
    "' OR '1'='1",
    "x'; DROP TABLE posts; --",
    '" OR 1=1 --',
    "1 UNION SELECT password_hash FROM users",
    "%' AND 1=0 UNION SELECT NULL --",
]


@pytest.fixture
def published(factory: Factory) -> Post:
    return factory.post(factory.user("author", "writer"), "A post", tags="news")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_addresses_find_nothing(client: FlaskClient, published: Post, payload: str):
    quoted = quote(payload, safe="")
    for url in (f"/posts/{quoted}", f"/tags/{quoted}", f"/authors/{quoted}"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_in_api_filters_find_nothing(client: FlaskClient, published: Post, payload: str):
    for name in ("tag", "author"):
        response = client.get("/api/v1/posts", query_string={name: payload})
        assert response.status_code in {200, 422}, name
        if response.status_code == 200:
            assert response.get_json()["posts"] == []
    response = client.get("/api/articles", query_string={"tag": payload, "author": payload})
    assert response.status_code == 200
    assert response.get_json()["articles"] == []


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_payload_as_a_log_in_name_logs_nobody_in(
    client: FlaskClient, published: Post, payload: str
):
    before = stored()
    response = submit(client, "/login", {"login": payload, "password": payload})
    assert response.status_code == 422
    assert "Log out" not in response.get_data(as_text=True)
    assert stored() == before


def test_a_payload_is_stored_as_written(client: FlaskClient, factory: Factory, published: Post):
    login(client, factory.user("author", "ada"))
    title = PAYLOADS[1]
    form = {"title": title, "body": PAYLOADS[0], "status": "published"}
    response = submit(client, "/write", form, page="/write")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Post.id))) == 2
    assert db.session.scalar(select(Post.body_source).where(Post.title == title)) == PAYLOADS[0]
    assert db.session.scalar(select(func.count(User.id))) == 2  # writer and ada
