"""Image pages: the stored files, the library, upload and delete."""

from __future__ import annotations

import io
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import runtime
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.media import context, imaging, jobs, permissions, services
from inkstand.media.forms import AvatarForm, UploadForm
from inkstand.media.models import Media
from inkstand.media.storage import valid_name
from inkstand.pagination import Page

bp = Blueprint("media", __name__)
bp.add_app_template_global(permissions.can_upload, "can_upload_images")
bp.add_app_template_global(services.url, "media_url")
bp.add_app_template_global(context.avatar_src, "avatar_src")
YEAR = 365 * 24 * 3600
VARIANT = re.compile(r"-[0-9]+(?=\.)")  # <sha256>-<width>.<type>


def upload_image(sent: object) -> Media:
    """Keep the image sent in a form's file field, its copies queued. Raises Invalid."""
    data = context.read(sent, context.limits().max_bytes)
    return services.upload(
        db.session, context.storage(), runtime.user(), data, context.limits(), jobs.queue_variants
    )


def markdown(media: Media) -> str:
    """The Markdown that shows an image in a post."""
    return f"![]({services.url(media)})"


@bp.get("/media/<name>")
def file(name: str) -> ResponseReturnValue:
    """A stored image: named by its content, so it never changes and is cached for a year.
    A smaller copy not made yet (its job is still queued) is answered with the original,
    cached for a minute only."""
    storage = context.storage()
    if not valid_name(name):
        abort(404)
    found, max_age = name, YEAR
    if not storage.exists(name):
        found, max_age = VARIANT.sub("", name), 60
        if found == name or not storage.exists(found):
            abort(404)
    kind = imaging.BY_EXTENSION[name.rsplit(".", 1)[1]]
    with storage.open(found) as handle:  # an image is small; no handle outlives the request
        data = io.BytesIO(handle.read())
    response = send_file(data, mimetype=kind.content_type, max_age=max_age, etag=found)
    response.cache_control.immutable = max_age == YEAR
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _library_page() -> Page[Media]:
    return services.library(
        db.session, runtime.user(), services.LIBRARY_PAGE,
        before=request.args.get("before"), after=request.args.get("after"),
    )  # fmt: skip


@bp.get("/media/library")
@login_required
def library() -> ResponseReturnValue:
    return render_template("media/library.html", page=_library_page(), form=UploadForm())


@bp.post("/media/upload")
@login_required
@context.takes_upload
def upload() -> ResponseReturnValue:
    """Upload from the library page, or from the editor's script (which asks for JSON)."""
    form = UploadForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if form.validate_on_submit():
        try:
            media = upload_image(form.image.data)
        except Invalid as error:
            form.add_errors(error)
        else:
            if wants_json:
                found = {"id": media.id, "url": services.url(media), "markdown": markdown(media)}
                return found, 201
            flash(f"Image uploaded. Show it in a post with {markdown(media)}", "success")
            return redirect(url_for("media.library"))
    if wants_json:
        return {"errors": form.errors}, 422
    return render_template("media/library.html", page=_library_page(), form=form), 422


@bp.post("/media/<int:media_id>/delete")
@login_required
def delete(media_id: int) -> ResponseReturnValue:
    try:
        services.delete_media(db.session, context.storage(), runtime.user(), media_id)
    except Invalid as error:
        flash(error.message, "error")
    else:
        flash("Image deleted.", "success")
    return redirect(url_for("media.library"))


def _avatar_page(form: AvatarForm, status: int = 200) -> ResponseReturnValue:
    return render_template("media/avatar.html", form=form), status


@bp.route("/settings/avatar", methods=["GET", "POST"])
@login_required
@context.takes_upload
def avatar() -> ResponseReturnValue:
    """Upload an avatar (a plain form: the account settings page carries it too)."""
    form = AvatarForm()
    if form.validate_on_submit():
        data = context.read(form.image.data, context.limits().max_bytes)
        try:
            services.set_avatar(
                db.session, context.storage(), runtime.user(), data, context.limits(),
                jobs.queue_variants,
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Your avatar is saved.", "success")
            return redirect(url_for("accounts.settings"))
    return _avatar_page(form, 422 if form.errors else 200)


@bp.post("/settings/avatar/remove")
@login_required
def remove_avatar() -> ResponseReturnValue:
    services.remove_avatar(db.session, runtime.user())
    flash("Your avatar is removed.", "success")
    return redirect(url_for("accounts.settings"))
