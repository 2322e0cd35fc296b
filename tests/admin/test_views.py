"""The admin pages: accounts and their roles, the site settings; bad input is a form error."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from inkstand.accounts.models import User
from inkstand.site.services import POSTS_PER_PAGE_RANGE
from tests.helpers import (
    REQUIRED,
    TOO_LONG,
    Factory,
    assert_form_error,
    fresh,
    login,
    stored,
    submit,
)

BETWEEN = "between {} and {}".format(*POSTS_PER_PAGE_RANGE)


@pytest.mark.parametrize("role", ["emperor", "", "ADMIN", "admin ", "superuser"])
def test_an_unknown_role_is_refused(client: FlaskClient, factory: Factory, role: str) -> None:
    login(client, factory.user("admin", "boss"))
    target = factory.user("author", "target")
    response = submit(client, f"/admin/users/{target.id}/role", {"role": role})
    # The role form sits in every row of the users page: its error comes back there.
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choose a role from the list." in page
    assert fresh(select(User.role).where(User.id == target.id)) == "author"


def test_a_role_change_for_no_such_account_is_404(client: FlaskClient, factory: Factory) -> None:
    login(client, factory.user("admin", "boss"))
    before = stored()
    assert submit(client, "/admin/users/999999/role", {"role": "reader"}).status_code == 404
    assert stored() == before


SETTINGS = {"title": "My site", "description": "", "new_account_role": "author"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"posts_per_page": "0"}, BETWEEN, id="zero"),
        pytest.param({"posts_per_page": "101"}, BETWEEN, id="too-many"),
        pytest.param({"posts_per_page": "-5"}, BETWEEN, id="negative"),
        pytest.param({"posts_per_page": "9" * 30}, BETWEEN, id="huge"),
        pytest.param({"posts_per_page": "ten"}, "Not a valid integer value.", id="words"),
        pytest.param({"posts_per_page": "2.5"}, "Not a valid integer value.", id="fraction"),
        pytest.param({"posts_per_page": ""}, "Not a valid integer value.", id="empty"),
        pytest.param({"title": ""}, REQUIRED, id="title-empty"),
        pytest.param({"title": "t" * 81}, TOO_LONG.format(80), id="title-too-long"),
        pytest.param({"description": "d" * 301}, TOO_LONG.format(300), id="description-long"),
        pytest.param({"new_account_role": "admin"}, "Not a valid choice.", id="new-accounts-admin"),
    ],
)
def test_bad_site_settings_are_refused(
    client: FlaskClient, factory: Factory, change: dict[str, str], message: str
) -> None:
    login(client, factory.user("admin", "boss"))
    before = stored()
    form = {**SETTINGS, "posts_per_page": "10", **change}
    response = submit(client, "/admin/settings", form, page="/admin/settings")
    assert_form_error(response, message)
    assert stored() == before


def test_admin_leads_to_an_overview_of_every_admin_page(client: FlaskClient, factory: Factory,
                                                        queries: list[str]) -> None:  # fmt: skip
    login(client, factory.user("admin", "boss"))
    assert client.get("/admin").headers["Location"].endswith("/admin/")
    queries.clear()
    page = client.get("/admin/")
    assert page.status_code == 200
    assert len(queries) <= 2  # the account and the site's settings, whatever the site holds
    html = page.get_data(as_text=True)
    for where in ("/admin/users", "/admin/users/invite", "/admin/settings", "/moderation",
                  "/stats", "/manage", "/manage/trash"):  # fmt: skip
        assert f'href="{where}"' in html, where
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)  # the header's link


@pytest.mark.parametrize("role", ["reader", "author", "editor"])
def test_only_admins_see_the_overview(client: FlaskClient, factory: Factory, role: str) -> None:
    login(client, factory.user(role))
    assert client.get("/admin/").status_code == 403


def test_a_visitor_is_sent_to_log_in_from_the_overview(client: FlaskClient) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
