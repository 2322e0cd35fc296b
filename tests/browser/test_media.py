"""Images in a real browser: a cover uploaded through the form or dropped on its zone,
an image dropped in the editor, and the library page."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import Page, expect

from inkstand.accounts.models import User
from tests.browser.helpers import OpenPage, check_page, log_in
from tests.helpers import image_bytes

MEDIA = re.compile(r"/media/[0-9a-f]{64}\.(?:png|jpg)")


def _loaded(page: Page, selector: str) -> None:
    """The image is drawn: the browser decoded what the site served."""
    image = page.locator(selector).first
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") > 0


def test_publish_a_post_with_a_cover_uploaded_through_the_form(
    open_page: OpenPage, author: User, problems: list[str]
) -> None:
    page = open_page(java_script_enabled=False)
    log_in(page, author.username)
    page.get_by_role("link", name="Write").click()
    page.get_by_label("Title", exact=True).fill("A post with a cover")
    page.get_by_label("Body (Markdown)").fill("The view from the window.")
    cover = {"name": "window.jpg", "mimeType": "image/jpeg",
             "buffer": image_bytes("JPEG", (1200, 600))}  # fmt: skip
    page.get_by_label("Cover image").set_input_files(cover)
    page.get_by_label("State").select_option("published")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("A post with a cover")
    expect(page.locator("img.cover")).to_have_attribute("src", MEDIA)
    _loaded(page, "img.cover")
    page.goto("/")
    expect(page.locator(".summary img.cover")).to_have_count(1)
    _loaded(page, ".summary img.cover")
    assert problems == []


def _transfer(page: Page, data: bytes, name: str, kind: str) -> object:
    """A DataTransfer built in the page, holding one file, as a drag from the desktop."""
    return page.evaluate_handle(
        """([b64, name, kind]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: kind }));
            return transfer;
        }""",
        [base64.b64encode(data).decode(), name, kind],
    )


def test_a_cover_dropped_on_its_zone_is_shown_then_published_with_the_post(
    open_page: OpenPage, author: User, problems: list[str]
) -> None:
    page = open_page()
    log_in(page, author.username)
    page.goto("/write")
    page.get_by_label("Title", exact=True).fill("A dropped cover")
    page.get_by_label("Body (Markdown)").fill("The sea, from the cliff.")
    zone = page.locator("[data-cover-drop]")
    expect(zone.get_by_text("Or drop an image here.")).to_be_visible()
    text_file = _transfer(page, b"not an image", "notes.txt", "text/plain")
    zone.dispatch_event("drop", {"dataTransfer": text_file})
    expect(zone.get_by_role("status")).to_have_text(
        "That is not an image: choose a JPEG, PNG, WebP or GIF."
    )
    image = _transfer(page, image_bytes("PNG", (1200, 600)), "sea.png", "image/png")
    zone.dispatch_event("dragover", {"dataTransfer": image})
    expect(zone).to_have_class(re.compile(r"\bis-over\b"))
    zone.dispatch_event("drop", {"dataTransfer": image})
    expect(zone.get_by_role("status")).to_have_text("Cover chosen: sea.png (saved with the post).")
    _loaded(page, ".cover-preview")
    cover_input = page.get_by_label("Cover image")
    assert cover_input.evaluate("input => input.files[0].name") == "sea.png"
    page.get_by_label("State").select_option("published")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("A dropped cover")
    expect(page.locator("img.cover")).to_have_attribute("src", MEDIA)
    _loaded(page, "img.cover")
    page.goto("/")
    expect(page.locator(".summary img.cover")).to_have_count(1)
    _loaded(page, ".summary img.cover")
    assert problems == []


def test_a_cover_picked_from_the_keyboard_is_shown_as_a_dropped_one(
    open_page: OpenPage, author: User, problems: list[str]
) -> None:
    page = open_page()
    log_in(page, author.username)
    page.goto("/write")
    cover_input = page.get_by_label("Cover image")
    cover_input.focus()
    expect(cover_input).to_be_focused()  # the plain input, reached by Tab as any other
    cover_input.set_input_files(
        {"name": "hill.jpg", "mimeType": "image/jpeg", "buffer": image_bytes("JPEG", (800, 400))}
    )
    zone = page.locator("[data-cover-drop]")
    expect(zone.get_by_role("status")).to_have_text("Cover chosen: hill.jpg (saved with the post).")
    _loaded(page, ".cover-preview")
    cover_input.set_input_files([])
    expect(zone.get_by_role("status")).to_have_text("")
    expect(page.locator(".cover-preview")).to_be_hidden()
    assert problems == []


def test_an_image_dropped_on_the_body_is_uploaded_and_its_markdown_inserted(
    open_page: OpenPage, author: User, problems: list[str]
) -> None:
    page = open_page()
    log_in(page, author.username)
    page.goto("/write")
    body = page.get_by_label("Body (Markdown)")
    body.fill("Before. After.")
    body.evaluate("area => area.setSelectionRange(8, 8)")  # the cursor after "Before. "
    png = base64.b64encode(image_bytes("PNG", (50, 40))).decode()
    dropped = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "drop.png", { type: "image/png" }));
            return transfer;
        }""",
        png,
    )
    body.dispatch_event("drop", {"dataTransfer": dropped})
    expect(page.get_by_role("status").filter(has_text="Image added.")).to_be_visible()
    expect(body).to_have_value(re.compile(r"^Before\. !\[\]\(/media/[0-9a-f]{64}\.png\)\nAfter\.$"))
    page.goto("/media/library")
    expect(page.locator(".media-grid img")).to_have_count(1)
    _loaded(page, ".media-grid img")
    check_page(page, "/media/library")
    assert problems == []


def test_an_avatar_uploaded_from_the_profile_page_shows_beside_the_name(
    open_page: OpenPage, author: User, problems: list[str]
) -> None:
    page = open_page(java_script_enabled=False)
    log_in(page, author.username)
    page.goto("/settings")
    page.get_by_label("Avatar", exact=True).set_input_files(
        {"name": "me.png", "mimeType": "image/png", "buffer": image_bytes("PNG", (300, 300))}
    )
    page.get_by_role("button", name="Upload avatar").click()
    expect(page.get_by_text("Your avatar is saved.")).to_be_visible()
    _loaded(page, ".avatar-settings img.avatar")
    page.goto(f"/authors/{author.username}")
    _loaded(page, ".author-card img.avatar")
    page.goto("/settings")
    page.get_by_role("button", name="Remove avatar").click()
    expect(page.get_by_text("Your avatar is removed.")).to_be_visible()
    expect(page.locator(".avatar-settings .avatar-initial")).to_have_text(author.name[0].upper())
    assert problems == []
