"""Files that hold earners' data (queued assignment rows, queued import documents, the
wizard's drafts) live in the private storage, never among the public media: whatever
serves MEDIA_ROOT or the images' bucket cannot hand them out."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from assertions.models import AssignmentBatch, BatchStatus
from assertions.services import batch_create, batch_run, rows_file_name
from assign.models import WizardDraft
from core.storage import private_storage
from imports.documents import Document
from imports.services import import_run_create_documents
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db

EMAIL = "private.person@example.org"


@pytest.fixture
def owner():
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=500)
    return membership


def earners(n):
    rows = [{"email": EMAIL, "first_name": "Private", "last_name": "Person"}]
    return rows + [
        {"email": f"e{i}@example.org", "first_name": "E", "last_name": str(i)} for i in range(1, n)
    ]


def media_files(settings) -> dict[str, bytes]:
    root = settings.MEDIA_ROOT
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_queued_rows_import_documents_and_drafts_are_never_among_the_media(client, settings, owner):
    settings.ROOT_URLCONF = "tests.urls_media"  # /media/ served, as on a small install
    template = BadgeTemplateFactory(issuer=owner.issuer)
    # given a queued assignment, a queued import of an uploaded badge, and a wizard draft
    batch = batch_create(template=template, rows=earners(150), actor=owner.user)
    run = import_run_create_documents(
        issuer=owner.issuer,
        actor=owner.user,
        documents=[Document(name="badge.png", data=b"\x89PNG not really")],
        emails=[EMAIL],
    )
    client.force_login(owner.user)
    upload = SimpleUploadedFile("e.csv", f"email,first_name,last_name\n{EMAIL},P,Q\n".encode())
    issuer_url = f"/issuers/{owner.issuer.entity_id}/assign/earners/"
    assert client.post(issuer_url, {"mode": "bulk", "file": upload}).status_code == 302
    draft = WizardDraft.objects.get()
    # then each is in the private storage, with the earner's address
    stored = [rows_file_name(batch), f"imports/{run.entity_id}.jsonl", draft.rows.name]
    for name in stored:
        with private_storage.open(name) as handle:
            assert EMAIL.encode() in handle.read(), name
    # and nothing under MEDIA_ROOT holds it, nor does /media/ answer with any of them
    assert not any(EMAIL.encode() in data for data in media_files(settings).values())
    for name in stored:
        assert not (settings.MEDIA_ROOT / name).exists()
        assert client.get(f"/media/{name}").status_code == 404
    # the private directory is not inside the media one
    assert settings.MEDIA_ROOT not in settings.PRIVATE_MEDIA_ROOT.parents


def test_a_private_file_has_no_url():
    name = private_storage.save("assignment-batches/x.jsonl", ContentFile(b"{}"))
    with pytest.raises(ValueError, match="no URL"):
        private_storage.url(name)


def test_the_system_check_refuses_a_private_storage_inside_the_media(settings):
    settings.PRIVATE_MEDIA_ROOT = settings.MEDIA_ROOT / "private"
    with pytest.raises(SystemCheckError, match="inside MEDIA_ROOT"):
        call_command("check")
    settings.PRIVATE_MEDIA_ROOT = settings.MEDIA_ROOT
    with pytest.raises(SystemCheckError, match="inside MEDIA_ROOT"):
        call_command("check")


def test_rows_a_release_before_queued_in_the_default_storage_are_still_run_then_deleted(
    owner, django_capture_on_commit_callbacks
):
    # given a batch whose rows an earlier release stored in the default storage
    template = BadgeTemplateFactory(issuer=owner.issuer)
    batch = batch_create(template=template, rows=earners(120), actor=owner.user)
    name = rows_file_name(batch)
    with private_storage.open(name) as handle:
        default_storage.save(name, ContentFile(handle.read()))
    private_storage.delete(name)
    # when a worker runs it
    with django_capture_on_commit_callbacks(execute=True):
        batch_run(batch_id=batch.pk)
    # then every row is issued and the file is gone from both storages
    batch = AssignmentBatch.objects.get(pk=batch.pk)
    assert (batch.status, batch.issued) == (BatchStatus.DONE, 120)
    assert not default_storage.exists(name)
    assert not private_storage.exists(name)
