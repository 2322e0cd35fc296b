"""Subscribing through /api/v1 (no token, the same answer for every address, one mail
an hour) and the admins' list of subscribers."""

from __future__ import annotations

import secrets

import pytest

from inkstand.accounts.models import Role
from inkstand.extensions import db
from inkstand.site import services as site
from inkstand.subscriptions.administration import PER_PAGE
from inkstand.subscriptions.models import Subscriber
from tests.helpers import Outbox, assert_problem

URL = "/api/v1/subscriptions"


def test_anyone_subscribes_and_the_answer_never_tells(app, call, factory):
    outbox = Outbox(app)
    factory.user(Role.AUTHOR, "wren")
    first = call("POST", URL, json={"email": "Reader@Example.org"})
    assert first.status_code == 202
    again = call("POST", URL, json={"email": "reader@example.org"})
    assert again.get_json() == first.get_json()
    assert (
        call("POST", URL, json={"email": "reader@example.org", "author": "wren"}).status_code == 202
    )
    assert [m["To"] for m in outbox.messages()] == ["reader@example.org"]  # once an hour
    scopes = sorted(db.session.scalars(db.select(Subscriber.scope)))
    assert len(scopes) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "not an address"}, 422),
        ({}, 422),
        ({"email": "a@example.org", "author": "nobody"}, 404),
        ({"email": "a@example.org", "author": "no\x00body"}, 422),  # PostgreSQL refuses NUL
        ({"email": "a@example.org", "author": "line\nbreak"}, 422),
    ],
)
def test_bad_subscriptions_are_problems(call, body, status):
    response = call("POST", URL, json=body)
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"


def test_subscriptions_off_is_a_404(app, call):
    site.configure(db.session, "subscriptions_open", "no")
    assert_problem(call("POST", URL, json={"email": "a@example.org"}), 404, "not-found")


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_list_subscribers(call, token_for, role):
    assert_problem(call("GET", "/api/v1/subscribers"), 401, "unauthorized")
    assert call("GET", "/api/v1/subscribers", token_for(role.value, "read")).status_code == 403


@pytest.mark.parametrize("query", ["q=a%00b", "cursor=a%00b", "q=%1f"])
def test_a_subscriber_search_with_control_characters_is_a_problem(call, token_for, query):
    token = token_for("admin", "read")
    assert_problem(call("GET", f"/api/v1/subscribers?{query}", token), 422, "invalid")


def test_an_admin_lists_subscribers_by_pages(call, token_for):
    db.session.add_all(
        Subscriber(email=f"r{n:02d}@example.org", scope="site", key=secrets.token_urlsafe(16))
        for n in range(PER_PAGE + 1)
    )
    db.session.commit()
    token = token_for("admin", "read")
    first = call("GET", "/api/v1/subscribers", token)
    assert first.status_code == 200
    body = first.get_json()
    assert len(body["subscribers"]) == PER_PAGE
    assert 'rel="next"' in first.headers["Link"]
    second = call("GET", f"/api/v1/subscribers?cursor={body['next_cursor']}", token).get_json()
    emails = {s["email"] for s in body["subscribers"] + second["subscribers"]}
    assert len(emails) == PER_PAGE + 1
    assert second["next_cursor"] is None
    found = call("GET", "/api/v1/subscribers?q=r07", token).get_json()
    assert [s["email"] for s in found["subscribers"]] == ["r07@example.org"]
    assert call("GET", "/api/v1/subscribers?cursor=junk", token).status_code == 400
