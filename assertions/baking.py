"""Open Badges baking: the assertion carried inside the badge image itself.

Pure byte manipulation, no image library: the stored image bytes are copied with the
assertion inserted, so the pixels are never decoded or re-encoded.

- PNG: an `iTXt` chunk with keyword `openbadges` (uncompressed, no language) holding the
  assertion JSON, inserted just before `IEND`.
- SVG: `xmlns:openbadges="http://openbadges.org"` on the root element and, as its first
  child, `<openbadges:assertion verify="URL"><![CDATA[json]]></openbadges:assertion>`.

Open Badges 3.0 bakes the signed credential (a compact VC-JWT, or its JSON) instead
(`bake_credential` / `unbake_credential`, OB 3.0 "Baking"):

- PNG: an `iTXt` chunk with keyword `openbadgecredential`, uncompressed, before `IEND`.
- SVG: `xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"` on the root element and,
  as its first child, `<openbadges:credential><![CDATA[jwt]]></openbadges:credential>`.

Any assertion already baked in (an upload that was itself a baked badge) is replaced,
never doubled. `unbake` reads both formats back, for imports into the backpack and
the issuers' imports of badges awarded elsewhere: images strangers upload, so it reads
them in bounded time and memory and refuses a crafted one with BakingLimit: at most
BADGE_IMAGE_MAX_BYTES, MAX_PNG_CHUNKS chunks, MAX_TEXT_BYTES of assertion however it is
compressed (a zlib bomb in an iTXt or zTXt chunk is not inflated beyond it), an SVG
without a DTD (entity bombs) and read only up to its assertion, within the upload
gate's MAX_SVG_ELEMENTS.
"""

import io
import re
import struct
import zlib

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import iterparse as safe_iterparse
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image

from core.uploads import MAX_SVG_ELEMENTS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadges"
OPENBADGES_NS = "http://openbadges.org"
ASSERTION_TAG = f"{{{OPENBADGES_NS}}}assertion"
CREDENTIAL_KEYWORD = b"openbadgecredential"
OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL_TAG = f"{{{OB3_NS}}}credential"
MAX_PNG_CHUNKS = 10_000  # a badge has a dozen; 2 MB of pixels in libpng's 8 KB IDATs, 256
MAX_TEXT_BYTES = 1024 * 1024  # a baked assertion, as much as a hosted one is read


class BakingError(ValueError):
    """The image is not a PNG or SVG that can carry an assertion."""


class BakingLimit(BakingError):
    """The image passes a limit a baked badge is read within: a crafted file, refused
    whole wherever it is uploaded."""


def bake(image: bytes, assertion_json: str, verify_url: str) -> bytes:
    """The image (PNG or SVG) with the assertion baked in."""
    if image.startswith(PNG_SIGNATURE):
        return bake_png(image, assertion_json)
    return bake_svg(image, assertion_json, verify_url)


def unbake(image: bytes) -> str | None:
    """The assertion baked into a PNG or SVG (JSON text, or a URL), or None; read within
    the limits of the module's docstring."""
    limit = settings.BADGE_IMAGE_MAX_BYTES
    if len(image) > limit:
        raise BakingLimit(
            _("The image is larger than %(limit)s KiB.") % {"limit": f"{limit // 1024:,}"}
        )
    if image.startswith(PNG_SIGNATURE):
        return unbake_png(image)
    return unbake_svg(image)


# --- PNG ------------------------------------------------------------------------------


