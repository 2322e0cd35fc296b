"""The whole site as one zip, and back: every section's tables as JSON Lines (one row a
line, ids included), each post as Markdown with front matter, and the media files.

A restore goes into an empty site only, in one transaction: the zip is checked whole
first (names, sizes, what it unpacks to), then every row is written, the id sequences
moved past the ids written, the search index rebuilt and the planner's statistics
refreshed; a refused or broken archive leaves nothing written.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import IO, Any

from sqlalchemy import Connection, Integer, Table, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.types import TypeDecorator

from inkstand.accounts.models import User
from inkstand.db import Base, DbSession
from inkstand.exceptions import Invalid
from inkstand.media.storage import Storage, valid_name
from inkstand.moving import sections as catalogue
from inkstand.moving.sections import SECTIONS, Section
from inkstand.search import index as search_index

FORMAT = "inkstand-site"
VERSION = 1
MANIFEST = "manifest.json"
BATCH = 500
MAX_ENTRIES = 1_000_000
MAX_RATIO = 200  # a member unpacking to more than 200 times its packed size is a bomb
_TABLE_FILE = re.compile(r"^tables/([a-z_]{1,64})\.jsonl$")
_MEDIA_FILE = re.compile(r"^media/([^/]+)$")


@dataclass(frozen=True)
class Restored:
    """What a restore wrote: rows per table, and files."""

    rows: dict[str, int]
    files: int


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(conn: Connection, table: Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=BATCH).execute(select(table).order_by(*order))
    for row in result.mappings():
        yield dict(row)


def tables_by_name() -> dict[str, Table]:
    return {table.name: table for table in Base.metadata.sorted_tables}


def _front_matter(post: dict[str, Any], author: str) -> str:
    """A post as Markdown with front matter; each value written as JSON, which YAML reads
    as the same value, so no title can break out of its field. The cover (its file in
    the archive), its description and caption are written when set."""
    fields = {
        "title": post["title"], "slug": post["slug"], "author": author,
        "status": post["status"], "tags": [t for t in post["tag_names"].split(",") if t],
        "excerpt": post["excerpt_source"], "published_at": _encode(post["published_at"]),
        "created_at": _encode(post["created_at"]), "updated_at": _encode(post["updated_at"]),
    }  # fmt: skip
    covered = {
        "cover": f"media/{post['cover_name']}" if post["cover_name"] else "",
        "cover_alt": post["cover_alt"], "cover_caption": post["cover_caption"],
    }  # fmt: skip
    fields.update({name: value for name, value in covered.items() if value})
    head = "\n".join(
        f"{name}: {json.dumps(value, ensure_ascii=False)}" for name, value in fields.items()
    )
    return f"---\n{head}\n---\n\n{post['body_source']}\n"


def _write_table(
    conn: Connection, archive: zipfile.ZipFile, table: Table, blank: dict[str, Any]
) -> int:
    count = 0
    with archive.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as out:
        for row in _rows(conn, table):
            row.update(blank)
            line = json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False)
            out.write(line.encode() + b"\n")
            count += 1
    return count


def _write_posts(conn: Connection, archive: zipfile.ZipFile) -> None:
    posts = tables_by_name()["posts"]
    names = dict(conn.execute(select(User.id, User.username)).all())
    for post in _rows(conn, posts):
        name = f"posts/{post['id']}-{post['slug']}.md"
        archive.writestr(name, _front_matter(post, names.get(post["author_id"], "")))


def export(
    session: DbSession, storage: Storage, out: IO[bytes], now: datetime, *, full: bool = False,
    sections: tuple[Section, ...] = SECTIONS,
) -> dict[str, int]:  # fmt: skip
    """Write the whole site as a zip into ``out``; ``full`` keeps password hashes and
    two-factor secrets (a backup), otherwise accounts reset their passwords by mail.
    Returns the rows written per table. The caller checks who may."""
    conn = session.connection()
    tables = tables_by_name()
    counts: dict[str, int] = {}
    files: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in sections:
            for name in section.tables_for(full):
                blank = {} if full else dict(section.secret.get(name, {}))
                counts[name] = _write_table(conn, archive, tables[name], blank)
            if section.files is not None:
                for file_name in section.files(conn):
                    if storage.exists(file_name):
                        with storage.open(file_name) as handle:
                            archive.writestr(f"media/{file_name}", handle.read())
                        files.append(file_name)
        _write_posts(conn, archive)
        manifest = {
            "format": FORMAT, "version": VERSION, "exported_at": now.isoformat(), "full": full,
            "sections": [s.name for s in sections], "tables": counts, "files": len(files),
        }  # fmt: skip
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    session.rollback()  # end the read
    return counts


# Reading an archive back.


def _refuse(message: str) -> Invalid:
    return Invalid.field("archive", message)


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        bool(name)
        and "\\" not in name
        and "\x00" not in name
        and not path.is_absolute()
        and ".." not in path.parts
        and not re.match(r"^[A-Za-z]:", name)
    )


def check(archive: zipfile.ZipFile, max_unpacked: int) -> dict[str, Any]:
    """The archive's manifest, after every member is checked: safe names, no more than
    ``max_unpacked`` bytes unpacked, no member that unpacks far beyond its size (a zip
    bomb). Raises Invalid with the reason."""
    members = archive.infolist()
    if len(members) > MAX_ENTRIES:
        raise _refuse(f"The archive holds more than {MAX_ENTRIES:,} files.")
    total = 0
    for member in members:
        if not _safe_name(member.filename):
            raise _refuse(f"The archive names a file outside itself: {member.filename[:200]!r}.")
        total += member.file_size
        if total > max_unpacked:
            raise _refuse(f"The archive unpacks to more than {max_unpacked:,} bytes.")
        if member.file_size > MAX_RATIO * max(member.compress_size, 1) + 1024:
            raise _refuse(f"{member.filename[:200]} unpacks to {member.file_size:,} bytes from "
                          f"{member.compress_size:,}: refused as a zip bomb.")  # fmt: skip
    try:
        manifest = json.loads(_read(archive, MANIFEST, 1024 * 1024))
    except KeyError as exc:
        raise _refuse("This is not an Inkstand site export: it has no manifest.json.") from exc
    except ValueError as exc:
        raise _refuse("The archive's manifest.json is not JSON.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refuse("This is not an Inkstand site export.")
    if manifest.get("version") != VERSION:
        raise _refuse(f"This export is of version {manifest.get('version')!r}; "
                      f"this Inkstand reads version {VERSION}.")  # fmt: skip
    return manifest


def _read(archive: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """A member's bytes, refusing one that unpacks past ``limit`` whatever its header says."""
    with archive.open(name) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise _refuse(f"{name} is larger than it says.")
    return data


