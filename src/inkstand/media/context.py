"""The app's media storage and upload limits, for views and jobs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, request, url_for
from werkzeug.datastructures import FileStorage as Upload

from inkstand.accounts.models import User
from inkstand.media.services import Limits
from inkstand.media.storage import FileStorage, Storage
from inkstand.templating import absolute_url

# Room a multipart upload needs beside the file itself (boundaries, token, fields).
FORM_ROOM = 64 * 1024


V = TypeVar("V", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    folder = app.config["MEDIA_PATH"] or str(Path(app.instance_path) / "media")
    app.extensions["inkstand.media"] = FileStorage(Path(folder))
    # First of all: the CSRF check reads the body, under the limit in force then.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_uploads)


def takes_upload(view: V) -> V:
    """Mark a view whose form may carry an image (up to MEDIA_MAX_BYTES)."""
    view.takes_upload = True  # type: ignore[attr-defined]
    return view


def _allow_uploads() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method == "POST" and getattr(view, "takes_upload", False):
        allow_upload()


def storage() -> Storage:
    found: Storage = current_app.extensions["inkstand.media"]
    return found


def limits() -> Limits:
    return Limits(current_app.config["MEDIA_MAX_BYTES"], current_app.config["MEDIA_MAX_PIXELS"])


def allow_upload() -> None:
    """Let this request's body hold one image (MEDIA_MAX_BYTES) and its form: call
    before the form is read."""
    request.max_content_length = max(
        current_app.config["MAX_CONTENT_LENGTH"], current_app.config["MEDIA_MAX_BYTES"] + FORM_ROOM
    )


def read(upload: object, limit: int) -> bytes:
    """An uploaded file's bytes, at most ``limit`` and one more (so a service sees it is
    too big without the whole of it in memory); none when ``upload`` is not a file (a
    field sent as text)."""
    if not isinstance(upload, Upload):
        return b""
    return upload.stream.read(limit + 1)


def avatar_src(account: User | None) -> str:
    """The path of the avatar an account uploaded; "" for none. Pages show only these:
    an address given through an API is another site's, which no reader's browser is
    sent to (docs/api.md)."""
    if account is None or not account.avatar_name:
        return ""
    return url_for("media.file", name=account.avatar_name)


def picture_url(account: User | None) -> str:
    """The picture an account shows, as the APIs give it: the absolute URL of its
    uploaded avatar, else the address it gave through an API; "" for none."""
    if account is None:
        return ""
    if account.avatar_name:
        return absolute_url("media.file", name=account.avatar_name)
    return account.image_url
