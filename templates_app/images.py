"""Badge images: checks on uploads, SVG sanitising, and the three renditions.

An upload is a raster image (PNG, JPEG, GIF, WebP) or an SVG. Nothing is stored before
`read_badge_image` accepted it. A template version then gets, once, the three sizes the
Open Badge API names (`image_path`, `image_high_path`, `image_thumbnail_path`):

- raster uploads: three PNGs drawn with Pillow, fitted into 400, 1024 and 96 pixels (never
  enlarged: enlarging adds no detail). PNG because Open Badges images are PNG or SVG and
  only those can be baked; re-encoding also drops whatever chunks the upload carried
  (an upload that was itself a baked badge would otherwise carry someone's assertion).
- SVG uploads: the standard image stays the sanitised SVG (it scales to any size and is
  baked as SVG); the high-resolution and thumbnail renditions are PNGs drawn by resvg
  (PyPI `resvg-py`, a self-contained wheel: no system library), for places that cannot
  show SVG (e-mail clients, social networks' link previews).
"""

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from django.conf import settings
from PIL import Image, UnidentifiedImageError

from core.exceptions import ApplicationError

FORMATS = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif", "WEBP": ".webp"}
SVG_EXT = ".svg"

# Longest side of each rendition, in pixels.
STANDARD_SIZE = 400
HIGH_SIZE = 1024
THUMBNAIL_SIZE = 96


def _fail(message: str):
    raise ApplicationError(message, field_errors={"image": [message]}, code="invalid_image")


def read_badge_image(upload) -> tuple[bytes, str]:
    """Return (bytes, extension) of a valid uploaded badge image, or raise naming the problem.

    SVG comes back sanitised (see `sanitize_svg`), so what is stored is what was checked.
    """
    limit = settings.BADGE_IMAGE_MAX_BYTES
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        _fail(f"The image is larger than {limit // 1024} KiB.")
    if not data:
        _fail("The image file is empty.")
    if looks_like_svg(data):
        svg = sanitize_svg(data)
        # Drawing it once now turns an SVG that cannot be drawn into a clear refusal
        # instead of a version without renditions.
        render_svg_png(svg, THUMBNAIL_SIZE)
        return svg, SVG_EXT
    fmt = _check_raster(data, "The file is not a PNG, JPEG, GIF, WebP or SVG image.")
    if fmt not in FORMATS:
        _fail(f"{fmt} images are not accepted; use PNG, JPEG, GIF, WebP or SVG.")
    return data, FORMATS[fmt]


def _check_raster(data: bytes, unreadable: str) -> str:
    """The Pillow format name of a raster image within the pixel limit, or raise."""
    try:
        with Image.open(BytesIO(data)) as img:
            fmt = img.format
            width, height = img.size
            if width * height > settings.BADGE_IMAGE_MAX_PIXELS:
                _fail(f"The image has too many pixels ({width}×{height}).")
            img.verify()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        _fail(unreadable)
    return fmt


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_name(original_name: str, ext: str) -> str:
    stem = PurePath(original_name or "badge").stem[:50] or "badge"
    return f"{stem}{ext}"


# --- renditions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Renditions:
    image: bytes  # the standard image: PNG, or the sanitised SVG
    image_ext: str  # ".png" or ".svg"
    high: bytes  # PNG
    thumbnail: bytes  # PNG


def make_renditions(data: bytes, ext: str) -> Renditions:
    """The three sizes of an image `read_badge_image` accepted."""
    if ext == SVG_EXT:
        return Renditions(
            image=data,
            image_ext=SVG_EXT,
            high=render_svg_png(data, HIGH_SIZE),
            thumbnail=render_svg_png(data, THUMBNAIL_SIZE),
        )
    with Image.open(BytesIO(data)) as img:
        img.seek(0)  # the first frame of an animation
        source = img.convert("RGBA" if _has_alpha(img) else "RGB")
        icc = img.info.get("icc_profile")
    return Renditions(
        image=_fitted_png(source, STANDARD_SIZE, icc),
        image_ext=".png",
        high=_fitted_png(source, HIGH_SIZE, icc),
        thumbnail=_fitted_png(source, THUMBNAIL_SIZE, icc),
    )


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info


def _fitted_png(source: Image.Image, size: int, icc: bytes | None) -> bytes:
    img = source.copy()
    img.thumbnail((size, size), Image.Resampling.LANCZOS)  # keeps the aspect, never enlarges
    out = BytesIO()
    # Only the pixels (and the colour profile they need) are written: no text chunks.
    options = {"icc_profile": icc} if icc else {}
    img.save(out, format="PNG", **options)
    return out.getvalue()


# resvg's own defaults (Times New Roman, Arial...) are missing on Linux servers, and then
# it draws no text at all; with every generic family mapped to DejaVu (Debian's
# fonts-dejavu-core) any font-family falls back to a font that exists.
SVG_FONTS = {
    "font_family": "DejaVu Sans",
    "serif_family": "DejaVu Serif",
    "sans_serif_family": "DejaVu Sans",
    "monospace_family": "DejaVu Sans Mono",
    "cursive_family": "DejaVu Sans",
    "fantasy_family": "DejaVu Sans",
}


