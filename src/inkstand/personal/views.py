"""The page where a person downloads her own data."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from flask import Blueprint, Response, render_template, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import limits, runtime
from inkstand.accounts.models import User
from inkstand.extensions import db
from inkstand.forms import Form
from inkstand.personal import services

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
