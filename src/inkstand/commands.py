"""Inkstand's own commands, added to the app's command line: create-admin, demo, serve,
worker, backup."""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import sqlite3
import sys
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from inkstand import audit, backends, demo, http, logs, runtime
from inkstand import backup as backups
from inkstand.accounts import services as accounts
from inkstand.analytics import jobs as analytics_jobs
from inkstand.analytics.commands import stats_group
from inkstand.blog import jobs as blog_jobs
from inkstand.blog.commands import trash_group
from inkstand.exceptions import Forbidden, Invalid
from inkstand.extensions import db
from inkstand.jobs import RQJobs
from inkstand.media import context as media_context
from inkstand.media.storage import FileStorage
from inkstand.moving.commands import export_command, import_group
from inkstand.pages import views as pages_views
from inkstand.search.commands import search_group
from inkstand.site import services as site
from inkstand.subscriptions import jobs as subscriptions_jobs


def init_app(app: Flask) -> None:
    for command in (
        create_admin,
        load_demo,
        serve,
        worker,
        site_group,
        search_group,
        trash_group,
        backup,
        stats_group,
        export_command,
        import_group,
        audit_group,
    ):
        if command not in (serve, worker):  # their requests and jobs say where they come from
            _from_the_command_line(command)
        app.cli.add_command(command)


def _from_the_command_line(command: click.Command) -> None:
    """Whatever ``command`` (and each command of a group) records in the audit log is
    marked as done from the command line."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _from_the_command_line(sub)
    callback = command.callback
    if callback is None or getattr(callback, "from_the_command_line", False):
        return  # the commands are the module's: each app made wraps them once

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        with audit.acting_from(audit.CLI):
            return callback(*args, **kwargs)

    run.from_the_command_line = True  # type: ignore[attr-defined]
    command.callback = run


@click.command("create-admin")
@click.option("--username", prompt=True)
@click.option("--email", prompt=True)
@click.password_option()
@with_appcontext
def create_admin(username: str, email: str, password: str) -> None:
    """Create an admin account."""
    try:
        user = accounts.create_admin(db.session, runtime.get().passwords, username, email, password)
    except Invalid as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Admin {user.username} created.")


@click.group("site")
def site_group() -> None:
    """Read and change the site settings an admin edits in the browser."""


@site_group.command("set")
@click.argument("name")
@click.argument("value")
@with_appcontext
def set_setting(name: str, value: str) -> None:
    """Set one site setting, e.g. `inkstand site set new_account_role author`."""
    try:
        site.configure(db.session, name, value)
    except Invalid as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{name} = {value}")


@click.group("audit")
def audit_group() -> None:
    """The audit log of administrative actions (kept until pruned here)."""


@audit_group.command("prune")
@click.option(
    "--older-than-days", type=click.IntRange(min=1), required=True,
    help="Delete the entries made more than this many days ago.",
)  # fmt: skip
@with_appcontext
def prune_audit(older_than_days: int) -> None:
    """Delete old entries of the audit log; the pruning itself is recorded."""
    now = datetime.now(UTC)
    gone = audit.prune(db.session, now - timedelta(days=older_than_days), now)
    click.echo(f"{gone} audit {'entry' if gone == 1 else 'entries'} older than "
               f"{older_than_days} days deleted.")  # fmt: skip


@click.command("demo")
@click.option("--clear", is_flag=True, help="Remove the demo's accounts and everything they own.")
@with_appcontext
def load_demo(clear: bool) -> None:
    """Load demo authors and posts (once) and print the demo admin's login."""
    login_file = Path(current_app.instance_path) / "demo-login.txt"
    if clear:
        try:
            count = demo.clear(db.session)
        except Forbidden as error:
            raise click.ClickException(error.message) from error
        login_file.unlink(missing_ok=True)
        click.echo(f"Demo content removed: {count} demo account(s) and what they owned.")
        return
    if demo.is_loaded(db.session):
        if login_file.exists():
            click.echo(login_file.read_text().strip())
        else:
            click.echo("The database already has content; demo not loaded.")
        return
    password = secrets.token_urlsafe(12)
    demo.load(db.session, runtime.get().passwords, password, pages_views.reserved())
    text = f"Demo admin login: username 'admin', password '{password}'"
    login_file.write_text(text + "\n")
    login_file.chmod(0o600)
    click.echo(text)


WORKER_CLASSES = ("gthread", "gevent")
ACCESS_LOGS = {"text": "inkstand.logs.AccessLog", "json": "inkstand.logs.JsonAccessLog"}
# gunicorn's workers of each class, answering the requests gunicorn refuses itself in
# the shape of their door (serving.py).
WORKERS = {"gthread": "inkstand.serving.ThreadWorker", "gevent": "inkstand.serving.GeventWorker"}
GEVENT_CONFIG = Path(__file__).with_name("gunicorn_gevent.py")
# glibc gives each thread that allocates its own malloc arena, up to 8 per core, and
# memory freed in one is kept there: a worker's 32 busy threads held 15-20 MB more
# than with two arenas, and were no faster. An operator's own value is kept.
MALLOC_ARENAS = "2"


