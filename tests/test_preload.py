"""`inkstand serve` builds in gunicorn's master what every worker would build on first
use, and freezes the master's objects before each fork, so the workers share them."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import ua_parser
from jinja2.utils import LRUCache

from inkstand import gunicorn_hooks
from tests.helpers import build_app

# Packages that only commands use (migrations, imports from WordPress and Ghost): the
# master of a server must not load them, or every worker carries them.
COMMANDS_ONLY = ("alembic", "flask_migrate", "markdownify", "bs4")


def master(app, preload=True):
    """gunicorn's arbiter as its hooks see it, holding the preloaded ``app``."""
    return SimpleNamespace(
        cfg=SimpleNamespace(preload_app=preload), app=SimpleNamespace(wsgi=lambda: app)
    )


def test_the_master_compiles_every_template_and_builds_the_user_agent_parser(tmp_path, monkeypatch):
    app = build_app(tmp_path, f"sqlite:///{tmp_path / 'preload.sqlite3'}", ANALYTICS_ENABLED=True)
    monkeypatch.setattr(app.jinja_env, "cache", LRUCache(app.jinja_env.cache.capacity))
    monkeypatch.delitem(vars(ua_parser), "parser", raising=False)
    gunicorn_hooks.when_ready(master(app))
    compiled = {name for _loader, name in app.jinja_env.cache}
    assert compiled == set(app.jinja_env.list_templates())
    assert "parser" in vars(ua_parser)


def test_without_preload_the_master_builds_nothing(app, monkeypatch):
    monkeypatch.setattr(app.jinja_env, "cache", LRUCache(app.jinja_env.cache.capacity))
    gunicorn_hooks.when_ready(master(app, preload=False))
    assert len(app.jinja_env.cache) == 0


def test_before_each_fork_the_master_freezes_its_objects():
    try:
        gunicorn_hooks.pre_fork(None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def loaded(instance: Path, names: tuple[str, ...], **settings: str) -> list[str]:
    """Which of the packages ``names`` a fresh process's create_app loads."""
    found = subprocess.run(
        [sys.executable, "-c", "import sys; from inkstand import create_app; create_app(); "
         f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({names!r}))))"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("INKSTAND_")},
             "INKSTAND_INSTANCE_PATH": str(instance), **settings},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return found.stdout.split()


def test_the_app_a_server_loads_leaves_out_what_only_commands_use(tmp_path):
    assert loaded(tmp_path, COMMANDS_ONLY) == []


def test_without_redis_the_app_loads_no_redis_client(tmp_path):
    assert loaded(tmp_path, ("redis",)) == []
    with_redis = loaded(tmp_path, ("redis",), INKSTAND_REDIS_URL="redis://127.0.0.1:1/0")
    assert with_redis == ["redis"]  # the test can see it
