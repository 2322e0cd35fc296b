"""Your own data: download it, or delete your account with it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    session,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required, logout_user

from inkstand import limits, runtime
from inkstand.accounts import closing, identity
from inkstand.accounts.models import User
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.forms import Form
from inkstand.media import context as media_context
from inkstand.media import services as media
from inkstand.personal import services
from inkstand.personal.forms import DeleteAccountForm

bp = Blueprint("personal", __name__)

CHUNK = 64 * 1024


def _zip(user: User) -> Iterator[bytes]:
    """The zip, built into a temporary file once the answer is being sent, then read
    out of it in chunks; the file is gone when the answer ends (or is dropped)."""
    with tempfile.TemporaryFile() as spool:
        services.export(db.session, user, spool, runtime.now())
        spool.seek(0)
        while chunk := spool.read(CHUNK):
            yield chunk


@bp.route("/settings/data", methods=["GET", "POST"])
@login_required
@limits.DATA_EXPORT(account=runtime.user)
def export() -> ResponseReturnValue:
    """GET explains; POST (a button, with its CSRF token) answers the zip."""
    form = Form()
    if not form.validate_on_submit():
        return render_template("personal/export.html", form=form)
    user = runtime.user()
    assert user is not None
    name = f"{user.username}-{runtime.now():%Y-%m-%d}.zip"  # a username is [A-Za-z0-9_-]
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "Cache-Control": "no-store"}  # fmt: skip
    return Response(stream_with_context(_zip(user)), mimetype="application/zip", headers=headers)


def _own_login_name() -> str | None:
    user = runtime.user()
    return user.username if user is not None else None


@bp.route("/settings/delete", methods=["GET", "POST"])
@login_required
@limits.LOGIN(name=_own_login_name)  # a wrong password spends the log-in budget
def delete_account() -> ResponseReturnValue:
    """A confirmation page: the password (the "confirm it's you" step) and a box. Her
    images' files go too, unless another account holds the same image."""
    user = runtime.user()
    assert user is not None
    form = DeleteAccountForm()
    if form.validate_on_submit():
        proof = identity.Proof(password=form.current_password.data or "", code=form.code.data or "")
        files = media.files_of(db.session, user)
        try:
            closing.delete_own_account(
                db.session, runtime.get().passwords, user, proof, runtime.now()
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            media.remove_unowned(db.session, media_context.storage(), files)
            logout_user()
            session.clear()
            flash("Your account is deleted. Thank you for writing here.", "info")
            return redirect(url_for("blog.index"))
    status = 422 if form.errors else 200
    return render_template("personal/delete.html", form=form), status
