"""`inkstand search`: the index from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from inkstand.extensions import db
from inkstand.search import services


@click.group("search")
def search_group() -> None:
    """The full-text search index."""


@search_group.command("rebuild")
@with_appcontext
def rebuild() -> None:
    """Index every post again (after a restore, or a bulk import that bypassed the app)."""
    total = services.post_count(db.session)
    with click.progressbar(length=total, label="Indexing posts") as bar:
        done = services.rebuild(db.session, progress=bar.update)
    click.echo(f"{done} posts indexed.")
