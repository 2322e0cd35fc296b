"""The inkstand command: create-admin, demo, and the server command line."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from inkstand import commands
from inkstand.accounts.models import Follow, Role, User
from inkstand.blog.models import Favourite, Post, Status
from inkstand.comments.models import Comment
from inkstand.extensions import db
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


def test_serve_runs_gunicorn_with_threaded_workers(app, monkeypatch):
    calls = []
    monkeypatch.setattr(commands.os, "execv", lambda path, args: calls.append(args))
    result = app.test_cli_runner().invoke(
        args=["serve", "--bind", "127.0.0.1:9999", "--workers", "3"]
    )
    assert result.exit_code == 0, result.output
    args = calls[0]
    assert args[args.index("--bind") + 1] == "127.0.0.1:9999"
    assert args[args.index("--workers") + 1] == "3"
    assert args[args.index("--worker-class") + 1] == "gthread"
    assert args[-1] == "inkstand:create_app()"


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
