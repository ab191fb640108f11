"""The upload gate: every image the platform stores passes `image_accept`.

Issuer images, badge template images, images brought in by imports, whether they come
through `/v2`, `/api/v1`, the admin, a data URI or a download, become an `AcceptedImage`
here before anything is written, or the caller gets an `ImageRefused` naming the problem.

- The type is sniffed from the bytes; the file's name and declared content type are
  never read. Only PNG, JPEG, WebP and SVG are kept.
- The byte limit is checked before anything is parsed, and the pixel limits (each side,
  and width × height) on the dimensions read from the file's header, before Pillow
  decodes a pixel; Pillow's own decompression-bomb guard is made an error too.
- A raster image is decoded and encoded again in its own format: what is stored is
  pixels (and the colour profile they need), never chunks, comments, EXIF or bytes
  appended after the image, so a polyglot (an image that is also HTML or a script)
  comes out as a plain image.
- An SVG is rebuilt from an allow-list of elements and attributes, its CSS parsed as a
  browser would (escapes decoded) and rebuilt from an allow-list of properties, so that
  it has no script, no event handler, no `foreignObject` and nothing that fetches.
- The stored file's extension (and so the `Content-Type` it is served with, see
  `media_headers`) comes from the sniffed type.
"""

import base64
import binascii
import hashlib
import re
import struct
import warnings
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import PurePath
from xml.etree import ElementTree as ET

import tinycss2
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.text import slugify
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.exceptions import ApplicationError


class ImageRefused(ApplicationError):
    """What the gate refused, and why, on the `image` field of every API and form."""

    default_code = "invalid_image"

    def __init__(self, message: str):
        super().__init__(message, field_errors={"image": [message]})


@dataclass(frozen=True)
class ImageType:
    name: str
    ext: str
    content_type: str


PNG = ImageType("PNG", ".png", "image/png")
JPEG = ImageType("JPEG", ".jpg", "image/jpeg")
WEBP = ImageType("WEBP", ".webp", "image/webp")
SVG = ImageType("SVG", ".svg", "image/svg+xml")
ACCEPTED = (PNG, JPEG, WEBP, SVG)
# What media are served as, by extension; anything else in storage is not served.
MEDIA_TYPES = {t.ext: t.content_type for t in ACCEPTED} | {".jpeg": "image/jpeg"}
DATA_URI_TYPES = {t.content_type: t for t in ACCEPTED}

# A stored file is shown inside pages as an image, never as a document: opened directly,
# an SVG may not run script, load anything or submit anything (`sandbox`).
MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def media_headers(name: str) -> dict[str, str] | None:
    """The headers a stored file is served with, or None when it is not to be served."""
    content_type = MEDIA_TYPES.get(PurePath(name).suffix.lower())
    if content_type is None:
        return None
    return {
        "Content-Type": content_type,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": MEDIA_CSP,
    }


@dataclass(frozen=True)
class AcceptedImage:
    data: bytes
    type: ImageType
    width: int
    height: int
    name: str = ""  # what the upload was called (only its stem is ever used)

    @property
    def ext(self) -> str:
        return self.type.ext

    @property
    def content_type(self) -> str:
        return self.type.content_type

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def as_file(self) -> ContentFile:
        """The image as a file to assign to a FileField: it is written when the model is."""
        return ContentFile(self.data, name=stored_name(self.name, self.ext))


def stored_name(original_name: str, ext: str) -> str:
    """The name an upload is stored under: its own stem, made safe, and the sniffed type's
    extension (never the extension it came with)."""
    stem = slugify(PurePath(str(original_name or "")).stem)[:50] or "image"
    return f"{stem}{ext}"


