"""The page where a person downloads her own data."""

from __future__ import annotations

import tempfile

from flask import Blueprint, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import limits, runtime
from inkstand.extensions import db
from inkstand.forms import Form
from inkstand.personal import services

bp = Blueprint("personal", __name__)


@bp.route("/settings/data", methods=["GET", "POST"])
@login_required
@limits.DATA_EXPORT(account=runtime.user)
def export() -> ResponseReturnValue:
    """GET explains; POST (a button, with its CSRF token) answers the zip, built in a
    temporary file that is gone once sent."""
    form = Form()
    if not form.validate_on_submit():
        return render_template("personal/export.html", form=form)
    user = runtime.user()
    assert user is not None
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it when sent
    try:
        services.export(db.session, user, spool, runtime.now())
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    name = f"{user.username}-{runtime.now():%Y-%m-%d}.zip"
    response = send_file(spool, mimetype="application/zip", as_attachment=True,
                         download_name=name)  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response