def _chunks(png: bytes):
    """(start, end, type, data) of each chunk; raises BakingError on a broken file."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError(_("Not a PNG image."))
    pos, count = len(PNG_SIGNATURE), 0
    while pos + 12 <= len(png):
        count += 1
        if count > MAX_PNG_CHUNKS:
            raise BakingLimit(
                _("The PNG image has more than %(limit)s chunks; a badge image has a few dozen.")
                % {"limit": f"{MAX_PNG_CHUNKS:,}"}
            )
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(png):
            raise BakingError(_("The PNG image is truncated."))
        yield pos, end, kind, png[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return
        pos = end
    raise BakingError(_("The PNG image has no IEND chunk."))


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _is_openbadges_text(kind: bytes, data: bytes, keyword: bytes = KEYWORD) -> bool:
    return kind in (b"iTXt", b"tEXt", b"zTXt") and data.split(b"\x00", 1)[0] == keyword


def bake_png(png: bytes, assertion_json: str, *, keyword: bytes = KEYWORD) -> bytes:
    # keyword, NUL, compression flag 0, compression method 0, empty language tag + NUL,
    # empty translated keyword + NUL, then the UTF-8 text (PNG spec 11.3.4.5).
    itxt = _chunk(b"iTXt", keyword + b"\x00\x00\x00\x00\x00" + assertion_json.encode("utf-8"))
    parts = [PNG_SIGNATURE]
    for start, end, kind, data in _chunks(png):
        if _is_openbadges_text(kind, data, keyword):
            continue
        if kind == b"IEND":
            parts.append(itxt)
        parts.append(png[start:end])
    return b"".join(parts)


def unbake_png(png: bytes, *, keyword: bytes = KEYWORD) -> str | None:
    for _start, _end, kind, data in _chunks(png):
        if not _is_openbadges_text(kind, data, keyword):
            continue
        rest = data[len(keyword) + 1 :]
        if kind == b"tEXt":  # Open Badges 1.0 baked a URL in tEXt
            return _text(rest, "latin-1")
        if kind == b"zTXt":  # the compression method, then the compressed text
            return _text(_inflate(rest[1:]), "latin-1")
        # compression flag, method, language tag NUL, translated keyword NUL, text
        fields = rest[2:].split(b"\x00", 2)
        if len(rest) < 2 or len(fields) != 3:
            raise BakingError(_("The PNG image's openbadges text chunk is cut short."))
        return _text(_inflate(fields[2]) if rest[0] else fields[2], "utf-8")
    return None


def _inflate(data: bytes) -> bytes:
    """The text of a compressed chunk, inflated no further than MAX_TEXT_BYTES + 1."""
    try:
        return zlib.decompressobj().decompress(data, MAX_TEXT_BYTES + 1)
    except zlib.error:
        raise BakingError(_("The PNG image's openbadges text is not valid zlib data.")) from None


def _text(data: bytes | str, encoding: str) -> str:
    if len(data) > MAX_TEXT_BYTES:
        raise BakingLimit(
            _("The assertion baked into the image is larger than %(limit)s KiB.")
            % {"limit": f"{MAX_TEXT_BYTES // 1024:,}"}
        )
    if isinstance(data, str):
        return data
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise BakingError(_("The assertion baked into the image is not UTF-8 text.")) from None


# --- SVG ------------------------------------------------------------------------------

SVG_START_RE = re.compile(rb"<svg[\s/>]")
OLD_ASSERTION_RE = re.compile(
    rb"<openbadges:assertion\b.*?(?:/>|</openbadges:assertion>)", re.DOTALL
)


def _start_tag_end(svg: bytes, start: int) -> int:
    """Index of the `>` closing the tag that opens at `start` (quotes respected)."""
    quote = None
    for i in range(start, len(svg)):
        char = svg[i : i + 1]
        if quote:
            if char == quote:
                quote = None
        elif char in (b'"', b"'"):
            quote = char
        elif char == b">":
            return i
    raise BakingError(_("The SVG image's <svg> tag is not closed."))


OLD_CREDENTIAL_RE = re.compile(
    rb"<openbadges:credential\b.*?(?:/>|</openbadges:credential>)", re.DOTALL
)
_OPENBADGES_XMLNS_RE = re.compile(rb"""\sxmlns:openbadges\s*=\s*("[^"]*"|'[^']*')""")


def bake_svg(svg: bytes, assertion_json: str, verify_url: str) -> bytes:
    # "]]>" may only appear inside JSON strings, where \u003e means the same ">".
    payload = assertion_json.replace("]]>", "]]\\u003e")
    element = (
        f'<openbadges:assertion verify="{_xml_attr(verify_url)}">'
        f"<![CDATA[{payload}]]></openbadges:assertion>"
    )
    return _bake_svg_element(svg, element, OPENBADGES_NS)


