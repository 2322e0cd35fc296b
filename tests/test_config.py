"""Settings: declared once, documented, loaded in order, no secret in code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inkstand import config, create_app
from inkstand.markup import highlight_css

ROOT = Path(__file__).parent.parent


def test_every_setting_is_documented():
    documented = set(re.findall(r"^\| `INKSTAND_([A-Z0-9_]+)` \|", (ROOT / "docs/configuration.md")
                                .read_text(), re.M))  # fmt: skip
    assert documented == {s.name for s in config.SETTINGS}


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("INKSTAND_SECRET_KEY", raising=False)
    first = config.load(tmp_path)["SECRET_KEY"]
    second = config.load(tmp_path)["SECRET_KEY"]
    assert first == second
    assert len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_no_secret_has_a_default():
    assert config.DEFAULTS["SECRET_KEY"] is None
    assert config.DEFAULTS["MAIL_PASSWORD"] == ""


def test_load_order_defaults_instance_file_environment_overrides(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("MAIL_PORT = 2525\nSITE_URL = 'https://file'\n")
    monkeypatch.setenv("INKSTAND_SITE_URL", "https://env")
    monkeypatch.setenv("INKSTAND_MAIL_USE_TLS", "false")
    loaded = config.load(tmp_path, {"LOG_LEVEL": "DEBUG"})
    assert loaded["MAIL_PORT"] == 2525
    assert loaded["SITE_URL"] == "https://env"
    assert loaded["MAIL_USE_TLS"] is False
    assert loaded["LOG_LEVEL"] == "DEBUG"
    assert loaded["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inkstand.sqlite3'}"


def test_bad_number_in_environment_fails_loudly(tmp_path, monkeypatch):
    monkeypatch.setenv("INKSTAND_MAIL_PORT", "lots")
    with pytest.raises(ValueError, match="lots"):
        config.load(tmp_path)


def test_app_uses_redis_for_rate_limits_when_configured(tmp_path):
    app = create_app({"REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "x"},
                     instance_path=str(tmp_path))  # fmt: skip
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_code_stylesheet_is_in_step_with_pygments():
    css = (ROOT / "src/inkstand/static/css/code.css").read_text()
    assert highlight_css() in css
