"""Baking: the assertion inside the PNG or SVG, readable by the 1EdTech bakery."""

import io
import json
import struct
import time
import zlib
from xml.dom.minidom import parseString

import openbadges_bakery
import pytest
from PIL import Image

from assertions.baking import BakingError, BakingLimit, bake, bake_png, bake_svg, unbake
from core.testing import png_bytes
from core.tests import hostile_archives as hostile
from core.tests.hostile_sheets import bounded

DOC = json.dumps(
    {"id": "https://badges.example/public/assertions/abc", "narrative": "a ]]> b, ünïcode"}
)
URL = "https://badges.example/public/assertions/abc"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<circle cx="5" cy="5" r="4"/></svg>'
)


def chunks(png: bytes):
    pos, found = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        found.append((kind, data, crc))
        pos += 12 + length
    return found


def test_png_gets_one_itxt_openbadges_chunk_before_iend_with_a_correct_crc():
    # given a PNG
    original = png_bytes(size=400)
    # when an assertion is baked in
    baked = bake_png(original, DOC)
    # then an iTXt chunk with keyword "openbadges", uncompressed, sits just before IEND
    found = chunks(baked)
    assert [k for k, _, _ in found][-2:] == [b"iTXt", b"IEND"]
    kind, data, crc = found[-2]
    assert data.startswith(b"openbadges\x00\x00\x00\x00\x00")
    assert data.endswith(DOC.encode("utf-8"))
    assert crc == zlib.crc32(kind + data) & 0xFFFFFFFF
    # and the original bytes are all there, unchanged around the new chunk (no re-encoding)
    itxt = baked[len(original) - 12 : -12]
    assert len(itxt) == 12 + len(data)
    assert baked == original[:-12] + itxt + original[-12:]
    # and the image still decodes to the same pixels
    assert Image.open(io.BytesIO(baked)).tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_the_1edtech_bakery_unbakes_our_png():
    baked = bake(png_bytes(size=64), DOC, URL)
    assert json.loads(openbadges_bakery.unbake(io.BytesIO(baked))) == json.loads(DOC)
    assert unbake(baked) == DOC


def test_baking_twice_replaces_the_assertion_instead_of_adding_one():
    once = bake(png_bytes(), DOC, URL)
    twice = bake(once, '{"id": "other"}', URL)
    assert [k for k, _, _ in chunks(twice)].count(b"iTXt") == 1
    assert unbake(twice) == '{"id": "other"}'


def test_svg_gets_the_namespace_and_an_assertion_element_the_bakery_reads():
    # when an SVG is baked
    baked = bake(SVG, DOC, URL)
    # then its root declares the openbadges namespace and holds the assertion element
    root = parseString(baked).documentElement
    assert root.getAttribute("xmlns:openbadges") == "http://openbadges.org"
    element = root.getElementsByTagName("openbadges:assertion")[0]
    assert element.getAttribute("verify") == URL
    cdata = "".join(node.data for node in element.childNodes)
    assert json.loads(cdata) == json.loads(DOC)  # "]]>" escaped inside the JSON string
    # and the drawing is untouched
    assert b'<circle cx="5" cy="5" r="4"/>' in baked
    # and the 1EdTech bakery unbakes it (it answers the verify URL: the hosted assertion)
    assert openbadges_bakery.unbake(io.BytesIO(baked)) == URL
    assert json.loads(unbake(baked)) == json.loads(DOC)


def test_svg_baking_handles_a_self_closing_root_and_rebaking():
    baked = bake_svg(b'<svg xmlns="http://www.w3.org/2000/svg" a=">"/>', DOC, URL)
    assert baked.endswith(b"</svg>")
    parseString(baked)  # well-formed
    again = bake_svg(baked, '{"id": "x"}', URL)
    assert again.count(b"<openbadges:assertion") == 1
    assert again.count(b"xmlns:openbadges") == 1


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", b"GIF89a....", b"<html></html>"],
)
def test_what_cannot_carry_an_assertion_is_refused(data):
    with pytest.raises(BakingError):
        bake(data, DOC, URL)


