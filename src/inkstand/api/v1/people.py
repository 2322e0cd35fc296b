"""Tags, profiles and the calling account through the native API."""

from __future__ import annotations

from typing import Any

from inkstand import runtime
from inkstand.accounts import services as accounts
from inkstand.accounts.models import ApiToken, User
from inkstand.api.v1 import auth, hooks
from inkstand.api.v1.schemas import MePatchSchema, MeSchema, TagListSchema, UserSchema
from inkstand.blog import counts
from inkstand.extensions import db
from inkstand.media.context import picture_url

tags_bp = hooks.ApiBlueprint("tags", __name__, url_prefix="/api/v1/tags", description="Tags.")
users_bp = hooks.ApiBlueprint(
    "users", __name__, url_prefix="/api/v1", description="People and you."
)


@tags_bp.route("", methods=["GET"])
@tags_bp.response(200, TagListSchema)
def tags() -> Any:
    """List the tags of published posts, by name, with their post counts"""
    rows = counts.public_tags(db.session, runtime.now())
    return {"tags": [{"name": name, "post_count": count} for name, count in rows]}


@users_bp.route("/users/<username>", methods=["GET"])
@users_bp.response(200, UserSchema)
def profile(username: str) -> Any:
    """Read a person's public profile"""
    return accounts.get_by_username(db.session, username)


def me_row(user: User, token: ApiToken) -> dict[str, Any]:
    """The calling account as MeSchema shows it."""
    return {
        **{name: getattr(user, name) for name in UserSchema().fields if name != "avatar_url"},
        "avatar_url": picture_url(user),
        "email": user.email,
        "role": user.role,
        "token": token,
    }


@users_bp.route("/me", methods=["GET"])
@users_bp.response(200, MeSchema)
def me() -> Any:
    """Read the account the token belongs to, and the token's scope"""
    return me_row(*auth.caller("Reading your account"))


@users_bp.route("/me", methods=["PATCH"])
@users_bp.arguments(MePatchSchema)
@users_bp.response(200, MeSchema)
def update_me(args: dict[str, Any]) -> Any:
    """Change your profile

    Username, display name, bio and picture, with a read-write token; fields left out
    keep their values. The rules and messages are the settings page's.
    """
    user, token = auth.caller("Changing your account")
    changes = accounts.AccountChanges(**args)
    return me_row(
        accounts.update_account(db.session, runtime.get().passwords, user, changes), token
    )
