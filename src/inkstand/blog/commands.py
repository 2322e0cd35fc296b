"""`inkstand trash`: the trash of deleted posts from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from inkstand import audit
from inkstand.blog import jobs


@click.group("trash")
def trash_group() -> None:
    """Deleted posts, kept TRASH_DAYS in the trash before they are purged."""


@trash_group.command("purge")
@with_appcontext
def purge() -> None:
    """Delete for good the posts in the trash for TRASH_DAYS or more (from cron, when
    neither the app's thread nor `inkstand worker --with-scheduler` does it)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with audit.acting_from(audit.CLI):
        gone = jobs.purge(app)
    click.echo(f"{gone} {'post' if gone == 1 else 'posts'} purged from the trash.")
