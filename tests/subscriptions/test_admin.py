"""The admins' page of subscribers: counts and growth, search and pages, removal,
formula-safe CSV export, and import of another platform's CSV (bad rows reported)."""

from __future__ import annotations

import io
import secrets

import pytest
from sqlalchemy import select

from inkstand.accounts.models import Role
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.subscriptions import administration
from inkstand.subscriptions.models import Consent, Subscriber
from tests.helpers import Outbox, count_queries, csrf_token, login, submit

PAGE = "/admin/subscribers"


def add(email: str, confirmed: bool = True) -> Subscriber:
    sub = Subscriber(email=email, scope="site", key=secrets.token_urlsafe(16),
                     confirmed_at=utcnow() if confirmed else None)  # fmt: skip
    db.session.add(sub)
    db.session.commit()
    return sub


def emails() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Subscriber.email)))


def upload(client, data: bytes, name="list.csv"):
    token = csrf_token(client, PAGE + "/import")
    form = {"csrf_token": token, "file": (io.BytesIO(data), name)}
    return client.post(PAGE + "/import", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("role", [None, Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_see_export_import_or_remove(client, factory, role):
    sub = add("reader@example.org")
    if role is not None:
        login(client, factory.user(role))
    expected = 302 if role is None else 403
    assert client.get(PAGE).status_code == expected
    assert client.get(PAGE + ".csv").status_code == expected
    assert client.get(PAGE + "/import").status_code == expected
    if role is not None:
        removed = submit(client, f"{PAGE}/{sub.id}/remove", page="/settings")
        assert removed.status_code == 403
    assert emails() == ["reader@example.org"]


def test_the_page_shows_counts_growth_and_finds_by_address(client, factory):
    login(client, factory.user(Role.ADMIN))
    add("one@example.org")
    add("two@example.org", confirmed=False)
    page = client.get(PAGE).get_data(as_text=True)
    assert "<strong>1</strong> confirmed" in page
    assert "<strong>1</strong> waiting" in page
    assert utcnow().strftime("%b %Y") in page
    assert "Not confirmed" in page
    found = client.get(PAGE + "?q=two").get_data(as_text=True)
    assert "two@example.org" in found
    assert "one@example.org" not in found
    assert "Subscribers" in client.get("/admin/").get_data(as_text=True)


def test_the_page_costs_the_same_whatever_the_number(client, factory, queries):
    login(client, factory.user(Role.ADMIN))
    author = factory.user(Role.AUTHOR)
    add("one@example.org")
    few = count_queries(client, queries, PAGE)
    for n in range(30):
        sub = add(f"r{n}@example.org")
        if n % 2:
            sub.scope, sub.author_id = f"author:{author.id}", author.id
    db.session.commit()
    assert count_queries(client, queries, PAGE) == few + 1  # the authors named, once
    assert count_queries(client, queries, PAGE + "?q=r1") == few + 1


def test_an_admin_removes_one(client, factory):
    login(client, factory.user(Role.ADMIN))
    gone = add("gone@example.org").id
    assert submit(client, f"{PAGE}/{gone}/remove", page=PAGE).status_code == 302
    assert emails() == []
    assert submit(client, f"{PAGE}/{gone}/remove", page=PAGE).status_code == 404
    assert client.post(f"{PAGE}/{gone}/remove").status_code == 400


def test_the_export_is_formula_safe(client, factory):
    login(client, factory.user(Role.ADMIN))
    add("=cmd@example.org")
    add("plain@example.org")
    response = client.get(PAGE + ".csv")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "email,scope,consent,subscribed_at,confirmed_at"
    assert lines[1].startswith("'=cmd@example.org,site,link,")
    assert lines[2].startswith("plain@example.org,site,link,")


def test_an_import_adds_addresses_and_reports_bad_rows(app, client, factory):
    login(client, factory.user(Role.ADMIN))
    add("known@example.org")
    data = (
        b"Name,Email Address,Created\n"
        b"Ann,ann@example.org,2020\n"
        b'Bad,=HYPERLINK("http://evil"),2020\n'
        b"Known,KNOWN@example.org,2020\n"
        b",,\n"
        b"Short\n"
        b"Bo,bo@example.org\n"
    )
    response = upload(client, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<strong>2</strong> added, 1 already subscribed, 2 rows refused" in page
    assert "Line 3:" in page
    assert "Line 6:" in page
    assert emails() == ["ann@example.org", "bo@example.org", "known@example.org"]
    ann = db.session.scalar(select(Subscriber).where(Subscriber.email == "ann@example.org"))
    assert ann.consent == Consent.IMPORT.value
    assert ann.confirmed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"a" * (210 * 1024), "over 200 KB"),
        (("email\n" + "x@example.org\n" * 10_001).encode(), "over 10000 rows"),
    ],
)
def test_a_bad_file_is_refused_on_the_form(client, factory, monkeypatch, data, message):
    # A smaller limit: the test client spools a body past 500 KB to a file it leaves open.
    monkeypatch.setattr(administration, "IMPORT_BYTES_MAX", 200 * 1024)
    login(client, factory.user(Role.ADMIN))
    response = upload(client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert emails() == []


def test_an_imported_subscriber_is_asked_to_confirm(app, client, factory):
    outbox = Outbox(app)
    login(client, factory.user(Role.ADMIN))
    upload(client, b"email\nann@example.org\n")
    (ann,) = db.session.scalars(select(Subscriber)).all()
    assert submit(client, f"{PAGE}/{ann.id}/reconfirm", page=PAGE).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Subscriber, ann.id).confirmed
    (mail,) = outbox.messages()
    assert mail["To"] == "ann@example.org"
    assert "/subscriptions/confirm/" in mail.get_content()
