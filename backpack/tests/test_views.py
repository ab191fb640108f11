"""The earner's backpack: /me/badges, privacy, and imports from other platforms."""

import base64
import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.tests.factories import UserFactory
from assertions import demo
from assertions.baking import bake
from assertions.models import Assertion, ImportedBadge
from assertions.services import assertion_revoke, imported_badge_add
from assertions.tests.factories import AssertionFactory
from assertions.tests.hosted_badges import ASSERTION_URL, ELSEWHERE, documents, remote  # noqa: F401
from core.testing import png_bytes
from earners.models import Earner
from issuers.tests.factories import IssuerFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


def award(user, **fields):
    badge = AssertionFactory(recipient_email=user.email, **fields)
    Earner.objects.filter(pk=badge.earner_id).update(user=user)
    return badge


# --- the list ---------------------------------------------------------------------------------


def test_the_backpack_needs_a_login_and_sends_to_the_earner_login_page(client):
    response = client.get("/me/badges")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/me/badges")


def test_it_lists_my_badges_from_every_issuer_and_nobody_elses(client):
    me = UserFactory()
    mine = [
        award(me, template=BadgeTemplateFactory(name="Python", issuer=IssuerFactory(name="A"))),
        award(me, template=BadgeTemplateFactory(name="SQL", issuer=IssuerFactory(name="B"))),
    ]
    AssertionFactory(template=BadgeTemplateFactory(name="Not mine"))
    client.force_login(me)
    body = client.get("/me/badges").content.decode()
    assert "Python" in body
    assert "SQL" in body
    assert "Not mine" not in body
    for badge in mine:
        assert f"/public/assertions/{badge.entity_id}/image?download=1" in body
        assert "linkedin.com/profile/add" in body


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("q=pyth", {"Python"}),
        ("status=valid", {"Python", "SQL"}),
        ("status=expired", {"Old"}),
        ("status=revoked", {"Gone"}),
        ("visibility=private", {"SQL"}),
        ("visibility=public", {"Python", "Old", "Gone"}),
        ("issuer=ISSUER_B", {"SQL"}),
        ("status=bogus", {"Python", "SQL", "Old", "Gone"}),  # invalid filter: ignored
    ],
)
def test_filters(client, query, shown):
    me = UserFactory()
    issuer_b = IssuerFactory(name="Issuer B")
    award(me, template=BadgeTemplateFactory(name="Python"))
    sql = award(me, template=BadgeTemplateFactory(name="SQL", issuer=issuer_b))
    Assertion.objects.filter(pk=sql.pk).update(is_private=True)
    award(
        me,
        template=BadgeTemplateFactory(name="Old"),
        issued_on=timezone.now() - dt.timedelta(days=5),
        expires_at=timezone.now() - dt.timedelta(days=1),
    )
    assertion_revoke(assertion=award(me, template=BadgeTemplateFactory(name="Gone")), reason="x")
    client.force_login(me)
    body = client.get("/me/badges?" + query.replace("ISSUER_B", issuer_b.entity_id)).content
    names = {"Python", "SQL", "Old", "Gone"}
    assert {n for n in names if f">{n}</a></h2>" in body.decode()} == shown


def test_the_earner_makes_a_badge_private_and_public_again(
    client, django_capture_on_commit_callbacks
):
    me = UserFactory()
    badge = award(me)
    client.force_login(me)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/me/badges/{badge.entity_id}/privacy", {"private": "1"})
    assert response.status_code == 302
    badge.refresh_from_db()
    assert badge.is_private
    client.logout()
    assert client.get(badge.url.replace("https://badges.example", "")).status_code in (404,)
    client.force_login(me)
    client.post(f"/me/badges/{badge.entity_id}/privacy", {"private": "0"})
    badge.refresh_from_db()
    assert not badge.is_private


def test_nobody_can_change_the_privacy_of_someone_elses_badge(client):
    badge = award(UserFactory())
    client.force_login(UserFactory())
    assert client.post(f"/me/badges/{badge.entity_id}/privacy", {"private": "1"}).status_code == 404
    assert client.get(f"/me/badges/{badge.entity_id}/privacy").status_code == 405
    badge.refresh_from_db()
    assert not badge.is_private


