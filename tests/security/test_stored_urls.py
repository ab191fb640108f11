"""Issue 17, finding 6: every URL that is stored and later shown as a link is an absolute
http(s) address (core.validators.validate_web_url), whichever way it comes in: the two
APIs, the admin's forms and alignment JSON, and the imports of other platforms'
badges. And a page never makes a link of a stored URL that is not one (defence in depth
for anything stored before the rule, or written around it)."""

import json
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from assertions.models import Assertion, ImportedBadge
from assertions.tests.factories import AssertionFactory
from core.exceptions import ApplicationError
from core.testing import png_upload
from earners.services import earner_get_or_create
from imports.documents import Document, documents_import
from imports.tests.test_documents import OLD, old_platform  # noqa: F401 (a fixture)
from issuers.models import Issuer, Role
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.models import BadgeTemplate, BadgeTemplateVersion
from templates_app.services import template_create
from templates_app.tests.factories import BadgeTemplateFactory
from tests.admin.helpers import admin_url, form_data
from tests.api_v2.conftest import client_for
from tests.security.test_xss import assert_inert

pytestmark = pytest.mark.django_db

# Each would be a link on a public page: script, a document of the attacker's making,
# a scheme browsers hand to other programs, an address relative to our own origin, and
# one too long for any column or consumer.
NOT_WEB_URLS = [
    "javascript:alert(document.domain)",
    " JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://files.example.org/criteria",
    "//evil.example/criteria",
    "https://example.org/" + "a" * 2100,
]
GOOD = "https://standards.example.org/skill/42"


@pytest.fixture
def owner(db):
    return MembershipFactory(role=Role.OWNER, issuer__name="Academy")


@pytest.fixture
def template(owner):
    return BadgeTemplateFactory(
        issuer=owner.issuer, alignments=[{"targetName": "Skill", "targetUrl": GOOD}]
    )


def alignment(url: str) -> list[dict]:
    return [{"targetName": "Skill", "targetUrl": url}]


def via_v1_alignments(api, owner, template, url):
    return api.patch(
        f"/api/v1/badge-templates/{template.entity_id}",
        {"alignments": alignment(url)},
        format="json",
    )


def via_v1_criteria(api, owner, template, url):
    return api.patch(
        f"/api/v1/badge-templates/{template.entity_id}", {"criteria_url": url}, format="json"
    )


def via_v1_organization(api, owner, template, url):
    return api.patch(f"/api/v1/organizations/{owner.issuer.entity_id}", {"url": url}, format="json")


def via_v2_badgeclass(api, owner, template, url):
    return api.put(
        f"/v2/badgeclasses/{template.entity_id}",
        {"name": template.name, "criteriaUrl": url, "alignments": alignment(url)},
        format="json",
    )


def via_v2_issuer(api, owner, template, url):
    return api.put(
        f"/v2/issuers/{owner.issuer.entity_id}",
        {"name": owner.issuer.name, "email": owner.issuer.email, "url": url},
        format="json",
    )


API_ENTRY_POINTS = [
    via_v1_alignments,
    via_v1_criteria,
    via_v1_organization,
    via_v2_badgeclass,
    via_v2_issuer,
]


def stored_urls(owner, template) -> tuple:
    issuer = Issuer.objects.get(pk=owner.issuer.pk)
    template = BadgeTemplate.objects.get(pk=template.pk)
    return issuer.url, template.criteria_url, template.alignments, template.versions.count()


@pytest.mark.parametrize("send", API_ENTRY_POINTS)
def test_both_apis_refuse_a_url_that_is_not_http_and_store_nothing(owner, template, send):
    # given an owner's template and issuer with http(s) addresses
    api = client_for(owner.user)
    before = stored_urls(owner, template)
    for url in NOT_WEB_URLS:
        # when the API is sent an address that is not http(s)
        response = send(api, owner, template, url)
        # then it is a 400 naming the field, and nothing changed
        assert response.status_code == 400, (url, response.content)
        body = response.json()
        assert body.get("field_errors") or body.get("fieldErrors"), body
        assert stored_urls(owner, template) == before, url
    # and an http(s) address is still taken
    assert send(api, owner, template, GOOD).status_code == 200


