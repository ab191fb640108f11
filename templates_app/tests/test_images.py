"""Badge images: three renditions per version, SVG sanitised, oversized uploads refused."""

import base64
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.exceptions import ApplicationError
from core.testing import png_bytes, png_upload
from templates_app.images import read_badge_image, sanitize_svg
from templates_app.services import template_update
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

SVG = b"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="300" height="300" viewBox="0 0 300 300">
  <defs><linearGradient id="g"><stop offset="0" stop-color="#2456d6"/>
    <stop offset="1" stop-color="#1f9d6b"/></linearGradient></defs>
  <circle cx="150" cy="150" r="140" fill="url(#g)"/>
  <text x="150" y="165" font-size="48" text-anchor="middle" fill="#fff"
        font-family="Montserrat, sans-serif">OB</text>
</svg>"""


def svg_upload(data: bytes = SVG, name: str = "badge.svg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/svg+xml")


def open_png(field) -> Image.Image:
    with field.open("rb") as f:
        data = f.read()
    assert data.startswith(b"\x89PNG")
    image = Image.open(BytesIO(data))
    image.load()
    return image


def test_a_png_upload_gets_three_png_renditions_fitted_into_their_sizes():
    # given a large PNG upload
    template = BadgeTemplateFactory(image=png_upload(size=1200))
    # when version 1 is made
    version = template.current_version
    # then the standard, high-resolution and thumbnail images are PNGs of 400, 1024 and 96
    assert open_png(version.image).size == (400, 400)
    assert open_png(version.image_high).size == (1024, 1024)
    assert open_png(version.image_thumbnail).size == (96, 96)


def test_small_images_are_not_enlarged_and_wide_ones_keep_their_aspect():
    # given a 64-pixel square and a 2:1 JPEG
    small = BadgeTemplateFactory(image=png_upload(size=64)).current_version
    wide = BytesIO()
    Image.new("RGB", (2000, 1000), "red").save(wide, format="JPEG")
    jpeg = BadgeTemplateFactory(
        image=SimpleUploadedFile("w.jpg", wide.getvalue(), "image/jpeg")
    ).current_version
    # then nothing grows past its source, and proportions stay
    assert open_png(small.image).size == (64, 64)
    assert open_png(small.image_high).size == (64, 64)
    assert open_png(small.image_thumbnail).size == (64, 64)
    assert jpeg.image.name.endswith(".png")
    assert open_png(jpeg.image).size == (400, 200)
    assert open_png(jpeg.image_thumbnail).size == (96, 48)


def test_renditions_drop_text_chunks_of_the_upload():
    # given an upload that is itself a baked badge (someone else's assertion inside)
    from assertions.baking import bake, unbake

    baked = bake(png_bytes(size=128), '{"id": "https://elsewhere.example/a/1"}', "u")
    template = BadgeTemplateFactory(image=SimpleUploadedFile("b.png", baked, "image/png"))
    # then no rendition carries that assertion
    version = template.current_version
    for field in (version.image, version.image_high, version.image_thumbnail):
        with field.open("rb") as f:
            assert unbake(f.read()) is None


def test_a_new_version_that_keeps_the_image_shares_all_three_files():
    template = BadgeTemplateFactory()
    first = template.current_version
    template_update(template=template, name="Renamed")
    template.refresh_from_db()
    second = template.current_version
    assert second.number == 2
    assert (second.image.name, second.image_high.name, second.image_thumbnail.name) == (
        first.image.name,
        first.image_high.name,
        first.image_thumbnail.name,
    )


def test_an_svg_upload_stays_svg_with_png_renditions_drawn_from_it():
    # given an SVG upload
    version = BadgeTemplateFactory(image=svg_upload()).current_version
    # then the standard image is the SVG, and high-res / thumbnail are drawn PNGs
    assert version.image.name.endswith(".svg")
    with version.image.open("rb") as f:
        assert f.read().lstrip().startswith(b"<svg")
    high = open_png(version.image_high)
    assert high.size == (1024, 1024)
    assert open_png(version.image_thumbnail).size == (96, 96)
    # the drawing is really there: the circle's centre is opaque, a corner transparent
    assert high.getpixel((512, 300))[3] == 255
    assert high.getpixel((2, 2))[3] == 0


def test_text_in_an_svg_is_drawn_even_in_a_font_the_server_lacks():
    # given an SVG whose only content is text in a font no server has
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
        b'<text x="10" y="60" font-size="40" font-family="NoSuchFont">Hi</text></svg>'
    )
    version = BadgeTemplateFactory(image=svg_upload(svg)).current_version
    # then the thumbnail is not blank
    alpha = open_png(version.image_thumbnail).getchannel("A")
    assert alpha.getextrema()[1] > 0


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
        read_badge_image(svg_upload(svg))
    assert "image" in err.value.field_errors


def test_an_embedded_image_with_a_huge_pixel_count_is_refused(settings):
    settings.BADGE_IMAGE_MAX_PIXELS = 32 * 32
    embedded = base64.b64encode(png_bytes(size=64)).decode()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="30" height="30">'
        f'<image href="data:image/png;base64,{embedded}" width="16" height="16"/></svg>'
    ).encode()
    with pytest.raises(ApplicationError, match="too many pixels"):
        read_badge_image(svg_upload(svg))


def test_svg_over_the_size_limit_is_refused(settings):
    settings.BADGE_IMAGE_MAX_BYTES = len(SVG) - 1
    with pytest.raises(ApplicationError, match="larger than"):
        read_badge_image(svg_upload())
