"""`inkstand stats`: the daily totals from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from inkstand import runtime
from inkstand.analytics import services, tracking
from inkstand.extensions import db


@click.group("stats")
def stats_group() -> None:
    """Page-view statistics."""


@stats_group.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Roll up again every finished day that still has its page views (after a restore,
    or views written late); days whose views are gone keep their totals."""
    days = services.rebuild(db.session, runtime.now())
    click.echo(f"{len(days)} days rolled up.")


@stats_group.command("flush")
@with_appcontext
def flush() -> None:
    """Write the buffered page views now (what the periodic flush does)."""
    if tracking.EXTENSION not in current_app.extensions:
        raise click.ClickException("Recording is off (INKSTAND_ANALYTICS_ENABLED=0).")
    click.echo(f"{tracking.tracker().flush()} views written.")


@stats_group.command("roll-up")
@with_appcontext
def roll_up() -> None:
    """Roll up the finished days not rolled up yet, and delete views past retention
    (what the periodic work does)."""
    days = services.roll_up(db.session, runtime.now(), current_app.config["ANALYTICS_KEEP_DAYS"])
    click.echo(f"{len(days)} days rolled up.")
