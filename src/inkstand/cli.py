"""The ``inkstand`` command: Flask's commands (``db``, ``routes``, ``shell``...) and ours."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from inkstand import create_app


@click.group(cls=FlaskGroup, create_app=create_app)
def main() -> None:
    """Inkstand: manage the database, accounts and server."""
