"""Writing pages: who may, which addresses, revisions, and bad input (both databases)."""

from __future__ import annotations

import pytest
from flask import current_app
from sqlalchemy import func, select

from inkstand.db import utcnow
from inkstand.exceptions import Conflict, Forbidden, Invalid, NotFound
from inkstand.extensions import db
from inkstand.pages import services
from inkstand.pages.models import Page, PageRevision
from inkstand.pages.services import RESERVED, PageChanges
from inkstand.pages.views import reserved_addresses
from tests.helpers import POST_BODY_MAX, Factory, fresh
from tests.pages.helpers import make_page

ROLES_WHO_WRITE = ["admin", "editor"]
ROLES_WHO_DO_NOT = ["author", "reader"]


def _routes() -> frozenset[str]:
    return reserved_addresses(current_app.url_map)


def _change(page: Page, actor, **fields) -> Page:
    return services.change_page(
        db.session, actor, page.id, PageChanges(**fields), utcnow(), POST_BODY_MAX, _routes()
    )


def _count() -> int:
    return int(fresh(select(func.count(Page.id))))


@pytest.mark.parametrize("role", ROLES_WHO_WRITE)
def test_editors_and_admins_write_change_and_delete_pages(factory: Factory, role: str) -> None:
    factory.user("admin")  # the first account is always the admin
    writer = factory.user(role)
    page = make_page(writer, "Colophon", status="draft")
    assert (page.slug, page.status, page.version) == ("colophon", "draft", 1)
    page = _change(page, writer, body="Set in *Charter*.", status="published")
    assert "<em>Charter</em>" in page.body_html
    assert page.published_at is not None
    assert services.delete_page(db.session, writer, page.id) == "Colophon"
    assert _count() == 0
    assert fresh(select(func.count(PageRevision.id))) == 0


@pytest.mark.parametrize("role", ROLES_WHO_DO_NOT)
def test_authors_and_readers_may_not_write_pages(factory: Factory, role: str) -> None:
    admin = factory.user("admin")
    page = make_page(admin)
    someone = factory.user(role)
    with pytest.raises(Forbidden):
        make_page(someone, "Mine")
    with pytest.raises(Forbidden):
        _change(page, someone, title="Taken over")
    with pytest.raises(Forbidden):
        services.delete_page(db.session, someone, page.id)
    with pytest.raises(Forbidden):
        services.listing(db.session, someone)
    assert _count() == 1


def test_a_visitor_may_not_write_pages_and_sees_no_draft(factory: Factory) -> None:
    admin = factory.user("admin")
    draft = make_page(admin, "Secret plans", status="draft")
    with pytest.raises(Forbidden):
        make_page(None, "Visitor")  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        services.show(db.session, None, draft.slug)
    with pytest.raises(NotFound):  # a draft is not confirmed to exist
        services.get_for_edit(db.session, factory.user("author"), draft.id)
    assert services.show(db.session, admin, draft.slug).id == draft.id


def test_every_route_of_the_url_map_is_refused_as_an_address(factory: Factory) -> None:
    """Enumerate the URL map: no page may take the first segment of any route."""
    admin = factory.user("admin")
    routes = {r for r in _routes() if services.posts.SLUG.match(r)}
    assert {"login", "posts", "tags", "authors", "admin", "api", "search", "pages"} <= routes
    for address in sorted(routes | RESERVED):
        if len(address) > services.SLUG_MAX or not services.posts.SLUG.match(address):
            continue
        with pytest.raises(Invalid) as refused:
            make_page(admin, "Shadow", slug=address)
        assert "address of the site itself" in refused.value.errors["slug"][0]
    assert _count() == 0


def test_a_title_that_makes_a_route_address_is_refused(factory: Factory) -> None:
    with pytest.raises(Invalid) as refused:
        make_page(factory.user("admin"), "Login")
    assert "slug" in refused.value.errors


def test_an_address_another_page_holds_is_refused(factory: Factory) -> None:
    admin = factory.user("admin")
    make_page(admin, "About")
    with pytest.raises(Invalid) as refused:
        make_page(admin, "About us", slug="about")
    assert refused.value.errors["slug"] == ["Another page already uses /about."]
    other = make_page(admin, "Contact")
    with pytest.raises(Invalid):
        _change(other, admin, slug="about")
    assert fresh(select(Page.slug).where(Page.id == other.id)) == "contact"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"title": "t" * 10_000}, "title", id="10-KB-title"),
        pytest.param({"title": "   "}, "title", id="blank-title"),
        pytest.param({"title": "Bell\x07"}, "title", id="control-character"),
        pytest.param({"body": " "}, "body", id="empty-body"),
        pytest.param({"body": "b" * (POST_BODY_MAX + 1)}, "body", id="body-too-long"),
        pytest.param({"slug": "Not A Slug"}, "slug", id="bad-slug"),
        pytest.param({"slug": "a--b"}, "slug", id="double-hyphen"),
        pytest.param({"slug": "x" * 61}, "slug", id="slug-too-long"),
        pytest.param({"status": "archived"}, "status", id="unknown-state"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(factory: Factory, fields, field) -> None:
    admin = factory.user("admin")
    with pytest.raises(Invalid) as refused:
        make_page(admin, **{"title": "Fine", **fields})
    assert field in refused.value.errors
    assert _count() == 0


def test_every_save_is_a_revision_and_an_old_one_can_be_restored(factory: Factory) -> None:
    admin = factory.user("admin")
    editor = factory.user("editor")
    page = make_page(admin, "About", body="First words.")
    page = _change(page, editor, title="About us", body="Second words.")
    same = _change(page, editor, title="About us ")  # nothing changes: no revision
    assert same.version == page.version == 2
    page, rows = services.revisions(db.session, admin, page.id)
    assert [(r.number, r.title, r.editor.username) for r in rows] == [
        (2, "About us", editor.username),
        (1, "About", admin.username),
    ]
    restored = services.restore_revision(
        db.session, admin, page.id, 1, utcnow(), POST_BODY_MAX, _routes()
    )
    assert (restored.title, restored.body_source, restored.version) == ("About", "First words.", 3)
    with pytest.raises(NotFound):
        services.restore_revision(
            db.session, admin, page.id, 99, utcnow(), POST_BODY_MAX, _routes()
        )


def test_a_save_over_a_newer_version_is_a_conflict(factory: Factory) -> None:
    admin = factory.user("admin")
    page = make_page(admin)
    _change(page, admin, body="Newer.")
    with pytest.raises(Conflict) as refused:
        services.change_page(
            db.session, admin, page.id, PageChanges(body="Older."), utcnow(), POST_BODY_MAX,
            _routes(), based_on=1,
        )  # fmt: skip
    assert refused.value.current == 2
    assert fresh(select(Page.body_source)) == "Newer."


def test_script_in_a_title_or_body_is_kept_as_text_or_removed(factory: Factory) -> None:
    page = make_page(
        factory.user("admin"), "<script>alert(1)</script>", body="<script>alert(2)</script> hi"
    )
    assert page.title == "<script>alert(1)</script>"  # escaped wherever it is shown
    assert "<script" not in page.body_html
    assert page.slug == "script-alert-1-script"


def test_no_such_page(factory: Factory) -> None:
    admin = factory.user("admin")
    for page_id in (0, -1, 10**20, 12345):
        with pytest.raises(NotFound):
            services.get_for_edit(db.session, admin, page_id)
    with pytest.raises(NotFound):
        services.show(db.session, admin, "x" * 500)
