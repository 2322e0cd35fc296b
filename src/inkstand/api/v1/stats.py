"""Page-view statistics through the native API: the dashboard's figures as JSON, for
the site (an author: her own posts) and for one post."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from inkstand import runtime
from inkstand.analytics import reading, views
from inkstand.api.v1 import auth, hooks

bp = hooks.ApiBlueprint(
    "stats", __name__, url_prefix="/api/v1/stats",
    description="Page-view statistics: a token of either scope; editors and admins see the "
    "whole site, authors their own posts.",
)  # fmt: skip


class StatsQuerySchema(Schema):
    days = fields.Integer(
        validate=validate.OneOf(reading.PRESETS),
        metadata={"description": "The last 7, 30 (the default) or 90 days, today included."},
    )
    first = fields.Date(metadata={"description": "A range's first UTC day (with `last`)."})
    last = fields.Date(metadata={"description": "A range's last UTC day (with `first`)."})


class DaySchema(Schema):
    day = fields.Date(required=True)
    views = fields.Integer(required=True)
    visitors = fields.Integer(required=True, metadata={"description": "Unique that day."})


class RowSchema(Schema):
    label = fields.String(required=True)
    views = fields.Integer(required=True)


class PostRowSchema(RowSchema):
    slug = fields.String(required=True)
    visitors = fields.Integer(required=True, metadata={"description": "Each day's, added up."})


class StatsSchema(Schema):
    first = fields.Date(required=True, attribute="span.first")
    last = fields.Date(required=True, attribute="span.last")
    whole_site = fields.Boolean(
        required=True, metadata={"description": "False: the caller's own posts only."}
    )
    views = fields.Integer(required=True)
    visitors = fields.Integer(
        required=True, attribute="visitor_days",
        metadata={"description": "Each day's unique visitors, added up: a visitor is "
                  "recognised for one UTC day only, so one who came on three days counts "
                  "three times."},
    )  # fmt: skip
    live = fields.Integer(required=True, metadata={"description": "Visitors, last 5 minutes."})
    days = fields.List(fields.Nested(DaySchema), required=True)
    posts = fields.List(fields.Nested(PostRowSchema), required=True)
    referrers = fields.List(fields.Nested(RowSchema), required=True)
    campaigns = fields.List(fields.Nested(RowSchema), required=True)
    devices = fields.List(fields.Nested(RowSchema), required=True)
    browsers = fields.List(fields.Nested(RowSchema), required=True)
    systems = fields.List(fields.Nested(RowSchema), required=True)


def _figures(args: dict[str, Any], post_id: int | None = None) -> reading.Figures:
    viewer, _ = auth.caller("Reading statistics")
    now = runtime.now()
    span = reading.day_range(now.date(), args.get("days"), args.get("first"), args.get("last"))
    return views.figures(viewer, span, now, post_id=post_id)


@bp.route("", methods=["GET"])
@bp.arguments(StatsQuerySchema, location="query")
@bp.response(200, StatsSchema)
def site(args: dict[str, Any]) -> Any:
    """The site's views and visitors per day, top posts, referrers, campaigns, devices

    Editors and admins get the whole site's; an author her own posts'. A range is the
    last `days`, or `first` to `last` (at most 366 days, not in the future).
    """
    return _figures(args)


@bp.route("/posts/<int:post_id>", methods=["GET"])
@bp.arguments(StatsQuerySchema, location="query")
@bp.response(200, StatsSchema)
def post(args: dict[str, Any], post_id: int) -> Any:
    """One post's views and visitors per day, referrers, campaigns, devices

    For its author, editors and admins.
    """
    return _figures(args, post_id)
