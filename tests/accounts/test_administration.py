"""The admin rules themselves, whatever the door: only an admin lists, suspends,
lifts a suspension, invites and deletes, and a visitor is no admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from inkstand import runtime
from inkstand.accounts import administration, closing
from inkstand.accounts.models import Invitation, Role, User
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden
from inkstand.extensions import db
from inkstand.mail import Mailer
from tests.helpers import fresh


def _mail(app) -> administration.InviteMail:
    return administration.InviteMail(
        mailer=Mailer(sender="x@example.org", outbox=Path(app.instance_path) / "outbox"),
        site_title="Inkstand",
        link_for=lambda token: f"https://example.org/{token}",
    )


ACTIONS = {
    "list": lambda app, actor, target: administration.list_users(db.session, actor),
    "suspend": lambda app, actor, target: administration.suspend(
        db.session, actor, target.id, utcnow()
    ),
    "unsuspend": lambda app, actor, target: administration.unsuspend(db.session, actor, target.id),
    "invite": lambda app, actor, target: administration.invite(
        db.session, actor, runtime.get().invite_links, "new@example.org", "admin", _mail(app)
    ),
    "delete": lambda app, actor, target: closing.delete_account(db.session, actor, target.id),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", [None, Role.READER, Role.AUTHOR, Role.EDITOR])
def test_only_an_admin_may(app, factory, action, role):
    factory.user(Role.ADMIN, "boss")
    target = factory.user(Role.AUTHOR, "target")
    actor = factory.user(role, "actor") if role else None
    with pytest.raises(Forbidden):
        ACTIONS[action](app, actor, target)
    assert fresh(select(User.suspended_at).where(User.id == target.id)) is None
    assert fresh(select(func.count(Invitation.id))) == 0


@pytest.mark.parametrize("action", ACTIONS)
def test_an_admin_may(app, factory, action):
    boss = factory.user(Role.ADMIN, "boss")
    target = factory.user(Role.AUTHOR, "target")
    ACTIONS[action](app, boss, target)
