"""The menu as a site setting: read tolerantly, checked strictly, set from any door."""

from __future__ import annotations

import pytest

from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.site import menu, services
from inkstand.site.menu import MenuItem


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/about", True), ("/", True), ("https://example.com/x?y=1", True),
        ("http://example.com", True), ("javascript:alert(1)", False), ("//evil.example", False),
        ("/\\evil.example", False), ("data:text/html,x", False), ("https://", False),
        ("ftp://example.com", False), ("about", False), ("", False), ("/a b", False),
        ("/a\x00", False), ("/" + "a" * 1000, False),
    ],
)  # fmt: skip
def test_which_addresses_a_link_may_have(url: str, allowed: bool) -> None:
    assert menu.url_allowed(url) is allowed


@pytest.mark.parametrize(
    "raw", ["", "{", "null", "{}", "[1, 2]", '[{"label": 5, "url": "/"}]', '[{"label": "x"}]']
)
def test_an_unreadable_menu_is_no_menu(raw: str) -> None:
    assert menu.parse(raw) == []


def test_a_menu_survives_the_round_trip() -> None:
    items = [MenuItem("About", "/about", 3, False), MenuItem("Ünïcode", "https://example.com")]
    assert menu.parse(menu.dump(items)) == items


def test_the_command_line_sets_the_footer_and_menu_by_the_same_rules(app) -> None:
    saved = services.configure(db.session, "footer", "Made by *us* <script>x</script>")
    assert saved.footer_html.startswith("<p>Made by <em>us</em>")
    assert "<script" not in saved.footer_html
    with pytest.raises(Invalid):
        services.configure(db.session, "menu", '[{"label": "x", "url": "javascript:1"}]')
    with pytest.raises(Invalid):
        services.configure(db.session, "menu", "not a list")
    with pytest.raises(Invalid):
        services.configure(db.session, "logo", "../../etc/passwd")
    assert services.load(db.session).menu_items == []
