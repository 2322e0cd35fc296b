"""Decoding, cleaning and resizing images with Pillow.

An upload is trusted only once Pillow has decoded every pixel of it; what is
kept is a new file encoded from those pixels alone, so nothing else the upload
carried (EXIF, GPS, ICC profiles, comments, bytes appended after the image)
survives. An animated GIF is kept as its first frame."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from inkstand.exceptions import Invalid


@dataclass(frozen=True)
class Kind:
    format: str  # Pillow's name
    extension: str
    content_type: str


KINDS = {
    "JPEG": Kind("JPEG", "jpg", "image/jpeg"),
    "PNG": Kind("PNG", "png", "image/png"),
    "WEBP": Kind("WEBP", "webp", "image/webp"),
    "GIF": Kind("GIF", "gif", "image/gif"),
}
BY_EXTENSION = {kind.extension: kind for kind in KINDS.values()}
ACCEPTED = "JPEG, PNG, WebP or GIF"


@dataclass(frozen=True)
class Encoded:
    data: bytes
    kind: Kind
    width: int
    height: int


def _refuse(message: str) -> Invalid:
    return Invalid.field("image", message)


def decode(data: bytes, max_pixels: int) -> Image.Image:
    """Every pixel of an accepted image, first frame only. Raises Invalid for
    anything that is not a whole JPEG, PNG, WebP or GIF within ``max_pixels``."""
    with warnings.catch_warnings():
        # Pillow warns past MAX_IMAGE_PIXELS and refuses past twice that; ours is lower.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data), formats=list(KINDS))
            if probe.width * probe.height > max_pixels:
                raise _refuse(f"The image is too large: at most {max_pixels:,} pixels.")
            probe.verify()  # the file's structure, before any pixel is decoded
            image = Image.open(io.BytesIO(data), formats=list(KINDS))
            image.load()  # every pixel of the first frame
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _refuse(f"The image is too large: at most {max_pixels:,} pixels.") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _refuse(f"This file is not an image Inkstand takes ({ACCEPTED}).") from exc
    return image


def _pixels_only(image: Image.Image, kind: Kind) -> tuple[Image.Image, dict[str, object]]:
    """A new image holding the pixels and nothing else, and what saving it needs."""
    options: dict[str, object] = {}
    if kind.format == "GIF":
        source = image if image.mode in {"P", "L"} else image.convert("P")
        if "transparency" in source.info:
            options["transparency"] = source.info["transparency"]
    elif kind.format == "JPEG":
        source = image.convert("RGB")
    else:
        has_alpha = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        source = image.convert("RGBA" if has_alpha else "RGB")
    clean = Image.frombytes(source.mode, source.size, source.tobytes())
    if source.mode == "P":
        palette = source.getpalette()
        if palette is not None:
            clean.putpalette(palette)
    return clean, options


def _encode(image: Image.Image, kind: Kind, options: dict[str, object]) -> bytes:
    out = io.BytesIO()
    if kind.format == "JPEG":
        options = {**options, "quality": 85, "optimize": True}
    elif kind.format == "WEBP":
        options = {**options, "quality": 85}
    image.save(out, format=kind.format, **options)
    return out.getvalue()


def clean(data: bytes, max_pixels: int) -> Encoded:
    """The upload decoded, turned upright by its EXIF orientation, and encoded anew in
    its own format without any metadata. Raises Invalid."""
    image = decode(data, max_pixels)
    kind = KINDS[str(image.format)]
    upright = ImageOps.exif_transpose(image)
    pixels, options = _pixels_only(upright, kind)
    return Encoded(_encode(pixels, kind, options), kind, pixels.width, pixels.height)


def resized(data: bytes, kind: Kind, width: int) -> bytes:
    """A stored (already cleaned) image scaled down to ``width``, in its own format."""
    with Image.open(io.BytesIO(data), formats=[kind.format]) as image:
        image.load()
        height = max(1, round(image.height * width / image.width))
        source = image.convert("RGBA") if image.mode in {"P", "LA", "PA"} else image
        small = source.resize((width, height), Image.Resampling.LANCZOS)
        if kind.format == "JPEG":
            small = small.convert("RGB")
        pixels, options = _pixels_only(small, kind)
        return _encode(pixels, kind, options)


def _png(image: Image.Image) -> bytes:
    pixels, options = _pixels_only(image, KINDS["PNG"])
    return _encode(pixels, KINDS["PNG"], options)


def square_pngs(data: bytes, max_pixels: int, sizes: tuple[int, ...]) -> dict[int, bytes]:
    """An icon at each size: the upload decoded, turned upright, its middle square
    cropped and scaled to ``size`` pixels, as PNG without metadata. Raises Invalid."""
    image = ImageOps.exif_transpose(decode(data, max_pixels)).convert("RGBA")
    side = min(image.width, image.height)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return {size: _png(square.resize((size, size), Image.Resampling.LANCZOS)) for size in sizes}


def fitted_png(data: bytes, max_pixels: int, box: tuple[int, int]) -> Encoded:
    """The upload decoded, turned upright and scaled down (never up) to fit ``box``, as
    PNG without metadata. Raises Invalid."""
    image = ImageOps.exif_transpose(decode(data, max_pixels)).convert("RGBA")
    image.thumbnail(box, Image.Resampling.LANCZOS)
    return Encoded(_png(image), KINDS["PNG"], image.width, image.height)
