"""Admin pages: accounts (list, invite, roles, suspension, deletion), site settings."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.datastructures import FileStorage as Upload
from wtforms import SelectChoice

from inkstand import audit, runtime
from inkstand.accounts import administration, closing
from inkstand.accounts import services as accounts
from inkstand.admin import reading
from inkstand.admin.forms import (
    KEEP_NONE,
    ActionForm,
    AuditFilterForm,
    DeleteAccountForm,
    InviteForm,
    RoleForm,
    SiteSettingsForm,
)
from inkstand.blog.services import handover
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.media import services as media
from inkstand.pages import identity
from inkstand.pages import menu as site_menu
from inkstand.pages.forms import IdentityForm, MenuLinkForm, MenuMoveForm, MenuPageForm
from inkstand.pagination import Cursor
from inkstand.site import services as site
from inkstand.site.context import site_settings
from inkstand.templating import absolute_url

bp = Blueprint("admin", __name__)


@bp.get("/")
@login_required
def home() -> ResponseReturnValue:
    """Where the header's Admin link leads: every admin page, and what each is for."""
    accounts.require_admin(runtime.user())
    return render_template("admin/home.html")


@bp.get("/users")
@login_required
def users() -> ResponseReturnValue:
    search = request.args.get("q", "")
    page = administration.list_users(
        db.session, runtime.user(), search,
        before=Cursor.decode(request.args.get("before")),
        after=Cursor.decode(request.args.get("after")),
    )  # fmt: skip
    invitations = administration.list_invitations(
        db.session, runtime.user(), runtime.get().invite_links, runtime.now()
    )
    return render_template(
        "admin/users.html", page=page, search=search, form=RoleForm(), action=ActionForm(),
        invitations=invitations,
    )  # fmt: skip


