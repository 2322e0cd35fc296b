"""Background work on uploaded images: their smaller copies."""

from __future__ import annotations

from inkstand import runtime
from inkstand.extensions import db
from inkstand.media import context, services


def queue_variants(media_id: int) -> None:
    """Queue the smaller copies of a new image (after its commit)."""
    runtime.get().jobs.enqueue(f"{__name__}.{make_variants.__name__}", media_id)


def make_variants(media_id: int) -> None:
    """Job: write the missing smaller copies of the image ``media_id``."""
    services.make_variants(db.session, context.storage(), media_id)
