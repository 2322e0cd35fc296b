"""The RealWorld blueprint: CORS and token-only authentication; its errors are
shown by inkstand.errors."""

from __future__ import annotations

from flask import Blueprint, Flask

from inkstand import cors
from inkstand.api.realworld.tokens import Tokens
from inkstand.extensions import csrf

PREFIX = "/api"
bp = Blueprint("realworld", __name__, url_prefix=PREFIX)
# Token authentication only: no cookie is read, so no request can be forged.
csrf.exempt(bp)
cors.REALWORLD_API.apply(bp)


def init_app(app: Flask) -> None:
    """Build the token issuer; the blueprint itself is registered by the factory."""
    app.extensions["inkstand.realworld"] = Tokens(
        app.config["SECRET_KEY"], app.config["REALWORLD_TOKEN_MAX_AGE"]
    )
