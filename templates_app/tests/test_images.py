"""Badge images: three renditions per version. (The checks every upload passes first are
those of the upload gate: core/tests/test_uploads.py.)"""

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.testing import png_bytes, png_upload, svg_upload
from templates_app.services import template_update
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


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
