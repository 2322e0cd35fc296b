"""Fixtures of the RealWorld API tests."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.realworld.calls import Api


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    return Api(app, client)
