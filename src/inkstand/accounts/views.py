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
from markupsafe import Markup

from inkstand import buttons, limits, runtime
from inkstand.accounts import administration, permissions, services, sessions, tokens, twofactor
from inkstand.accounts.forms import (
    AcceptInvitationForm,
    ChangeEmailForm,
    ChangePasswordForm,
    CodeForm,
    ConfirmEmailForm,
    DisableTwoFactorForm,
    EnrolForm,
    ForgotPasswordForm,
    LoginForm,
    LogoutEverywhereForm,
    ProfileForm,
    RegenerateCodesForm,
    RegisterForm,
    ResetPasswordForm,
    TokenForm,
)
from inkstand.accounts.models import DELETED_ACCOUNT, EmailConfirmation, Role, User
from inkstand.db import DbSession
from inkstand.exceptions import Forbidden, Invalid
from inkstand.extensions import db
from inkstand.forms import Form
from inkstand.site.context import site_settings
from inkstand.templating import absolute_url

bp = Blueprint("accounts", __name__)
bp.add_app_template_global(permissions.can_administer, "can_administer")
bp.add_app_template_global(permissions.can_follow, "can_follow")
# A global, not a context value: the comment macros are imported without context.
bp.record_once(lambda state: state.app.jinja_env.globals.update(deleted_account=DELETED_ACCOUNT))


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
    """Log in on a fresh session: nothing from before (a CSRF secret) carries over.
    The session, and the remember-me cookie, carry a key of their own, which the
    server can end (accounts/sessions.py)."""
    session.clear()
    login_user(user, remember=remember)
    session["_user_id"] = sessions.begin(user, runtime.now())


def _end_session() -> None:
    """End this browser's session on the server too: a copy of its cookies opens nothing."""
    key = session.get("_user_id")
    if key is not None:
        sessions.end(db.session, key, runtime.now(), current_app.config["SESSION_MAX_AGE"])
    logout_user()
    session.clear()


@bp.route("/register", methods=["GET", "POST"])
@limits.REGISTER()
def register() -> ResponseReturnValue:
    form = RegisterForm()
    site = site_settings()
    if form.validate_on_submit():
        confirm = site.email_confirmation == EmailConfirmation.REQUIRED
        try:
            user = _register(form, confirm=confirm)
        except Invalid as error:
            form.add_errors(error)
        else:
            if user is None or (confirm and not user.email_confirmed):
                # The same answer for a new address and one that has an account.
                return redirect(url_for("accounts.registered"))
            _start_session(user)
            flash(f"Welcome to {site.title}, {user.username}.", "success")
            return redirect(url_for("blog.index"))
    status = 422 if form.errors else 200
    return render_template("accounts/register.html", form=form), status


def _register(form: RegisterForm, *, confirm: bool) -> User | None:
    """The new account; None when the address has one (only said where addresses are
    confirmed, and then only to its owner, by mail)."""
    site, passwords = site_settings(), runtime.get().passwords
    username, email = form.username.data or "", form.email.data or ""
    password, role = form.password.data or "", site.new_account_role
    if not confirm:
        return services.register(
            db.session, passwords, username, email, password,
            registration_open=site.registration_open, new_account_role=role,
        )  # fmt: skip
    return services.sign_up(
        db.session, passwords, runtime.get().confirm_links, username, email, password,
        registration_open=site.registration_open, new_account_role=role, mail=_confirm_mail(),
    )  # fmt: skip


def _confirm_mail() -> services.AddressMail:
    return services.AddressMail(
        mailer=runtime.get().mailer,
        site_title=site_settings().title,
        link_for=lambda token: absolute_url("accounts.confirm_address", token=token),
        login_url=absolute_url("accounts.login"),
        reset_url=absolute_url("accounts.forgot_password"),
    )


@bp.get("/register/sent")
def registered() -> ResponseReturnValue:
    return render_template("accounts/registered.html")


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_address(token: str) -> ResponseReturnValue:
    """Opening the link shows a button; only pressing it confirms the address."""
    form = ConfirmEmailForm()
    links = runtime.get().confirm_links
    try:
        user = services.pending_confirmation(db.session, links, token)
        if form.validate_on_submit():
            services.confirm_address(db.session, links, token, runtime.now())
            flash("Your address is confirmed: you can comment now.", "success")
            return redirect(url_for("blog.index" if runtime.user() else "accounts.login"))
    except Invalid as error:
        problem = error.errors["token"][0]
        return render_template("accounts/confirm_invalid.html", problem=problem), 400
    return render_template("accounts/confirm.html", form=form, account=user)


@bp.post("/confirm/resend")
@login_required
@limits.CONFIRMATION_MAIL(account=runtime.user)  # each one mails the account's address
def resend_confirmation() -> ResponseReturnValue:
    user = runtime.user()
    assert user is not None
    form = ConfirmEmailForm()
    if form.validate_on_submit():
        try:
            services.send_confirmation(
                db.session, runtime.get().confirm_links, user, _confirm_mail()
            )
        except Invalid as error:
            flash(error.message, "info")
        else:
            flash(f"A new link is on its way to {user.email}. Older links no longer work.", "info")
    return redirect(_safe_next() if request.args.get("next") else url_for("accounts.settings"))