def _lines(archive: zipfile.ZipFile, name: str, limit: int) -> Iterator[tuple[int, str]]:
    read = 0
    with archive.open(name) as member:
        for number, raw in enumerate(member, start=1):
            read += len(raw)
            if read > limit:
                raise _refuse(f"{name} is larger than it says.")
            if raw.strip():
                yield number, raw.decode("utf-8")


def _decoder(table: Table) -> Callable[[str, Any], Any]:
    """Reads a column's JSON value back: times and days from ISO text."""
    kinds: dict[str, Any] = {}
    for column in table.columns:
        kind: Any = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        try:
            kinds[column.name] = kind.python_type
        except NotImplementedError:
            kinds[column.name] = None

    def decode(column: str, value: Any) -> Any:
        kind = kinds[column]
        if value is None:
            return None
        if kind is datetime:
            return datetime.fromisoformat(value)
        if kind is date:
            return date.fromisoformat(value)
        return value

    return decode


def _row(table: Table, line: str, where: str) -> dict[str, Any]:
    try:
        data = json.loads(line)
    except ValueError as exc:
        raise _refuse(f"{where} is not JSON.") from exc
    if not isinstance(data, dict):
        raise _refuse(f"{where} is not a row.")
    unknown = set(data) - set(table.columns.keys())
    if unknown:
        raise _refuse(f"{where} has columns {sorted(unknown)} that {table.name} has not.")
    decode = _decoder(table)
    row: dict[str, Any] = {}
    for column in table.columns:
        if column.name in data:
            try:
                row[column.name] = decode(column.name, data[column.name])
            except (TypeError, ValueError) as exc:
                raise _refuse(f"{where}: {column.name} is not a valid value.") from exc
        elif column.default is not None and getattr(column.default, "is_scalar", False):
            row[column.name] = column.default.arg  # type: ignore[attr-defined]
        elif column.nullable:
            row[column.name] = None
        else:
            raise _refuse(f"{where} has no {column.name}.")
    return row


