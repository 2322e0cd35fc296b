"""What a request carries is read one way by every door (inkstand/inputs.py): JSON
nested past a bound or holding a lone surrogate, a body that is not JSON, numbers in
other scripts' digits and ids out of the database's range all get a clear 4xx in the
door's shape, and change nothing."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from inkstand import inputs
from inkstand.accounts.models import User
from inkstand.blog.models import Post, Revision
from inkstand.db import ID_MAX
from inkstand.extensions import db
from tests.helpers import (
    PROBLEM,
    Doors,
    Factory,
    any_url,
    assert_problem,
    database_digest,
    fresh,
)

ARABIC_ONE, ARABIC_TWELVE = "\u0661", "\u0661\u0662"  # Arabic-Indic one, twelve
DEEP = "[" * 1000 + "]" * 1000  # about 2 KB
SURROGATE = "\\ud800"


@pytest.fixture
def doors(app: Flask, client: FlaskClient, factory: Factory) -> Doors:
    factory.user("admin", "boss")
    return Doors(app, client, factory.user("author", "writer"))


@pytest.fixture
def post(factory: Factory, doors: Doors) -> Post:
    author = db.session.scalar(select(User).where(User.username == "writer"))
    return factory.post(author, "Kept as it is", tags="kept")


def _json_routes(post: Post) -> list[tuple[str, str, str | None]]:
    """(method, url, who) of every route that reads a JSON body; who: the door's
    credentials, or None for a visitor."""
    return [
        ("POST", "/api/v1/posts", "v1"),
        ("PATCH", f"/api/v1/posts/{post.id}", "v1"),
        ("POST", f"/api/v1/posts/{post.id}/publish", "v1"),
        ("POST", f"/api/v1/posts/{post.id}/comments", "v1"),
        ("PATCH", "/api/v1/me", "v1"),
        ("POST", "/api/users", None),
        ("POST", "/api/users/login", None),
        ("PUT", "/api/user", "realworld"),
        ("POST", "/api/articles", "realworld"),
        ("PUT", f"/api/articles/{post.slug}", "realworld"),
        ("POST", f"/api/articles/{post.slug}/comments", "realworld"),
    ]


def _send(doors: Doors, method: str, url: str, who: str | None, data: str, **kw):
    headers = {}
    if who == "v1":
        headers["Authorization"] = f"Bearer {doors.v1_token}"
    elif who == "realworld":
        headers["Authorization"] = f"Token {doors.realworld_token}"
    kw.setdefault("content_type", "application/json")
    return doors.client.open(url, method=method, data=data, headers=headers, **kw)


def _errors(response) -> dict[str, list[str]]:
    body = response.get_json(force=True)
    if response.mimetype == PROBLEM:
        assert body["detail"]
        return body.get("errors", {})
    return body["errors"]


def test_json_nested_a_thousand_deep_is_refused_in_every_door(doors, post):
    before = database_digest()
    for method, url, who in _json_routes(post):
        response = _send(doors, method, url, who, DEEP)
        assert response.status_code == 422, (method, url, response.get_data(as_text=True))
        assert _errors(response) == {"body": [inputs.TOO_DEEP]}, url
    assert database_digest() == before


def test_json_nested_just_past_the_bound_is_refused_and_within_it_read():
    inputs.loads("[" * inputs.JSON_DEPTH + "]" * inputs.JSON_DEPTH)
    with pytest.raises(inputs.Invalid):
        inputs.loads("[" * (inputs.JSON_DEPTH + 1) + "]" * (inputs.JSON_DEPTH + 1))
    with pytest.raises(inputs.Invalid):
        inputs.loads('{"a": ' * 5000 + "1" + "}" * 5000)


@pytest.mark.parametrize("where", ["value", "key", "nested", "raw-bytes"])
def test_a_lone_surrogate_is_refused_in_every_door(doors, post, where):
    before = database_digest()
    for method, url, who in _json_routes(post):
        member = {"/api/v1": None, "/api/users": "user", "/api/user": "user",
                  "/api/articles": "article"}  # fmt: skip
        wrapper = next((v for k, v in member.items() if url.startswith(k)), None)
        wrapper = "comment" if url.endswith("/comments") and url.startswith("/api/a") else wrapper
        fields = {
            "value": f'{{"title": "a{SURROGATE}", "body": "b{SURROGATE}", "email": '
                     f'"x{SURROGATE}@example.com", "password": "p{SURROGATE}assword1"}}',
            "key": f'{{"ti{SURROGATE}tle": "a"}}',
            "nested": f'{{"tags": ["ok", "{SURROGATE}"]}}',
            "raw-bytes": '{"title": "a\xed\xa0\x80"}',
        }[where]  # fmt: skip
        data = f'{{"{wrapper}": {fields}}}' if wrapper else fields
        if where == "raw-bytes":
            body = data.encode("latin-1")
            response = _send(doors, method, url, who, body)
            assert response.status_code in {400, 422}, (url, response.status_code)
            continue
        response = _send(doors, method, url, who, data)
        assert response.status_code == 422, (method, url, response.get_data(as_text=True))
        assert any(inputs.NOT_UNICODE in m for ms in _errors(response).values() for m in ms)
    assert database_digest() == before


def test_a_surrogate_in_the_sites_json_and_query_strings_is_harmless(doors, post, client):
    """The site's forms take no JSON (415 before any is read); its query strings decode
    undecodable bytes as replacement characters, never as surrogates."""
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/write").text)
    headers = {"X-CSRFToken": token[1]} if token else {}
    before = database_digest()
    response = client.post(
        "/posts/preview", data=f'{{"body": "{SURROGATE}"}}', content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 415
    response = client.post(
        "/posts/preview", data=DEEP, content_type="application/json", headers=headers
    )
    assert response.status_code == 415
    for url in [
        "/search?q=%ED%A0%80",
        "/api/articles?tag=%ED%A0%80",
        "/api/v1/posts?tag=%ED%A0%80",
    ]:
        assert client.get(url + "%00").status_code < 500
    assert database_digest() == before


@pytest.mark.parametrize(
    "number", [ARABIC_TWELVE, "12", "1_0", "+5", " 5", "²", "0x1", "5.0", "", "1" * 50]
)
def test_whole_numbers_are_ascii_digits_only(number):
    expected = int(number) if number.isascii() and number.isdigit() and len(number) < 11 else None
    assert inputs.whole_number(number) == expected


@pytest.mark.parametrize("high", [1, 7, 9, 10, 19, 20, 99, 100, 305, 1000, 2024])
def test_the_id_pattern_matches_exactly_one_to_the_highest(high):
    pattern = re.compile(inputs.numbers_up_to(high))
    matched = {n for n in range(0, high * 10 + 2) if pattern.fullmatch(str(n))}
    assert matched == set(range(1, high + 1))
    assert not pattern.fullmatch("0" + str(high))
    assert not pattern.fullmatch(ARABIC_ONE)


def test_the_id_pattern_stops_at_the_databases_largest_integer():
    pattern = re.compile(inputs.numbers_up_to(ID_MAX))
    for n in [1, 9, 10, 999_999_999, 1_000_000_000, 2_000_000_000, ID_MAX - 1, ID_MAX]:
        assert pattern.fullmatch(str(n)), n
    for text in [str(ID_MAX + 1), "2147483650", "2200000000", "9999999999", "0", "00", "-1"]:
        assert not pattern.fullmatch(text), text


@pytest.mark.parametrize("limit", [ARABIC_TWELVE, ARABIC_ONE, "+5", "1_0", " 5", "²"])
def test_a_limit_in_other_digits_is_refused_by_both_apis(client, limit):
    assert_problem(client.get("/api/v1/posts", query_string={"limit": limit}), 422, "invalid")
    response = client.get("/api/articles", query_string={"limit": limit})
    assert response.status_code == 422
    assert "limit" in response.get_json()["errors"]


def test_numbers_in_other_digits_name_nothing_on_the_site(client, doors, post):
    assert client.get(f"/sitemaps/posts.xml?after={ARABIC_ONE}").status_code == 404
    compare = client.get(f"/posts/{post.id}/revisions/compare?from={ARABIC_ONE}&to={ARABIC_TWELVE}")
    assert compare.status_code == 302  # back to the list: no such revisions chosen
    response = doors.client.get(f"/api/v1/posts/{ARABIC_ONE}")
    assert_problem(response, 404, "not-found")
    for tag in ["v²", f"v{ARABIC_ONE}", "v+1-x", "v99999999999999999999-x"]:
        response = doors.client.patch(
            f"/api/v1/posts/{post.id}", json={"title": "New"},
            headers={"Authorization": f"Bearer {doors.v1_token}", "If-Match": f'"{tag}"'},
        )  # fmt: skip
        assert response.status_code == 412, tag


OUT_OF_RANGE = ["0", "-1", str(ID_MAX + 1), "9" * 25, "01", ARABIC_ONE]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def test_every_route_with_an_id_answers_404_for_ids_no_row_can_have(app, doors):
    """Every rule with a number in it, every method: 404 in the door's shape, never a 405
    naming the methods of rules tried on the way."""
    checked, failures = 0, []
    for rule in app.url_map.iter_rules():
        numbered = [n for n, c in rule._converters.items() if isinstance(c, IntegerConverter)]
        if not numbered or any(rule._converters[n].fixed_digits for n in numbered):
            continue
        template = any_url(app, rule, sorted(rule.methods or ())[0])  # numbers are 1
        for bad in OUT_OF_RANGE:
            url = re.sub(r"/1(?=/|$|\?|\.)", f"/{bad}", template)
            for method in METHODS:
                response = doors.client.open(url, method=method, json={})
                checked += 1
                if response.status_code != 404 or "Allow" in response.headers:
                    failures.append(f"{method} {url}: {response.status_code}")
    assert not failures, "\n".join(failures[:20])
    assert checked > 500


def test_the_api_document_states_the_range_of_every_id(client):
    document = client.get("/api/v1/openapi.json").get_json()
    ids = [
        parameter["schema"]
        for path in document["paths"].values()
        for parameter in path.get("parameters", [])
        if parameter["in"] == "path" and parameter["schema"]["type"] == "integer"
    ]
    assert ids
    assert all(s["minimum"] == 1 and s["maximum"] == ID_MAX for s in ids), ids


# Updates that change nothing, and updates without a body


def _revisions(post: Post) -> int:
    return int(
        db.session.scalar(select(func.count(Revision.id)).where(Revision.post_id == post.id))
    )


def _as_stored(post: Post) -> tuple:
    found = fresh(select(Post).where(Post.id == post.id))
    return found.version, found.updated_at, found.title, found.body_source


@pytest.mark.parametrize(
    ("door", "method", "where", "body"),
    [
        ("v1", "PATCH", "/api/v1/posts/{id}", {}),
        ("v1", "PATCH", "/api/v1/posts/{id}", {"title": "Kept as it is"}),
        ("v1", "PATCH", "/api/v1/posts/{id}", {"title": "  Kept as it is ", "tags": ["Kept"]}),
        ("v1", "POST", "/api/v1/posts/{id}/publish", {}),  # published already, its time come
        ("v1", "PATCH", "/api/v1/me", {}),
        ("realworld", "PUT", "/api/articles/{slug}", {"article": {}}),
        ("realworld", "PUT", "/api/articles/{slug}", {"article": {"title": "Kept as it is"}}),
        ("realworld", "PUT", "/api/user", {"user": {}}),
    ],
)
def test_an_update_that_changes_nothing_records_nothing(doors, post, door, method, where, body):
    revisions, stored = _revisions(post), _as_stored(post)
    before = database_digest()
    url = where.format(id=post.id, slug=post.slug)
    response = getattr(doors, door)(method, url, body)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (_revisions(post), _as_stored(post)) == (revisions, stored)
    assert database_digest() == before


def test_saving_the_edit_form_unchanged_records_nothing(doors, post):
    revisions, stored = _revisions(post), _as_stored(post)
    response = doors.form(f"/posts/{post.id}/edit")
    assert response.status_code == 302
    assert (_revisions(post), _as_stored(post)) == (revisions, stored)
    assert doors.form(f"/posts/{post.id}/edit", title="Changed").status_code == 302
    assert _revisions(post) == revisions + 1


@pytest.mark.parametrize("door", ["v1", "realworld"])
def test_an_update_without_a_body_names_it_and_one_not_in_json_is_415(doors, post, door):
    before = database_digest()
    if door == "v1":
        url, method, auth = f"/api/v1/posts/{post.id}", "PATCH", f"Bearer {doors.v1_token}"
        text = '{"title": "Sent as text"}'
    else:
        url, method, auth = f"/api/articles/{post.slug}", "PUT", f"Token {doors.realworld_token}"
        text = '{"article": {"title": "Sent as text"}}'
    headers = {"Authorization": auth}
    missing = doors.client.open(url, method=method, headers=headers)
    assert missing.status_code == 422
    assert "body" in _errors(missing)
    for content_type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]:
        response = doors.client.open(
            url, method=method, headers=headers, data=text, content_type=content_type
        )
        assert response.status_code == 415, (content_type, response.status_code)
        assert "JSON" in response.get_data(as_text=True)
    assert database_digest() == before


def test_the_sites_forms_refuse_a_json_body(client, doors, post):
    """Flask-WTF would read a JSON body into a form, values of any type (a list for a
    title); no form of the site sends JSON, so it is refused whole."""
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/write").text)
    headers = {"X-CSRFToken": token[1]} if token else {}
    before = database_digest()
    for url in ["/write", f"/posts/{post.id}/edit", "/settings", "/posts/preview",
                f"/posts/{post.id}/autosave", f"/posts/{post.id}/comments", "/moderation",
                "/settings/tokens"]:  # fmt: skip
        for body in [{"title": [1], "body": {"a": 1}, "tags": 5}, [1, 2], "text", 5]:
            response = client.post(url, json=body, headers=headers)
            assert response.status_code == 415, (url, body, response.status_code)
    assert database_digest() == before


@pytest.mark.parametrize(
    "url",
    [
        f"/?before={ARABIC_TWELVE}-{ARABIC_ONE}",
        f"/?after=1-{ARABIC_ONE}",
        f"/archive?before={ARABIC_TWELVE * 2}-{ARABIC_TWELVE}",
    ],
)
def test_page_cursors_in_other_digits_are_refused(client, doors, url):
    response = client.get(url)
    assert response.status_code == 400
