"""Test helpers: apps, factories for data, CSRF-aware forms, logging in, mail, bulk
posts and query budgets. Test modules import shared helpers from here, never from
another test module or a conftest."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import html
import http.client
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from itertools import count
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import redis
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from limits.storage import memory as limits_memory
from sqlalchemy import (
    Connection,
    Select,
    create_engine,
    event,
    func,
    insert,
    make_url,
    select,
    text,
)
from werkzeug.routing import AnyConverter, BaseConverter, IntegerConverter, Rule
from werkzeug.test import TestResponse

from inkstand import config, create_app, extensions, jobs, markup, runtime
from inkstand.accounts import services as accounts
from inkstand.accounts import tokens
from inkstand.accounts.models import Role, User
from inkstand.analytics import tracking
from inkstand.analytics.models import PageView
from inkstand.blog import pagecache
from inkstand.blog.models import Post, Revision, Status, Tag, post_tags
from inkstand.blog.services import posts
from inkstand.comments import services as comments
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import cache, db, limiter
from inkstand.site.models import SiteSetting

PASSWORD = "correct horse battery"
#: The longest post body a service accepts by default (the POST_BODY_MAX_CHARS setting).
POST_BODY_MAX: int = next(s.default for s in config.SETTINGS if s.name == "POST_BODY_MAX_CHARS")
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
            confirmed=kw.pop("confirmed", True),
        )  # fmt: skip
        if user.role != Role(role):  # the first account is always admin
            user.role = Role(role).value
            db.session.commit()
        return user

    def post(
        self, author: User, title: str | None = None, *, status: str = Status.PUBLISHED.value,
        now: datetime | None = None, **kw: Any,
    ) -> Post:  # fmt: skip
        changes = post_changes(
            title=title or f"Post number {next(_serial)}",
            body=kw.pop("body", "Some *Markdown* text.\n\nA second paragraph."),
            status=status,
            **kw,
        )
        return posts.create_post(db.session, author, changes, now or utcnow(), POST_BODY_MAX)

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


def change_account(user: User, **fields: Any) -> User:
    """Change ``user``'s account as she would: the fields named, the others as they are."""
    changes = accounts.AccountChanges(**fields)
    return accounts.update_account(db.session, runtime.get().passwords, user, changes)


def post_changes(**fields: Any) -> posts.PostChanges:
    """The changes named, with tags given as the edit form takes them ("a, b") or as a list."""
    if isinstance(fields.get("tags"), str):
        fields["tags"] = fields["tags"].split(",")
    return posts.PostChanges(**fields)


def change(post: Post, actor: User, **fields: Any) -> Post:
    """Save ``post`` as ``actor`` with the fields named; the others stay as they are."""
    return posts.change_post(
        db.session, actor, post.id, post_changes(**fields), utcnow(), POST_BODY_MAX
    )


