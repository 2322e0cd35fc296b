"""`inkstand export` and `inkstand import`: the whole site, WordPress and Ghost."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from inkstand.accounts.models import Role, User
from inkstand.db import utcnow
from inkstand.exceptions import Invalid
from inkstand.extensions import db
from inkstand.media import context as media_context
from inkstand.moving import jobs, services
from inkstand.moving.models import ImportRun


@click.command("export")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--full", is_flag=True, help="Keep password hashes and two-factor secrets (a backup)."
)
@with_appcontext
def export_command(target: Path, full: bool) -> None:
    """Export the whole site into TARGET, a zip: accounts, posts with every revision, tags,
    comments, follows, favourites, settings, statistics and images."""
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN.value).limit(1))
    if admin is None:
        raise click.ClickException("This site has no admin account: nothing to export.")
    services.record_export(db.session, admin, full=full)
    with target.open("wb") as out:
        counts = services.export_site(
            db.session, media_context.storage(), admin, out, utcnow(), full=full
        )
    click.echo(f"Exported {sum(counts.values()):,} rows of {len(counts)} tables into {target}.")
    if not full:
        click.echo("Password hashes are not in it: accounts set a new password by mail "
                   "(--full keeps them).")  # fmt: skip


@click.group("import")
def import_group() -> None:
    """Import a site export, a WordPress export or a Ghost export."""


@import_group.command("site")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_site(source: Path) -> None:
    """Restore a site export (`inkstand export`) into this empty site."""
    with source.open("rb") as handle, click.progressbar(length=0, label="Restoring") as bar:
        try:
            restored = services.restore_site(
                db.session, media_context.storage(), handle,
                current_app.config["IMPORT_MAX_UNPACKED_BYTES"], bar.update,
            )  # fmt: skip
        except Invalid as error:
            raise click.ClickException(error.message) from error
    click.echo(f"Restored {sum(restored.rows.values()):,} rows and {restored.files} files.")


def _run(kind: str, source: Path, uploads: Path | None, username: str | None) -> None:
    query = select(User).where(User.role == Role.ADMIN.value).order_by(User.id).limit(1)
    if username:
        query = select(User).where(User.username == username)
    actor = db.session.scalar(query)
    if actor is None or actor.role != Role.ADMIN.value:
        raise click.ClickException("Name an admin account with --as (or create one first).")
    size = source.stat().st_size
    try:
        run = services.start_import(db.session, actor, kind, source.name, size, size)
    except Invalid as error:
        raise click.ClickException(error.message) from error
    with click.progressbar(length=size if kind == "wordpress" else 0, label="Importing") as bar:
        run = services.run_import(
            db.session, run.id, source, jobs.settings(), utcnow, uploads, bar.update
        )
    _print_report(run)


def _print_report(run: ImportRun) -> None:
    report = services.report_of(run)
    for kind, count in sorted(report.get("created", {}).items()):
        click.echo(f"  created {count:>6} {kind}")
    for kind, count in sorted(report.get("already", {}).items()):
        click.echo(f"  already {count:>6} {kind} (imported before)")
    for item in report.get("skipped", []):
        click.echo(f"  skipped {item['kind']} {item['id']} “{item['title']}”: {item['reason']}")
    for kind, what in sorted(report.get("ignored", {}).items()):
        click.echo(f"  ignored {what['count']:>6} {kind}: {what['reason']}")
    for item in report.get("notes", []):
        click.echo(f"  note    {item['kind']} {item['id']} “{item['title']}”: {item['note']}")
    if report.get("error"):
        raise click.ClickException(report["error"])


@import_group.command("wordpress")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--uploads",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The site's wp-content/uploads folder: images the posts show are kept.",
)
@click.option("--as", "username", help="The admin the import is done as (default: the first).")
@with_appcontext
def import_wordpress(source: Path, uploads: Path | None, username: str | None) -> None:
    """Import a WordPress export (Tools → Export, a WXR file)."""
    _run("wordpress", source, uploads, username)


@import_group.command("ghost")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--images",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The site's content/images folder: images the posts show are kept, and featured "
    "images become covers.",
)
@click.option("--as", "username", help="The admin the import is done as (default: the first).")
@with_appcontext
def import_ghost(source: Path, images: Path | None, username: str | None) -> None:
    """Import a Ghost export (Settings → Labs → Export, a JSON file)."""
    _run("ghost", source, images, username)
