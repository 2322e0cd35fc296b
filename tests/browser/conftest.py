"""Fixtures for driving the real app in Debian's Chromium through Playwright.

One live server per session: the app built by ``tests.conftest.build_app`` on a
throwaway SQLite file (migrated by Alembic), served by Werkzeug on a free port of
127.0.0.1 in a daemon thread. Every table is emptied after each test.

The browser is the Chromium named by INKSTAND_TEST_BROWSER (default
/usr/bin/chromium). Without it the tests skip with the reason, except when
INKSTAND_REQUIRE_SERVICES=1 (CI), where a missing browser fails the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

from inkstand.accounts.models import Role, User
from inkstand.extensions import db, limiter
from tests.browser.helpers import OpenPage
from tests.helpers import REQUIRE_SERVICES, Factory, build_app

DEFAULT_BROWSER = "/usr/bin/chromium"
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on its own SQLite file, with no SERVER_NAME so 127.0.0.1:<port> is served."""
    database = tmp_path_factory.mktemp("browser-db") / "inkstand.sqlite3"
    app = build_app(
        tmp_path_factory.mktemp("browser-instance"), f"sqlite:///{database}", SERVER_NAME=None
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app: Flask) -> Iterator[str]:
    """The base URL of the app, served by Werkzeug in a daemon thread."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(autouse=True)
def _empty_database(live_app: Flask) -> Iterator[None]:
    """Each test starts from empty tables and fresh rate limits, like ``app`` does."""
    yield
    with live_app.app_context():
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        limiter.reset()


@pytest.fixture
def author(live_app: Flask) -> User:
    """An author account made through the real services (password: helpers.PASSWORD)."""
    with live_app.app_context():
        return Factory(live_app).user(Role.AUTHOR)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("INKSTAND_TEST_BROWSER", DEFAULT_BROWSER)
    if not Path(executable).is_file():
        message = (
            f"Chromium not found at {executable}: install Debian's chromium or set "
            "INKSTAND_TEST_BROWSER to its path to run the browser tests"
        )
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=BROWSER_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def problems() -> list[str]:
    """Console errors (CSP violations among them) and uncaught errors of every page opened."""
    return []


@pytest.fixture
def open_page(browser: Browser, live_server: str, problems: list[str]) -> Iterator[OpenPage]:
    """Open a page in a fresh browser context (own cookies) on the live server.

    Chromium reports a Content-Security-Policy violation as a console error
    ("Refused to ..."), so the console listener records those too.
    """
    contexts = []

    def record_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error on {message.page and message.page.url}: {message.text}")

    def open_(*, java_script_enabled: bool = True) -> Page:
        context = browser.new_context(base_url=live_server, java_script_enabled=java_script_enabled)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", record_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        return page

    yield open_
    for context in contexts:
        context.close()