class _FormReader(HTMLParser):
    """The values a browser would send from the form of a page that posts to ``target``."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target
        self.values: dict[str, str] = {}
        self.done = False
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        name = found.get("name", "")
        if self.done:
            return
        if tag == "form" and found.get("action", self.target) in {"", self.target}:
            self._inside, self.values = True, {}
        elif not self._inside or (not name and tag != "option"):
            return
        elif tag == "input" and found.get("type") not in {"submit", "button", "checkbox"}:
            self.values[name] = found.get("value", "")
        elif tag == "input" and "checked" in found:
            self.values[name] = found.get("value", "y")
        elif tag == "textarea":
            self._textarea, self.values[name] = name, ""
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in found or self._select not in self.values)
        ):
            self.values[self._select] = found.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._inside:
            self._inside, self.done = False, True


def form_values(client: FlaskClient, page: str) -> dict[str, str]:
    """What a browser sends from the form on ``page`` (the one posting to the page itself)
    when nothing is changed in it."""
    reader = _FormReader(page)
    reader.feed(client.get(page).get_data(as_text=True))
    assert reader.done, f"no form on {page}"
    # A textarea's first newline belongs to the markup, not to its text.
    return {
        name: value.removeprefix("\r\n") if value.startswith("\r\n") else value.removeprefix("\n")
        for name, value in reader.values.items()
    }


class Doors:
    """The three ways in, for one account: the site's forms (logged in), the native API
    (a read-write token) and the RealWorld API (its JWT)."""

    def __init__(self, app: Flask, client: FlaskClient, user: User) -> None:
        self.client = client
        login(client, user)
        self.v1_token = tokens.create(db.session, user, "doors", "read-write", utcnow())[1]
        self.realworld_token = app.extensions["inkstand.realworld"].issue(user, utcnow())

    def form(self, page: str, **changes: str) -> TestResponse:
        """Send the form on ``page`` as shown, with ``changes`` typed into it."""
        return self.client.post(page, data={**form_values(self.client, page), **changes})

    def v1(self, method: str, url: str, body: Any = None) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.v1_token}"}
        return self.client.open(url, method=method, headers=headers, json=body)

    def realworld(self, method: str, url: str, body: Any = None) -> TestResponse:
        headers = {"Authorization": f"Token {self.realworld_token}"}
        return self.client.open(url, method=method, headers=headers, json=body)


class Mail(EmailMessage):
    """A mail as read by a test: ``get_content()`` of a mail with a plain-text and an HTML
    part is its plain text (``get_body(("html",))`` is the other)."""

    def get_content(self, *args: Any, **kwargs: Any) -> Any:
        if self.is_multipart():
            plain = self.get_body(("plain",))
            assert plain is not None, "no plain-text part"
            return plain.get_content(*args, **kwargs)
        return super().get_content(*args, **kwargs)


def read_mail(data: bytes) -> Mail:
    mail: Mail = email.message_from_bytes(data, _class=Mail, policy=email.policy.default)
    return mail


class Outbox:
    """The mail the app wrote to instance/outbox/ (no MAIL_SERVER in tests); emptied
    when made."""

    def __init__(self, app: Flask) -> None:
        self.folder = Path(app.instance_path) / "outbox"
        for path in self.folder.glob("*.eml"):
            path.unlink()

    def messages(self) -> list[Mail]:
        return [read_mail(path.read_bytes()) for path in sorted(self.folder.glob("*.eml"))]


class SmtpInbox:
    """What a real SMTP server (aiosmtpd) received, each mail as its bytes."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"

    def mails(self) -> list[Mail]:
        return [read_mail(data) for data in self.messages]


@contextmanager
def smtp_server(app: Flask) -> Iterator[SmtpInbox]:
    """A real SMTP server on a free loopback port, and ``app``'s mailer sending to it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    current = runtime.get() if has_app_context() else app.extensions["inkstand"]
    mailer = dataclasses.replace(current.mailer, server="127.0.0.1", port=port, use_tls=False)
    app.extensions["inkstand"] = dataclasses.replace(current, mailer=mailer)
    try:
        yield inbox
    finally:
        app.extensions["inkstand"] = current
        controller.stop()


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


REQUIRE_SERVICES = os.environ.get("INKSTAND_REQUIRE_SERVICES") == "1"


FAST_HASHING = {"ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024}


def need_service(variable: str, what: str) -> str:
    """The URL of a service a test needs: skip without it, or fail under CI."""
    url = os.environ.get(variable)
    if not url:
        message = f"{what} not configured: set {variable} to run these tests"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    return url


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """A new, empty database on the PostgreSQL server of INKSTAND_TEST_DATABASE_URL (the
    test skips without one), dropped afterwards, whoever is still connected: its URL."""
    server = make_url(need_service("INKSTAND_TEST_DATABASE_URL", "PostgreSQL"))
    name = f"inkstand_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def raw_accounts(conn: Connection, *usernames: str) -> None:
    """Authors with ids 1, 2, ... written in plain SQL, for a migration's test: the
    models describe the newest schema, not the one before the migration."""
    conn.execute(
        text(
            "INSERT INTO users (id, username, email, password_hash, role, display_name, bio,"
            " created_at) VALUES (:id, :name, :email, '', 'author', '', '',"
            " '2026-01-01 00:00:00')"
        ),
        [
            {"id": n, "name": name, "email": f"{name}@example.com"}
            for n, name in enumerate(usernames, 1)
        ],
    )


def raw_post(
    conn: Connection, post_id: int, title: str, slug: str, body: str, *, cover_name: str = ""
) -> None:
    """A published post of account 1 written in plain SQL, for a migration's test (see
    ``raw_accounts``); its excerpt is the body's first 300 characters."""
    conn.execute(
        text(
            "INSERT INTO posts (id, author_id, title, slug, body_source, body_html,"
            " excerpt_source, excerpt, reading_minutes, status, cover_name, created_at,"
            " updated_at) VALUES (:id, 1, :title, :slug, :body, :html, '', :excerpt, 1,"
            " 'published', :cover, '2026-01-02 00:00:00', '2026-01-02 00:00:00')"
        ),
        {
            "id": post_id, "title": title, "slug": slug, "body": body,
            "html": f"<p>{html.escape(body)}</p>", "excerpt": body[:300], "cover": cover_name,
        },
    )  # fmt: skip