def render_svg_png(svg: bytes, size: int) -> bytes:
    """Draw a sanitised SVG as a PNG fitted into size×size (aspect kept)."""
    import resvg_py

    try:
        # Both sides given: resvg fits the drawing into the box. Never call it without a
        # size: it would allocate the SVG's own declared canvas, however large.
        return bytes(
            resvg_py.svg_to_bytes(
                svg_string=svg.decode("utf-8"), width=size, height=size, **SVG_FONTS
            )
        )
    except (ValueError, UnicodeDecodeError) as exc:
        _fail(f"The SVG image could not be drawn ({exc}).")


# --- SVG sanitising ------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Serialised as <svg xmlns="..."> and xlink:href, as SVG tools expect (ElementTree's
# default_namespace option refuses the plain attribute names SVG uses).
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

MAX_SVG_ELEMENTS = 5000
# What <use> elements may copy in total (each copies its target's subtree).
MAX_SVG_USE_EXPANSION = 20000
MAX_TURBULENCE_OCTAVES = 8


# Drawing, structure, paint servers and the filter primitives whose cost is bounded by
# the canvas. Not here, so dropped with their content: script, foreignObject, animation
# (set, animate*), a, switch, iframe-likes, feImage and feTile (references), and
# feConvolveMatrix / feMorphology (cost grows with an attribute, not the canvas).
def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


SVG_ELEMENTS = _names(
    """svg g defs title desc metadata symbol use path rect circle ellipse line polyline
    polygon text tspan textPath linearGradient radialGradient stop clipPath mask pattern
    marker image style filter feBlend feColorMatrix feComponentTransfer feFuncR feFuncG
    feFuncB feFuncA feComposite feDiffuseLighting feSpecularLighting feDistantLight
    fePointLight feSpotLight feDisplacementMap feDropShadow feFlood feGaussianBlur feMerge
    feMergeNode feOffset feTurbulence"""
)
SVG_ATTRIBUTES = _names(
    """id class style transform x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d
    points pathLength viewBox preserveAspectRatio version offset gradientUnits
    gradientTransform spreadMethod patternUnits patternContentUnits patternTransform
    clipPathUnits maskUnits maskContentUnits markerUnits markerWidth markerHeight refX refY
    orient dx dy rotate textLength lengthAdjust startOffset method spacing side filterUnits
    primitiveUnits in in2 result stdDeviation edgeMode mode operator k1 k2 k3 k4 values type
    tableValues slope intercept amplitude exponent surfaceScale specularConstant
    specularExponent diffuseConstant kernelUnitLength azimuth elevation pointsAtX pointsAtY
    pointsAtZ limitingConeAngle z scale xChannelSelector yChannelSelector baseFrequency
    numOctaves seed stitchTiles href fill fill-opacity fill-rule stroke stroke-width
    stroke-opacity stroke-linecap stroke-linejoin stroke-miterlimit stroke-dasharray
    stroke-dashoffset opacity color display visibility clip-path clip-rule mask filter
    marker-start marker-mid marker-end stop-color stop-opacity flood-color flood-opacity
    lighting-color font font-family font-size font-weight font-style font-variant
    font-stretch text-anchor dominant-baseline alignment-baseline baseline-shift
    letter-spacing word-spacing text-decoration writing-mode direction unicode-bidi
    paint-order vector-effect mix-blend-mode isolation shape-rendering text-rendering
    image-rendering color-interpolation color-interpolation-filters overflow
    transform-origin"""
)
# Only same-document references and embedded raster images; never a fetch.
DATA_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|jpg|gif|webp);base64,(.*)$", re.I | re.S)
CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)
CSS_IMPORT_RE = re.compile(r"@import[^;]*;?", re.I)
UNITS_PX = {
    "": 1.0,
    "px": 1.0,
    "pt": 4 / 3,
    "pc": 16.0,
    "mm": 96 / 25.4,
    "cm": 96 / 2.54,
    "in": 96.0,
}
LENGTH_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-z]*)\s*$", re.I)


def looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<svg" in head


def sanitize_svg(data: bytes) -> bytes:
    """Return a copy of the SVG with only whitelisted elements and attributes.

    Scripts, event handlers, foreignObject, animations and every reference to something
    outside the document (href other than `#fragment` or an embedded raster image, CSS
    `url()` and `@import`) are removed. DTDs and entities are refused outright by
    defusedxml (billion laughs, external entities). The drawing is bounded: element
    count, what `<use>` copies, the declared canvas and embedded images' pixel counts.
    """
    try:
        root = safe_fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        _fail("SVG images with a DTD or entities are not accepted.")
    except ET.ParseError as exc:
        _fail(f"The SVG image is not well-formed XML ({exc}).")
    if root.tag != f"{{{SVG_NS}}}svg":
        _fail("The file is not an SVG image (its root element is not <svg>).")
    if sum(1 for _ in root.iter()) > MAX_SVG_ELEMENTS:
        _fail(f"The SVG image has more than {MAX_SVG_ELEMENTS} elements.")
    clean = _clean_element(root)
    _check_declared_size(clean)
    _check_use_expansion(clean)
    return ET.tostring(clean, encoding="unicode").encode("utf-8")


