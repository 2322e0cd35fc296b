"""Test helpers: factories for data, CSRF-aware form posting and logging in."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime
from email.message import EmailMessage
from itertools import count
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, BaseConverter, IntegerConverter, Rule
from werkzeug.test import TestResponse

from inkstand import runtime
from inkstand.accounts import services as accounts
from inkstand.accounts.models import Role, User
from inkstand.blog import services as blog
from inkstand.blog.models import Post, Status
from inkstand.comments import services as comments
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                   r'name="csrf_token" value="([^"]+)"')  # fmt: skip
_serial = count(1)


def csrf_token(client: FlaskClient, page: str = "/login", **kwargs: Any) -> str:
    """A valid CSRF token for ``client``'s session, read from a form on ``page``."""
    html = client.get(page, **kwargs).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {page}"
    return match[1] or match[2]


def submit(
    client: FlaskClient, url: str, data: dict[str, Any] | None = None, *, page: str | None = None,
    **kwargs: Any,
) -> TestResponse:  # fmt: skip
    """POST a form the way a browser does: with the token from the form's page."""
    # The form's page is read the way the form is sent: on the same host, with the same headers.
    where = {name: kwargs[name] for name in ("base_url", "headers") if name in kwargs}
    token = csrf_token(client, page or "/login", **where)
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> TestResponse:
    response = submit(client, "/login", {"login": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


class Factory:
    """Makes users, posts and comments through the real services."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def user(self, role: Role | str = Role.AUTHOR, username: str | None = None, **kw: Any) -> User:
        name = username or f"user{next(_serial)}"
        user = accounts.register(
            db.session, runtime.get().passwords, name, kw.pop("email", f"{name}@example.com"),
            kw.pop("password", PASSWORD), registration_open=True, new_account_role=Role(role).value,
        )  # fmt: skip
        if user.role != Role(role):  # the first account is always admin
            user.role = Role(role).value
            db.session.commit()
        return user

    def post(
        self, author: User, title: str | None = None, *, status: str = Status.PUBLISHED.value,
        now: datetime | None = None, **kw: Any,
    ) -> Post:  # fmt: skip
        data = blog.PostInput(
            title=title or f"Post number {next(_serial)}",
            body=kw.pop("body", "Some *Markdown* text.\n\nA second paragraph."),
            status=status,
            **kw,
        )
        return blog.create_post(db.session, author, data, now or utcnow(), 100_000)

    def comment(
        self, author: User, post: Post, body: str | None = None, *, parent: Comment | None = None,
        policy: str = "open", now: datetime | None = None,
    ) -> Comment:  # fmt: skip
        """A comment as ``author`` posts it under ``policy``: "hold_all" makes a held one."""
        data = comments.CommentInput(
            body=body or f"Comment number {next(_serial)}", parent_id=parent.id if parent else None
        )
        rules = comments.SpamRules(min_seconds=0, max_links=10)
        return comments.post_comment(
            db.session, author, post.id, data, now or utcnow(), policy, rules
        )


class Outbox:
    """The mail the app wrote to instance/outbox/ (no MAIL_SERVER in tests); emptied
    when made."""

    def __init__(self, app: Flask) -> None:
        self.folder = Path(app.instance_path) / "outbox"
        for path in self.folder.glob("*.eml"):
            path.unlink()

    def messages(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(self.folder.glob("*.eml"))
        ]


def _any_value(converter: BaseConverter) -> str | int:
    """A value a route argument takes: 1 for a number, one of a choice's words, else a word."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return min(converter.items)
    return "x"


def any_url(app: Flask, rule: Rule, method: str) -> str:
    """A URL that reaches ``rule`` by ``method``, its arguments filled by their kind
    (1 for a number, a word otherwise): for walks that need a route, not an object."""
    values = {name: _any_value(rule._converters[name]) for name in rule.arguments}
    adapter = app.url_map.bind("inkstand.test")
    url = adapter.build(rule.endpoint, values, method=method)
    matched, _ = adapter.match(url, method=method, return_rule=True)
    assert matched.rule == rule.rule, url  # OPTIONS may pick a sibling rule of the same path
    return url