def _is_empty(session: DbSession) -> bool:
    return session.scalar(select(func.count()).select_from(User)) == 0


def _move_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: each id sequence past the highest id written (SQLite's AUTOINCREMENT
    follows the ids inserted by itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer) or keys[0].name != "id":
            continue
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name})
        if sequence is None:
            continue
        highest = conn.scalar(select(func.max(keys[0])))
        conn.execute(
            text("SELECT setval(CAST(:s AS regclass), :v, :called)"),
            {"s": sequence, "v": highest or 1, "called": highest is not None},
        )


def analyze(conn: Connection) -> None:
    """Refresh the planner's statistics after a bulk write (PostgreSQL and SQLite)."""
    conn.execute(text("ANALYZE"))


def restore(
    session: DbSession, storage: Storage, source: IO[bytes], max_unpacked: int,
    progress: Callable[[int], None] | None = None,
) -> Restored:  # fmt: skip
    """Restore a site export into this empty site. Raises Invalid (with the reason) for a
    site that is not empty or an archive that is refused or broken; nothing is then
    written. The caller checks who may."""
    if not _is_empty(session):
        raise _refuse(
            "This site already has accounts: a site export is restored only into an empty "
            "site (a new database after `inkstand db upgrade`)."
        )
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse("This file is not a zip archive.") from exc
    with archive:
        check(archive, max_unpacked)
        known = tables_by_name()
        present = {}
        for name in archive.namelist():
            found = _TABLE_FILE.match(name)
            if found:
                if found.group(1) not in known or found.group(1) in catalogue.NOT_EXPORTED:
                    raise _refuse(f"The archive holds a table this Inkstand has not: {name}.")
                present[found.group(1)] = name
        media = [m.group(1) for n in archive.namelist() if (m := _MEDIA_FILE.match(n))]
        bad = [n for n in media if not valid_name(n)]
        if bad:
            raise _refuse(f"The archive holds a media file of an unknown name: {bad[0][:200]!r}.")
        counts: dict[str, int] = {}
        conn = session.connection()
        written: list[Table] = []
        try:
            conn.execute(known["site_settings"].delete())  # an empty site's defaults
            for table in Base.metadata.sorted_tables:
                if table.name not in present:
                    continue
                counts[table.name] = _restore_table(
                    conn, archive, table, present[table.name], max_unpacked
                )
                written.append(table)
                if progress is not None:
                    progress(counts[table.name])
            for section in SECTIONS:  # what an archive made before some table lacks
                for name, rebuild in section.rebuilt.items():
                    if name not in present:
                        rebuild(session)
            _move_sequences(conn, written)
            search_index.rebuild(conn)
            analyze(conn)
            files = _restore_files(archive, storage, media, max_unpacked)
            session.commit()
        except (IntegrityError, DBAPIError) as exc:
            session.rollback()
            raise _refuse(
                f"The archive's rows do not fit together: {exc.orig}".strip()[:500]
            ) from exc
        except BaseException:
            session.rollback()
            raise
    return Restored(counts, files)


def _restore_table(
    conn: Connection, archive: zipfile.ZipFile, table: Table, name: str, limit: int
) -> int:
    batch: list[dict[str, Any]] = []
    count = 0
    for number, line in _lines(archive, name, limit):
        batch.append(_row(table, line, f"{name} line {number}"))
        if len(batch) >= BATCH:
            conn.execute(table.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _restore_files(archive: zipfile.ZipFile, storage: Storage, names: list[str], limit: int) -> int:
    """The media files, each original checked against the digest it is named by."""
    for file_name in names:
        data = _read(archive, f"media/{file_name}", limit)
        digest = file_name.split(".")[0]
        if "-" not in digest and hashlib.sha256(data).hexdigest() != digest:
            raise _refuse(f"media/{file_name} is not the file its name promises.")
    for file_name in names:
        if not storage.exists(file_name):
            storage.save(file_name, _read(archive, f"media/{file_name}", limit))
    return len(names)
