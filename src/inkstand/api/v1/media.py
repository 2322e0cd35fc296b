"""Images through the native API: upload, list, read, delete; and your avatar."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from werkzeug.exceptions import UnsupportedMediaType

from inkstand.api.v1 import auth, hooks
from inkstand.api.v1.people import me_row
from inkstand.api.v1.schemas import (
    MediaListSchema,
    MediaSchema,
    MeSchema,
    PageQuerySchema,
    UploadSchema,
    media_row,
)
from inkstand.extensions import db
from inkstand.media import context, jobs, services

bp = hooks.ApiBlueprint("media", __name__, url_prefix="/api/v1", description="Images.")
MULTIPART = "Send the image as multipart/form-data, in the field 'image'."


def _image(args: dict[str, Any]) -> bytes:
    """The uploaded file's bytes (at most the limit and one more)."""
    return context.read(args["image"], context.limits().max_bytes)


def _multipart_only() -> None:
    """An upload is a form: a JSON or raw body is refused before anything is read."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(MULTIPART)


def _no_content() -> Response:
    done = Response(status=204)
    del done.headers["Content-Type"]
    return done


@bp.route("/media", methods=["GET"])
@bp.arguments(PageQuerySchema, location="query")
@bp.response(200, MediaListSchema, headers=hooks.LINK_HEADER)
def index(args: dict[str, Any]) -> Any:
    """List your images, newest first

    An author's own images; every account's for editors and admins. Each names the
    posts and the pages that use it. Needs a token of an author, editor or admin.
    """
    user, _ = auth.caller("Listing images")
    page = services.library(db.session, user, args["limit"], before=args.get("cursor"))
    rows = [media_row(item) for item in page.items]
    return {"media": rows, "next_cursor": page.older}, hooks.next_link(page.older)


@bp.route("/media", methods=["POST"])
@context.takes_upload
@bp.arguments(UploadSchema, location="files")
@bp.response(201, MediaSchema)
@bp.alt_response(413, description="The body is larger than an image may be.")
@bp.alt_response(415, description=MULTIPART)
def upload(args: dict[str, Any]) -> Any:
    """Upload an image

    As `multipart/form-data` with the file in the field `image`. It is judged by
    decoding (JPEG, PNG, WebP or GIF; never by its name or declared type), within the
    site's byte and pixel limits, and stored cleaned of metadata under the SHA-256 of
    its bytes: the same image again answers the image already kept. Anything else is a
    422 problem naming the field `image`, and nothing is kept. Needs a read-write token
    of an author, editor or admin.
    """
    uploaded = services.upload(
        db.session, context.storage(), auth.writer(), _image(args), context.limits(),
        jobs.queue_variants,
    )  # fmt: skip
    return media_row(services.get_with_uses(db.session, uploaded.id))


@bp.before_request
def _uploads_are_forms() -> None:
    if request.method == "POST" and request.endpoint in {
        "api_v1_media.upload", "api_v1_media.upload_avatar",
    }:  # fmt: skip
        _multipart_only()


@bp.route("/media/<int:media_id>", methods=["GET"])
@bp.response(200, MediaSchema)
def show(media_id: int) -> Any:
    """Read an image

    One you manage (an author her own; editors and admins any), else 404.
    """
    user, _ = auth.caller("Reading an image")
    return media_row(
        services.get_with_uses(db.session, services.get(db.session, user, media_id).id)
    )


@bp.route("/media/<int:media_id>", methods=["DELETE"])
@bp.response(204)
def delete(media_id: int) -> Any:
    """Delete an image

    Refused (422, naming them) while a post shows it in its body or as its cover, or a
    page in its body, or while it is its owner's avatar. Its files go with the last
    account holding them.
    """
    services.delete_media(db.session, context.storage(), auth.writer(), media_id)
    return _no_content()


@bp.route("/me/avatar", methods=["POST"])
@context.takes_upload
@bp.arguments(UploadSchema, location="files")
@bp.response(200, MeSchema)
@bp.alt_response(413, description="The body is larger than an image may be.")
@bp.alt_response(415, description=MULTIPART)
def upload_avatar(args: dict[str, Any]) -> Any:
    """Upload your avatar

    As `multipart/form-data` in the field `image`, judged as any upload. Any account
    may have one. It replaces an `image_url` given before (one picture at a time), and
    shows as `avatar_url` here, as `image` in the RealWorld API, and beside your name on
    the site. Needs a read-write token.
    """
    user = auth.writer()
    services.set_avatar(
        db.session, context.storage(), user, _image(args), context.limits(), jobs.queue_variants
    )
    return me_row(*auth.caller())


@bp.route("/me/avatar", methods=["DELETE"])
@bp.response(200, MeSchema)
def remove_avatar() -> Any:
    """Remove your avatar

    The site shows your initial instead; `image_url` is cleared too. The image stays
    among your images. Needs a read-write token.
    """
    services.remove_avatar(db.session, auth.writer())
    return me_row(*auth.caller())
