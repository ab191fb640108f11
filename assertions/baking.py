"""Open Badges baking: the assertion carried inside the badge image itself.

Pure byte manipulation, no image library: the stored image bytes are copied with the
assertion inserted, so the pixels are never decoded or re-encoded.

- PNG: an `iTXt` chunk with keyword `openbadges` (uncompressed, no language) holding the
  assertion JSON, inserted just before `IEND`.
- SVG: `xmlns:openbadges="http://openbadges.org"` on the root element and, as its first
  child, `<openbadges:assertion verify="URL"><![CDATA[json]]></openbadges:assertion>`.

Any assertion already baked in (an upload that was itself a baked badge) is replaced,
never doubled. `unbake` reads both formats back, for imports into the backpack.
"""

import re
import struct
import zlib

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadges"
OPENBADGES_NS = "http://openbadges.org"


class BakingError(ValueError):
    """The image is not a PNG or SVG that can carry an assertion."""


def bake(image: bytes, assertion_json: str, verify_url: str) -> bytes:
    """The image (PNG or SVG) with the assertion baked in."""
    if image.startswith(PNG_SIGNATURE):
        return bake_png(image, assertion_json)
    return bake_svg(image, assertion_json, verify_url)


def unbake(image: bytes) -> str | None:
    """The assertion baked into a PNG or SVG (JSON text, or a URL), or None."""
    if image.startswith(PNG_SIGNATURE):
        return unbake_png(image)
    return unbake_svg(image)


# --- PNG ------------------------------------------------------------------------------


def _chunks(png: bytes):
    """(start, end, type, data) of each chunk; raises BakingError on a broken file."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("Not a PNG image.")
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(png):
            raise BakingError("The PNG image is truncated.")
        yield pos, end, kind, png[pos + 8 : pos + 8 + length]
        if kind == b"IEND":
            return
        pos = end
    raise BakingError("The PNG image has no IEND chunk.")


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _is_openbadges_text(kind: bytes, data: bytes) -> bool:
    return kind in (b"iTXt", b"tEXt", b"zTXt") and data.split(b"\x00", 1)[0] == KEYWORD


def bake_png(png: bytes, assertion_json: str) -> bytes:
    # keyword, NUL, compression flag 0, compression method 0, empty language tag + NUL,
    # empty translated keyword + NUL, then the UTF-8 text (PNG spec 11.3.4.5).
    itxt = _chunk(b"iTXt", KEYWORD + b"\x00\x00\x00\x00\x00" + assertion_json.encode("utf-8"))
    parts = [PNG_SIGNATURE]
    for start, end, kind, data in _chunks(png):
        if _is_openbadges_text(kind, data):
            continue
        if kind == b"IEND":
            parts.append(itxt)
        parts.append(png[start:end])
    return b"".join(parts)


def unbake_png(png: bytes) -> str | None:
    for _, _, kind, data in _chunks(png):
        if not _is_openbadges_text(kind, data):
            continue
        rest = data[len(KEYWORD) + 1 :]
        if kind == b"tEXt":  # Open Badges 1.0 baked a URL in tEXt
            return rest.decode("latin-1")
        if kind == b"zTXt":
            return zlib.decompress(rest[1:]).decode("latin-1")
        compressed, _method = rest[0], rest[1]
        _language, _translated, text = rest[2:].split(b"\x00", 2)
        return (zlib.decompress(text) if compressed else text).decode("utf-8")
    return None


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
    raise BakingError("The SVG image's <svg> tag is not closed.")


def bake_svg(svg: bytes, assertion_json: str, verify_url: str) -> bytes:
    match = SVG_START_RE.search(svg)
    if match is None:
        raise BakingError("Not an SVG image.")
    svg = OLD_ASSERTION_RE.sub(b"", svg)
    close = _start_tag_end(svg, match.start())
    self_closing = svg[close - 1 : close] == b"/"
    tag = svg[match.start() : close - 1 if self_closing else close]
    if b"xmlns:openbadges=" not in tag:
        tag += b' xmlns:openbadges="' + OPENBADGES_NS.encode() + b'"'
    # "]]>" may only appear inside JSON strings, where \u003e means the same ">".
    payload = assertion_json.replace("]]>", "]]\\u003e")
    element = (
        f'<openbadges:assertion verify="{_xml_attr(verify_url)}">'
        f"<![CDATA[{payload}]]></openbadges:assertion>"
    ).encode()
    tail = b"</svg>" + svg[close + 1 :] if self_closing else svg[close + 1 :]
    return svg[: match.start()] + tag + b">" + element + tail


def _xml_attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def unbake_svg(svg: bytes) -> str | None:
    try:
        root = safe_fromstring(svg, forbid_dtd=True)
    except (DefusedXmlException, SyntaxError) as exc:  # ParseError is a SyntaxError
        raise BakingError(f"Not a readable SVG image ({exc}).") from None
    element = root.find(f".//{{{OPENBADGES_NS}}}assertion")
    if element is None:
        return None
    text = (element.text or "").strip()
    return text or element.get("verify")
