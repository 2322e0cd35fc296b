"""Every administrative action writes exactly one audit entry, through every door.

The routes are every state-changing route of the URL map: each is either an
administrative action, with a scenario here that performs it (as an admin or an
editor) and finds one new entry of its kind, or named in SELF_SERVICE with why it is
not one. A route added tomorrow fails until it is placed."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from inkstand.accounts import tokens
from inkstand.accounts.models import Invitation, Role, User
from inkstand.audit import Action, AuditEntry, Door
from inkstand.blog.models import Post
from inkstand.blog.services import posts
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.media import services as media
from inkstand.media.models import Media
from inkstand.site import services as site
from inkstand.site.menu import MenuItem, dump
from inkstand.subscriptions.models import Subscriber
from tests.helpers import PASSWORD, Doors, Factory, form_values, image_bytes, submit
from tests.moving import wxr
from tests.pages.helpers import make_page

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# State-changing routes that are not administrative: a person's own account, writing
# and her own content, reading aids. Token revocation on a new password or "log out
# everywhere" is recorded (sessions.revoke_api_tokens), as the scenarios below show.
SELF_SERVICE = {
    "accounts.accept_invitation": "makes the invited account (the invitation is recorded)",
    "accounts.change_email": "her own address",
    "accounts.confirm_address": "her own address",
    "accounts.confirm_email": "her own address",
    "accounts.disable_two_factor": "her own second factor (an admin's reset is recorded)",
    "accounts.follow": "a reader's mark",
    "accounts.unfollow": "a reader's mark",
    "accounts.forgot_password": "her own password",
    "accounts.reset_password": "her own password (revoked tokens are recorded)",
    "accounts.login": "logging in",
    "accounts.login_code": "logging in",
    "accounts.logout": "logging out",
    "accounts.register": "a new account of her own",
    "accounts.resend_confirmation": "her own address",
    "accounts.settings": "her own profile",
    "accounts.two_factor": "her own second factor",
    "api_v1_users.update_me": "her own profile (revoked tokens are recorded)",
    "realworld.update_user": "her own profile (revoked tokens are recorded)",
    "realworld.register": "a new account of her own",
    "realworld.login": "logging in",
    "realworld.follow": "a reader's mark",
    "realworld.unfollow": "a reader's mark",
    "realworld.favourite": "a reader's mark",
    "realworld.unfavourite": "a reader's mark",
    "blog.favourite": "a reader's mark",
    "blog.unfavourite": "a reader's mark",
    "blog.new": "writing: every save is a revision that names its writer",
    "blog.edit": "writing: every save is a revision that names its writer",
    "blog.autosave_post": "writing: the editor's working copy",
    "blog.preview": "changes nothing",
    "blog.restore": "writing: restoring a revision is a new revision",
    "api_v1_posts.create": "writing",
    "api_v1_posts.update": "writing: a revision",
    "api_v1_posts.publish": "writing: a revision",
    "realworld.create_article": "writing",
    "realworld.update_article": "writing: a revision",
    "comments.create": "commenting",
    "comments.edit": "her own comment",
    "api_v1_comments.create": "commenting",
    "realworld.create_comment": "commenting",
    "media.upload": "her own image",
    "media.avatar": "her own picture",
    "media.remove_avatar": "her own picture",
    "api_v1_media.upload": "her own image",
    "api_v1_media.upload_avatar": "her own picture",
    "api_v1_media.remove_avatar": "her own picture",
    "personal.export": "her own data",
    "personal.delete_account": "her own account, by her",
    "accounts.regenerate_recovery_codes": "her own second factor",
    "subscriptions.subscribe": "a reader's own address",
    "subscriptions.confirm": "a reader's own address",
    "subscriptions.unsubscribe": "a reader's own address",
    "api_v1_subscriptions.subscribe": "a reader's own address",
    "pages.new": "writing: every save is a revision that names its writer",
    "pages.edit": "writing: every save is a revision that names its writer",
    "pages.restore": "writing: restoring a revision is a new revision",
    "api_v1_pages.create": "writing",
    "api_v1_pages.update": "writing: a revision",
}


@dataclass
class World:
    app: Flask
    client: FlaskClient
    boss: User  # an admin
    ed: User  # an editor
    ada: User  # an author, whose post, comment and image staff act on
    victim: User  # an author whom the admin acts on
    post: Post
    comment: Comment  # held, by a reader, on Ada's post
    image: Media

    def doors(self, user: User) -> Doors:
        return Doors(self.app, self.client, user)


Scenario = Callable[[World], tuple[TestResponse, User, Door]]


def _role(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    url = f"/admin/users/{w.victim.id}/role"
    return submit(w.client, url, {"role": "editor"}), w.boss, Door.HTML


def _delete_account(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    url = f"/admin/users/{w.victim.id}/delete"
    return submit(w.client, url, {"heir": ""}, page=url), w.boss, Door.HTML


def _invite(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    data = {"email": "newcomer@example.com", "role": "author"}
    return submit(w.client, "/admin/users/invite", data), w.boss, Door.HTML


def _reset_two_factor(w: World) -> tuple[TestResponse, User, Door]:
    w.victim.totp_secret = "JBSWY3DPEHPK3PXP"
    db.session.commit()
    w.doors(w.boss)
    url = f"/admin/users/{w.victim.id}/two-factor/reset"
    return submit(w.client, url), w.boss, Door.HTML


def _settings(w: World) -> tuple[TestResponse, User, Door]:
    doors = w.doors(w.boss)
    return doors.form("/admin/settings", title="A new title"), w.boss, Door.HTML


def _suspend(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    return submit(w.client, f"/admin/users/{w.victim.id}/suspend"), w.boss, Door.HTML


def _unsuspend(w: World) -> tuple[TestResponse, User, Door]:
    w.victim.suspended_at = utcnow()
    db.session.commit()
    w.doors(w.boss)
    return submit(w.client, f"/admin/users/{w.victim.id}/unsuspend"), w.boss, Door.HTML


def _make_token(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ada)
    data = {"name": "deploy", "scope": "read"}
    return submit(w.client, "/settings/tokens", data), w.ada, Door.HTML


def _revoke_token(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ada)
    token = db.session.scalars(select(tokens.ApiToken).where(tokens.ApiToken.user_id == w.ada.id))
    url = f"/settings/tokens/{token.first().id}/revoke"
    return submit(w.client, url), w.ada, Door.HTML


def _new_password_revokes(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ada)
    data = {"current_password": PASSWORD, "password": "a quite new passphrase",
            "confirm": "a quite new passphrase", "revoke_tokens": "y"}  # fmt: skip
    return submit(w.client, "/settings/password", data), w.ada, Door.HTML


def _everywhere_revokes(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ada)
    data = {"everywhere-revoke_tokens": "y"}
    return submit(w.client, "/settings/logout-everywhere", data), w.ada, Door.HTML


def _delete_post(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ed)
    return submit(w.client, f"/posts/{w.post.id}/delete"), w.ed, Door.HTML


def _delete_post_v1(w: World) -> tuple[TestResponse, User, Door]:
    doors = w.doors(w.ed)
    return doors.v1("DELETE", f"/api/v1/posts/{w.post.id}"), w.ed, Door.API_V1


def _delete_post_realworld(w: World) -> tuple[TestResponse, User, Door]:
    doors = w.doors(w.ed)
    return doors.realworld("DELETE", f"/api/articles/{w.post.slug}"), w.ed, Door.REALWORLD


def _bulk_delete(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ed)
    data = {"action": "delete", "ids": str(w.post.id)}
    return submit(w.client, "/manage/bulk", data), w.ed, Door.HTML


def _trashed(w: World) -> None:
    posts.delete_post(db.session, w.ada, w.post.id, utcnow())  # her own: not recorded


def _restore_post(w: World) -> tuple[TestResponse, User, Door]:
    _trashed(w)
    w.doors(w.ed)
    return submit(w.client, f"/posts/{w.post.id}/restore"), w.ed, Door.HTML


def _restore_post_v1(w: World) -> tuple[TestResponse, User, Door]:
    _trashed(w)
    doors = w.doors(w.ed)
    return doors.v1("POST", f"/api/v1/posts/{w.post.id}/restore"), w.ed, Door.API_V1


def _moderate(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ed)
    data = {"ids": str(w.comment.id), "action": "approve", "status": "pending"}
    return submit(w.client, "/moderation", data), w.ed, Door.HTML


def _delete_comment(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ed)
    return submit(w.client, f"/comments/{w.comment.id}/delete"), w.ed, Door.HTML


def _delete_comment_realworld(w: World) -> tuple[TestResponse, User, Door]:
    w.comment.status = "approved"
    db.session.commit()
    doors = w.doors(w.ed)
    url = f"/api/articles/{w.post.slug}/comments/{w.comment.id}"
    return doors.realworld("DELETE", url), w.ed, Door.REALWORLD


def _delete_image(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.ed)
    return submit(w.client, f"/media/{w.image.id}/delete"), w.ed, Door.HTML


def _menu(action: str, data: dict[str, str]) -> Scenario:
    def scenario(w: World) -> tuple[TestResponse, User, Door]:
        links = [MenuItem("Archive", "/archive"), MenuItem("Code", "https://example.com/code")]
        site.write(db.session, menu=dump(links))  # as it stands, not an action
        about = make_page(w.boss, "About")
        w.doors(w.boss)
        sent = {k: v.format(page=about.id) for k, v in data.items()}
        response = submit(w.client, f"/admin/menu/{action}", sent, page="/admin/menu")
        return response, w.boss, Door.HTML

    return scenario


def _logo(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    upload = (io.BytesIO(image_bytes(size=(300, 300))), "logo.png")
    data = {"action": "logo", "logo": upload}
    response = submit(w.client, "/admin/appearance", data, page="/admin/appearance",
                      content_type="multipart/form-data")  # fmt: skip
    return response, w.boss, Door.HTML


def _delete_page(w: World) -> tuple[TestResponse, User, Door]:
    about = make_page(w.boss, "About")
    w.doors(w.ed)
    return submit(w.client, f"/pages/{about.id}/delete"), w.ed, Door.HTML


def _delete_page_v1(w: World) -> tuple[TestResponse, User, Door]:
    about = make_page(w.boss, "About")
    doors = w.doors(w.ed)
    return doors.v1("DELETE", f"/api/v1/pages/{about.id}"), w.ed, Door.API_V1


def _export(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    response = submit(w.client, "/admin/moving/export", page="/admin/moving")
    response.get_data()  # the zip is written as it is sent, and the entry after it
    return response, w.boss, Door.HTML


def _import(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    data = {"kind": "wordpress", "file": (io.BytesIO(wxr.realistic()), "old.xml")}
    response = submit(w.client, "/admin/moving/import", data, page="/admin/moving",
                      content_type="multipart/form-data")  # fmt: skip
    return response, w.boss, Door.HTML


def _subscriber(consent: str = "link") -> Subscriber:
    found = Subscriber(email="fan@example.org", scope="site", key="k" * 16, consent=consent,
                       confirmed_at=utcnow())  # fmt: skip
    db.session.add(found)
    db.session.commit()
    return found


def _remove_subscriber(w: World) -> tuple[TestResponse, User, Door]:
    gone = _subscriber()
    w.doors(w.boss)
    url = f"/admin/subscribers/{gone.id}/remove"
    return submit(w.client, url, page="/admin/subscribers"), w.boss, Door.HTML


def _reconfirm_subscriber(w: World) -> tuple[TestResponse, User, Door]:
    asked = _subscriber(consent="import")
    w.doors(w.boss)
    url = f"/admin/subscribers/{asked.id}/reconfirm"
    return submit(w.client, url, page="/admin/subscribers"), w.boss, Door.HTML


def _import_subscribers(w: World) -> tuple[TestResponse, User, Door]:
    w.doors(w.boss)
    data = {"file": (io.BytesIO(b"email\nnew@example.org\n"), "list.csv")}
    page = "/admin/subscribers/import"
    response = submit(w.client, page, data, page=page, content_type="multipart/form-data")
    return response, w.boss, Door.HTML


def _withdraw_invitation(w: World) -> tuple[TestResponse, User, Door]:
    invitation = Invitation(email="guest@example.org", role="author", nonce="n" * 16,
                            invited_by_id=w.boss.id)  # fmt: skip
    db.session.add(invitation)
    db.session.commit()
    w.doors(w.boss)
    url = f"/admin/invitations/{invitation.id}/revoke"
    return submit(w.client, url, page="/admin/users"), w.boss, Door.HTML


def _delete_image_v1(w: World) -> tuple[TestResponse, User, Door]:
    doors = w.doors(w.ed)
    return doors.v1("DELETE", f"/api/v1/media/{w.image.id}"), w.ed, Door.API_V1


AUDITED: dict[str, list[tuple[Scenario, Action]]] = {
    "admin.change_role": [(_role, Action.ROLE_CHANGED)],
    "admin.delete": [(_delete_account, Action.ACCOUNT_DELETED)],
    "admin.invite": [(_invite, Action.INVITED)],
    "admin.reset_two_factor": [(_reset_two_factor, Action.TWO_FACTOR_RESET)],
    "admin.settings": [(_settings, Action.SETTINGS_CHANGED)],
    "admin.suspend": [(_suspend, Action.SUSPENDED)],
    "admin.unsuspend": [(_unsuspend, Action.UNSUSPENDED)],
    "accounts.api_tokens": [(_make_token, Action.TOKEN_CREATED)],
    "accounts.revoke_token": [(_revoke_token, Action.TOKEN_REVOKED)],
    "accounts.change_password": [(_new_password_revokes, Action.TOKEN_REVOKED)],
    "accounts.logout_everywhere": [(_everywhere_revokes, Action.TOKEN_REVOKED)],
    "blog.delete": [(_delete_post, Action.POST_DELETED)],
    "api_v1_posts.delete": [(_delete_post_v1, Action.POST_DELETED)],
    "realworld.delete_article": [(_delete_post_realworld, Action.POST_DELETED)],
    "blog.manage_bulk": [(_bulk_delete, Action.POST_DELETED)],
    "blog.restore_post": [(_restore_post, Action.POST_RESTORED)],
    "api_v1_posts.restore": [(_restore_post_v1, Action.POST_RESTORED)],
    "comments.moderate": [(_moderate, Action.COMMENT_APPROVED)],
    "comments.delete": [(_delete_comment, Action.COMMENT_DELETED)],
    "realworld.delete_comment": [(_delete_comment_realworld, Action.COMMENT_DELETED)],
    "media.delete": [(_delete_image, Action.MEDIA_DELETED)],
    "api_v1_media.delete": [(_delete_image_v1, Action.MEDIA_DELETED)],
    "admin.menu_add_page": [
        (_menu("pages", {"page": "{page}", "page_label": ""}), Action.SETTINGS_CHANGED)
    ],
    "admin.menu_add_link": [
        (_menu("links", {"label": "Us", "url": "/about"}), Action.SETTINGS_CHANGED)
    ],
    "admin.menu_up": [(_menu("up", {"index": "1"}), Action.SETTINGS_CHANGED)],
    "admin.menu_down": [(_menu("down", {"index": "0"}), Action.SETTINGS_CHANGED)],
    "admin.menu_remove": [(_menu("remove", {"index": "0"}), Action.SETTINGS_CHANGED)],
    "admin.appearance": [(_logo, Action.SETTINGS_CHANGED)],
    "pages.delete": [(_delete_page, Action.PAGE_DELETED)],
    "api_v1_pages.delete": [(_delete_page_v1, Action.PAGE_DELETED)],
    "moving.export": [(_export, Action.SITE_EXPORTED)],
    "subscriptions.remove": [(_remove_subscriber, Action.SUBSCRIBER_REMOVED)],
    "subscriptions.reconfirm": [(_reconfirm_subscriber, Action.SUBSCRIBER_ASKED)],
    "subscriptions.import_list": [(_import_subscribers, Action.SUBSCRIBERS_IMPORTED)],
    "admin.revoke_invitation": [(_withdraw_invitation, Action.INVITATION_WITHDRAWN)],
    "moving.start_import": [(_import, Action.SITE_IMPORTED)],
}
CASES = [
    pytest.param(scenario, action, id=f"{endpoint}:{action.value}")
    for endpoint, scenarios in AUDITED.items()
    for scenario, action in scenarios
]


def test_every_state_changing_route_is_placed(app: Flask) -> None:
    endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if WRITES & set(rule.methods or ())
    }
    assert len(endpoints) >= 60, endpoints
    unplaced = endpoints - AUDITED.keys() - SELF_SERVICE.keys()
    assert not unplaced, f"place these in AUDITED or SELF_SERVICE: {sorted(unplaced)}"
    assert not (AUDITED.keys() & SELF_SERVICE.keys())
    assert not (AUDITED.keys() | SELF_SERVICE.keys()) - endpoints  # none stale


@pytest.fixture
def world(app: Flask, client: FlaskClient, factory: Factory) -> World:
    boss = factory.user(Role.ADMIN, "boss")
    ed = factory.user(Role.EDITOR, "eddie")
    ada = factory.user(Role.AUTHOR, "ada")
    victim = factory.user(Role.AUTHOR, "victim")
    reader = factory.user(Role.READER, "rita")
    post = factory.post(ada, "Ada's post")
    comment = factory.comment(reader, post, "Held for approval", policy="hold_all")
    image = media.upload(
        db.session, media_context.storage(), ada, image_bytes(), media_context.limits(),
        lambda _id: None,
    )  # fmt: skip
    tokens.create(db.session, ada, "old", "read", utcnow())
    return World(app, client, boss, ed, ada, victim, post, comment, image)


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


@pytest.mark.parametrize(("scenario", "action"), CASES)
def test_each_admin_action_writes_exactly_one_entry(
    world: World, scenario: Scenario, action: Action
) -> None:
    before = {e.id for e in _entries()}
    response, actor, door = scenario(world)
    assert response.status_code in {200, 204, 302, 303}, response.get_data(as_text=True)[:500]
    new = [e for e in _entries() if e.id not in before and not _doors_token(e)]
    assert [e.action for e in new] == [action.value]
    entry = new[0]
    assert (entry.actor_id, entry.actor_name) == (actor.id, actor.username)
    assert entry.door == door.value
    assert entry.address == "127.0.0.1"


def _doors_token(entry: AuditEntry) -> bool:
    """The token tests.helpers.Doors makes for the API doors (recorded too)."""
    return entry.action == Action.TOKEN_CREATED and entry.target_label.startswith("doors ")


def test_the_doors_token_is_itself_recorded(world: World) -> None:
    world.doors(world.ed)
    made = [e for e in _entries() if _doors_token(e)]
    assert [(e.actor_name, e.door) for e in made] == [("eddie", "system")]  # no request


def test_no_entry_without_an_action(world: World, client: FlaskClient) -> None:
    """Refused, invalid or empty actions write nothing."""
    Doors(world.app, client, world.ada)  # an author: no admin page is hers
    before = db.session.scalar(select(func.count(AuditEntry.id)))
    assert submit(client, f"/admin/users/{world.victim.id}/suspend").status_code == 403
    role = {"role": "admin"}
    assert submit(client, f"/admin/users/{world.victim.id}/role", role).status_code == 403
    assert submit(client, "/admin/settings", {"title": "Mine"}).status_code == 403
    assert db.session.scalar(select(func.count(AuditEntry.id))) == before
    # Her own post into the trash and back: hers, so not an administrative action.
    assert submit(client, f"/posts/{world.post.id}/delete").status_code == 302
    assert submit(client, f"/posts/{world.post.id}/restore").status_code == 302
    assert db.session.scalar(select(func.count(AuditEntry.id))) == before


def test_the_unchanged_settings_form_writes_nothing(world: World) -> None:
    doors = world.doors(world.boss)
    before = len(_entries())
    page = "/admin/settings"
    assert world.client.post(page, data=form_values(world.client, page)).status_code == 302
    assert len(_entries()) == before
    assert doors  # logged in as the admin throughout


def test_taking_the_subscribers_list_is_recorded(world: World) -> None:
    """A GET, but it hands over personal data: the log says who took it."""
    _subscriber()
    world.doors(world.boss)
    before = {e.id for e in _entries()}
    assert world.client.get("/admin/subscribers.csv").status_code == 200
    new = [e for e in _entries() if e.id not in before]
    assert [(e.action, e.actor_name, e.door) for e in new] == [
        (Action.SUBSCRIBERS_EXPORTED.value, "boss", "html")
    ]
    assert "fan@example.org" not in str([e.details for e in new])
