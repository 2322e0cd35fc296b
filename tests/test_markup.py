"""Markdown rendering: the features writers use, and nothing unsafe."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inkstand import markup


class Elements(HTMLParser):
    """The tags and attributes a browser would build from some HTML."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)


def test_commonmark_with_tables_strikethrough_footnotes_and_code():
    html = markup.render_markdown(
        "| a | b |\n|:-|-:|\n| 1 | 2 |\n\n~~old~~ note[^1]\n\n[^1]: the note\n\n"
        "```python\nprint('hi')\n```\n"
    )
    assert '<th class="align-left">a</th>' in html
    assert "<s>old</s>" in html
    assert '<section class="footnotes">' in html
    assert '<span class="nb">print</span>' in html


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("# Top\n\n## Next", "<h2>Top</h2>\n<h3>Next</h3>"),
        ("## Section\n\n### Sub", "<h2>Section</h2>\n<h3>Sub</h3>"),
        ("### Only", "<h2>Only</h2>"),
    ],
)
def test_body_headings_start_below_the_page_title(source, html):
    assert markup.render_markdown(source).startswith(html)


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "![x](data:text/html;base64,PHNjcmlwdD4=)",
        "<svg onload=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_unsafe_input_is_inert(source):
    elements = Elements(markup.render_markdown(source))
    assert not {"script", "svg", "iframe"} & set(elements.tags)
    assert not [name for name, _ in elements.attributes if name.startswith("on")]
    urls = [value for name, value in elements.attributes if name in {"href", "src"}]
    assert not [u for u in urls if u.lower().startswith(("javascript:", "data:"))]


@given(st.text(max_size=300))
def test_any_text_renders_without_error_and_without_script_tags(source):
    elements = Elements(markup.render_markdown(source))
    assert "script" not in elements.tags
    assert not [name for name, _ in elements.attributes if name.startswith("on")]


def test_excerpt_is_the_first_paragraph_cut_at_a_word():
    assert markup.excerpt_from("# T\n\nFirst **para**.\n\nSecond") == "First para."
    assert markup.excerpt_from("word " * 100, limit=20) == "word word word word…"


def test_reading_minutes_has_a_floor_of_one():
    assert markup.reading_minutes("short") == 1
    assert markup.reading_minutes("w " * 461) == 3


IMAGE = "/media/" + "a" * 64 + ".jpg"
SRCSET = f"/media/{'a' * 64}-480.jpg 480w, {IMAGE} 900w"


def test_uploaded_images_get_their_srcset_and_sizes():
    html = markup.render_markdown(
        f"![sea]({IMAGE}) ![elsewhere](https://example.com/a.jpg)", {IMAGE: SRCSET}
    )
    assert f'<img src="{IMAGE}" alt="sea" srcset="{SRCSET}" sizes="{markup.IMAGE_SIZES}">' in html
    assert '<img src="https://example.com/a.jpg" alt="elsewhere">' in html


@pytest.mark.parametrize(
    "attributes",
    [
        'srcset="https://evil.example/x.jpg 480w"',
        'srcset="/media/x.jpg 480w"',
        f'srcset="{SRCSET}, javascript:alert(1) 1w"',
        f'sizes="100vw" srcset="{IMAGE} 1w"',
    ],
)
def test_the_sanitiser_keeps_srcset_and_sizes_only_as_the_renderer_writes_them(attributes):
    cleaned = markup.sanitize(f'<img src="{IMAGE}" {attributes}><p srcset="{SRCSET}">x</p>')
    assert "evil" not in cleaned
    assert "javascript" not in cleaned
    assert 'sizes="100vw"' not in cleaned
    assert "<p>x</p>" in cleaned
    assert 'srcset="/media/x.jpg' not in cleaned
