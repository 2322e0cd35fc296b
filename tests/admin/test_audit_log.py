"""The audit log: who reads it, what it shows, its filters and pages, what it keeps,
and that nothing changes it but the operator's prune."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from inkstand import audit, runtime
from inkstand.accounts import closing
from inkstand.accounts import services as accounts
from inkstand.accounts.models import Role
from inkstand.api.realworld import blueprint as realworld
from inkstand.api.v1 import problems
from inkstand.audit import Action, AuditEntry, Target
from inkstand.db import utcnow
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import Factory, count_queries, login, submit

PAGE = "/admin/audit"


def _count() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count(AuditEntry.id))) or 0)


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_admins_read_the_log(client: FlaskClient, factory: Factory, role: Role) -> None:
    login(client, factory.user(role))
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "?since=nonsense").status_code == 403  # nothing said of the form


def test_a_visitor_is_sent_to_log_in(client: FlaskClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_page_is_read_only(client: FlaskClient, factory: Factory) -> None:
    login(client, factory.user(Role.ADMIN, "boss"))
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.open(PAGE, method=method).status_code in {400, 405}
    assert 'method="post"' not in client.get(PAGE).get_data(as_text=True).split("<main")[1]


def test_the_overview_links_to_the_log(client: FlaskClient, factory: Factory) -> None:
    login(client, factory.user(Role.ADMIN, "boss"))
    assert f'href="{PAGE}"' in client.get("/admin/").get_data(as_text=True)


def test_an_entry_shows_who_what_whom_where_and_the_change(
    client: FlaskClient, factory: Factory
) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    login(client, boss)
    victim = factory.user(Role.AUTHOR, "victim")
    assert submit(client, f"/admin/users/{victim.id}/role", {"role": "editor"}).status_code == 302
    html = client.get(PAGE).get_data(as_text=True)
    assert "Role changed" in html
    assert "<strong>boss</strong>" in html
    assert f"Account #{victim.id}: victim" in html
    assert "author → editor" in html
    assert "127.0.0.1" in html


def test_the_actor_and_the_target_are_kept_after_both_are_deleted(factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    helper = factory.user(Role.ADMIN, "helper")
    victim = factory.user(Role.AUTHOR, "victim")
    accounts.change_role(db.session, helper, victim.id, "editor")
    closing.delete_account(db.session, boss, victim.id)
    closing.delete_account(db.session, boss, helper.id)
    db.session.expire_all()
    first = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
    assert first is not None
    assert (first.actor_name, first.target_label) == ("helper", "victim")
    assert first.details == {"from": "author", "to": "editor"}


def test_settings_changes_name_each_setting_old_and_new(factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    site.update(db.session, boss, title="New title", posts_per_page=7)
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.details == {"changed": {"title": ["Inkstand", "New title"],
                                         "posts_per_page": [10, 7]}}  # fmt: skip


def test_a_new_footer_is_named_once_not_with_its_rendered_html(factory: Factory) -> None:
    site.update(db.session, factory.user(Role.ADMIN, "boss"), footer="*Ours*")
    entry = db.session.scalars(select(AuditEntry)).one()
    assert entry.details == {"changed": {"footer": ["", "*Ours*"]}}


def test_a_refused_action_leaves_no_entry(factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    with pytest.raises(Invalid):
        accounts.change_role(db.session, boss, boss.id, "reader")  # the last admin
    with pytest.raises(Invalid):
        site.update(db.session, boss, title="")
    assert _count() == 0


def test_an_action_never_happens_without_its_entry(
    factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry is written by the action's own commit: when writing it fails, the
    action is not done either."""
    boss = factory.user(Role.ADMIN, "boss")
    victim = factory.user(Role.AUTHOR, "victim")

    def broken(session, *args, **kwargs):  # type: ignore[no-untyped-def]
        session.add(AuditEntry(actor_name="x" * 500))  # too long, and without an action

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(Exception):  # noqa: B017, PT011 (the database's own error)
        accounts.change_role(db.session, boss, victim.id, "editor")
    db.session.rollback()
    db.session.expire_all()
    assert victim.role == "author"
    assert _count() == 0


