"""The app's media folder, emptied after each test: fixtures for every test folder
that stores images (tests/media/conftest.py hands them to its own)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from inkstand.media import context
from inkstand.media.storage import FileStorage


@pytest.fixture
def storage(app: Flask) -> Iterator[FileStorage]:
    found = context.storage()
    assert isinstance(found, FileStorage)
    yield found
    shutil.rmtree(found.root, ignore_errors=True)


@pytest.fixture
def files(storage: FileStorage):  # type: ignore[no-untyped-def]
    """The names of the files stored now."""

    def names() -> set[str]:
        root: Path = storage.root
        return {p.name for p in root.iterdir()} if root.exists() else set()

    return names
