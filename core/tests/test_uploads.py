"""The upload gate (core.uploads): what it keeps of an image, what it refuses and why.

tests/security/test_uploads.py proves that every way in goes through it, and
tests/security/test_hostile_files.py feeds it a corpus of hostile files against a clock.
"""

import base64
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from core.exceptions import ApplicationError
from core.testing import SVG_BADGE, png_bytes, svg_upload
from core.uploads import image_accept, sanitize_svg


def test_svg_sanitising_removes_scripts_handlers_and_external_references():
    # given an SVG with every kind of active or external content
    hostile = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
      xmlns:x="http://example.org/x" width="100" height="100" onload="alert(1)" x:evil="1">
      <script>alert(1)</script>
      <style>@import url(https://evil.example/a.css);
        circle { fill: url(https://evil.example/p.svg#p); stroke: url(#ok) }</style>
      <foreignObject><div xmlns="http://www.w3.org/1999/xhtml">html</div></foreignObject>
      <a href="javascript:alert(2)"><circle r="5"/></a>
      <image href="https://evil.example/track.png" width="10" height="10"/>
      <image xlink:href="file:///etc/passwd" width="10" height="10"/>
      <use xlink:href="https://evil.example/sprite.svg#icon"/>
      <animate attributeName="href" to="javascript:alert(3)"/>
      <set attributeName="onclick" to="alert(4)"/>
      <circle id="ok" cx="50" cy="50" r="40" fill="blue" onclick="alert(5)" style="fill: url('https://evil.example/x')"/>
      <rect width="10" height="10" fill="url(https://evil.example/g)"/>
    </svg>"""
    # when it is sanitised
    clean = sanitize_svg(hostile).decode()
    # then only the drawing is left
    for gone in (
        "script",
        "onload",
        "onclick",
        "evil.example",
        "javascript",
        "foreignObject",
        "animate",
        "<set",
        "@import",
        "file:",
        "example.org/x",
    ):
        assert gone not in clean, gone
    assert 'id="ok"' in clean
    assert "url(#ok)" in clean
    assert clean.startswith('<svg xmlns="http://www.w3.org/2000/svg"')


def test_svg_keeps_same_document_references_and_embedded_raster_images():
    embedded = base64.b64encode(png_bytes(size=16)).decode()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="50" height="50"><defs><circle id="c" r="5"/></defs><use xlink:href="#c"/>'
        f'<image href="data:image/png;base64,{embedded}" width="16" height="16"/></svg>'
    ).encode()
    clean = sanitize_svg(svg).decode()
    assert 'xlink:href="#c"' in clean
    assert f"data:image/png;base64,{embedded}" in clean


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
            "DTD",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><circle', "not well-formed"),
        (b"<svg><circle/></svg>", "root element"),  # no SVG namespace
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"/>',
            "canvas is too large",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 90000 90000"/>',
            "canvas is too large",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 0 10"/>',
            "no area",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<g id="a"><circle r="1"/></g><g id="b"><use xlink:href="#a"/><use xlink:href="#a"/>'
            b'</g><use xlink:href="#b"/></svg>',
            "refer to other <use>",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g/>" * 6000 + b"</svg>",
            "more than 5000 elements",
        ),
    ],
)
def test_dangerous_or_unreadable_svg_is_refused_with_a_clear_message(svg, message):
    with pytest.raises(ApplicationError, match=message) as err:
        image_accept(svg_upload(svg))
    assert "image" in err.value.field_errors


def test_an_embedded_image_with_a_huge_pixel_count_is_refused(settings):
    settings.BADGE_IMAGE_MAX_PIXELS = 32 * 32
    embedded = base64.b64encode(png_bytes(size=64)).decode()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="30">'
        f'<image href="data:image/png;base64,{embedded}" width="16" height="16"/></svg>'
    ).encode()
    with pytest.raises(ApplicationError, match="too many pixels"):
        image_accept(svg_upload(svg))


def test_svg_over_the_size_limit_is_refused(settings):
    settings.BADGE_IMAGE_MAX_BYTES = len(SVG_BADGE) - 1
    with pytest.raises(ApplicationError, match="larger than"):
        image_accept(svg_upload())


# --- SVG: CSS however it is written ---------------------------------------------------------

# Each of these made a browser fetch from evil.example when the SVG was opened (finding 10):
# CSS escapes hide `@import` and `url(` from a search for them, and some functions fetch
# without any url() at all.
CSS_FETCHES = {
    "escaped @import": r"@\69mport url(https://evil.example/a.css);",
    "escaped @import, string form": r'@\000069mport "https://evil.example/b.css";',
    "@import with a comment": "@im/**/port url(https://evil.example/c.css);",
    "escaped url() in a rule": r"circle { fill: u\72l(https://evil.example/d.svg#p) }",
    "escaped url( with quotes": r"circle { fill: u\72 l('https://evil.example/e.svg#p') }",
    "url() with spaces and a string": 'circle { fill: url(  "https://evil.example/f" ) }',
    "image-set()": 'rect { fill: image-set("https://evil.example/g.png" 1x) }',
    "-webkit-image-set()": 'rect { fill: -webkit-image-set("https://evil.example/h.png" 1x) }',
    "@font-face": "@font-face { font-family: x; src: url(https://evil.example/i.woff) }",
    "a property that fetches": "svg { background-image: url(https://evil.example/j.png) }",
    "cursor": "svg { cursor: url(https://evil.example/k.cur), auto }",
    "a custom property": "svg { --x: url(https://evil.example/l.png); fill: var(--x) }",
    "an escaped property name": r"svg { b\61ckground: url(https://evil.example/m.png) }",
    "url() nested in a function": "circle { fill: rgb(url(https://evil.example/n) 0 0) }",
    "@media around a fetch": "@media all { circle { fill: url(https://evil.example/o) } }",
    "a selector with a url": "circle[x=url(https://evil.example/p)] { fill: red }",
}


def _svg_with_style(css: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50">'
        f"<style>{css}</style>"
        '<circle id="ok" cx="25" cy="25" r="20" fill="blue" '
        f'style="{css.replace(chr(34), chr(39))}"/>'
        "</svg>"
    ).encode()


@pytest.mark.parametrize("case", CSS_FETCHES, ids=list(CSS_FETCHES))
def test_css_that_would_fetch_is_removed_however_it_is_escaped(case):
    # given CSS that fetches from outside, in a <style> element and in a style attribute
    svg = _svg_with_style(CSS_FETCHES[case])
    # when the SVG passes the gate
    clean = image_accept(svg_upload(svg)).data.decode()
    # then nothing of the outside reference survives, and the drawing does
    assert "evil.example" not in clean
    assert "\\" not in clean  # nothing left in escaped form for a browser to decode
    assert '<circle id="ok"' in clean


@pytest.mark.parametrize(
    "attribute",
    [
        r'fill="u\72l(https://evil.example/a#p)"',
        "filter=\"url('https://evil.example/b#f')\"",
        'mask="image(https://evil.example/c.png)"',
        'transform="translate(1) url(https://evil.example/d)"',
    ],
)
def test_presentation_attributes_are_read_as_css_too(attribute):
    svg = f'<svg xmlns="http://www.w3.org/2000/svg"><rect width="5" height="5" {attribute}/></svg>'
    clean = sanitize_svg(svg.encode()).decode()
    assert "evil.example" not in clean
    assert "<rect" in clean


def test_css_that_only_draws_is_kept():
    # given a stylesheet of ordinary drawing properties and a same-document paint server
    css = (
        "circle.a { fill: url(#g); stroke: rgb(10 20 30); stroke-width: calc(2px + 1px) }"
        " text { font-family: 'DejaVu Sans', sans-serif; font-size: 12px }"
    )
    svg = _svg_with_style(css)
    clean = sanitize_svg(svg).decode()
    # then each rule and declaration is still there
    for kept in (
        "circle.a{fill:url(#g);stroke:rgb(10 20 30);stroke-width:calc(2px + 1px)}",
        'font-family:"DejaVu Sans", sans-serif',
        "font-size:12px",
    ):
        assert kept in clean, (kept, clean)


def test_processing_instructions_and_foreign_namespaces_are_dropped():
    svg = (
        b'<?xml-stylesheet href="https://evil.example/s.css"?>'
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml">'
        b'<h:script>alert(1)</h:script><g><h:iframe src="https://evil.example/f"/></g>'
        b'<rect width="5" height="5"/></svg>'
    )
    clean = image_accept(svg_upload(svg)).data.decode()
    assert "evil.example" not in clean
    assert "script" not in clean
    assert "<rect" in clean


def test_an_embedded_svg_or_gif_is_dropped_and_an_embedded_png_is_re_encoded():
    gif = BytesIO()
    Image.new("RGB", (4, 4)).save(gif, format="GIF")
    inner = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    polyglot_png = png_bytes(size=16) + b"<script>alert(1)</script>"
    images = [
        f"data:image/svg+xml;base64,{base64.b64encode(inner).decode()}",
        f"data:image/gif;base64,{base64.b64encode(gif.getvalue()).decode()}",
        f"data:image/png;base64,{base64.b64encode(polyglot_png).decode()}",
    ]
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">' + "".join(
        f'<image href="{href}" width="4" height="4"/>' for href in images
    )
    clean = sanitize_svg((svg + "</svg>").encode()).decode()
    assert clean.count("<image") == 3
    assert clean.count("href=") == 1
    embedded = base64.b64decode(clean.split("data:image/png;base64,")[1].split('"')[0])
    assert embedded.startswith(b"\x89PNG")
    assert b"<script" not in embedded


def test_svg_nested_deeper_than_the_limit_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 150 + b"</g>" * 150 + b"</svg>"
    with pytest.raises(ApplicationError, match="nests elements more than 100 deep"):
        image_accept(svg_upload(svg))


# --- raster images: sniffed, measured from the header, re-encoded --------------------------


def _raster(fmt: str, size=(32, 32), mode="RGB", **save) -> bytes:
    out = BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt, **save)
    return out.getvalue()


def _png_with_text(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return _raster("PNG", pnginfo=info)


@pytest.mark.parametrize(
    ("data", "ext"),
    [
        (_raster("PNG"), ".png"),
        (_raster("JPEG"), ".jpg"),
        (_raster("WEBP"), ".webp"),
        (_raster("WEBP", lossless=True), ".webp"),
        (SVG_BADGE, ".svg"),
    ],
)
def test_the_stored_name_takes_the_sniffed_type_never_the_uploaded_name(data, ext):
    # given an accepted image uploaded under a name that says something else
    upload = SimpleUploadedFile("x.js", data, content_type="text/javascript")
    # when it passes the gate
    image = image_accept(upload)
    # then it is stored as what its bytes are
    assert image.as_file().name == f"x{ext}"
    assert image.type.ext == ext


@pytest.mark.parametrize(
    "polyglot",
    [
        _raster("PNG") + b"<html><script>alert(1)</script></html>",
        _raster("JPEG") + b"<html><script>alert(1)</script></html>",
        _png_with_text("<script>alert(1)</script>"),
        _raster("JPEG", comment=b"<script>alert(1)</script>"),
        _raster("WEBP", exif=b"Exif\x00\x00<script>alert(1)</script>"),
    ],
    ids=["png+html", "jpeg+html", "png-text-chunk", "jpeg-comment", "webp-exif"],
)
def test_a_raster_image_is_stored_as_its_pixels_only(polyglot):
    assert b"<script>" in polyglot
    stored = image_accept(polyglot).data
    assert b"<script" not in stored
    assert b"<html" not in stored
    with Image.open(BytesIO(stored)) as img:
        assert img.size == (32, 32)
        assert img.convert("RGB").getpixel((5, 5))[0] > 200  # still red


def test_a_jpeg_taken_sideways_is_stored_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    data = _raster("JPEG", size=(40, 20), exif=exif.tobytes())
    stored = image_accept(data)
    with Image.open(BytesIO(stored.data)) as img:
        assert img.size == (20, 40)
        assert img.getexif().get(0x0112) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_raster("GIF"), "GIF files are not accepted"),
        (b"<html><script>alert(1)</script></html>", "not a PNG, JPEG, WebP or SVG"),
        (b"alert(document.cookie)", "not a PNG, JPEG, WebP or SVG"),
        (_raster("PNG")[:60], "not a readable PNG"),
        (_raster("JPEG")[:200], "not a readable JPEG"),
        (_raster("WEBP")[:30], "not a readable WEBP"),
        (b"\x89PNG\r\n\x1a\n", "not a readable PNG"),
    ],
    ids=["gif", "html", "js", "truncated-png", "truncated-jpeg", "truncated-webp", "png-sig"],
)
def test_what_is_not_a_whole_accepted_image_is_refused_naming_why(data, message):
    with pytest.raises(ApplicationError, match=message) as err:
        image_accept(data)
    assert list(err.value.field_errors) == ["image"]


def test_the_pixel_limits_are_read_from_the_header_before_any_decoding(settings, monkeypatch):
    # given a limit of 64 pixels a side, and a decoder that must not be reached
    settings.BADGE_IMAGE_MAX_SIDE = 64
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("decoded"))
    for data in (_raster("PNG", (65, 1)), _raster("JPEG", (1, 65)), _raster("WEBP", (65, 2))):
        # then each is refused on its declared size
        with pytest.raises(ApplicationError, match="no side may be over 64"):
            image_accept(data)


def test_a_data_uri_of_another_type_is_refused_before_it_is_read():
    from core.uploads import image_data_uri_bytes

    png = base64.b64encode(_raster("PNG")).decode()
    assert image_data_uri_bytes(f"data:image/png;base64,{png}") == _raster("PNG")
    for uri in (
        f"data:text/html;base64,{png}",
        "data:text/html,<script>alert(1)</script>",
        f"data:image/gif;base64,{png}",
        f"data:application/javascript;base64,{png}",
        "data:image/png,notbase64",
        "data:image/png;base64,***",
    ):
        with pytest.raises(ApplicationError) as err:
            image_data_uri_bytes(uri)
        assert err.value.field_errors == {"image": [err.value.message]}
