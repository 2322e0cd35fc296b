"""Inkstand's own commands, added to the app's command line: create-admin, demo, serve."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from inkstand import demo, runtime
from inkstand.accounts import services as accounts
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.site import services as site


def init_app(app: Flask) -> None:
    for command in (create_admin, load_demo, serve, site_group):
        app.cli.add_command(command)


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


@click.command("demo")
@with_appcontext
def load_demo() -> None:
    """Load demo authors and posts (once) and print the demo admin's login."""
    login_file = Path(current_app.instance_path) / "demo-login.txt"
    if demo.is_loaded(db.session):
        if login_file.exists():
            click.echo(login_file.read_text().strip())
        else:
            click.echo("The database already has content; demo not loaded.")
        return
    password = secrets.token_urlsafe(12)
    demo.load(db.session, runtime.get().passwords, password)
    text = f"Demo admin login: username 'admin', password '{password}'"
    login_file.write_text(text + "\n")
    login_file.chmod(0o600)
    click.echo(text)


@click.command("serve")
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
@click.option("--workers", type=int, default=None, help="Default: INKSTAND_SERVER_WORKERS.")
@click.option("--threads", type=int, default=4, show_default=True)
@with_appcontext
def serve(bind: str, workers: int | None, threads: int) -> None:
    """Serve Inkstand with gunicorn (the production server)."""
    count = workers or current_app.config["SERVER_WORKERS"] or 2 * (os.cpu_count() or 1) + 1
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    args = [
        gunicorn, "--bind", bind, "--workers", str(count), "--threads", str(threads),
        "--worker-class", "gthread", "--access-logfile", "-", "--preload", "--reuse-port",
        "inkstand:create_app()",
    ]  # fmt: skip
    os.execv(gunicorn, args)  # noqa: S606