def _bake_svg_element(svg: bytes, element: str, namespace: str) -> bytes:
    """`element` as the first child of the root, whose `openbadges` prefix is bound to
    `namespace` (OB 2.0 and OB 3.0 bind it to different ones: any earlier binding and
    any element baked under it are replaced)."""
    match = SVG_START_RE.search(svg)
    if match is None:
        raise BakingError(_("Not an SVG image."))
    svg = OLD_CREDENTIAL_RE.sub(b"", OLD_ASSERTION_RE.sub(b"", svg))
    close = _start_tag_end(svg, match.start())
    self_closing = svg[close - 1 : close] == b"/"
    tag = svg[match.start() : close - 1 if self_closing else close]
    tag = _OPENBADGES_XMLNS_RE.sub(b"", tag)
    tag += b' xmlns:openbadges="' + namespace.encode() + b'"'
    tail = b"</svg>" + svg[close + 1 :] if self_closing else svg[close + 1 :]
    return svg[: match.start()] + tag + b">" + element.encode() + tail


def _xml_attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def unbake_svg(svg: bytes, *, tag: str = ASSERTION_TAG) -> str | None:
    """Read as a stream, up to the end of the assertion element (first in a baked
    badge), and no further than MAX_SVG_ELEMENTS elements."""
    elements = 0
    try:
        for event, element in safe_iterparse(
            io.BytesIO(svg), events=("start", "end"), forbid_dtd=True
        ):
            if event == "start":
                elements += 1
                if elements > MAX_SVG_ELEMENTS:
                    raise BakingLimit(
                        _("The SVG image has more than %(limit)s elements.")
                        % {"limit": f"{MAX_SVG_ELEMENTS:,}"}
                    )
            elif element.tag == tag:
                text = (element.text or "").strip()
                return _text(text, "utf-8") or element.get("verify")
    except BakingError:
        raise
    except DTDForbidden:
        raise BakingLimit(
            _("The SVG image has a DTD (<!DOCTYPE …>); a badge image may not: save it without.")
        ) from None
    except (DefusedXmlException, SyntaxError, ValueError, LookupError) as exc:
        # ParseError is a SyntaxError; an unknown encoding a LookupError or ValueError
        raise BakingError(_("Not a readable SVG image (%(error)s).") % {"error": exc}) from None
    return None


# --- Open Badges 3.0 ----------------------------------------------------------------------


def as_png(data: bytes) -> bytes:
    """A JPEG, GIF or WebP badge image (template versions made before renditions existed)
    as PNG: only PNG and SVG can carry a baked badge."""
    with Image.open(io.BytesIO(data)) as img:
        out = io.BytesIO()
        img.convert("RGBA").save(out, format="PNG")
    return out.getvalue()


def bakeable_image(version) -> tuple[bytes, bool]:
    """(the template version's image as PNG or SVG bytes, whether it is SVG)."""
    with version.image.open("rb") as stored:
        image = stored.read()
    is_svg = version.image.name.lower().endswith(".svg")
    if not is_svg and not image.startswith(PNG_SIGNATURE):
        image = as_png(image)
    return image, is_svg


def bake_credential(image: bytes, credential: str) -> bytes:
    """The image (PNG or SVG) with the OB 3.0 credential (a compact VC-JWT, or its JSON)
    baked in."""
    if image.startswith(PNG_SIGNATURE):
        return bake_png(image, credential, keyword=CREDENTIAL_KEYWORD)
    # A JWT has no "]]>"; JSON may, inside strings only, where \u003e is the same ">".
    payload = credential.replace("]]>", "]]\\u003e")
    element = f"<openbadges:credential><![CDATA[{payload}]]></openbadges:credential>"
    return _bake_svg_element(image, element, OB3_NS)


def unbake_credential(image: bytes) -> str | None:
    """The OB 3.0 credential baked into a PNG or SVG, or None; read within the limits
    of the module's docstring."""
    limit = settings.BADGE_IMAGE_MAX_BYTES
    if len(image) > limit:
        raise BakingLimit(
            _("The image is larger than %(limit)s KiB.") % {"limit": f"{limit // 1024:,}"}
        )
    if image.startswith(PNG_SIGNATURE):
        return unbake_png(image, keyword=CREDENTIAL_KEYWORD)
    return unbake_svg(image, tag=CREDENTIAL_TAG)
