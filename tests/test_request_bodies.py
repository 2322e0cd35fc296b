"""A request body over the size limit gets its 413 in its door's shape from the real
server (`inkstand serve`: gunicorn), on a keep-alive connection: after it, the same
connection serves the next request, or the 413 said honestly `Connection: close`.
So does any answer that left a request's body unread."""

from __future__ import annotations

import http.client
import select
import socket
from collections.abc import Iterator

import pytest

from tests.helpers import served

HOST = "127.0.0.1"
LIMIT = 64 * 1024  # MAX_CONTENT_LENGTH of the server below


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """`inkstand serve` (gunicorn, gthread) on a database of its own."""
    with served(tmp_path_factory.mktemp("served"), MAX_CONTENT_LENGTH=str(LIMIT)) as (_, chosen):
        yield chosen


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
TOO_LARGE = {
    "site": ("/login", FORM, b"login=" + b"a" * (2 * LIMIT), "text/html"),
    "v1": ("/api/v1/posts", JSON, b'{"title": "' + b"a" * (2 * LIMIT) + b'"}',
           "application/problem+json"),
    "realworld": ("/api/users/login", JSON, b'{"user": {"email": "' + b"a" * (2 * LIMIT) + b'"}}',
                  "application/json"),
}  # fmt: skip


def _next_request_is_served(
    connection: http.client.HTTPConnection, answer: http.client.HTTPResponse
) -> None:
    """The promise the answer made about its connection is kept."""
    if (answer.getheader("Connection") or "").lower() == "close":
        assert answer.will_close
        return
    sock = connection.sock
    connection.request("GET", "/")
    again = connection.getresponse()
    again.read()
    assert again.status == 200
    assert connection.sock is sock, "the connection was not kept"


def _send_as_a_browser_does(
    connection: http.client.HTTPConnection, path: str, headers: dict[str, str], body: bytes
) -> None:
    """POST ``body``, and stop sending it once the server has answered, as browsers and
    careful clients do: a server refuses a body it will not read with its answer, and
    may then end the connection with the rest of the body still coming (it lingers on
    a little of it, never on megabytes), so a client that only writes would meet a
    reset before it read the answer."""
    connection.putrequest("POST", path)
    for name, value in {**headers, "Content-Length": str(len(body))}.items():
        connection.putheader(name, value)
    connection.endheaders()
    for start in range(0, len(body), 16 * 1024):
        if select.select([connection.sock], [], [], 0)[0]:
            return  # answered
        try:
            connection.send(body[start : start + 16 * 1024])
        except (BrokenPipeError, ConnectionResetError):
            return


@pytest.mark.parametrize("door", sorted(TOO_LARGE))
@pytest.mark.parametrize("size", [LIMIT + 1, 2 * LIMIT, 32 * LIMIT])
def test_a_body_over_the_limit_gets_its_413_and_an_honest_connection(port, door, size):
    path, headers, body, kind = TOO_LARGE[door]
    body = body[:size] if size <= len(body) else body + b" " * (size - len(body))
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    connection.request("GET", "/")  # a connection already in use: keep-alive
    connection.getresponse().read()

    _send_as_a_browser_does(connection, path, headers, body)
    answer = connection.getresponse()
    text = answer.read().decode()

    assert answer.status == 413
    assert answer.getheader("Content-Type", "").startswith(kind)
    if door == "v1":
        assert '"status": 413' in text
    elif door == "realworld":
        assert '"errors"' in text
    else:
        assert "too large" in text
    _next_request_is_served(connection, answer)
    connection.close()


def test_a_chunked_body_ends_its_connection_honestly(port):
    """A client streaming a body of unknown length (chunked), as a careful one does: it
    stops sending once the server has answered. The app reads such a body up to the
    limit at most (here, the form then lacks its CSRF token), and the connection ends,
    saying so: the rest is never taken for a request."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        head = (f"POST /login HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Transfer-Encoding: chunked\r\n\r\n")  # fmt: skip
        sock.sendall(head.encode())
        chunk = b"2000\r\n" + b"a" * 0x2000 + b"\r\n"
        for _ in range(8 * LIMIT // 0x2000):
            if select.select([sock], [], [], 0)[0]:
                break  # answered
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert answer.status in {400, 413}
        assert answer.getheader("Content-Type", "").startswith("text/html")
        assert answer.getheader("Connection") == "close"


@pytest.mark.parametrize("size", [10, LIMIT - 100])
def test_an_answer_that_leaves_a_body_unread_keeps_its_promise(port, size):
    """A 401 needs no body: whatever was sent with it, the connection stays honest."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    body = b'{"title": "' + b"a" * size + b'"}'
    connection.request("POST", "/api/v1/posts", body=body, headers=JSON)
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 401
    _next_request_is_served(connection, answer)
    connection.close()
