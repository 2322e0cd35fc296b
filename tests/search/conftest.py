"""Searching as a service call: the words found for ``text``, by whom."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from inkstand.accounts.models import User
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.search import services

Find = Callable[..., list[str]]


@pytest.fixture
def find() -> Find:
    """The titles ``viewer`` finds for ``text``, best first."""

    def titles(text: str, viewer: User | None = None, **kwargs: object) -> list[str]:
        db.session.expire_all()
        found = services.search(db.session, viewer, text, utcnow(), 50, **kwargs)  # type: ignore[arg-type]
        return [hit.post.title for hit in found.page.items]

    return titles
