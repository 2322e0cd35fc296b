"""A real `inkstand serve`: requests gunicorn refuses before the app runs (a request line
or headers too large, a header it cannot read) reach API clients as JSON in their
door's shape, with each worker class."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator

import pytest

from inkstand import serving
from inkstand.api.v1 import problems
from tests.helpers import raw_http, served

LONG = "x" * 9000  # past gunicorn's 4,094 bytes of request line
BIG_HEADER = "y" * 9000  # past its 8,190 bytes of a header field


@pytest.fixture(scope="module", params=["gthread", "gevent"])
def server(request, tmp_path_factory) -> Iterator[tuple[str, int]]:
    with served(tmp_path_factory.mktemp("served"), "--worker-class", request.param) as where:
        yield where


def _get(server, target: str, *headers: str) -> tuple[int, dict[str, str], bytes]:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers, "", ""]
    return raw_http(*server, "\r\n".join(lines).encode())


@pytest.mark.parametrize("path", ["/api/v1/posts", "/api/articles", "/"])
def test_a_request_line_too_long_is_answered_in_json(server, path):
    """No path can be read from such a line: the answer is a problem that also carries the
    RealWorld API's errors.body, read by a client of either API."""
    status, headers, body = _get(server, f"{path}?q={LONG}")
    assert status == 414
    assert headers["content-type"] == problems.MEDIA_TYPE
    document = json.loads(body)
    assert document["status"] == 414
    assert document["type"].startswith(problems.TYPE_BASE)
    assert document["errors"]["body"] == [document["detail"]]


def test_headers_too_large_are_answered_in_json(server):
    status, headers, body = _get(server, "/api/v1/posts", f"X-Big: {BIG_HEADER}")
    assert status == 431
    assert json.loads(body)["errors"]["body"]
    assert headers["content-type"] == problems.MEDIA_TYPE


def test_the_app_still_answers_ordinary_requests(server):
    status, _, body = _get(server, "/api/v1/posts")
    assert status == 200
    assert json.loads(body)["posts"] == []


def test_a_connection_left_idle_past_gunicorns_own_keep_alive_still_takes_a_request(server):
    """gunicorn alone closes a connection idle for 2 s; a proxy in front keeps its own
    idle for up to 60 s and would then send a request on a connection being closed."""
    connection = http.client.HTTPConnection(*server, timeout=10)
    try:
        connection.request("GET", "/api/v1/posts")
        first = connection.getresponse()
        first.read()
        assert first.status == 200
        assert first.getheader("Connection", "").lower() != "close"
        time.sleep(3)
        sock = connection.sock
        connection.request("GET", "/api/v1/posts")
        second = connection.getresponse()
        assert second.status == 200
        assert connection.sock is sock, "the server closed the idle connection"
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "media_type", "shape"),
    [
        ("/api/v1/posts", problems.MEDIA_TYPE, {"type", "title", "status", "detail", "errors"}),
        ("/api/articles", "application/json", {"errors"}),
    ],
)
def test_each_api_gets_its_own_shape_when_the_path_is_known(path, media_type, shape):
    written = serving.answer(path, 400, "The request could not be read.")
    assert written is not None
    head, _, body = written.partition(b"\r\n\r\n")
    assert f"Content-Type: {media_type}".encode() in head
    assert set(json.loads(body)) == shape
    assert serving.answer("/posts/x", 400, "Bad") is None  # the site: gunicorn's own page
    assert serving.answer("/apiary", 400, "Bad") is None
