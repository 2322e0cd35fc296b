"""Subscribing by e-mail through the native API, and the admins' list of subscribers:
the same services as the site's pages."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inkstand import limits
from inkstand.api.v1 import auth, hooks
from inkstand.api.v1.schemas import PRINTABLE
from inkstand.exceptions import NotFound
from inkstand.extensions import db
from inkstand.pagination import Cursor
from inkstand.site.context import site_settings
from inkstand.subscriptions import administration, services
from inkstand.subscriptions.jobs import confirm_mail, links

bp = hooks.ApiBlueprint(
    "subscriptions", __name__, url_prefix="/api/v1", description="Subscribers by e-mail."
)
SENT = (
    "If that address is not subscribed yet, a mail with a link to confirm is on its way to "
    "it. Nothing is sent to it until the link is pressed."
)


class SubscribeInSchema(Schema):
    email = fields.String(required=True, validate=validate.Length(1, 254))
    author = fields.String(
        validate=[validate.Length(1, 40), PRINTABLE],
        metadata={"description": "A username: her posts only. Left out: the whole site."},
    )


class SubscribedSchema(Schema):
    message = fields.String(required=True)


class SubscriberSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    scope = fields.String(required=True, metadata={"description": "site, or author:<id>."})
    consent = fields.String(required=True, metadata={"enum": ["link", "import"]})
    created_at = fields.DateTime(required=True)
    confirmed_at = fields.DateTime(required=True, allow_none=True)


class SubscriberListSchema(Schema):
    subscribers = fields.List(fields.Nested(SubscriberSchema), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True,
        metadata={"description": "Pass as `cursor` for the next page; null on the last."},
    )  # fmt: skip


class SubscriberQuerySchema(Schema):
    q = fields.String(
        validate=[validate.Length(0, 100), PRINTABLE],
        metadata={"description": "Part of an address."},
    )
    cursor = fields.String(validate=[validate.Length(1, 40), PRINTABLE])


def _open() -> None:
    if not site_settings().subscriptions_open:
        raise NotFound("This site takes no subscriptions by e-mail.")


@bp.route("/subscriptions", methods=["POST"])
@limits.SUBSCRIBE()
@bp.arguments(SubscribeInSchema)
@bp.response(202, SubscribedSchema)
def subscribe(args: dict[str, Any]) -> Any:
    """Subscribe an address to new posts

    No token needed. A link to confirm is mailed (at most one an hour to an address);
    the answer is the same whether the address is subscribed already or not.
    """
    _open()
    author = services.writer(db.session, args["author"]) if args.get("author") else None
    services.subscribe(db.session, links(), args["email"], author, confirm_mail())
    return {"message": SENT}


@bp.route("/subscribers", methods=["GET"])
@bp.arguments(SubscriberQuerySchema, location="query")
@bp.response(200, SubscriberListSchema, headers=hooks.LINK_HEADER)
def subscribers(args: dict[str, Any]) -> Any:
    """List subscribers, newest first (admins)"""
    user, _ = auth.caller("Listing subscribers")
    page = administration.list_subscribers(
        db.session, user, args.get("q", ""), before=Cursor.decode(args.get("cursor"))
    )
    return {"subscribers": page.items, "next_cursor": page.older}, hooks.next_link(page.older)
