"""Static pages through the native API: read them, and (editors and admins) write them."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from marshmallow import Schema, fields, validate

from inkstand import runtime
from inkstand.api.v1 import auth, hooks
from inkstand.extensions import db
from inkstand.pages import services
from inkstand.pages import views as pages_views
from inkstand.pages.models import PageStatus
from inkstand.pages.services import PageChanges

bp = hooks.ApiBlueprint(
    "pages", __name__, url_prefix="/api/v1/pages",
    description="Static pages (About, Contact...) at the site's root, apart from the posts.",
)  # fmt: skip
_STATES = [s.value for s in PageStatus]
_SLUG = "The page lives at /<slug>. Empty: made from the title. No route's address."


class PageSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True, metadata={"description": "The page is at /<slug>."})
    title = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": _STATES})
    body = fields.String(
        required=True, attribute="body_source", metadata={"description": "Markdown."}
    )
    body_html = fields.String(required=True, metadata={"description": "Sanitised HTML."})
    published_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class PageListSchema(Schema):
    pages = fields.List(fields.Nested(PageSchema), required=True)


class PageInSchema(Schema):
    title = fields.String(required=True)
    body = fields.String(required=True, metadata={"description": "Markdown."})
    status = fields.String(load_default=PageStatus.DRAFT.value, validate=validate.OneOf(_STATES))
    slug = fields.String(load_default="", metadata={"description": _SLUG})


class PagePatchSchema(Schema):
    """Any subset of a page's fields; the others keep their values."""

    title = fields.String()
    body = fields.String()
    status = fields.String(validate=validate.OneOf(_STATES))
    slug = fields.String(metadata={"description": _SLUG})


def _body_limit() -> int:
    limit: int = current_app.config["POST_BODY_MAX_CHARS"]
    return limit


@bp.route("", methods=["GET"])
@bp.response(200, PageListSchema)
def index() -> Any:
    """List pages, by title

    Published pages to anyone; drafts too to editors and admins. A site keeps at most
    200 pages, so the list is never paged.
    """
    return {"pages": services.visible(db.session, auth.viewer())}


@bp.route("", methods=["POST"])
@bp.arguments(PageInSchema)
@bp.response(201, PageSchema)
def create(args: dict[str, Any]) -> Any:
    """Write a page

    Needs a read-write token of an editor or admin.
    """
    page = services.create_page(
        db.session, auth.writer(), PageChanges(**args), runtime.now(), _body_limit(),
        pages_views.reserved(),
    )  # fmt: skip
    hooks.tag_version(page.version)
    return page


@bp.route("/<int:page_id>", methods=["GET"])
@bp.response(200, PageSchema)
def show(page_id: int) -> Any:
    """Read a page by id

    A draft is found only by editors and admins. The `ETag` names the page's version:
    send it as `If-Match` when changing it.
    """
    page = services.get(db.session, auth.viewer(), page_id)
    hooks.tag_version(page.version)
    return page


@bp.route("/<int:page_id>", methods=["PATCH"], parameters=[hooks.IF_MATCH])
@bp.arguments(PagePatchSchema)
@bp.response(200, PageSchema)
@bp.alt_response(412, description=hooks.PRECONDITION_FAILED["description"])
def update(args: dict[str, Any], page_id: int) -> Any:
    """Change a page

    Fields left out keep their values. Each save is a revision. With `If-Match`, only
    if the page is still the version its `ETag` names.
    """
    page = services.change_page(
        db.session, auth.writer(), page_id, PageChanges(**args), runtime.now(),
        _body_limit(), pages_views.reserved(), based_on=hooks.based_on(),
    )  # fmt: skip
    hooks.tag_version(page.version)
    return page


@bp.route("/<int:page_id>", methods=["DELETE"])
@bp.response(204)
def delete(page_id: int) -> Any:
    """Delete a page

    With its revisions and its links in the menu, for good.
    """
    services.delete_page(db.session, auth.writer(), page_id)
    done = Response(status=204)
    del done.headers["Content-Type"]
    return done
