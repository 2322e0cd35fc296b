"""The admin's list of accounts: newest first, by keyset, searchable by username or
address, a fixed number of queries whatever the number of accounts, and a layout of
cards (no table) that fits a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert

from inkstand.accounts.models import Role, User
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import BAD_CURSOR, count_queries, login


def _many(count: int) -> None:
    start = utcnow() - timedelta(days=1)
    db.session.execute(
        insert(User),
        [
            {
                "username": f"member{n:04d}",
                "email": f"member{n:04d}@example.org",
                "password_hash": "x",
                "role": "reader",
                "created_at": start + timedelta(seconds=n),
            }
            for n in range(count)
        ],
    )
    db.session.commit()


def _names(html: str) -> list[str]:
    return re.findall(r'<div class="person-name">\s*<a href="[^"]+">([^<]+)</a>', html)


def test_the_list_pages_by_keyset_newest_first(client, factory):
    login(client, factory.user(Role.ADMIN, "boss"))
    _many(120)
    first = client.get("/admin/users").get_data(as_text=True)
    names = _names(first)
    assert len(names) == 50
    assert names[0] == "boss"  # the newest account
    older = re.search(r'href="(/admin/users\?before=[^"]+)"', first)
    assert older
    second = _names(client.get(older[1].replace("&amp;", "&")).get_data(as_text=True))
    assert len(second) == 50
    assert not set(names) & set(second)


def test_the_list_costs_the_same_whatever_the_number_of_accounts(client, factory, queries):
    login(client, factory.user(Role.ADMIN, "boss"))
    _many(3)
    few = count_queries(client, queries, "/admin/users")
    _many_more = 200
    db.session.execute(
        insert(User),
        [{"username": f"more{n}", "email": f"more{n}@example.org", "password_hash": "x",
          "role": "author"} for n in range(_many_more)],
    )  # fmt: skip
    db.session.commit()
    assert count_queries(client, queries, "/admin/users") == few
    assert count_queries(client, queries, "/admin/users?q=more1") == few
    # The logged-in account, the site settings, the page of accounts, the invitations.
    assert few == 4


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("ADA", ["ada", "adalind"]),
        ("adalind@", ["adalind"]),
        ("example.net", ["bram"]),
        ("%", []),
        ("_", []),
        ("' OR 1=1 --", []),
        ("\x00ada", ["ada", "adalind"]),
        ("a" * 500, []),
    ],
)
def test_search_by_username_or_address(client, factory, search, found):
    login(client, factory.user(Role.ADMIN, "boss"))
    factory.user(Role.AUTHOR, "ada")
    factory.user(Role.AUTHOR, "adalind")
    factory.user(Role.READER, "bram", email="bram@example.net")
    response = client.get("/admin/users", query_string={"q": search})
    assert response.status_code == 200
    assert sorted(_names(response.get_data(as_text=True))) == found


def test_a_broken_page_link_is_a_400(client, factory):
    login(client, factory.user(Role.ADMIN, "boss"))
    response = client.get("/admin/users?before=nonsense")
    assert response.status_code == 400
    assert BAD_CURSOR in response.get_data(as_text=True)


def test_the_list_is_cards_not_a_table(client, factory):
    login(client, factory.user(Role.ADMIN, "boss"))
    page = client.get("/admin/users").get_data(as_text=True)
    assert "<table" not in page
    assert '<ul class="people"' in page
    # Her own row offers no way to suspend or delete herself.
    assert "/suspend" not in page
    assert "/delete" not in page