def build_app(instance: Path, database_url: str, **overrides: Any) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret-key",
            "SERVER_NAME": "inkstand.test",
            **FAST_HASHING,
            "PAGE_CACHE_SECONDS": 0,  # on only where a test is about it (blog/test_pagecache.py)
            "COMMENT_MIN_SECONDS": 0,  # on only where a test is about it (comments/test_spam.py)
            "ANALYTICS_ENABLED": False,  # on only where a test is about it (tests/analytics/)
            "TRASH_PURGE_SECONDS": 0,  # no purging thread (tests/blog/test_trash.py purges)
            "NEWSLETTER_SWEEP_SECONDS": 0,  # no sweeping thread (tests/subscriptions/ sweep)
            "ANALYTICS_CACHE_SECONDS": 0,  # on only where a test is about it (test_views.py)
            **overrides,
        },
        instance_path=str(instance),
    )
    extensions.migrations(app)  # for flask_migrate.upgrade(); the db commands bind it too
    return app


@contextmanager
def separate_app(instance: Path, database_url: str, **overrides: Any) -> Iterator[Flask]:
    """An app with its own settings on this run's database; emptied and closed after.

    Its cache and rate-limit keys carry a prefix of their own, and its job queue
    that name, so clearing them never touches another app's keys on a shared Redis.
    """
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    overrides.setdefault("CACHE_KEY_PREFIX", f"{prefix}:")
    overrides.setdefault("RATELIMIT_STORAGE_OPTIONS", {"key_prefix": prefix})
    overrides.setdefault("JOBS_QUEUE", prefix)
    app = build_app(instance, database_url, **overrides)
    app.test_client_class = Client
    with app.app_context():
        upgrade()
        try:
            yield app
        finally:
            stop_periodic_work(app)
            cache.clear()
            limiter.reset()
            clear_jobs()
            db.session.rollback()
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
            db.session.commit()
            db.engine.dispose()


@contextmanager
def one_slot() -> Iterator[None]:
    """Hold the scheduler's clock (``jobs.schedule_next``) still, in the middle of this
    second: runs scheduled in a row then name one slot, even on a machine so busy that
    a second ends between them."""
    moment = utcnow().replace(microsecond=500_000)
    real = jobs.utcnow
    jobs.utcnow = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        jobs.utcnow = real  # type: ignore[assignment]


def stop_periodic_work(app: Flask) -> None:
    """Stop the app's periodic threads (each started by its first request)."""
    for extension in app.extensions.values():
        if isinstance(extension, jobs.Every):
            extension.stop()
        elif isinstance(extension, tracking.Tracker):
            extension.flusher.stop()


