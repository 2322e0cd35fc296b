"""Search through the native API: the site's search, as JSON."""

from __future__ import annotations

from typing import Any

from flask import current_app

from inkstand import runtime
from inkstand.api.v1 import auth, hooks
from inkstand.api.v1.schemas import SearchQuerySchema, SearchResultsSchema
from inkstand.extensions import db
from inkstand.search import services
from inkstand.site.context import site_settings

bp = hooks.ApiBlueprint("search", __name__, url_prefix="/api/v1/search", description="Search.")


@bp.route("", methods=["GET"])
@bp.arguments(SearchQuerySchema, location="query")
@bp.response(200, SearchResultsSchema, headers=hooks.LINK_HEADER)
def search(args: dict[str, Any]) -> Any:
    """Search posts, best match first

    Over title, tags, excerpt and body of published posts; with a token, its
    account's own posts in any state too.
    """
    found = services.search(
        db.session, auth.viewer(), args["q"], runtime.now(), args["limit"],
        cursor=args.get("cursor"), language=site_settings().search_language,
        window=current_app.config["SEARCH_RANK_WINDOW"],
    )  # fmt: skip
    results = [
        {
            "post": hit.post,
            "title_html": services.to_html(hit.title),
            "snippet": services.to_text(hit.snippet),
            "snippet_html": services.to_html(hit.snippet),
        }
        for hit in found.page.items
    ]
    older = found.page.older
    return {"results": results, "next_cursor": older}, hooks.next_link(older)
