"""No request reaches a 500, and no refused request changes the database.

Hypothesis walks the app's URL map (every rule, every method it accepts: enumerated, so
a route added tomorrow is walked the day it exists) and sends hostile path arguments,
query strings, bodies and headers: deep nesting, lone surrogates, NUL, huge numbers,
other scripts' digits, wrong types and content types, empty bodies, oversized strings,
forged hosts. It calls as a visitor and as a logged-in author (the site's session with a
valid CSRF token, a native API token, a RealWorld JWT), on both engines. An answer is
never a 5xx; a 4xx leaves every table as it was (a digest of the rows before and after).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

from inkstand.accounts import tokens
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.db import ID_MAX, utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import Factory, csrf_token, database_digest, login, separate_app

MANY = "100000 per minute"
EXAMPLES = 120  # per caller and engine: a few hundred requests in all, seconds each

# Values no door expects, for every kind of place a request carries text.
HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "x" * 5000, "\u0661\u0662", "\u00b2", "-1", "0",
    "1e999", "NaN", str(ID_MAX + 1), "9" * 40, "<script>alert(1)</script>", "' OR 1=1 --",
    "../../etc/passwd", "%00", "%ED%A0%80", "\u202e", "\U0001f389", "null", "true", "[]", "{}",
]  # fmt: skip
HOSTILE_NUMBERS = [0, -1, ID_MAX + 1, 10**40, 1.5, True, None, "1", "\u0661"]
# The names most forms and bodies read first: half of the names drawn are among them.
COMMON_FIELDS = ["title", "body", "tags", "status", "login", "password", "email", "username",
                 "display_name", "bio", "name", "scope", "version"]  # fmt: skip
FIELDS = [
    *COMMON_FIELDS, "slug", "excerpt", "publish_at", "comments_closed", "parent_id", "image",
    "image_url", "tagList", "description", "cover_id", "cover_alt", "cover_caption", "role",
    "action", "ids",
    "current_password", "new_password", "remember", "website", "stamp", "comment_policy",
    "posts_per_page", "q",
]  # fmt: skip
field_names = st.sampled_from(COMMON_FIELDS) | st.sampled_from(FIELDS)
ARGUMENTS = [
    "limit", "offset", "cursor", "before", "after", "q", "tag", "author", "state", "from",
    "to", "status", "next", "favorited", "table", "start", "end", "saved",
]  # fmt: skip
WRAPPERS = ["user", "article", "comment"]

texts = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=40)
leaves = texts | st.sampled_from(HOSTILE_NUMBERS) | st.integers() | st.floats(allow_nan=False)
documents = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(field_names | st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=10,
)
objects = st.dictionaries(field_names, documents, max_size=8)
json_bodies = (
    objects.map(json.dumps)
    | st.tuples(st.sampled_from(WRAPPERS), objects).map(lambda w: json.dumps({w[0]: w[1]}))
    | st.sampled_from(
        [
            "[" * 1000 + "]" * 1000,  # nested past any parser's recursion
            '{"title": "\\ud800", "body": "\\udfff", "user": {"email": "\\ud800"}}',
            '{"article": {"title": "\\ud800x", "description": "d", "body": "b"}}',
            '{"title": 1e999, "body": -1e999}',
            '{"limit": ' + "9" * 5000 + "}",
            "NaN",
            "{",
            "",
            "null",
            "[]",
            '"text"',
            '{"title": "a"}{"title": "b"}',
        ]
    )
)


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of the test client's open() for a body, of any kind."""
    kind = draw(st.sampled_from(["none", "json", "json-as-text", "form", "raw", "multipart"]))
    if kind == "none":
        return {}
    if kind in {"json", "json-as-text"}:
        content_type = "application/json" if kind == "json" else "text/plain"
        return {"data": draw(json_bodies).encode("utf-8", "surrogatepass"),
                "content_type": content_type}  # fmt: skip
    if kind == "form":
        form = draw(st.dictionaries(field_names, texts, max_size=8))
        return {"data": {k: v.encode("utf-8", "surrogatepass") for k, v in form.items()}}
    if kind == "multipart":
        return {"data": {"image": (io.BytesIO(b"\x89PNG not really"), "x.png"),
                         "title": draw(texts).encode("utf-8", "surrogatepass")},
                "content_type": "multipart/form-data"}  # fmt: skip
    raw = draw(st.binary(max_size=200) | st.sampled_from([b"\xed\xa0\x80", b"\xff\xfe"]))
    return {"data": raw, "content_type": draw(st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "application/octet-stream"]
    ))}  # fmt: skip


