"""Checks on uploaded badge images before anything stores them.

Raster images only for now (PNG, JPEG, GIF, WebP); the image pipeline of the public
badge pages (three sizes, SVG sanitising) builds on this.
"""

import hashlib
from io import BytesIO
from pathlib import PurePath

from django.conf import settings
from PIL import Image, UnidentifiedImageError

from core.exceptions import ApplicationError

FORMATS = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp"}


def _fail(message: str):
    raise ApplicationError(message, field_errors={"image": [message]}, code="invalid_image")


def read_badge_image(upload) -> tuple[bytes, str]:
    """Return (bytes, extension) of a valid uploaded badge image, or raise naming the problem."""
    limit = settings.BADGE_IMAGE_MAX_BYTES
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        _fail(f"The image is larger than {limit // 1024} KiB.")
    if not data:
        _fail("The image file is empty.")
    try:
        with Image.open(BytesIO(data)) as img:
            fmt = img.format
            width, height = img.size
            if width * height > settings.BADGE_IMAGE_MAX_PIXELS:
                _fail(f"The image has too many pixels ({width}×{height}).")
            img.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        _fail("The file is not a PNG, JPEG, GIF or WebP image.")
    if fmt not in FORMATS:
        _fail(f"{fmt} images are not accepted; use PNG, JPEG, GIF or WebP.")
    return data, FORMATS[fmt]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_name(original_name: str, ext: str) -> str:
    stem = PurePath(original_name or "badge").stem[:50] or "badge"
    return f"{stem}{ext}"