@bp.post("/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(invitation_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    invitation = administration.revoke_invitation(db.session, runtime.user(), invitation_id)
    flash(
        f"The invitation to {invitation.email} is withdrawn: its link no longer works.", "success"
    )
    return redirect(url_for("admin.users"))


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


@bp.post("/users/<int:user_id>/suspend")
@login_required
def suspend(user_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    user = administration.suspend(db.session, runtime.user(), user_id, runtime.now())
    flash(f"{user.username} is suspended: logged out everywhere, and cannot log in.", "success")
    return redirect(url_for("admin.users", q=user.username))


@bp.post("/users/<int:user_id>/two-factor/reset")
@login_required
def reset_two_factor(user_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        user = administration.reset_two_factor(
            db.session, runtime.user(), user_id, runtime.get().mailer,
            site_title=site_settings().title,
        )  # fmt: skip
    except Invalid as error:
        flash(error.message, "error")
        return redirect(url_for("admin.users"))
    flash(f"Two-factor log-in is off for {user.username}, who has been told by mail.", "success")
    return redirect(url_for("admin.users", q=user.username))


@bp.post("/users/<int:user_id>/unsuspend")
@login_required
def unsuspend(user_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    user = administration.unsuspend(db.session, runtime.user(), user_id)
    flash(f"{user.username} may log in again.", "success")
    return redirect(url_for("admin.users", q=user.username))


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@login_required
def delete(user_id: int) -> ResponseReturnValue:
    """A confirmation page: what goes, and who (if anyone) takes the posts."""
    actor = runtime.user()
    user = administration.get_account(db.session, actor, user_id)
    form = DeleteAccountForm()
    form.heir.choices = [SelectChoice(KEEP_NONE, "Delete them with the account")] + [
        SelectChoice(str(h.id), f"Give them to {h.username} ({h.role})")
        for h in closing.heirs(db.session, user)
    ]
    if form.validate_on_submit():
        heir = int(form.heir.data) if form.heir.data else None
        files = media.files_of(db.session, user)  # those handed over stay
        try:
            name = closing.delete_account(
                db.session, actor, user_id, heir_id=heir, hand_over=handover.hand_over
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            media.remove_unowned(db.session, media_context.storage(), files)
            flash(f"The account {name} is deleted.", "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.errors else 200
    return render_template("admin/delete.html", form=form, account=user), status


@bp.route("/users/invite", methods=["GET", "POST"])
@login_required
def invite() -> ResponseReturnValue:
    actor = runtime.user()
    accounts.require_admin(actor)
    form = InviteForm()
    if form.validate_on_submit():
        mail = administration.InviteMail(
            mailer=runtime.get().mailer,
            site_title=site_settings().title,
            link_for=lambda token: absolute_url("accounts.accept_invitation", token=token),
        )
        try:
            administration.invite(
                db.session, actor, runtime.get().invite_links, form.email.data or "",
                form.role.data or "", mail,
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        else:
            flash(f"An invitation is on its way to {form.email.data}.", "success")
            return redirect(url_for("admin.users"))
    status = 422 if form.errors else 200
    return render_template("admin/invite.html", form=form), status


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
                footer=form.footer.data or "",
                subscriptions_open=bool(form.subscriptions_open.data),
                newsletter_content=form.newsletter_content.data,
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Settings saved.", "success")
            return redirect(url_for("admin.settings"))
    status = 422 if form.errors else 200
    return render_template("admin/settings.html", form=form), status


@bp.get("/menu")
@login_required
def menu() -> ResponseReturnValue:
    """The header's menu: its links in order, each with Up, Down and Remove buttons (no
    script needed), and forms that add a page or a link."""
    return _menu_page(MenuPageForm(), MenuLinkForm())


def _menu_page(
    page_form: MenuPageForm, link_form: MenuLinkForm, status: int = 200
) -> ResponseReturnValue:
    items = site_menu.items(db.session, runtime.user())
    page_form.page.choices = [SelectChoice(i, t) for i, t in site_menu.choices(db.session)]
    page = render_template("admin/menu.html", items=items, page_form=page_form, link_form=link_form)
    return page, status


@bp.post("/menu/pages")
@login_required
def menu_add_page() -> ResponseReturnValue:
    form = MenuPageForm()
    if form.validate_on_submit() and form.page.data:
        try:
            site_menu.add_page(
                db.session, runtime.user(), form.page.data, form.page_label.data or ""
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Page added to the menu.", "success")
            return redirect(url_for("admin.menu"))
    elif not form.errors:
        form.page.errors = ["Choose a page."]
    return _menu_page(form, MenuLinkForm(formdata=None), 422)


@bp.post("/menu/links")
@login_required
def menu_add_link() -> ResponseReturnValue:
    form = MenuLinkForm()
    if form.validate_on_submit():
        try:
            site_menu.add_link(
                db.session, runtime.user(), form.label.data or "", form.url.data or ""
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Link added to the menu.", "success")
            return redirect(url_for("admin.menu"))
    return _menu_page(MenuPageForm(formdata=None), form, 422)


def _menu_change(action: str) -> ResponseReturnValue:
    """A link's Up, Down or Remove button: the link's place in the menu."""
    form = MenuMoveForm()
    if not form.validate_on_submit() or form.index.data is None:
        abort(400)
    if action == "remove":
        site_menu.remove(db.session, runtime.user(), form.index.data)
        flash("Link removed from the menu.", "success")
    else:
        site_menu.move(db.session, runtime.user(), form.index.data, -1 if action == "up" else 1)
    return redirect(url_for("admin.menu"))


@bp.post("/menu/up")
@login_required
def menu_up() -> ResponseReturnValue:
    return _menu_change("up")


@bp.post("/menu/down")
@login_required
def menu_down() -> ResponseReturnValue:
    return _menu_change("down")


@bp.post("/menu/remove")
@login_required
def menu_remove() -> ResponseReturnValue:
    return _menu_change("remove")


@bp.route("/appearance", methods=["GET", "POST"])
@login_required
@media_context.takes_upload
def appearance() -> ResponseReturnValue:
    """The site's icon and logo, each from one uploaded image, or removed."""
    actor = runtime.user()
    current = site.editable(db.session, actor)
    form = IdentityForm()
    if form.validate_on_submit():
        which = request.form.get("action", "")
        try:
            if which in ("icon", "logo"):
                sent = form[which].data
                upload = sent if isinstance(sent, Upload) else None
                data = media_context.read(upload, media_context.limits().max_bytes)
                setter = identity.set_icon if which == "icon" else identity.set_logo
                setter(db.session, media_context.storage(), actor, data, media_context.limits())
                flash(f"The site's {which} is saved.", "success")
            else:
                identity.remove(db.session, actor, which.removeprefix("remove-"))
                flash("Removed.", "success")
        except Invalid as error:
            form.add_errors(error)
        else:
            return redirect(url_for("admin.appearance"))
    status = 422 if form.errors else 200
    return render_template("admin/appearance.html", form=form, current=current), status


@bp.get("/audit")
@login_required
def audit_log() -> ResponseReturnValue:
    """The audit log, read-only: entries newest first, filtered by a GET form."""
    actor = reading.require_reader(runtime.user())  # before the form says anything
    form = AuditFilterForm(request.args)
    page = None
    if form.validate():
        try:
            page = reading.entries(
                db.session, actor, form.to_query(),
                before=Cursor.decode(request.args.get("before")),
                after=Cursor.decode(request.args.get("after")),
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
    status = 200 if page is not None else 422
    filters = form.arguments() if page is not None else {}
    return render_template(
        "admin/audit.html", form=form, page=page, filters=filters,
        labels={a.value: a.label for a in audit.Action},
        doors={d.value: d.label for d in audit.Door},
    ), status  # fmt: skip