def _login_name() -> str:
    return runtime.login_key(request.form.get("login"))


@bp.route("/login", methods=["GET", "POST"])
@limits.LOGIN(name=_login_name)
def login() -> ResponseReturnValue:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                db.session, runtime.get().passwords, form.login.data or "",
                form.password.data or "",
            )  # fmt: skip
        except Forbidden as error:  # suspended
            form.form_errors.append(error.message)
            status = 403
        else:
            if user is not None and user.two_factor:
                _await_code(user, remember=bool(form.remember.data))
                return redirect(url_for("accounts.login_code"))
            if user is not None:
                limits.KNOWN_LOGIN_ADDRESSES.remember(_login_name())
                _start_session(user, remember=bool(form.remember.data))
                return redirect(_safe_next())
            form.form_errors.append("That username or e-mail and password do not match.")
    status = status if status != 200 else 422 if form.errors else 200
    return render_template("accounts/login.html", form=form), status


AWAITING = "awaiting_code"  # the session's key while a log-in waits for its code


def _await_code(user: User, *, remember: bool) -> None:
    """The password was right; the session is not logged in until the code is, and
    waits for it TWO_FACTOR_LOGIN_SECONDS at most."""
    session.clear()
    until = runtime.now().timestamp() + current_app.config["TWO_FACTOR_LOGIN_SECONDS"]
    session[AWAITING] = {
        "uid": user.id, "fp": user.password_fingerprint, "until": until,
        "remember": remember, "next": _safe_next(), "login": _login_name(),
    }  # fmt: skip


class _Awaiting:
    def __init__(self, user_id: int) -> None:
        self.id = user_id


def _awaiting_account() -> _Awaiting | None:
    """The account a log-in waiting for its code is for (its code budget), or None."""
    waiting = session.get(AWAITING)
    return _Awaiting(int(waiting["uid"])) if isinstance(waiting, dict) else None


def _awaited_user() -> User | None:
    """The account the waiting log-in is for, while it may still finish."""
    waiting = session.get(AWAITING)
    if not isinstance(waiting, dict) or runtime.now().timestamp() > waiting.get("until", 0):
        return None
    user = db.session.get(User, int(waiting["uid"]))
    if user is None or user.password_fingerprint != waiting.get("fp") or not user.two_factor:
        return None
    return user


@bp.route("/login/code", methods=["GET", "POST"])
@limits.TWO_FACTOR(account=_awaiting_account)
def login_code() -> ResponseReturnValue:
    """The second step of a log-in with two-factor: the code from the app."""
    user = _awaited_user()
    if user is None:
        session.pop(AWAITING, None)
        flash("Log in again: the time to type your code ran out.", "info")
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            twofactor.check_code(db.session, user, form.code.data or "", runtime.now())
        except Invalid as error:
            form.add_errors(error)
        else:
            waiting = session[AWAITING]
            if waiting.get("login"):
                limits.KNOWN_LOGIN_ADDRESSES.remember(waiting["login"])
            _start_session(user, remember=bool(waiting.get("remember")))
            return redirect(waiting.get("next") or url_for("blog.index"))
    status = 422 if form.errors else 200
    return render_template("accounts/login_code.html", form=form), status


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    _end_session()
    flash("You are logged out.", "info")
    return redirect(url_for("blog.index"))


@bp.post("/settings/logout-everywhere")
@login_required
def logout_everywhere() -> ResponseReturnValue:
    """End every session of the account, this one too, and every RealWorld token;
    its API tokens only when asked."""
    user = runtime.user()
    assert user is not None
    form = LogoutEverywhereForm()
    if not form.validate_on_submit():
        return redirect(url_for("accounts.settings"))
    revoked = sessions.end_everywhere(
        db.session, user, revoke_tokens=bool(form.revoke_tokens.data), now=runtime.now()
    )
    _end_session()
    tokens_too = " Your API tokens are revoked too." if revoked else ""
    flash(f"You are logged out everywhere: every browser and app must log in again.{tokens_too}",
          "info")  # fmt: skip
    return redirect(url_for("accounts.login"))


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
            may_mail=lambda user: limits.PASSWORD_RESET_MAIL.allows(services.account_key(user.id)),
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


def _own_login_name() -> str:
    user = runtime.user()
    return services.account_key(user.id) if user is not None else ""


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
    return render_template("accounts/email_confirm.html", form=form, account=user, email=email)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limits.REGISTER()
