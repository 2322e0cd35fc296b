"""Subscription pages: the subscribe form, the confirm and unsubscribe links, and the
admin's page of subscribers (list, growth, export, import, removal)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import limits, runtime
from inkstand.accounts.models import User
from inkstand.accounts.services import require_admin
from inkstand.exceptions import Invalid
from inkstand.extensions import csrf, db
from inkstand.forms import Form
from inkstand.pagination import Cursor
from inkstand.site.context import site_settings
from inkstand.subscriptions import administration, services
from inkstand.subscriptions.forms import ImportForm, SubscribeForm
from inkstand.subscriptions.jobs import confirm_mail, links

bp = Blueprint("subscriptions", __name__)
ADMIN_ENDPOINTS = {"subscriptions.admin", "subscriptions.export", "subscriptions.remove",
                   "subscriptions.reconfirm", "subscriptions.import_list"}  # fmt: skip


@bp.before_request
def open_only() -> None:
    """Off, the public pages are not there (the admin's list stays, to export it)."""
    if request.endpoint not in ADMIN_ENDPOINTS and not site_settings().subscriptions_open:
        abort(404)


def _author(username: str) -> User | None:
    return services.writer(db.session, username) if username else None


@bp.route("/subscribe", methods=["GET", "POST"])
@limits.SUBSCRIBE()
def subscribe() -> ResponseReturnValue:
    """The form (a page's footer form sends its address here by GET, as a cached page
    carries no CSRF token); sent, the same answer whatever the address's state."""
    form = SubscribeForm(data=request.args if request.method == "GET" else None)
    author = _author(form.author.data or "")
    if form.validate_on_submit():
        try:
            services.subscribe(db.session, links(), form.email.data or "", author, confirm_mail())
        except Invalid as error:
            form.add_errors(error)
        else:
            return redirect(url_for("subscriptions.sent"))
    status = 422 if form.errors else 200
    return render_template("subscriptions/subscribe.html", form=form, author=author), status


@bp.get("/subscribe/sent")
def sent() -> ResponseReturnValue:
    return render_template("subscriptions/sent.html")


@bp.route("/subscriptions/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str) -> ResponseReturnValue:
    """GET shows a button (mail scanners open links); pressing it confirms."""
    form = Form()
    try:
        if form.validate_on_submit():
            subscriber = services.confirm(db.session, links(), token, runtime.now())
            return render_template("subscriptions/confirmed.html", subscriber=subscriber)
        subscriber = services.pending(db.session, links(), token)
    except Invalid as error:
        page = render_template("subscriptions/link_invalid.html", message=error.message)
        return page, 400
    return render_template("subscriptions/confirm.html", form=form, subscriber=subscriber)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client's POST carries no token; the signed link is proof
def unsubscribe(token: str) -> ResponseReturnValue:
    """GET shows a button; a POST (the button, or a mail client's one-click) unsubscribes."""
    try:
        if request.method == "POST":
            services.unsubscribe(db.session, links(), token)
            return render_template("subscriptions/unsubscribed.html")
        subscriber = services.leaving(db.session, links(), token)
    except Invalid as error:
        page = render_template("subscriptions/link_invalid.html", message=error.message)
        return page, 400
    if subscriber is None:
        return render_template("subscriptions/unsubscribed.html")
    return render_template("subscriptions/unsubscribe.html", subscriber=subscriber)


@bp.get("/admin/subscribers")
@login_required
def admin() -> ResponseReturnValue:
    actor, search = runtime.user(), request.args.get("q", "")
    summary = administration.overview(db.session, actor, runtime.now())
    page = administration.list_subscribers(
        db.session, actor, search, before=Cursor.decode(request.args.get("before")),
        after=Cursor.decode(request.args.get("after")),
    )  # fmt: skip
    authors = administration.authors_of(db.session, page.items)
    return render_template(
        "subscriptions/admin.html", summary=summary, page=page, search=search, authors=authors,
        import_form=ImportForm(),
    )  # fmt: skip


@bp.get("/admin/subscribers.csv")
@login_required
def export() -> ResponseReturnValue:
    body = administration.export_csv(db.session, runtime.user())
    headers = {"Content-Disposition": 'attachment; filename="subscribers.csv"',
               "Cache-Control": "no-store"}  # fmt: skip
    return Response(body, mimetype="text/csv", headers=headers)


@bp.post("/admin/subscribers/<int:subscriber_id>/remove")
@login_required
def remove(subscriber_id: int) -> ResponseReturnValue:
    if not Form().validate_on_submit():
        abort(400)
    subscriber = administration.remove(db.session, runtime.user(), subscriber_id)
    flash(f"{subscriber.email} is removed: nothing more is mailed to it.", "success")
    return redirect(url_for("subscriptions.admin"))


@bp.post("/admin/subscribers/<int:subscriber_id>/reconfirm")
@login_required
def reconfirm(subscriber_id: int) -> ResponseReturnValue:
    if not Form().validate_on_submit():
        abort(400)
    try:
        subscriber = administration.ask_to_confirm(
            db.session, runtime.user(), links(), subscriber_id, confirm_mail(), runtime.now()
        )
    except Invalid as error:
        flash(error.message, "error")
    else:
        flash(f"{subscriber.email} is asked to confirm; nothing is mailed to it until then.",
              "success")  # fmt: skip
    return redirect(url_for("subscriptions.admin"))


@bp.route("/admin/subscribers/import", methods=["GET", "POST"])
@login_required
def import_list() -> ResponseReturnValue:
    actor = runtime.user()
    require_admin(actor)  # before the file is read
    form, report = ImportForm(), None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            data = upload.read(administration.IMPORT_BYTES_MAX + 1)
        finally:
            upload.close()  # at once: a large one is a temporary file
        try:
            report = administration.import_csv(db.session, actor, data, runtime.now())
        except Invalid as error:
            form.add_errors(error)
    status = 422 if form.errors else 200
    return render_template("subscriptions/import.html", form=form, report=report), status
