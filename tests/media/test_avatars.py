"""Avatars: uploaded from the profile page by any account, shown beside names on the
author page, bylines and comments, an initial when none; one picture at a time with an
address given through the RealWorld API, whose `image` is the avatar's URL."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from inkstand.accounts.models import User
from inkstand.extensions import db
from inkstand.media.models import Media
from tests.helpers import csrf_token, image_bytes, login, submit
from tests.media.samples import bomb

ROLES = ["reader", "author", "editor", "admin"]


def rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Media.id))) or 0


def send_avatar(client, data: bytes, name: str = "me.png"):
    return submit(
        client, "/settings/avatar", {"image": (io.BytesIO(data), name)}, page="/settings",
        content_type="multipart/form-data",
    )  # fmt: skip


def reread(user: User) -> User:
    db.session.expire_all()
    found = db.session.get(User, user.id)
    assert found is not None
    return found


@pytest.mark.parametrize("role", ROLES)
def test_any_account_uploads_an_avatar_from_its_profile_page(client, factory, storage, role):
    user = factory.user(role)
    login(client, user)
    page = client.get("/settings").get_data(as_text=True)
    assert 'action="/settings/avatar"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "Remove avatar" not in page
    response = send_avatar(client, image_bytes("JPEG", (1200, 900)))
    assert response.status_code == 302
    assert response.location.endswith("/settings")
    user = reread(user)
    media = db.session.scalars(select(Media)).one()
    assert user.avatar_name == media.variant_name(480)
    page = client.get("/settings").get_data(as_text=True)
    assert f'src="/media/{user.avatar_name}"' in page
    assert "Remove avatar" in page
    assert client.get(f"/media/{user.avatar_name}").status_code == 200


def test_the_avatar_page_of_its_own_shows_the_form(client, factory, storage):
    """Linked from nowhere but asked for directly (a bookmark, the form's address)."""
    login(client, factory.user())
    response = client.get("/settings/avatar")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<h1>Your avatar</h1>" in page
    assert 'action="/settings/avatar"' in page
    assert "Please correct the fields" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "not an image"),
        (bomb(), "too large"),
        (b"", "Choose an image"),
    ],
    ids=["html", "bomb", "empty"],
)
def test_a_bad_avatar_is_a_form_error_and_nothing_changes(
    client, factory, storage, files, data, message
):
    user = factory.user("reader")
    login(client, user)
    response = send_avatar(client, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert reread(user).avatar_name == ""
    assert rows() == 0
    assert files() == set()


def test_an_avatar_needs_the_csrf_token_and_a_log_in(client, factory, storage):
    assert client.get("/settings/avatar").status_code == 302  # to the log-in
    login(client, factory.user())
    sent = {"image": (io.BytesIO(image_bytes()), "a.png")}
    assert client.post("/settings/avatar", data=sent).status_code == 400
    assert client.post("/settings/avatar/remove").status_code == 400
    assert rows() == 0


def test_removing_the_avatar_keeps_the_image(client, factory, storage):
    user = factory.user()
    login(client, user)
    send_avatar(client, image_bytes())
    done = submit(client, "/settings/avatar/remove", page="/settings")
    assert done.status_code == 302
    assert reread(user).avatar_name == ""
    assert rows() == 1
    assert "No picture" not in client.get("/media/library").get_data(as_text=True)


def test_avatars_show_beside_names_and_an_initial_when_none(client, factory, storage, queries):
    writer = factory.user(username="writer", display_name="Zoë Writer")
    reader = factory.user("reader", username="reader")
    post = factory.post(writer, "Pictured")
    factory.comment(reader, post, "Nice.")
    login(client, writer)
    send_avatar(client, image_bytes(size=(64, 64)))
    client.get("/logout")
    picture = f'src="/media/{reread(writer).avatar_name}"'
    for page in ("/", f"/posts/{post.slug}", "/authors/writer"):
        html = client.get(page).get_data(as_text=True)
        assert picture in html, page
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert re.search(r'class="avatar avatar-initial avatar-28" aria-hidden="true">R<', html)
    assert 'class="avatar avatar-initial avatar-96" aria-hidden="true">R<' in client.get(
        "/authors/reader"
    ).get_data(as_text=True)


def test_an_avatar_adds_no_query_to_the_pages_that_show_it(app, client, factory, storage, queries):
    app.config["PAGE_CACHE_SECONDS"] = 0
    writer = factory.user()
    post = factory.post(writer, "Counted")
    factory.comment(factory.user("reader"), post, "Hello.")
    counts: dict[str, list[int]] = {}
    for stage in ("none", "avatar"):
        if stage == "avatar":
            login(client, writer)
            send_avatar(client, image_bytes())
        visitor = app.test_client()
        for page in ("/", f"/posts/{post.slug}", f"/authors/{writer.username}"):
            queries.clear()
            assert visitor.get(page).status_code == 200
            counts.setdefault(page, []).append(len(queries))
    assert all(a == b for a, b in counts.values()), counts


def test_an_avatar_in_use_is_not_deleted_from_the_library(client, factory, storage, files):
    author = factory.user()
    login(client, author)
    send_avatar(client, image_bytes())
    media = db.session.scalars(select(Media)).one()
    assert "Used as your avatar" in client.get("/media/library").get_data(as_text=True)
    refused = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert "your avatar and was not deleted" in client.get(refused.location).get_data(as_text=True)
    assert rows() == 1
    editor = factory.user("editor")
    client.get("/logout")
    login(client, editor)
    refused = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert f"{author.name}\u2019s avatar" in client.get(refused.location).get_data(as_text=True)


# The RealWorld API's `image`


def conduit_token(client, user) -> str:
    response = client.post(
        "/api/users/login",
        json={"user": {"email": user.email, "password": "correct horse battery"}},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.json["user"]["token"])


def put_image(client, token: str, image: str | None, **more: str):
    fields = {**({"image": image} if image is not None else {}), **more}
    return client.put(
        "/api/user", json={"user": fields}, headers={"Authorization": f"Token {token}"}
    )


def test_the_realworld_image_is_the_avatars_url(client, factory, storage):
    user = factory.user()
    login(client, user)
    send_avatar(client, image_bytes())
    token = conduit_token(client, user)
    url = f"http://inkstand.test/media/{reread(user).avatar_name}"
    me = client.get("/api/user", headers={"Authorization": f"Token {token}"}).json["user"]
    assert me["image"] == url
    assert client.get(f"/api/profiles/{user.username}").json["profile"]["image"] == url
    # A client sends the profile back as it read it: the avatar stays.
    assert put_image(client, token, url, bio="New bio").json["user"]["image"] == url
    assert reread(user).avatar_name
    # Another address replaces it; "" removes every picture.
    elsewhere = "https://pictures.example/me.jpg"
    assert put_image(client, token, elsewhere).json["user"]["image"] == elsewhere
    assert reread(user).avatar_name == ""
    assert 'src="https://pictures.example' not in client.get(f"/authors/{user.username}").get_data(
        as_text=True
    )  # the site sends no reader to another site for a picture
    send_avatar(client, image_bytes(size=(20, 20)))
    assert put_image(client, token, "").json["user"]["image"] == ""
    user = reread(user)
    assert (user.avatar_name, user.image_url) == ("", "")
    refused = put_image(client, token, "javascript:alert(1)")
    assert refused.status_code == 422
    assert "image" in refused.json["errors"]


def test_the_settings_form_never_takes_the_avatar_away(client, factory, storage):
    user = factory.user()
    login(client, user)
    send_avatar(client, image_bytes())
    token = csrf_token(client, "/settings")
    fields = {"username": user.username, "display_name": "New", "bio": "", "time_zone": "UTC"}
    client.post("/settings", data={"csrf_token": token, **fields})
    assert reread(user).avatar_name
