"""The RealWorld blueprint: CORS and token-only authentication; its errors are
shown by inkstand.errors."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, request

from inkstand.api.realworld.tokens import Tokens
from inkstand.extensions import csrf

bp = Blueprint("realworld", __name__, url_prefix="/api")
# Token authentication only: no cookie is read, so no request can be forged.
csrf.exempt(bp)

CORS_HEADERS = {
    # Any origin: the API reads no cookie, so another site's page gains nothing
    # it could not get by calling the API itself.
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Requested-With",
    "Access-Control-Max-Age": "86400",
}


def init_app(app: Flask) -> None:
    """Build the token issuer; the blueprint itself is registered by the factory."""
    app.extensions["inkstand.realworld"] = Tokens(
        app.config["SECRET_KEY"], app.config["REALWORLD_TOKEN_MAX_AGE"]
    )


@bp.after_request
def _cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    if request.method == "OPTIONS":
        response.headers.update(PREFLIGHT_HEADERS)
    return response