def _local(tag: str) -> str | None:
    """The local name of an SVG element (None for other namespaces and comments)."""
    if not isinstance(tag, str) or not tag.startswith(f"{{{SVG_NS}}}"):
        return None
    return tag[len(SVG_NS) + 2 :]


def _clean_element(element: ET.Element) -> ET.Element:
    name = _local(element.tag)
    clean = ET.Element(element.tag)
    for key, value in element.attrib.items():
        kept = _clean_attribute(name, key, value)
        if kept is not None:
            clean.set(*kept)
    if name == "style":
        clean.text = _clean_css(element.text or "")
        return clean
    clean.text = element.text
    for child in element:
        if _local(child.tag) in SVG_ELEMENTS:
            kept = _clean_element(child)
            kept.tail = child.tail
            clean.append(kept)
    return clean


def _clean_attribute(element: str, key: str, value: str) -> tuple[str, str] | None:
    if key in (f"{{{XLINK_NS}}}href", "href"):
        return (key, value) if _allowed_reference(value) else None
    if key == f"{{{XML_NS}}}space":
        return key, value
    if key not in SVG_ATTRIBUTES:  # event handlers (on*), other namespaces, unknown names
        return None
    if key == "style":
        return key, _clean_css(value)
    if "url(" in value.lower() and not _css_urls_local(value):
        return None
    if "javascript:" in value.lower():
        return None
    if key == "numOctaves" and element == "feTurbulence":
        try:
            octaves = int(float(value))
        except ValueError:
            return None
        return key, str(max(0, min(octaves, MAX_TURBULENCE_OCTAVES)))
    return key, value


def _allowed_reference(value: str) -> bool:
    value = value.strip()
    if value.startswith("#"):
        return True
    match = DATA_IMAGE_RE.match(value)
    if not match:
        return False
    try:
        payload = base64.b64decode(re.sub(r"\s+", "", match.group(2)), validate=True)
    except (binascii.Error, ValueError):
        return False
    _check_raster(payload, "An image embedded in the SVG is not a readable raster image.")
    return True


def _css_urls_local(css: str) -> bool:
    return all(m.group(2).strip().startswith("#") for m in CSS_URL_RE.finditer(css))


def _clean_css(css: str) -> str:
    css = CSS_IMPORT_RE.sub("", css)
    css = CSS_URL_RE.sub(
        lambda m: m.group(0) if m.group(2).strip().startswith("#") else "none", css
    )
    return re.sub(r"(?i)(javascript:|expression\s*\()", "", css)


def _length_px(value: str | None) -> float | None:
    match = LENGTH_RE.match(value or "")
    if not match or match.group(2).lower() not in UNITS_PX:
        return None  # %, em, or absent: the viewBox decides
    return float(match.group(1)) * UNITS_PX[match.group(2).lower()]


def _check_declared_size(root: ET.Element) -> None:
    width, height = _length_px(root.get("width")), _length_px(root.get("height"))
    if (width is None or height is None) and root.get("viewBox"):
        try:
            _, _, vb_width, vb_height = (
                float(v) for v in re.split(r"[\s,]+", root.get("viewBox").strip())
            )
        except ValueError:
            _fail("The SVG image's viewBox is not four numbers.")
        if vb_width <= 0 or vb_height <= 0:
            _fail("The SVG image's viewBox has no area.")
        width = width or vb_width
        height = height or vb_height
    width, height = width or 100.0, height or 100.0  # SVG's default canvas
    if width * height > settings.BADGE_IMAGE_MAX_PIXELS:
        _fail(f"The SVG image's canvas is too large ({width:.0f}×{height:.0f}).")


def _check_use_expansion(root: ET.Element) -> None:
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    total = 0
    for use in root.iter(f"{{{SVG_NS}}}use"):
        ref = use.get("href") or use.get(f"{{{XLINK_NS}}}href") or ""
        target = by_id.get(ref.strip()[1:]) if ref.strip().startswith("#") else None
        if target is None:
            continue
        # A <use> of something holding a <use> can multiply (a "billion laughs" of shapes).
        if any(_local(el.tag) == "use" for el in target.iter()):
            _fail("The SVG image uses <use> elements that refer to other <use> elements.")
        total += sum(1 for _ in target.iter())
    if total > MAX_SVG_USE_EXPANSION:
        _fail("The SVG image repeats too many shapes through <use>.")
