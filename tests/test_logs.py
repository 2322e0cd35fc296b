"""Log lines carry the request's id; LOG_FORMAT=json writes one object per line;
the access log leaves out the probes."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask

from inkstand import logs
from tests.helpers import build_app

PROXY_ID = "trace-7f3a9c"


@pytest.fixture
def site(tmp_path: Path) -> Flask:
    app = build_app(tmp_path, f"sqlite:///{tmp_path / 'inkstand.sqlite3'}")

    @app.get("/logs-something")
    def logs_something() -> str:
        logging.getLogger("inkstand.test").warning("something happened")
        return "ok"

    return app


def captured(app: Flask, kind: str) -> tuple[logging.Handler, io.StringIO]:
    """A handler like the one init_app sets up, on the inkstand logger."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter(kind))
    handler.addFilter(logs.add_request_id)
    logging.getLogger("inkstand").addHandler(handler)
    return handler, stream


def test_every_response_carries_a_fresh_request_id(site: Flask) -> None:
    client = site.test_client()
    first, second = (client.get("/logs-something").headers["X-Request-ID"] for _ in range(2))
    assert len(first) == 32
    assert first != second


def test_a_client_cannot_choose_its_request_id_without_a_trusted_proxy(site: Flask) -> None:
    response = site.test_client().get("/", headers={"X-Request-ID": PROXY_ID})
    assert response.headers["X-Request-ID"] != PROXY_ID


@pytest.mark.parametrize("given", [PROXY_ID, "a" * 129, "two words", "semi;colon", ""])
def test_a_trusted_proxys_request_id_is_kept_when_it_is_well_formed(
    site: Flask, given: str
) -> None:
    site.config["PROXY_COUNT"] = 1
    headers = {"X-Request-ID": given, "X-Forwarded-For": "203.0.113.9"}
    answered = site.test_client().get("/", headers=headers).headers["X-Request-ID"]
    assert (answered == given) == (given == PROXY_ID)


def test_text_lines_carry_the_request_id(site: Flask) -> None:
    handler, stream = captured(site, "text")
    try:
        response = site.test_client().get("/logs-something")
    finally:
        logging.getLogger("inkstand").removeHandler(handler)
    line = stream.getvalue().strip()
    assert line.endswith(
        f"WARNING inkstand.test [{response.headers['X-Request-ID']}]: something happened"
    )


def test_json_lines_are_one_object_each_with_the_request_id(site: Flask) -> None:
    handler, stream = captured(site, "json")
    try:
        response = site.test_client().get("/logs-something")
        logging.getLogger("inkstand.test").error('outside "any" request')
    finally:
        logging.getLogger("inkstand").removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == response.headers["X-Request-ID"]
    assert (inside["level"], inside["logger"]) == ("WARNING", "inkstand.test")
    assert inside["message"] == "something happened"
    assert outside["request_id"] == "-"
    assert outside["message"] == 'outside "any" request'


def test_an_unknown_log_format_stops_the_app_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT 'xml': use text or json"):
        build_app(tmp_path, f"sqlite:///{tmp_path / 'db'}", LOG_FORMAT="xml")


def environ(path: str) -> dict[str, Any]:
    return {
        "PATH_INFO": path, "REQUEST_METHOD": "GET", "RAW_URI": path, "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "curl/8", "HTTP_REFERER": "-",
    }  # fmt: skip


def access_lines(kind: type[logs.AccessLog], paths: list[str]) -> list[str]:
    """What gunicorn's access log writes for a GET of each path."""
    stream = io.StringIO()
    logger = object.__new__(kind)
    logger.access_log = logging.getLogger(f"test-access-{kind.__name__}")
    logger.access_log.handlers = [logging.StreamHandler(stream)]
    logger.access_log.propagate = False
    logger.access_log.setLevel(logging.INFO)
    logger.cfg = SimpleNamespace(access_log_format=logs.ACCESS_FORMAT, accesslog="-")
    response = SimpleNamespace(status="200 OK", sent=12, headers=[("X-Request-ID", "abc123")])
    for path in paths:
        logger.access(response, SimpleNamespace(headers=[]), environ(path), timedelta(0, 0, 2500))
    return stream.getvalue().splitlines()


def test_the_access_log_leaves_out_the_probes_and_names_the_request() -> None:
    lines = access_lines(logs.AccessLog, ["/healthz", "/readyz", "/posts/hello"])
    assert len(lines) == 1
    assert '"GET /posts/hello HTTP/1.1" 200 12' in lines[0]
    assert lines[0].endswith("2ms abc123")


def test_the_json_access_log_is_one_object_per_line() -> None:
    [line] = access_lines(logs.JsonAccessLog, ["/readyz", "/posts/hello"])
    entry = json.loads(line)
    assert entry["path"] == "/posts/hello"
    assert (entry["status"], entry["bytes"], entry["ms"]) == (200, 12, 2)
    assert entry["request_id"] == "abc123"
