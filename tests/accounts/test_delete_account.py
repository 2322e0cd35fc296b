"""Deleting an account, by its holder (password required, posts deleted) or by an
admin (posts deleted or handed over): nothing of the account stays in any table, its
comments stay by "a deleted account", and its sessions and tokens stop at once."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, Text, func, or_, select

from inkstand.accounts.models import DELETED_ACCOUNT, Role, User
from inkstand.analytics.models import DELETED_AUTHOR_PATH, PageView
from inkstand.audit import AuditEntry
from inkstand.blog.models import Post
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from tests.helpers import PASSWORD, TOO_LONG, Doors, assert_form_error, fresh, login, submit

PAGE = "/settings/delete"


def _remains(user_id: int, username: str, email: str) -> list[str]:
    """Every place in every table of the schema that still names the account: a
    column that refers to users.id holding its id, or any text holding its name or
    address. The audit log aside: it keeps who did what, and to whom, by the name they
    had then, after the account is gone (docs/operations.md, docs/privacy.md)."""
    found = []
    for table in db.metadata.sorted_tables:
        if table.name == AuditEntry.__tablename__:
            continue
        checks = []
        for column in table.columns:
            refers = any(fk.column.table.name == "users" for fk in column.foreign_keys)
            if refers or (table.name == "users" and column.name == "id"):
                checks.append(column == user_id)
            elif isinstance(column.type, String | Text) and not isinstance(column.type, Integer):
                lowered = func.lower(column)
                checks += [lowered.contains(username.lower()), lowered.contains(email.lower())]
        if checks:
            count = db.session.scalar(select(func.count()).select_from(table).where(or_(*checks)))
            if count:
                found.append(table.name)
    return found


def _world(factory):
    """A site with an admin, another writer, and Ada, who writes, comments, follows,
    favourites and holds tokens; others comment on her post and favourite it."""
    admin = factory.user(Role.ADMIN, "boss")
    bram = factory.user(Role.AUTHOR, "bram")
    ada = factory.user(Role.AUTHOR, "adalovelace", email="ada.l@example.org")
    hers = factory.post(ada, "Her post")
    his = factory.post(bram, "His post")
    factory.comment(bram, hers, "A comment on her post")
    factory.comment(ada, his, "Her comment on his post")
    from inkstand.accounts import services as accounts
    from inkstand.blog.services import favourites

    now = utcnow()
    db.session.add_all([
        PageView(viewed_at=now, day=now.date(), path=path, visitor="v")
        for path in ("/authors/adalovelace", "/authors/AdaLovelace/feed.xml", "/authors/bram")
    ])  # fmt: skip
    db.session.commit()
    accounts.follow(db.session, ada, "bram")
    accounts.follow(db.session, bram, "adalovelace")
    favourites.favourite(db.session, ada, his.id)
    favourites.favourite(db.session, bram, hers.id)
    return admin, bram, ada, hers, his


def test_deleting_her_own_account_leaves_nothing_of_it(app, client, factory):
    _, _, ada, hers, his = _world(factory)
    ids = (ada.id, ada.username, ada.email)
    doors = Doors(app, client, ada)
    assert _remains(*ids)

    response = submit(client, PAGE, {"current_password": PASSWORD, "understood": "y"}, page=PAGE)

    assert response.status_code == 302
    assert _remains(*ids) == []
    # Her author pages' views stay counted, without her name.
    paths = sorted(db.session.scalars(select(PageView.path)))
    assert paths == [DELETED_AUTHOR_PATH, DELETED_AUTHOR_PATH, "/authors/bram"]
    # Her post went, with the comment on it; his post lost her favourite.
    assert fresh(select(func.count(Post.id)).where(Post.id == hers.id)) == 0
    assert fresh(select(Post.favourite_count).where(Post.id == his.id)) == 0
    # Her comment stays, by nobody, shown as by a deleted account.
    comment = fresh(select(Comment).where(Comment.post_id == his.id))
    assert comment.author_id is None
    page = client.get(f"/posts/{his.slug}").get_data(as_text=True)
    assert "Her comment on his post" in page
    assert DELETED_ACCOUNT in page
    assert fresh(select(Post.comment_count).where(Post.id == his.id)) == 1
    # Her session, API token and RealWorld token stop at once.
    assert client.get("/settings").status_code == 302
    assert doors.v1("GET", "/api/v1/me").status_code == 401
    assert doors.realworld("GET", "/api/user").status_code == 401
    comments = client.get(f"/api/v1/posts/{his.id}/comments").get_json()
    assert comments["comments"][0]["author"] is None
    assert client.get(f"/api/articles/{his.slug}/comments").status_code == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current_password": "wrong password!", "understood": "y"}, "not your current password"),
        ({"current_password": "", "understood": "y"}, "This field is required."),
        ({"current_password": PASSWORD}, "This field is required."),
        ({"current_password": "x" * 300, "understood": "y"}, TOO_LONG.format(256)),
    ],
)
def test_a_bad_confirmation_deletes_nothing(client, factory, form, message):
    factory.user(Role.ADMIN, "boss")
    ada = factory.user(Role.AUTHOR, "ada")
    login(client, ada)
    assert_form_error(submit(client, PAGE, form, page=PAGE), message)
    assert fresh(select(func.count(User.id)).where(User.id == ada.id)) == 1


def test_the_last_admin_cannot_delete_her_account(client, factory):
    boss = factory.user(Role.ADMIN, "boss")
    login(client, boss)
    response = submit(client, PAGE, {"current_password": PASSWORD, "understood": "y"}, page=PAGE)
    assert response.status_code == 403
    assert fresh(select(func.count(User.id)).where(User.id == boss.id)) == 1


@pytest.mark.parametrize("role", [Role.READER, Role.AUTHOR, Role.EDITOR, Role.ADMIN])
def test_every_role_may_delete_her_own_account(client, factory, role):
    factory.user(Role.ADMIN, "boss")
    user = factory.user(role, "leaving")
    login(client, user)
    assert client.get(PAGE).status_code == 200
    response = submit(client, PAGE, {"current_password": PASSWORD, "understood": "y"}, page=PAGE)
    assert response.status_code == 302
    assert fresh(select(func.count(User.id)).where(User.id == user.id)) == 0


def test_an_admin_hands_the_posts_to_another_writer(app, client, factory):
    admin, bram, ada, hers, _ = _world(factory)
    ids = (ada.id, ada.username, ada.email)
    login(client, admin)
    page = client.get(f"/admin/users/{ada.id}/delete").get_data(as_text=True)
    assert "Delete the account adalovelace?" in page
    assert "Give them to bram (author)" in page

    response = submit(client, f"/admin/users/{ada.id}/delete", {"heir": str(bram.id)},
                      page=f"/admin/users/{ada.id}/delete")  # fmt: skip

    assert response.status_code == 302
    assert fresh(select(Post.author_id).where(Post.id == hers.id)) == bram.id
    assert _remains(*ids) == []


def test_an_admin_deletes_the_posts_with_the_account(client, factory):
    admin, _, ada, hers, _ = _world(factory)
    ids = (ada.id, ada.username, ada.email)
    login(client, admin)
    page = f"/admin/users/{ada.id}/delete"
    assert submit(client, page, {"heir": ""}, page=page).status_code == 302
    assert fresh(select(func.count(Post.id)).where(Post.id == hers.id)) == 0
    assert _remains(*ids) == []


@pytest.mark.parametrize("heir", ["999999", "abc", "-1"])
def test_an_heir_not_on_the_list_is_refused(client, factory, heir):
    admin, _, ada, _, _ = _world(factory)
    login(client, admin)
    page = f"/admin/users/{ada.id}/delete"
    assert_form_error(submit(client, page, {"heir": heir}, page=page), "Not a valid choice")
    assert fresh(select(func.count(User.id)).where(User.id == ada.id)) == 1


def test_a_reader_cannot_take_the_posts(client, factory):
    admin, _, ada, _, _ = _world(factory)
    reader = factory.user(Role.READER, "dana")
    login(client, admin)
    page = f"/admin/users/{ada.id}/delete"
    assert_form_error(submit(client, page, {"heir": str(reader.id)}, page=page),
                      "Not a valid choice")  # fmt: skip


def test_an_admin_cannot_delete_herself_or_no_such_account(client, factory):
    boss = factory.user(Role.ADMIN, "boss")
    factory.user(Role.ADMIN, "other")
    login(client, boss)
    page = f"/admin/users/{boss.id}/delete"
    assert submit(client, page, {"heir": ""}, page="/admin/users").status_code == 403
    assert client.get("/admin/users/999999/delete").status_code == 404
