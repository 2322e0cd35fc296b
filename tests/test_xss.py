"""User text never becomes markup: every page that shows it escapes or sanitises it.

Payloads go in through the forms a person uses (post title, body, excerpt and
tags; username; display name and bio), then every page that shows them is
parsed and audited: no script element, no event-handler attribute, no
``javascript:``/``data:`` URL, no element the templates and the Markdown
sanitiser never produce — and the payload is still there, as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from werkzeug.test import TestResponse

from inkstand import markup
from inkstand.accounts.models import User
from inkstand.analytics.models import PageView
from inkstand.blog.models import Post
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.site import services as site
from tests.helpers import Factory, login, submit

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onfocus="alert(1)" autofocus="',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<!--<img src=x onerror=alert(1)>-->",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    '<div onmouseover="alert(1)">unclosed',
    "<style>*{background:url(javascript:alert(1))}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "![pic](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '[title](https://example.com "a" onmouseover="alert(1)")',
]
BODY_ONLY = [
    # A reference link keeps its target out of the line the link is written on.
    "[click][x]\n\n[x]: javascript:alert(1)",
    "```\n</code></pre><script>alert(1)</script>\n```",
    # Markdown itself lets these image URLs through; the sanitiser must not.
    "![pic](data:image/png;base64,iVBORw0KGgo=)",
    "[pic](data:image/png;base64,iVBORw0KGgo=)",
]

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "data", "xlink:href"}
BAD_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
TEMPLATES = Path(markup.__file__).parent / "templates"


def _page_tags() -> set[str]:
    """Every element a template or a form widget writes, or the Markdown sanitiser keeps."""
    written = {
        name.lower()
        for template in TEMPLATES.rglob("*.html")
        for name in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", template.read_text())
    }
    widgets = {"input", "textarea", "select", "option", "label"}
    return written | widgets | set(markup._ALLOWED_TAGS)


# The statistics chart's SVG elements: allowed on the dashboard only, so an <svg> anywhere
# else (the classic onload carrier) is still caught.
CHART_TAGS = frozenset({"svg", "rect", "line", "polyline", "text"})
ALLOWED_TAGS = _page_tags() - CHART_TAGS


class Audit(HTMLParser):
    """Collects the unsafe constructs in a page, and its text."""

    def __init__(self, allowed: set[str] | frozenset[str] = ALLOWED_TAGS) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed
        self.problems: list[str] = []
        self.texts: list[str] = []
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" or tag not in self.allowed:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            cleaned = re.sub(r"[\x00-\x20]", "", value or "")
            # "data:," is the empty favicon the layout names to spare a request.
            if name in URL_ATTRIBUTES and BAD_SCHEME.match(cleaned) and cleaned != "data:,":
                self.problems.append(f"{name}={value!r} on <{tag}>")
            if value:
                self.values.append(value)

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def audit(response: TestResponse, where: str, *, chart: bool = False) -> Audit:
    """Parse a page and fail on anything a payload could have injected (``chart``: the
    page is the dashboard or a post's edit page, whose own SVG chart is allowed)."""
    html = response.get_data(as_text=True)
    # The site's own scripts are files under /static/; no other script may appear. A
    # JSON-LD block is data, never run, and its JSON escapes "<": nothing in it can end it.
    own = re.sub(r'<script src="/static/js/[\w.-]+\?v=\w+" defer></script>', "", html)
    own = re.sub(r'<script type="application/ld\+json">[^<]*</script>', "", own)
    assert "<script" not in own.lower(), f"a <script> on {where}"
    parser = Audit(ALLOWED_TAGS | CHART_TAGS if chart else ALLOWED_TAGS)
    parser.feed(own)
    parser.close()
    assert not parser.problems, f"unsafe markup on {where}: {parser.problems}"
    return parser


def test_the_audit_catches_what_it_looks_for() -> None:
    """The audit is the test's eyes: it must see each kind of injection."""
    for html in [
        "<p>x</p><script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "<svg></svg>",
        '<a href=" JaVaScript:alert(1)">x</a>',
        '<img src="data:image/svg+xml;base64,AAAA">',
        '<p style="color:red">x</p>',
    ]:
        parser = Audit()
        parser.feed(html)
        assert parser.problems, html
    clean = Audit()
    clean.feed('<p class="x">&lt;script&gt;alert(1)&lt;/script&gt;</p><a href="/posts/a">a</a>')
    assert not clean.problems
    assert clean.text == "<script>alert(1)</script>a"


def _latest_post() -> Post:
    db.session.expire_all()
    post = db.session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
    assert post is not None
    return post


@pytest.mark.parametrize("payload", PAYLOADS)
def test_post_and_profile_text_is_escaped_on_every_page(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    admin = factory.user("admin", "boss")
    login(client, factory.user("author", "writer"))

    name = payload[:80]
    response = submit(client, "/settings", {"display_name": name, "bio": payload}, page="/settings")
    assert response.status_code == 302, response.get_data(as_text=True)

    body = f"{payload}\n\nSecond paragraph: {payload}"
    form = {"title": payload, "body": body, "tags": "xss", "status": "published"}
    response = submit(client, "/write", form, page="/write")
    assert response.status_code == 302, response.get_data(as_text=True)
    post = _latest_post()
    edit = f"/posts/{post.id}/edit"
    edited = {**form, "title": f"{payload} (2)", "excerpt": payload, "tags": "xss, more"}
    response = submit(client, edit, edited, page=edit)
    assert response.status_code == 302, response.get_data(as_text=True)

    title = f"{payload} (2)"
    pages = {
        "home": ("/", [title, name, payload]),
        "post": (f"/posts/{post.slug}", [title, name, "Second paragraph"]),
        "tag": ("/tags/xss", [title, name, payload]),
        "author": ("/authors/writer", [name, payload, title]),
        "manage": ("/manage", [title, name]),
        "edit": (edit, [title, body, payload]),
        "revisions": (f"{edit[: -len('/edit')]}/revisions", [payload, title]),
        "compare": (f"/posts/{post.id}/revisions/compare?from=1&to=2", [payload, title]),
        "settings": ("/settings", [name, payload]),
        # She follows nobody: the empty feed offers the authors, her among them.
        "feed": ("/feed", [name]),
    }
    for where, (url, shown) in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        page = audit(response, where, chart=where == "edit")  # the edit page's readers panel
        for text in shown:
            # The payload is on the page, as text (or as a form field's value).
            assert text in page.text or text in page.values, f"{text!r} missing on {where}"

    login(client, admin)
    for where in ["/admin/users", "/manage", f"/posts/{post.slug}"]:
        response = client.get(where)
        assert response.status_code == 200, where
        audit(response, f"{where} as admin")


@pytest.mark.parametrize("payload", BODY_ONLY)
def test_markdown_tricks_in_the_body_are_sanitised(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    login(client, factory.user("admin", "boss"))
    form = {"title": "Tricks", "body": payload, "status": "published"}
    response = submit(client, "/write", form, page="/write")
    assert response.status_code == 302, response.get_data(as_text=True)
    post = _latest_post()
    for url in [f"/posts/{post.slug}", f"/posts/{post.id}/edit", "/"]:
        response = client.get(url)
        assert response.status_code == 200
        audit(response, url, chart=url.endswith("/edit"))  # the readers panel


@pytest.mark.parametrize("payload", PAYLOADS + BODY_ONLY)
def test_comment_text_is_sanitised_on_every_page(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    """A comment goes in through the forms, held and then approved, replied to and
    edited; every page that shows it is audited, as each viewer sees it."""
    admin = factory.user("admin", "boss")
    site.update(db.session, admin, comment_policy="hold_all")
    writer = factory.user("author", "writer")
    post = factory.post(writer, "Discussed")
    login(client, factory.user("reader", "rita"))
    page = f"/posts/{post.slug}"

    def comment(body: str, parent: int | None = None) -> int:
        data = {"body": body, "parent_id": str(parent or "")}
        response = submit(client, f"/posts/{post.id}/comments", data, page=page)
        assert response.status_code == 302, response.get_data(as_text=True)
        return int(db.session.scalar(select(func.max(Comment.id))))

    held = comment(f"{payload}\n\nSecond paragraph: {payload}")
    edit = f"/comments/{held}/edit"
    assert submit(client, edit, {"body": f"{payload} (edited)"}, page=edit).status_code == 302
    # A refused comment echoes the payload in the form again.
    response = submit(client, f"/posts/{post.id}/comments", {"body": payload * 1000}, page=page)
    assert response.status_code == 422
    assert payload * 1000 in audit(response, "the refused comment form").text

    login(client, writer)
    for url in ["/moderation", page]:
        response = client.get(url)
        assert response.status_code == 200, url
        shown = audit(response, f"{url} as the post's author")
        assert "(edited)" in shown.text, f"the comment is missing on {url}"
    response = submit(client, "/moderation", {"ids": str(held), "action": "approve"})
    assert response.status_code == 302

    reply = comment(payload, parent=held)
    pages = [page, f"/comments/{held}/reply", f"/comments/{reply}/edit", "/"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        audit(response, url)
    login(client, admin)
    response = submit(client, "/moderation", {"ids": str(reply), "action": "spam"})
    for url in ["/moderation?status=spam", page]:
        response = client.get(url)
        assert response.status_code == 200, url
        audit(response, f"{url} as admin")
    client.post("/logout", data={"csrf_token": _token(client)})
    audit(client.get(page), "the post page for a visitor")


def _token(client: FlaskClient) -> str:
    match = re.search(r'csrf-token" content="([^"]+)', client.get("/").get_data(as_text=True))
    assert match
    return match[1]


def test_comment_links_are_marked_as_user_content(client: FlaskClient, factory: Factory) -> None:
    admin = factory.user("admin", "boss")
    site.update(db.session, admin, comment_policy="open")
    post = factory.post(admin, "Discussed")
    factory.comment(admin, post, "[mine](https://example.com) and <https://example.org>")
    html = client.get(f"/posts/{post.slug}").get_data(as_text=True)
    assert html.count('rel="nofollow ugc noopener"') == 2


@pytest.mark.parametrize("payload", PAYLOADS)
def test_tags_refuse_markup_and_the_form_echoes_it_safely(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    login(client, factory.user("admin", "boss"))
    form = {"title": "Tagged", "body": "Text", "tags": f"fine, {payload}", "status": "published"}
    response = submit(client, "/write", form, page="/write")
    assert response.status_code == 422
    page = audit(response, "the refused post form")
    assert "is not a tag: use letters, digits and hyphens." in page.text
    assert f"fine, {payload}" in page.values  # the input is kept, as a value
    assert db.session.scalar(select(func.count(Post.id))) == 0


@pytest.mark.parametrize("payload", PAYLOADS)
def test_registration_refuses_markup_in_a_username(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    factory.user("admin", "boss")
    response = submit(
        client, "/register",
        {"username": payload, "email": "new@example.com", "password": "a long password!"},
        page="/register",
    )  # fmt: skip
    assert response.status_code == 422
    page = audit(response, "the refused registration form")
    assert (
        "Use 3 to 30 letters, digits, hyphens or underscores." in page.text
        or "Field cannot be longer than 30 characters." in page.text
    )
    assert db.session.scalar(select(func.count(User.id))) == 1


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_refused_login_echoes_the_name_safely(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    factory.user("admin", "boss")
    response = submit(client, "/login", {"login": payload, "password": "wrong password"})
    assert response.status_code == 422
    page = audit(response, "the refused login form")
    assert payload in page.values


@pytest.mark.parametrize("payload", PAYLOADS[:8])
def test_payloads_in_addresses_are_not_reflected_as_markup(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    writer = factory.user("author", "writer")
    factory.post(writer, "Listed", tags="xss")
    quoted = quote(payload, safe="")
    for url in [
        f"/tags/{quoted}",
        f"/authors/{quoted}",
        f"/posts/{quoted}",
        f"/?before={quoted}",
        f"/tags/xss?after={quoted}",
        f"/login?next={quoted}",
    ]:
        response = client.get(url)
        assert response.status_code in {200, 400, 404}, url
        audit(response, url)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_titles_referrers_and_tags_are_escaped_on_the_dashboard(
    client: FlaskClient, factory: Factory, payload: str
) -> None:
    writer = factory.user("author", "writer")
    post = factory.post(writer, payload[:200])
    when = utcnow()
    view = {"viewed_at": when, "day": when.date(), "path": f"/posts/{post.slug}",
            "post_id": post.id, "referrer_host": payload[:253], "utm_source": payload[:100],
            "utm_medium": "", "utm_campaign": payload[:100], "device": "desktop",
            "browser": payload[:50], "os": "Linux", "visitor": "v"}  # fmt: skip
    db.session.execute(insert(PageView), [view])
    db.session.commit()
    login(client, writer)
    page = audit(client.get("/stats"), "the dashboard", chart=True)
    for text in (payload[:200], payload[:253], payload[:100], payload[:50]):
        assert text in page.text, f"{text!r} missing on the dashboard"
