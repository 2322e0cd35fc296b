"""This request's site settings, for views and templates (as `site`)."""

from __future__ import annotations

from flask import Flask, g

from inkstand.extensions import db
from inkstand.site import services
from inkstand.site.services import SiteConfig


def init_app(app: Flask) -> None:
    app.context_processor(lambda: {"site": site_settings})


def site_settings() -> SiteConfig:
    """This request's site settings, read once per request."""
    if "site" not in g:
        g.site = services.load(db.session)
    config: SiteConfig = g.site
    return config
