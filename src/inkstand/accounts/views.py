"""Account pages: register, log in and out, reset a password, edit a profile, follow."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_required, login_user, logout_user

from inkstand import buttons, limits, runtime
from inkstand.accounts import permissions, services, tokens
from inkstand.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmEmailForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    TokenForm,
)
from inkstand.accounts.models import User
from inkstand.db import DbSession
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.site.context import site_settings
from inkstand.templating import absolute_url

bp = Blueprint("accounts", __name__)
bp.add_app_template_global(permissions.can_administer, "can_administer")
bp.add_app_template_global(permissions.can_follow, "can_follow")


def _safe_next() -> str:
    """Where to go after logging in: only a path on this site.

    Control characters and backslashes are refused outright: browsers drop or
    rewrite them, which can turn "/\t/evil.example" into "//evil.example".
    """
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if (
        target.startswith("/")
        and not parts.scheme
        and not parts.netloc
        and not target.startswith("//")
        and not any(ord(c) < 0x21 or c in "\\\x7f" for c in target)
    ):
        return target
    return url_for("blog.index")


def _start_session(user: User, remember: bool = False) -> None:
    """Log in on a fresh session: nothing from before (a CSRF secret) carries over."""
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limits.REGISTER()
def register() -> ResponseReturnValue:
    form = RegisterForm()
    site = site_settings()
    if form.validate_on_submit():
        try:
            user = services.register(
                db.session,
                runtime.get().passwords,
                form.username.data or "",
                form.email.data or "",
                form.password.data or "",
                registration_open=site.registration_open,
                new_account_role=site.new_account_role,
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            _start_session(user)
            flash(f"Welcome to {site.title}, {user.username}.", "success")
            return redirect(url_for("blog.index"))
    status = 422 if form.errors else 200
    return render_template("accounts/register.html", form=form), status


def _login_name() -> str | None:
    return request.form.get("login")


@bp.route("/login", methods=["GET", "POST"])
@limits.LOGIN(name=_login_name)
def login() -> ResponseReturnValue:
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(
            db.session, runtime.get().passwords, form.login.data or "", form.password.data or ""
        )
        if user is not None:
            _start_session(user, remember=bool(form.remember.data))
            return redirect(_safe_next())
        form.form_errors.append("That username or e-mail and password do not match.")
    status = 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("blog.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limits.PASSWORD_RESET()
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(
            db.session,
            runtime.get().reset_links,
            runtime.get().mailer,
            form.email.data or "",
            lambda token: absolute_url("accounts.reset_password", token=token),
        )
        flash(
            "If an account uses that address, a link to reset its password is on its way.",
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    form = ResetPasswordForm()
    links = runtime.get().reset_links
    try:
        services.user_for_reset(db.session, links, token)
        if form.validate_on_submit():
            services.reset_password(
                db.session, runtime.get().passwords, links, token, _new_password(form)
            )
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("accounts.login"))
    except Invalid as error:
        if "token" in error.errors:
            return render_template("accounts/reset_invalid.html"), 400
        form.add_errors(error)
    status = 422 if form.errors else 200
    return render_template("accounts/reset.html", form=form), status


def _new_password(form: ResetPasswordForm | ChangePasswordForm) -> services.NewPassword:
    return services.NewPassword(
        password=form.password.data or "",
        revoke_tokens=bool(form.revoke_tokens.data),
        mailer=runtime.get().mailer,
        site_title=site_settings().title,
        now=runtime.now(),
    )


def _own_login_name() -> str | None:
    user = runtime.user()
    return user.username if user is not None else None


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
@limits.LOGIN(name=_own_login_name)  # a wrong current password spends the log-in budget
def change_password() -> ResponseReturnValue:
    user = runtime.user()
    assert user is not None
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                db.session,
                runtime.get().passwords,
                user,
                form.current_password.data or "",
                _new_password(form),
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            # The new password ended every session, this one too: it starts afresh.
            remembered = (
                current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            )
            _start_session(user, remember=remembered)
            flash("Your password is changed. Every other session is logged out.", "success")
            return redirect(url_for("accounts.settings"))
    status = 422 if form.errors else 200
    return render_template("accounts/password.html", form=form), status


def _address_mail() -> services.AddressMail:
    return services.AddressMail(
        mailer=runtime.get().mailer,
        site_title=site_settings().title,
        link_for=lambda token: absolute_url("accounts.confirm_email", token=token),
    )


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
@limits.LOGIN(name=_own_login_name)  # a wrong current password spends the log-in budget
@limits.ADDRESS_CHANGE(account=runtime.user)  # each request mails a stranger's address
def change_email() -> ResponseReturnValue:
    user = runtime.user()
    assert user is not None
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(
                db.session,
                runtime.get().passwords,
                runtime.get().address_links,
                user,
                form.current_password.data or "",
                form.email.data or "",
                _address_mail(),
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            flash(
                "A link is on its way to the new address: open it there to make the change.",
                "info",
            )
            return redirect(url_for("accounts.settings"))
    status = 422 if form.errors else 200
    return render_template("accounts/email.html", form=form, current=user.email), status


@bp.route("/settings/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str) -> ResponseReturnValue:
    """Opening the link shows a button; only pressing it changes the address."""
    form = ConfirmEmailForm()
    links = runtime.get().address_links
    try:
        user, email = services.pending_email_change(db.session, links, token)
        if form.validate_on_submit():
            services.confirm_email_change(db.session, links, token, _address_mail())
            flash(f"Your account now uses {email}.", "success")
            return redirect(url_for("accounts.settings" if runtime.user() else "accounts.login"))
    except Invalid as error:
        problem = error.errors["token"][0]
        return render_template("accounts/email_invalid.html", problem=problem), 400
    return render_template("accounts/email_confirm.html", form=form, user=user, email=email)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    user = runtime.user()
    assert user is not None
    form = ProfileForm(obj=user)
    if form.validate_on_submit():
        try:
            changes = services.AccountChanges(
                username=form.username.data or "",
                display_name=form.display_name.data or "",
                bio=form.bio.data or "",
                notify_comments=bool(form.notify_comments.data),
                time_zone=form.time_zone.data,
            )
            services.update_account(db.session, runtime.get().passwords, user, changes)
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.settings"))
    status = 422 if form.errors else 200
    return render_template("accounts/settings.html", form=form), status


def _change_follow(
    change: Callable[[DbSession, User | None, str], User], username: str, done: str
) -> ResponseReturnValue:
    """Follow or unfollow, then back to her page."""
    back = url_for("blog.author", username=username)

    def as_account(user: User) -> tuple[str, str]:
        author = change(db.session, user, username)
        return done.format(name=author.name), back

    return buttons.pressed(as_account, log_in_first="Log in to follow authors.", back=back)


@bp.post("/authors/<username>/follow")
def follow(username: str) -> ResponseReturnValue:
    return _change_follow(services.follow, username, "You now follow {name}.")


@bp.post("/authors/<username>/unfollow")
def unfollow(username: str) -> ResponseReturnValue:
    return _change_follow(services.unfollow, username, "You no longer follow {name}.")


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def api_tokens() -> ResponseReturnValue:
    """List the account's API tokens; a new one is shown on this page once, never again."""
    user = runtime.user()
    assert user is not None
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            token, plaintext = tokens.create(
                db.session, user, form.name.data or "", form.scope.data or "", runtime.now()
            )
        except Invalid as error:
            form.add_errors(error)
        else:
            created = (token, plaintext)
            form = TokenForm(formdata=None)
    status = 422 if form.errors else 200
    page = render_template(
        "accounts/tokens.html",
        form=form,
        created=created,
        tokens=tokens.for_owner(db.session, user),
    )
    # The page may hold a secret shown once: no cache may keep it.
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    token = tokens.revoke(db.session, runtime.user(), token_id, runtime.now())
    flash(f"The token “{token.name}” is revoked: it no longer opens the API.", "success")
    return redirect(url_for("accounts.api_tokens"))
