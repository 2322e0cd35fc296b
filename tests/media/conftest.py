"""The app's media folder, emptied after each test (tests/media/folder.py)."""

from tests.media.folder import files, storage

__all__ = ["files", "storage"]
