"""No link is ever built on a forged host: the site answers only to the host names it
trusts (SITE_URL's, TRUSTED_HOSTS, or the loopback names when neither is set), on
every route of every door, and every mailed, canonical and API link is built on
that one trusted origin.

The routes are found by walking the app's URL map, so a route added tomorrow is
covered the day it exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from inkstand import http
from inkstand.accounts import tokens
from inkstand.accounts.models import User
from inkstand.blog.models import Post
from inkstand.comments.models import Comment
from inkstand.config import _coerce
from inkstand.db import utcnow
from inkstand.errors import UNTRUSTED_HOST
from inkstand.extensions import db
from tests.helpers import (
    PASSWORD,
    Factory,
    Outbox,
    any_url,
    comment_form,
    login,
    separate_app,
    submit,
)

FORGED = "evil.example"


def routes(app: Flask) -> Iterator[tuple[str, str, str]]:
    """(endpoint, method, url) for every rule of the app and every method it takes."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods or ()):
            yield rule.endpoint, method, any_url(app, rule, method)


def refused_for_its_door(response, url: str) -> str | None:
    """Why the response is not a refusal of the host in the shape of its door, if not."""
    if response.status_code != 400:
        return f"status {response.status_code}"
    text = response.get_data(as_text=True)
    if url.startswith("/api/v1"):
        ok = response.mimetype == "application/problem+json" and (
            not text or response.get_json(force=True)["detail"] == UNTRUSTED_HOST
        )
    elif url.startswith("/api/"):
        ok = response.mimetype == "application/json" and (
            not text or response.get_json(force=True) == {"errors": {"body": [UNTRUSTED_HOST]}}
        )
    else:
        ok = response.mimetype == "text/plain" and text in {"", UNTRUSTED_HOST}
    return None if ok else f"not the refusal: {response.mimetype} {text[:120]!r}"


def counts() -> tuple[int | None, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Post, Comment)
    )


@pytest.fixture
def site(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """An app as `make run`'s own checkout leaves it: no SITE_URL, no TRUSTED_HOSTS."""
    with separate_app(tmp_path, database_url, SERVER_NAME=None, PROXY_COUNT=1) as app:
        yield app


def test_every_route_refuses_a_forged_host_on_every_door(site: Flask) -> None:
    writer = Factory(site).user("admin", "writer", email="writer@example.com")
    outbox = Outbox(site)
    client = site.test_client()
    login(client, writer)  # refused as a visitor and as a logged-in account alike
    token = tokens.create(db.session, writer, "tests", "read-write", utcnow())[1]
    before = counts()
    failures = []
    for endpoint, method, url in routes(site):
        for headers in ({"Host": FORGED}, {"X-Forwarded-Host": FORGED}):
            response = client.open(
                url, method=method, base_url="http://localhost",
                headers={**headers, "Authorization": f"Bearer {token}"},
                data={"email": "writer@example.com", "login": "writer", "password": PASSWORD},
            )  # fmt: skip
            why = refused_for_its_door(response, url)
            if why:
                failures.append(f"{method} {url} ({endpoint}) with {headers}: {why}")
    assert not failures, "a forged host was answered:\n" + "\n".join(failures)
    assert counts() == before
    assert outbox.messages() == []


def test_the_walk_covers_every_door(site: Flask) -> None:
    urls = {url for _, _, url in routes(site)}
    assert {"/", "/password/forgot", "/api/v1/posts", "/api/users/login"} <= urls


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "localhost:5000"])
def test_without_a_site_url_the_loopback_names_are_answered(site: Flask, host: str) -> None:
    response = site.test_client().get("/login", headers={"Host": host})
    assert response.status_code == 200


def test_a_reset_mail_links_to_the_host_the_site_trusts(site: Flask) -> None:
    Factory(site).user(email="ada@example.com")
    outbox = Outbox(site)
    client = site.test_client()
    submit(client, "/password/forgot", {"email": "ada@example.com"}, base_url="http://localhost")
    (mail,) = outbox.messages()
    assert re.search(r"http://localhost/password/reset/\S+", mail.get_content())


def test_forwarded_headers_are_ignored_without_trusted_proxies(
    tmp_path: Path, database_url: str
) -> None:
    with separate_app(tmp_path, database_url, SERVER_NAME=None, PROXY_COUNT=0) as app:
        Factory(app).user(email="ada@example.com")
        outbox = Outbox(app)
        client = app.test_client()
        forged = {"X-Forwarded-Host": FORGED, "X-Forwarded-Proto": "https"}
        page = client.get("/password/forgot", headers=forged, base_url="http://localhost")
        assert page.status_code == 200
        submit(
            client, "/password/forgot", {"email": "ada@example.com"},
            headers=forged, base_url="http://localhost",
        )  # fmt: skip
        (mail,) = outbox.messages()
        assert "http://localhost/password/reset/" in mail.get_content()
        assert FORGED not in mail.get_content()


