"""The native REST API under /api/v1, described by OpenAPI, built with flask-smorest.

flask-smorest rather than APIFlask: Inkstand is a plain Flask app serving HTML
pages. APIFlask's OpenAPI document and docs are methods of its own app class (the
whole app would become an APIFlask, whose JSON errors and spec cover every route),
while flask-smorest is an extension over a plain Flask app whose document holds
exactly the blueprints registered through it: /api/v1, not the HTML site, not
the RealWorld API. See docs/api.md.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from inkstand.api.v1 import (
    comments,
    docs,
    media,
    pages,
    people,
    posts,
    problems,
    search,
    stats,
    subscriptions,
)
from inkstand.api.v1.schemas import ProblemSchema

SECURITY_SCHEME = {"type": "http", "scheme": "bearer", "description": "A personal access token."}
DESCRIPTION = """Inkstand's native API. Reads of public data need no token; anything else
needs `Authorization: Bearer <token>` with a token made on the site's *API tokens* page
(read, or read-write to write). Errors are RFC 9457 problem details
(`application/problem+json`). Lists are paged by cursor, with an RFC 8288 `Link`
header (rel="next"). GET answers carry an `ETag`: send it back in `If-None-Match` to get
304 Not Modified. Every answer carries `X-RateLimit-*` headers."""


class _Api(Api):
    """flask-smorest's Api, with errors left to inkstand.errors and documented as problems."""

    ERROR_SCHEMA = ProblemSchema
    # Success responses name application/json themselves; everything else is an error.
    DEFAULT_RESPONSE_CONTENT_TYPE = problems.MEDIA_TYPE

    def _register_error_handlers(self) -> None:
        # flask-smorest would answer every HTTP error of the whole app in JSON, the HTML
        # site's 404 page included; errors.py decides per request instead.
        return None

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        """Register as flask-smorest does, but list the blueprint under its tag ("Posts")
        rather than its app-wide name ("api_v1_posts"), as its operations are."""
        add_tag = self.spec.tag
        self.spec.tag = lambda tag: add_tag({**tag, "name": blp.tag})
        try:
            super().register_blueprint(blp, **options)
        finally:
            del self.spec.tag


def init_app(app: Flask) -> None:
    app.config.setdefault("API_V1_OPENAPI_URL_PREFIX", problems.PREFIX)
    app.config.setdefault("API_V1_OPENAPI_JSON_PATH", "openapi.json")
    api = _Api(
        app,
        config_prefix="API_V1",
        spec_kwargs={
            "title": "Inkstand API",
            "version": "1",
            "openapi_version": "3.0.3",
            "info": {"description": DESCRIPTION},
            "servers": [{"url": "/"}],
            "security": [{}, {"bearerAuth": []}],
        },
    )
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)
    for bp in (
        posts.bp,
        comments.bp,
        pages.bp,
        people.tags_bp,
        people.users_bp,
        media.bp,
        search.bp,
        stats.bp,
        subscriptions.bp,
    ):
        api.register_blueprint(bp)
    app.register_blueprint(docs.bp)
    app.extensions["inkstand.api_v1"] = api
