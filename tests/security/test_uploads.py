"""Badge images through every way in: /v2 badge class create, /api/v1 templates, and the
admin's template form. Hostile SVG is stored sanitised; a decompression bomb, an
over-size file and anything that is not an accepted image are refused, and nothing is
created. (templates_app/tests/test_images.py proves the sanitiser and the checks one
by one; these prove each entry point goes through them.)"""

import base64
import os
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from issuers.models import Issuer, Role
from issuers.tests.factories import MembershipFactory
from templates_app.models import BadgeTemplate
from tests.admin.helpers import admin_url, form_data
from tests.admin.test_admin_scoping import template_post
from tests.api_v2.conftest import client_for
from tests.security import hostile

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


# --- finding 1: any file was hosted on our own origin ----------------------------------------
#
# An owner sent `image=x.js`, then `image=page.html` loading it, to PATCH
# /api/v1/organizations/{id}; both were stored as sent and served from /media/ as
# text/javascript and text/html, so the page ran the script under the production CSP
# (`script-src 'self'`). PUT /v2/issuers/{id} took data:text/html, SVG with <script> and
# a 30000 × 30000 PNG.

X_JS = hostile.JS
PAGE_HTML = hostile.HTML_PAGE


def _stored_media(settings) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _v1_patch_image(owner, name, data, content_type):
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    return client_for(owner.user, "rw:issuer").patch(
        f"/api/v1/organizations/{owner.issuer.entity_id}", {"image": upload}, format="multipart"
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [("x.js", X_JS, "text/javascript"), ("page.html", PAGE_HTML, "text/html")],
)
def test_v1_organization_image_refuses_a_script_or_a_page_and_stores_nothing(
    editor, settings, name, data, content_type
):
    # when an owner sends a script, then a page loading it, as the organization's image
    response = _v1_patch_image(editor, name, data, content_type)
    # then each is a 400 naming the image field in /api/v1's error shape, and nothing is kept
    assert response.status_code == 400, response.content
    body = response.json()
    assert "not a PNG, JPEG, WebP or SVG" in body["field_errors"]["image"][0]
    editor.issuer.refresh_from_db()
    assert not editor.issuer.image
    assert _stored_media(settings) == []


def test_v1_organization_image_is_stored_under_its_sniffed_type_and_served_as_it(
    editor, client, settings
):
    # given a PNG sent under a script's name and type
    response = _v1_patch_image(editor, "x.js", hostile.raster("PNG"), "text/javascript")
    assert response.status_code == 200, response.content
    # then it is stored and linked as a .png, and served as an image that nothing sniffs
    path = response.json()["image_path"].removeprefix(settings.SITE_URL)
    assert path.startswith("/media/issuers/x")
    assert path.endswith(".png")
    served = client.get(path)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]


def test_files_already_in_storage_are_served_only_as_images(client, settings):
    # given files the old code stored as they came, and the rows of a queued assignment
    files = {
        "issuers/x.js": X_JS,
        "issuers/page.html": PAGE_HTML,
        "issuers/page.htm": PAGE_HTML,
        "issuers/logo": PAGE_HTML,
        "assignment-batches/abc.jsonl": b'{"email": "someone@example.org"}',
        "issuers/logo.svg": hostile.svg("<script>alert(1)</script>"),
        "issuers/logo.jpg": PAGE_HTML,  # HTML under an image's name
    }
    for name, data in files.items():
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    # then what is not an image type is not served at all
    for name in list(files)[:5]:
        assert client.get(f"/media/{name}").status_code == 404, name
    # and an image is served as its type, never sniffed, and sandboxed when opened directly
    for name, content_type in (
        ("issuers/logo.svg", "image/svg+xml"),
        ("issuers/logo.jpg", "image/jpeg"),
    ):
        response = client.get(f"/media/{name}")
        assert response.status_code == 200, name
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        csp = [d.strip() for d in response["Content-Security-Policy"].split(";")]
        assert "sandbox" in csp
        assert "default-src 'none'" in csp


def _v2_put_image(editor, image):
    return client_for(editor.user).put(
        f"/v2/issuers/{editor.issuer.entity_id}", {"image": image}, format="json"
    )


def _data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (
            _data_uri("text/html", PAGE_HTML),
            "data:image/png, image/jpeg, image/webp or image/svg+xml",
        ),
        ("data:text/html,<script>alert(1)</script>", "data:image/png, image/jpeg"),
        (_data_uri("image/png", PAGE_HTML), "not a PNG, JPEG, WebP or SVG"),
        (_data_uri("image/png", hostile.png_declaring(30000, 30000)), "no side may be over"),
    ],
    ids=["data:text/html", "data:text/html-plain", "html-as-png", "png-30000x30000"],
)
def test_v2_issuer_put_refuses_html_and_huge_images_in_badgrs_envelope(
    editor, settings, image, message
):
    response = _v2_put_image(editor, image)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"]["success"] is False
    assert message in body["fieldErrors"]["image"][0]
    editor.issuer.refresh_from_db()
    assert not editor.issuer.image
    assert _stored_media(settings) == []


def test_v2_issuer_put_stores_an_svg_without_its_script(editor, client, settings):
    svg = hostile.svg(
        '<script>alert(document.cookie)</script><circle r="5" onload="alert(1)"/>'
        r"<style>@\69mport url(https://evil.example/a.css)</style>"
    )
    response = _v2_put_image(editor, _data_uri("image/svg+xml", svg))
    assert response.status_code == 200, response.content
    editor.issuer.refresh_from_db()
    assert editor.issuer.image.name.endswith(".svg")
    stored = editor.issuer.image.read()
    for gone in (b"<script", b"onload", b"evil.example", b"import"):
        assert gone not in stored
    served = client.get(editor.issuer.image.url)
    assert served["Content-Type"] == "image/svg+xml"
    assert "sandbox" in served["Content-Security-Policy"]


def test_the_admin_issuer_form_refuses_a_page_on_the_image_field(editor, client, settings):
    # given the owner on the issuer's admin page
    client.force_login(editor.user)
    url = admin_url(Issuer, "change", editor.issuer.pk)
    data = form_data(client.get(url))
    # when a page is uploaded as its image
    data["image"] = SimpleUploadedFile("page.html", PAGE_HTML, content_type="text/html")
    response = client.post(url, data)
    # then the form comes back with the problem on the image field, and nothing is kept
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["image"]
    assert "not a PNG, JPEG, WebP or SVG" in errors[0]
    editor.issuer.refresh_from_db()
    assert not editor.issuer.image
    assert _stored_media(settings) == []
    # and an SVG with a script is kept, without it
    data["image"] = SimpleUploadedFile("logo.png", hostile.svg("<script>alert(1)</script>"))
    assert client.post(url, data).status_code == 302
    editor.issuer.refresh_from_db()
    assert editor.issuer.image.name.endswith(".svg")
    assert b"<script" not in editor.issuer.image.read()
