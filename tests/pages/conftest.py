"""The app's media folder (the icon and logo files), emptied after each test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
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
def files(storage: FileStorage) -> Callable[[], set[str]]:
    """The names of the files stored now."""

    def names() -> set[str]:
        root: Path = storage.root
        return {p.name for p in root.iterdir()} if root.exists() else set()

    return names