def test_unbake_reads_open_badges_1_tEXt_and_finds_nothing_in_plain_images():
    assert unbake(png_bytes()) is None
    assert unbake(SVG) is None
    text = b"openbadges\x00https://old.example/assertion.json"
    png = png_bytes()
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + text) & 0xFFFFFFFF)
    old = png[:-12] + chunk + png[-12:]
    assert unbake(old) == "https://old.example/assertion.json"


MB = 1024 * 1024
TOO_MUCH_TEXT = "The assertion baked into the image is larger than 1,024 KiB."


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: hostile.many_chunks(170_000),
            "The PNG image has more than 10,000 chunks; a badge image has a few dozen.",
        ),
        (hostile.itxt_bomb, TOO_MUCH_TEXT),  # 200 MB, were inflated whole
        (lambda: hostile.itxt_bomb(kind=b"zTXt"), TOO_MUCH_TEXT),
        (lambda: hostile.png(hostile.itxt(b"x" * (MB + 1))), TOO_MUCH_TEXT),
        (
            hostile.svg_billion_laughs,
            "The SVG image has a DTD (<!DOCTYPE …>); a badge image may not: save it without.",
        ),
        (hostile.svg_many_elements, "The SVG image has more than 5,000 elements."),
        (lambda: hostile.many_chunks(1_000_000), "The image is larger than 2,048 KiB."),
    ],
)
def test_a_crafted_baked_image_is_refused_at_its_limit_without_expanding(build, message):
    # given an image with one trick
    data = build()

    # when its assertion is read
    with pytest.raises(BakingLimit) as refused, bounded(3, memory=True) as measured:
        unbake(data)

    # then it is refused at once, holding a few copies of the image at most (2 MB), never
    # what it would expand to
    assert str(refused.value) == message
    assert measured.seconds < 1
    assert measured.peak_bytes < 5 * MB


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (hostile.png(hostile.chunk(b"iTXt", b"openbadges\x00")), "cut short"),
        (hostile.png(hostile.chunk(b"iTXt", b"openbadges\x00\x00\x00ab")), "cut short"),
        (hostile.png(hostile.itxt(b"not zlib", compressed=True)), "not valid zlib data"),
        (hostile.png(hostile.chunk(b"zTXt", b"openbadges\x00\x00garbage")), "not valid zlib"),
        (hostile.png(hostile.itxt(b"\xff\xfe")), "not UTF-8 text"),
        (b'<?xml version="1.0" encoding="x-unknown"?><svg/>', "Not a readable SVG image"),
    ],
)
def test_a_broken_baked_text_is_a_baking_error_not_a_crash(data, message):
    # these raised IndexError, ValueError, zlib.error and UnicodeDecodeError: 500s
    with pytest.raises(BakingError, match=message) as refused:
        unbake(data)

    assert not isinstance(refused.value, BakingLimit)  # not crafted: just no badge


def test_a_baked_svg_is_read_up_to_its_assertion_only():
    # the assertion first, as bakers put it, then more than the element limit
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="https://a.example/1"><![CDATA[{"id": "x"}]]>'
        b"</openbadges:assertion>" + b"<g/>" * 400_000 + b"</svg>"
    )

    assert unbake(svg) == '{"id": "x"}'
    assert json.loads(unbake(bake_svg(SVG, DOC, URL))) == json.loads(DOC)
    assert unbake(hostile.png(hostile.itxt(zlib.compress(b"short"), compressed=True))) == "short"


def test_baking_a_400px_png_takes_microseconds():
    png = png_bytes(size=400)
    start = time.perf_counter()
    for _ in range(1000):
        bake(png, DOC, URL)
    per_badge = (time.perf_counter() - start) / 1000
    print(f"baking: {per_badge * 1e6:.1f} µs per 400x400 PNG")
    assert per_badge < 0.002
