"""Profiles and following through the RealWorld API."""

from __future__ import annotations

from inkstand.accounts import services as accounts
from inkstand.extensions import db
from tests.api.realworld.calls import errors


def test_a_profile_needs_no_token(api, factory):
    factory.user("author", username="ada", bio="")
    response = api.get("/profiles/ADA")
    assert response.status_code == 200
    assert response.get_json() == {
        "profile": {"username": "ada", "bio": "", "image": "", "following": False}
    }


def test_a_missing_profile_is_404(api, factory):
    assert api.get("/profiles/nobody").status_code == 404
    assert errors(api.post("/profiles/nobody/follow", factory.user()))


def test_follow_and_unfollow(api, factory):
    factory.user("author", username="ada")
    reader = factory.user("reader")
    response = api.post("/profiles/ada/follow", reader)
    assert response.status_code == 200
    assert response.get_json()["profile"]["following"] is True
    assert api.get("/profiles/ada", reader).get_json()["profile"]["following"] is True
    assert api.get("/profiles/ada").get_json()["profile"]["following"] is False
    response = api.delete("/profiles/ada/follow", reader)
    assert response.get_json()["profile"]["following"] is False
    assert accounts.following_ids(db.session, reader, [reader.id]) == set()


def test_following_needs_a_token(api, factory):
    factory.user("author", username="ada")
    assert api.post("/profiles/ada/follow").status_code == 401
    assert api.delete("/profiles/ada/follow").status_code == 401


def test_following_oneself_is_422(api, factory):
    ada = factory.user("author", username="ada")
    response = api.post("/profiles/ada/follow", ada)
    assert response.status_code == 422
    assert errors(response)


def test_a_profile_costs_one_query_and_one_for_the_caller(api, factory, queries):
    factory.user("author", username="ada")
    reader = factory.user("reader")
    queries.clear()
    assert api.get("/profiles/ada").status_code == 200
    assert len(queries) == 1
    queries.clear()
    assert api.get("/profiles/ada", reader).status_code == 200
    assert len(queries) == 2
