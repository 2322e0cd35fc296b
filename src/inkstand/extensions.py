"""Flask extensions, created unbound and bound to an app in ``init_app``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, request
from flask.cli import ScriptInfo
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers

from inkstand import preload
from inkstand.db import Base

log = logging.getLogger(__name__)
# Each pooled SQLite connection keeps its own cache of pages (2 MB by default, up to
# 15 connections a process): pages the operating system's cache holds already, for
# every process. 256 KB each cut a busy worker's memory by 25 MB, at the same CPU
# per request.
SQLITE_CACHE_KB = 256
MIGRATIONS = Path(__file__).parent / "migrations"

db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
csrf = CSRFProtect()
cache = Cache()
login_manager = LoginManager()


class _Limiter(Limiter):
    """Flask-Limiter, whose check in front of every view is skipped where no limit can
    apply. Limits here are the policies of inkstand.limits: on a view, checked by the
    view's own wrapper, or on a blueprint (the native API), checked in front. Every
    other request (the site's pages, the RealWorld API's reads) would otherwise spend
    some 45 µs of CPU finding that there is nothing to check."""

    _everywhere = True

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        manager = self.limit_manager
        # Limits in front of every request: none unless configured.
        self._everywhere = bool(
            manager.application_limits or manager.default_limits or self._meta_limits
            or self._in_memory_fallback
        )  # fmt: skip

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        if in_middleware and not self._everywhere and not self._limits_blueprint():
            return
        super()._check_request_limit(callable_name, in_middleware)

    def _limits_blueprint(self) -> bool:
        """Whether the request's blueprint, or one it is nested in, has limits."""
        names = request.blueprint.split(".") if request.blueprint else ()
        return any(name in self.limit_manager._blueprint_limits for name in names)


limiter = _Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def init_app(app: Flask) -> None:
    """Bind the extensions; the cache's and the limiter's storage are chosen before,
    by inkstand.backends."""
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", app.config["DATABASE_URL"])
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config["DATABASE_URL"]))
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)

    db.init_app(app)
    app.teardown_appcontext(_end_session)  # runs before Flask-SQLAlchemy's own
    app.cli.add_command(_MigrationCommands("db", help="Perform database migrations."))
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    cache.init_app(app)
    # The models' mappers are otherwise configured by a worker's first query.
    preload.add(app, lambda _app: configure_mappers())


def migrations(app: Flask) -> None:
    """Bind Flask-Migrate to ``app``, once: the ``db`` commands and the tests need it.
    It loads alembic (11 MB a process), which no server process needs, so it is not
    bound by ``init_app``."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS), render_as_batch=True)


class _MigrationCommands(click.Group):
    """Flask-Migrate's ``db`` commands, whose module loads alembic, loaded only when
    one of them runs: in their place until then, this group hands the command line
    to them (their options, their callback, their subcommands)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if current_app:  # run inside an app's context, as Flask-Migrate's own group allows
            app = current_app._get_current_object()  # type: ignore[attr-defined]
        else:
            app = (parent.ensure_object(ScriptInfo) if parent else ScriptInfo()).load_app()
        migrations(app)
        from flask_migrate.cli import db as commands

        return commands.make_context(info_name, args, parent=parent, **extra)


def _end_session(error: BaseException | None) -> None:
    """End the request's session even when the database cut its connection (a restart
    under the request): closing rolls back, which then fails. The connection is dropped
    from the pool instead of the error reaching the server after the answer (a 500,
    and a connection never given back)."""
    try:
        db.session.remove()
    except SQLAlchemyError as failure:
        log.warning("the database connection was lost at the end of a request: %s", failure)
        try:
            db.session().invalidate()
        except SQLAlchemyError:
            log.debug("invalidating the lost connection failed", exc_info=True)
        db.session.registry.clear()


def _engine_options(url: str) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        # Timestamps are read and written in UTC whatever the server's own zone.
        options["connect_args"] = {"options": "-c timezone=UTC"}
    return options


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Enforce foreign keys, let readers run beside a writer, and keep each
    connection's own page cache small on SQLite."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
        cursor.close()