@pytest.fixture
def public(tmp_path: Path, database_url: str) -> Iterator[Flask]:
    """A site with its public address set, also reachable under a second trusted name
    through one trusted proxy."""
    with separate_app(
        tmp_path, database_url, SERVER_NAME=None, PROXY_COUNT=1,
        SITE_URL="https://blog.example.com", TRUSTED_HOSTS=("www.example.com",),
    ) as app:  # fmt: skip
        yield app


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="its-own-host"),
        pytest.param({"Host": "www.example.com"}, id="another-trusted-host"),
        pytest.param({"X-Forwarded-Host": "www.example.com"}, id="forwarded-trusted-host"),
    ],
)
def test_every_mailed_canonical_and_api_link_is_on_the_site_url(
    public: Flask, headers: dict[str, str]
) -> None:
    factory = Factory(public)
    writer = factory.user("author", "writer", email="writer@example.com")
    reader = factory.user("reader", "rita", email="rita@example.com")
    post = factory.post(writer, "Tea")
    factory.post(writer, "Cake")
    outbox = Outbox(public)
    client = public.test_client()  # over plain HTTP, so the links' https is SITE_URL's

    def get(url: str, **extra: str):
        return client.get(url, base_url="http://blog.example.com", headers={**headers, **extra})

    for page in ("/", f"/posts/{post.slug}"):
        html = get(page).get_data(as_text=True)
        (canonical,) = re.findall(r'<link rel="canonical" href="([^"]+)"', html)
        assert canonical.startswith("https://blog.example.com/"), canonical

    token = tokens.create(db.session, writer, "tests", "read", utcnow())[1]
    listed = get("/api/v1/posts?limit=1", Authorization=f"Bearer {token}")
    assert listed.headers["Link"].startswith("<https://blog.example.com/api/v1/posts?"), listed

    submit(
        client, "/password/forgot", {"email": "rita@example.com"},
        base_url="http://blog.example.com", headers=headers,
    )  # fmt: skip
    logged_in = submit(
        client, "/login", {"login": reader.username, "password": PASSWORD},
        base_url="http://blog.example.com", headers=headers,
    )  # fmt: skip
    assert logged_in.status_code == 302, logged_in.get_data(as_text=True)
    action, fields = comment_form(get(f"/posts/{post.slug}").get_data(as_text=True))
    client.post(
        action, data={**fields, "body": "Lovely.", "website": ""},
        base_url="http://blog.example.com", headers=headers,
    )  # fmt: skip

    mails = outbox.messages()
    assert [m["To"] for m in mails] == ["rita@example.com", "writer@example.com"]
    for mail in mails:
        links = re.findall(r"https?://\S+", mail.get_content())
        assert links
        assert all(link.startswith("https://blog.example.com/") for link in links), links


def test_with_a_site_url_other_hosts_are_refused(public: Flask) -> None:
    client = public.test_client()
    assert client.get("/login", base_url="https://evil.example").status_code == 400
    forged = client.get(
        "/login", base_url="https://blog.example.com", headers={"X-Forwarded-Host": FORGED}
    )
    assert forged.status_code == 400
    assert client.get("/login", base_url="https://blog.example.com").status_code == 200
    assert client.get("/login", base_url="https://www.example.com").status_code == 200
    assert client.get("/login", base_url="http://localhost").status_code == 400


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, ["localhost", "127.0.0.1"]),
        ({"SITE_URL": "https://blog.example.com/"}, ["blog.example.com"]),
        ({"SITE_URL": "http://127.0.0.1:5000"}, ["127.0.0.1", "localhost"]),
        (
            {"SITE_URL": "https://blog.example.com", "TRUSTED_HOSTS": (".example.org",)},
            [".example.org", "blog.example.com"],
        ),
        ({"SERVER_NAME": "inkstand.test:8000"}, ["inkstand.test"]),
    ],
)
def test_the_trusted_hosts_come_from_the_settings(settings: dict, expected: list[str]) -> None:
    assert http.trusted_hosts(settings) == expected


def test_trusted_hosts_are_read_from_the_environment_as_a_list() -> None:
    assert _coerce("blog.example.com, .example.org,", ()) == ("blog.example.com", ".example.org")
