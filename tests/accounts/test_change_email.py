"""Changing one's e-mail address: a link mailed to the new address makes the change,
once; the old address is told; a link that is expired, used, replaced or altered
gets a page that says which."""

from __future__ import annotations

import dataclasses
import re
import socket
from collections.abc import Iterator

import itsdangerous.timed
import pytest
from aiosmtpd.controller import Controller

from inkstand import runtime
from inkstand.accounts.models import Role, User
from inkstand.extensions import db
from tests.helpers import PASSWORD, Outbox, errors_on, login, read_mail, submit

PAGE = "/settings/email"
LINK = re.compile(r"http://inkstand\.test(/settings/email/confirm/\S+)")
SENT = "A link is on its way to the new address"


@pytest.fixture
def outbox(app) -> Outbox:
    return Outbox(app)


def ask(client, email="ada.new@example.com", current=PASSWORD):
    return submit(client, PAGE, {"email": email, "current_password": current}, page=PAGE)


def link_in(message) -> str:
    found = LINK.search(message.get_content())
    assert found, message.get_content()
    return found[1]


def confirm(client, link):
    return submit(client, link, page=link)


def address_of(user: User) -> str:
    db.session.expire_all()
    return user.email


@pytest.fixture
def ada(factory) -> User:
    factory.user(username="first")  # the first account is always admin
    return factory.user(username="ada", email="ada@example.com")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.EDITOR, Role.AUTHOR, Role.READER])
def test_every_role_changes_her_address_by_the_mailed_link(client, ada, outbox, role):
    ada.role = role.value
    db.session.commit()
    login(client, ada)
    response = ask(client, "Ada.New@Example.com")
    assert response.status_code == 302
    assert SENT in client.get("/settings").get_data(as_text=True)
    [mail] = outbox.messages()
    assert mail["To"] == "ada.new@example.com"
    assert address_of(ada) == "ada@example.com"  # nothing changes before the link is opened

    link = link_in(mail)
    page = client.get(link)  # a mail scanner following the link changes nothing
    assert page.status_code == 200
    assert "ada.new@example.com" in page.get_data(as_text=True)
    assert address_of(ada) == "ada@example.com"

    assert confirm(client, link).status_code == 302
    assert address_of(ada) == "ada.new@example.com"
    told = outbox.messages()[-1]
    assert told["To"] == "ada@example.com"
    assert "ada.new@example.com" in told.get_content()
    assert submit(client, "/login", {"login": "ada.new@example.com", "password": PASSWORD})


def test_the_link_works_in_another_browser_without_logging_in(app, client, ada, outbox):
    login(client, ada)
    ask(client)
    elsewhere = app.test_client()
    page = elsewhere.get(link_in(outbox.messages()[0])).get_data(as_text=True)
    assert "The account <strong>ada</strong> will use" in page  # named to a visitor too
    response = confirm(elsewhere, link_in(outbox.messages()[0]))
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert address_of(ada) == "ada.new@example.com"


def test_a_used_link_gets_a_clear_page(client, ada, outbox):
    login(client, ada)
    ask(client)
    link = link_in(outbox.messages()[0])
    confirm(client, link)
    again = client.get(link)
    assert again.status_code == 400
    assert "was used already" in again.get_data(as_text=True)
    assert confirm(client, link).status_code == 400


def test_a_newer_link_replaces_the_older(client, ada, outbox):
    login(client, ada)
    ask(client, "first.try@example.com")
    ask(client, "second.try@example.com")
    older, newer = (link_in(m) for m in outbox.messages())
    assert "newer one replaced it" in client.get(older).get_data(as_text=True)
    assert confirm(client, older).status_code == 400
    assert confirm(client, newer).status_code == 302
    assert address_of(ada) == "second.try@example.com"


def test_an_expired_link_gets_a_clear_page(app, client, ada, outbox, monkeypatch):
    login(client, ada)
    ask(client)
    link = link_in(outbox.messages()[0])
    late = itsdangerous.timed.time.time() + app.config["EMAIL_CHANGE_MAX_AGE"] + 1
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: late)
    response = client.get(link)
    assert response.status_code == 400
    assert "has expired" in response.get_data(as_text=True)
    assert address_of(ada) == "ada@example.com"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda link: link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"),
        lambda link: link[: len(link) // 2],
        lambda link: "/settings/email/confirm/garbage",
    ],
)
def test_an_altered_link_gets_a_clear_page(client, ada, outbox, tamper):
    login(client, ada)
    ask(client)
    response = client.get(tamper(link_in(outbox.messages()[0])))
    assert response.status_code == 400
    assert "is not valid" in response.get_data(as_text=True)
    assert address_of(ada) == "ada@example.com"


