"""The whole site as one zip and back: every row of every table it holds comes back as it
was (ids included), on SQLite, on PostgreSQL and from one to the other; only an empty site
takes a restore; a hostile archive is refused with its reason and nothing is written."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inkstand.accounts.models import Role, User
from inkstand.blog.models import Post
from inkstand.db import Base, utcnow
from inkstand.exceptions import Forbidden, Invalid
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.moving import archive, services
from inkstand.moving.sections import NOT_EXPORTED, SECTIONS
from tests.helpers import separate_app
from tests.moving.site import dump, empty_site, populate

BIG = 1024 * 1024 * 1024


def _export(full: bool = True) -> bytes:
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN.value).limit(1))
    out = io.BytesIO()
    services.export_site(db.session, media_context.storage(), admin, out, utcnow(), full=full)
    return out.getvalue()


def _restore(data: bytes) -> archive.Restored:
    return services.restore_site(db.session, media_context.storage(), io.BytesIO(data), BIG)


def _media_files() -> dict[str, bytes]:
    root = Path(media_context.storage().root)  # type: ignore[attr-defined]
    return {p.name: p.read_bytes() for p in root.iterdir() if not p.name.startswith(".")}


def _clear_media() -> None:
    for path in Path(media_context.storage().root).iterdir():  # type: ignore[attr-defined]
        path.unlink()


def test_every_table_is_in_a_section_or_left_out_with_a_reason():
    exported = [t for s in SECTIONS for t in s.tables_for(full=True)]
    assert len(exported) == len(set(exported))
    assert set(exported) | set(NOT_EXPORTED) == {t.name for t in Base.metadata.sorted_tables}
    assert not set(exported) & set(NOT_EXPORTED)


def test_a_full_export_restores_every_row_and_file_as_it_was(app, factory):
    populate(factory)
    before, files = dump(), _media_files()
    held = (
        "users",
        "posts",
        "revisions",
        "comments",
        "media",
        "media_uses",
        "media_page_uses",
        "follows",
        "favourites",
        "post_tags",
        "pages",
        "page_revisions",
        "subscribers",
        "newsletter_sends",
    )
    assert all(before[name] for name in held)
    data = _export(full=True)
    empty_site()
    _clear_media()
    restored = _restore(data)
    assert dump() == before
    assert _media_files() == files
    assert restored.rows["posts"] == len(before["posts"])
    # The ids go on after the restored ones, and the restored site works.
    post = factory.post(db.session.get(User, before["users"][2]["id"]), "After the move")
    assert post.id > max(row["id"] for row in before["posts"])


def test_an_archive_made_before_pages_recorded_their_images_gets_them(app, factory):
    populate(factory)
    before = dump()
    assert before["media_page_uses"]
    older = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_export())) as made,
        zipfile.ZipFile(older, "w") as out,
    ):
        for member in made.infolist():
            if member.filename != "tables/media_page_uses.jsonl":
                out.writestr(member, made.read(member))
    empty_site()
    _clear_media()
    restored = _restore(older.getvalue())
    assert "media_page_uses" not in restored.rows
    assert dump() == before


def test_a_plain_export_leaves_out_passwords_and_secrets(app, factory):
    populate(factory)
    before = dump()
    data = _export(full=False)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert "tables/api_tokens.jsonl" not in names
    assert "tables/recovery_codes.jsonl" not in names
    empty_site()
    _restore(data)
    after = dump()
    secret = SECTIONS[0].secret["users"]
    for old, new in zip(before["users"], after["users"], strict=True):
        assert {k: v for k, v in new.items() if k not in secret} == {
            k: v for k, v in old.items() if k not in secret
        }
        assert new["password_hash"] == ""
        assert new["totp_secret"] is None
    for table in ("posts", "revisions", "comments", "tags", "follows", "favourites", "media"):
        assert after[table] == before[table]
    assert after["api_tokens"] == after["invitations"] == []


def test_each_post_is_a_markdown_file_with_front_matter(app, factory):
    populate(factory)
    archive_ = zipfile.ZipFile(io.BytesIO(_export()))
    post = db.session.scalar(select(Post).where(Post.slug == "a-second-title"))
    text = archive_.read(f"posts/{post.id}-a-second-title.md").decode()
    assert text.startswith('---\ntitle: "A second title"\nslug: "a-second-title"\nauthor: "author"')
    assert text.endswith("\n---\n\nEdited by the editor.\n")
    assert f'\ncover: "media/{post.cover_name}"\n' in text
    assert '\ncover_alt: "A \\"café\\" at dawn"\n' in text
    assert '\ncover_caption: "Taken from the bridge."\n' in text
    draft = db.session.scalar(select(Post).where(Post.slug == "a-draft"))
    bare = archive_.read(f"posts/{draft.id}-a-draft.md").decode()
    assert "cover" not in bare.split("\n---\n")[0]
    manifest = json.loads(archive_.read("manifest.json"))
    assert manifest["format"] == "inkstand-site"
    assert manifest["full"] is True


def test_a_restore_from_sqlite_into_postgresql_keeps_every_row(tmp_path, postgres_url):
    with separate_app(tmp_path / "from", f"sqlite:///{tmp_path / 'from.sqlite3'}") as source:
        from tests.helpers import Factory

        populate(Factory(source))
        before, data = dump(), _export()
    with separate_app(tmp_path / "to", postgres_url):
        empty_site()
        _restore(data)
        assert dump() == before


def test_only_an_empty_site_takes_a_restore(app, factory):
    populate(factory)
    data = _export()
    with pytest.raises(Invalid, match="already has accounts"):
        _restore(data)


def test_only_an_admin_exports(app, factory):
    factory.user(Role.ADMIN)
    for role in (Role.READER, Role.AUTHOR, Role.EDITOR):
        with pytest.raises(Forbidden):
            services.export_site(
                db.session, media_context.storage(), factory.user(role), io.BytesIO(), utcnow()
            )
    with pytest.raises(Forbidden):
        services.export_site(db.session, media_context.storage(), None, io.BytesIO(), utcnow())


def _zip(members: dict[str, bytes], *, manifest: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        if manifest:
            z.writestr("manifest.json", json.dumps({"format": "inkstand-site", "version": 1}))
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


HOSTILE = {
    "not a zip": (b"PK\x03\x04 not really", "not a zip archive"),
    "no manifest": (_zip({"tables/users.jsonl": b""}, manifest=False), "no manifest.json"),
    "path traversal": (_zip({"../../etc/passwd": b"x"}), "outside itself"),
    "absolute path": (_zip({"/etc/passwd": b"x"}), "outside itself"),
    "windows path": (_zip({"..\\..\\x": b"x"}), "outside itself"),
    "zip bomb": (_zip({"media/bomb": b"\0" * 20_000_000}), "zip bomb"),
    "unknown table": (_zip({"tables/secrets.jsonl": b"{}\n"}), "a table this Inkstand has not"),
    "a left-out table": (_zip({"tables/ended_sessions.jsonl": b"{}\n"}), "a table this Inkstand"),
    "bad media name": (_zip({"media/../x.png": b"x"}), "outside itself"),
    "odd media name": (_zip({"media/x.html": b"<script>"}), "unknown name"),
    "not json": (_zip({"tables/users.jsonl": b"{not json\n"}), "is not JSON"),
    "unknown column": (
        _zip({"tables/tags.jsonl": b'{"id": 1, "name": "a", "evil": 1}\n'}),
        "columns ['evil']",
    ),
    "wrong type": (_zip({"tables/tags.jsonl": b'{"id": "x", "name": "a"}\n'}), "do not fit"),
    "broken date": (
        _zip({"tables/daily_totals.jsonl": b'{"id": 1, "day": "yesterday"}\n'}),
        "day is not a valid value",
    ),
    "lying digest": (_zip({"media/" + "a" * 64 + ".png": b"not the image"}), "not the file"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_archive_is_refused_and_nothing_is_written(app, name):
    data, reason = HOSTILE[name]
    with pytest.raises(Invalid, match=reason.replace("[", r"\[").replace("]", r"\]")):
        _restore(data)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_an_archive_over_the_unpacked_limit_is_refused(app):
    data = _zip({"tables/tags.jsonl": b'{"id": 1, "name": "a"}\n' * 1000})
    with pytest.raises(Invalid, match="unpacks to more than"):
        services.restore_site(db.session, media_context.storage(), io.BytesIO(data), 10_000)


def test_rows_that_do_not_fit_together_leave_nothing(app):
    rows = b'{"id": 1, "name": "a"}\n{"id": 1, "name": "b"}\n'  # the same id twice
    with pytest.raises(Invalid, match="do not fit"):
        _restore(_zip({"tables/tags.jsonl": rows}))
    from inkstand.blog.models import Tag

    assert db.session.scalar(select(func.count()).select_from(Tag)) == 0
