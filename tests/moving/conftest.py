"""What the import tests share: an admin, and a run of a file through the service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inkstand.accounts.models import Role, User
from inkstand.db import utcnow
from inkstand.extensions import db
from inkstand.moving import jobs, services
from inkstand.moving.models import ImportRun


@pytest.fixture
def admin(factory: Any) -> User:
    return factory.user(Role.ADMIN, username="admin")


@pytest.fixture
def run_file(app: Any, admin: User, tmp_path: Path):
    """Import ``data`` as a file of ``kind``; returns the finished run and its report."""

    def run(data: bytes, kind: str = "wordpress", uploads: Path | None = None):
        path = tmp_path / f"export-{kind}"
        path.write_bytes(data)
        started = services.start_import(db.session, admin, kind, path.name, len(data), len(data))
        finished: ImportRun = services.run_import(
            db.session, started.id, path, jobs.settings(), utcnow, uploads
        )
        return finished, services.report_of(finished)

    return run
