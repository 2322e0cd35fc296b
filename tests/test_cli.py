"""The inkstand command: create-admin, demo, and the server command line."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click
import click.testing
import pytest
from sqlalchemy import func, inspect, select

from inkstand import backends, commands, create_app, http
from inkstand.accounts.models import Follow, Role, User
from inkstand.blog.models import Favourite, Post, Status, Tag
from inkstand.blog.services.favourites import favourite
from inkstand.comments.models import Comment
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.pages import services as pages
from inkstand.pages.models import Page
from inkstand.site import services as site


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--username", "root", "--email", "root@example.com"],
        input="a long admin password\na long admin password\n",
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.username == "root")) == Role.ADMIN


def test_create_admin_reports_bad_input_without_a_traceback(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--username", "root", "--email", "nope"],
        input="short\nshort\n",
    )
    assert result.exit_code == 1
    assert "valid e-mail" in result.output
    assert "Traceback" not in result.output


def test_demo_loads_once_and_prints_the_admin_login(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo admin login: username 'admin'" in first.output
    posts = db.session.scalar(select(func.count(Post.id)))
    assert 25 <= posts <= 40
    states = set(db.session.scalars(select(Post.status)))
    assert states == {Status.DRAFT, Status.PUBLISHED, Status.ARCHIVED}
    statuses = list(db.session.scalars(select(Comment.status)))
    assert statuses.count("approved") >= 5
    assert statuses.count("pending") == 1  # something in the moderation queue
    assert db.session.scalar(select(func.sum(Post.comment_count))) == statuses.count("approved")
    favourites = db.session.scalar(select(func.count()).select_from(Favourite))
    assert favourites >= 10
    assert db.session.scalar(select(func.sum(Post.favourite_count))) == favourites
    assert db.session.scalar(select(func.count()).select_from(Follow)) >= 5
    again = runner.invoke(args=["demo"])
    assert again.output == first.output
    assert db.session.scalar(select(func.count(Post.id))) == posts


def serve_args(app, monkeypatch, *args):
    """The gunicorn command line `inkstand serve ARGS` would run."""
    calls = []
    monkeypatch.setattr(commands.os, "execv", lambda path, argv: calls.append(argv))
    result = app.test_cli_runner().invoke(args=["serve", *args])
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    return calls[0]


def option(argv, name):
    return argv[argv.index(name) + 1]


def test_the_access_log_is_a_setting(app, monkeypatch):
    argv = serve_args(app, monkeypatch, "--bind", "127.0.0.1:9999")
    assert option(argv, "--access-logfile") == "-"
    monkeypatch.setitem(app.config, "SERVER_ACCESS_LOG", False)
    argv = serve_args(app, monkeypatch, "--bind", "127.0.0.1:9999")
    assert "--access-logfile" not in argv
    assert "--access-logformat" not in argv


def test_serve_runs_gunicorn_with_the_configured_worker_class(app, monkeypatch):
    argv = serve_args(app, monkeypatch, "--bind", "127.0.0.1:9999", "--workers", "3")
    assert option(argv, "--bind") == "127.0.0.1:9999"
    assert option(argv, "--workers") == "3"
    assert option(argv, "--worker-class") == commands.WORKERS[app.config["SERVER_WORKER_CLASS"]]
    assert "--preload" in argv
    assert option(argv, "--logger-class") == "inkstand.logs.AccessLog"
    assert "%({x-request-id}o)s" in option(argv, "--access-logformat")
    assert argv[-1] == "inkstand:create_app()"


def uses_redis(app, monkeypatch, url):
    chosen = dataclasses.replace(backends.get(app), redis_url=url)
    monkeypatch.setitem(app.extensions, backends.EXTENSION, chosen)


def test_serve_without_redis_runs_one_process_that_holds_the_whole_site(app, monkeypatch):
    uses_redis(app, monkeypatch, None)
    monkeypatch.setitem(app.config, "SERVER_WORKERS", 0)
    assert option(serve_args(app, monkeypatch), "--workers") == "1"


def test_serve_with_redis_runs_a_process_per_core_and_more(app, monkeypatch):
    uses_redis(app, monkeypatch, "redis://127.0.0.1:6379/0")
    monkeypatch.setitem(app.config, "SERVER_WORKERS", 0)
    monkeypatch.setattr(commands.os, "cpu_count", lambda: 4)
    assert option(serve_args(app, monkeypatch), "--workers") == "9"
    monkeypatch.setitem(app.config, "SERVER_WORKERS", 3)
    assert option(serve_args(app, monkeypatch), "--workers") == "3"


def test_serve_keeps_few_malloc_arenas_unless_the_operator_chose(app, monkeypatch):
    """glibc's arena per thread would keep memory each of a worker's threads freed."""
    monkeypatch.setenv("MALLOC_ARENA_MAX", "")
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    serve_args(app, monkeypatch)
    assert os.environ["MALLOC_ARENA_MAX"] == "2"
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    serve_args(app, monkeypatch)
    assert os.environ["MALLOC_ARENA_MAX"] == "8"


def test_serve_defaults_to_threads_that_hold_many_open_streams(app, monkeypatch):
    argv = serve_args(app, monkeypatch)
    assert option(argv, "--worker-class") == commands.WORKERS["gthread"]
    assert int(option(argv, "--threads")) >= 256
    assert "--worker-connections" not in argv


def test_serve_keeps_idle_connections_longer_than_a_proxy_does(app, monkeypatch):
    """A proxy reuses its idle upstream connections for up to 60 s (nginx's default):
    were the server to close one first, a request sent on it at that moment would be
    reset, and the proxy would answer 502 to a POST it may not retry."""
    assert int(option(serve_args(app, monkeypatch), "--keep-alive")) > 60
    monkeypatch.setitem(app.config, "SERVER_KEEPALIVE_SECONDS", 5)
    assert option(serve_args(app, monkeypatch), "--keep-alive") == "5"


def test_serve_with_gevent_patches_the_standard_library_before_the_app_loads(app, monkeypatch):
    argv = serve_args(app, monkeypatch, "--worker-class", "gevent", "--connections", "2000")
    assert option(argv, "--worker-class") == commands.WORKERS["gevent"]
    assert option(argv, "--worker-connections") == "2000"
    assert "--threads" not in argv
    config = option(argv, "--config")
    assert config.startswith("file:")  # run as a file: importing inkstand would load the app
    assert Path(config.removeprefix("file:")) == commands.GEVENT_CONFIG
    assert "monkey.patch_all()" in commands.GEVENT_CONFIG.read_text()


def test_serve_takes_threads_and_worker_class_from_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_WORKER_CLASS", "gthread")
    monkeypatch.setitem(app.config, "SERVER_THREADS", 12)
    argv = serve_args(app, monkeypatch)
    assert option(argv, "--threads") == "12"
    assert option(serve_args(app, monkeypatch, "--threads", "7"), "--threads") == "7"
    monkeypatch.setitem(app.config, "SERVER_WORKER_CLASS", "gevent")
    monkeypatch.setitem(app.config, "SERVER_CONNECTIONS", 300)
    argv = serve_args(app, monkeypatch)
    assert option(argv, "--worker-class") == commands.WORKERS["gevent"]
    assert option(argv, "--worker-connections") == "300"


@pytest.mark.parametrize(
    "args",
    [
        ["--worker-class", "sync"],
        ["--worker-class", "eventlet"],
        ["--threads", "0"],
        ["--threads", "many"],
        ["--connections", "-1"],
    ],
)
def test_serve_refuses_bad_options_without_starting_anything(app, monkeypatch, args):
    calls = []
    monkeypatch.setattr(commands.os, "execv", lambda path, argv: calls.append(argv))
    result = app.test_cli_runner().invoke(args=["serve", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert calls == []


def test_serve_refuses_an_unknown_worker_class_setting(app, monkeypatch):
    calls = []
    monkeypatch.setattr(commands.os, "execv", lambda path, argv: calls.append(argv))
    monkeypatch.setitem(app.config, "SERVER_WORKER_CLASS", "tornado")
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 2
    assert "INKSTAND_SERVER_WORKER_CLASS" in result.output
    assert calls == []


def test_site_set_changes_a_setting_under_the_admin_pages_rules(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["site", "set", "new_account_role", "author"])
    assert result.exit_code == 0, result.output
    assert site.load(db.session).new_account_role == "author"
    assert runner.invoke(args=["site", "set", "registration_open", "no"]).exit_code == 0
    assert site.load(db.session).registration_open is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("new_account_role", "admin", "readers or authors"),
        ("posts_per_page", "many", "whole number"),
        ("posts_per_page", "0", "between"),
        ("registration_open", "perhaps", "yes or no"),
        ("no_such_setting", "1", "No such site setting"),
    ],
)
def test_site_set_refuses_bad_values_without_a_traceback(app, name, value, message):
    result = app.test_cli_runner().invoke(args=["site", "set", name, value])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert site.load(db.session) == site.SiteConfig()


@pytest.mark.parametrize("bind", ["0.0.0.0:8000", "[::]:8000", "192.0.2.7:80"])
def test_serve_on_a_public_address_needs_the_sites_own_address(app, monkeypatch, bind):
    calls = []
    monkeypatch.setattr(commands.os, "execv", lambda path, argv: calls.append(argv))
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", list(http.LOOPBACK_HOSTS))
    result = app.test_cli_runner().invoke(args=["serve", "--bind", bind])
    assert result.exit_code == 1
    assert "INKSTAND_SITE_URL" in result.output
    assert "Traceback" not in result.output
    assert calls == []


@pytest.mark.parametrize(
    ("setting", "value"),
    [("SITE_URL", "https://blog.example.com"), ("TRUSTED_HOSTS", ["blog.example.com"])],
)
def test_serve_on_a_public_address_starts_once_the_site_knows_its_name(
    app, monkeypatch, setting, value
):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", list(http.LOOPBACK_HOSTS))
    monkeypatch.setitem(app.config, setting, value)
    assert "0.0.0.0:8000" in serve_args(app, monkeypatch, "--bind", "0.0.0.0:8000")


@pytest.mark.parametrize("bind", ["127.0.0.1:5000", "localhost:5000", "[::1]:5000"])
def test_serve_on_a_loopback_address_answers_only_loopback_names(app, monkeypatch, bind):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", list(http.LOOPBACK_HOSTS))
    assert bind in serve_args(app, monkeypatch, "--bind", bind)


def test_demo_clear_takes_the_demo_and_keeps_the_site(app, factory):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    refused = runner.invoke(args=["demo", "--clear"])
    assert refused.exit_code == 1
    assert "create-admin" in refused.output
    owner = factory.user("admin", "owner")
    mine = factory.post(owner, "A real post", tags=["databases", "mine"])
    ada = db.session.scalar(select(User).where(User.username == "ada"))
    factory.comment(ada, mine, "A demo writer's comment on a real post")
    favourite(db.session, ada, mine.id)

    result = runner.invoke(args=["demo", "--clear"])

    assert result.exit_code == 0, result.output
    assert "5 demo account(s)" in result.output
    db.session.expire_all()
    assert list(db.session.scalars(select(User.username))) == ["owner"]
    assert list(db.session.scalars(select(Post.title))) == ["A real post"]
    assert db.session.scalar(select(func.count(Comment.id))) == 0
    post = db.session.get(Post, mine.id)
    assert (post.comment_count, post.favourite_count) == (0, 0)
    assert set(db.session.scalars(select(Tag.name))) == {"databases", "mine"}
    assert not (Path(app.instance_path) / "demo-login.txt").exists()
    assert db.session.scalar(select(func.count(Page.id))) == 0
    assert site.load(db.session).menu_items == []


def test_demo_has_pages_in_the_menu_and_clear_keeps_one_another_revised(app, factory):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/about"' in home
    assert 'href="/colophon"' in home
    assert "backends for a living" in client.get("/about").get_data(as_text=True)

    owner = factory.user("admin", "owner")
    about = db.session.scalar(select(Page).where(Page.slug == "about"))
    pages.change_page(
        db.session, owner, about.id, pages.PageChanges(body="Ours now."), now=utcnow(),
        body_limit=100_000, reserved=frozenset(), based_on=about.version,
    )  # fmt: skip
    assert runner.invoke(args=["demo", "--clear"]).exit_code == 0

    db.session.expire_all()
    assert list(db.session.scalars(select(Page.slug))) == ["about"]
    assert [item.url for item in site.load(db.session).menu_items] == ["/about"]
    with app.app_context():  # a new request's settings, not the first one's (kept in g)
        assert 'href="/colophon"' not in client.get("/").get_data(as_text=True)


def test_every_command_records_in_the_audit_log_as_the_command_line(app):
    """What any command does is marked in the audit log as done from the command line,
    except serving and the worker, whose requests and jobs say where they come from."""

    def commands(group, prefix=""):
        for name, command in group.commands.items():
            yield f"{prefix}{name}", command
            if isinstance(command, click.Group):
                yield from commands(command, f"{prefix}{name} ")

    found = {name: getattr(c.callback, "from_the_command_line", False)
             for name, c in commands(app.cli)}  # fmt: skip
    assert found.pop("serve") is found.pop("worker") is False
    assert {"create-admin", "export", "import wordpress", "audit prune"} <= found.keys()
    unmarked = [name for name, marked in found.items() if not marked]
    # Flask-Migrate's and flask-smorest's groups change the schema or print the API.
    assert [n for n in unmarked if n.split()[0] not in ("db", "openapi")] == []


def test_the_db_commands_bind_the_migrations_when_they_run(tmp_path):
    """A server's app has no migrations bound (they load alembic); the db commands
    bind them, options and subcommands as Flask-Migrate has them."""
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "SECRET_KEY": "k"},
        instance_path=str(tmp_path),
    )
    assert "migrate" not in app.extensions
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "-x", "unused=1", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "migrate" in app.extensions
    with app.app_context():
        assert {"posts", "alembic_version"} <= set(inspect(db.engine).get_table_names())
    assert "upgrade" in runner.invoke(args=["db", "--help"]).output
    assert "Perform database migrations." in runner.invoke(args=["--help"]).output


def test_the_db_commands_run_inside_an_app_context_too(tmp_path):
    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}", "SECRET_KEY": "k"},
        instance_path=str(tmp_path),
    )
    with app.app_context():
        result = click.testing.CliRunner().invoke(app.cli, ["db", "upgrade"], obj=None)
        assert result.exit_code == 0, result.output
        assert "alembic_version" in inspect(db.engine).get_table_names()
