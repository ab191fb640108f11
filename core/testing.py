"""Helpers for tests (and demo data) that need real files."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont


def png_bytes(size: int = 64, color: str = "#2456d6", text: str = "") -> bytes:
    """A round badge of `color`, with `text` (a few letters) centred on it in white."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((2, 2, size - 3, size - 3), fill=color)
    ring = max(2, size // 40)
    inset = size // 12
    draw.ellipse((inset, inset, size - 1 - inset, size - 1 - inset), outline="white", width=ring)
    if text:
        font = ImageFont.load_default(size=max(8, size // (len(text) + 1)))
        draw.text((size / 2, size / 2), text, fill="white", font=font, anchor="mm")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def png_upload(name: str = "badge.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(**kwargs), content_type="image/png")