# --- imports ------------------------------------------------------------------------------------


def test_a_hosted_badge_awarded_to_me_is_verified_and_imported_by_url(
    client,
    remote,  # noqa: F811
):
    me = UserFactory(email="ada@example.org")
    remote(*documents())
    client.force_login(me)
    response = client.post("/me/badges/import", {"url": ASSERTION_URL})
    assert response.status_code == 302
    imported = ImportedBadge.objects.get(user=me)
    assert (imported.name, imported.issuer_name) == ("Data Literacy", "Elsewhere University")
    assert imported.recipient_email == "ada@example.org"
    assert imported.issued_on == dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    assert imported.image_url == f"{ELSEWHERE}/badges/7/image.png"
    body = client.get("/me/badges").content.decode()
    assert "Data Literacy" in body
    assert "Elsewhere University" in body
    # and importing it again is refused, clearly
    response = client.post("/me/badges/import", {"url": ASSERTION_URL})
    assert "already in your backpack" in response.content.decode()
    assert ImportedBadge.objects.count() == 1


def test_a_baked_image_from_elsewhere_is_imported(
    client,
    remote,  # noqa: F811
):
    me = UserFactory(email="ada@example.org")
    assertion, badgeclass, issuer = documents()
    remote(assertion, badgeclass, issuer)
    image = bake(png_bytes(), json.dumps(assertion), ASSERTION_URL)
    client.force_login(me)
    response = client.post(
        "/me/badges/import", {"image": SimpleUploadedFile("b.png", image, "image/png")}
    )
    assert response.status_code == 302
    assert ImportedBadge.objects.filter(user=me, source_url=ASSERTION_URL).exists()


def test_an_image_without_a_baked_badge_is_refused(client):
    client.force_login(UserFactory())
    response = client.post(
        "/me/badges/import", {"image": SimpleUploadedFile("b.png", png_bytes(), "image/png")}
    )
    assert response.status_code == 200
    assert "carries no Open Badges assertion" in response.content.decode()
    response = client.post("/me/badges/import", {})
    assert "Give the badge" in response.content.decode()


def test_only_the_owner_removes_an_imported_badge(
    client,
    remote,  # noqa: F811
):
    me = UserFactory(email="ada@example.org")
    remote(*documents())
    imported = imported_badge_add(user=me, url=ASSERTION_URL)
    client.force_login(UserFactory())
    assert client.post(f"/me/badges/imported/{imported.entity_id}/remove").status_code == 404
    client.force_login(me)
    assert client.post(f"/me/badges/imported/{imported.entity_id}/remove").status_code == 302
    assert not ImportedBadge.objects.exists()


def test_the_demo_earner_of_make_run_signs_in_and_finds_their_badges(client, settings):
    settings.DEBUG = True
    demo.seed()
    assert client.login(username=demo.EARNER.email, password=demo.EARNER.password)
    body = client.get("/me/badges").content.decode()
    assert "Python Fundamentals" in body
    assert "Workshop Participant" in body


@pytest.mark.parametrize(
    ("image", "kept"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><script>alert(1)'
            b'</script><rect width="9" height="9"/></svg>',
            "data:image/svg+xml;base64,",
        ),
        (b"<html><script>alert(1)</script></html>", None),
    ],
    ids=["svg-with-script", "html-as-png"],
)
def test_an_imported_badges_data_uri_image_passes_the_upload_gate(
    client,
    remote,  # noqa: F811
    image,
    kept,
):
    # given a remote badge class whose image is a data URI holding a script
    me = UserFactory(email="ada@example.org")
    assertion, badgeclass, issuer = documents()
    badgeclass["image"] = f"data:image/png;base64,{base64.b64encode(image).decode()}"
    remote(assertion, badgeclass, issuer)
    client.force_login(me)
    # when it is imported into the backpack
    assert client.post("/me/badges/import", {"url": ASSERTION_URL}).status_code == 302
    # then the image kept is the gate's: sanitised, or none at all
    stored = ImportedBadge.objects.get(user=me).image_url
    if kept is None:
        assert stored == ""
    else:
        assert stored.startswith(kept)
        assert b"<script" not in base64.b64decode(stored.split(",", 1)[1])
