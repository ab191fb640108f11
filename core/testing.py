"""Helpers for tests (and demo data) that need real files."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw


def png_bytes(size: int = 64, color: str = "#2456d6", text: str = "") -> bytes:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((2, 2, size - 3, size - 3), fill=color)
    if text:
        draw.text((size // 3, size // 3), text, fill="white")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_upload(name: str = "badge.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")
