"""What every worker would build for itself on first use, built once before the fork.

`inkstand serve` loads the app in gunicorn's master (``--preload``) and forks its
workers from it: what the master holds, each worker shares until it writes to it;
what a worker builds after the fork is its own, once per worker. Each part of the
app names here what it would build lazily anyway (its compiled templates, the
user-agent parser...); gunicorn_hooks.py builds all of it in the master.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

EXTENSION = "inkstand.preload"


def add(app: Flask, build: Callable[[Flask], object]) -> None:
    """Have ``build(app)`` run in the master before the workers are forked."""
    app.extensions.setdefault(EXTENSION, []).append(build)


def run(app: Flask) -> None:
    """Build everything the parts of ``app`` named."""
    with app.app_context():
        for build in app.extensions.get(EXTENSION, []):
            build(app)
