"""Every kind of email the platform sends (to earners, to issuer staff and to its
operators), as a mail client sees it: each on the email layout, each link and image an
absolute address that the running server answers (200, or a redirect to a page that
does), every image with alt text, and a plain text part beside the HTML.
"""

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
import requests
from django.core import mail
from django.utils import timezone

from accounts.services import password_reset_request, user_email_change_request
from accounts.tests.factories import UserFactory
from assertions.services import assertion_issue, assertion_revoke, expiry_reminders_queue
from core.models import EmailKind, OutboundEmail
from core.testing import png_upload
from issuers.models import Role
from issuers.services import (
    credit_request_create,
    credits_top_up,
    invitation_create,
    issuer_request_approve,
    issuer_request_create,
)
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

pytestmark = pytest.mark.django_db(transaction=True)

EVERY_KIND = set(EmailKind)
BADGE_KINDS = {
    EmailKind.ACCOUNT_CREATED,
    EmailKind.BADGE_AWARDED,
    EmailKind.BADGE_REVOKED,
    EmailKind.BADGE_EXPIRING,
}
# Sent by the platform, not on an issuer's behalf: no "reply to write to them".
PLATFORM_KINDS = EVERY_KIND - BADGE_KINDS


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs)


@pytest.fixture
def server(live_server, settings):
    settings.SITE_URL = live_server.url
    settings.ROOT_URLCONF = "tests.urls_media"  # badge images from this test's MEDIA_ROOT
    return live_server


def _every_kind_sent(settings):
    issuer = IssuerFactory(name="Scuola di Roma", email="segreteria@scuola.example")
    issuer.image.save("logo.png", png_upload("logo.png"))
    issuer.expiry_reminder_days = 30
    issuer.save()
    credits_top_up(issuer=issuer, amount=10)
    template = BadgeTemplateFactory(issuer=issuer, name="Primo soccorso")
    soon = timezone.now() + dt.timedelta(days=10)
    # a new earner (account created), then one with an account (badge awarded)
    assertion_issue(
        template=template, recipient_email="new@example.org", expires_at=soon, activity_title="BLS"
    )
    known = UserFactory(email="known@example.org")
    awarded = assertion_issue(template=template, recipient_email="known@example.org").assertion
    assertion_revoke(assertion=awarded, reason="Issued by mistake")
    assert expiry_reminders_queue() == 1
    password_reset_request(email="known@example.org")
    user_email_change_request(user=known, new_email="moved@example.org", password="pw-for-tests")
    UserFactory(email="taken@example.org")
    user_email_change_request(user=known, new_email="taken@example.org", password="pw-for-tests")
    # the emails of issuer staff and operators: an issuer asked for and approved, credits
    # asked for, a member invited
    settings.ISSUER_CREATION = "approval"
    operator = UserFactory(email="operator@example.org", is_superuser=True, is_staff=True)
    asked = issuer_request_create(
        actor=UserFactory(email="founder@example.org"), name="Liceo", email="info@liceo.example"
    )
    issuer_request_approve(issuer_request=asked, actor=operator)
    owner = MembershipFactory(issuer=issuer, role=Role.OWNER).user
    credit_request_create(issuer=issuer, actor=owner, amount=20, note="Per il corso")
    invitation_create(issuer=issuer, email="staff@example.org", role=Role.STAFF, actor=owner)
    return issuer


def _fetch(url: str) -> int:
    """The status of the page a link leads to, following this site's redirects."""
    session = requests.Session()
    # as the browser a mail client opens links in
    session.headers["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8"
    response = session.get(url, timeout=10, allow_redirects=False)
    hops = 0
    while response.is_redirect and hops < 3:
        target = requests.compat.urljoin(url, response.headers["Location"])
        response = session.get(target, timeout=10, allow_redirects=False)
        hops += 1
    return response.status_code


def test_every_email_works_in_a_mail_client(server, settings):
    # given every kind of email the platform sends, sent
    issuer = _every_kind_sent(settings)
    assert set(OutboundEmail.objects.values_list("kind", flat=True)) == EVERY_KIND
    assert OutboundEmail.objects.exclude(status="sent").count() == 0
    kinds = dict(OutboundEmail.objects.values_list("subject", "kind"))
    urls = set()
    for message in mail.outbox:
        kind = kinds[message.subject]
        # then each has a text part and an HTML alternative
        assert message.body.strip(), kind
        ((html, mimetype),) = message.alternatives
        assert mimetype == "text/html"
        parsed = _Links()
        parsed.feed(html)
        # every link and image is absolute, on this site; every image has alt text
        assert parsed.links, kind
        for link in parsed.links:
            assert link.startswith(server.url + "/"), (kind, link)
        for image in parsed.images:
            assert image["src"].startswith(server.url + "/"), (kind, image)
            assert image.get("alt", "").strip(), (kind, image)
        assert 'src="/' not in html
        assert 'href="/' not in html
        # on the email layout (its table, the language, the site's address at the foot)
        assert '<html lang="en">' in html, kind
        assert '<table role="presentation"' in html, kind
        assert f'<a href="{server.url}/"' in html, kind
        if kind in PLATFORM_KINDS:
            assert "reply to this email" not in html, kind
        text_urls = re.findall(r"https?://\S+", message.body)
        assert text_urls, kind
        urls.update(parsed.links, (image["src"] for image in parsed.images), text_urls)
        if kind in BADGE_KINDS:
            # the badge's image and the issuer's logo, and answers go to the issuer
            assert len(parsed.images) == 2, kind
            assert message.reply_to == [issuer.email]
    # then the server answers every address (the email-change link last: it is used once)
    confirm = sorted(u for u in urls if "/email/confirm/" in u)
    for url in sorted(urls - set(confirm)) + confirm[:1]:
        assert _fetch(url) == 200, url
