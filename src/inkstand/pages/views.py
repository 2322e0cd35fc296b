"""Pages at the site root, the screens editors write them in, and the web manifest."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.routing import BaseConverter, Map, ValidationError

from inkstand import inputs, runtime
from inkstand.blog.services import posts
from inkstand.blog.services import revisions as history
from inkstand.exceptions import Conflict, Invalid
from inkstand.extensions import db
from inkstand.media.services import URL_PREFIX
from inkstand.pages import permissions, services
from inkstand.pages.forms import PageForm
from inkstand.pages.models import Page
from inkstand.site.context import site_settings

bp = Blueprint("pages", __name__)
bp.add_app_template_global(permissions.can_write, "can_write_pages")


def reserved_addresses(url_map: Map) -> frozenset[str]:
    """The first segment of every route's address (``/login``, ``/posts/...``): no page
    may take one, or it would hide that route (or be hidden by it)."""
    found = set()
    for rule in url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            found.add(first.lower())
    return frozenset(found)


class PageAddress(BaseConverter):
    """A page's address at the root: a slug, and never a route's first segment, so that
    ``GET /logout`` still answers 405 from its own route rather than 404 from here."""

    regex = r"[a-z0-9]+(?:-[a-z0-9]+)*"
    _routes: frozenset[str] | None = None

    def to_python(self, value: str) -> str:
        if self._routes is None:  # read at the first request, when every route is there
            self._routes = reserved_addresses(self.map)
        if value in self._routes:
            raise ValidationError()
        return value


@bp.record_once
def _add_converter(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("page", PageAddress)


def reserved() -> frozenset[str]:
    """This app's routes' first segments, for the services' address check."""
    found: frozenset[str] | None = current_app.extensions.get("inkstand.reserved_addresses")
    if found is None:  # the URL map is complete once the first request comes
        found = reserved_addresses(current_app.url_map)
        current_app.extensions["inkstand.reserved_addresses"] = found
    return found


def _body_limit() -> int:
    limit: int = current_app.config["POST_BODY_MAX_CHARS"]
    return limit


# "address", not "slug": the walks over every route that takes a post know it by "slug".
@bp.get("/<page:address>")
def show(address: str) -> ResponseReturnValue:
    page = services.show(db.session, runtime.user(), address)
    return render_template("pages/show.html", page=page)


@bp.get("/site.webmanifest")
def manifest() -> ResponseReturnValue:
    """The web manifest a phone reads to put the site on its home screen."""
    config = site_settings()
    icons = [
        {"src": f"{URL_PREFIX}{name}", "sizes": f"{size}x{size}", "type": "image/png"}
        for size, name in config.icons.items()
        if size >= 192
    ]
    response = jsonify(
        name=config.title, short_name=config.title[:12], description=config.description,
        start_url="/", display="browser", icons=icons,
    )  # fmt: skip
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/pages")
@login_required
def manage() -> ResponseReturnValue:
    rows = services.listing(db.session, runtime.user())
    return render_template("pages/manage.html", pages=rows)


def _preview_page(form: PageForm, page: Page | None) -> ResponseReturnValue:
    """The edit page with the body rendered beside it (the no-script preview)."""
    try:
        html = posts.preview(db.session, runtime.user(), form.body.data or "", _body_limit())
    except Invalid as error:
        form.add_errors(error)
        return render_template("pages/edit.html", form=form, page=page), 422
    return render_template("pages/edit.html", form=form, page=page, preview=html)


@bp.route("/pages/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    services.require_writer(runtime.user())
    form = PageForm()
    if form.validate_on_submit():
        if "preview" in request.form:
            return _preview_page(form, None)
        try:
            page = services.create_page(
                db.session, runtime.user(), form.to_changes(), runtime.now(), _body_limit(),
                reserved(),
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Page saved.", "success")
            return redirect(url_for("pages.show", address=page.slug))
    status = 422 if form.errors else 200
    return render_template("pages/edit.html", form=form, page=None), status


@bp.route("/pages/<int:page_id>/edit", methods=["GET", "POST"])
@login_required
def edit(page_id: int) -> ResponseReturnValue:
    page = services.get_for_edit(db.session, runtime.user(), page_id)
    form = PageForm()
    if request.method == "GET":
        form.fill(services.editable(page), page.version)
    elif form.validate_on_submit():
        if "preview" in request.form:
            return _preview_page(form, page)
        try:
            page = services.change_page(
                db.session, runtime.user(), page_id, form.to_changes(), runtime.now(),
                _body_limit(), reserved(), based_on=form.version.data,
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        except Conflict as conflict:
            lines = history.diff_bodies(page.body_source, form.body.data or "")
            form.version.data = conflict.current  # saving again keeps this text
            page_html = render_template(
                "pages/edit.html", form=form, page=page, conflict=conflict, lines=lines
            )
            return page_html, 409
        else:
            flash("Page saved.", "success")
            return redirect(url_for("pages.show", address=page.slug))
    status = 422 if form.errors else 200
    return render_template("pages/edit.html", form=form, page=page), status


@bp.post("/pages/<int:page_id>/delete")
@login_required
def delete(page_id: int) -> ResponseReturnValue:
    title = services.delete_page(db.session, runtime.user(), page_id)
    flash(f"The page “{title}” is deleted.", "success")
    return redirect(url_for("pages.manage"))


@bp.get("/pages/<int:page_id>/revisions")
@login_required
def revisions(page_id: int) -> ResponseReturnValue:
    page, rows = services.revisions(db.session, runtime.user(), page_id)
    return render_template("pages/revisions.html", page=page, revisions=rows)


@bp.get("/pages/<int:page_id>/revisions/compare")
@login_required
def compare(page_id: int) -> ResponseReturnValue:
    first = inputs.whole_number(request.args.get("from", "")) or 0
    second = inputs.whole_number(request.args.get("to", "")) or 0
    page, old, new = services.compare(db.session, runtime.user(), page_id, first, second)
    if old is None or new is None:
        flash("Choose two revisions to compare.", "error")
        return redirect(url_for("pages.revisions", page_id=page_id))
    fields = [
        history.FieldChange("Title", old.title, new.title),
        history.FieldChange("Address", f"/{old.slug}", f"/{new.slug}"),
        history.FieldChange("State", old.status.capitalize(), new.status.capitalize()),
    ]
    lines = history.diff_bodies(old.body_source, new.body_source)
    return render_template(
        "pages/compare.html", page=page, old=old, new=new, fields=fields, lines=lines
    )


@bp.post("/pages/<int:page_id>/revisions/<int:number>/restore")
@login_required
def restore(page_id: int, number: int) -> ResponseReturnValue:
    page = services.restore_revision(
        db.session, runtime.user(), page_id, number, runtime.now(), _body_limit(), reserved()
    )
    flash(f"Revision {number} restored as the current version.", "success")
    return redirect(url_for("pages.show", address=page.slug))
