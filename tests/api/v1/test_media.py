"""Images and avatars through the native API: multipart uploads judged as the form's,
problems for every bad input with nothing kept, lists by cursor, delete refused in use."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from inkstand.accounts.models import User
from inkstand.extensions import db
from inkstand.media.models import Media
from tests.helpers import assert_problem, change, image_bytes
from tests.media import folder
from tests.media.samples import bomb
from tests.pages.helpers import make_page

ROLES = ["reader", "author", "editor", "admin"]
storage, files = folder.storage, folder.files  # the media folder, emptied


def rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Media.id))) or 0


def send(call, token, data: bytes | None, *, url="/api/v1/media", field="image", name="a.png"):
    form = {} if data is None else {field: (io.BytesIO(data), name)}
    return call("POST", url, token, data=form, content_type="multipart/form-data")


def test_an_upload_answers_the_image_and_is_served(call, factory, token_for, storage, files):
    author = factory.user()
    response = send(call, token_for(author), image_bytes("JPEG", (1000, 500)), name="x.exe")
    assert response.status_code == 201
    body = response.get_json()
    media = db.session.get(Media, body["id"])
    assert body["url"] == f"http://inkstand.test/media/{media.name}"
    assert body["markdown"] == f"![](/media/{media.name})"
    assert (body["width"], body["height"]) == (1000, 500)
    assert [v["width"] for v in body["variants"]] == [480, 960]
    assert body["uses"] == []
    assert body["page_uses"] == []
    assert body["is_avatar"] is False
    assert body["owner"]["username"] == author.username
    assert files() == {media.name, media.variant_name(480), media.variant_name(960)}
    again = send(call, token_for(author), image_bytes("JPEG", (1000, 500)))
    assert again.status_code == 201
    assert again.get_json()["id"] == media.id
    assert rows() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!doctype html><script>alert(1)</script>", "not an image"),
        (b"%PDF-1.4 not an image at all", "not an image"),
        (image_bytes("PNG")[:40], "not an image"),
        (bomb(), "too large"),
        (b"", "Choose an image"),
    ],
    ids=["html", "pdf", "cut", "bomb", "empty"],
)
def test_anything_but_an_image_is_a_problem_and_nothing_is_kept(
    call, token_for, storage, files, data, message
):
    problem = assert_problem(send(call, token_for(), data), 422, "invalid")
    assert message in problem["errors"]["image"][0]
    assert rows() == 0
    assert files() == set()


def test_a_polyglot_is_kept_as_its_pixels_only(call, token_for, storage):
    response = send(call, token_for(), image_bytes("GIF") + b"<script>alert(1)</script>")
    assert response.status_code == 201
    served = call("GET", response.get_json()["url"].removeprefix("http://inkstand.test"))
    assert served.mimetype == "image/gif"
    assert b"<script" not in served.data


def test_a_file_too_large_is_refused_before_it_is_read(
    app, call, token_for, storage, files, monkeypatch
):
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", 1000)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    too_big = image_bytes("PNG", (170, 170), compress_level=0)  # past the room, in memory
    assert_problem(send(call, token_for(), too_big), 413, "too-large")
    assert rows() == 0
    assert files() == set()


def test_a_file_over_the_limit_within_the_body_room_is_invalid(
    app, call, token_for, storage, monkeypatch
):
    data = image_bytes("PNG", (100, 100), compress_level=0)
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", len(data) - 1)
    problem = assert_problem(send(call, token_for(), data), 422, "invalid")
    assert "too big" in problem["errors"]["image"][0]
    assert rows() == 0


@pytest.mark.parametrize("field", ["file", "upload", "images"])
def test_a_file_in_another_field_or_none_is_a_problem(call, token_for, storage, field):
    problem = assert_problem(send(call, token_for(), image_bytes(), field=field), 422, "invalid")
    assert "image" in problem["errors"]
    assert_problem(send(call, token_for(), None), 422, "invalid")
    text = call("POST", "/api/v1/media", token_for(), data={"image": "not a file"},
                content_type="multipart/form-data")  # fmt: skip
    assert "image" in assert_problem(text, 422, "invalid")["errors"]
    assert rows() == 0


@pytest.mark.parametrize("url", ["/api/v1/media", "/api/v1/me/avatar"])
def test_an_upload_that_is_not_a_form_is_refused(call, token_for, storage, url):
    token = token_for()
    assert_problem(call("POST", url, token, json={"image": "aGk="}), 415, "unsupported-media-type")
    raw = call("POST", url, token, data=image_bytes(), content_type="image/png")
    assert_problem(raw, 415, "unsupported-media-type")
    assert rows() == 0


@pytest.mark.parametrize("role", ROLES)
def test_who_may_upload(call, token_for, storage, role):
    response = send(call, token_for(role), image_bytes())
    if role == "reader":
        assert_problem(response, 403, "forbidden")
        assert rows() == 0
    else:
        assert response.status_code == 201


def test_uploads_need_a_read_write_token(call, token_for, storage):
    assert_problem(send(call, None, image_bytes()), 401, "unauthorized")
    assert_problem(send(call, token_for("author", "read"), image_bytes()), 403, "read-only-token")
    assert rows() == 0


def test_the_list_pages_by_cursor_in_fixed_queries(call, factory, token_for, storage, queries):
    admin = factory.user("admin")
    author = factory.user()
    token = token_for(author)
    ids = [send(call, token, image_bytes(size=(20 + n, 20))).get_json()["id"] for n in range(5)]
    factory.post(author, body=f"![](/media/{db.session.get(Media, ids[0]).name})")
    make_page(admin, "About", body=f"![](/media/{db.session.get(Media, ids[2]).name})")
    seen, cursor, counts = [], None, []
    while True:
        queries.clear()
        url = "/api/v1/media?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = call("GET", url, token).get_json()
        counts.append(len(queries))
        seen += [item["id"] for item in body["media"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert len(set(counts)) == 1
    assert counts[0] <= 5  # the token, the images with owners, their posts, their pages
    assert assert_problem(call("GET", "/api/v1/media?cursor=junk", token), 400, "invalid-cursor")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lists_and_reads_what_it_manages(call, factory, token_for, storage, role):
    owner = factory.user()
    theirs = send(call, token_for(owner), image_bytes()).get_json()["id"]
    viewer = factory.user(role)
    listed = call("GET", "/api/v1/media", token_for(viewer))
    one = call("GET", f"/api/v1/media/{theirs}", token_for(viewer))
    if role == "reader":
        assert_problem(listed, 403, "forbidden")
        assert_problem(one, 404, "not-found")
    elif role == "author":
        assert listed.get_json()["media"] == []
        assert_problem(one, 404, "not-found")
    else:
        assert [m["id"] for m in listed.get_json()["media"]] == [theirs]
        assert one.get_json()["id"] == theirs
    assert_problem(call("GET", "/api/v1/media"), 401, "unauthorized")


def test_delete_is_refused_while_a_post_or_an_avatar_uses_it(call, factory, token_for, storage,
                                                             files):  # fmt: skip
    author = factory.user()
    token = token_for(author)
    used = send(call, token, image_bytes(size=(30, 30))).get_json()
    post = factory.post(author, "Holiday", body=used["markdown"])
    refused = assert_problem(call("DELETE", f"/api/v1/media/{used['id']}", token), 422, "invalid")
    assert "Holiday" in refused["errors"]["media"][0]
    mine = send(call, token, image_bytes(size=(31, 31)), url="/api/v1/me/avatar")
    avatar = db.session.scalars(select(Media).where(Media.width == 31)).one()
    assert mine.status_code == 200
    refused = assert_problem(call("DELETE", f"/api/v1/media/{avatar.id}", token), 422, "invalid")
    assert "your avatar" in refused["errors"]["media"][0]
    change(post, author, body="No picture now.")
    deleted = call("DELETE", f"/api/v1/media/{used['id']}", token)
    assert deleted.status_code == 204
    assert rows() == 1
    assert files() == {avatar.name}
    assert_problem(call("DELETE", f"/api/v1/media/{used['id']}", token), 404, "not-found")


def test_delete_is_refused_while_a_page_shows_it(call, factory, token_for, storage, files):
    editor = factory.user("editor")
    token = token_for(editor)
    used = send(call, token, image_bytes(size=(30, 30))).get_json()
    post = factory.post(editor, "Post A", body=used["markdown"])
    made = call("POST", "/api/v1/pages", token,
                json={"title": "About", "body": f"Us: {used['markdown']}"})  # fmt: skip
    assert made.status_code == 201
    page_id = made.get_json()["id"]
    shown = call("GET", f"/api/v1/media/{used['id']}", token).get_json()
    assert shown["page_uses"] == [{"page_id": page_id, "page_title": "About"}]
    refused = assert_problem(call("DELETE", f"/api/v1/media/{used['id']}", token), 422, "invalid")
    assert refused["errors"]["media"] == [
        "This image is in use and was not deleted: “Post A”, “About”."
    ]
    change(post, editor, body="No picture now.")  # the page alone
    refused = assert_problem(call("DELETE", f"/api/v1/media/{used['id']}", token), 422, "invalid")
    assert refused["errors"]["media"] == ["This image is in use and was not deleted: “About”."]
    dropped = call("PATCH", f"/api/v1/pages/{page_id}", token, json={"body": "Us."})
    assert dropped.status_code == 200
    listed = call("GET", "/api/v1/media", token).get_json()["media"]
    assert [m["page_uses"] for m in listed] == [[]]
    assert call("DELETE", f"/api/v1/media/{used['id']}", token).status_code == 204
    assert files() == set()


def test_a_post_takes_a_cover_by_id(call, factory, token_for, storage):
    author = factory.user()
    token = token_for(author)
    image = send(call, token, image_bytes(size=(1200, 600))).get_json()
    made = call("POST", "/api/v1/posts", token,
                json={"title": "Covered", "body": "Text.", "cover_id": image["id"]})  # fmt: skip
    assert made.status_code == 201
    assert made.get_json()["cover_id"] == image["id"]
    assert made.get_json()["cover_url"] == image["url"]
    listed = call("GET", f"/api/v1/media/{image['id']}", token).get_json()
    assert listed["uses"] == [{"post_id": made.get_json()["id"], "post_title": "Covered",
                               "as_cover": True}]  # fmt: skip
    post_id = made.get_json()["id"]
    cleared = call("PATCH", f"/api/v1/posts/{post_id}", token, json={"cover_id": None})
    assert cleared.get_json()["cover_id"] is None
    assert cleared.get_json()["cover_url"] is None


def test_a_cover_must_be_an_image_the_writer_may_use(call, factory, token_for, storage):
    other = send(call, token_for("author"), image_bytes()).get_json()["id"]
    token = token_for("author")
    for cover in (other, 999_999):
        refused = call("POST", "/api/v1/posts", token,
                       json={"title": "T", "body": "B", "cover_id": cover})  # fmt: skip
        assert "cover" in assert_problem(refused, 422, "invalid")["errors"]
    for bad in ("1", -1, 0, 1.5):
        refused = call("POST", "/api/v1/posts", token,
                       json={"title": "T", "body": "B", "cover_id": bad})  # fmt: skip
        assert "cover_id" in assert_problem(refused, 422, "invalid")["errors"]


# Avatars


@pytest.mark.parametrize("role", ROLES)
def test_any_account_uploads_and_removes_its_avatar(call, factory, token_for, storage, role):
    user = factory.user(role)
    token = token_for(user)
    response = send(call, token, image_bytes("PNG", (800, 800)), url="/api/v1/me/avatar")
    assert response.status_code == 200
    body = response.get_json()
    db.session.refresh(user)
    assert user.avatar_name.endswith("-480.png")
    assert body["avatar_url"] == f"http://inkstand.test/media/{user.avatar_name}"
    profile = call("GET", f"/api/v1/users/{user.username}").get_json()
    assert profile["avatar_url"] == body["avatar_url"]
    assert profile["image_url"] == ""
    removed = call("DELETE", "/api/v1/me/avatar", token)
    assert removed.get_json()["avatar_url"] == ""
    db.session.refresh(user)
    assert user.avatar_name == ""
    assert rows() == 1  # the image stays the account's


def test_a_bad_avatar_changes_nothing(call, factory, token_for, storage, files):
    user = factory.user("reader")
    token = token_for(user)
    send(call, token, image_bytes(), url="/api/v1/me/avatar")
    db.session.refresh(user)
    before = user.avatar_name
    for data in (b"<svg onload=alert(1)>", bomb(), b""):
        refused = send(call, token, data, url="/api/v1/me/avatar")
        assert "image" in assert_problem(refused, 422, "invalid")["errors"]
    assert_problem(send(call, token, image_bytes(), url="/api/v1/me/avatar", field="avatar"),
                   422, "invalid")  # fmt: skip
    db.session.refresh(user)
    assert user.avatar_name == before
    assert rows() == 1
    assert_problem(send(call, token_for(user, "read"), image_bytes(), url="/api/v1/me/avatar"),
                   403, "read-only-token")  # fmt: skip
    assert_problem(call("DELETE", "/api/v1/me/avatar"), 401, "unauthorized")


def test_one_picture_at_a_time_the_last_given(call, factory, token_for, storage):
    user = factory.user()
    token = token_for(user)
    send(call, token, image_bytes(), url="/api/v1/me/avatar")
    given = call("PATCH", "/api/v1/me", token, json={"image_url": "https://example.com/me.png"})
    assert given.get_json()["avatar_url"] == "https://example.com/me.png"
    db.session.refresh(user)
    assert user.avatar_name == ""
    uploaded = send(call, token, image_bytes(size=(10, 10)), url="/api/v1/me/avatar").get_json()
    assert uploaded["image_url"] == ""
    assert "/media/" in uploaded["avatar_url"]
    # A client sending its whole profile back, image_url empty, keeps the avatar.
    kept = call("PATCH", "/api/v1/me", token, json={"image_url": "", "bio": "Hi"}).get_json()
    assert kept["avatar_url"] == uploaded["avatar_url"]
    assert db.session.get(User, user.id) is not None
