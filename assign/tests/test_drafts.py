"""The wizard's draft: a WizardDraft of one person for one issuer, its earner list a file
in the private storage, gone a day after it was started; the session holds its id only."""

import datetime as dt
import json
import os
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from assertions.models import Assertion
from assign.models import WizardDraft
from assign.selectors import draft_content
from assign.services import (
    DRAFT_LIFETIME,
    DRAFTS_DIR,
    draft_create,
    draft_discard,
    draft_update,
    drafts_expire,
)
from assign.tasks import expire_wizard_drafts
from core.exceptions import NotFoundError, PermissionDeniedError
from core.storage import private_storage
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    membership = MembershipFactory(role=Role.STAFF, issuer__name="Demo Academy")
    credits_top_up(issuer=membership.issuer, amount=50)
    client.force_login(membership.user)
    return membership


def url(issuer, step=""):
    return f"/issuers/{issuer.entity_id}/assign/" + (f"{step}/" if step else "")


def the_draft(client, issuer) -> WizardDraft:
    return WizardDraft.objects.get(entity_id=client.session[f"assign:{issuer.entity_id}"])


def enter_one_earner(client, issuer, email="ada@example.org"):
    earner = {"mode": "single", "first_name": "Ada", "last_name": "Lee", "email": email}
    response = client.post(url(issuer, "earners"), earner)
    assert response.status_code == 302, response.content


def stored_session(client) -> str:
    """The session as the database keeps it and reads it on every request."""
    return Session.objects.get(session_key=client.session.session_key).session_data


# -- the session holds the id only ---------------------------------------------------------


def test_a_10000_row_upload_leaves_the_session_small_and_the_rows_in_the_private_storage(
    client, staff
):
    # given a CSV of 10,000 earners with two more columns (about 700 KB)
    issuer = staff.issuer
    template = BadgeTemplateFactory(issuer=issuer)
    lines = ["first_name,last_name,email,course,city"]
    lines += [f"First{i},Last{i},earner{i}@example.org,Python Basics,Milano" for i in range(10_000)]
    upload = SimpleUploadedFile("earners.csv", ("\n".join(lines) + "\n").encode(), "text/csv")
    # when it is uploaded, mapped and taken through the steps to the review
    assert client.post(url(issuer, "earners"), {"mode": "bulk", "file": upload}).status_code == 302
    assert client.get(url(issuer, "earners/columns")).status_code == 200
    mapping = {"email": "2", "first_name": "0", "last_name": "1", "action": "continue"}
    assert client.post(url(issuer, "earners/columns"), mapping).status_code == 302
    assert client.post(url(issuer, "context"), {"activity_title": "Spring"}).status_code == 302
    assert client.post(url(issuer, "template"), {"template": template.entity_id}).status_code == 302
    assert client.post(url(issuer, "validity"), {"validity": "none"}).status_code == 302
    notes = {"notes": "", "narrative": "", "action": "next"}
    assert client.post(url(issuer, "notes"), notes).status_code == 302
    review = client.get(url(issuer, "review"))
    # then the review counts every earner
    assert review.status_code == 200
    assert review.context["numbers"]["badges"] == 10_000
    # and the session holds the draft's id and nothing else of it: well under a kilobyte
    draft = the_draft(client, issuer)
    assert client.session[f"assign:{issuer.entity_id}"] == draft.entity_id
    assert len(stored_session(client)) < 1000
    assert "earner9999@example.org" not in json.dumps(dict(client.session))
    # the draft's row keeps the answers (small); its earner list is a file, private
    assert len(json.dumps(draft.data)) < 2000
    assert draft.rows.name.startswith(f"{DRAFTS_DIR}/")
    assert private_storage.exists(draft.rows.name)
    assert len(draft_content(draft)["candidates"]) == 10_000
    assert not (settings.MEDIA_ROOT / draft.rows.name).exists()


