"""`inkstand backup`: the live SQLite database and the media folder, in one archive."""

from __future__ import annotations

import sqlite3
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from inkstand import backup
from inkstand.accounts.models import Role
from inkstand.extensions import db
from inkstand.media import context as media_context
from tests.helpers import Factory


def run_backup(app: Flask, folder: Path) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["backup", str(folder)])
    return result.exit_code, result.output


def titles_in(archive: Path, scratch: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        tar.extract(backup.DATABASE_NAME, scratch, filter="data")
    with sqlite3.connect(scratch / backup.DATABASE_NAME) as copy:
        return [title for (title,) in copy.execute("SELECT title FROM posts ORDER BY id")]


def sqlite_only(app: Flask) -> None:
    if db.engine.url.get_backend_name() != "sqlite":
        pytest.skip("backs up SQLite files; PostgreSQL is refused (tested below)")


def test_backup_archives_the_database_and_every_media_file(
    app: Flask, factory: Factory, tmp_path: Path
) -> None:
    sqlite_only(app)
    factory.post(factory.user(Role.AUTHOR), "Kept safe")
    root = media_context.storage().root  # type: ignore[attr-defined]
    (root / "ab").mkdir(parents=True, exist_ok=True)
    (root / "ab" / "cdef.webp").write_bytes(b"image bytes")

    code, output = run_backup(app, tmp_path / "backups")

    assert code == 0, output
    [archive] = (tmp_path / "backups").iterdir()
    assert archive.name.startswith("inkstand-backup-")
    assert archive.name.endswith(".tar.gz")
    assert f"and 1 media files to {archive}" in output
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == [backup.DATABASE_NAME, "media/ab/cdef.webp"]
        media = tar.extractfile("media/ab/cdef.webp")
        assert media is not None
        assert media.read() == b"image bytes"
    assert titles_in(archive, tmp_path) == ["Kept safe"]


def test_backup_copies_what_is_committed_while_a_write_is_in_progress(
    app: Flask, factory: Factory, tmp_path: Path
) -> None:
    sqlite_only(app)
    factory.post(factory.user(Role.AUTHOR), "Committed")
    writer = sqlite3.connect(str(db.engine.url.database), timeout=0)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE posts SET title = 'Half-written'")
        code, output = run_backup(app, tmp_path / "backups")
    finally:
        writer.rollback()
        writer.close()
    assert code == 0, output
    [archive] = (tmp_path / "backups").iterdir()
    assert titles_in(archive, tmp_path) == ["Committed"]


def test_backup_leaves_no_partial_archive_behind(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        backup.make(tmp_path / "missing.sqlite3", None, tmp_path / "out", datetime.now(UTC))
    assert not (tmp_path / "out").exists()


def test_backup_names_each_archive_by_its_time() -> None:
    when = datetime(2026, 12, 7, 10, 48, 5, tzinfo=UTC)
    assert backup.archive_name(when) == "inkstand-backup-20261207T104805Z.tar.gz"


def test_backup_refuses_a_postgresql_site_and_says_what_to_use(app: Flask, tmp_path: Path) -> None:
    if db.engine.url.get_backend_name() != "postgresql":
        pytest.skip("the SQLite case is tested above")
    code, output = run_backup(app, tmp_path)
    assert code != 0
    assert "pg_dump" in output
    assert not list(tmp_path.iterdir())