@click.command("serve")
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
@click.option("--workers", type=int, default=None, help="Default: INKSTAND_SERVER_WORKERS.")
@click.option(
    "--worker-class",
    type=click.Choice(WORKER_CLASSES),
    default=None,
    help="Default: INKSTAND_SERVER_WORKER_CLASS.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=None,
    help="Threads per gthread worker. Default: INKSTAND_SERVER_THREADS.",
)
@click.option(
    "--connections",
    type=click.IntRange(min=1),
    default=None,
    help="Connections per gevent worker. Default: INKSTAND_SERVER_CONNECTIONS.",
)
@with_appcontext
def serve(
    bind: str,
    workers: int | None,
    worker_class: str | None,
    threads: int | None,
    connections: int | None,
) -> None:
    """Serve Inkstand with gunicorn (the production server)."""
    config = current_app.config
    _check_public_address(bind, config)
    count = workers or config["SERVER_WORKERS"] or default_workers(backends.get(current_app))
    kind = worker_class or config["SERVER_WORKER_CLASS"]
    if kind not in WORKER_CLASSES:
        raise click.BadParameter(
            f"{kind!r} is not one of {', '.join(WORKER_CLASSES)}",
            param_hint="INKSTAND_SERVER_WORKER_CLASS",
        )
    if kind == "gevent":
        # The configuration file patches the standard library before --preload
        # imports the app; read as a file, not imported from this package, whose
        # own imports would come first.
        per_worker = [
            "--worker-connections", str(connections or config["SERVER_CONNECTIONS"]),
            "--config", f"file:{GEVENT_CONFIG}",
        ]  # fmt: skip
    else:
        per_worker = [
            "--threads", str(threads or config["SERVER_THREADS"]),
            "--config", "python:inkstand.gunicorn_hooks",
        ]  # fmt: skip
    if config["METRICS_TOKEN"]:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(
            metrics_folder(Path(current_app.instance_path))
        )
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    args = [
        gunicorn, "--bind", bind, "--workers", str(count), "--worker-class", WORKERS[kind],
        *per_worker, "--keep-alive", str(config["SERVER_KEEPALIVE_SECONDS"]),
        *(["--access-logfile", "-", "--access-logformat", logs.ACCESS_FORMAT]
          if config["SERVER_ACCESS_LOG"] else []),
        "--logger-class", ACCESS_LOGS[config["LOG_FORMAT"]],
        "--preload", "--reuse-port", "inkstand:create_app()",
    ]  # fmt: skip
    os.execv(gunicorn, args)  # noqa: S606


def metrics_folder(instance: Path) -> Path:
    """A fresh folder for the workers' metric files: figures of an earlier run, whose
    processes are gone, must not be added to this one's."""
    folder = instance / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def default_workers(chosen: backends.Backends) -> int:
    """Without Redis, one process: its event bus, page cache and rate limits live in
    that process's memory, and a second process would neither hear a new comment
    nor share a log-in limit. With Redis they are shared, and 2 x cores + 1
    processes use every core while requests wait on the database."""
    if not chosen.shared:
        return 1
    return 2 * (os.cpu_count() or 1) + 1


def _check_public_address(bind: str, config: Mapping[str, Any]) -> None:
    """Refuse to serve on a public address until the site knows its own name: without
    it the site answers only to loopback names, and nobody outside could use it."""
    host = bind.rpartition(":")[0].strip("[]") if ":" in bind else bind
    if config["SITE_URL"] or not set(config["TRUSTED_HOSTS"]) <= set(http.LOOPBACK_HOSTS):
        return
    if bind.startswith("unix:") or host in {*http.LOOPBACK_HOSTS, "::1"}:
        return
    raise click.ClickException(
        f"Serving on {bind} needs the site's public address: set INKSTAND_SITE_URL "
        "(e.g. https://blog.example.com), or INKSTAND_TRUSTED_HOSTS. Mailed and canonical "
        "links are built on it, never on a request's Host header, and requests naming "
        "any other host are refused."
    )


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then stop.")
@click.option(
    "--simple", is_flag=True, help="Run jobs in the worker's own process instead of forking."
)
@click.option(
    "--with-scheduler",
    is_flag=True,
    help="Also run RQ's scheduler, and schedule the periodic flush of page views and "
    "purge of the trash.",
)
@with_appcontext
def worker(burst: bool, simple: bool, with_scheduler: bool) -> None:
    """Run background jobs (comment mails, page-view flushes, trash purges) from the RQ
    queue in Redis."""
    jobs = runtime.get().jobs
    if not isinstance(jobs, RQJobs):
        raise click.ClickException(
            "INKSTAND_REDIS_URL is not set: jobs run inline in the app, no worker is needed."
        )
    config = current_app.config
    if not config["SITE_URL"] and not config.get("SERVER_NAME"):
        raise click.ClickException(
            "Set INKSTAND_SITE_URL: jobs mail links to the site and need its public address."
        )
    from inkstand import worker as workers  # RQ's worker only where jobs are run

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if with_scheduler:
        analytics_jobs.schedule_flush(app)
        blog_jobs.schedule_purge(app)
        subscriptions_jobs.schedule_sweep(app)
    workers.make(app, jobs, simple=simple).work(
        burst=burst, logging_level=config["LOG_LEVEL"], with_scheduler=with_scheduler
    )


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=Path("backups"))
@with_appcontext
def backup(folder: Path) -> None:
    """Copy the live SQLite database and the media folder into one archive in FOLDER."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database:
        raise click.ClickException(
            "The database is not an SQLite file: back it up with its own tools "
            "(pg_dump for PostgreSQL, see docs/operations.md) and copy MEDIA_PATH beside it."
        )
    media = media_context.storage()
    root = media.root if isinstance(media, FileStorage) else None
    try:
        target, files = backups.make(Path(url.database), root, folder, datetime.now(UTC))
    except (FileNotFoundError, sqlite3.Error) as error:
        raise click.ClickException(f"Backup failed: {error}") from error
    click.echo(f"Backed up the database and {files} media files to {target}")
