"""Admin pages: accounts and roles, site settings."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from inkstand import runtime
from inkstand.accounts import services as accounts
from inkstand.admin.forms import RoleForm, SiteSettingsForm
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.site import services as site

bp = Blueprint("admin", __name__)


@bp.get("/users")
@login_required
def users() -> ResponseReturnValue:
    rows = accounts.list_users(db.session, runtime.user())
    return render_template("admin/users.html", users=rows, form=RoleForm())


@bp.post("/users/<int:user_id>/role")
@login_required
def change_role(user_id: int) -> ResponseReturnValue:
    form = RoleForm()
    if form.validate_on_submit():
        try:
            user = accounts.change_role(db.session, runtime.user(), user_id, form.role.data or "")
        except Invalid as error:
            flash(error.message, "error")
        else:
            flash(f"{user.username} is now {user.role}.", "success")
    else:
        flash("Choose a role from the list.", "error")
    return redirect(url_for("admin.users"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    actor = runtime.user()
    form = SiteSettingsForm(data=asdict(site.editable(db.session, actor)))
    if form.validate_on_submit():
        try:
            site.update(
                db.session,
                actor,
                title=form.title.data or "",
                description=form.description.data or "",
                posts_per_page=form.posts_per_page.data,
                registration_open=bool(form.registration_open.data),
                new_account_role=form.new_account_role.data,
                comment_policy=form.comment_policy.data,
                search_language=form.search_language.data,
                email_confirmation=form.email_confirmation.data,
                two_factor_for_staff=bool(form.two_factor_for_staff.data),
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Settings saved.", "success")
            return redirect(url_for("admin.settings"))
    status = 422 if form.errors else 200
    return render_template("admin/settings.html", form=form), status
