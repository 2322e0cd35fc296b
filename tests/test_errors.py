"""Errors reach visitors as pages in the site's style, never as tracebacks."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError

from inkstand.blog import reading
from inkstand.site import services as site_services


def test_an_unexpected_error_is_a_styled_500_and_is_logged(client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(reading, "home", broken)
    with caplog.at_level(logging.ERROR, logger="inkstand"):
        response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Server error" in body
    assert "secret internals" not in body
    assert "Traceback" not in body
    assert "secret internals" in caplog.text


def test_a_500_when_even_the_error_page_fails_is_plain_text(client, monkeypatch):
    def database_down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(site_services, "load", database_down)
    response = client.get("/")
    assert response.status_code == 500
    assert response.content_type.startswith("text/plain")
    assert "connection refused" not in response.get_data(as_text=True)


def test_not_found_and_method_not_allowed_are_styled(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert 'class="site-header"' in missing.get_data(as_text=True)
    wrong = client.get("/logout")
    assert wrong.status_code == 405
    assert 'class="site-header"' in wrong.get_data(as_text=True)