def test_the_steps_after_the_earners_do_not_rewrite_the_earner_list(client, staff):
    # given a draft with its earner list
    issuer = staff.issuer
    enter_one_earner(client, issuer)
    name = the_draft(client, issuer).rows.name
    # when the context is entered
    assert client.post(url(issuer, "context"), {"activity_title": "Spring"}).status_code == 302
    # then its answers changed, its file did not
    draft = the_draft(client, issuer)
    assert draft.data["activity_title"] == "Spring"
    assert draft.rows.name == name


# -- owned by the person and the issuer -----------------------------------------------------


def test_another_persons_draft_is_a_404_and_stays_as_it_was(client, staff):
    # given a draft of one member of the issuer
    issuer = staff.issuer
    enter_one_earner(client, issuer)
    theirs = the_draft(client, issuer)
    # when another member's session holds its id
    other = Client()
    other.force_login(MembershipFactory(issuer=issuer, role=Role.OWNER).user)
    session = other.session
    session[f"assign:{issuer.entity_id}"] = theirs.entity_id
    session.save()
    # then every step is a 404, and nothing of it changes
    for step in ("", "earners", "earners/columns", "context", "template", "review"):
        assert other.get(url(issuer, step)).status_code == 404, step
    posted = other.post(url(issuer, "context"), {"activity_title": "Mine now"})
    assert posted.status_code == 404
    assert other.post(url(issuer, "confirm")).status_code == 404
    assert other.post(url(issuer), {}).status_code == 404
    theirs.refresh_from_db()
    assert "activity_title" not in theirs.data
    assert WizardDraft.objects.filter(pk=theirs.pk).exists()
    assert not Assertion.objects.exists()


def test_a_draft_for_one_issuer_is_a_404_under_another(client, staff):
    # given a person with a draft for one issuer who is staff of a second one too
    issuer = staff.issuer
    second = MembershipFactory(user=staff.user, role=Role.STAFF).issuer
    enter_one_earner(client, issuer)
    draft = the_draft(client, issuer)
    # when the session names that draft for the second issuer
    session = client.session
    session[f"assign:{second.entity_id}"] = draft.entity_id
    session.save()
    # then the second issuer's wizard does not show it
    assert client.get(url(second, "context")).status_code == 404
    assert client.get(url(issuer, "context")).status_code == 200


def test_the_services_keep_a_draft_to_its_owner():
    membership = MembershipFactory(role=Role.STAFF)
    draft = draft_create(actor=membership.user, issuer=membership.issuer, data={"done": []})
    stranger = MembershipFactory(issuer=membership.issuer, role=Role.OWNER).user
    with pytest.raises(NotFoundError):
        draft_update(draft=draft, actor=stranger, data={"done": ["earners"]})
    with pytest.raises(NotFoundError):
        draft_discard(draft=draft, actor=stranger)
    # and only a member who may assign starts one
    with pytest.raises(PermissionDeniedError):
        draft_create(actor=stranger, issuer=IssuerFactory(), data={"done": []})
    draft.refresh_from_db()
    assert draft.data == {"done": []}


def test_a_get_in_another_browser_takes_up_the_draft_instead_of_replacing_it(client, staff):
    # given a draft in progress in one browser
    issuer = staff.issuer
    enter_one_earner(client, issuer)
    draft = the_draft(client, issuer)
    # when the same person opens the assign link in another browser
    elsewhere = Client()
    elsewhere.force_login(staff.user)
    page = elsewhere.get(url(issuer))
    # then it offers to continue that draft, which is still there with its earners
    assert page.status_code == 200
    assert "An assignment is in progress" in page.content.decode()
    assert the_draft(elsewhere, issuer) == draft
    assert private_storage.exists(draft.rows.name)


def test_starting_over_replaces_the_draft_and_deletes_its_earner_list(
    client, staff, django_capture_on_commit_callbacks
):
    issuer = staff.issuer
    enter_one_earner(client, issuer)
    old = the_draft(client, issuer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url(issuer), {}).status_code == 302
    new = the_draft(client, issuer)
    assert new != old
    assert list(WizardDraft.objects.all()) == [new]
    assert not private_storage.exists(old.rows.name)


