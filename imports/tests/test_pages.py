"""The issuer's import pages (a background run with its progress)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from oauth2_provider.models import get_application_model

from accounts.oauth import ensure_public_client
from accounts.tests.factories import UserFactory
from assertions.models import Assertion
from core.testing import PUBLIC_ADDRESS, fake_dns
from imports.models import ImportRun, RunStatus
from imports.tests.seed import seed
from imports.tests.test_documents import awarded, baked_png, old_platform  # noqa: F401
from issuers.models import Role
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v2.conftest import make_token


def member(role=Role.EDITOR, issuer=None):
    return MembershipFactory(role=role, issuer=issuer or IssuerFactory(name="New home"))


@pytest.mark.django_db(transaction=True)
def test_a_badgr_import_runs_in_the_background_and_shows_its_progress(
    live_server, settings, client, django_capture_on_commit_callbacks
):
    settings.ROOT_URLCONF = "tests.urls_media"
    settings.SITE_URL = live_server.url
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32", "::1/128"]  # the live server
    ensure_public_client(get_application_model())
    old = seed(40)
    editor = member()
    issuer = editor.issuer
    client.force_login(editor.user)

    dashboard = client.get(f"/issuers/{issuer.entity_id}/").content.decode()
    assert f'href="/issuers/{issuer.entity_id}/import/"' in dashboard
    page = client.get(f"/issuers/{issuer.entity_id}/import/")
    assert page.status_code == 200
    assert b"From a Badgr server" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/issuers/{issuer.entity_id}/import/badgr",
            {"url": live_server.url, "token": make_token(old.user), "issuers": ""},
        )

    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert response["Location"] == f"/issuers/{issuer.entity_id}/import/runs/{run.entity_id}"
    assert run.status == RunStatus.DONE, run.message
    assert run.token == ""  # forgotten once done
    assert Assertion.objects.filter(organization=issuer, imported=True).count() == 40
    progress = client.get(response["Location"] + ".json").json()
    assert progress["finished"]
    assert progress["percent"] == 100
    assert progress["counts"]["assertion"]["created"] == 40
    assert progress["counts"]["badgeclass"]["created"] == 5
    assert progress["errors"] == []
    body = client.get(response["Location"]).content.decode()
    assert 'data-testid="import-bar"' in body
    assert "imports/run.js" in body


@pytest.mark.django_db
def test_a_bad_token_ends_the_run_with_a_sentence(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    import responses

    fake_dns(monkeypatch, {"old.example.org": PUBLIC_ADDRESS})
    editor = member()
    client.force_login(editor.user)
    with responses.RequestsMock() as mock:
        mock.get("https://old.example.org/v2/issuers", status=401)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"/issuers/{editor.issuer.entity_id}/import/badgr",
                {"url": "https://old.example.org", "token": "wrong"},
            )
    run = ImportRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert "refused the token" in run.message
    assert run.token == ""


@pytest.mark.django_db
def test_only_members_see_the_pages_and_only_editors_import_from_badgr(client):
    staff = member(Role.STAFF)
    client.force_login(UserFactory())
    assert client.get(f"/issuers/{staff.issuer.entity_id}/import/").status_code == 404
    client.force_login(staff.user)
    page = client.get(f"/issuers/{staff.issuer.entity_id}/import/")
    assert page.status_code == 200
    assert b"From a Badgr server" not in page.content
    assert b"From a spreadsheet" in page.content
    response = client.post(
        f"/issuers/{staff.issuer.entity_id}/import/badgr",
        {"url": "https://old.example.org", "token": "t"},
    )
    assert response.status_code == 404
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_the_badgr_form_names_what_is_missing(client):
    editor = member()
    client.force_login(editor.user)
    response = client.post(f"/issuers/{editor.issuer.entity_id}/import/badgr", {"url": "nope"})
    assert response.status_code == 400
    assert b"Enter an absolute web address starting with http:// or https://." in response.content
    assert b"This field is required." in response.content


@pytest.mark.django_db
def test_a_baked_image_uploaded_on_the_page_is_verified_and_imported(
    client,
    old_platform,  # noqa: F811
    awarded,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    editor = member()
    client.force_login(editor.user)
    upload = SimpleUploadedFile("ada.png", baked_png(awarded[0]), content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/issuers/{editor.issuer.entity_id}/import/documents",
            {"files": [upload], "emails": "ada0@example.org"},
        )
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.counts["assertion"]["created"] == 1
    assert Assertion.objects.filter(organization=editor.issuer, imported=True).count() == 1


@pytest.mark.django_db
def test_a_spreadsheet_uploaded_on_the_page(client):
    staff = member(Role.STAFF)
    BadgeTemplateFactory(issuer=staff.issuer, name="Python")
    client.force_login(staff.user)
    sheet = SimpleUploadedFile(
        "old.csv",
        b"email,template,issued_on,legacy_id\n"
        b"ada@example.org,Python,2021-01-01,L-1\n"
        b"bob@example.org,Nope,2021-01-01,L-2\n",
    )
    response = client.post(
        f"/issuers/{staff.issuer.entity_id}/import/spreadsheet", {"sheet": sheet}
    )
    assert response.status_code == 302
    body = client.get(response["Location"]).content.decode()
    assert "row 3: template: No template of this issuer is called" in body
    assert "old.csv: 1 badges imported, 0 already here, 1 rows not imported" in body
    progress = client.get(response["Location"] + ".json").json()
    assert (progress["created"], progress["failed"]) == (1, 1)
