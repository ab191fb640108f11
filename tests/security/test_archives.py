"""Issue 17, "the worker is never held longer than a few seconds by any upload": hostile
zips and baked images through every page that takes them - the import of badges awarded
elsewhere (a zip, or baked PNG/SVG images), the backpack's import of a baked image, the
credential verifier's file. Each is refused within a few seconds with a sentence on the
form, never a 500, and nothing is queued or kept.

(No API takes a zip or a baked image; /api/v1 and /v2 take images through the upload
gate, tests/security/test_uploads.py. core/tests/test_zips.py and
assertions/tests/test_baking.py prove each limit one by one, with the memory held.)"""

import os
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import UserFactory
from assertions.models import ImportedBadge
from core.tests import hostile_archives as hostile
from core.tests.hostile_sheets import bounded
from imports.models import ImportRun
from issuers.models import Role
from issuers.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SECONDS = 3
DTD = "The SVG image has a DTD (<!DOCTYPE …>); a badge image may not: save it without."
TOO_MUCH_TEXT = "The assertion baked into the image is larger than 1,024 KiB."

# (file name, builder, what the import page says)
FOR_THE_IMPORT = {
    "200,000 empty entries in 11 MB": (
        "badges.zip",
        hostile.empty_entries,
        "The zip file's directory is 10.6 MB; at most 512.0 KB is read.",
    ),
    "a directory that says 1 KB of a member expanding to 20 MB": (
        "badges.zip",
        hostile.lying_sizes,
        "ada.png in the zip file cannot be read (BadZipFile). Make the zip again.",
    ),
    "a member expanding to 40 MB from 40 KB": (
        "badges.zip",
        hostile.bomb_member,
        "badge.png in the zip file expands 1,0",
    ),
    "a zip in the zip": (
        "badges.zip",
        lambda: hostile.nested({"ada.png": hostile.baked_png()}),
        "more-badges.zip in the zip file is itself a zip; unzip it and upload the badges it holds.",
    ),
    "an encrypted member": (
        "badges.zip",
        hostile.encrypted_member,
        "ada.png in the zip file is encrypted; make the zip without a password.",
    ),
    "a PNG of 1,000,000 chunks (12 MB)": (
        "many.png",
        lambda: hostile.many_chunks(1_000_000),
        "many.png: The image is larger than 2,048 KiB.",
    ),
    "a PNG of 170,000 chunks (2 MB)": (
        "many.png",
        lambda: hostile.many_chunks(170_000),
        "many.png: The PNG image has more than 10,000 chunks; a badge image has a few dozen.",
    ),
    "an iTXt inflating to 200 MB": ("bomb.png", hostile.itxt_bomb, f"bomb.png: {TOO_MUCH_TEXT}"),
    "a zTXt inflating to 200 MB": (
        "bomb.png",
        lambda: hostile.itxt_bomb(kind=b"zTXt"),
        f"bomb.png: {TOO_MUCH_TEXT}",
    ),
    "the iTXt bomb in a zip": (
        "badges.zip",
        lambda: hostile.zip_of({"ok.png": hostile.baked_png(), "in/bomb.png": hostile.itxt_bomb()}),
        f"in/bomb.png: {TOO_MUCH_TEXT}",
    ),
    "an SVG billion laughs": ("laughs.svg", hostile.svg_billion_laughs, f"laughs.svg: {DTD}"),
    "an SVG of 400,000 elements": (
        "many.svg",
        hostile.svg_many_elements,
        "many.svg: The SVG image has more than 5,000 elements.",
    ),
}


@pytest.mark.parametrize("case", FOR_THE_IMPORT)
def test_the_badge_import_page_refuses_a_hostile_upload_at_once_and_queues_nothing(client, case):
    # given an editor, and a hostile file
    name, build, message = FOR_THE_IMPORT[case]
    editor = MembershipFactory(role=Role.EDITOR)
    client.force_login(editor.user)
    upload = SimpleUploadedFile(name, build(), "application/octet-stream")

    # when it is uploaded on the import page
    with bounded(SECONDS) as measured:
        response = client.post(
            f"/issuers/{editor.issuer.entity_id}/import/documents", {"files": [upload]}
        )

    # then the page says why, at once, and nothing is queued
    assert response.status_code == 400
    errors = response.context["documents_form"].non_field_errors()
    assert any(error.startswith(message) for error in errors), errors
    assert not ImportRun.objects.exists()
    assert measured.seconds < SECONDS