def test_confirming_drops_the_draft_and_its_earner_list(
    client, staff, django_capture_on_commit_callbacks
):
    # given a single award walked to the review
    issuer = staff.issuer
    template = BadgeTemplateFactory(issuer=issuer)
    enter_one_earner(client, issuer)
    name = the_draft(client, issuer).rows.name
    client.post(url(issuer, "context"), {"activity_title": "Spring"})
    client.post(url(issuer, "template"), {"template": template.entity_id})
    client.post(url(issuer, "validity"), {"validity": "none"})
    client.post(url(issuer, "notes"), {"notes": "", "narrative": "", "action": "next"})
    # when it is confirmed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(issuer, "confirm"))
    # then the badge is issued, and nothing of the draft is left
    assert response.status_code == 302
    assert Assertion.objects.filter(recipient_email="ada@example.org").count() == 1
    assert not WizardDraft.objects.exists()
    assert not private_storage.exists(name)
    assert f"assign:{issuer.entity_id}" not in client.session


def test_a_reader_of_the_list_an_update_replaced_reads_the_new_one(
    django_capture_on_commit_callbacks,
):
    # given a draft as one request read it
    membership = MembershipFactory(role=Role.STAFF)
    user, issuer = membership.user, membership.issuer
    draft = draft_create(actor=user, issuer=issuer, data={"done": []}, content={"n": 1})
    stale = WizardDraft.objects.get(pk=draft.pk)
    # when another request stores a new earner list (the old file goes on commit)
    with django_capture_on_commit_callbacks(execute=True):
        draft_update(draft=draft, actor=user, data={"done": []}, content={"n": 2})
    # then the first reads the new list, not an error
    assert draft_content(stale) == {"n": 2}


# -- a day, then gone --------------------------------------------------------------------------


def test_a_draft_expires_a_day_after_it_was_started(client, staff, monkeypatch):
    # given a draft with an earner entered
    issuer = staff.issuer
    enter_one_earner(client, issuer)
    draft = the_draft(client, issuer)
    lifetime = draft.expires_at - draft.created_at
    assert abs(lifetime - DRAFT_LIFETIME) < dt.timedelta(seconds=1)
    # when more than a day has passed (the steps in between do not extend it)
    client.post(url(issuer, "context"), {"activity_title": "Spring"})
    assert the_draft(client, issuer).expires_at == draft.expires_at
    later = draft.expires_at + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    # then the wizard no longer shows it: the assign link starts a new one
    response = client.get(url(issuer))
    assert response.status_code == 302
    assert response["Location"] == url(issuer, "earners")
    assert the_draft(client, issuer) != draft
    assert client.get(url(issuer, "context")).status_code == 302  # earners first


def test_the_periodic_task_deletes_expired_drafts_and_their_files_only(
    django_capture_on_commit_callbacks,
):
    # given a draft past its day and one still in progress, each with its earner list
    old, new = MembershipFactory(role=Role.STAFF), MembershipFactory(role=Role.STAFF)
    expired = draft_create(actor=old.user, issuer=old.issuer, data={}, content={"a": 1})
    WizardDraft.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    live = draft_create(actor=new.user, issuer=new.issuer, data={}, content={"b": 2})
    # when the beat's task runs
    assert "assign.tasks.expire_wizard_drafts" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_wizard_drafts.delay().get() == 1
    # then the expired draft and its file are gone, the other stays whole
    assert list(WizardDraft.objects.all()) == [live]
    assert not private_storage.exists(expired.rows.name)
    assert private_storage.exists(live.rows.name)


def test_a_draft_file_no_draft_holds_is_deleted_once_it_is_an_hour_old():
    # given two files no draft holds (a transaction rolled back), one of them old
    old = private_storage.save(f"{DRAFTS_DIR}/old.json", ContentFile(b"{}"))
    fresh = private_storage.save(f"{DRAFTS_DIR}/fresh.json", ContentFile(b"{}"))
    two_hours_ago = time.time() - 2 * 3600
    os.utime(private_storage.path(old), (two_hours_ago, two_hours_ago))
    # when drafts are expired
    drafts_expire()
    # then the old one is gone; the fresh one may still be committed by its request
    assert not private_storage.exists(old)
    assert private_storage.exists(fresh)
