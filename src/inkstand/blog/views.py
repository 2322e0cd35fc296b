"""Blog pages: the lists readers browse and the screens writers write in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

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
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import FileStorage as Upload
from werkzeug.datastructures import MultiDict

from inkstand import buttons, inputs, limits, runtime
from inkstand.accounts import services as accounts
from inkstand.accounts import zones
from inkstand.accounts.models import User
from inkstand.blog import featured, permissions, reading
from inkstand.blog.forms import AutosaveForm, BulkForm, ManageForm, PostForm, PreviewForm
from inkstand.blog.models import Post
from inkstand.blog.services import autosave, bulk, favourites, posts, trash
from inkstand.blog.services import revisions as history
from inkstand.blog.services.posts import KEEP, Keep
from inkstand.comments import views as comments
from inkstand.db import DbSession
from inkstand.discovery import views as discovery
from inkstand.exceptions import Conflict, Forbidden, Invalid
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.media import views as media
from inkstand.site.context import site_settings

bp = Blueprint("blog", __name__)
MANAGE_PAGE = 25  # posts per page of the writers' list
FEATURED = 3  # featured posts at the top of the home page's first page
bp.add_app_template_global(permissions.can_create, "can_write_posts")
bp.add_app_template_global(permissions.can_choose_authors, "can_choose_authors")


def _cursors() -> dict[str, str | None]:
    return {"before": request.args.get("before"), "after": request.args.get("after")}


def _body_limit() -> int:
    limit: int = current_app.config["POST_BODY_MAX_CHARS"]
    return limit


@bp.get("/")
def index() -> ResponseReturnValue:
    now, cursors = runtime.now(), _cursors()
    # The first page opens with the featured posts, which the list below leaves out.
    shown = [] if any(cursors.values()) else featured.posts(now, FEATURED)
    size = site_settings().posts_per_page
    page = reading.home(db.session, now, size, **cursors, shown=shown)
    return render_template("blog/index.html", page=page, featured=shown)


@bp.get("/tags/<name>")
def tag(name: str) -> ResponseReturnValue:
    size = site_settings().posts_per_page
    found, page = reading.by_tag(db.session, name, runtime.now(), size, **_cursors())
    return render_template("blog/tag.html", tag=found, page=page)


@bp.get("/authors/<username>")
def author(username: str) -> ResponseReturnValue:
    profile = accounts.get_profile(db.session, runtime.user(), username)
    size = site_settings().posts_per_page
    page = reading.by_author(db.session, profile.user, runtime.now(), size, **_cursors())
    return render_template("blog/author.html", author=profile.user, profile=profile, page=page)


@bp.get("/feed")
@login_required
def feed() -> ResponseReturnValue:
    user, now = runtime.user(), runtime.now()
    page = reading.feed(db.session, user, now, site_settings().posts_per_page, **_cursors())
    first_and_empty = not page.items and page.newer is None
    authors = reading.authors(db.session, now, 20) if first_and_empty else []
    return render_template("blog/feed.html", page=page, authors=authors)


@bp.get("/posts/<slug>")
def show(slug: str) -> ResponseReturnValue:
    user = runtime.user()
    post, favourited = reading.show_with_favourite(db.session, user, slug, runtime.now())
    return render_template(
        "blog/show.html",
        post=post,
        can_edit=permissions.can_edit(user, post),
        favourited=favourited,
        **comments.post_page(post),
        **discovery.post_page(post),
    )


@bp.get("/manage")
@login_required
def manage() -> ResponseReturnValue:
    user = runtime.user()
    if not permissions.can_create(user):
        raise Forbidden("Your account may not write posts.")
    assert user is not None
    form = ManageForm(request.args)
    page = None
    if form.validate():
        try:
            page = reading.manageable(
                db.session, user, runtime.now(), MANAGE_PAGE, form.to_query(), **_cursors()
            )
        except Invalid as error:
            form.add_errors(error)
    if page is None:
        return render_template("blog/manage.html", form=form, page=None, filters={}), 422
    return render_template(
        "blog/manage.html", form=form, page=page, filters=form.arguments(), actions=bulk.ACTIONS
    )


def _chosen_ids(values: MultiDict[str, str]) -> list[int]:
    return [int(v) for v in values.getlist("ids") if v.isdigit() and len(v) <= 12]


def _back_to_list() -> str:
    """The writers' list as it was (its filters and page), or the list itself."""
    back = request.values.get("back", "")
    return back if back.startswith("/manage") and "//" not in back else url_for("blog.manage")


