"""A badge's image with its assertion baked in: what the public image URL serves and
what an earner's data download holds."""

import json

from django.utils.text import slugify

from assertions import baking, openbadges


def baked_image(assertion) -> tuple[bytes, str, str]:
    """(baked bytes, content type, file name). Raises OSError when the stored image is
    gone, baking.BakingError when it cannot carry the assertion."""
    version = assertion.badge_template_version
    image, is_svg = baking.bakeable_image(version)
    doc = json.dumps(openbadges.assertion_document(assertion), separators=(",", ":"))
    baked = baking.bake(image, doc, openbadges.assertion_url(assertion))
    name = f"{slugify(version.name) or 'badge'}-{assertion.entity_id[:8]}"
    if is_svg:
        return baked, "image/svg+xml", f"{name}.svg"
    return baked, "image/png", f"{name}.png"
