"""Image pages: the files, the library, uploads from forms and the editor, with budgets."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from inkstand import runtime
from inkstand.blog.services import trash
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.jobs import InlineJobs
from inkstand.media.jobs import make_variants
from inkstand.media.models import Media
from inkstand.pages.models import Page
from tests.helpers import csrf_token, form_values, image_bytes, login, submit
from tests.pages.helpers import make_page


def sent(data: bytes, name: str = "photo.png") -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def rows() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Media.id))) or 0


def upload(client, data: bytes, name: str = "photo.png", **kwargs):
    return submit(
        client, "/media/upload", {"image": sent(data, name)}, page="/media/library",
        content_type="multipart/form-data", **kwargs,
    )  # fmt: skip


def only(kind=Media):
    db.session.expire_all()
    return db.session.scalars(select(kind)).one()


def test_an_upload_from_the_library_page_is_served_for_a_year(client, factory, storage):
    login(client, factory.user())
    response = upload(client, image_bytes("JPEG"), "holiday.exe")
    assert response.status_code == 302
    media = only()
    page = client.get("/media/library").get_data(as_text=True)
    assert f"![](/media/{media.name})" in page
    served = client.get(f"/media/{media.name}")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(served.data)).format == "JPEG"


@pytest.mark.parametrize("name", ["0" * 64 + ".png", "nothing.png", "..%2fsecret_key", "a" * 64])
def test_unknown_files_are_not_found(client, storage, name):
    assert client.get(f"/media/{name}").status_code == 404


def test_a_polyglot_is_served_as_an_image(client, factory, storage):
    login(client, factory.user())
    upload(client, image_bytes("GIF") + b"<script>alert(1)</script>", "page.html")
    served = client.get(f"/media/{only().name}")
    assert served.mimetype == "image/gif"
    assert b"<script" not in served.data


def test_an_html_file_named_png_gets_a_form_error_and_nothing_is_kept(client, factory, files):
    login(client, factory.user())
    response = upload(client, b"<!doctype html><script>alert(1)</script>", "cat.png")
    assert response.status_code == 422
    assert "not an image Inkstand takes" in response.get_data(as_text=True)
    assert rows() == 0
    assert files() == set()


def test_an_upload_bigger_than_the_form_limit_but_within_the_image_limit_is_taken(
    client, factory, storage, app
):
    login(client, factory.user())
    noisy = Image.frombytes("RGB", (800, 800), bytes(range(256)) * 7500)
    out = io.BytesIO()
    noisy.save(out, format="PNG", compress_level=0)
    assert len(out.getvalue()) > app.config["MAX_CONTENT_LENGTH"]
    # Encoded here, in memory: the test client spools a large form to a file it never closes.
    token = csrf_token(client, "/media/library")
    image = FileStorage(io.BytesIO(out.getvalue()), filename="big.png")
    boundary, body = encode_multipart(MultiDict({"csrf_token": token, "image": image}))
    kind = f"multipart/form-data; boundary={boundary}"
    assert client.post("/media/upload", data=body, content_type=kind).status_code == 302


def test_an_upload_needs_the_csrf_token(client, factory, storage):
    login(client, factory.user())
    response = client.post(
        "/media/upload", data={"image": sent(image_bytes())}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert rows() == 0


def test_the_editors_script_gets_json(client, factory, storage):
    login(client, factory.user())
    token = csrf_token(client, "/media/library")
    headers = {"Accept": "application/json", "X-CSRFToken": token}
    ok = client.post("/media/upload", data={"image": sent(image_bytes())}, headers=headers)
    assert ok.status_code == 201
    assert ok.json["markdown"] == f"![](/media/{only().name})"
    bad = client.post("/media/upload", data={"image": sent(b"GIF89a")}, headers=headers)
    assert bad.status_code == 422
    assert "not an image" in bad.json["errors"]["image"][0]


@pytest.mark.parametrize("role", ["reader", None])
def test_readers_and_visitors_have_no_library(client, factory, role):
    if role:
        login(client, factory.user(role))
        assert client.get("/media/library").status_code == 403
        assert upload(client, image_bytes()).status_code == 403
    else:
        assert client.get("/media/library").status_code == 302


def test_deleting_from_the_library(client, factory, storage, files):
    author = factory.user()
    login(client, author)
    upload(client, image_bytes())
    media = only()
    post = factory.post(author, "Uses it", body=f"![x](/media/{media.name})")
    page = client.get("/media/library").get_data(as_text=True)
    assert "Uses it" in page
    refused = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert "in use and was not deleted: “Uses it”" in client.get(refused.location).get_data(
        as_text=True
    )
    assert rows() == 1
    submit(client, f"/posts/{post.id}/delete", page="/media/library")
    in_trash = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert "in use and was not deleted" in client.get(in_trash.location).get_data(as_text=True)
    trash.purge(db.session, utcnow() + timedelta(days=1), 0)  # restorable until purged
    done = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert "Image deleted." in client.get(done.location).get_data(as_text=True)
    assert files() == set()


def test_the_library_page_costs_the_same_whatever_it_holds(client, factory, storage, queries):
    admin = factory.user("admin")
    author = factory.user()
    login(client, author)
    counts = []
    for size in (1, 6):
        for n in range(rows(), size):
            upload(client, image_bytes("PNG", (10 + n, 10)))
            shown = f"![x](/media/{db.session.scalars(select(Media)).all()[-1].name})"
            factory.post(author, body=shown)
            make_page(admin, f"Page {n}", body=shown)
        queries.clear()
        html = client.get("/media/library").get_data(as_text=True)
        assert html.count("(page)") == size
        counts.append(len(queries))
    # The account, the images with owners, their posts, their pages.
    assert counts[0] == counts[1] <= 5


@pytest.mark.parametrize("role", ["admin", "editor", "author"])
def test_the_library_names_the_pages_that_show_an_image(client, factory, storage, role):
    admin = factory.user("admin")
    viewer = admin if role == "admin" else factory.user(role)
    login(client, viewer)
    upload(client, image_bytes())
    media = only()
    about = make_page(admin, "About <us>", body=f"![us](/media/{media.name})", status="draft")
    html = client.get("/media/library").get_data(as_text=True)
    assert "Not used in any post or page." not in html
    assert "Used in:" in html
    if role == "author":  # who may not write pages sees the title alone
        assert "<li>About &lt;us&gt; (page)</li>" in html
        assert f"/pages/{about.id}/edit" not in html
    else:
        assert f'<a href="/pages/{about.id}/edit">About &lt;us&gt;</a> (page)' in html
    refused = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert refused.status_code == 302
    shown = client.get(refused.location).get_data(as_text=True)
    assert "This image is in use and was not deleted: “About &lt;us&gt;”." in shown
    assert rows() == 1


def test_a_page_saved_through_the_form_keeps_its_image_until_it_drops_it(client, factory, storage):
    editor = factory.user("editor")
    login(client, editor)
    upload(client, image_bytes())
    media = only()
    form = {"title": "Colophon", "body": f"Set in ![type](/media/{media.name})",
            "slug": "", "status": "published"}  # fmt: skip
    assert submit(client, "/pages/new", form, page="/pages/new").status_code == 302
    page = only(Page)
    assert "Not used in any post or page." not in client.get("/media/library").get_data(
        as_text=True
    )
    refused = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert "in use and was not deleted: “Colophon”" in client.get(refused.location).get_data(
        as_text=True
    )
    edit = f"/pages/{page.id}/edit"
    changed = submit(client, edit, {**form_values(client, edit), "body": "Set in type."}, page=edit)
    assert changed.status_code == 302
    assert "Not used in any post or page." in client.get("/media/library").get_data(as_text=True)
    done = submit(client, f"/media/{media.id}/delete", page="/media/library")
    assert "Image deleted." in client.get(done.location).get_data(as_text=True)
    assert rows() == 0


def test_the_editor_adds_an_uploaded_image_to_the_body_without_saving(client, factory, storage):
    author = factory.user()
    post = factory.post(author, body="Before.")
    login(client, author)
    page = f"/posts/{post.id}/edit"
    values = {**form_values(client, page), "image": sent(image_bytes()), "insert_image": "1"}
    response = client.post(page, data=values, content_type="multipart/form-data")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Before.\n\n![](/media/{only().name})" in html
    db.session.expire_all()
    assert db.session.get(type(post), post.id).body_source == "Before."  # not saved yet


def test_a_bad_image_in_the_editor_is_a_field_error(client, factory, storage):
    author = factory.user()
    login(client, author)
    values = {**form_values(client, "/write"), "image": sent(b"nope"), "insert_image": "1"}
    response = client.post("/write", data=values, content_type="multipart/form-data")
    assert "not an image Inkstand takes" in response.get_data(as_text=True)
    cover = {**form_values(client, "/write"), "title": "T", "body": "B", "cover": sent(b"nope")}
    response = client.post("/write", data=cover, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not an image Inkstand takes" in response.get_data(as_text=True)
    assert rows() == 0


def test_a_cover_uploaded_with_the_post_shows_on_it_and_in_lists(client, factory, storage):
    author = factory.user()
    login(client, author)
    values = {
        **form_values(client, "/write"), "title": "With a cover", "body": "Text.",
        "status": "published", "cover": sent(image_bytes("JPEG", (1200, 400))),
    }  # fmt: skip
    response = client.post("/write", data=values, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    media = only()
    cover = re.compile(
        rf'<img class="cover" src="/media/{media.name}" alt="" srcset="[^"]*-960\.jpg 960w'
    )
    assert cover.search(client.get(response.location).get_data(as_text=True))
    assert cover.search(client.get("/").get_data(as_text=True))
    post_id = (
        db.session.scalars(select(Media.id)).one()
        and only(__import__("inkstand.blog.models", fromlist=["Post"]).Post).id
    )
    page = f"/posts/{post_id}/edit"
    removed = client.post(
        page, data={**form_values(client, page), "remove_cover": "y"},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert removed.status_code == 302
    assert 'class="cover"' not in client.get("/").get_data(as_text=True)


def test_a_variant_not_made_yet_is_answered_with_the_original_for_a_minute(
    client, factory, storage, app
):
    login(client, factory.user())
    queued: list[int] = []
    app.extensions["inkstand"] = dataclasses.replace(
        runtime.get(), jobs=type("Held", (), {"enqueue": lambda self, *a: queued.append(a)})()
    )
    try:
        upload(client, image_bytes("PNG", (1000, 500)))
    finally:
        app.extensions["inkstand"] = dataclasses.replace(runtime.get(), jobs=InlineJobs(app))
    media = only()
    assert queued == [("inkstand.media.jobs.make_variants", media.id)]
    early = client.get(f"/media/{media.variant_name(480)}")
    assert early.status_code == 200
    assert Image.open(io.BytesIO(early.data)).size == (1000, 500)
    assert early.headers["Cache-Control"] == "public, max-age=60"
    make_variants(media.id)  # the job, as a worker runs it
    late = client.get(f"/media/{media.variant_name(480)}")
    assert Image.open(io.BytesIO(late.data)).size == (480, 240)
    assert late.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get(f"/media/{media.variant_name(123)}").status_code == 200
    assert client.get(f"/media/{'0' * 64}-480.png").status_code == 404


def test_the_library_pages_by_keyset_past_one_page(client, factory, storage, queries, monkeypatch):
    from inkstand.media import services

    monkeypatch.setattr(services, "LIBRARY_PAGE", 3)
    editor = factory.user("editor")
    author = factory.user()
    login(client, author)
    for n in range(7):
        upload(client, image_bytes("PNG", (10 + n, 10)))
    newest_first = db.session.scalars(select(Media.id).order_by(Media.id.desc())).all()
    client.get("/logout")
    login(client, editor)  # editors see every account's images
    seen, url, counts = [], "/media/library", []
    while url:
        queries.clear()
        html = client.get(url).get_data(as_text=True)
        counts.append(len(queries))
        seen += [int(n) for n in re.findall(r'alt="Image (\d+),', html)]
        older = re.search(r'rel="next" href="([^"]+)"', html)
        url = older[1].replace("&amp;", "&") if older else ""
    assert seen == newest_first
    assert len(counts) == 3
    assert len(set(counts)) == 1
    back = re.search(r'rel="prev" href="([^"]+)"', html)
    assert back is not None
    html = client.get(back[1].replace("&amp;", "&")).get_data(as_text=True)
    assert [int(n) for n in re.findall(r'alt="Image (\d+),', html)] == newest_first[3:6]
    assert client.get("/media/library?before=junk").status_code == 400