@bp.route("/manage/bulk", methods=["GET", "POST"])
@login_required
def manage_bulk() -> ResponseReturnValue:
    """A bulk action: a GET shows what it will do (the confirmation), a POST does it."""
    values = request.args if request.method == "GET" else request.form
    action, ids = values.get("action", ""), _chosen_ids(values)
    if request.method == "GET":
        try:
            allowed, refused = bulk.chosen(db.session, runtime.user(), action, ids)
        except Invalid as error:
            flash(error.message, "error")
            return redirect(_back_to_list())
        form = BulkForm(data={"action": action})
        return render_template(
            "blog/bulk.html", form=form, action=action, label=bulk.ACTIONS[action],
            allowed=allowed, refused=refused, back=_back_to_list(),
        )  # fmt: skip
    form = BulkForm()
    if not form.validate_on_submit():
        raise Invalid({name: list(messages) for name, messages in form.errors.items()})
    outcome = bulk.apply(db.session, runtime.user(), action, ids, runtime.now(), _body_limit())
    if outcome.done:
        flash(f"{bulk.ACTIONS[action]}: done for {len(outcome.done)} post(s).", "success")
    for refusal in outcome.refused:
        flash(f"Not done for “{refusal.title or refusal.post_id}”: {refusal.reason}", "error")
    return redirect(_back_to_list())


def _saved(post: Post) -> None:
    """Say the post is saved, and when a scheduled one will go out: in the writer's
    time zone, beside UTC."""
    if post.display_status(runtime.now()) == "scheduled" and post.published_at is not None:
        user = runtime.user()
        zone = user.time_zone if user is not None else zones.DEFAULT
        when = zones.describe(post.published_at, zone)
        flash(f"Post saved and scheduled: it goes out on {when}.", "success")
    else:
        flash("Post saved.", "success")


def _add_image(form: PostForm) -> None:
    """The editor's "Upload and add" button: keep the image and add its Markdown to the
    body in the form (nothing is saved yet), or show why not."""
    try:
        image = media.upload_image(form.image.data)
    except Invalid as error:
        form.image.errors = [*form.image.errors, *error.errors.get("image", [error.message])]
    else:
        form.body.data = f"{(form.body.data or '').rstrip()}\n\n{media.markdown(image)}\n".lstrip()
        flash("Image uploaded and added to the end of the body. Save to keep it.", "success")


def _cover(form: PostForm) -> int | Keep | None:
    """The cover the form asks for: a new upload, none, or as it was. Raises Invalid."""
    sent = form.cover.data
    if isinstance(sent, Upload) and sent.filename:
        try:
            return media.upload_image(sent).id
        except Invalid as error:
            raise Invalid({"cover": error.errors.get("image", [error.message])}) from error
    return None if form.remove_cover.data else KEEP


def _adding_image(form: PostForm) -> bool:
    return form.is_submitted() and bool(form.insert_image.data)


def _previewing() -> bool:
    """Whether the form was sent by its "Preview" button: show it rendered, save nothing."""
    return "preview" in request.form


def _preview_page(form: PostForm, post: Post | None) -> ResponseReturnValue:
    """The edit page with the submitted body rendered beside it (the no-script preview)."""
    try:
        html = posts.preview(db.session, runtime.user(), form.body.data or "", _body_limit())
    except Invalid as error:
        form.add_errors(error)
        return render_template("blog/edit.html", form=form, post=post), 422
    return render_template("blog/edit.html", form=form, post=post, preview=html)


@bp.post("/posts/preview")
@login_required
@limits.PREVIEW(account=runtime.user)
def preview() -> ResponseReturnValue:
    """The editor's live preview: the body as saving it would render it, as JSON."""
    form = PreviewForm()
    html = posts.preview(db.session, runtime.user(), form.body.data or "", _body_limit())
    return jsonify(html=html)


@bp.post("/posts/<int:post_id>/autosave")
@login_required
@limits.AUTOSAVE(account=runtime.user)
def autosave_post(post_id: int) -> ResponseReturnValue:
    """The editor's autosave: keeps the writer's working revision; JSON for the script."""
    form = AutosaveForm()
    if not form.validate():
        raise Invalid({name: list(messages) for name, messages in form.errors.items()})
    draft = autosave.Draft(
        title=form.title.data or "", body=form.body.data or "",
        excerpt=form.excerpt.data or "", tags=form.tags.data or "",
    )  # fmt: skip
    working = autosave.autosave(
        db.session, runtime.user(), post_id, draft, int(form.version.data or 0), runtime.now(),
        _body_limit(),
    )  # fmt: skip
    return jsonify(saved_at=working.saved_at.isoformat())