@dataclass
class World:
    """What the walk calls with: the author's credentials, and things that exist."""

    app: Flask
    session_cookie: str
    visitor_cookie: str
    author_csrf: str
    visitor_csrf: str
    v1_token: str
    realworld_token: str
    digest: dict[str, str] | None = None  # the tables as the last refused request left them


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    return sorted(
        ((rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
         for method in sorted(rule.methods or ())),
        key=lambda pair: (pair[0].rule, pair[1]),
    )  # fmt: skip


@pytest.fixture(scope="module")
def world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with separate_app(
        tmp_path_factory.mktemp("hostile"), database_url,
        **dict.fromkeys((
            "API_LIMITS", "API_LIMITS_PER_ADDRESS", "COMMENT_LIMITS_PER_ACCOUNT",
            "COMMENT_LIMITS_PER_ADDRESS", "LOGIN_LIMITS_PER_ACCOUNT", "LOGIN_LIMITS_PER_ADDRESS",
            "PREVIEW_LIMITS_PER_ACCOUNT", "AUTOSAVE_LIMITS_PER_ACCOUNT",
            "REGISTER_LIMITS_PER_ADDRESS", "PASSWORD_RESET_LIMITS_PER_ADDRESS",
            "ADDRESS_CHANGE_LIMITS_PER_ACCOUNT", "LIVE_LIMITS_PER_ADDRESS"), MANY),
        LIVE_POLL_SECONDS=0, LIVE_STREAM_SECONDS=0,
    ) as app:  # fmt: skip
        factory = Factory(app)
        author = factory.user("admin", "writer")
        site.update(db.session, author, comment_policy="open")
        _replenish(factory, author)
        author_client, visitor_client = app.test_client(), app.test_client()
        login(author_client, author)
        author_csrf = csrf_token(author_client, "/write")
        visitor_csrf = csrf_token(visitor_client, "/login")
        yield World(
            app=app,
            session_cookie=author_client.get_cookie("session", domain="inkstand.test").value,
            visitor_cookie=visitor_client.get_cookie("session", domain="inkstand.test").value,
            author_csrf=author_csrf,
            visitor_csrf=visitor_csrf,
            v1_token=tokens.create(db.session, author, "walk", "read-write", utcnow())[1],
            realworld_token=app.extensions["inkstand.realworld"].issue(author, utcnow()),
        )


def _replenish(factory: Factory, author: User) -> Post:
    """A published post with a comment, whatever earlier requests deleted."""
    post = db.session.scalar(select(Post).where(Post.slug == "kept"))
    if post is None:
        post = factory.post(author, "Kept", slug="kept", tags="walk")
        factory.comment(author, post, "A comment")
    return post


def _argument(draw: st.DrawFn, rule: Rule, name: str, post: Post) -> Any:
    converter = rule._converters[name]
    if isinstance(converter, AnyConverter):
        return draw(st.sampled_from(sorted(converter.items)))
    if isinstance(converter, IntegerConverter):
        if converter.fixed_digits == 4:
            return draw(st.sampled_from(["2026", "0000", "9999", "\u0661\u0662\u0663\u0664"]))
        if converter.fixed_digits:
            return draw(st.sampled_from(["01", "12", "00", "13", "99"]))
        return draw(st.sampled_from([str(post.id), "1", "0", str(ID_MAX), str(ID_MAX + 1),
                                     "9" * 30, "\u0661"]))  # fmt: skip
    known = {"slug": post.slug, "username": "writer", "name": "walk", "kind": "posts"}
    return draw(st.sampled_from([known.get(name, "x"), *HOSTILE_TEXT[:12]]) | st.text(max_size=20))


@st.composite
def requests(draw: st.DrawFn, routes: list[tuple[Rule, str]], post: Post) -> dict[str, Any]:
    rule, method = draw(st.sampled_from(routes))
    path = rule.rule
    for name in rule.arguments:
        value = str(_argument(draw, rule, name, post))
        quoted = value.encode("utf-8", "surrogatepass")
        escaped = "".join(
            c if c.isascii() and c.isalnum() else f"%{ord(c):02X}" for c in quoted.decode("latin-1")
        )
        path = _fill(path, name, escaped)
    query = draw(st.dictionaries(st.sampled_from(ARGUMENTS), texts, max_size=3))
    headers = draw(st.fixed_dictionaries({}, optional={
        "If-Match": st.sampled_from(['"v1-x"', '"v²"', "*", '"v' + "9" * 30 + '"', "garbage"]),
        "If-None-Match": st.sampled_from(['"x"', "*", "W/\"\""]),
        "Last-Event-ID": st.sampled_from(["1", "-1", "\u0661", "9" * 30, "\x00"]),
        "X-Forwarded-Host": st.just("evil.example"),
        "Accept": st.sampled_from(["application/json", "text/html", "*/*", "nonsense"]),
    }))  # fmt: skip
    return {
        "rule": rule.rule, "method": method, "path": path,
        "query": {k: _as_sent(v) for k, v in query.items()},
        "headers": headers, "body": draw(bodies()),
        "forged_host": draw(st.booleans().map(lambda b: b and draw(st.integers(0, 9)) == 0)),
        "with_csrf": draw(st.integers(0, 4)) > 0,  # mostly: a form's refusal is not all
    }  # fmt: skip


def _as_sent(text: str) -> str:
    """``text`` as the bytes a client would send, lone surrogates included (latin-1)."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _fill(path: str, name: str, value: str) -> str:
    """The rule's path with the argument ``name`` (``<name>``, ``<int:name>``...) replaced."""
    return re.sub(rf"<(?:[^<>]*:)?{name}>", lambda _: value, path)


def _current_post(world: World) -> Post:
    with world.app.app_context():
        current = db.session.scalar(select(Post).where(Post.slug == "kept"))
        if current is None:  # deleted by a request that was let through: written again
            author = db.session.scalar(select(User).where(User.username == "writer"))
            current = _replenish(Factory(world.app), author)
            world.digest = None
        db.session.expunge(current)
        db.session.remove()
    return current


def _walk(world: World, as_author: bool) -> None:
    app = world.app
    routes = _routes(app)
    writes = [(rule, method) for rule, method in routes if method not in READS]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(request=st.data())
    def walk(request: st.DataObject) -> None:
        current = _current_post(world)
        # Half the draws among the writes, where bodies are read.
        sent = request.draw(requests(writes, current) | requests(routes, current))
        _send(world, as_author, sent)

    walk()


def _send(world: World, as_author: bool, sent: dict[str, Any], *, digest: bool = True) -> None:
    """Send ``sent`` as the author or a visitor: no 5xx, and (unless ``digest`` is off)
    a 4xx writes nothing."""
    app = world.app
    before = world.digest
    client = app.test_client()
    client.set_cookie("session", world.session_cookie if as_author else world.visitor_cookie,
                      domain="inkstand.test")  # fmt: skip
    headers = dict(sent["headers"])
    if as_author:
        if sent["path"].startswith("/api/v1"):
            headers["Authorization"] = f"Bearer {world.v1_token}"
        elif sent["path"].startswith("/api/"):
            headers["Authorization"] = f"Token {world.realworld_token}"
    body = dict(sent["body"])
    if sent["with_csrf"]:
        token = world.author_csrf if as_author else world.visitor_csrf
        headers["X-CSRFToken"] = token
        if isinstance(body.get("data"), dict):
            body["data"] = {**body["data"], "csrf_token": token}
    base = "http://evil.example" if sent["forged_host"] else "http://inkstand.test"
    if before is None and digest:
        with app.app_context():
            before = database_digest()
            db.session.remove()
    response = client.open(
        sent["path"], method=sent["method"], query_string=sent["query"], headers=headers,
        base_url=base, **body,
    )  # fmt: skip
    status = response.status_code
    response.close()
    where = f"{sent['method']} {sent['path']} ({sent['rule']})"
    assert status < 500, f"{where}: {status} {response.get_data(as_text=True)[:300]}"
    world.digest = None  # a success may have written: read the tables again next time
    if 400 <= status < 500 and before is not None:
        with app.app_context():
            after = database_digest()
            db.session.remove()
        changed = [name for name in before if before[name] != after[name]]
        assert not changed, f"{where} answered {status} but changed {changed}"
        world.digest = after


READS = {"GET", "HEAD", "OPTIONS"}
# Bodies every write must refuse or take without a server error: values of every JSON
# type where text belongs, documents that are not objects, nesting, surrogates, forms.
SWEEP_BODIES: list[dict[str, Any]] = [
    {"data": json.dumps({name: [1, {"a": None}] for name in COMMON_FIELDS}),
     "content_type": "application/json"},
    {"data": json.dumps({w: dict.fromkeys(FIELDS, True) for w in WRAPPERS}),
     "content_type": "application/json"},
    {"data": "[1, 2]", "content_type": "application/json"},  # not an object
    {"data": "[" * 1000 + "]" * 1000, "content_type": "application/json"},
    {"data": '{"title": "\\ud800", "body": "\\ud800"}', "content_type": "application/json"},
    {"data": json.dumps({"title": "x"}), "content_type": "text/plain"},
    {"data": dict.fromkeys(FIELDS, "\u0661\u0662")},
]  # fmt: skip


def test_a_visitor_never_meets_a_server_error(world: World) -> None:
    _walk(world, as_author=False)


def test_an_author_never_meets_a_server_error(world: World) -> None:
    _walk(world, as_author=True)


def test_the_walk_reaches_every_route(world: World) -> None:
    """Every rule of the URL map is in the walk's choice, each with its methods."""
    routes = _routes(world.app)
    rules = {rule.rule for rule in world.app.url_map.iter_rules() if rule.endpoint != "static"}
    assert {rule.rule for rule, _ in routes} == rules
    assert len(routes) > 100


def _known_path(rule: Rule, current: Post) -> str:
    """The rule's path with each argument a value that exists (or a plain one)."""
    known = {"post_id": str(current.id), "slug": current.slug, "username": "writer",
             "comment_id": "1", "number": "1", "token_id": "987654", "media_id": "1",
             "user_id": "987654", "token": "x", "name": "walk", "kind": "posts",
             "year": "2026", "month": "12"}  # fmt: skip
    path = rule.rule
    for name in rule.arguments:
        path = _fill(path, name, known.get(name, "x"))
    return path


@pytest.mark.parametrize("as_author", [False, True], ids=["visitor", "author"])
def test_every_read_answers_without_a_server_error(world: World, as_author: bool) -> None:
    """Not left to chance either: every route and method that reads, plainly asked (no
    query, no body), as a visitor and as the logged-in author. Only the status is
    checked: a read writes nothing worth a digest of every table after each one."""
    reads = [(rule, method) for rule, method in _routes(world.app) if method in READS]
    for rule, method in reads:
        path = _known_path(rule, _current_post(world))
        sent = {"rule": rule.rule, "method": method, "path": path, "query": {}, "headers": {},
                "body": {}, "forged_host": False, "with_csrf": False}  # fmt: skip
        _send(world, as_author, sent, digest=False)


def test_every_write_refuses_hostile_bodies_without_writing(world: World) -> None:
    """Not left to chance: every route and method that writes, as the author with her
    credentials and the form's CSRF token, each body of SWEEP_BODIES."""
    writes = [(rule, method) for rule, method in _routes(world.app) if method not in READS]
    for rule, method in writes:
        for body in SWEEP_BODIES:
            current = _current_post(world)
            sent = {"rule": rule.rule, "method": method, "path": _known_path(rule, current),
                    "query": {}, "headers": {}, "body": body, "forged_host": False,
                    "with_csrf": True}  # fmt: skip
            _send(world, True, sent)
