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

from assertions.baking import BakingError, bake, bake_png, bake_svg, unbake
from core.testing import png_bytes

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


def test_baking_a_400px_png_takes_microseconds():
    png = png_bytes(size=400)
    start = time.perf_counter()
    for _ in range(1000):
        bake(png, DOC, URL)
    per_badge = (time.perf_counter() - start) / 1000
    print(f"baking: {per_badge * 1e6:.1f} µs per 400x400 PNG")
    assert per_badge < 0.002