@bp.route("/write", methods=["GET", "POST"])
@login_required
@media_context.takes_upload
def new() -> ResponseReturnValue:
    if not permissions.can_create(runtime.user()):
        raise Forbidden("Your account may not write posts.")
    form = PostForm()
    if _adding_image(form):  # the CSRF token was checked before the view
        _add_image(form)
    elif form.validate_on_submit():
        if _previewing():
            return _preview_page(form, None)
        try:
            changes = form.to_changes(_cover(form))
            post = posts.create_post(
                db.session, runtime.user(), changes, runtime.now(), _body_limit()
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            _saved(post)
            return redirect(url_for("blog.show", slug=post.slug))
    status = 422 if form.errors else 200
    return render_template("blog/edit.html", form=form, post=None), status


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@media_context.takes_upload
def edit(post_id: int) -> ResponseReturnValue:
    post = posts.get_for_edit(db.session, runtime.user(), post_id, runtime.now())
    form = PostForm()
    conflict: Conflict | None = None
    working = None
    if request.method == "GET":
        if "saved" not in request.args:
            working = autosave.working_copy(db.session, runtime.user(), post)
        fields = posts.editable(post)
        form.fill(autosave.with_working_copy(post, working) if working else fields, post.version)
    elif _adding_image(form):
        _add_image(form)
    elif form.validate_on_submit():
        if _previewing():
            return _preview_page(form, post)
        try:  # the service finds the post already read: no second query
            changes = form.to_changes(
                _cover(form), with_authors=permissions.can_choose_authors(runtime.user(), post)
            )
            post = posts.change_post(
                db.session, runtime.user(), post_id, changes, runtime.now(), _body_limit(),
                based_on=form.based_on(),
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        except Conflict as error:
            conflict = error
        else:
            _saved(post)
            return redirect(url_for("blog.show", slug=post.slug))
    if conflict is not None:
        lines = history.diff_with_saved(post, form.to_changes(with_authors=False))
        page = render_template(
            "blog/edit.html", form=form, post=post, conflict=conflict, lines=lines
        )
        return page, 409
    status = 422 if form.errors else 200
    return render_template("blog/edit.html", form=form, post=post, working=working), status


@bp.get("/posts/<int:post_id>/delete")
@login_required
def confirm_delete(post_id: int) -> ResponseReturnValue:
    """ "Delete this post" asks first, on a page of its own (no script needed)."""
    post = posts.get_for_edit(db.session, runtime.user(), post_id, runtime.now())
    days = current_app.config["TRASH_DAYS"]
    return render_template("blog/delete.html", post=post, days=days)


@bp.post("/posts/<int:post_id>/delete")
@login_required
def delete(post_id: int) -> ResponseReturnValue:
    post = posts.delete_post(db.session, runtime.user(), post_id, runtime.now())
    days = current_app.config["TRASH_DAYS"]
    flash(f"“{post.title}” moved to the trash: you can restore it for {days} days.", "success")
    return redirect(url_for("blog.manage"))


@bp.get("/manage/trash")
@login_required
def trash_page() -> ResponseReturnValue:
    page = trash.trashed(db.session, runtime.user(), 25, **_cursors())
    days = current_app.config["TRASH_DAYS"]
    return render_template("blog/trash.html", page=page, days=days, purge_time=trash.purge_time)


@bp.post("/posts/<int:post_id>/restore")
@login_required
def restore_post(post_id: int) -> ResponseReturnValue:
    post = trash.restore(db.session, runtime.user(), post_id)
    flash(f"“{post.title}” restored from the trash.", "success")
    return redirect(url_for("blog.edit", post_id=post.id))


@bp.get("/posts/<int:post_id>/revisions")
@login_required
def revisions(post_id: int) -> ResponseReturnValue:
    post, rows = history.revisions(db.session, runtime.user(), post_id, runtime.now())
    return render_template("blog/revisions.html", post=post, revisions=rows)


@bp.get("/posts/<int:post_id>/revisions/compare")
@login_required
def compare(post_id: int) -> ResponseReturnValue:
    first = inputs.whole_number(request.args.get("from", "")) or 0
    second = inputs.whole_number(request.args.get("to", "")) or 0
    post, old, new = history.compare(
        db.session, runtime.user(), post_id, first, second, runtime.now()
    )
    if old is None or new is None:
        flash("Choose two revisions to compare.", "error")
        return redirect(url_for("blog.revisions", post_id=post_id))
    fields = history.compare_fields(old, new)
    lines = history.diff_bodies(old.body_source, new.body_source)
    return render_template(
        "blog/compare.html", post=post, old=old, new=new, fields=fields, lines=lines
    )


@bp.post("/posts/<int:post_id>/revisions/<int:number>/restore")
@login_required
def restore(post_id: int, number: int) -> ResponseReturnValue:
    post = history.restore_revision(
        db.session, runtime.user(), post_id, number, runtime.now(), _body_limit()
    )
    flash(f"Revision {number} restored as the current version.", "success")
    return redirect(url_for("blog.show", slug=post.slug))


def _change_favourite(
    change: Callable[[DbSession, User | None, int, datetime | None], Post], post_id: int, done: str
) -> ResponseReturnValue:
    """Mark or unmark a post, then back to it."""

    def as_account(user: User) -> tuple[str, str]:
        post = change(db.session, user, post_id, runtime.now())
        return done, url_for("blog.show", slug=post.slug)

    back = urlsplit(request.referrer or "").path or None  # the log-in page checks it
    return buttons.pressed(
        as_account, log_in_first="Log in to keep your favourite posts.", back=back
    )


@bp.post("/posts/<int:post_id>/favourite")
def favourite(post_id: int) -> ResponseReturnValue:
    return _change_favourite(favourites.favourite, post_id, "Added to your favourites.")


@bp.post("/posts/<int:post_id>/unfavourite")
def unfavourite(post_id: int) -> ResponseReturnValue:
    return _change_favourite(favourites.unfavourite, post_id, "Removed from your favourites.")
