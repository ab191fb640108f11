"""Open Badges 3.0 baking: the badge image with its signed credential inside (PNG iTXt
`openbadgecredential`, SVG `<openbadges:credential>`), read back by readers this project
did not write (Pillow's PNG text chunks, the standard library's XML parser), and the
credential read back verifies."""

import io
import xml.etree.ElementTree as ET  # noqa: S405 - our own response, parsed in a test

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assertions import baking
from assertions.services import assertion_revoke
from core.testing import SVG_BADGE, svg_upload
from credentials import signing, verify
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db
OB3_NS = "https://purl.imsglobal.org/ob/v3p0"


def image_url(badge) -> str:
    return f"/public/assertions/{badge.entity_id}/credential/image"


def test_a_png_badge_carries_its_credential_in_an_openbadgecredential_itxt_chunk(
    client, make_badge
):
    # given a badge whose template image is a PNG
    badge = make_badge()
    # when its OB 3.0 baked image is downloaded
    response = client.get(image_url(badge) + "?download=1")
    # then it is a PNG whose iTXt chunk `openbadgecredential`, read by Pillow, is the
    # badge's VC-JWT, which verifies
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].endswith('.png"')
    with Image.open(io.BytesIO(response.content)) as image:
        image.load()
        token = image.text["openbadgecredential"]
    header, claims = signing.unverified_parts(token)
    assert header["alg"] == "RS256"
    assert claims["jti"] == f"{badge.url}/credential"
    assert verify.verify_input(token)[0].valid
    # and our own reader agrees; the OB 2.0 keyword is not in this image
    assert baking.unbake_credential(response.content) == token
    assert baking.unbake(response.content) is None


def test_an_svg_badge_carries_its_credential_in_an_openbadges_credential_element(
    client, make_badge, issuer
):
    # given a badge whose template image is an SVG
    badge = make_badge(template=BadgeTemplateFactory(issuer=issuer, image=svg_upload()))
    response = client.get(image_url(badge))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    # then the standard XML parser finds <openbadges:credential> in the OB 3.0 namespace,
    # first child of the root, holding the VC-JWT
    root = ET.fromstring(response.content)  # noqa: S314
    first = root[0]
    assert first.tag == f"{{{OB3_NS}}}credential"
    token = first.text.strip()
    assert verify.verify_input(token)[0].valid
    assert b'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in response.content
    assert baking.unbake_credential(response.content) == token


def test_baking_again_replaces_the_credential_and_the_ob2_namespace(make_badge):
    # given an SVG baked the OB 2.0 way, then baked with a credential twice
    ob2 = baking.bake_svg(SVG_BADGE, '{"id": "x"}', "https://badges.example/a")
    once = baking.bake_credential(ob2, "a.b.c")
    twice = baking.bake_credential(once, "d.e.f")
    # then one credential element remains, under the OB 3.0 namespace only
    root = ET.fromstring(twice)  # noqa: S314
    assert [child.tag for child in root].count(f"{{{OB3_NS}}}credential") == 1
    assert root[0].text == "d.e.f"
    assert b"http://openbadges.org" not in twice
    assert b"openbadges:assertion" not in twice


def test_a_revoked_badge_has_no_baked_credential(client, make_badge):
    badge = make_badge()
    assertion_revoke(assertion=badge, reason="Mistake")
    assert client.get(image_url(badge)).status_code == 410


def test_a_json_credential_with_cdata_end_is_baked_safely():
    svg = baking.bake_credential(SVG_BADGE, '{"name": "a]]>b"}')
    root = ET.fromstring(svg)  # noqa: S314
    assert root[0].text == '{"name": "a]]\\u003eb"}'


def test_a_legacy_jpeg_template_image_is_baked_as_png(client, make_badge, issuer):
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(jpeg, format="JPEG")
    template = BadgeTemplateFactory(issuer=issuer)
    version = template.current_version
    version.image.save("legacy.jpg", SimpleUploadedFile("legacy.jpg", jpeg.getvalue()))
    badge = make_badge(template=template)
    response = client.get(image_url(badge))
    assert response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        image.load()
        assert "openbadgecredential" in image.text
