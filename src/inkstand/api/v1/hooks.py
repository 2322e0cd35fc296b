"""What every native API response gets: the caller, rate limits, ETags, CORS for reads."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint
from marshmallow import missing
from webargs.flaskparser import FlaskParser

from inkstand import cors, inputs, limits
from inkstand.accounts import tokens
from inkstand.api.v1 import auth
from inkstand.exceptions import Invalid
from inkstand.extensions import csrf
from inkstand.http import json_body
from inkstand.templating import absolute_url

CONDITIONAL_METHODS = frozenset({"GET", "HEAD"})

LINK_HEADER = {
    "Link": {
        "description": 'RFC 8288 link to the next page, rel="next"; absent on the last page.',
        "schema": {"type": "string"},
    }
}

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The `ETag` of an earlier answer: 304 if the answer is still that one.",
    "schema": {"type": "string"},
}
NOT_MODIFIED = {"description": "Not Modified: unchanged since the `ETag` sent; no body."}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "The post's `ETag` as last read: the change is refused (412) if the post "
    "was saved since. Without it the change applies to whatever is stored.",
    "schema": {"type": "string"},
}
PRECONDITION_FAILED = {"description": "Precondition Failed: the post was saved since the "
                       "`ETag` sent in `If-Match` (problem `precondition-failed`)."}  # fmt: skip


def tag_version(version: int) -> None:
    """Make this answer's ETag name the version of the post it shows, so that the tag
    sent back in If-Match says which version a change was made to (see based_on)."""
    g.api_v1_version = version


def based_on() -> int | None:
    """The post version the request's If-Match names: None without If-Match (or with
    ``*``), -1 for a tag no version of any post had (it can never match)."""
    sent = request.if_match
    if not sent or sent.star_tag:
        return None
    tags = list(sent.as_set())
    tag = tags[0] if len(tags) == 1 else None  # an empty tag ("") parses as None
    head = tag.partition("-")[0] if isinstance(tag, str) else ""
    version = inputs.whole_number(head[1:]) if head[:1] == "v" else None
    return -1 if version is None else version


def _token_digest() -> str | None:
    """The presented token, hashed: no secret goes into the limiter's store."""
    presented = auth.bearer()
    return tokens.digest(presented) if presented is not None else None


class _Parser(FlaskParser):
    """webargs' parser, reading JSON bodies as every door does (http.json_body): a body
    of another type is refused (415) rather than read as no fields."""

    def _raw_load_json(self, req: Any) -> Any:
        found = json_body()
        return missing if found is None else found


NO_BODY = "Send the fields as a JSON object."


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint wired for the native API: token auth, rate limits,
    CSRF exemption, ETags and CORS; its successes documented as application/json
    (anything else it answers is a problem, see inkstand.api.v1._Api)."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(self, tag: str, import_name: str, **options: Any) -> None:
        # Blueprint names are app-wide; "api_v1_" keeps them apart from the site's.
        super().__init__(f"api_v1_{tag}", import_name, **options)
        self.tag = tag.capitalize()
        self._prepare_doc_cbks.append(_document_conditional_get)
        _wire(self)

    def route(self, rule: str, *, parameters: Any = None, tags: Any = None, **options: Any) -> Any:
        return super().route(rule, parameters=parameters, tags=tags or [self.tag], **options)

    def arguments(
        self, schema: Any, *, location: str = "json", required: bool = True, **options: Any
    ) -> Callable[[Any], Any]:
        """flask-smorest's arguments; a required body must be sent (an empty object is a
        body): without one, the answer names it rather than reading it as no fields."""
        parse = super().arguments(schema, location=location, required=required, **options)
        if location != "json" or not required:
            return parse

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            parsed = parse(view)

            @wraps(parsed)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if json_body() is None:
                    raise Invalid.field("body", NO_BODY)
                return parsed(*args, **kwargs)

            return wrapper

        return decorator

    def response(
        self, status_code: int, schema: Any = None, *, content_type: str | None = None,
        **options: Any,
    ) -> Callable[[Any], Any]:  # fmt: skip
        if schema is not None and content_type is None:
            content_type = "application/json"
        return super().response(status_code, schema, content_type=content_type, **options)


def _document_conditional_get(doc: dict[str, Any], doc_info: Any, **kwargs: Any) -> Any:
    """Every GET answers If-None-Match (see _finish): the document says so for each."""
    if kwargs["method"] == "get":
        doc.setdefault("parameters", []).append(dict(IF_NONE_MATCH))
        doc.setdefault("responses", {})[304] = dict(NOT_MODIFIED)
    return doc


def _wire(bp: Blueprint) -> None:
    bp.before_request(auth.load)
    bp.after_request(_finish)
    csrf.exempt(bp)
    limits.API(token=_token_digest)(bp)
    cors.NATIVE_API.apply(bp)


def next_link(cursor: str | None) -> dict[str, str]:
    """The Link header to the page after this one, keeping the other query arguments."""
    if cursor is None or request.endpoint is None:
        return {}
    args = {**request.args.to_dict(), "cursor": cursor}
    url = absolute_url(request.endpoint, **(request.view_args or {}), **args)
    return {"Link": f'<{url}>; rel="next"'}


def listed(body: dict[str, Any], cursor: str | None) -> ResponseReturnValue:
    """A list's answer, its items already in JSON's own types (schemas.post_summary_row),
    with the Link to the next page: sent as is, its schema documenting it only, as
    dumping every item through marshmallow costs more than reading them."""
    return jsonify(body), next_link(cursor)


def _finish(response: Response) -> Response:
    # Answers depend on the token (drafts, "me"): shared caches keep one per token.
    response.vary.add("Authorization")
    if response.status_code == 200 and (
        request.method in CONDITIONAL_METHODS or g.get("api_v1_version") is not None
    ):
        response.headers.setdefault("Cache-Control", "no-cache")
        response.add_etag()
        version = g.get("api_v1_version")
        if version is not None:  # "v<version>-<digest of the body>"
            digest, _ = response.get_etag()
            response.set_etag(f"v{version}-{digest}")
        response.make_conditional(request)
    return response