def test_a_link_with_a_nul_is_not_found_as_every_such_address_is(client):
    assert client.get("/settings/email/confirm/%00%00").status_code == 404


def test_another_accounts_address_is_answered_alike_and_its_owner_told(
    client, factory, ada, outbox
):
    factory.user(username="bea", email="bea@example.com")
    login(client, ada)
    response = ask(client, "BEA@example.com")
    assert response.status_code == 302
    assert SENT in client.get("/settings").get_data(as_text=True)
    [mail] = outbox.messages()
    assert mail["To"] == "bea@example.com"
    assert "already belongs to your account" in mail.get_content()
    assert not LINK.search(mail.get_content())
    assert address_of(ada) == "ada@example.com"


def test_an_address_taken_before_the_link_is_opened_is_refused(client, factory, ada, outbox):
    login(client, ada)
    ask(client, "wanted@example.com")
    link = link_in(outbox.messages()[0])
    factory.user(username="bea", email="wanted@example.com")
    response = confirm(client, link)
    assert response.status_code == 400
    assert "now belongs to another account" in response.get_data(as_text=True)
    assert address_of(ada) == "ada@example.com"


@pytest.mark.parametrize(
    ("email", "current", "message"),
    [
        ("ada.new@example.com", "not my password", "That is not your current password."),
        ("ada.new@example.com", "", "This field is required."),
        ("ada@example.com", PASSWORD, "That is already your address."),
        ("not an address", PASSWORD, "Enter a valid e-mail address."),
        ("ada\x00@example.com\x00", PASSWORD, "That is already your address."),  # NUL dropped
        ("a" * 250 + "@example.com", PASSWORD, "Field cannot be longer than 254 characters."),
        ("", PASSWORD, "This field is required."),
    ],
)
def test_bad_input_is_refused_on_the_page(client, ada, outbox, email, current, message):
    login(client, ada)
    response = ask(client, email, current)
    assert response.status_code == 422
    assert message in errors_on(response)
    assert outbox.messages() == []
    assert address_of(ada) == "ada@example.com"


def test_asking_for_links_is_limited_per_account(app, client, ada, outbox):
    login(client, ada)
    allowed = int(app.config["ADDRESS_CHANGE_LIMITS_PER_ACCOUNT"].split()[0])
    answers = [ask(client, f"try{n}@example.com").status_code for n in range(allowed + 1)]
    assert answers == [302] * allowed + [429]
    assert len(outbox.messages()) == allowed


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_both_forms_need_a_csrf_token(client, ada, outbox):
    login(client, ada)
    data = {"email": "ada.new@example.com", "current_password": PASSWORD}
    assert client.post(PAGE, data=data).status_code == 400
    assert outbox.messages() == []
    ask(client)
    link = link_in(outbox.messages()[0])
    assert client.post(link).status_code == 400
    assert address_of(ada) == "ada@example.com"


def test_the_pages_run_a_fixed_number_of_queries(client, ada, outbox, queries):
    login(client, ada)
    ask(client)
    link = link_in(outbox.messages()[0])
    queries.clear()
    assert client.get(PAGE).status_code == 200
    assert len(queries) <= 3, queries
    queries.clear()
    assert client.get(link).status_code == 200
    assert len(queries) <= 4, queries


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp(app, monkeypatch) -> Iterator[_Inbox]:
    """A real SMTP server the app's mailer sends to."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    current = runtime.get()
    mailer = dataclasses.replace(current.mailer, server="127.0.0.1", port=port, use_tls=False)
    monkeypatch.setitem(app.extensions, "inkstand", dataclasses.replace(current, mailer=mailer))
    yield inbox
    controller.stop()


def test_the_link_goes_through_smtp_and_works_when_followed(client, ada, smtp):
    login(client, ada)
    ask(client)
    mail = read_mail(smtp.messages[0])
    assert mail["To"] == "ada.new@example.com"
    assert confirm(client, link_in(mail)).status_code == 302
    told = read_mail(smtp.messages[1])
    assert told["To"] == "ada@example.com"
    assert address_of(ada) == "ada.new@example.com"
