"""Script typed into any field a person can fill is inert wherever it is shown: the
public badge, badge class and issuer pages (with their Open Graph tags and JSON-LD),
the earner's backpack, the admin, and the award email."""

import json
from html.parser import HTMLParser

import pytest
from django.core import mail

from accounts.models import User
from assertions.services import assertion_issue
from core.models import OutboundEmail
from core.services import outbox_send
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.admin.helpers import admin_url

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'
BREAKOUT = "</script><script>alert(2)</script>"
ATTRIBUTE = "' onmouseover='alert(3)' x='"
MARKDOWN = (
    f"Text {SCRIPT} {IMG}\n\n[click me](javascript:alert(4)) "
    "[also](  JaVaScRiPt:alert(5)) ![img](x onerror=alert(6))\n\n<iframe src=//evil.example>"
)


class Inspector(HTMLParser):
    """Everything in a page that could run: handlers, javascript: URLs, script bodies."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []
        self.scripts = []  # (attributes, body) of every <script>
        self._script = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            url = (value or "").strip().lower().replace(" ", "")
            if name in ("href", "src", "action", "formaction") and url.startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag in ("iframe", "object", "embed"):
            self.problems.append(f"<{tag}>")
        if tag == "script":
            self._script = [dict(attrs), ""]

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append(tuple(self._script))
            self._script = None


def assert_inert(html: str, where: str):
    inspector = Inspector()
    inspector.feed(html)
    assert inspector.problems == [], where
    for attrs, body in inspector.scripts:
        if attrs.get("type") == "application/ld+json":
            json.loads(body)  # the data stayed data: the payload did not close the element
        else:
            assert attrs.get("src"), (where, attrs, body[:200])
            assert not body.strip(), (where, attrs, body[:200])
    assert "alert(" not in _script_bodies(inspector), where


def _script_bodies(inspector) -> str:
    return " ".join(
        body for attrs, body in inspector.scripts if attrs.get("type") != "application/ld+json"
    )


@pytest.fixture
def hostile(settings):
    issuer = IssuerFactory(name=f"Evil {BREAKOUT}", description=MARKDOWN)
    credits_top_up(issuer=issuer, amount=5)
    template = BadgeTemplateFactory(
        issuer=issuer,
        name=f"Badge {SCRIPT}{ATTRIBUTE}",
        description=f"About {IMG}{ATTRIBUTE}",
        criteria_narrative=MARKDOWN,
    )
    result = assertion_issue(
        template=template,
        recipient_email="earner@example.org",
        recipient_first_name=f"Ann {IMG}",
        recipient_last_name=BREAKOUT,
        activity_title=f"Course {SCRIPT}",
        notes=f"Notes {SCRIPT}{IMG}",
        narrative=MARKDOWN,
        evidence=[{"narrative": MARKDOWN, "url": "https://evidence.example/work"}],
        notify=True,
    )
    return result.assertion


def test_the_public_pages_and_their_tags_are_inert(client, hostile):
    pages = {
        "badge page": f"/public/assertions/{hostile.entity_id}",
        "badge class page": f"/public/badges/{hostile.badge_template_version.template.entity_id}",
        "issuer page": f"/public/issuers/{hostile.organization.entity_id}",
    }
    for where, path in pages.items():
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, where
        assert_inert(response.content.decode(), where)
    # the Open Badges JSON-LD keeps the text exactly, as data
    document = client.get(f"/public/assertions/{hostile.entity_id}.json").json()
    assert document["narrative"] == MARKDOWN


class MetaTags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        if tag == "meta":
            self.tags.append(dict(attrs))


def test_the_og_tags_hold_the_payload_as_one_escaped_attribute_value(client, hostile):
    page = client.get(f"/public/assertions/{hostile.entity_id}", HTTP_ACCEPT="text/html")
    parser = MetaTags()
    parser.feed(page.content.decode())
    tags = {t.get("property") or t.get("name"): t for t in parser.tags}
    # the payload stays inside the content attribute: no attribute of its own appears
    for key in ("og:title", "og:description", "og:site_name", "twitter:title"):
        assert set(tags[key]) <= {"property", "name", "content"}, tags[key]
    assert tags["og:title"]["content"].startswith(f"Badge {SCRIPT}{ATTRIBUTE}")
    assert tags["og:site_name"]["content"] == f"Evil {BREAKOUT}"


def test_the_backpack_is_inert(client, hostile):
    user = User.objects.get(email="earner@example.org")
    client.force_login(user)
    response = client.get("/me/badges")
    assert response.status_code == 200
    assert_inert(response.content.decode(), "backpack")


def test_the_admin_pages_are_inert(client, hostile):
    owner = MembershipFactory(issuer=hostile.organization, role=Role.OWNER).user
    client.force_login(owner)
    template = hostile.badge_template_version.template
    pages = [
        admin_url(type(hostile), "changelist"),
        admin_url(type(hostile), "change", hostile.pk),
        admin_url(type(template), "change", template.pk),
        admin_url(type(hostile.organization), "change", hostile.organization.pk),
        admin_url(OutboundEmail, "changelist"),
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_inert(response.content.decode(), path)


def test_the_award_email_is_inert(hostile):
    email = OutboundEmail.objects.get(assertion=hostile)
    if email.status == "pending":
        outbox_send(email_id=email.pk)
    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    assert_inert(html, "email html")
    assert "\n" not in message.subject


def test_an_evidence_link_that_is_not_http_is_refused(hostile):
    from core.exceptions import ApplicationError

    for url in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>x</script>"):
        with pytest.raises(ApplicationError):
            assertion_issue(
                template=hostile.badge_template_version.template,
                recipient_email="other@example.org",
                evidence=[{"url": url}],
            )
