"""Inkstand: a multi-author blogging platform."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from inkstand import (
    backends,
    commands,
    config,
    errors,
    extensions,
    health,
    http,
    logs,
    metrics,
    runtime,
    templating,
)
from inkstand.accounts.views import bp as accounts_bp
from inkstand.admin.views import bp as admin_bp
from inkstand.analytics import tracking
from inkstand.analytics.views import bp as analytics_bp
from inkstand.api import realworld
from inkstand.api import v1 as api_v1
from inkstand.blog import counts, featured, fragments, pagecache
from inkstand.blog import jobs as blog_jobs
from inkstand.blog.views import bp as blog_bp
from inkstand.comments import views as comments_views
from inkstand.comments.views import bp as comments_bp
from inkstand.discovery.views import bp as discovery_bp
from inkstand.media import context as media_context
from inkstand.media.views import bp as media_bp
from inkstand.moving import views as moving_views
from inkstand.pages.views import bp as pages_bp
from inkstand.personal.views import bp as personal_bp
from inkstand.search.views import bp as search_bp
from inkstand.site import context as site_context
from inkstand.subscriptions import jobs as subscriptions_jobs
from inkstand.subscriptions.views import bp as subscriptions_bp


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build an Inkstand app: config, extensions, collaborators, blueprints.

    The instance folder (secret key, embedded database, outbox) is ``instance_path``,
    else INKSTAND_INSTANCE_PATH, else Flask's default beside the package."""
    instance_path = instance_path or os.environ.get("INKSTAND_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_mapping(config.load(Path(app.instance_path), overrides))
    logs.init_app(app)

    backends.init_app(app)
    extensions.init_app(app)
    runtime.init_app(app)
    site_context.init_app(app)
    comments_views.init_app(app)
    media_context.init_app(app)
    # Kept pages are answered inside the metrics' middleware, which times them too...
    pagecache.init_app(app)
    # ...and that inside http's middleware, which hands gunicorn's own start_response down.
    metrics.init_app(app, lambda: runtime.get().jobs)
    http.init_app(app)
    health.init_app(app)  # in front of http's middleware: probes skip the host check
    templating.init_app(app)
    errors.init_app(app)
    commands.init_app(app)
    counts.init_app(app)
    fragments.init_app(app)
    featured.init_app(app)
    blog_jobs.init_app(app)
    subscriptions_jobs.init_app(app)
    tracking.init_app(app)
    realworld.init_app(app)
    moving_views.init_app(app)

    app.register_blueprint(blog_bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(discovery_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(media_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(personal_bp)
    app.register_blueprint(moving_views.bp)
    app.register_blueprint(analytics_bp)
    app.register_blueprint(subscriptions_bp)
    app.register_blueprint(pages_bp)  # /<slug>: any address no other route answers
    api_v1.init_app(app)
    app.register_blueprint(realworld.bp)
    return app
