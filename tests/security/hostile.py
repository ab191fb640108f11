"""A corpus of hostile files for the upload gate, each made here, small, in memory.

Each entry is (file name, bytes, outcome): "refused" (the gate must say no, naming the
problem) or "neutralised" (it may keep an image, but what it stores carries none of the
payload). The file names lie on purpose: the gate must never read them.
"""

import base64
import struct
import zlib
from io import BytesIO

from PIL import Image, PngImagePlugin

EVIL = "evil.example"
SCRIPT = b"<script>fetch('/api/v1/organizations').then(r=>r.text()).then(alert)</script>"
HTML_PAGE = b"<!doctype html><html><body>" + SCRIPT + b'<script src="/media/issuers/x.js">'
HTML_PAGE += b"</script></body></html>"
JS = b"fetch('/api/v1/organizations',{credentials:'include'}).then(r=>r.json())"


def raster(fmt: str, size=(32, 32), mode="RGB", color="red", **save) -> bytes:
    out = BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **save)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, *, rows: int | None = None) -> bytes:
    """A 1-bit greyscale PNG whose header says width × height; `rows` rows of zero pixels
    follow (all of them by default), compressed a row at a time: a 30000 × 30000 image is
    about 110 KB here and would be 900 MB as RGB once decoded."""
    rows = height if rows is None else rows
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(rows)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def png_with_chunk(kind: bytes, body: bytes) -> bytes:
    """A small PNG with one more chunk before its pixels."""
    png = raster("PNG")
    at = png.index(b"IDAT") - 4
    return png[:at] + _chunk(kind, body) + png[at:]


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header is rewritten to say width × height."""
    data = bytearray(raster("JPEG", (16, 16)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def webp_vp8x_declaring(width: int, height: int) -> bytes:
    """An extended WebP whose canvas says width × height (up to 2^24 a side)."""
    data = bytearray(raster("WEBP", (16, 16), exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x00"))
    at = data.index(b"VP8X") + 8
    data[at + 4 : at + 7] = (width - 1).to_bytes(3, "little")
    data[at + 7 : at + 10] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def webp_vp8l_declaring(width: int, height: int) -> bytes:
    """A real small lossless WebP whose header is rewritten to say width × height (up to
    16384 a side)."""
    data = bytearray(raster("WEBP", (16, 16), lossless=True))
    at = data.index(b"VP8L") + 8
    bits = int.from_bytes(data[at + 1 : at + 5], "little") & ~((1 << 28) - 1)
    bits |= (width - 1) | ((height - 1) << 14)
    data[at + 1 : at + 5] = bits.to_bytes(4, "little")
    return bytes(data)


def svg(body: str, attrs: str = 'width="64" height="64"') -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'{attrs}>{body}<rect id="kept" width="8" height="8"/></svg>'
    ).encode()


def css_rules(count: int) -> str:
    """Rules of about 42 characters each, every one matching every <rect>."""
    return "".join(f"rect.c:nth-child(n+{i % 10}){{fill:rgb({i % 255} 0 0)}}" for i in range(count))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def corpus() -> dict[str, tuple[str, bytes, str]]:
    big_png = png_declaring(30000, 30000)
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", SCRIPT.decode())
    return {
        # --- polyglots and things that are not images, under image names -------------------
        "GIF/HTML polyglot (GIFAR-like)": ("a.gif", b"GIF89a=1;/*" + HTML_PAGE + b"*/", "refused"),
        "GIF/JS polyglot named .png": ("a.png", b"GIF89a/*\x00\x00*/=1;" + JS, "refused"),
        "PNG with HTML appended": ("a.png", raster("PNG") + HTML_PAGE, "neutralised"),
        "PNG with a zip appended": ("a.png", raster("PNG") + b"PK\x03\x04" + JS, "neutralised"),
        "PNG with JS in a text chunk": ("a.png", raster("PNG", pnginfo=text), "neutralised"),
        "PNG with HTML in an unknown chunk": (
            "a.png",
            png_with_chunk(b"htMl", HTML_PAGE),
            "neutralised",
        ),
        "JPEG with HTML appended": ("a.jpg", raster("JPEG") + HTML_PAGE, "neutralised"),
        "JPEG with a script comment": ("a.jpg", raster("JPEG", comment=SCRIPT), "neutralised"),
        "WebP with a script in EXIF": (
            "a.webp",
            raster("WEBP", exif=b"Exif\x00\x00" + SCRIPT),
            "neutralised",
        ),
        "HTML named .png": ("page.png", HTML_PAGE, "refused"),
        "HTML named .svg": ("page.svg", HTML_PAGE, "refused"),
        "JS named .jpg": ("x.jpg", JS, "refused"),
        "XHTML holding an SVG": (
            "a.svg",
            b'<html xmlns="http://www.w3.org/1999/xhtml"><svg xmlns="http://www.w3.org/2000/svg"/>'
            + SCRIPT
            + b"</html>",
            "refused",
        ),
        "PDF": ("a.png", b"%PDF-1.7\n1 0 obj<</JS(app.alert(1))>>endobj\n", "refused"),
        "BMP": ("a.png", raster("BMP"), "refused"),
        "TIFF": ("a.png", raster("TIFF"), "refused"),
        "ICO": ("a.png", raster("ICO", (16, 16)), "refused"),
        "empty file": ("a.png", b"", "refused"),
        "PNG signature only": ("a.png", b"\x89PNG\r\n\x1a\n", "refused"),
        "truncated PNG": ("a.png", raster("PNG", (64, 64))[:70], "refused"),
        "PNG with a broken IDAT": (
            "a.png",
            png_declaring(64, 64)[:40] + b"\x00" * 30 + png_declaring(64, 64)[-12:],
            "refused",
        ),
        "JPEG start only": ("a.jpg", b"\xff\xd8\xff", "refused"),
        "truncated JPEG": ("a.jpg", raster("JPEG", (64, 64))[:300], "refused"),
        "WebP header only": ("a.webp", b"RIFF\x00\x00\x00\x00WEBP", "refused"),
        "truncated WebP": ("a.webp", raster("WEBP", (64, 64))[:40], "refused"),
        "over the byte limit": ("a.png", raster("PNG") + b"\x00" * (3 * 1024 * 1024), "refused"),
        # --- bombs and huge declared dimensions ----------------------------------------------
        "PNG 30000x30000 (finding 1)": ("a.png", big_png, "refused"),
        "PNG 100000x1": ("a.png", png_declaring(100000, 1), "refused"),
        "PNG 8000x8000, 1-bit": ("a.png", png_declaring(8000, 8000), "refused"),
        "PNG declaring 2^31-1 a side": (
            "a.png",
            png_declaring(2**31 - 1, 2**31 - 1, rows=0),
            "refused",
        ),
        "PNG small header, huge IDAT": (
            "a.png",
            png_declaring(64, 64)[:33] + png_declaring(4000, 4000)[33:],
            "neutralised",
        ),
        "PNG zTXt bomb": (
            "a.png",
            png_with_chunk(b"zTXt", b"c\x00\x00" + zlib.compress(b"\x00" * 50_000_000, 9)),
            "refused",
        ),
        "PNG iCCP bomb": (
            "a.png",
            png_with_chunk(b"iCCP", b"p\x00\x00" + zlib.compress(b"\x00" * 50_000_000, 9)),
            "refused",
        ),
        "JPEG declaring 65535x65535": ("a.jpg", jpeg_declaring(65535, 65535), "refused"),
        "JPEG declaring 5000x5000": ("a.jpg", jpeg_declaring(5000, 5000), "refused"),
        "WebP (VP8X) declaring 16M x 16M": (
            "a.webp",
            webp_vp8x_declaring(2**24, 2**24),
            "refused",
        ),
        "lossless WebP 16383x16383": ("a.webp", webp_vp8l_declaring(16383, 16383), "refused"),
        "lossless WebP 5000x4000": ("a.webp", webp_vp8l_declaring(5000, 4000), "refused"),
        # the most an accepted image may cost: at the pixel limit, so decoded and re-encoded
        "PNG at the pixel limit (4096x4096)": ("a.png", raster("PNG", (4096, 4096)), "neutralised"),
        "WebP at the pixel limit (4096x4096)": (
            "a.webp",
            raster("WEBP", (4096, 4096)) + HTML_PAGE,
            "neutralised",
        ),
        # --- SVG -----------------------------------------------------------------------------
        "SVG with script and handlers": (
            "a.svg",
            svg(
                "<script>alert(1)</script><script href='https://evil.example/x.js'/>"
                '<circle r="5" onclick="alert(2)" onload="alert(3)"/>',
                'width="64" height="64" onload="alert(4)"',
            ),
            "neutralised",
        ),
        "SVG named .png": ("a.png", svg("<script>alert(1)</script>"), "neutralised"),
        "SVG with foreignObject HTML": (
            "a.svg",
            svg(
                '<foreignObject width="64" height="64"><body xmlns="http://www.w3.org/1999/xhtml">'
                '<iframe src="https://evil.example/f"/><script>alert(1)</script></body>'
                "</foreignObject>"
            ),
            "neutralised",
        ),
        "SVG with external hrefs": (
            "a.svg",
            svg(
                '<image href="https://evil.example/i.png" width="5" height="5"/>'
                '<image xlink:href="//evil.example/j.png" width="5" height="5"/>'
                '<use href="https://evil.example/s.svg#a"/><a href="javascript:alert(1)">x</a>'
                '<feImage href="https://evil.example/k.png"/>'
                f'<image href="data:image/svg+xml;base64,{_b64(svg("<script/>"))}"/>'
            ),
            "neutralised",
        ),
        "SVG with escaped CSS fetches": (
            "a.svg",
            svg(
                r"<style>@\69mport url(https://evil.example/a.css);"
                r"rect{fill:u\72l(https://evil.example/b#p)}"
                'circle{fill:image-set("https://evil.example/c.png" 1x)}'
                "@font-face{font-family:f;src:url(https://evil.example/d.woff)}</style>"
                r'<rect width="5" height="5" style="fill:u\72l(https://evil.example/e#p)"/>'
                r'<rect width="5" height="5" fill="u\72l(https://evil.example/f#p)"/>'
            ),
            "neutralised",
        ),
        "SVG with an xml-stylesheet": (
            "a.svg",
            b'<?xml-stylesheet type="text/css" href="https://evil.example/s.css"?>'
            + svg("<circle r='5'/>"),
            "neutralised",
        ),
        "SVG with animation setting an href": (
            "a.svg",
            svg(
                '<a><set attributeName="href" to="javascript:alert(1)"/>'
                '<animate attributeName="href" values="https://evil.example/x"/></a>'
            ),
            "neutralised",
        ),
        "SVG billion laughs": (
            "a.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&c;</text></svg>',
            "refused",
        ),
        "SVG external entity (XXE)": (
            "a.svg",
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
            "refused",
        ),
        "SVG canvas 100000x100000": ("a.svg", svg("", 'width="100000" height="100000"'), "refused"),
        "SVG viewBox 1e9": ("a.svg", svg("", 'viewBox="0 0 1e9 1e9"'), "refused"),
        "SVG <use> bomb": (
            "a.svg",
            svg(
                '<g id="a"><circle r="1"/></g>'
                + "".join(
                    f'<g id="{n}">' + f'<use href="#{p}"/>' * 10 + "</g>"
                    for p, n in zip("abcdefg", "bcdefgh", strict=True)
                )
            ),
            "refused",
        ),
        "SVG 10000 elements": ("a.svg", svg("<g/>" * 10000), "refused"),
        "SVG nested 50000 deep": ("a.svg", svg("<g>" * 50000 + "</g>" * 50000), "refused"),
        "SVG nested 1000 deep": ("a.svg", svg("<g>" * 1000 + "</g>" * 1000), "refused"),
        "SVG with 1.9 MB of CSS": ("a.svg", svg(f"<style>{css_rules(50000)}</style>"), "refused"),
        "SVG with 32 KiB of CSS on 4000 elements": (
            "a.svg",
            svg(
                f"<style>{css_rules(32 * 1024 // 42)}</style>"
                + '<rect class="c" width="60" height="60"/>' * 4000
            ),
            "neutralised",
        ),
        "SVG with deeply nested CSS": (
            "a.svg",
            svg(f'<rect width="5" height="5" style="fill:{"calc(" * 5000}1{")" * 5000}"/>'),
            "neutralised",
        ),
        "SVG embedding a PNG bomb": (
            "a.svg",
            svg(f'<image width="5" height="5" href="data:image/png;base64,{_b64(big_png)}"/>'),
            "refused",
        ),
        "SVG embedding many PNGs": (
            "a.svg",
            svg(
                "".join(
                    '<image width="5" height="5" '
                    f'href="data:image/png;base64,{_b64(png_declaring(4096, 1024))}"/>'
                    for _ in range(8)
                )
            ),
            "refused",
        ),
        "UTF-16 SVG": (
            "a.svg",
            svg("<script>alert(1)</script>").decode().encode("utf-16"),
            "refused",
        ),
    }
