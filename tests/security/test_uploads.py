"""Badge images through every way in: /v2 badge class create, /api/v1 templates, and the
admin's template form. Hostile SVG is stored sanitised; a decompression bomb, an
over-size file and anything that is not an accepted image are refused, and nothing is
created. (templates_app/tests/test_images.py proves the sanitiser and the checks one
by one; these prove each entry point goes through them.)"""

import os
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.models import BadgeTemplate
from tests.admin.test_admin_scoping import template_post
from tests.api_v2.conftest import client_for

pytestmark = pytest.mark.django_db

HOSTILE_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg"
  xmlns:xlink="http://www.w3.org/1999/xlink" width="100" height="100" onload="alert(1)">
  <script>alert(document.cookie)</script>
  <circle cx="50" cy="50" r="40" fill="blue" onclick="alert(2)" onmouseover="alert(3)"/>
  <image xlink:href="https://evil.example/track.png" width="10" height="10"/>
  <use xlink:href="https://evil.example/sprite.svg#icon"/>
  <a xlink:href="javascript:alert(4)"><rect width="5" height="5"/></a>
</svg>"""


def _image(fmt: str, size=(64, 64), mode="RGB", **save) -> bytes:
    out = BytesIO()
    Image.new(mode, size).save(out, format=fmt, **save)
    return out.getvalue()


def _noise_png(size: int) -> bytes:
    out = BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(out, format="PNG")
    return out.getvalue()


def _bomb() -> bytes:
    # 8,000 x 8,000 one-bit pixels: ~8 KiB on disk, 256 MB as RGBA once decoded (four
    # times BADGE_IMAGE_MAX_PIXELS; below Pillow's own bomb limit, so ours decides).
    return _image("PNG", size=(8000, 8000), mode="1", optimize=True)


@pytest.fixture
def editor(db):
    return MembershipFactory(role=Role.OWNER)


def via_v2(editor, client, name, data, content_type):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    response = client_for(editor.user).post(
        f"/v2/issuers/{editor.issuer.entity_id}/badgeclasses",
        {"name": "Uploaded", "criteriaUrl": "https://x.example/c", "image": upload},
        format="multipart",
    )
    return response.status_code, response.content


def via_v1(editor, client, name, data, content_type):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    response = client_for(editor.user, "rw:issuer").post(
        "/api/v1/badge-templates",
        {
            "organization_id": editor.issuer.entity_id,
            "name": "Uploaded",
            "criteria_url": "https://x.example/c",
            "image": upload,
        },
        format="multipart",
    )
    return response.status_code, response.content


def via_admin(editor, client, name, data, content_type):
    client.force_login(editor.user)
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    body = template_post(editor.issuer, name="Uploaded", image=upload)
    response = client.post("/admin/templates_app/badgetemplate/add/", body)
    # the admin answers a refused form with the form again (200) and a saved one with 302
    if response.status_code == 302:
        return 201, b""
    errors = response.context["adminform"].form.errors.get("image", [])
    return 400, " ".join(errors).encode()


ENTRY_POINTS = [via_v2, via_v1, via_admin]


@pytest.mark.parametrize("send", ENTRY_POINTS)
def test_a_hostile_svg_is_stored_without_scripts_handlers_or_external_references(
    editor, client, send
):
    status, body = send(editor, client, "badge.svg", HOSTILE_SVG, "image/svg+xml")
    assert status == 201, body[:500]
    version = BadgeTemplate.objects.get(name="Uploaded").current_version
    with version.image.open("rb") as stored:
        svg = stored.read().decode()
    for gone in ("<script", "onload", "onclick", "onmouseover", "evil.example", "javascript:"):
        assert gone not in svg, gone
    assert "<circle" in svg


PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
HTML = b"<html><script>alert(1)</script></html>"
# name, content, content type, what the refusal says (None: the form's own message)
REFUSED = {
    "a decompression bomb": ("bomb.png", _bomb, "image/png", "too many pixels"),
    "an over-size file": ("big.png", lambda: _noise_png(1100), "image/png", "larger than"),
    "HTML named .png": ("page.png", lambda: HTML, "image/png", None),
    "a PDF": ("doc.pdf", lambda: PDF, "application/pdf", None),
    "a BMP image": ("pic.bmp", lambda: _image("BMP"), "image/bmp", "not accepted"),
    "a TIFF image": ("pic.tiff", lambda: _image("TIFF"), "image/tiff", "not accepted"),
    "an empty file": ("empty.png", lambda: b"", "image/png", None),
}


@pytest.mark.parametrize("send", ENTRY_POINTS)
@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_what_is_not_an_acceptable_image_is_refused_and_nothing_is_made(editor, client, send, case):
    name, make, content_type, message = REFUSED[case]
    # the 1100 x 1100 noise PNG is about 3.5 MiB, over the 2 MiB default limit
    status, body = send(editor, client, name, make(), content_type)
    assert status == 400, body[:500]
    assert body, "a refusal says why"
    if message:
        assert message.encode() in body, body[:800]
    assert not BadgeTemplate.objects.exists()