def image_accept(upload) -> AcceptedImage:
    """The image in `upload` (a file, or bytes) as it may be stored, or raise ImageRefused
    (reported on the `image` field). An image the gate accepted comes back as it is."""
    if isinstance(upload, AcceptedImage):
        return upload
    limit = settings.BADGE_IMAGE_MAX_BYTES
    if isinstance(upload, bytes | bytearray):
        data, name = bytes(upload[: limit + 1]), ""
    else:
        upload.seek(0)
        data, name = upload.read(limit + 1), getattr(upload, "name", "") or ""
    if len(data) > limit:
        _refuse(_("The image is larger than %(limit)s KiB.") % {"limit": limit // 1024})
    if not data:
        _refuse(_("The image file is empty."))
    kind = sniff(data)
    if kind is None:
        _refuse_unknown(data)
    accepted = _accept_svg(data) if kind is SVG else _accept_raster(data, kind)
    return replace(accepted, name=PurePath(str(name)).name)


def image_data_uri_bytes(uri: str) -> bytes:
    """The bytes of `data:image/<png|jpeg|webp|svg+xml>;base64,...`, for `image_accept`
    (which sniffs them: the declared type only decides whether to read them at all)."""
    header, comma, payload = uri.partition(",")
    media_type = header[5:].split(";", 1)[0].strip().lower() if header.startswith("data:") else ""
    if not comma or media_type not in DATA_URI_TYPES:
        _refuse(
            _(
                "Send the image as a data:image/png, image/jpeg, image/webp or image/svg+xml "
                "URI, or as a file."
            )
        )
    if ";base64" not in header.lower():
        _refuse(_("The image's data URI must be base64-encoded."))
    try:
        return base64.b64decode(re.sub(r"\s+", "", payload), validate=True)
    except (binascii.Error, ValueError):
        _refuse(_("The image's data URI is not valid base64."))


def _refuse(message: str):
    raise ImageRefused(message)


# --- sniffing --------------------------------------------------------------------------------

# Formats worth naming in a refusal (the rest are "not an image we accept").
REFUSED_SIGNATURES = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"%PDF", "PDF"),
)


def sniff(data: bytes) -> ImageType | None:
    """The accepted type these bytes are, from their first bytes alone."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if looks_like_svg(data):
        return SVG
    return None


def looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<svg" in head


def _refuse_unknown(data: bytes):
    for signature, name in REFUSED_SIGNATURES:
        if data.startswith(signature):
            _refuse(
                _("%(format)s files are not accepted; use PNG, JPEG, WebP or SVG.")
                % {"format": name}
            )
    _refuse(_("The file is not a PNG, JPEG, WebP or SVG image."))


# --- raster images ---------------------------------------------------------------------------


def _accept_raster(data: bytes, kind: ImageType) -> AcceptedImage:
    width, height = _header_size(data, kind)
    _check_pixels(width, height)
    unreadable = _("The file is not a readable %(format)s image.") % {"format": kind.name}
    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice it; here that is a refusal too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=[kind.name]) as img:
                if img.size != (width, height):
                    _refuse(unreadable)
                img.load()
                out = _encode(img, kind, data)
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
            EOFError,
            struct.error,
        ):
            _refuse(unreadable)
    return AcceptedImage(out, kind, width, height)


def _check_pixels(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        _refuse(_("The image has no pixels."))
    side = settings.BADGE_IMAGE_MAX_SIDE
    if width > side or height > side:
        _refuse(
            _("The image is %(width)s×%(height)s pixels; no side may be over %(side)s.")
            % {"width": width, "height": height, "side": side}
        )
    if width * height > settings.BADGE_IMAGE_MAX_PIXELS:
        _refuse(
            _("The image has too many pixels (%(width)s×%(height)s, at most %(limit)s in all).")
            % {"width": width, "height": height, "limit": settings.BADGE_IMAGE_MAX_PIXELS}
        )


def _header_size(data: bytes, kind: ImageType) -> tuple[int, int]:
    """(width, height) as the file's header declares them, read without decoding."""
    size = {PNG: _png_size, JPEG: _jpeg_size, WEBP: _webp_size}[kind](data)
    if size is None:
        _refuse(_("The file is not a readable %(format)s image.") % {"format": kind.name})
    return size


