"""gunicorn configuration for gevent workers: patch the standard library first.

`inkstand serve --worker-class gevent` names this file as gunicorn's
configuration (``--config file:.../gunicorn_gevent.py``). gunicorn runs it
before ``--preload`` imports the app, and runs it as a file, not as a module of
the ``inkstand`` package, whose imports would come first. So everything the app imports (threading,
socket, psycopg's choice of wait function, redis-py, SQLAlchemy's pool locks)
sees gevent's cooperative versions from the start. The gevent worker patches
again after the fork, which then changes nothing. Its only settings are the server
hooks of gunicorn_hooks.py, taken once the patching is done.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

from inkstand.gunicorn_hooks import child_exit, pre_fork, when_ready  # noqa: E402, F401 - gunicorn settings