def accept_invitation(token: str) -> ResponseReturnValue:
    """An invited person chooses her username and password; the account is made with
    the invitation's address and role, and she is logged in."""
    form = AcceptInvitationForm()
    links = runtime.get().invite_links
    try:
        invitation = administration.pending_invitation(db.session, links, token)
        if form.validate_on_submit():
            user = administration.accept_invitation(
                db.session, runtime.get().passwords, links, token,
                form.username.data or "", form.password.data or "",
            )  # fmt: skip
            _start_session(user)
            flash(f"Welcome to {site_settings().title}, {user.username}.", "success")
            return redirect(url_for("blog.index"))
    except Invalid as error:
        if "token" in error.errors:
            problem = error.errors["token"][0]
            return render_template("accounts/invitation_invalid.html", problem=problem), 400
        form.add_errors(error)
    status = 422 if form.errors else 200
    return render_template("accounts/invitation.html", form=form, invitation=invitation), status


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
    return render_template(
        "accounts/settings.html", form=form, everywhere=LogoutEverywhereForm(formdata=None)
    ), status


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


_ENROLLING = "two_factor_secret"  # the session's key for a secret being set up


@bp.route("/settings/two-factor", methods=["GET", "POST"])
@login_required
@limits.TWO_FACTOR(account=runtime.user)
def two_factor() -> ResponseReturnValue:
    """Set up two-factor log-in: a QR code and the typed secret, confirmed with a code;
    then the recovery codes, shown once. With it on: how to turn it off."""
    user = runtime.user()
    assert user is not None
    if user.two_factor:
        return _two_factor_on(user, DisableTwoFactorForm(), RegenerateCodesForm(prefix="new"))
    secret = session.get(_ENROLLING) or twofactor.new_secret()
    session[_ENROLLING] = secret
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.enable(db.session, user, secret, form.code.data or "", runtime.now())
        except Invalid as error:
            form.add_errors(error)
        else:
            session.pop(_ENROLLING, None)
            page = render_template("accounts/recovery_codes.html", codes=codes)
            return page, 200, {"Cache-Control": "no-store"}  # shown once: no cache keeps them
    uri = twofactor.provisioning_uri(secret, user.username, site_settings().title)
    page = render_template(
        "accounts/two_factor.html", form=form, secret=twofactor.grouped(secret),
        qr=Markup(twofactor.qr_svg(uri)),  # noqa: S704 (segno's SVG of our own address)
    )  # fmt: skip
    return page, 422 if form.errors else 200, {"Cache-Control": "no-store"}


@bp.post("/settings/two-factor/disable")
@login_required
@limits.TWO_FACTOR(account=runtime.user)
def disable_two_factor() -> ResponseReturnValue:
    user = runtime.user()
    assert user is not None
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        try:
            twofactor.disable(
                db.session, runtime.get().passwords, user, form.current_password.data or "",
                form.code.data or "", runtime.now(),
                required_for_staff=site_settings().two_factor_for_staff,
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        else:
            flash("Two-factor log-in is off: a log-in asks only for your password.", "success")
            return redirect(url_for("accounts.settings"))
    return _two_factor_on(user, form, RegenerateCodesForm(prefix="new")), 422


@bp.post("/settings/two-factor/recovery-codes")
@login_required
@limits.TWO_FACTOR(account=runtime.user)
def regenerate_recovery_codes() -> ResponseReturnValue:
    """New recovery codes, shown once; the old ones stop working."""
    user = runtime.user()
    assert user is not None
    if not user.two_factor:
        return redirect(url_for("accounts.two_factor"))
    form = RegenerateCodesForm(prefix="new")
    if form.validate_on_submit():
        try:
            codes = twofactor.regenerate(
                db.session, runtime.get().passwords, user, form.current_password.data or "",
                form.code.data or "", runtime.now(),
            )  # fmt: skip
        except Invalid as error:
            form.add_errors(error)
        else:
            page = render_template("accounts/recovery_codes.html", codes=codes, renewed=True)
            return page, 200, {"Cache-Control": "no-store"}  # shown once: no cache keeps them
    return _two_factor_on(user, DisableTwoFactorForm(), form), 422


def _two_factor_on(user: User, form: Form, renew: Form) -> str:
    left = twofactor.recovery_codes_left(db.session, user)
    return render_template("accounts/two_factor_on.html", form=form, renew=renew, left=left)


# Where an admin or editor who must set up two-factor log-in may still go meanwhile.
_WHILE_ENROLLING = {
    "accounts.two_factor", "accounts.logout", "accounts.confirm_address",
    "accounts.resend_confirmation", "static",
}  # fmt: skip


@bp.before_app_request
def _enrol_first() -> ResponseReturnValue | None:
    """Send an admin or editor without two-factor log-in to set it up, where the site
    requires it of them, before anything else."""
    if request.endpoint in _WHILE_ENROLLING or request.path.startswith("/api"):
        return None
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if "_user_id" not in session and remembered not in request.cookies:
        return None  # a visitor: no account to load
    user = runtime.user()
    if user is None or not user.has_role(Role.EDITOR) or user.two_factor:
        return None
    if not permissions.must_enrol(user, site_settings().two_factor_for_staff):
        return None
    flash("This site asks admins and editors to log in with a code: set it up first.", "info")
    return redirect(url_for("accounts.two_factor"))
