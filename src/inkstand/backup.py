"""`inkstand backup`: a consistent copy of a live embedded site in one archive.

The SQLite database is copied by SQLite's online backup API, which reads a
consistent snapshot while the site keeps serving (and writing); the media folder
is copied after it, so every image the copied database names is in the archive
(files are never changed in place: an image's name is its content's hash). On
PostgreSQL the database is pg_dump's to copy; docs/operations.md shows how.
"""

from __future__ import annotations

import sqlite3
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

DATABASE_NAME = "inkstand.sqlite3"
MEDIA_NAME = "media"


def archive_name(now: datetime) -> str:
    return f"inkstand-backup-{now:%Y%m%dT%H%M%SZ}.tar.gz"


def copy_database(source: Path, target: Path) -> None:
    """Copy a live SQLite database with the online backup API."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        writer = sqlite3.connect(target)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    finally:
        reader.close()


def media_files(media: Path | None) -> list[tuple[Path, str]]:
    """Every file of the media folder, with its name in the archive."""
    if media is None or not media.is_dir():
        return []
    return [
        (path, f"{MEDIA_NAME}/{path.relative_to(media)}")
        for path in sorted(media.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    ]


def make(database: Path, media: Path | None, folder: Path, now: datetime) -> tuple[Path, int]:
    """Write the archive into ``folder``: the database, then every file of the media
    folder (if the site keeps its media in one). Returns its path and the number
    of media files."""
    if not database.is_file():
        raise FileNotFoundError(f"no SQLite database at {database}")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / archive_name(now)
    partial = target.with_name(target.name + ".partial")
    files = 0
    with tempfile.TemporaryDirectory() as scratch:
        snapshot = Path(scratch) / DATABASE_NAME
        copy_database(database, snapshot)
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(snapshot, arcname=DATABASE_NAME)
            for path, name in media_files(media):
                try:
                    tar.add(path, arcname=name)
                except FileNotFoundError:  # deleted by the site meanwhile
                    continue
                files += 1
    partial.rename(target)  # a half-written archive never carries the final name
    return target, files
