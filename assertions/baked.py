"""A badge's image with its assertion baked in: what the public image URL serves and
what an earner's data download holds."""

import json
from io import BytesIO

from django.utils.text import slugify
from PIL import Image

from assertions import baking, openbadges


def _legacy_png(data: bytes) -> bytes:
    """Versions made before renditions existed may hold a JPEG, GIF or WebP: only PNG and
    SVG can carry an assertion, so these are converted once (then cached)."""
    with Image.open(BytesIO(data)) as img:
        out = BytesIO()
        img.convert("RGBA").save(out, format="PNG")
    return out.getvalue()


def baked_image(assertion) -> tuple[bytes, str, str]:
    """(baked bytes, content type, file name). Raises OSError when the stored image is
    gone, baking.BakingError when it cannot carry the assertion."""
    version = assertion.badge_template_version
    with version.image.open("rb") as stored:
        image = stored.read()
    is_svg = version.image.name.lower().endswith(".svg")
    if not is_svg and not image.startswith(baking.PNG_SIGNATURE):
        image = _legacy_png(image)
    doc = json.dumps(openbadges.assertion_document(assertion), separators=(",", ":"))
    baked = baking.bake(image, doc, openbadges.assertion_url(assertion))
    name = f"{slugify(version.name) or 'badge'}-{assertion.entity_id[:8]}"
    if is_svg:
        return baked, "image/svg+xml", f"{name}.svg"
    return baked, "image/png", f"{name}.png"