def _big_images():
    image = hostile.png(hostile.chunk(b"abCd", b"\0" * 7 * 1024 * 1024))
    return [SimpleUploadedFile(f"{n}.png", image, "image/png") for n in range(9)]


def _big_zips():
    # what is sent counts, whether it is read or not (a PDF beside each badge)
    pdf = os.urandom(31 * 1024 * 1024)
    members = {"a.png": hostile.baked_png(), "a.pdf": pdf}
    archive = hostile.zip_of(members, method=zipfile.ZIP_STORED)
    return [SimpleUploadedFile(f"{n}.zip", archive) for n in range(2)]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (_big_images, "The badges uploaded come to more than 50.0 MB; upload fewer at once."),
        (_big_zips, "The files uploaded are more than 60.0 MB together; upload fewer at once."),
    ],
)
def test_files_uploaded_together_are_bounded_together(client, settings, build, message):
    # given files each within its limits (images of 7 MB, zips of 31 MB)
    settings.BADGE_IMAGE_MAX_BYTES = 8 * 1024 * 1024
    editor = MembershipFactory(role=Role.EDITOR)
    client.force_login(editor.user)
    files = build()

    # when they are uploaded at once
    with bounded(SECONDS):
        response = client.post(
            f"/issuers/{editor.issuer.entity_id}/import/documents", {"files": files}
        )

    # then together they are refused
    assert response.status_code == 400
    assert response.context["documents_form"].non_field_errors() == [message]
    assert not ImportRun.objects.exists()


# (builder, what the backpack says after "This is not a baked badge image: ")
FOR_THE_BACKPACK = {
    "a PNG of 170,000 chunks (2 MB)": (
        lambda: hostile.many_chunks(170_000),
        "The PNG image has more than 10,000 chunks; a badge image has a few dozen.",
    ),
    "an iTXt inflating to 200 MB": (hostile.itxt_bomb, TOO_MUCH_TEXT),
    "a zTXt inflating to 200 MB": (lambda: hostile.itxt_bomb(kind=b"zTXt"), TOO_MUCH_TEXT),
    "an SVG billion laughs": (hostile.svg_billion_laughs, DTD),
    "an SVG of 400,000 elements": (
        hostile.svg_many_elements,
        "The SVG image has more than 5,000 elements.",
    ),
    "an iTXt cut short": (
        lambda: hostile.png(hostile.chunk(b"iTXt", b"openbadges\x00")),
        "The PNG image's openbadges text chunk is cut short.",
    ),
    "an iTXt of broken zlib": (
        lambda: hostile.png(hostile.itxt(b"not zlib", compressed=True)),
        "The PNG image's openbadges text is not valid zlib data.",
    ),
    "an iTXt that is not UTF-8": (
        lambda: hostile.png(hostile.itxt(b"\xff\xfe")),
        "The assertion baked into the image is not UTF-8 text.",
    ),
}


@pytest.mark.parametrize("case", FOR_THE_BACKPACK)
def test_the_backpack_refuses_a_hostile_baked_image_at_once_with_the_reason(client, case):
    build, message = FOR_THE_BACKPACK[case]
    client.force_login(UserFactory())
    upload = SimpleUploadedFile("badge.png", build(), "image/png")

    with bounded(SECONDS) as measured:
        response = client.post("/me/badges/import", {"image": upload})

    assert response.status_code == 200  # the form again, with the reason
    assert response.context["form"].non_field_errors() == [
        f"This is not a baked badge image: {message}"
    ]
    assert not ImportedBadge.objects.exists()
    assert measured.seconds < SECONDS


def test_the_backpack_says_json_nested_too_deep_is_not_an_assertion(client):
    # json.loads raises RecursionError, which is no ValueError: it was a 500
    client.force_login(UserFactory())
    upload = SimpleUploadedFile("badge.png", hostile.deep_json_png(), "image/png")

    response = client.post("/me/badges/import", {"image": upload})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The assertion baked into this image is not valid JSON."
    ]


@pytest.mark.parametrize("text", ["[" * 500_000, '{"a": ' * 100_000 + "1" + "}" * 100_000])
def test_the_verifier_says_json_nested_too_deep_is_no_credential(client, text):
    upload = SimpleUploadedFile("credential.json", text.encode(), "application/json")

    with bounded(SECONDS):
        response = client.post("/verify/", {"file": upload})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The JSON is nested too deeply to be a credential or a bundle."
    ]
