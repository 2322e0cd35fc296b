"""Subscribing by e-mail through the pages: the footer and author forms, double opt-in
by a signed single-use link, no enumeration and one mail an hour per address,
unsubscribing in one click, and the site setting that turns it all off."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from inkstand.accounts.models import Role
from inkstand.extensions import db
from inkstand.site import services as site
from inkstand.subscriptions.jobs import links
from inkstand.subscriptions.models import Consent, Subscriber
from tests.helpers import Outbox, count_queries, fresh, login, submit

SUBSCRIBE = "/subscribe"


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(app)


def ask(client, email="reader@example.org", author=""):
    return submit(client, SUBSCRIBE, {"email": email, "author": author}, page=SUBSCRIBE)


def confirm_link(mail) -> str:
    found = re.search(r"http://inkstand\.test(/subscriptions/confirm/\S+)", mail.get_content())
    assert found, mail.get_content()
    return found[1]


def subscribers() -> list[Subscriber]:
    db.session.expire_all()
    return list(db.session.scalars(select(Subscriber).order_by(Subscriber.id)))


def test_every_page_has_the_form_and_it_leads_to_the_subscribe_page(client, factory):
    author = factory.user(Role.AUTHOR, "wren")
    home = client.get("/").get_data(as_text=True)
    assert 'action="/subscribe"' in home
    assert 'method="get"' in home
    page = client.get(f"{SUBSCRIBE}?email=reader%40example.org&author=wren").get_data(as_text=True)
    assert 'value="reader@example.org"' in page
    assert f"New posts of {author.name} by e-mail" in page
    assert 'name="csrf_token"' in page
    author_page = client.get("/authors/wren").get_data(as_text=True)
    assert 'name="author" value="wren"' in author_page


@pytest.mark.parametrize("role", [None, Role.READER, Role.AUTHOR, Role.EDITOR, Role.ADMIN])
def test_subscribe_confirm_by_link_then_unsubscribe(app, client, factory, outbox, role):
    if role is not None:
        login(client, factory.user(role))
    response = ask(client)
    assert response.status_code == 302
    assert response.location == "/subscribe/sent"
    (sub,) = subscribers()
    assert (sub.email, sub.scope, sub.confirmed) == ("reader@example.org", "site", False)
    (mail,) = outbox.messages()
    assert mail["To"] == "reader@example.org"
    link = confirm_link(mail)
    # A mail scanner that opens the link confirms nothing: a button does.
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my subscription" in page.get_data(as_text=True)
    assert not subscribers()[0].confirmed
    assert submit(client, link, page=link).status_code == 200
    (sub,) = subscribers()
    assert sub.confirmed
    assert sub.consent == Consent.LINK.value
    used = client.get(link)
    assert used.status_code == 400
    assert "used already" in used.get_data(as_text=True)


def test_an_author_subscription_names_the_author(client, factory, outbox):
    author = factory.user(Role.AUTHOR, "wren")
    assert ask(client, author="wren").status_code == 302
    (sub,) = subscribers()
    assert (sub.scope, sub.author_id) == (f"author:{author.id}", author.id)
    assert f"{author.name} on Inkstand" in outbox.messages()[0]["Subject"]
    assert ask(client, author="nobody-at-all").status_code == 404
    reader = factory.user(Role.READER, "quiet")
    assert ask(client, author=reader.username).status_code == 404


def test_the_answer_is_the_same_and_one_mail_an_hour(app, client, outbox):
    first = ask(client)
    link = confirm_link(outbox.messages()[0])
    submit(client, link, page=link)
    again = ask(client)  # confirmed already
    assert again.status_code == first.status_code
    assert again.location == first.location
    other = ask(client, "new@example.org")
    twice = ask(client, "new@example.org")  # unconfirmed, within the hour
    assert other.location == twice.location == first.location
    assert [m["To"] for m in outbox.messages()] == ["reader@example.org", "new@example.org"]
    assert fresh(select(func.count(Subscriber.id))) == 2


@pytest.mark.parametrize("email", ["", "not an address", "a@b", "x" * 300 + "@example.org"])
def test_a_malformed_address_is_refused_on_the_form(client, outbox, email):
    response = ask(client, email)
    assert response.status_code == 422
    assert not subscribers()
    assert not outbox.messages()


def test_a_subscribe_without_csrf_is_refused(client):
    assert client.post(SUBSCRIBE, data={"email": "reader@example.org"}).status_code == 400
    assert not subscribers()


def test_tampered_and_expired_links_do_nothing(app, client, outbox, monkeypatch):
    ask(client)
    link = confirm_link(outbox.messages()[0])
    tampered = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    assert client.get(tampered).status_code == 400
    assert submit(client, tampered, page="/login").status_code == 400
    forged = URLSafeTimedSerializer("another key", salt="inkstand.subscription-confirm")
    sub = subscribers()[0]
    other = forged.dumps({"s": sub.id, "n": sub.confirm_nonce})
    assert client.get(f"/subscriptions/confirm/{other}").status_code == 400
    # An unsubscribe link, signed for the same row with another salt, confirms nothing.
    leave = links().unsubscribe_token(sub)
    assert client.get(f"/subscriptions/confirm/{leave}").status_code == 400
    later = app.config["SUBSCRIPTION_LINK_MAX_AGE"] + 60
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + later)
    expired = client.get(link)
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    assert not subscribers()[0].confirmed


def test_subscriptions_off_means_no_forms_and_404s(app, client, factory, outbox):
    factory.user(Role.AUTHOR, "wren")
    ask(client)
    link = confirm_link(outbox.messages()[0])
    site.configure(db.session, "subscriptions_open", "no")
    assert 'action="/subscribe"' not in client.get("/").get_data(as_text=True)
    assert 'name="author"' not in client.get("/authors/wren").get_data(as_text=True)
    assert client.get(SUBSCRIBE).status_code == 404
    assert client.get(link).status_code == 404
    assert client.get("/subscribe/sent").status_code == 404


def test_unsubscribe_in_one_click_without_a_token_or_log_in(app, client, outbox):
    ask(client)
    link = confirm_link(outbox.messages()[0])
    submit(client, link, page=link)
    token = links().unsubscribe_token(subscribers()[0])
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert "reader@example.org" in page.get_data(as_text=True)
    # RFC 8058: a mail client POSTs List-Unsubscribe=One-Click, with no CSRF token.
    done = app.test_client().post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert not subscribers()
    assert app.test_client().post(f"/unsubscribe/{token}").status_code == 200  # twice: same
    assert client.get(f"/unsubscribe/{token}x").status_code == 400
    assert client.post(f"/unsubscribe/{token[:-4]}").status_code == 400


def test_unconfirmed_subscriptions_are_deleted_once_their_link_expires(app, client, outbox):
    from inkstand.subscriptions import jobs

    ask(client)
    sub = subscribers()[0]
    sub.created_at -= timedelta(seconds=app.config["SUBSCRIPTION_LINK_MAX_AGE"] + 1)
    db.session.commit()
    jobs.sweep_once(app)
    assert not subscribers()


def test_the_public_pages_run_a_fixed_few_queries(client, factory, queries):
    factory.user(Role.AUTHOR, "wren")
    assert count_queries(client, queries, SUBSCRIBE) == 1  # the site settings
    assert count_queries(client, queries, f"{SUBSCRIBE}?author=wren") == 2  # and the author
    assert count_queries(client, queries, "/subscribe/sent") == 1
