"""Site settings: what an admin may change, and how it is kept."""

from __future__ import annotations

from inkstand.accounts.models import Role
from inkstand.extensions import db
from inkstand.site import services as site


def test_site_settings_are_stored_without_control_characters(factory):
    admin = factory.user(Role.ADMIN)
    saved = site.update(db.session, admin, title="My\x00 blog", description="About\x00 me")
    assert (saved.title, saved.description) == ("My blog", "About me")
    assert site.load(db.session).title == "My blog"
