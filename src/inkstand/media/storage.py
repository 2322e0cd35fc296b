"""Where media files live: a small interface, and its implementation in a folder.

An object store (S3 and the like) would implement the same five methods; the
services and views only ever speak to ``Storage``."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

# Every name Inkstand stores: a SHA-256 of the bytes, a width for a variant, a type.
NAME = re.compile(r"^[0-9a-f]{64}(?:-[0-9]{1,5})?\.(?:jpg|png|webp|gif)$")


class Storage(Protocol):
    def save(self, name: str, data: bytes) -> None:
        """Keep ``data`` under ``name``, replacing any file of that name whole."""

    def open(self, name: str) -> BinaryIO:
        """The file's bytes for reading. Raises FileNotFoundError."""

    def delete(self, name: str) -> None:
        """Remove the file; a missing file is no error."""

    def exists(self, name: str) -> bool: ...

    def url(self, name: str) -> str:
        """The path the site serves the file under."""


def valid_name(name: str) -> bool:
    return NAME.fullmatch(name) is not None


class FileStorage:
    """Files in one folder (the instance folder's media/, or a volume every app
    process mounts). A file is written beside its final name and renamed into
    place, so a reader sees either no file or all of it."""

    def __init__(self, root: Path, base_url: str = "/media/") -> None:
        self.root = root
        self.base_url = base_url

    def _path(self, name: str) -> Path:
        if not valid_name(name):  # nothing reaches outside the folder
            raise FileNotFoundError(name)
        return self.root / name

    def save(self, name: str, data: bytes) -> None:
        path = self._path(name)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def open(self, name: str) -> BinaryIO:
        return self._path(name).open("rb")

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):  # a name never stored
            self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        try:
            return self._path(name).is_file()
        except FileNotFoundError:
            return False

    def url(self, name: str) -> str:
        return f"{self.base_url}{name}"
