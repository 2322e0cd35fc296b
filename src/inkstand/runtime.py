"""The collaborators views hand to services, built once per app.

Services never reach for Flask; views fetch what a service needs from here
(the password hasher, reset links, the mailer, the job queue, the logged-in
account and the clock) and pass it in. A feature above accounts keeps its own
collaborators (`comments.views.form_stamps`, `site.context.site_settings`), so
that this module, which every feature's views import, depends on no feature but
accounts, the lowest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask, current_app, g, request
from flask_login import current_user

from inkstand import audit, backends
from inkstand.accounts import services, sessions
from inkstand.accounts.models import User
from inkstand.accounts.passwords import AddressLinks, InviteLinks, Passwords, ResetLinks
from inkstand.db import utcnow
from inkstand.extensions import db, login_manager
from inkstand.jobs import Jobs
from inkstand.mail import Mailer


@dataclass(frozen=True)
class Runtime:
    passwords: Passwords
    reset_links: ResetLinks
    address_links: AddressLinks
    confirm_links: AddressLinks  # the link that confirms the address given at registration
    invite_links: InviteLinks
    mailer: Mailer
    jobs: Jobs


def init_app(app: Flask) -> None:
    cfg = app.config
    app.extensions["inkstand"] = Runtime(
        passwords=Passwords(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"]),
        reset_links=ResetLinks(cfg["SECRET_KEY"], cfg["PASSWORD_RESET_MAX_AGE"]),
        address_links=AddressLinks(cfg["SECRET_KEY"], cfg["EMAIL_CHANGE_MAX_AGE"]),
        confirm_links=AddressLinks(
            cfg["SECRET_KEY"], cfg["EMAIL_CONFIRM_MAX_AGE"], purpose="email-confirm"
        ),
        invite_links=InviteLinks(cfg["SECRET_KEY"], cfg["INVITATION_MAX_AGE"]),
        mailer=Mailer(
            sender=cfg["MAIL_FROM"],
            outbox=Path(app.instance_path) / "outbox",
            server=cfg["MAIL_SERVER"],
            port=cfg["MAIL_PORT"],
            username=cfg["MAIL_USERNAME"],
            password=cfg["MAIL_PASSWORD"],
            use_tls=cfg["MAIL_USE_TLS"],
        ),
        jobs=backends.get(app).job_queue(app),
    )
    login_manager.user_loader(_load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    app.before_request(_enter_door)
    app.teardown_request(_leave_door)


def door_of(path: str) -> audit.Door:
    """The door an audit entry names for a request path (errors.door's three doors)."""
    for prefix, door in ((API_V1_PREFIX, audit.Door.API_V1), (API_PREFIX, audit.Door.REALWORLD)):
        if path == prefix or path.startswith(prefix + "/"):
            return door
    return audit.Door.HTML


API_V1_PREFIX, API_PREFIX = "/api/v1", "/api"  # as api.v1.problems and api.realworld name them


def _enter_door() -> None:
    """Entries recorded during this request name its door and the client's address."""
    g.audit_origin = audit.enter(audit.Origin(door_of(request.path), request.remote_addr))


def _leave_door(_error: BaseException | None) -> None:
    if "audit_origin" in g:
        audit.leave(g.pop("audit_origin"))


def _load_user(key: str) -> User | None:
    """The account a session's key opens, unless that session has ended (see
    accounts/sessions.py: logged out, logged out everywhere, a new password) or the
    account is suspended (her open sessions end at once)."""
    user = sessions.account_for(db.session, key, now(), current_app.config["SESSION_MAX_AGE"])
    if user is None or not user.is_active:
        return None
    return user


def get() -> Runtime:
    runtime: Runtime = current_app.extensions["inkstand"]
    return runtime


def user() -> User | None:
    """The logged-in account, or None for a visitor."""
    if not current_user.is_authenticated:
        return None
    found: User = current_user._get_current_object()  # the account, not the proxy to it
    return found


def now() -> datetime:
    """The request's clock, fixed for the whole request."""
    found = g._get_current_object()  # the request's g: cheaper than two look-ups through g
    moment: datetime | None = found.get("now")
    if moment is None:
        moment = found.now = utcnow()
    return moment


def login_key(name: object) -> str:
    """Whom this request's log-in attempt is counted against (see
    ``accounts.services.login_key``), looked up once per request."""
    if "login_key" not in g:
        g.login_key = services.login_key(db.session, name)
    key: str = g.login_key
    return key
