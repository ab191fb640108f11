"""An earner's data: all of it in one zip, and deleting the account (badges stay
verifiable, personal data goes)."""

import io
import json
import zipfile

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import UserFactory
from assertions.baking import unbake
from assertions.models import Assertion
from assertions.tests.factories import AssertionFactory
from backpack.tests.test_views import award
from core.models import OutboundEmail
from earners.models import Earner
from issuers.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_the_download_holds_every_badge_as_json_and_as_a_baked_image(client):
    # given an earner with two badges
    user = UserFactory(email="ada@example.org", first_name="Ada")
    badges = {award(user).entity_id, award(user).entity_id}
    AssertionFactory(recipient_email="someone@example.org")  # not theirs
    client.force_login(user)
    # when they download their data
    response = client.get("/me/data/download")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    doc = json.loads(archive.read("data.json"))
    # then the JSON names the account and exactly their badges, each with its baked image
    assert doc["account"]["email"] == "ada@example.org"
    assert {badge["id"] for badge in doc["badges"]} == badges
    for badge in doc["badges"]:
        baked = json.loads(unbake(archive.read(badge["baked_image"])))
        assert baked["id"].endswith(badge["id"])
        assert badge["events"][0]["kind"] == "issued"
    assert {"earner_records", "emails", "badges_from_elsewhere"} <= set(doc)


def test_deleting_the_account_removes_personal_data_and_keeps_badges_verifiable(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="ada@example.org", first_name="Ada", last_name="Lovelace")
    badge = award(user, recipient_first_name="Ada", recipient_last_name="Lovelace")
    client.force_login(user)
    page = client.get("/me/data").content.decode()
    assert "stays verifiable" in page or "stay verifiable" in page
    # a wrong password deletes nothing
    wrong = client.post("/me/data", {"password": "nope"})
    assert wrong.status_code == 200
    assert "Not your password" in wrong.content.decode()
    assert User.objects.filter(pk=user.pk).exists()
    # when the earner confirms with their password
    response = client.post("/me/data", {"password": "pw-for-tests"})
    assert response.status_code == 302
    # then the account, names and address are gone
    assert not User.objects.filter(pk=user.pk).exists()
    kept = Assertion.objects.get(pk=badge.pk)
    assert (kept.recipient_email, kept.recipient_first_name, kept.recipient_last_name) == (
        "",
        "",
        "",
    )
    earner = Earner.objects.get(pk=badge.earner_id)
    assert "ada" not in earner.email
    assert (earner.first_name, earner.user_id) == ("", None)
    assert not OutboundEmail.objects.filter(to_email="ada@example.org").exists()
    # and the badge still verifies: its page and its hosted document answer, hash intact
    assert client.get(f"/public/assertions/{badge.entity_id}").status_code == 200
    doc = client.get(f"/public/assertions/{badge.entity_id}.json").json()
    assert doc["recipient"]["identity"] == badge.recipient_hash
    assert b"Lovelace" not in client.get(f"/public/assertions/{badge.entity_id}").content
    assert not mail.outbox


def test_an_issuer_member_cannot_delete_their_account_here(client):
    member = MembershipFactory().user
    client.force_login(member)
    response = client.post("/me/data", {"password": "pw-for-tests"})
    assert response.status_code == 200
    assert "member of an issuer" in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()
