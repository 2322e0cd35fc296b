"""A cover's words: its description (alt text) and caption, checked once in the service,
written from the editor without JavaScript, and shown, escaped, everywhere the cover is:
the post page, lists, social cards, JSON-LD and the feeds."""

from __future__ import annotations

import html
import io
import json
import re
from html.parser import HTMLParser

import pytest
from defusedxml import ElementTree
from sqlalchemy import select, update

from inkstand.blog.models import Post
from inkstand.blog.services import revisions
from inkstand.blog.services.posts import COVER_ALT_MAX, COVER_CAPTION_MAX
from inkstand.db import utcnow
from inkstand.exceptions import Forbidden, Invalid, NotFound
from inkstand.extensions import db
from inkstand.media import context, services
from inkstand.media.jobs import make_variants
from tests.helpers import (
    PAGE_BUDGETS,
    assert_form_error,
    change,
    count_queries,
    form_values,
    fresh,
    image_bytes,
    login,
    stored,
)
from tests.media import folder

storage = folder.storage  # the media folder, emptied after each test
HOSTILE = '"><script>alert(1)</script>'
ALT = "A grey heron standing in shallow water at dawn"
CAPTION = "The heron of the mill pond, in March."


def _image(author):
    return services.upload(
        db.session, context.storage(), author, image_bytes("JPEG", (1400, 700)),
        context.limits(), make_variants,
    )  # fmt: skip


def _covered(factory, author=None, title="Heron", **words):
    author = author or factory.user()
    return factory.post(author, title, cover_id=_image(author).id, **words)