def test_entries_are_never_changed_through_the_session(factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    site.update(db.session, boss, title="Changed")
    entry = db.session.scalars(select(AuditEntry)).one()
    entry.actor_name = "someone else"
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.scalars(select(AuditEntry)).one())
    with pytest.raises(audit.AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalars(select(AuditEntry.actor_name)).one() == "boss"


def _entries(boss, victim, count: int) -> None:  # type: ignore[no-untyped-def]
    start = utcnow() - timedelta(days=count)
    for n in range(count):
        audit.record(db.session, boss, Action.SUSPENDED, Target.account(victim),
                     now=start + timedelta(days=n))  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize("count", [3, 120])
def test_a_page_costs_the_same_whatever_the_log_holds(
    client: FlaskClient, factory: Factory, queries: list[str], count: int
) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    _entries(boss, factory.user(Role.AUTHOR, "victim"), count)
    login(client, boss)
    # The account, the site's settings, the page: whatever the filters.
    assert count_queries(client, queries, PAGE) == 3
    assert count_queries(client, queries, PAGE + "?actor=boss&target=victim&action="
                         "account.suspended&since=2020-01-01") == 3  # fmt: skip


def test_pages_follow_each_other_without_gaps(client: FlaskClient, factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    _entries(boss, factory.user(Role.AUTHOR, "victim"), 120)
    login(client, boss)
    seen, url = 0, PAGE + "?action=account.suspended"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += html.count("Account suspended</span>")
        older = html.split('rel="next" href="')
        url = older[1].split('"')[0].replace("&amp;", "&") if len(older) > 1 else ""
        assert not url or "action=account.suspended" in url
    assert seen == 120


def test_filters(client: FlaskClient, factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    other = factory.user(Role.ADMIN, "other")
    victim = factory.user(Role.AUTHOR, "victim")
    bystander = factory.user(Role.AUTHOR, "bystander")
    now = utcnow()
    audit.record(db.session, boss, Action.SUSPENDED, Target.account(victim), now=now)
    audit.record(db.session, other, Action.SUSPENDED, Target.account(bystander), now=now)
    audit.record(db.session, other, Action.ROLE_CHANGED, Target.account(victim),
                 now=now - timedelta(days=10))  # fmt: skip
    db.session.commit()
    login(client, boss)

    def shown(query: str) -> int:
        response = client.get(f"{PAGE}?{query}")
        assert response.status_code == 200
        return response.get_data(as_text=True).count('class="person record"')

    assert shown("") == 3
    assert shown("action=account.suspended") == 2
    assert shown("actor=Other") == 2
    assert shown("actor=@boss") == 1
    assert shown("target=victim") == 2
    assert shown("target=victim&actor=other") == 1
    today = now.date().isoformat()
    assert shown(f"since={today}") == 2
    assert shown(f"until={(now - timedelta(days=5)).date().isoformat()}") == 1
    assert shown("actor=nobody") == 0


def test_a_renamed_actor_is_found_by_her_new_name(client: FlaskClient, factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    victim = factory.user(Role.AUTHOR, "victim")
    audit.record(db.session, boss, Action.SUSPENDED, Target.account(victim))
    boss.username = "chief"
    db.session.commit()
    login(client, boss)
    assert 'class="person record"' in client.get(PAGE + "?actor=chief").get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("action=account.exploded", "Not a valid choice."),
        ("since=yesterday", "Not a valid date value."),
        ("since=2026-02-30", "Not a valid date value."),
        ("since=2026-05-02&until=2026-05-01", "The last day comes after the first."),
        ("actor=" + "a" * 31, "Field cannot be longer than 30 characters."),
    ],
)
def test_bad_filters_are_form_errors(
    client: FlaskClient, factory: Factory, query: str, message: str
) -> None:
    login(client, factory.user(Role.ADMIN, "boss"))
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_a_broken_cursor_is_a_400(client: FlaskClient, factory: Factory) -> None:
    login(client, factory.user(Role.ADMIN, "boss"))
    assert client.get(PAGE + "?before=%00garbage").status_code == 400


def test_the_command_line_records_as_the_command_line(app: Flask, factory: Factory) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["site", "set", "posts_per_page", "12"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-admin", "--username", "operator", "--email",
                                 "op@example.com", "--password", "a long passphrase"])  # fmt: skip
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    rows = db.session.execute(select(AuditEntry.action, AuditEntry.door, AuditEntry.actor_name)
                              .order_by(AuditEntry.id)).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("site.settings_changed", "cli", ""),
        ("account.admin_created", "cli", ""),
    ]


def test_prune_deletes_old_entries_and_records_itself(app: Flask, factory: Factory) -> None:
    boss = factory.user(Role.ADMIN, "boss")
    _entries(boss, factory.user(Role.AUTHOR, "victim"), 40)  # one a day, the last yesterday
    result = app.test_cli_runner().invoke(args=["audit", "prune", "--older-than-days", "10"])
    assert result.exit_code == 0, result.output
    assert "31 audit entries older than 10 days deleted." in result.output
    db.session.expire_all()
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert len(actions) == 10
    assert actions.count("audit.pruned") == 1
    bad = app.test_cli_runner().invoke(args=["audit", "prune", "--older-than-days", "0"])
    assert bad.exit_code != 0


def test_an_import_records_itself_as_documented(factory: Factory) -> None:
    """The call docs/operations.md gives the importer."""
    boss = factory.user(Role.ADMIN, "boss")
    audit.record(db.session, boss, audit.Action.SITE_IMPORTED, audit.Target.site(),
                 {"format": "wxr", "posts": 12})  # fmt: skip
    db.session.commit()
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.target_kind, entry.door) == ("site.imported", "site", "system")
    assert entry.details == {"format": "wxr", "posts": 12}


def test_the_doors_are_named_by_the_apis_own_prefixes() -> None:
    assert runtime.door_of(problems.PREFIX + "/posts") == audit.Door.API_V1
    assert runtime.door_of(realworld.PREFIX + "/articles") == audit.Door.REALWORLD
    assert runtime.door_of(realworld.PREFIX) == audit.Door.REALWORLD
    assert runtime.door_of("/apis") == audit.Door.HTML
    assert runtime.door_of("/admin/users") == audit.Door.HTML
