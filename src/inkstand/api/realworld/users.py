"""Accounts and profiles: register, log in, the caller's own account, follow."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from inkstand import limits, runtime
from inkstand.accounts import services as accounts
from inkstand.accounts import twofactor
from inkstand.accounts.models import User
from inkstand.api.realworld import auth, parse, render
from inkstand.api.realworld.blueprint import bp
from inkstand.exceptions import Invalid, Unauthenticated
from inkstand.extensions import db
from inkstand.http import json_body
from inkstand.media import context as media
from inkstand.site.context import site_settings
from inkstand.templating import absolute_url


def _signed_in(user: User, status: int = 200) -> ResponseReturnValue:
    return jsonify(render.user(user, auth.tokens().issue(user, runtime.now()))), status


@bp.post("/users")
@limits.REGISTER()
def register() -> ResponseReturnValue:
    data = parse.strings(parse.member("user"), required=("username", "email", "password"))
    site = site_settings()
    user = accounts.register_at_once(
        db.session, runtime.get().passwords, data["username"], data["email"], data["password"],
        registration_open=site.registration_open, new_account_role=site.new_account_role,
        email_confirmation=site.email_confirmation, register_page=absolute_url("accounts.register"),
    )  # fmt: skip
    return _signed_in(user, 201)


def _login_email() -> str:
    try:
        data = json_body()
    except (HTTPException, Invalid):  # not JSON: no name to count, and the view refuses it
        data = None
    found = data.get("user") if isinstance(data, dict) else None
    return runtime.login_key(found.get("email") if isinstance(found, dict) else None)


@bp.post("/users/login")
@limits.LOGIN(name=_login_email)
def login() -> ResponseReturnValue:
    data = parse.strings(parse.member("user"), required=("email", "password"), optional=("code",))
    user = accounts.authenticate(
        db.session, runtime.get().passwords, data["email"], data["password"]
    )
    if user is None:
        raise Unauthenticated("The e-mail address or password is not right.")
    if user.two_factor:  # the password alone does not make a token for this account
        if not data.get("code"):
            raise Invalid.field("code", TWO_FACTOR_NEEDED)
        twofactor.check_code(db.session, user, data["code"], runtime.now())
    limits.KNOWN_LOGIN_ADDRESSES.remember(_login_email())
    return _signed_in(user)


TWO_FACTOR_NEEDED = (
    "This account logs in with two-factor codes: send the code from its authenticator app "
    "(or a recovery code) as user.code, or use a personal access token with the native API."
)


@bp.get("/user")
def current_user() -> ResponseReturnValue:
    return _signed_in(auth.required())


@bp.put("/user")
def update_user() -> ResponseReturnValue:
    user = auth.required()
    data = parse.strings(
        parse.member("user"), optional=("username", "email", "password", "bio", "image")
    )
    changes = accounts.AccountChanges(
        username=data.get("username"),
        email=data.get("email"),
        password=data.get("password"),
        bio=data.get("bio"),
        **_picture(user, data.get("image")),
    )
    # A new password ends the old token: the answer carries a new one.
    changed = accounts.update_account(
        db.session, runtime.get().passwords, user, changes,
        mailer=runtime.get().mailer, site_title=site_settings().title,
    )  # fmt: skip
    return _signed_in(changed)


def _picture(user: User, image: str | None) -> dict[str, Any]:
    """``image`` as the account's changes: the URL it was given (an uploaded avatar's
    too, which clients send back unchanged) keeps the picture; "" removes it, the
    uploaded avatar too; another URL replaces it (docs/api.md)."""
    if image is None or image == media.picture_url(user):
        return {}
    if not image.strip():
        return {"image_url": "", "remove_avatar": True}
    return {"image_url": image}


def _profile(user: User, viewer: User | None) -> ResponseReturnValue:
    following = bool(accounts.following_ids(db.session, viewer, [user.id]))
    return jsonify({"profile": render.profile(user, following)})


@bp.get("/profiles/<username>")
def profile(username: str) -> ResponseReturnValue:
    found = accounts.get_profile(db.session, auth.user(), username)
    return jsonify({"profile": render.profile(found.user, found.followed)})


@bp.post("/profiles/<username>/follow")
def follow(username: str) -> ResponseReturnValue:
    viewer = auth.required()
    return _profile(accounts.follow(db.session, viewer, username), viewer)


@bp.delete("/profiles/<username>/follow")
def unfollow(username: str) -> ResponseReturnValue:
    viewer = auth.required()
    return _profile(accounts.unfollow(db.session, viewer, username), viewer)