class _Images(HTMLParser):
    """Each <img> of a piece of HTML, with its attributes as a browser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.found.append(dict(attrs))


def _images(page: str, css_class: str = "cover") -> list[dict[str, str | None]]:
    reader = _Images()
    reader.feed(page)
    return [img for img in reader.found if img.get("class") == css_class]


def _meta(page: str) -> dict[str, str]:
    pairs = re.findall(r'<meta (?:name|property)="([^"]+)" content="([^"]*)">', page)
    return {key: html.unescape(value) for key, value in pairs}


def _json_ld(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page)[1])


def _get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# The service: one place decides, for every door


def test_the_words_are_kept_stripped(factory, storage):
    post = _covered(factory, cover_alt=f"  {ALT}\n", cover_caption=f"\t{CAPTION}  ")
    saved = fresh(select(Post).where(Post.id == post.id))
    assert (saved.cover_alt, saved.cover_caption) == (ALT, CAPTION)


def test_a_new_post_has_none(factory):
    post = factory.post(factory.user(), "Bare")
    assert (post.cover_alt, post.cover_caption) == ("", "")


def test_the_limits_count_what_is_kept_once_stripped(factory):
    alt, caption = "a" * COVER_ALT_MAX, "c" * COVER_CAPTION_MAX
    post = factory.post(factory.user(), cover_alt=f" {alt} ", cover_caption=f" {caption}\n")
    assert (post.cover_alt, post.cover_caption) == (alt, caption)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cover_alt", "a" * (COVER_ALT_MAX + 1), "at most 300 characters"),
        ("cover_caption", "c" * (COVER_CAPTION_MAX + 1), "at most 500 characters"),
        ("cover_alt", "A heron\x00", "Use printable characters only"),
        ("cover_alt", "A\x1b[31mheron", "Use printable characters only"),
        ("cover_caption", "Dawn\x7f", "Use printable characters only"),
        ("cover_caption", "Bell\x07", "Use printable characters only"),
    ],
)
def test_too_long_or_control_characters_are_refused_and_nothing_is_saved(
    factory, field, value, message
):
    author = factory.user()
    post = factory.post(author, "Kept", cover_alt="Before")
    before = stored()
    with pytest.raises(Invalid) as refused:
        change(post, author, **{field: value})
    assert list(refused.value.errors) == [field]
    assert message in refused.value.errors[field][0]
    with pytest.raises(Invalid):
        factory.post(author, "New", **{field: value})
    assert stored() == before
    assert fresh(select(Post.cover_alt).where(Post.id == post.id)) == "Before"


def test_both_wrong_at_once_are_both_named(factory):
    with pytest.raises(Invalid) as refused:
        factory.post(factory.user(), cover_alt="a" * 301, cover_caption="\x01")
    assert set(refused.value.errors) == {"cover_alt", "cover_caption"}


ROLES = ["anonymous", "reader", "owner", "co-author", "other author", "editor", "admin"]
MAY = {"owner", "co-author", "editor", "admin"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("status", ["published", "draft"])
def test_who_may_describe_a_cover(factory, role, status):
    owner = factory.user("author", "owner")
    people = {
        "anonymous": None, "reader": factory.user("reader"), "owner": owner,
        "co-author": factory.user("author", "coauthor"), "other author": factory.user(),
        "editor": factory.user("editor"), "admin": factory.user("admin"),
    }  # fmt: skip
    post = factory.post(owner, "Shared", status=status, coauthors=["coauthor"])
    if role in MAY:
        assert change(post, people[role], cover_alt=f"By {role}").cover_alt == f"By {role}"
        return
    # A post one may read is refused; a draft one may not see is not confirmed to exist.
    with pytest.raises(Forbidden if status == "published" else NotFound):
        change(post, people[role], cover_alt="Not mine")
    assert fresh(select(Post.cover_alt).where(Post.id == post.id)) == ""


def test_removing_the_cover_keeps_its_words_unshown(client, factory, storage):
    author = factory.user()
    post = _covered(factory, author, cover_alt=ALT, cover_caption=CAPTION)
    bare = change(post, author, cover_id=None)
    assert (bare.cover_id, bare.cover_alt, bare.cover_caption) == (None, ALT, CAPTION)
    page = _get(client, f"/posts/{post.slug}")
    assert ALT not in page
    assert CAPTION not in page
    assert "<figure" not in page
    assert "og:image:alt" not in page
    again = change(post, author, cover_id=_image(author).id)
    assert (again.cover_alt, again.cover_caption) == (ALT, CAPTION)
    assert _images(_get(client, f"/posts/{post.slug}"))[0]["alt"] == ALT


# The editor, without JavaScript


def test_the_editor_has_both_fields_beside_the_cover(client, factory):
    login(client, factory.user())
    page = _get(client, "/write")
    assert '<label for="cover_alt">Cover description (alt text)</label>' in page
    assert "What the image shows, for readers who cannot see it" in page
    assert 'aria-describedby="cover_alt-help"' in page
    assert '<label for="cover_caption">Cover caption</label>' in page
    assert page.index('name="cover"') < page.index('name="cover_alt"')
    assert page.index('name="cover_alt"') < page.index('name="cover_caption"')


def test_a_cover_and_its_words_are_sent_with_the_post(client, factory, storage):
    login(client, factory.user())
    values = {
        **form_values(client, "/write"), "title": "From the form", "body": "Text.",
        "status": "published", "cover": (io.BytesIO(image_bytes("JPEG")), "h.jpg"),
        "cover_alt": f" {ALT} ", "cover_caption": CAPTION,
    }  # fmt: skip
    response = client.post("/write", data=values, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    post = fresh(select(Post).where(Post.title == "From the form"))
    assert (post.cover_alt, post.cover_caption) == (ALT, CAPTION)
    page, version = f"/posts/{post.id}/edit", post.version
    shown = form_values(client, page)
    assert (shown["cover_alt"], shown["cover_caption"]) == (ALT, CAPTION)
    # Sent again as shown, nothing changes: no new version.
    assert client.post(page, data=shown).status_code == 302
    assert fresh(select(Post.version).where(Post.id == post.id)) == version


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cover_alt", "a" * 301, "Keep the cover's description to at most 300 characters."),
        ("cover_caption", "c" * 501, "Keep the caption to at most 500 characters."),
        ("cover_alt", "Heron\x0b", "Use printable characters only in the cover's description."),
    ],
)
def test_bad_words_are_errors_on_the_page_and_what_was_typed_stays(
    client, factory, field, value, message
):
    author = factory.user()
    post = factory.post(author, "Kept")
    login(client, author)
    page = f"/posts/{post.id}/edit"
    before = stored()
    sent = {**form_values(client, page), "title": "Typed title", field: value}
    response = client.post(page, data=sent)
    assert_form_error(response, message)
    shown = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in shown
    assert f'value="{value[:5]}' in shown
    assert 'value="Typed title"' in shown
    assert stored() == before


def test_the_remove_box_keeps_the_words_for_the_next_cover(client, factory, storage):
    author = factory.user()
    post = _covered(factory, author, cover_alt=ALT, cover_caption=CAPTION)
    login(client, author)
    page = f"/posts/{post.id}/edit"
    editor = _get(client, page)
    assert "Its description and caption are kept." in editor
    assert _images(editor)[0]["alt"] == ALT
    sent = {**form_values(client, page), "remove_cover": "y"}
    assert client.post(page, data=sent, content_type="multipart/form-data").status_code == 302
    saved = fresh(select(Post).where(Post.id == post.id))
    assert (saved.cover_id, saved.cover_alt, saved.cover_caption) == (None, ALT, CAPTION)
    shown = form_values(client, page)
    assert (shown["cover_alt"], shown["cover_caption"]) == (ALT, CAPTION)
    # Cleared on purpose, they are gone.
    sent = {**shown, "cover_alt": "", "cover_caption": ""}
    assert client.post(page, data=sent).status_code == 302
    saved = fresh(select(Post).where(Post.id == post.id))
    assert (saved.cover_alt, saved.cover_caption) == ("", "")


# Where the cover is shown


def test_the_post_page_shows_a_figure_with_its_alt_and_caption(client, factory, storage):
    post = _covered(factory, cover_alt=ALT, cover_caption=CAPTION)
    page = _get(client, f"/posts/{post.slug}")
    figure = page[page.index('<figure class="cover-figure">') : page.index("</figure>")]
    (image,) = _images(figure)
    assert image["alt"] == ALT
    assert f"<figcaption>{CAPTION}</figcaption>" in figure


def test_without_a_caption_there_is_no_figcaption_and_without_alt_the_image_is_decorative(
    client, factory, storage
):
    post = _covered(factory)
    page = _get(client, f"/posts/{post.slug}")
    assert "<figure" in page
    assert "<figcaption" not in page
    assert _images(page)[0]["alt"] == ""
    assert "image:alt" not in page


def test_lists_describe_the_cover(client, factory, storage):
    author = factory.user()
    _covered(factory, author, cover_alt=ALT, cover_caption=CAPTION, tags="birds")
    for url in ("/", f"/authors/{author.username}", "/tags/birds"):
        page = _get(client, url)
        assert [img["alt"] for img in _images(page)] == [ALT], url
        assert CAPTION not in page  # a list shows no caption


def test_cards_and_json_ld_carry_the_words(client, factory, storage):
    post = _covered(factory, cover_alt=ALT, cover_caption=CAPTION)
    page = _get(client, f"/posts/{post.slug}")
    meta = _meta(page)
    assert meta["og:image:alt"] == meta["twitter:image:alt"] == ALT
    image = _json_ld(page)["image"]
    assert image == {
        "@type": "ImageObject",
        "url": meta["og:image"],
        "description": ALT,
        "caption": CAPTION,
    }


def test_a_caption_alone_makes_an_image_object_without_a_description(client, factory, storage):
    post = _covered(factory, cover_caption=CAPTION)
    page = _get(client, f"/posts/{post.slug}")
    assert "image:alt" not in page
    image = _json_ld(page)["image"]
    assert image["caption"] == CAPTION
    assert "description" not in image


def _feed_html(client, flavour: str, title: str) -> str:
    """The content (HTML) of the entry titled ``title``, as a feed reader decodes it."""
    root = ElementTree.fromstring(client.get(f"/{flavour}.xml").get_data())
    if flavour == "rss":
        for item in root.iter("item"):
            if item.findtext("title") == title:
                return item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
    atom = "{http://www.w3.org/2005/Atom}"
    for entry in root.iter(f"{atom}entry"):
        if entry.findtext(f"{atom}title") == title:
            return entry.findtext(f"{atom}content") or ""
    raise AssertionError(f"no entry {title}")


@pytest.mark.parametrize("flavour", ["rss", "atom"])
def test_feeds_give_the_cover_its_alt_and_caption(client, factory, storage, flavour):
    _covered(factory, cover_alt=ALT, cover_caption=CAPTION)
    content = _feed_html(client, flavour, "Heron")
    assert content.startswith("<figure><img ")
    assert f"<figcaption>{html.escape(CAPTION, quote=False)}</figcaption></figure>" in content
    reader = _Images()
    reader.feed(content)
    assert reader.found[0]["alt"] == ALT


@pytest.mark.parametrize("flavour", ["rss", "atom"])
def test_a_cover_without_a_caption_is_a_plain_image_in_the_feeds(client, factory, storage, flavour):
    _covered(factory, cover_alt=ALT)
    content = _feed_html(client, flavour, "Heron")
    assert content.startswith("<p><img ")
    assert "figcaption" not in content


def test_a_hostile_description_and_caption_are_text_everywhere(client, factory, storage):
    author = factory.user()
    post = _covered(factory, author, cover_alt=HOSTILE, cover_caption=HOSTILE)
    pages = {
        "post": _get(client, f"/posts/{post.slug}"),
        "list": _get(client, "/"),
        "author": _get(client, f"/authors/{author.username}"),
    }
    for name, page in pages.items():
        assert "<script>alert(1)" not in page, name
        assert [img["alt"] for img in _images(page)] == [HOSTILE], name
    post_page = pages["post"]
    assert "<figcaption>&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</figcaption>" in post_page
    meta = _meta(post_page)
    assert meta["og:image:alt"] == meta["twitter:image:alt"] == HOSTILE
    assert '<meta property="og:image:alt" content="&#34;&gt;&lt;script&gt;' in post_page
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', post_page)[1]
    assert "<" not in ld
    assert json.loads(ld)["image"]["description"] == HOSTILE
    for flavour in ("rss", "atom"):
        content = _feed_html(client, flavour, "Heron")
        assert "<script" not in content
        reader = _Images()
        reader.feed(content)
        assert reader.found[0]["alt"] == HOSTILE


def test_the_words_cost_the_post_page_no_query(client, factory, storage, queries):
    post = _covered(factory, cover_alt=ALT, cover_caption=CAPTION)
    assert count_queries(client, queries, f"/posts/{post.slug}") <= PAGE_BUDGETS["post"]


# The list's kept summaries


def _summary(client) -> str:
    page = _get(client, "/")
    start = page.index('<article class="summary">')
    return page[start : page.index("</article>", start)]


def test_editing_the_description_changes_the_list(client, factory, storage):
    author = factory.user()
    post = _covered(factory, author, cover_alt="First words")
    assert _images(_summary(client))[0]["alt"] == "First words"
    change(post, author, cover_alt="Second words")
    assert _images(_summary(client))[0]["alt"] == "Second words"


def test_the_summary_is_keyed_by_the_description_itself(client, factory, storage):
    """A write that keeps the version (as an import's late cover does) still shows."""
    post = _covered(factory, cover_alt="First words")
    assert _images(_summary(client))[0]["alt"] == "First words"
    db.session.execute(update(Post).where(Post.id == post.id).values(cover_alt="Other words"))
    db.session.commit()
    assert _images(_summary(client))[0]["alt"] == "Other words"


def test_the_words_are_not_in_a_revision_as_the_cover_is_not(factory):
    """Revisions keep no cover; restoring one leaves the cover and its words as they are."""
    author = factory.user()
    post = factory.post(author, "Revised", cover_alt="First")
    change(post, author, title="Retitled", cover_alt="Second")
    restored = revisions.restore_revision(db.session, author, post.id, 1, utcnow(), 10_000)
    assert (restored.title, restored.cover_alt) == ("Revised", "Second")