def clear_jobs() -> None:
    """Remove the app's RQ queue and every key of it (job ids and worker names
    start with the queue's name), if its jobs go to Redis."""
    queue = runtime.get().jobs
    if isinstance(queue, jobs.RQJobs):
        queue.queue().delete(delete_jobs=True)
        for key in queue.connection.scan_iter(f"*{queue.queue_name}*"):
            queue.connection.delete(key)
        queue.connection.close()


@contextmanager
def app_with_limits(
    storage: str, instance: Path, database_url: str, **overrides: Any
) -> Iterator[Flask]:
    """A separate app whose rate limits live in memory or in the test Redis; with
    Redis, it checks that no limit key is left behind."""
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}"
    url = ""
    if storage == "redis":
        url = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
        overrides.update(REDIS_URL=url, RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix})
    with separate_app(instance, database_url, **overrides) as app:
        yield app
    if url:
        client = redis.Redis.from_url(url)
        assert not list(client.scan_iter(f"{prefix}:*")), "limit keys left behind"
        client.close()


class LimitClock:
    """The rate limits' clock, moved forward by ``advance`` instead of sleeping. The
    in-process store reads ``time.time`` (replaced here); Redis expires keys by its own
    clock, so there every limit key's time to live is shortened instead, which is the
    same to a window that began at its first hit."""

    def __init__(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        self.app = app
        self.offset = 0.0
        real = time.time
        monkeypatch.setattr(
            limits_memory, "time", SimpleNamespace(time=lambda: real() + self.offset)
        )

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        storage = limiter.storage
        if not hasattr(storage, "get_connection"):
            return
        connection = storage.get_connection()
        prefix = self.app.config["RATELIMIT_STORAGE_OPTIONS"]["key_prefix"]
        for key in connection.scan_iter(f"{prefix}:*"):
            left = connection.pttl(key)
            if left > seconds * 1000:
                connection.pexpire(key, left - int(seconds * 1000))
            elif left >= 0:
                connection.delete(key)


class Client(FlaskClient):
    """A test client whose every request runs in its own app context, as in
    production: its own ``g`` and database session, not the test's."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            return super().open(*args, **kwargs)


_FORM = re.compile(
    r'<form method="post" action="([^"]+)" class="stack comment-form".*?</form>', re.S
)


_HIDDEN = re.compile(r'name="([^"]+)" type="hidden" value="([^"]*)"')


SendComment = Callable[..., TestResponse]


def comment_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the comment form on a page."""
    form = _FORM.search(page)
    assert form, "no comment form on the page"
    return html.unescape(form[1]), {k: html.unescape(v) for k, v in _HIDDEN.findall(form[0])}


PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: TestResponse, status: int, kind: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of ``kind`` with ``status``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = response.get_json(force=True)
    assert body["type"] == f"/api/v1/problems/{kind}"
    assert body["status"] == status
    assert body["title"]
    assert isinstance(body["detail"], str)
    return body


TOO_LONG = "Field cannot be longer than {} characters."


REQUIRED = "This field is required."


BAD_CURSOR = "This page link is broken or out of date."


def errors_on(response: TestResponse) -> list[str]:
    """The error messages a form page shows."""
    page = response.get_data(as_text=True)
    return [html.unescape(m) for m in re.findall(r'<p class="error">(.*?)</p>', page)]


def assert_form_error(response: TestResponse, message: str) -> None:
    assert response.status_code == 422, response.status_code
    shown = errors_on(response)
    assert any(message in error for error in shown), f"{message!r} not in {shown}"


def bulk_posts(author, count: int, tag_id: int | None = None) -> None:
    """Insert published posts directly: fast enough for thousands."""
    html = markup.render_markdown("Body")
    start = utcnow() - timedelta(days=1)
    rows = [
        {
            "author_id": author.id,
            "title": f"Bulk {n}",
            "slug": f"bulk-{n}",
            "body_source": "Body",
            "body_html": html,
            "excerpt_source": "",
            "excerpt": "Body",
            "reading_minutes": 1,
            "status": "published",
            "published_at": start + timedelta(seconds=n),
            "created_at": start,
            "updated_at": start,
        }
        for n in range(count)
    ]
    db.session.execute(insert(Post), rows)
    if tag_id is not None:
        ids = db.session.scalars(select(Post.id).where(Post.slug.like("bulk-%"))).all()
        db.session.execute(insert(post_tags), [{"post_id": i, "tag_id": tag_id} for i in ids])
    db.session.commit()


# The home page's first page: the site settings, the featured posts, the newest posts,
# each list with its authors and co-authors. The post page: the site settings, the
# post with its authors, its comments with theirs, and its related posts with their
# authors (discovery.reading.related).
PAGE_BUDGETS = {"home": 3, "post": 4, "tag": 3, "author": 4}


def fresh(statement: Select[Any]) -> Any:
    db.session.expire_all()
    return db.session.scalar(statement)


def stored() -> dict[str, int]:
    """How many of each kind of record the database holds now."""
    counted = {
        "users": select(func.count(User.id)),
        "posts": select(func.count(Post.id)),
        "revisions": select(func.count(Revision.id)),
        "tags": select(func.count(Tag.id)),
        "post_tags": select(func.count()).select_from(post_tags),
        "settings": select(func.count()).select_from(SiteSetting),
    }
    return {name: int(fresh(statement)) for name, statement in counted.items()}


def post_titles(html: str) -> list[str]:
    """The titles of the posts a list page shows, in order."""
    return re.findall(r'<h2><a href="/posts/[^"]+">([^<]+)</a></h2>', html)


def count_queries(client: FlaskClient, queries: list[str], url: str) -> int:
    """How many SQL statements a GET of ``url`` runs (it must answer 200)."""
    queries.clear()
    response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (64, 48), **save: Any) -> bytes:
    """A real image of ``kind`` (a Pillow format name), drawn here, saved with ``save``."""
    from PIL import Image, ImageDraw

    mode = "RGB" if kind in {"JPEG", "WEBP"} else "RGBA" if kind == "PNG" else "P"
    image = Image.new(mode, size, "white" if mode != "P" else 1)
    ImageDraw.Draw(image).rectangle(
        (0, 0, size[0] // 2, size[1] // 3), fill=2 if mode == "P" else "red"
    )
    out = io.BytesIO()
    image.save(out, format=kind, **save)
    return out.getvalue()


@contextmanager
def recorded_sql() -> Iterator[list[str]]:
    """The SQL statements the current app's engine runs inside the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


@contextmanager
def page_cached_app(
    store: str, instance: Path, database_url: str, **overrides: Any
) -> Iterator[Flask]:
    """A separate app with the page cache on, kept in this process's memory or, for
    ``store`` "redis", in the test Redis under a prefix of its own, removed after.

    The content version is read again only after a change through a session of this
    process (whose commit tells every app here), never because a second went by: on a
    busy machine a second can pass between two requests of a test, whose statements
    would then count one more query. A test of another process's change shortens
    ``pagecache.VERSION_CHECK_SECONDS`` itself."""
    prefix = f"inkstand-test-{uuid.uuid4().hex[:12]}:"
    overrides = {"PAGE_CACHE_SECONDS": 300, "CACHE_KEY_PREFIX": prefix, **overrides}
    if store == "redis":
        overrides["REDIS_URL"] = need_service("INKSTAND_TEST_REDIS_URL", "Redis")
    interval = pagecache.VERSION_CHECK_SECONDS
    pagecache.VERSION_CHECK_SECONDS = 3600.0
    try:
        with separate_app(instance, database_url, **overrides) as app:
            yield app
    finally:
        pagecache.VERSION_CHECK_SECONDS = interval
    if store == "redis":
        client = redis.Redis.from_url(overrides["REDIS_URL"])
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


# Real `inkstand serve` processes, for tests of what only a real server shows.

SERVER_HOST = "127.0.0.1"
SERVER_START_SECONDS = 30


def process_env(**settings: str) -> dict[str, str]:
    """The environment of an app process: none of this run's INKSTAND_ settings, the
    given ones (by setting name), and quiet logs."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("INKSTAND_")},
        "INKSTAND_LOG_LEVEL": "WARNING",
        **{f"INKSTAND_{name}": value for name, value in settings.items()},
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((SERVER_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    port: int, env: dict[str, str], log: Path, *options: str
) -> subprocess.Popen[bytes]:
    inkstand = shutil.which("inkstand", path=str(Path(sys.executable).parent)) or "inkstand"
    command = [inkstand, "serve", "--bind", f"{SERVER_HOST}:{port}", *options]
    with log.open("wb") as output:  # the child keeps its own copy of the file
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_until_serving(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    ends = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < ends:
        assert process.poll() is None, f"the app process stopped:\n{log.read_text()}"
        connection = http.client.HTTPConnection(SERVER_HOST, port, timeout=1)
        try:
            connection.request("GET", "/")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    pytest.fail(f"the app process did not start serving:\n{log.read_text()}")


@contextmanager
def serving(
    tmp_path: Path, env: dict[str, str], names: tuple[str, ...], *options: str
) -> Iterator[list[str]]:
    """An `inkstand serve` for each name, each with its own instance folder; their
    base URLs. Every process is stopped on the way out."""
    processes = []
    try:
        bases = []
        for name in names:
            port, log = free_port(), tmp_path / f"{name}.log"
            instance = tmp_path / name
            instance.mkdir()
            process = start_server(
                port, {**env, "INKSTAND_INSTANCE_PATH": str(instance)}, log, *options
            )
            processes.append(process)
            wait_until_serving(port, process, log)
            bases.append(f"http://{SERVER_HOST}:{port}")
        yield bases
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


# Columns a request may write without changing anything a refusal must leave alone.
_BOOKKEEPING = {("api_tokens", "last_used_at")}


def database_digest() -> dict[str, str]:
    """Each table's rows, as a digest: equal digests, nothing was written. Columns kept
    for bookkeeping (when a token was last used) are left out."""
    import hashlib

    db.session.expire_all()
    found: dict[str, str] = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in _BOOKKEEPING]
        rows = db.session.execute(select(*columns)).all()
        found[table.name] = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
    db.session.commit()
    return found


@contextmanager
def served(instance: Path, *serve_args: str, **settings: str) -> Iterator[tuple[str, int]]:
    """A real `inkstand serve` (gunicorn, one worker) on an SQLite database of its own in
    ``instance``, migrated first; yields its host and port, and stops it after."""
    env = process_env(INSTANCE_PATH=str(instance), SECRET_KEY="served-test-key", **settings)
    inkstand = str(Path(sys.executable).parent / "inkstand")
    subprocess.run([inkstand, "db", "upgrade"], env=env, check=True, capture_output=True)
    port, log = free_port(), instance / "serve.log"
    process = start_server(port, env, log, "--workers", "1", *serve_args)
    try:
        wait_until_serving(port, process, log)
        yield SERVER_HOST, port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def raw_http(host: str, port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is on a new connection: the status, headers and body, read
    until the server closes the connection (ask it to, with ``Connection: close``)."""

    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def seed_views(
    path: str = "/", *, post: Post | None = None, days_ago: int = 0, count: int = 1,
    visitors: int = 1, **fields: str,
) -> None:  # fmt: skip
    """Insert ``count`` views as a flush would, spread over ``visitors`` visitors."""
    when = utcnow() - timedelta(days=days_ago)
    rows = [
        {"viewed_at": when, "day": when.date(), "path": path,
         "post_id": post.id if post else None, "referrer_host": "", "utm_source": "",
         "utm_medium": "", "utm_campaign": "", "device": "desktop", "browser": "Firefox",
         "os": "Linux", "visitor": f"v{n % visitors}", **fields}
        for n in range(count)
    ]  # fmt: skip
    db.session.execute(insert(PageView), rows)
    db.session.commit()
