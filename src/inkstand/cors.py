"""Cross-origin policies: one stated policy per API, applied to its blueprints.

Both APIs read no cookie, only tokens a page must hold itself, so they allow any
origin and never credentials: another site's page gains nothing it could not get
by calling the API from its own server. The HTML site has no policy: its pages and
forms stay same-origin.

A hand-written helper rather than Flask-CORS: the native API opens only its reads
(writes answer without CORS headers), while Flask-CORS's ``methods`` option only
shapes its preflight answers; and these few headers need no new dependency.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, request

# How long a browser may keep a preflight's answer: the longest Chromium honours, so
# a change of policy reaches every browser within two hours.
MAX_AGE = 7200
RATE_LIMIT_HEADERS = ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                      "X-RateLimit-Reset")  # fmt: skip


@dataclass(frozen=True)
class Policy:
    """Which methods pages on other origins may call, with which request headers, and
    which answer headers their scripts may read."""

    methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int = MAX_AGE

    def apply(self, bp: Blueprint) -> None:
        """Give every answer of ``bp`` (errors included) the policy's headers."""
        bp.after_request(self.headers)

    def headers(self, response: Response) -> Response:
        if request.method not in self.methods:
            return response
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = ", ".join(self.expose_headers)
        if request.method == "OPTIONS":  # a preflight: what the real request may be
            response.headers["Access-Control-Allow-Methods"] = ", ".join(self.methods)
            response.headers["Access-Control-Allow-Headers"] = ", ".join(self.allow_headers)
            response.headers["Access-Control-Max-Age"] = str(self.max_age)
        return response


# The native API: reads only, with a token and conditional requests.
NATIVE_API = Policy(
    methods=("GET", "HEAD", "OPTIONS"),
    allow_headers=("Authorization", "If-None-Match"),
    expose_headers=("ETag", "Link", *RATE_LIMIT_HEADERS),
)
# The RealWorld API: every operation, since its front ends run on other origins.
REALWORLD_API = Policy(
    methods=("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"),
    allow_headers=("Authorization", "Content-Type", "X-Requested-With"),
    expose_headers=RATE_LIMIT_HEADERS,
)
