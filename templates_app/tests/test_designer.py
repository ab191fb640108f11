"""The badge designer (issue 20): every shape and icon makes an SVG the upload gate
keeps as drawn; bad choices are refused under their fields; a picture passes the gate."""

from io import BytesIO

import pytest
from PIL import Image

from core.exceptions import ApplicationError
from core.testing import SVG_BADGE, png_bytes
from core.uploads import SVG, image_accept, render_svg_png
from templates_app.designer import ICONS, SHAPES, design_clean, design_svg


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_is_an_svg_the_gate_keeps_unchanged(shape):
    # given a design in each shape, with a title long enough for two lines
    design = design_clean({"shape": shape, "title": "Python for Data Science", "icon": "code"})
    # when it is drawn and passes the gate
    svg = design_svg(design)
    accepted = image_accept(svg)
    # then it stays an SVG with its title (nothing of it was stripped)
    assert accepted.type is SVG
    assert b"Python for" in accepted.data
    assert b"Data Science" in accepted.data
    assert accepted.data.count(b"<") == svg.count(b"<")  # every element kept


def test_every_icon_is_drawn_in_the_text_colour():
    for icon in ICONS:
        svg = design_svg(design_clean({"icon": icon, "text_colour": "#123456"}))
        assert (b"#123456" in svg) is (icon != "none"), icon


def test_the_png_rendition_shows_the_background_colour():
    # given a red badge
    svg = design_svg(design_clean({"shape": "square", "background": "#ff0000", "icon": "none"}))
    # when it is drawn as a PNG
    png = render_svg_png(image_accept(svg).data, 96)
    # then its middle is red
    with Image.open(BytesIO(png)) as img:
        assert img.size == (96, 96)
        assert img.convert("RGB").getpixel((48, 48)) == (255, 0, 0)


def test_bad_choices_are_refused_under_their_fields():
    with pytest.raises(ApplicationError) as caught:
        design_clean(
            {
                "shape": "triangle",
                "icon": "skull",
                "background": "red",
                "accent": "#12345",
                "text_colour": '#fff" onload="x',
                "title": "x" * 41,
            }
        )
    assert set(caught.value.field_errors) == {
        "shape",
        "icon",
        "background",
        "accent",
        "text_colour",
        "title",
    }


def test_a_picture_replaces_the_icon_after_passing_the_gate():
    # given a PNG picture
    svg = design_svg(design_clean({"title": "Team"}), picture=png_bytes(size=80))
    # then it is embedded as the pixels the gate re-encoded, cut to a circle, and the
    # whole SVG passes the gate with the picture kept
    accepted = image_accept(svg)
    assert b"data:image/png;base64," in accepted.data
    assert b"clip-path" in accepted.data


@pytest.mark.parametrize(
    ("picture", "problem"),
    [
        (b"GIF89a" + b"\0" * 20, "GIF files are not accepted"),
        (SVG_BADGE, "PNG, JPEG or WebP"),
        (b"<html><script>alert(1)</script></html>", "not a PNG, JPEG, WebP or SVG"),
    ],
)
def test_a_picture_the_gate_refuses_is_an_error_on_the_picture_field(picture, problem):
    with pytest.raises(ApplicationError) as caught:
        design_svg(design_clean({}), picture=picture)
    assert problem in " ".join(caught.value.field_errors["picture"])