def test_the_admin_refuses_a_javascript_alignment_and_issuer_url(client, owner, template):
    # given an owner in the admin
    client.force_login(owner.user)
    before = stored_urls(owner, template)[1:]
    template_page = admin_url(BadgeTemplate, "change", template.pk)
    issuer_page = admin_url(Issuer, "change", owner.issuer.pk)
    for url in NOT_WEB_URLS:
        # when they type the address into the alignment JSON
        response = client.post(
            template_page,
            form_data(client.get(template_page), alignments=json.dumps(alignment(url))),
        )
        # then the form comes back naming the alignment, and nothing is saved
        assert response.status_code == 200, url
        errors = response.context["adminform"].form.errors["alignments"]
        assert any("targetUrl must be an absolute http" in e for e in errors), errors
        assert stored_urls(owner, template)[1:] == before, url
        # and the issuer's address is refused, or stored only as an http(s) address
        # (the form puts https: in front of a scheme-less `//host/path`, as Django does)
        response = client.post(issuer_page, form_data(client.get(issuer_page), url=url))
        if response.status_code == 200:
            assert response.context["adminform"].form.errors["url"], url
        stored = urlsplit(Issuer.objects.get(pk=owner.issuer.pk).url)
        assert stored.scheme in ("http", "https"), url
        assert stored.netloc, url


def test_the_service_every_import_goes_through_refuses_them(owner):
    # given an import making a template (as the Badgr and file imports do, with no actor)
    for url in NOT_WEB_URLS:
        # when a remote badge class names an alignment or criteria that is not http(s)
        for fields in ({"alignments": alignment(url)}, {"criteria_url": url}):
            with pytest.raises(ApplicationError) as refused:
                template_create(
                    issuer=owner.issuer,
                    actor=None,
                    name="Imported",
                    criteria_narrative="Imported.",
                    image=png_upload(),
                    **fields,
                )
            # then the error names the field
            assert set(refused.value.field_errors) & {"alignments", "criteria_url"}, url
    assert not BadgeTemplate.objects.filter(name="Imported").exists()


# -- the file import, end to end ---------------------------------------------------------


def test_a_file_import_stores_no_javascript_alignment(old_platform):  # noqa: F811
    # given a badge on another platform whose badge class aligns to a javascript: URL
    badge = AssertionFactory(recipient_email="ada@example.org")
    BadgeTemplateVersion.objects.filter(pk=badge.badge_template_version_id).update(
        alignments=alignment("javascript:alert(document.domain)")
    )
    into = IssuerFactory(name="New home")
    # when an issuer imports it by its hosted URL
    report = documents_import(
        issuer=into,
        documents=[Document(name="ada", url=f"{OLD}/public/assertions/{badge.entity_id}")],
        emails=["ada@example.org"],
    )
    # then it is refused with a sentence naming the alignment, and nothing is stored
    assert report.errors, report.counts_dict()
    assert "targetUrl must be an absolute http" in " ".join(e.message for e in report.errors)
    assert not BadgeTemplate.objects.filter(issuer=into).exists()
    assert not Assertion.objects.filter(organization=into).exists()


# -- pages ---------------------------------------------------------------------------------


def test_a_stored_url_that_is_not_http_is_never_a_link_on_a_page(client, owner, template):
    # given URLs stored before the rule (or written around it), straight into the tables
    evil = "javascript:alert(document.domain)"
    earner_user = UserFactory()
    badge = AssertionFactory(template=template, recipient_email=earner_user.email)
    earner, _ = earner_get_or_create(issuer=owner.issuer, email=earner_user.email)
    earner.user = earner_user
    earner.save()
    Assertion.objects.filter(pk=badge.pk).update(
        evidence=[{"url": evil, "narrative": "My work"}], earner=earner
    )
    Issuer.objects.filter(pk=owner.issuer.pk).update(url=evil)
    BadgeTemplateVersion.objects.filter(template=template).update(
        criteria_url=evil, alignments=alignment(evil)
    )
    ImportedBadge.objects.create(
        user=earner_user,
        source_url=evil,
        recipient_email=earner_user.email,
        name="Elsewhere",
        issuer_name="Other platform",
        issued_on=timezone.now(),
        assertion={},
        badgeclass={},
        issuer={},
        verified_at=timezone.now(),
    )
    pages = {
        "badge page": f"/public/assertions/{badge.entity_id}",
        "badge class page": f"/public/badges/{template.entity_id}",
        "issuer page": f"/public/issuers/{owner.issuer.entity_id}",
    }
    for where, path in pages.items():
        # when anyone opens the public pages
        response = client.get(path, HTTP_ACCEPT="text/html")
        # then no link or source on them is the stored URL
        assert response.status_code == 200, where
        assert_inert(response.content.decode(), where)
    # and the alignment's name is still shown, as text
    assert "Skill" in client.get(pages["badge class page"]).content.decode()
    # nor on the earner's backpack
    client.force_login(earner_user)
    backpack = client.get("/me/badges")
    assert backpack.status_code == 200
    assert_inert(backpack.content.decode(), "backpack")
    assert "Elsewhere" in backpack.content.decode()
