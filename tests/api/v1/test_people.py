"""Tags, profiles and the calling account through the native API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inkstand.db import utcnow
from tests.helpers import assert_problem, bulk_posts


def test_tags_of_published_posts_are_listed_with_their_counts(call, factory, queries):
    author = factory.user()
    factory.post(author, tags="python, web")
    factory.post(author, tags="python")
    factory.post(author, "Draft", tags="secret", status="draft")
    factory.post(author, "Later", tags="soon", publish_at=utcnow() + timedelta(days=1))
    queries.clear()
    response = call("GET", "/api/v1/tags")
    assert response.get_json() == {
        "tags": [{"name": "python", "post_count": 2}, {"name": "web", "post_count": 1}]
    }
    assert len(queries) == 3  # the content version, the tags, the next scheduled post
    queries.clear()
    assert call("GET", "/api/v1/tags").get_json() == response.get_json()
    assert len(queries) == 1  # the tags kept under the content version


def test_a_profile_shows_public_fields_only(call, factory):
    user = factory.user(username="ada")
    response = call("GET", "/api/v1/users/ADA")
    assert response.status_code == 200
    body = response.get_json()
    assert body["username"] == "ada"
    assert set(body) == {
        "username", "display_name", "bio", "image_url", "avatar_url", "created_at"
    }  # fmt: skip
    assert user.email not in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["nobody", "x" * 300, "%C3%A9"])
def test_a_missing_profile_is_not_found(call, name):
    assert_problem(call("GET", f"/api/v1/users/{name}"), 404, "not-found")


@pytest.mark.parametrize("scope", ["read", "read-write"])
@pytest.mark.parametrize("role", ["reader", "author", "editor", "admin"])
def test_me_names_the_tokens_account_and_scope(call, factory, token_for, role, scope):
    user = factory.user(role)
    body = call("GET", "/api/v1/me", token_for(user, scope)).get_json()
    assert (body["username"], body["email"], body["role"]) == (user.username, user.email, role)
    assert body["token"]["scope"] == scope
    assert body["token"]["prefix"].startswith("ink_")


def test_me_needs_a_token(call, client, factory):
    assert_problem(call("GET", "/api/v1/me"), 401, "unauthorized")
    assert_problem(call("GET", "/api/v1/me", "ink_nope"), 401, "unauthorized")


def test_single_reads_cost_the_same_however_much_there_is(call, factory, token_for, queries):
    author = factory.user(username="ada")
    post = factory.post(author, "Measured", tags="a, b")
    token = token_for(author, "read")
    call("GET", "/api/v1/me", token)  # the first use is recorded; later ones are not
    urls = [f"/api/v1/posts/{post.id}", "/api/v1/posts/by-slug/measured", "/api/v1/users/ada",
            "/api/v1/me", "/api/v1/tags"]  # fmt: skip

    def counts() -> list[int]:
        found = []
        for url in urls:
            queries.clear()
            assert call("GET", url, token).status_code == 200, url
            found.append(len(queries))
        return found

    few = counts()
    # the token, then one query (none more for /me; for the tags, counted once per
    # content version: the version, the tags and the next scheduled post)
    assert few == [2, 2, 2, 1, 4]
    bulk_posts(author, 30)
    for _ in range(5):
        factory.comment(factory.user("reader"), post)
    assert counts() == few
