"""The site's icon, logo and footer: set by admins from site settings, checked like every
uploaded image, drawn in every page's head, header and footer; without them, as before."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage as Upload

from inkstand.extensions import db
from inkstand.media.storage import FileStorage
from inkstand.site import services as site
from tests.helpers import Factory, errors_on, image_bytes, login, submit

APPEARANCE = "/admin/appearance"


def _send(client: FlaskClient, action: str, data: bytes, name: str = "icon.png"):
    field = "logo" if "logo" in action else "icon"
    upload = Upload(io.BytesIO(data), filename=name)
    return submit(client, APPEARANCE, {"action": action, field: upload}, page=APPEARANCE,
                  content_type="multipart/form-data")  # fmt: skip


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _bomb() -> bytes:
    """A tiny PNG whose header claims 100,000 x 100,000 pixels."""
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IEND", b"")


def test_without_identity_the_site_looks_as_before(client: FlaskClient, factory: Factory):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="data:,">' in html
    assert "apple-touch-icon" not in html
    assert 'rel="manifest"' not in html
    assert "site-logo" not in html
    assert "site-menu" not in html
    assert f"<p>{site.load(db.session).description}</p>" in html


def test_an_icon_is_made_at_every_size_and_named_in_every_page(
    client: FlaskClient, factory: Factory, storage: FileStorage
):
    login(client, factory.user("admin"))
    response = _send(client, "icon", image_bytes("JPEG", (900, 600)), "me.jpg")
    assert response.status_code == 302
    icons = site.load(db.session).icons
    assert sorted(icons) == [32, 180, 192, 512]
    for size, name in icons.items():
        with storage.open(name) as handle, Image.open(handle) as image:
            assert (image.format, image.size) == ("PNG", (size, size))
            assert not image.info.get("exif")
    html = client.get("/").get_data(as_text=True)
    assert f'<link rel="icon" type="image/png" sizes="32x32" href="/media/{icons[32]}">' in html
    assert f'<link rel="apple-touch-icon" sizes="180x180" href="/media/{icons[180]}">' in html
    assert '<link rel="manifest" href="/site.webmanifest">' in html
    served = client.get(f"/media/{icons[32]}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    manifest = client.get("/site.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    assert [i["sizes"] for i in manifest.get_json()["icons"]] == ["192x192", "512x512"]
    submit(client, APPEARANCE, {"action": "remove-icon"}, page=APPEARANCE)
    assert '<link rel="icon" href="data:,">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"<!doctype html><script>alert(1)</script>", "not an image", id="html"),
        pytest.param(b"%PDF-1.4 not an image", "not an image", id="pdf"),
        pytest.param(b"", "Choose an image", id="empty"),
        pytest.param(_bomb(), "too large", id="decompression-bomb"),
        pytest.param(image_bytes("PNG", (64, 64)), "at least 128 pixels", id="too-small"),
    ],
)
def test_a_bad_icon_is_a_form_error_and_nothing_is_kept(
    client: FlaskClient, factory: Factory, files, data: bytes, message: str
):
    login(client, factory.user("admin"))
    response = _send(client, "icon", data)
    assert response.status_code == 422
    assert any(message in e for e in errors_on(response)), errors_on(response)
    assert site.load(db.session).icon == ""
    assert files() == set()


def test_an_icon_over_the_byte_limit_is_refused(
    client: FlaskClient, factory: Factory, files, app: Flask, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", 2_000)
    login(client, factory.user("admin"))
    noisy = Image.frombytes("RGB", (300, 300), bytes(range(256)) * 1055)
    out = io.BytesIO()
    noisy.save(out, format="PNG", compress_level=0)
    response = _send(client, "icon", out.getvalue())
    assert response.status_code in (413, 422)
    assert site.load(db.session).icon == ""
    assert files() == set()


def test_a_logo_shows_in_the_header(client: FlaskClient, factory: Factory, storage):
    login(client, factory.user("admin"))
    assert _send(client, "logo", image_bytes("PNG", (1600, 400)), "logo.png").status_code == 302
    logo = site.load(db.session).logo
    with storage.open(logo) as handle, Image.open(handle) as image:
        assert image.size == (384, 96)  # scaled to fit 640 x 96
    assert f'<img class="site-logo" src="/media/{logo}" alt="">' in client.get("/").get_data(
        as_text=True
    )
    bad = _send(client, "logo", b"GIF89a" + b"\x00" * 40)
    assert bad.status_code == 422
    assert site.load(db.session).logo == logo
    submit(client, APPEARANCE, {"action": "remove-logo"}, page=APPEARANCE)
    assert "site-logo" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("role", ["editor", "author", "reader"])
def test_only_admins_set_the_icon_and_logo(client: FlaskClient, factory: Factory, files, role: str):
    factory.user("admin")
    login(client, factory.user(role))
    assert client.get(APPEARANCE).status_code == 403
    upload = Upload(io.BytesIO(image_bytes("PNG", (600, 600))), filename="i.png")
    response = submit(client, APPEARANCE, {"action": "icon", "icon": upload}, page="/settings",
                      content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 403
    assert site.load(db.session).icon == ""
    assert files() == set()


def test_a_visitor_is_sent_to_log_in(client: FlaskClient, files):
    assert client.get(APPEARANCE).status_code == 302
    assert client.post(APPEARANCE, data={"action": "remove-icon"}).status_code == 400  # no CSRF
    assert files() == set()


def test_the_footer_takes_a_little_markdown_and_no_script(client: FlaskClient, factory: Factory):
    login(client, factory.user("admin"))
    footer = (
        "Made by *us*. [Code](https://example.com/code)\n\n"
        "<script>alert(1)</script> [bad](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )
    form = {"title": "Inkstand", "posts_per_page": "10", "new_account_role": "reader",
            "comment_policy": "open", "search_language": "english",
            "email_confirmation": "required", "footer": footer}  # fmt: skip
    assert submit(client, "/admin/settings", form, page="/admin/settings").status_code == 302
    html = client.get("/").get_data(as_text=True)
    foot = re.search(r'<div class="footer-text">(.*?)</div>', html, re.S)[1]
    assert "<em>us</em>" in foot
    assert '<a href="https://example.com/code"' in foot
    assert "<script" not in foot
    assert 'href="javascript' not in foot
    assert "<img" not in foot  # tags are text here: "&lt;img ... onerror" does nothing
    too_long = submit(client, "/admin/settings", {**form, "footer": "f" * 2001},
                      page="/admin/settings")  # fmt: skip
    assert too_long.status_code == 422


def test_the_icon_is_the_image_of_pages_without_a_cover(
    client: FlaskClient, factory: Factory, storage: FileStorage
):
    admin = factory.user("admin")
    post = factory.post(admin, "No cover here")
    assert 'property="og:image"' not in client.get(f"/posts/{post.slug}").get_data(as_text=True)
    login(client, admin)
    assert _send(client, "icon", image_bytes("PNG", (600, 600))).status_code == 302
    icon = site.load(db.session).icons[512]
    for path in ("/", f"/posts/{post.slug}"):
        html = client.get(path).get_data(as_text=True)
        assert f'<meta property="og:image" content="http://inkstand.test/media/{icon}">' in html
        assert '<meta name="twitter:card" content="summary">' in html