def _png_size(data: bytes) -> tuple[int, int] | None:
    # The signature, then IHDR, always the first chunk: length 13, width, height.
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


# Start-of-frame markers (all but DHT C4, JPG C8 and DAC CC in C0..CF).
JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no frame header came
            return None
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        if marker in JPEG_SOF:
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk, payload = data[12:16], data[20:30]
    if chunk == b"VP8X" and len(payload) >= 10:  # extended: the canvas
        return (
            int.from_bytes(payload[4:7], "little") + 1,
            int.from_bytes(payload[7:10], "little") + 1,
        )
    if chunk == b"VP8 " and len(payload) >= 10 and payload[3:6] == b"\x9d\x01\x2a":
        return (
            int.from_bytes(payload[6:8], "little") & 0x3FFF,
            int.from_bytes(payload[8:10], "little") & 0x3FFF,
        )
    if chunk == b"VP8L" and len(payload) >= 5 and payload[0] == 0x2F:
        bits = int.from_bytes(payload[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _encode(img: Image.Image, kind: ImageType, source: bytes) -> bytes:
    """The decoded pixels written again in their own format (first frame, upright, with the
    colour profile and nothing else)."""
    icc = img.info.get("icc_profile")
    options = {"icc_profile": icc} if icc else {}
    out = BytesIO()
    turned = _exif_orientation(img) not in (None, 1)
    # EXIF is not written again: a photo taken sideways is turned upright first.
    upright = ImageOps.exif_transpose(img) if turned else img
    if kind is JPEG:
        if turned:
            upright.save(out, format="JPEG", quality=92, comment=b"", **options)
        else:
            # The upload's own quantisation: no loss on top of the upload's. (Pillow would
            # copy the upload's comment unless told otherwise.)
            img.save(out, format="JPEG", quality="keep", subsampling="keep", comment=b"", **options)
    elif kind is WEBP:
        lossless = source[12:16] == b"VP8L"
        upright.save(out, format="WEBP", lossless=lossless, quality=90, method=0, **options)
    else:
        upright.save(out, format="PNG", **options)
    return out.getvalue()


def _exif_orientation(img: Image.Image) -> int | None:
    try:
        return img.getexif().get(0x0112)
    except (OSError, ValueError, SyntaxError, struct.error):
        return None


# --- SVG ------------------------------------------------------------------------------------

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Serialised as <svg xmlns="..."> and xlink:href, as SVG tools expect (ElementTree's
# default_namespace option refuses the plain attribute names SVG uses).
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

MAX_SVG_ELEMENTS = 5000
MAX_SVG_DEPTH = 100  # deeper nesting is no drawing, and would exhaust recursion
# What <use> elements may copy in total (each copies its target's subtree).
MAX_SVG_USE_EXPANSION = 20000
MAX_TURBULENCE_OCTAVES = 8
MAX_CSS_NESTING = 16
# CSS in <style> elements and style attributes, in all: drawing tools write a few
# kilobytes; much more costs seconds to parse and to match (resvg matches every rule
# against every element).
MAX_SVG_CSS_CHARS = 32 * 1024


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Drawing, structure, paint servers and the filter primitives whose cost is bounded by
# the canvas. Not here, so dropped with their content: script, foreignObject, animation
# (set, animate*), a, switch, iframe-likes, feImage and feTile (references), and
# feConvolveMatrix / feMorphology (cost grows with an attribute, not the canvas).
SVG_ELEMENTS = _names(
    """svg g defs title desc metadata symbol use path rect circle ellipse line polyline
    polygon text tspan textPath linearGradient radialGradient stop clipPath mask pattern
    marker image style filter feBlend feColorMatrix feComponentTransfer feFuncR feFuncG
    feFuncB feFuncA feComposite feDiffuseLighting feSpecularLighting feDistantLight
    fePointLight feSpotLight feDisplacementMap feDropShadow feFlood feGaussianBlur feMerge
    feMergeNode feOffset feTurbulence"""
)
# Presentation properties: the only ones kept as attributes and in CSS.
SVG_PROPERTIES = _names(
    """fill fill-opacity fill-rule stroke stroke-width stroke-opacity stroke-linecap
    stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset opacity color
    display visibility clip-path clip-rule mask filter marker-start marker-mid marker-end
    stop-color stop-opacity flood-color flood-opacity lighting-color font font-family
    font-size font-weight font-style font-variant font-stretch text-anchor
    dominant-baseline alignment-baseline baseline-shift letter-spacing word-spacing
    text-decoration writing-mode direction unicode-bidi paint-order vector-effect
    mix-blend-mode isolation shape-rendering text-rendering image-rendering
    color-interpolation color-interpolation-filters overflow transform transform-origin"""
)
SVG_ATTRIBUTES = SVG_PROPERTIES | _names(
    """id class style x y x1 y1 x2 y2 cx cy r rx ry fx fy fr width height d
    points pathLength viewBox preserveAspectRatio version offset gradientUnits
    gradientTransform spreadMethod patternUnits patternContentUnits patternTransform
    clipPathUnits maskUnits maskContentUnits markerUnits markerWidth markerHeight refX refY
    orient dx dy rotate textLength lengthAdjust startOffset method spacing side filterUnits
    primitiveUnits in in2 result stdDeviation edgeMode mode operator k1 k2 k3 k4 values type
    tableValues slope intercept amplitude exponent surfaceScale specularConstant
    specularExponent diffuseConstant kernelUnitLength azimuth elevation pointsAtX pointsAtY
    pointsAtZ limitingConeAngle z scale xChannelSelector yChannelSelector baseFrequency
    numOctaves seed stitchTiles href"""
)
# CSS functions that compute a colour, a length or a transform; anything else
# (image-set, image, cross-fade, element, src, expression, var...) is dropped with its
# declaration. url() is kept only for a #fragment of this document.
CSS_FUNCTIONS = _names(
    """rgb rgba hsl hsla hwb lab lch oklab oklch color calc min max clamp matrix translate
    translatex translatey scale scalex scaley rotate skew skewx skewy"""
)
DATA_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|jpg|webp);base64,(.*)$", re.I | re.S)
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


def _accept_svg(data: bytes) -> AcceptedImage:
    svg = sanitize_svg(data)
    width, height = _declared_size(ET.fromstring(svg))
    # Drawing it once turns an SVG that cannot be drawn into a clear refusal now, rather
    # than a broken image later.
    render_svg_png(svg, 32)
    return AcceptedImage(svg, SVG, round(width), round(height))


def sanitize_svg(data: bytes) -> bytes:
    """A copy of the SVG with only allow-listed elements, attributes and CSS.

    Scripts, event handlers, foreignObject, animations, processing instructions and
    every reference to something outside the document (an href other than `#fragment`
    or an embedded PNG/JPEG/WebP, which passes the gate itself; CSS `url()` other than
    `#fragment`, `@import`, `@font-face`, `image-set()`... however escaped) are removed.
    DTDs and entities are refused outright (billion laughs, external entities). The
    drawing is bounded: element count and depth, what `<use>` copies, the declared
    canvas and embedded images' pixels.
    """
    try:
        root = safe_fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        _refuse(_("SVG images with a DTD or entities are not accepted."))
    except ET.ParseError as exc:
        _refuse(_("The SVG image is not well-formed XML (%(error)s).") % {"error": exc})
    if root.tag != f"{{{SVG_NS}}}svg":
        _refuse(_("The file is not an SVG image (its root element is not <svg>)."))
    if sum(1 for _element in root.iter()) > MAX_SVG_ELEMENTS:
        _refuse(_("The SVG image has more than %(limit)s elements.") % {"limit": MAX_SVG_ELEMENTS})
    clean = _SvgCleaner().element(root, depth=0)
    _declared_size(clean)
    _check_use_expansion(clean)
    return ET.tostring(clean, encoding="unicode").encode("utf-8")


def _local(tag) -> str | None:
    """The local name of an SVG element (None for other namespaces and comments)."""
    if not isinstance(tag, str) or not tag.startswith(f"{{{SVG_NS}}}"):
        return None
    return tag[len(SVG_NS) + 2 :]


class _SvgCleaner:
    def __init__(self):
        # Embedded images share one pixel budget: many small files must not add up to a bomb.
        self.pixels_left = settings.BADGE_IMAGE_MAX_PIXELS
        self.css_left = MAX_SVG_CSS_CHARS

    def css(self, text: str) -> str:
        self.css_left -= len(text)
        if self.css_left < 0:
            _refuse(
                _("The SVG image has more than %(limit)s KiB of CSS.")
                % {"limit": MAX_SVG_CSS_CHARS // 1024}
            )
        return text

    def element(self, element: ET.Element, depth: int) -> ET.Element:
        if depth > MAX_SVG_DEPTH:
            _refuse(
                _("The SVG image nests elements more than %(limit)s deep.")
                % {"limit": MAX_SVG_DEPTH}
            )
        name = _local(element.tag)
        clean = ET.Element(element.tag)
        for key, value in element.attrib.items():
            kept = self.attribute(name, key, value)
            if kept is not None:
                clean.set(*kept)
        if name == "style":
            clean.text = clean_stylesheet(self.css(element.text or ""))
            return clean
        clean.text = element.text
        for child in element:
            if _local(child.tag) in SVG_ELEMENTS:
                kept = self.element(child, depth + 1)
                kept.tail = child.tail
                clean.append(kept)
        return clean

    def attribute(self, element: str, key: str, value: str) -> tuple[str, str] | None:
        if key in (f"{{{XLINK_NS}}}href", "href"):
            reference = self.reference(value)
            return None if reference is None else (key, reference)
        if key == f"{{{XML_NS}}}space":
            return key, value
        if key not in SVG_ATTRIBUTES:  # event handlers (on*), other namespaces, unknown names
            return None
        if key == "style":
            style = clean_declarations(self.css(value))
            return (key, style) if style else None
        if key not in ("id", "class") and not css_value_is_safe(value):
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

    def reference(self, value: str) -> str | None:
        """The href kept: a #fragment, or an embedded image passed through the gate."""
        value = value.strip()
        if value.startswith("#"):
            return value
        match = DATA_IMAGE_RE.match(value)
        if not match:
            return None
        try:
            payload = base64.b64decode(re.sub(r"\s+", "", match.group(2)), validate=True)
        except (binascii.Error, ValueError):
            return None
        kind = sniff(payload)
        if kind not in (PNG, JPEG, WEBP):
            return None
        try:
            image = _accept_raster(payload, kind)
        except ImageRefused as exc:
            _refuse(_("An image embedded in the SVG was refused: %(why)s") % {"why": exc})
        self.pixels_left -= image.width * image.height
        if self.pixels_left < 0:
            _refuse(_("The images embedded in the SVG have too many pixels in all."))
        return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode()}"


# --- CSS: parsed as a browser parses it (escapes decoded), rebuilt from the allow-list ---


def css_value_is_safe(value, depth: int = 0) -> bool:
    """True when a CSS value (text or tinycss2 tokens) fetches nothing: no url() but to a
    #fragment, no function but those computing colours, lengths and transforms."""
    tokens = tinycss2.parse_component_value_list(value) if isinstance(value, str) else value
    if depth > MAX_CSS_NESTING:
        return False
    for token in tokens:
        if token.type == "url":
            if not token.value.strip().startswith("#"):
                return False
        elif token.type == "function":
            if token.lower_name == "url":
                args = [t for t in token.arguments if t.type not in ("whitespace", "comment")]
                if not (
                    len(args) == 1
                    and args[0].type == "string"
                    and args[0].value.strip().startswith("#")
                ):
                    return False
            elif token.lower_name not in CSS_FUNCTIONS or not css_value_is_safe(
                token.arguments, depth + 1
            ):
                return False
        elif token.type in ("() block", "[] block", "{} block"):
            if not css_value_is_safe(token.content, depth + 1):
                return False
        elif token.type in ("at-keyword", "error"):
            return False
    return True


def clean_declarations(css) -> str:
    """A declaration list (a style attribute, a rule's body) with only the allow-listed
    properties whose values fetch nothing."""
    nodes = tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True)
    kept = []
    for node in nodes:
        # Nested rules and at-rules (@import, @font-face...) are not declarations: dropped.
        if node.type != "declaration" or node.lower_name not in SVG_PROPERTIES:
            continue
        if not css_value_is_safe(node.value):
            continue
        important = " !important" if node.important else ""
        kept.append(f"{node.lower_name}:{tinycss2.serialize(node.value).strip()}{important}")
    return ";".join(kept)


def clean_stylesheet(css: str) -> str:
    """A <style> element's CSS: plain rules only (no at-rule at all), each declaration
    through `clean_declarations`."""
    rules = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule" or not _selector_is_plain(rule.prelude):
            continue
        body = clean_declarations(rule.content)
        if body:
            rules.append(f"{tinycss2.serialize(rule.prelude).strip()}{{{body}}}")
    return "\n".join(rules)


def _selector_is_plain(tokens, depth: int = 0) -> bool:
    if depth > MAX_CSS_NESTING:
        return False
    for token in tokens:
        if token.type in ("url", "at-keyword", "error", "{} block"):
            return False
        if token.type == "function" and (
            token.lower_name == "url" or not _selector_is_plain(token.arguments, depth + 1)
        ):
            return False
        if token.type in ("() block", "[] block") and not _selector_is_plain(
            token.content, depth + 1
        ):
            return False
    return True


# --- SVG: size and repetition ---------------------------------------------------------------


def _length_px(value: str | None) -> float | None:
    match = LENGTH_RE.match(value or "")
    if not match or match.group(2).lower() not in UNITS_PX:
        return None  # %, em, or absent: the viewBox decides
    return float(match.group(1)) * UNITS_PX[match.group(2).lower()]


def _declared_size(root: ET.Element) -> tuple[float, float]:
    """The canvas the SVG declares, in pixels; refused when over the pixel limits."""
    width, height = _length_px(root.get("width")), _length_px(root.get("height"))
    if (width is None or height is None) and root.get("viewBox"):
        try:
            _x, _y, vb_width, vb_height = (
                float(v) for v in re.split(r"[\s,]+", root.get("viewBox").strip())
            )
        except ValueError:
            _refuse(_("The SVG image's viewBox is not four numbers."))
        if vb_width <= 0 or vb_height <= 0:
            _refuse(_("The SVG image's viewBox has no area."))
        width = width or vb_width
        height = height or vb_height
    width, height = width or 100.0, height or 100.0  # SVG's default canvas
    side = settings.BADGE_IMAGE_MAX_SIDE
    if width * height > settings.BADGE_IMAGE_MAX_PIXELS or max(width, height) > side:
        _refuse(
            _("The SVG image's canvas is too large (%(width)s×%(height)s).")
            % {"width": f"{width:.0f}", "height": f"{height:.0f}"}
        )
    return width, height


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
            _refuse(_("The SVG image uses <use> elements that refer to other <use> elements."))
        total += sum(1 for _element in target.iter())
    if total > MAX_SVG_USE_EXPANSION:
        _refuse(_("The SVG image repeats too many shapes through <use>."))


# --- SVG: drawing -----------------------------------------------------------------------------

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
    import resvg_py  # loaded on first use: most processes never draw an SVG

    try:
        # Both sides given: resvg fits the drawing into the box. Never call it without a
        # size: it would allocate the SVG's own declared canvas, however large.
        return bytes(
            resvg_py.svg_to_bytes(
                svg_string=svg.decode("utf-8"), width=size, height=size, **SVG_FONTS
            )
        )
    except (ValueError, UnicodeDecodeError) as exc:
        _refuse(_("The SVG image could not be drawn (%(error)s).") % {"error": exc})
